"""Identity traits: the RNIV character rules, pure functions with no Django import.

Source: shared/reference/services_socles.md §1.4. INSi returns the strict traits in
`INDIVIDU/TIQ` (`NomNaissance`, `ListePrenom` space-separated, `Sexe` M/F,
`DateNaissance`, `LieuNaissance` a 5-character INSEE code) in upper case without
diacritics, and names sent to INSi must match
`^[A-Z]+(?:(?:-{1,2}|[' ])[A-Z]+)*$` (capital letters; between two parts one hyphen,
a double hyphen, an apostrophe or a space) [B].

**What is stored.** Every name trait — birth name, birth first names (and the first of
them), used name, used first name — is stored in that INS form: the same alphabet for
the used traits as for the strict ones (the RNIV rule). Storing the INS form means the
traits typed at the front desk, those read on an INSi response and those kept by a
merge are written alike, so a record never shows "LEFÈVRE / Héloïse" beside
"HELOISE MARIE", and comparing with INSi is plain equality.

**What may be typed**, and how it is normalised (`normalise_name`, idempotent):

- letters A–Z in either case (upper-cased);
- the letters of French with their diacritics, either case: À Â Ä Ç É È Ê Ë Î Ï Ô Ö
  Ù Û Ü Ÿ, written without the sign (É → E), and the ligatures Æ Œ written AE, OE,
  as the INS writes them. Text is put in Unicode NFC first, so an "e" followed by a
  combining acute accent (macOS keyboards) is the French "é";
- the space (the non-breaking spaces U+00A0 and U+202F count as spaces): spaces are
  collapsed, and removed at both ends and around a hyphen or an apostrophe;
- the hyphen, also typed as U+2010 or U+2011; a double hyphen `--` (two birth names);
- the apostrophe, also typed ’ ‘ or ʼ (stored as ').

Everything else is refused with one French sentence naming the first refused
character and what it is (« 3 » (chiffre); « U+202E » for invisible characters,
which would otherwise be unreadable or reverse the message): digits, punctuation,
symbols and emoji, control and formatting characters (byte-order mark, right-to-left
override), lone combining marks, letters with a diacritic French does not use (Ñ, with
the plain letter suggested) and letters of other alphabets (a Cyrillic « А » looks
like « A »). A name may not begin or end with a hyphen or an apostrophe, nor hold
two separators in a row other than the double hyphen.

The other strict traits: sex (F, M, or I for "indéterminé", which INSi cannot
search), birth date (not in the future, not before 1900), birth place (the INSEE code,
checked in the COG by `opendui.geography.places`, or its format only for a code INSi
returned: the national test identities carry codes the COG does not list).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opendui.geography.places import (
    CODE_FORMAT,
    FORMAT_MESSAGE,
    birth_place_problem,
    normalise_code,
)

# --- labels and lengths ---------------------------------------------------------------------

NAME_TRAITS: dict[str, str] = {
    "birth_name": "nom de naissance",
    "birth_first_names": "prénoms de naissance",
    "first_name": "premier prénom de naissance",
    "used_name": "nom utilisé",
    "used_first_name": "prénom utilisé",
}
_PLURAL = frozenset({"birth_first_names"})


def _the(trait: str) -> str:
    """The trait with its article: "le nom de naissance", "les prénoms de naissance"."""
    return ("les " if trait in _PLURAL else "le ") + NAME_TRAITS.get(trait, trait)


def _verb(trait: str, singular: str, plural: str) -> str:
    return plural if trait in _PLURAL else singular


# The model's column sizes (persons.models.Person).
MAX_LENGTHS: dict[str, int] = {
    "birth_name": 100,
    "birth_first_names": 255,
    "first_name": 100,
    "used_name": 100,
    "used_first_name": 100,
}
STRICT_TRAITS = ("birth_name", "birth_first_names", "sex", "birth_date", "birth_place_code")
USED_TRAITS = ("used_name", "used_first_name")
SEXES: dict[str, str] = {"F": "Féminin", "M": "Masculin", "I": "Indéterminé"}
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)

# §1.4 [B]: the INSi name grammar; every stored name matches it.
NAME_PATTERN = re.compile(r"^[A-Z]+(?:(?:-{1,2}|[' ])[A-Z]+)*$")
ALLOWED_OUTPUT = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ -'")
ALLOWED_SEPARATORS = frozenset({"-", "--", "'", " "})

# --- the input alphabet ---------------------------------------------------------------------

_FRENCH_LETTERS: dict[str, str] = {}
for _plain, _accented in {
    "A": "ÀÂÄ",
    "C": "Ç",
    "E": "ÉÈÊË",
    "I": "ÎÏ",
    "O": "ÔÖ",
    "U": "ÙÛÜ",
    "Y": "Ÿ",
}.items():
    for _letter in _accented:
        _FRENCH_LETTERS[_letter] = _plain
        _FRENCH_LETTERS[_letter.lower()] = _plain
_FRENCH_LETTERS.update({"Æ": "AE", "æ": "AE", "Œ": "OE", "œ": "OE"})
FRENCH_LETTERS: Mapping[str, str] = _FRENCH_LETTERS
SPACES = frozenset({" ", "\u00a0", "\u202f"})
APOSTROPHES = frozenset({"'", "\u2019", "\u2018", "\u02bc"})
HYPHENS = frozenset({"-", "\u2010", "\u2011"})
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# Every character `normalise_name` accepts (after NFC).
INPUT_ALPHABET = frozenset(_ASCII_LETTERS | set(FRENCH_LETTERS) | SPACES | APOSTROPHES | HYPHENS)

ALLOWED_SENTENCE = (
    "Seuls sont admis les lettres (accents du français compris), l'espace, le tiret "
    "et l'apostrophe."
)
# Letters without a decomposition whose plain spelling is usual.
_PLAIN_SPELLING = {"ß": "SS", "ẞ": "SS", "Ø": "O", "ø": "O", "Ł": "L", "ł": "L", "Đ": "D"}
_PLAIN_SPELLING |= {"đ": "D", "Þ": "TH", "þ": "TH", "ı": "I"}
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Mn", "Mc", "Me", "Zl", "Zp"})


class TraitError(ValueError):
    """A trait that breaks the rules; `message` is one French sentence for the user,
    `trait` the field it is about, `character` the refused character, if any."""

    def __init__(self, trait: str, message: str, character: str | None = None) -> None:
        super().__init__(message)
        self.trait = trait
        self.message = message
        self.character = character


class TraitsInvalid(ValueError):
    """Several traits break the rules: {field: French sentence}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def shown_character(char: str) -> str:
    """How a refused character is written in a message: itself when it can be seen,
    else its code point (an invisible or reversing character, a lone accent)."""
    category = unicodedata.category(char)
    if category in _INVISIBLE_CATEGORIES or (category == "Zs" and char != " "):
        return f"U+{ord(char):04X}"
    return char


