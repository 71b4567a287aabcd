"""Matricule INS (NIR or NIA) and its OID: pure checks with no Django import.

Like `opendui.core.identifiers`, each check returns None when the value is
valid and one French sentence naming what is wrong otherwise, so forms,
services, the INSi mapping and the `opendui ins` command share one wording.

Source: shared/reference/services_socles.md §1.2 (structure, control key,
Corsica) and §1.3 (OIDs).

- The control key is tagged [A] there (ANS artefacts, python-stdnum, checked
  against the national test identities): it is enforced strictly.
- The structure ranges (sex digit, month, department, order) are tagged [B]
  (public INSEE/service-public descriptions). Only what those ranges clearly
  exclude is refused; where they are silent the value is accepted. The
  choices are spelled out in `matricule_problem`.
"""

from __future__ import annotations

MATRICULE_LENGTH = 15
BODY_LENGTH = 13

# §1.3 [A]: FR Core INS Patient profile.
INS_NIR_OID = "1.2.250.1.213.1.4.8"
INS_NIA_OID = "1.2.250.1.213.1.4.9"
INS_NIR_TEST_OID = "1.2.250.1.213.1.4.10"
INS_NIR_DEMO_OID = "1.2.250.1.213.1.4.11"

INS_OIDS: dict[str, str] = {
    INS_NIR_OID: "INS-NIR",
    INS_NIA_OID: "INS-NIA",
    INS_NIR_TEST_OID: "INS-NIR-TEST",
    INS_NIR_DEMO_OID: "INS-NIR-DEMO",
}
# Fictitious patients: never acceptable on a production installation.
FICTITIOUS_OIDS: dict[str, str] = {
    INS_NIR_TEST_OID: "de test",
    INS_NIR_DEMO_OID: "de démonstration",
}

_DIGITS = frozenset("0123456789")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Corsica: 2A/2B stand for 19/18 in the key computation (§1.2 [A]).
_CORSICA = {"2A": "19", "2B": "18"}
# 1/2; 3/4 and 7/8 occur for temporary numbers and NIA (§1.2 [B]).
_SEX_DIGITS = frozenset("123478")


def normalise_matricule(value: str) -> str:
    """The matricule as stored: whitespace removed (including non-breaking spaces
    pasted from formatted documents), letters upper-cased (`2a` → `2A`)."""
    return "".join((value or "").split()).upper()


def control_key(body13: str) -> int:
    """Control key of a 13-character body: 97 − (body mod 97), 1 to 97.

    `2A`/`2B` in positions 6–7 are replaced by 19/18 before the modulo. Print
    the result on two digits (`f"{key:02d}"`). Raises ValueError when the body
    is not 13 digits (bar 2A/2B in positions 6–7).
    """
    body = body13.upper()
    if len(body) != BODY_LENGTH:
        raise ValueError("the body of a matricule INS has 13 characters")
    numeric = body[:5] + _CORSICA.get(body[5:7], body[5:7]) + body[7:]
    if not set(numeric) <= _DIGITS:
        raise ValueError("the body of a matricule INS is made of digits (2A/2B for Corsica)")
    return 97 - int(numeric) % 97


def _character_problem(body: str) -> str | None:
    for index, char in enumerate(body):
        position = index + 1
        if char in _DIGITS:
            continue
        if char not in _LETTERS:
            return (
                f"Le caractère « {char} » en position {position} n'est pas admis : un matricule "
                "INS ne contient que des chiffres (et 2A ou 2B pour la Corse)."
            )
        if position not in (6, 7):
            return (
                f"La lettre « {char} » en position {position} n'est pas admise : les lettres "
                "n'apparaissent qu'en positions 6-7, pour la Corse (2A, 2B)."
            )
    department = body[5:7]
    if not set(department) <= _DIGITS and department not in _CORSICA:
        return (
            f"Le département de naissance (positions 6-7) « {department} » n'existe pas : "
            "les seules lettres admises sont 2A et 2B (Corse)."
        )
    return None


def _body_problem(body: str) -> str | None:
    """Problems of a 13-character body (positions are those of the matricule)."""
    problem = _character_problem(body)
    if problem:
        return problem
    sex = body[0]
    if sex not in _SEX_DIGITS:
        return (
            f"Le premier chiffre (sexe) « {sex} » n'existe pas : il vaut 1 ou 2 "
            "(3, 4, 7 ou 8 pour un numéro provisoire ou un NIA)."
        )
    month = body[3:5]
    if month == "00" or "13" <= month <= "19":
        return (
            f"Le mois de naissance (positions 4-5) « {month} » n'existe pas : il vaut 01 à 12 "
            "(20 à 42 ou 50 à 99 quand l'état civil était incomplet)."
        )
    department = body[5:7]
    if department == "00":
        return (
            "Le département de naissance (positions 6-7) « 00 » n'existe pas : il vaut 01 à 95, "
            "2A ou 2B (Corse), 96, 97 ou 98 (outre-mer) ou 99 (étranger)."
        )
    order = body[10:13]
    if order == "000":
        return "Le numéro d'ordre (positions 11-13) « 000 » n'existe pas : il vaut 001 à 999."
    return None


