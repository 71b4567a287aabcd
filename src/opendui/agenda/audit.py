"""Audited saves of events without copying report texts into the trail.

core.services.save_audited snapshots every field; an event's report may hold
psychological or medical observations, and the audit trail is read by the DPO, who has
no access to them. The trail records that the report changed (and its length), not
its words; the event row keeps the text.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F

from opendui.audit.models import EventKind
from opendui.audit.services import diff, record, snapshot
from opendui.core.actor import Actor
from opendui.core.services import check_version

from .models import Event

HIDDEN = ("report", "non_realisation_reason")


def _safe(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (f"[{len(v)} caractères]" if k in HIDDEN and v else v) for k, v in values.items()}


def locked(event: Event, expected_version: int | None) -> Event:
    """The stored row, locked for the transaction; ConcurrentEditError on a stale version."""
    current = Event.objects.select_for_update().get(pk=event.pk)
    check_version(current.version, expected_version)
    return current


def save_event(
    actor: Actor,
    event: Event,
    action: str,
    before: dict[str, Any] | None,
    person_ids: list[int],
    details: dict[str, Any] | None = None,
) -> Event:
    """Insert or update `event` (version + 1 on update) and record the change.

    Call inside a transaction, after `locked()` for an update (`before` = its snapshot).
    """
    if before is not None:
        event.version = F("version") + 1
    event.save()
    if before is not None:
        event.refresh_from_db(fields=["version"])
    record(
        actor,
        EventKind.CHANGE,
        action,
        obj=event,
        person_ids=person_ids,
        details={
            "changes": diff(_safe(before) if before else None, _safe(snapshot(event))),
            "created": before is None,
            **(details or {}),
        },
        organisation_id=event.facility.organisation_id,
        facility_id=event.facility_id,
    )
    return event


def snapshot_of(event: Event) -> dict[str, Any]:
    return snapshot(event)