def _plain_spelling(char: str) -> str:
    if char in _PLAIN_SPELLING:
        return _PLAIN_SPELLING[char]
    decomposed = unicodedata.normalize("NFKD", char)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.upper() if plain and set(plain) <= _ASCII_LETTERS else ""


def describe_character(char: str) -> str:
    """What a refused character is, in French, with its code point when it is not
    plain ASCII, and a hint when one helps ("saisissez « N »")."""
    category = unicodedata.category(char)
    # Invisible characters are shown as their code point already; ASCII needs none.
    visible_non_ascii = shown_character(char) == char and not char.isascii()
    code = f", U+{ord(char):04X}" if visible_non_ascii else ""
    hint = ""
    if category[0] == "N":
        kind = "chiffre"
    elif category == "Cf":
        kind = "caractère invisible de mise en forme"
    elif category in ("Cc", "Zl", "Zp"):
        kind = "caractère de contrôle"
    elif category in ("Co", "Cs", "Cn"):
        kind = "caractère non attribué ou réservé"
    elif category[0] == "M":
        kind = "signe diacritique isolé"
    elif category == "Zs":
        kind, hint = "espace spéciale", "utilisez l'espace ordinaire"
    elif category == "Pd":
        kind, hint = "tiret long", "utilisez le trait d'union « - »"
    elif category[0] == "P":
        kind = "signe de ponctuation"
    elif category[0] == "S":
        kind = "symbole" if char.isascii() else "symbole ou émoji"
    else:  # a letter
        plain = _plain_spelling(char)
        if plain:
            kind, hint = "lettre que le français n'utilise pas", f"saisissez « {plain} »"
        else:
            kind = "lettre d'un autre alphabet que l'alphabet latin"
    return kind + code + (f" : {hint}" if hint else "")


def _refused(trait: str, char: str) -> TraitError:
    return TraitError(
        trait,
        f"Caractère non autorisé dans {_the(trait)} : « {shown_character(char)} » "
        f"({describe_character(char)}). {ALLOWED_SENTENCE}",
        char,
    )


def _transliterate(value: str, trait: str) -> str:
    out = []
    for char in unicodedata.normalize("NFC", value):
        if "A" <= char <= "Z":
            out.append(char)
        elif "a" <= char <= "z":
            out.append(char.upper())
        elif char in FRENCH_LETTERS:
            out.append(FRENCH_LETTERS[char])
        elif char in SPACES:
            out.append(" ")
        elif char in APOSTROPHES:
            out.append("'")
        elif char in HYPHENS:
            out.append("-")
        else:
            raise _refused(trait, char)
    return "".join(out)


_SEPARATOR_RUN = re.compile(r"[-' ]+")


