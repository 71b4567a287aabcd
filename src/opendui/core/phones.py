"""Telephone numbers, one rule for every app (pure functions, no Django import).

A number is stored in its international form, E.164 (`+33123456789`): one spelling per
number whatever was typed, comparable across apps, dialable from a `tel:` link, and able
to hold the overseas départements' own country codes. People read and type French
numbers in their national form (`01 23 45 67 89`): `display_phone` gives it back.

Like `opendui.core.identifiers`, a check gives None for a valid value and a French
sentence otherwise, so that forms, models and services share one wording.
"""

from __future__ import annotations

import re

from opendui.core.identifiers import ascii_digits

#: French overseas numbers dialled nationally with a 0 and a 4-digit prefix belong to
#: their own E.164 country codes (ARCEP numbering plan: Guadeloupe, Saint-Martin and
#: Saint-Barthélemy +590, Guyane +594, Martinique +596, La Réunion and Mayotte +262,
#: Saint-Pierre-et-Miquelon +508).
OVERSEAS_PREFIXES: dict[str, str] = {
    "0590": "590",
    "0690": "590",
    "0691": "590",
    "0594": "594",
    "0694": "594",
    "0596": "596",
    "0696": "596",
    "0697": "596",
    "0262": "262",
    "0263": "262",
    "0692": "262",
    "0693": "262",
    "0269": "262",
    "0639": "262",
    "0508": "508",
}
_FRENCH_CODES = ("33", *sorted(set(OVERSEAS_PREFIXES.values())))
_SEPARATORS = re.compile(r"[\s.\-()/\u00a0]")
PHONE_FORMAT = (
    "Saisissez un numéro français à 10 chiffres (01 23 45 67 89) ou un numéro "
    "international commençant par + et l'indicatif du pays (+32 2 123 45 67)."
)
NOT_STORED_FORM = "Le numéro de téléphone s'enregistre au format international (+33123456789)."


def normalise_phone(text: str) -> tuple[str, str | None]:
    """(E.164 form, None) for a valid number, ("", French sentence) otherwise.

    Accepted: a French national number (10 digits, 0 then 1–9), mapped to +33 or to
    the overseas country code of its prefix; an international number (`+` or `00`,
    then 9 to 15 digits, the first not 0: ITU-T E.164 allows 15, and fewer than 9 is in
    practice a French number mistyped); +33 numbers must have 9 digits after the code,
    the first not 0. The
    `(0)` people write after +33 (`+33 (0)1 23 45 67 89`) is the national trunk
    prefix, dropped.
    """
    raw = _SEPARATORS.sub("", (text or "").replace("(0)", ""))
    if not raw:
        return "", "Le numéro de téléphone est vide."
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.startswith("+"):
        digits = raw[1:]
        if not ascii_digits(digits) or not 9 <= len(digits) <= 15 or digits[0] == "0":
            return "", PHONE_FORMAT
        if digits.startswith("33") and (len(digits) != 11 or digits[2] == "0"):
            return "", "Un numéro français (+33) compte 9 chiffres après l'indicatif."
        return "+" + digits, None
    if not ascii_digits(raw):
        return "", PHONE_FORMAT
    if len(raw) != 10 or raw[0] != "0" or raw[1] == "0":
        return "", PHONE_FORMAT
    country = OVERSEAS_PREFIXES.get(raw[:4], "33")
    return f"+{country}{raw[1:]}", None


def stored_phone(text: str) -> str:
    """`text` in its stored form when it is a valid number, else `text` unchanged: for
    services (the field's validator then says what is wrong) and data migrations, which
    must never lose a value they cannot read."""
    number, problem = normalise_phone(text)
    return text if problem else number


def phone_problem(stored: str) -> str | None:
    """None when `stored` is a number in its stored form (what `normalise_phone` gives);
    otherwise why not: the parser's sentence, or that it is not written as stored."""
    number, problem = normalise_phone(stored)
    if problem:
        return problem
    return None if number == stored else NOT_STORED_FORM


def display_phone(e164: str) -> str:
    """A French number (metropolitan or overseas) as people write it, 01 23 45 67 89;
    any other value as stored."""
    for country in _FRENCH_CODES:
        national = e164.removeprefix(f"+{country}")
        if national == e164 or len(national) != 9 or not ascii_digits(national):
            continue
        number = "0" + national
        if country == "33" or OVERSEAS_PREFIXES.get(number[:4]) == country:
            return " ".join(number[i : i + 2] for i in range(0, 10, 2))
    return e164
