"""Reference lists of the administrative file, read from `data/` (see data/README.md).

Countries come from the geography app (INSEE codes `99xxx`), with France added: the
INSEE list of foreign countries does not hold it, a French birth being a commune code.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from opendui.geography import places
from opendui.geography.places import FRANCE_COUNTRY_CODE, PlaceKind, place_of

DATA = Path(__file__).resolve().parent / "data"


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def languages() -> list[tuple[str, str]]:
    return [(row["code"], row["name"]) for row in _read("languages.csv")]


@lru_cache(maxsize=1)
def regimes() -> list[tuple[str, str]]:
    return [(row["code"], f"{row['code']} – {row['name']}") for row in _read("regimes.csv")]


@lru_cache(maxsize=1)
def countries() -> list[tuple[str, str]]:
    """(INSEE code, name) with France first, then the others by name."""
    with (places.DATA / "countries.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    others = sorted(
        ((row["code"], row["name"].split(" ; ")[0].capitalize()) for row in rows),
        key=lambda item: item[1],
    )
    return [(FRANCE_COUNTRY_CODE, "France"), *others]


def label(choices: list[tuple[str, str]], code: str) -> str:
    return dict(choices).get(code, code)


def commune_name(code: str) -> str | None:
    """The name of a current INSEE commune code, None when unknown or not a commune."""
    place = place_of(code)
    if place is None or place.kind is PlaceKind.COUNTRY or not place.is_current:
        return None
    return place.name
