"""Professions of the directory: the national list TRE_G15-ProfessionSante.

The codes and labels are data (nomenclatures/data/tre_g15_professions.csv, source and
version in that folder's README): the 29 TRE_G15 codes of the ANS value set
JDV_J186-ProfessionRessource-ROR (ans.fr.terminologies 1.12.0), the health professions
a person's outside carers belong to. A professional stores the code *and* its label,
so that a code removed from a later version stays readable; a profession outside the
list (psychologue, assistant de service social…) is kept as a label without a code.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

VERSION = "JDV_J186 20260730120000 (ans.fr.terminologies 1.12.0)"
SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
OID = "1.2.250.1.71.1.2.7"
DATA = Path(__file__).resolve().parent.parent / "nomenclatures" / "data" / "tre_g15_professions.csv"

MEDECIN = "10"
PHARMACIEN = "21"
INFIRMIER = "60"
MASSEUR_KINESITHERAPEUTE = "70"


@cache
def professions() -> dict[str, str]:
    """Code → label, in the file's order (by code)."""
    with DATA.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row["display"] for row in csv.DictReader(handle, delimiter=";")}


def label_of(code: str) -> str:
    """The label of a TRE_G15 code ('' for an unknown or empty one)."""
    return professions().get(code, "")


def choices() -> list[tuple[str, str]]:
    """Form choices: the professions by label."""
    return sorted(professions().items(), key=lambda item: item[1])
