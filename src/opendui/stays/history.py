"""A request's history as the team reads it: each step with who, when, why and what changed.

The rows are `AdmissionRequestChange`s (one query with their authors); edited values are
stored in their JSON form and shown here in French (dates as JJ/MM/AAAA, priorities by
their label, empty values as "–").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from .models import AdmissionPriority, AdmissionRequest, AdmissionRequestChange

EMPTY = "–"


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryRow:
    change: AdmissionRequestChange
    fields: list[FieldChange]

    @property
    def by(self) -> str:
        user = self.change.by
        return user.full_name if user is not None else "traitement automatique"


def _shown(name: str, value: Any) -> str:
    if value in (None, ""):
        return EMPTY
    if name == "priority":
        return str(dict(AdmissionPriority.choices).get(value, value))
    if isinstance(value, str) and name.endswith(("_date", "_until")):
        try:
            return f"{dt.date.fromisoformat(value):%d/%m/%Y}"
        except ValueError:
            return value
    return str(value)


def _label(name: str) -> str:
    try:
        return str(AdmissionRequest._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:  # a field removed since: show its code
        return name


def history_rows(admission: AdmissionRequest) -> list[HistoryRow]:
    """The request's steps, oldest first (one query)."""
    rows = []
    for change in admission.history.select_related("by").order_by("at", "pk"):
        fields = [
            FieldChange(_label(name), _shown(name, before), _shown(name, after))
            for name, (before, after) in sorted((change.changes or {}).items())
        ]
        rows.append(HistoryRow(change, fields))
    return rows
