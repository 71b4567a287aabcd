"""Which passwords are too guessable (pure: no Django import, property-tested).

Common passwords: the list is Django's (`CommonPasswordValidator`, 20 000 passwords
most found in breached password dumps, compiled by Royce Williams and shipped and
updated with Django, lowercase). Exact lookup misses the usual decoration: the
CNIL rule makes people take a listed word and add a capital, digits and a sign
("Azerty123456!" is "azerty"). So a password is also looked up without its case and
accents, without the digits and signs around its letters, and with common
letter-for-digit swaps undone ("P@ssw0rd" → "password").

Personal data: a password must not contain the user's first name, last name or the
words of their e-mail address (three letters or more, case and accents ignored).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Character swaps undone before the lookup ("leet speak").
LEET = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "0": "o",
        "1": "i",
        "!": "i",
        "3": "e",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
    }
)
_EDGES = re.compile(r"^[^a-z]+|[^a-z]+$")
_WORDS = re.compile(r"[a-z0-9]+")
MIN_PERSONAL_WORD = 3


def fold(text: str) -> str:
    """Lower case without accents ('Élodie' → 'elodie')."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def lookup_forms(password: str) -> set[str]:
    """The forms of `password` looked up in the common list."""
    folded = fold(password).strip()
    core = _EDGES.sub("", folded)
    forms = {folded, core, folded.translate(LEET), _EDGES.sub("", folded.translate(LEET))}
    return {form for form in forms if form}


def is_common(password: str, common: set[str] | frozenset[str]) -> bool:
    return not lookup_forms(password).isdisjoint(common)


def personal_words(values: Iterable[str]) -> set[str]:
    """Words of the user's names and e-mail (the local part and its words) worth refusing."""
    words: set[str] = set()
    for value in values:
        folded = fold(value or "")
        if "@" in folded:
            local = folded.split("@", 1)[0]
            compact = "".join(_WORDS.findall(local))
            if len(compact) >= MIN_PERSONAL_WORD:
                words.add(compact)
            folded = local
        words.update(w for w in _WORDS.findall(folded) if len(w) >= MIN_PERSONAL_WORD)
    return words


def personal_words_in(password: str, values: Iterable[str]) -> list[str]:
    """The personal words `password` contains (separators and accents ignored), longest first."""
    folded = fold(password)
    compact = "".join(_WORDS.findall(folded))
    found = [w for w in personal_words(values) if w in folded or w in compact]
    return sorted(found, key=lambda w: (-len(w), w))
