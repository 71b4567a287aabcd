"""The DMP "matrice d'habilitations": who may read which document types, and who may send.

Reading: the arrêté of 26 October 2023 (JO 29/10/2023) gives, per profession or RPPS+
"genre d'activité" and per document type, whether a professional taking care of the person
may read it. It is encoded as data under nomenclatures/data/ (`dmp_habilitations.csv`,
`dmp_document_groups.csv`; source and status in that folder's README) and read here once
per process. Deny by default: an unknown profession, type or role reads nothing.

A professional is looked up under their profession (`G15:60`…) and under their genre
d'activité (`GENR11`…): a social professional registered in RPPS+ reads through the
latter. Either allowing is enough; an explicit 0 on either refuses.

Sending: any professional who may write the document's data category on that person
(`person.edit_<category>`, the same right as replacing it in the store) may send it; the
DMP itself accepts documents from every professional taking care of the person.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "nomenclatures" / "data"
MATRIX_FILE = DATA / "dmp_habilitations.csv"
GROUPS_FILE = DATA / "dmp_document_groups.csv"
EVERY_TYPE = "*"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@cache
def type_groups() -> dict[str, str]:
    """JDV_J07 type code → its group."""
    groups: dict[str, str] = {}
    for row in _rows(GROUPS_FILE):
        if row["type_code"] in groups:
            raise ValueError(f"type {row['type_code']} in two groups")
        groups[row["type_code"]] = row["group"]
    return groups


@cache
def matrix() -> dict[tuple[str, str], bool]:
    """(subject, group or "*") → read allowed."""
    known = set(type_groups().values()) | {EVERY_TYPE}
    rules: dict[tuple[str, str], bool] = {}
    for row in _rows(MATRIX_FILE):
        if row["group"] not in known:
            raise ValueError(f"unknown group {row['group']}")
        rules[(row["subject"], row["group"])] = row["read"] == "1"
    return rules


def _subject_allows(subject: str, type_code: str) -> bool | None:
    """True/False when the matrix says so for this subject, None when it says nothing."""
    if not subject:
        return None
    rules = matrix()
    group = type_groups().get(type_code)
    if group is not None and (subject, group) in rules:
        return rules[(subject, group)]
    return rules.get((subject, EVERY_TYPE))


def may_read(profession_code: str, activity_role: str, type_code: str) -> bool:
    """May a professional of `profession_code` (accounts' `G15:10`, `SOC:51`, `AUTRE`)
    with the genre d'activité `activity_role` (`GENR08`…`GENR12` or "") read a DMP
    document of JDV_J07 type `type_code`? Deny by default."""
    answers = [
        _subject_allows(profession_code, type_code),
        _subject_allows(activity_role, type_code),
    ]
    if False in answers:
        return False
    return True in answers


def readable_types(profession_code: str, activity_role: str) -> frozenset[str] | None:
    """The type codes this professional may read; None means every type (a "*" row and
    no explicit refusal)."""
    rules = matrix()
    subjects = {s for s in (profession_code, activity_role) if s}
    every = any(rules.get((s, EVERY_TYPE)) for s in subjects)
    refused = any(not allowed for (s, _g), allowed in rules.items() if s in subjects)
    if every and not refused:
        return None
    return frozenset(c for c in type_groups() if may_read(profession_code, activity_role, c))


def may_send(user: Any, document: Any) -> bool:
    """May `user` send `document` (a documents.Document) to the DMP: the write right on
    its data category for its person."""
    from opendui.accounts.access import check

    return bool(check(user, f"person.edit_{document.data_category}", person=document.person))
