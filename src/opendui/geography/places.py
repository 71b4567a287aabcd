"""INSEE birth-place codes (Code officiel géographique) looked up in the committed data.

A birth place is the INSEE code *at birth*: a commune (or, in Paris, Lyon and Marseille, a
municipal arrondissement), possibly merged or renumbered since, or ``99`` + a country code
for a birth abroad. The data (``data/*.csv``, built by ``scripts/build-cog-data``) is read
once, on first use, and kept as plain tuples so the ~40,000 codes cost little memory. The
search index for the form's help is built separately, only if someone searches.

Pure module: no Django import, so it can be used from forms, services and the INSi code.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

# A commune code: 2 digits (or 2A/2B for Corsica since 1976; 97x/98x overseas are digits too)
# then 3 digits. ``99`` + 3 digits is a country. Letters are upper case once normalised.
CODE_FORMAT = re.compile(r"^(?:[0-9]{2}|2[AB])[0-9]{3}$")
FRANCE_COUNTRY_CODE = "99100"

FORMAT_MESSAGE = (
    "Le code du lieu de naissance doit compter 5 caractères : 5 chiffres "
    "(2A ou 2B suivi de 3 chiffres pour la Corse), ou 99 suivi de 3 chiffres "
    "pour une naissance à l'étranger."
)


class PlaceKind(StrEnum):
    COMMUNE = "commune"
    ARRONDISSEMENT = "arrondissement municipal"
    DELEGUEE = "commune déléguée"
    ASSOCIEE = "commune associée"
    FORMER = "ancienne commune"
    COUNTRY = "pays"


_KIND_OF_LETTER = {
    "C": PlaceKind.COMMUNE,
    "A": PlaceKind.ARRONDISSEMENT,
    "D": PlaceKind.DELEGUEE,
    "S": PlaceKind.ASSOCIEE,
    "F": PlaceKind.FORMER,
}
# Rank of a kind in search results: places in use before former ones.
_RANK = {kind: rank for rank, kind in enumerate([*_KIND_OF_LETTER.values(), PlaceKind.COUNTRY])}


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name: str
    kind: PlaceKind
    # The current commune this place belongs to or was merged into ("" when none/unknown).
    parent_code: str = ""
    parent_name: str = ""
    # For a former commune: the last COG vintage (1 January of that year) in which the code
    # was still a commune, when the vintages read show it; None when older or unknown.
    valid_until: int | None = None

    @property
    def is_current(self) -> bool:
        return self.kind is not PlaceKind.FORMER

    @property
    def label(self) -> str:
        """One line for a page: the name, and what became of a former commune."""
        name = self.name or f"code {self.code}"
        if self.kind is PlaceKind.FORMER and self.parent_name:
            return f"{name} (ancienne commune, aujourd'hui {self.parent_name})"
        if self.kind is PlaceKind.FORMER:
            return f"{name} (ancienne commune)"
        if self.kind in (PlaceKind.DELEGUEE, PlaceKind.ASSOCIEE) and self.parent_name:
            return f"{name} ({self.kind}, {self.parent_name})"
        return name


# code -> (name, kind letter, parent code, until), the first (most current) row per code.
type _Row = tuple[str, str, str, str]


@lru_cache(maxsize=1)
def _communes() -> dict[str, _Row]:
    table: dict[str, _Row] = {}
    with (DATA / "communes.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for code, name, kind, parent, until in reader:
            table.setdefault(code, (name, kind, parent, until))
    return table


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    with (DATA / "countries.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        return {code: name for code, name in reader}


def normalise_code(code: str) -> str:
    return code.strip().upper()


def place_of(code: str) -> Place | None:
    """The place an INSEE code designates, or None when the code is unknown."""
    code = normalise_code(code)
    if code.startswith("99"):
        name = _countries().get(code)
        if name is None:
            return None
        # Territories sharing the code follow the country's name after " ; ".
        return Place(code, name.split(" ; ")[0], PlaceKind.COUNTRY)
    row = _communes().get(code)
    return None if row is None else _commune_place(code, row)


def _commune_place(code: str, row: _Row) -> Place:
    name, letter, parent, until = row
    parent_row = _communes().get(parent) if parent else None
    parent_name = parent_row[0] if parent_row else ""
    return Place(
        code=code,
        name=name or (f"ancienne commune de {parent_name}" if parent_name else ""),
        kind=_KIND_OF_LETTER[letter],
        parent_code=parent,
        parent_name=parent_name,
        valid_until=int(until) if until else None,
    )


def birth_place_problem(code: str, birth_date: dt.date | None = None) -> str | None:
    """Why ``code`` cannot be a birth place (a French message), or None when it can.

    With the birth date, a former commune is refused only when the data proves it had
    disappeared more than a year before the birth (the vintages give a year, not a date).
    """
    code = normalise_code(code)
    if not CODE_FORMAT.match(code):
        return FORMAT_MESSAGE
    if code == FRANCE_COUNTRY_CODE:
        return "Le code « 99100 » désigne la France : saisissez le code de la commune de naissance."
    place = place_of(code)
    if place is None:
        if code.startswith("99"):
            return f"Le code « {code} » n'est pas un code pays INSEE connu."
        return f"Code commune INSEE inconnu : « {code} »."
    if (
        birth_date is not None
        and place.valid_until is not None
        and birth_date.year > place.valid_until + 1
    ):
        became = (
            f", rattachée à {place.parent_name} ({place.parent_code})" if place.parent_name else ""
        )
        return (
            f"La commune « {place.name} » (code {code}) n'existait plus à la date de "
            f"naissance{became} : saisissez le code de la commune en vigueur à la naissance."
        )
    return None


def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a place name, for the search."""
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", letters).split())


@lru_cache(maxsize=1)
def _index() -> tuple[list[str], list[tuple[str, _Row]]]:
    """Folded names, sorted, and the (code, row) at the same position. Every row is indexed,
    not only the first per code, so a commune déléguée, a former name or a territory is
    found under its own name. Places are made only for the results."""
    entries: set[tuple[str, str, _Row]] = set()
    with (DATA / "communes.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for code, name, kind, parent, until in reader:
            if name:
                entries.add((fold(name), code, (name, kind, parent, until)))
    for code, names in _countries().items():
        for name in names.split(" ; "):
            entries.add((fold(name), code, (name, "", "", "")))
    ordered = sorted(entries)
    return [name for name, _, _ in ordered], [(code, row) for _, code, row in ordered]


def _indexed_place(code: str, row: _Row) -> Place:
    return Place(code, row[0], PlaceKind.COUNTRY) if not row[1] else _commune_place(code, row)


def search_places(text: str, limit: int = 8) -> list[Place]:
    """Places whose name starts with ``text`` (accents, case and punctuation ignored),
    places in use first, then by name; at most ``limit``."""
    prefix = fold(text)
    if not prefix:
        return []
    names, rows = _index()
    start = bisect.bisect_left(names, prefix)
    end = bisect.bisect_left(names, prefix + "\x7f", lo=start)
    found = [_indexed_place(code, row) for code, row in rows[start:end]]
    return sorted(found, key=lambda p: (_RANK[p.kind], fold(p.name), p.code))[:limit]
