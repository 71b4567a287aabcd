"""Duplicate detection when an identity is created: pure functions, no database.

Identity vigilance (RNIV) asks that the user sees the likely duplicates before a new
record is saved. The database narrows the candidates to a small set (same birth date,
or same birth or used name: see persons.views_create); `candidate_score` then compares
each candidate with the entered traits:

- names are compared accent- and case-insensitively, birth and used names crossed
  (a woman entered under her birth name is found under her used name and back);
- first names are compared as a set (the order of the birth first names and the used
  first name do not matter);
- a French phonetic key (`phonetic_key`) catches spelling variants ('Dupont'/'Dupond',
  'Lefèvre'/'Lefebvre' is not caught: the key stays simple);
- the birth date counts fully when equal, partly when it looks like a typing slip
  (two of day, month and year equal, or day and month swapped).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from opendui.core.text import search_key

# --- French phonetic key ---------------------------------------------------------------------

# Rewrite rules applied in order on the accent-free lower-case letters of a name. Each rule
# maps spellings that sound alike in French to one spelling; the letters c, h, q, w, x, y
# and z never survive a pass, so the key is over a smaller alphabet.
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(pattern), replacement)
    for pattern, replacement in [
        (r"[^a-z]", ""),  # letters only: 'Le Goff' and 'Legoff' are one name
        (r"ph", "f"),  # Philippe → filippe
        (r"sch|ch|sh", "s"),  # Schmitt, Chantal, Shirley
        (r"th", "t"),  # Thomas
        (r"qu|q", "k"),  # Quentin
        (r"c(?=[eiy])", "s"),  # Cécile
        (r"ck|c", "k"),  # Claude, Franck
        (r"g(?=[eiy])", "j"),  # Gérard, Georges
        (r"h", ""),  # silent h
        (r"w", "v"),
        (r"x|z", "s"),
        (r"y", "i"),
        (r"eau|au", "o"),  # Rousseau, Aubert
        (r"ai|ei", "e"),  # Lemaire, Seignour
        (r"[ae][mn](?=[^aeiou]|$)", "an"),  # nasal vowels: Laurent, Lambert, Jean
        (r"om(?=[^aeiou]|$)", "on"),  # Tombal / Tonbal
        (r"([a-z])\1+", r"\1"),  # double letters: Bonnet, Marianne
        (r"(?<=[a-z]{2})e$", ""),  # silent final e: Lefèvre, Hélène
        (r"(?<=[a-z]{2})[dst]$", ""),  # silent final d, s, t: Dupont, Dupond, Dubois
    ]
]
_MAX_PASSES = 10


def _one_pass(text: str) -> str:
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def phonetic_key(name: str) -> str:
    """A simplified French phonetic key: 'Dupont', 'DUPOND' and 'dupons' give 'dupon'.

    Accent-, case-, space- and hyphen-insensitive. The rules are applied until the text
    no longer changes, so the key of a key is the key itself (idempotent).
    """
    # search_key misses the capital Æ (it lowers after replacing): fold ligatures again.
    text = search_key(name).replace("æ", "ae").replace("œ", "oe")
    for _ in range(_MAX_PASSES):
        rewritten = _one_pass(text)
        if rewritten == text:
            break
        text = rewritten
    return text


# --- candidate score -------------------------------------------------------------------------


@dataclass(frozen=True)
class Traits:
    """The identity traits compared for duplicates (entered in a form or stored)."""

    birth_name: str
    birth_date: dt.date | None
    first_names: tuple[str, ...] = ()
    used_name: str = ""
    used_first_name: str = ""

    @classmethod
    def of(
        cls,
        *,
        birth_name: str,
        birth_date: dt.date | None,
        birth_first_names: str = "",
        first_name: str = "",
        used_name: str = "",
        used_first_name: str = "",
    ) -> Traits:
        names = tuple(birth_first_names.split()) or ((first_name,) if first_name else ())
        if first_name and first_name not in names:
            names = (first_name, *names)
        return cls(birth_name, birth_date, names, used_name, used_first_name)

    def name_keys(self) -> set[str]:
        return {k for k in (search_key(self.birth_name), search_key(self.used_name)) if k}

    def first_name_keys(self) -> set[str]:
        return {k for k in map(search_key, (*self.first_names, self.used_first_name)) if k}


# Points of each agreement. A candidate needs THRESHOLD points to be shown: for example
# the same birth date and the same (or a sound-alike) name, or the same names and first
# name with a different birth date (a typing slip), but never a shared birth date alone.
NAME_SAME, NAME_SOUNDS_ALIKE = 40, 25
FIRST_NAME_SAME, FIRST_NAME_SOUNDS_ALIKE = 30, 20
BIRTH_DATE_SAME, BIRTH_DATE_CLOSE = 40, 15
THRESHOLD = 60
MAX_SCORE = 100


def _agreement(left: set[str], right: set[str], same: int, alike: int) -> int:
    if left & right:
        return same
    if {phonetic_key(k) for k in left} & {phonetic_key(k) for k in right} - {""}:
        return alike
    return 0


def _dates_close(a: dt.date, b: dt.date) -> bool:
    """Two of day, month, year equal, or day and month swapped (a typing slip)."""
    equal = (a.day == b.day) + (a.month == b.month) + (a.year == b.year)
    return equal >= 2 or (a.year == b.year and a.day == b.month and a.month == b.day)


def candidate_score(entered: Traits, existing: Traits) -> int | None:
    """How likely `existing` is the person being entered, from 0 to 100; None below THRESHOLD."""
    score = _agreement(
        entered.name_keys(), existing.name_keys(), NAME_SAME, NAME_SOUNDS_ALIKE
    ) + _agreement(
        entered.first_name_keys(),
        existing.first_name_keys(),
        FIRST_NAME_SAME,
        FIRST_NAME_SOUNDS_ALIKE,
    )
    if entered.birth_date is not None and existing.birth_date is not None:
        if entered.birth_date == existing.birth_date:
            score += BIRTH_DATE_SAME
        elif _dates_close(entered.birth_date, existing.birth_date):
            score += BIRTH_DATE_CLOSE
    return min(score, MAX_SCORE) if score >= THRESHOLD else None