def normalise_name(value: str | None, trait: str = "birth_name", *, required: bool = True) -> str:
    """The stored (INS) form of a name trait, or TraitError with a French sentence.

    `trait` is a key of NAME_TRAITS (it names the trait in the message). An empty
    value is "" when not `required`. normalise_name(normalise_name(x)) == normalise_name(x).
    """
    the = _the(trait)
    text = _transliterate(value or "", trait)
    text = re.sub(r" +", " ", text).strip(" ")
    text = re.sub(r" ?([-']+) ?", r"\1", text)  # no space beside a hyphen or apostrophe
    if not text:
        if required:
            required_word = _verb(trait, "est obligatoire", "sont obligatoires")
            raise TraitError(trait, f"{the.capitalize()} {required_word}.")
        return ""
    for position, edge in (("commencer", text[0]), ("finir", text[-1])):
        if edge in "-'":
            raise TraitError(
                trait,
                f"{the.capitalize()} {_verb(trait, 'ne peut', 'ne peuvent')} pas {position} "
                f"par « {edge} » : le tiret et "
                "l'apostrophe séparent deux parties du nom.",
            )
    for run in _SEPARATOR_RUN.findall(text):
        if run not in ALLOWED_SEPARATORS:
            raise TraitError(
                trait,
                f"Séparateur non autorisé dans {the} : « {run} ». Entre deux parties, "
                "un tiret, un double tiret, une apostrophe ou une espace.",
            )
    limit = MAX_LENGTHS.get(trait)
    if limit is not None and len(text) > limit:
        raise TraitError(
            trait,
            f"{the.capitalize()} {_verb(trait, 'compte', 'comptent')} {len(text)} caractères : "
            f"{limit} au plus sont admis.",
        )
    assert NAME_PATTERN.match(text), text  # the rules above are the grammar
    return text


def normalise_first_names(value: str | None, *, required: bool = True) -> str:
    """The birth first names, in civil-status order, separated by one space (INS form)."""
    return normalise_name(value, "birth_first_names", required=required)


def first_of(first_names: str) -> str:
    """The first birth first name (a strict trait of its own in FR Core, §1.4)."""
    return first_names.split(" ", 1)[0] if first_names else ""


def normalise_sex(value: str | None) -> str:
    sex = (value or "").strip().upper()
    if sex not in SEXES:
        raise TraitError(
            "sex", "Le sexe est « F » (féminin), « M » (masculin) ou « I » (indéterminé)."
        )
    return sex


def normalise_birth_date(value: Any, today: dt.date) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise TraitError("birth_date", "Saisissez une date de naissance valide.")
    if value > today:
        raise TraitError("birth_date", "La date de naissance ne peut pas être dans le futur.")
    if value < EARLIEST_BIRTH_DATE:
        raise TraitError(
            "birth_date", "La date de naissance ne peut pas être antérieure au 1er janvier 1900."
        )
    return value


def normalise_birth_place(
    value: str | None, birth_date: dt.date | None = None, *, known_only: bool = True
) -> str:
    """The INSEE birth-place code, upper case ("" when not given).

    `known_only`: the code must be in the COG (user input). False for a code INSi
    returned, whose format only is checked: INSi is the reference for its identities.
    """
    code = normalise_code(value or "")
    if not code:
        return ""
    if known_only:
        problem = birth_place_problem(code, birth_date)
    else:
        problem = None if CODE_FORMAT.match(code) else FORMAT_MESSAGE
    if problem:
        raise TraitError("birth_place_code", problem)
    return code


@dataclass(frozen=True)
class Identity:
    """A person's traits in their stored form (strict traits, then the used ones)."""

    birth_name: str
    birth_first_names: str
    sex: str
    birth_date: dt.date
    birth_place_code: str
    used_name: str = ""
    used_first_name: str = ""

    @property
    def first_name(self) -> str:
        return first_of(self.birth_first_names)

    def strict(self) -> tuple[str, str, str, dt.date, str]:
        return (
            self.birth_name,
            self.birth_first_names,
            self.sex,
            self.birth_date,
            self.birth_place_code,
        )


def validate_identity(
    values: Mapping[str, Any], *, today: dt.date, known_places: bool = True
) -> Identity:
    """Every trait of `values` checked and normalised, or TraitsInvalid naming each
    wrong field. Missing used traits are empty; the strict ones are required, except
    the birth place."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def attempt(field: str, check) -> None:
        try:
            out[field] = check()
        except TraitError as error:
            errors[field] = error.message

    attempt("birth_name", lambda: normalise_name(values.get("birth_name"), "birth_name"))
    attempt("birth_first_names", lambda: normalise_first_names(values.get("birth_first_names")))
    attempt("sex", lambda: normalise_sex(values.get("sex")))
    attempt("birth_date", lambda: normalise_birth_date(values.get("birth_date"), today))
    attempt(
        "birth_place_code",
        lambda: normalise_birth_place(
            values.get("birth_place_code"), out.get("birth_date"), known_only=known_places
        ),
    )
    for field in USED_TRAITS:
        attempt(field, lambda f=field: normalise_name(values.get(f), f, required=False))
    if errors:
        raise TraitsInvalid(errors)
    return Identity(**out)


def lenient_name(value: str | None, trait: str = "birth_name") -> str:
    """A stored name in INS form when it can be written so, else as stored: rows saved
    before the rules existed ("Lefèvre") compare equal to their INS form."""
    try:
        return normalise_name(value, trait, required=False)
    except TraitError:
        return value or ""
