"""Checks of national identifiers, pure functions with no Django import.

Each check returns None when the value is valid and a French sentence saying
what is wrong otherwise, so forms, services and commands share one wording.
"""

from __future__ import annotations

import re


def luhn_is_valid(digits: str) -> bool:
    """Luhn check over a string of digits (rightmost digit is the check digit)."""
    if not digits.isdigit():
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
        if not value[2:].isdigit():
            return "Un numéro FINESS ne contient que des chiffres après le département."
        return None
    if not value.isdigit():
        return "Un numéro FINESS ne contient que des chiffres (ou 2A/2B pour la Corse)."
    if not luhn_is_valid(value):
        return "La clé du numéro FINESS est incorrecte (contrôle de Luhn) : vérifiez la saisie."
    return None


def siret_problem(value: str) -> str | None:
    """SIRET: 14 digits (SIREN + NIC) with a Luhn key.

    La Poste establishments (SIREN 356000000) use another rule: the sum of
    the digits is a multiple of 5.
    """
    if len(value) != 14 or not value.isdigit():
        return "Un numéro SIRET comporte exactement 14 chiffres."
    if value.startswith("356000000") and sum(int(c) for c in value) % 5 == 0:
        return None
    if not luhn_is_valid(value):
        return "La clé du numéro SIRET est incorrecte (contrôle de Luhn) : vérifiez la saisie."
    return None


def rpps_problem(value: str) -> str | None:
    """RPPS (and RPPS+) number: 11 digits whose last one is a Luhn key."""
    if len(value) != 11 or not value.isdigit():
        return "Un numéro RPPS comporte exactement 11 chiffres."
    if not luhn_is_valid(value):
        return "La clé du numéro RPPS est incorrecte (contrôle de Luhn) : vérifiez la saisie."
    return None


_ADELI = re.compile(r"^(\d{2}|2A|2B)\d{7}$")


def adeli_problem(value: str) -> str | None:
    """ADELI number: 9 characters, department (2 characters) then 7 digits."""
    if not _ADELI.match(value):
        return "Un numéro ADELI comporte 9 caractères : le département puis 7 chiffres."
    return None


def normalise_identifier(value: str) -> str:
    """Remove spaces, dots and dashes users type into identifiers; upper-case letters."""
    return re.sub(r"[\s.\-]", "", value or "").upper()
