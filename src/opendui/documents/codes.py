"""Document types and classes, read from the code lists under nomenclatures/data/.

A type is a (system, code) pair: a JDV_J07 code (national XDS typeCode CI-SIS) or one of
OpenDUI's medico-social types (`opendui_document_types.csv`). Each carries the data
category and the JDV_J06 class proposed by default. The files are read once per process.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "nomenclatures" / "data"
J07_FILE = DATA / "jdv_j07_type_codes.csv"
J06_FILE = DATA / "jdv_j06_class_codes.csv"
LOCAL_FILE = DATA / "opendui_document_types.csv"
J07_VERSION = "JDV_J07-XdsTypeCode-CISIS 20260629120000"
J06_VERSION = "JDV_J06-XdsClassCode-CISIS 20230922120000"


@dataclass(frozen=True)
class DocumentType:
    system: str  # "J07" or "LOCAL" (models.TypeSystem)
    code: str
    label: str
    default_category: str
    default_class: str

    @property
    def key(self) -> str:
        """The value of the form's type choice: "<system>:<code>"."""
        return f"{self.system}:{self.code}"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def document_types() -> dict[tuple[str, str], DocumentType]:
    """Every type by (system, code): the local types first, then JDV_J07."""
    types: dict[tuple[str, str], DocumentType] = {}
    for row in _rows(LOCAL_FILE):
        types[("LOCAL", row["code"])] = DocumentType(
            "LOCAL", row["code"], row["display"], row["default_category"], row["default_class"]
        )
    for row in _rows(J07_FILE):
        types[("J07", row["code"])] = DocumentType(
            "J07", row["code"], row["display"], row["default_category"], row["default_class"]
        )
    return types


@cache
def class_codes() -> dict[str, str]:
    """JDV_J06 classes: {code: label}."""
    return {row["code"]: row["display"] for row in _rows(J06_FILE)}


def document_type(system: str, code: str) -> DocumentType | None:
    return document_types().get((system, code))


def type_from_key(key: str) -> DocumentType | None:
    system, _sep, code = (key or "").partition(":")
    return document_type(system, code)
