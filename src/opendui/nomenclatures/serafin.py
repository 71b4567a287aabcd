"""The SERAFIN-PH nomenclature (besoins and prestations), loaded once from the shipped CSV.

Three value sets share one code system: besoins (J285, codes 1.x), prestations
directes (J284, 2.x) and prestations indirectes (J283, 3.x). The TDDUI guide codes a
PP need with J285, a PP service with J284 or J283, and an agenda event's type with
families 2 and 3 (see ../shared/reference/domain_rules.md §4).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

SYSTEM = "https://smt.esante.gouv.fr/terminologie-SERAFINPH"
VERSION = "2023.1.0"  # code system; value sets 20241025120000
DATA = Path(__file__).parent / "data" / "serafin_ph.csv"


class ValueSet(StrEnum):
    NEEDS = "J285"
    DIRECT_SERVICES = "J284"
    INDIRECT_SERVICES = "J283"


SERVICES = (ValueSet.DIRECT_SERVICES, ValueSet.INDIRECT_SERVICES)
LABELS = {
    ValueSet.NEEDS: "besoin SERAFIN-PH",
    ValueSet.DIRECT_SERVICES: "prestation directe SERAFIN-PH",
    ValueSet.INDIRECT_SERVICES: "prestation indirecte SERAFIN-PH",
}


@dataclass(frozen=True)
class Concept:
    code: str
    display: str
    value_set: ValueSet

    @property
    def depth(self) -> int:
        return self.code.count(".")

    def __str__(self) -> str:
        return f"{self.code} – {self.display}"


@cache
def _concepts() -> dict[str, Concept]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Concept(row["code"], row["display"], ValueSet(row["value_set"]))
            for row in csv.DictReader(handle)
        }


def _sort_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))


def concepts(*value_sets: ValueSet) -> list[Concept]:
    """The concepts of the given value sets (all when none), in code order (1.1.2 < 1.1.10)."""
    wanted = set(value_sets) or set(ValueSet)
    return sorted(
        (c for c in _concepts().values() if c.value_set in wanted), key=lambda c: _sort_key(c.code)
    )


def concept(code: str) -> Concept | None:
    return _concepts().get(code.strip())


def code_problem(code: str, *value_sets: ValueSet) -> str | None:
    """None when `code` belongs to one of `value_sets`, else a French message."""
    found = concept(code)
    expected = " ou ".join(LABELS[v] for v in value_sets) or "code SERAFIN-PH"
    if found is None:
        return f"Code SERAFIN-PH inconnu : « {code} » (attendu : {expected})."
    if value_sets and found.value_set not in value_sets:
        return (
            f"Le code « {code} » ({found.display}) est un {LABELS[found.value_set]}, "
            f"pas un {expected}."
        )
    return None


def choices(*value_sets: ValueSet) -> list[tuple[str, str]]:
    """(code, "code – label") pairs for a form's select, indented by depth."""
    return [(c.code, "\u2003" * c.depth + str(c)) for c in concepts(*value_sets)]