def expected_key(value: str) -> int | None:
    """The key the body of `value` calls for, or None when the body itself is wrong
    (length, characters or structure), so that no key can be expected."""
    matricule = normalise_matricule(value)
    if len(matricule) != MATRICULE_LENGTH or _body_problem(matricule[:BODY_LENGTH]):
        return None
    return control_key(matricule[:BODY_LENGTH])


def matricule_problem(value: str) -> str | None:
    """None when `value` is a valid matricule INS (NIR or NIA), else a French sentence.

    Spaces are ignored and letters upper-cased first (`normalise_matricule`).
    Checked, in this order:

    - 15 characters: a 13-character body then a 2-digit key;
    - digits only, except `2A`/`2B` (Corsica) in positions 6–7;
    - sex digit 1 or 2; 3, 4, 7 and 8 are accepted too (temporary numbers, NIA);
      0, 5, 6 and 9 are refused;
    - month 01–12, or 20–42 / 50–99 (incomplete civil record); 00 and 13–19 are
      refused. The reference is [B] and silent on 43–49: those are *accepted*
      rather than risk refusing a real matricule;
    - department 01–99 (01–95, 96, 97x/98x overseas — whose commune is then two
      digits, all digits anyway —, 99 abroad) or 2A/2B, never cross-checked
      against the birth year (the national test identities include a 1960 birth
      in 2B); 00 is refused, being in none of the listed ranges;
    - commune: any 3 characters that passed the character check (000 included:
      the reference gives no range);
    - order 001–999;
    - key 01–97, equal to `control_key(body)` (the [A] part, enforced strictly).
    """
    matricule = normalise_matricule(value)
    if not matricule:
        return "Le matricule INS est vide : il comporte 15 caractères."
    if len(matricule) != MATRICULE_LENGTH:
        return (
            "Le matricule INS comporte 15 caractères (13 pour le numéro, 2 pour la clé), "
            f"espaces non compris ; la saisie en compte {len(matricule)}."
        )
    problem = _body_problem(matricule[:BODY_LENGTH])
    if problem:
        return problem
    key = matricule[BODY_LENGTH:]
    if not set(key) <= _DIGITS:
        return (
            f"La clé de contrôle (positions 14-15) « {key} » n'est pas un nombre : "
            "elle comporte deux chiffres."
        )
    if not "01" <= key <= "97":
        return (
            f"La clé de contrôle (positions 14-15) « {key} » est impossible : "
            "elle est comprise entre 01 et 97."
        )
    expected = control_key(matricule[:BODY_LENGTH])
    if int(key) != expected:
        return (
            f"La clé de contrôle est {key} alors qu'elle devrait être {expected:02d} : "
            "vérifiez la saisie."
        )
    return None


def oid_problem(oid: str, production: bool) -> str | None:
    """None when `oid` qualifies a matricule INS here, else a French sentence.

    Known OIDs are those of §1.3: INS-NIR (.4.8), INS-NIA (.4.9), and the
    fictitious-patient INS-NIR-TEST (.4.10) and INS-NIR-DEMO (.4.11), which are
    refused when `production` is True. The OID is compared without the
    `urn:oid:` prefix of FHIR `identifier.system`.
    """
    value = (oid or "").strip()
    if value in INS_OIDS:
        if production and value in FICTITIOUS_OIDS:
            return (
                f"L'OID {value} ({INS_OIDS[value]}) désigne un patient fictif "
                f"{FICTITIOUS_OIDS[value]} : il est refusé en production."
            )
        return None
    if not value:
        return "L'OID du matricule INS est vide."
    if value.lower().startswith("urn:oid:") and value[8:] in INS_OIDS:
        return f"Indiquez l'OID sans le préfixe « urn:oid: » : {value[8:]}."
    accepted = [INS_NIR_OID, INS_NIA_OID]
    if not production:
        accepted += list(FICTITIOUS_OIDS)
    listed = ", ".join(f"{known} ({INS_OIDS[known]})" for known in accepted)
    return f"L'OID « {value} » n'est pas un OID INS : OID admis {listed}."
