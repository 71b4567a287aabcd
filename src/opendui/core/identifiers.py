"""Checks of national identifiers, pure functions with no Django import.

Each check returns None when the value is valid and a French sentence saying
what is wrong otherwise, so forms, services and commands share one wording.
"""

from __future__ import annotations

import re


def ascii_digits(value: str) -> bool:
    """True when `value` is non-empty and made of the digits 0–9 only.

    `str.isdigit` also accepts "²", "①" or "٣": `int` refuses the first two (a crash
    where a view or a key check converts the value) and reads the last as 3. Every digit
    check of a typed or posted value goes through here.
    """
    return value.isascii() and value.isdigit()


def luhn_is_valid(digits: str) -> bool:
    """Luhn check over a string of digits (rightmost digit is the check digit)."""
    if not ascii_digits(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes `body + digit` pass the Luhn check."""
    for candidate in "0123456789":
        if luhn_is_valid(body + candidate):
            return candidate
    raise ValueError("body must contain digits only")


def finess_problem(value: str) -> str | None:
    """FINESS number (juridique or géographique): 9 characters, Luhn key.

    Corsican numbers start with 2A/2B; how their key is computed is not
    published, so they are accepted on structure only.
    """
    if len(value) != 9:
        return "Un numéro FINESS comporte 9 caractères."
    if value[:2] in {"2A", "2B"}:
        if not ascii_digits(value[2:]):
            return "Un numéro FINESS ne contient que des chiffres après le département."
        return None
    if not ascii_digits(value):
        return "Un numéro FINESS ne contient que des chiffres (ou 2A/2B pour la Corse)."
    if not luhn_is_valid(value):
        return "La clé du numéro FINESS est incorrecte (contrôle de Luhn) : vérifiez la saisie."
    return None


def siret_problem(value: str) -> str | None:
    """SIRET: 14 digits (SIREN + NIC) with a Luhn key.

    La Poste establishments (SIREN 356000000) use another rule: the sum of
    the digits is a multiple of 5.
    """
    if len(value) != 14 or not ascii_digits(value):
        return "Un numéro SIRET comporte exactement 14 chiffres."
    if value.startswith("356000000") and sum(int(c) for c in value) % 5 == 0:
        return None
    if not luhn_is_valid(value):
        return "La clé du numéro SIRET est incorrecte (contrôle de Luhn) : vérifiez la saisie."
    return None


def rpps_problem(value: str) -> str | None:
    """RPPS (and RPPS+) number: 11 digits whose last one is a Luhn key."""
    if len(value) != 11 or not ascii_digits(value):
        return "Un numéro RPPS comporte exactement 11 chiffres."
    if not luhn_is_valid(value):
        return "La clé du numéro RPPS est incorrecte (contrôle de Luhn) : vérifiez la saisie."
    return None


_ADELI = re.compile(r"^([0-9]{2}|2A|2B)[0-9]{7}$")


def adeli_problem(value: str) -> str | None:
    """ADELI number: 9 characters, department (2 characters) then 7 digits."""
    if not _ADELI.match(value):
        return "Un numéro ADELI comporte 9 caractères : le département puis 7 chiffres."
    return None


def normalise_identifier(value: str) -> str:
    """Remove spaces, dots and dashes users type into identifiers; upper-case letters."""
    return re.sub(r"[\s.\-]", "", value or "").upper()


def idnat_ps_problem(value: str) -> str | None:
    """National identifier of a health or social-care professional (idNat_PS) as the
    Annuaire Santé, Pro Santé Connect and the CDA headers carry it.

    `8` + RPPS (11 digits, Luhn) and `0` + ADELI (9 characters) are checked in full.
    The other prefixes (identifiers given by a structure to its staff, e.g. `3` + FINESS
    + `/` + internal number) are accepted on structure only: a digit, then letters,
    digits or `/`, 30 characters at most.
    """
    if not value:
        return "L'identifiant national (idNat_PS) est vide."
    if value[0] == "8" and len(value) == 12:
        problem = rpps_problem(value[1:])
        return None if problem is None else f"idNat_PS « 8 + RPPS » : {problem}"
    if value[0] == "0" and len(value) == 10:
        problem = adeli_problem(value[1:])
        return None if problem is None else f"idNat_PS « 0 + ADELI » : {problem}"
    if value[0] in "08":
        return (
            "Un idNat_PS commençant par 8 est suivi des 11 chiffres du RPPS ; "
            "par 0, des 9 caractères de l'ADELI."
        )
    if not re.fullmatch(r"[1-9][0-9A-Z/]{1,29}", value):
        return "Un idNat_PS commence par un chiffre et ne contient que des chiffres, des lettres ou « / »."
    return None


def idnat_ps_of(rpps: str = "", adeli: str = "") -> str:
    """The idNat_PS a professional has from their RPPS (`8` + RPPS), else ADELI (`0` + ADELI)."""
    if rpps:
        return "8" + rpps
    if adeli:
        return "0" + adeli
    return ""


# Conservative e-mail syntax (the dot-atom of RFC 5322 for the local part, DNS labels for
# the domain): what messaging servers and the Annuaire Santé actually publish.
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})"
)
MSSANTE_DOMAIN = "mssante.fr"


def normalise_email(value: str) -> str:
    """Trim an address and lower-case its domain (the local part is kept as typed)."""
    value = (value or "").strip()
    local, at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if at else value


def mssante_address_problem(value: str) -> str | None:
    """MSSanté address: an e-mail address whose domain is `mssante.fr` or one of its
    sub-domains (`medecin.mssante.fr`, `ch-exemple.mssante.fr`…), as the operators of
    the Espace de confiance MSSanté issue them."""
    match = _EMAIL.fullmatch(normalise_email(value)) if len(value) <= 254 else None
    if match is None:
        return "Adresse de messagerie invalide : elle s'écrit nom@domaine."
    domain = match.group(2)
    if domain != MSSANTE_DOMAIN and not domain.endswith("." + MSSANTE_DOMAIN):
        return (
            "Une adresse MSSanté se termine par « mssante.fr » (par exemple "
            "nom.prenom@medecin.mssante.fr) : une messagerie ordinaire ne convient pas."
        )
    return None
