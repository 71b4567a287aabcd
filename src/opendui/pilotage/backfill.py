"""Rebuild the indicator tables from the audit trail (`opendui indicateurs_rattrapage`).

For an installation whose trail predates the audit hook (usage_hook.py): every change event
naming persons becomes a RecordActivity row (by_job when it had no user), and every change
of a PP version row becomes a ProjectChange row with the status it left (the status in the
event's changes, else the last one known for that version); a change of a PP section
becomes a row without status when its version is known from the event (`project_id` in
its changes or removed values). Idempotent:
the tables are emptied and refilled in one transaction. Reads the trail in batches of
`batch` events ordered by sequence number.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from opendui.audit.models import AuditEvent, EventKind

from .cache import forget
from .models import ProjectChange, RecordActivity
from .usage_hook import insert_record_activity

PP_VERSION = "accompaniment.personalisedproject"


def _project_id(event: AuditEvent) -> int | None:
    if event.object_type == PP_VERSION:
        return int(event.object_id)
    changes = (event.details or {}).get("changes") or {}
    value = changes.get("project_id") or (event.details or {}).get("removed", {}).get("project_id")
    if isinstance(value, list):  # [before, after]
        value = value[-1]
    return int(value) if value else None


def rebuild(batch: int = 5000) -> dict[str, int]:
    """Refill both tables from the trail; returns the rows written per table."""
    statuses: dict[int, str] = {}
    written = {"activite_dossiers": 0, "modifications_pp": 0}
    with transaction.atomic():
        RecordActivity.objects.all().delete()
        ProjectChange.objects.all().delete()
        last = 0
        while True:
            events = list(
                AuditEvent.objects.filter(kind=EventKind.CHANGE, seq__gt=last)
                .order_by("seq")
                .only(
                    "seq",
                    "occurred_at",
                    "user_id",
                    "object_type",
                    "object_id",
                    "person_ids",
                    "details",
                    "facility_id",
                )[:batch]
            )
            if not events:
                break
            last = events[-1].seq
            rows, projects = set(), []
            for event in events:
                by_job = event.user_id is None
                day = timezone.localdate(event.occurred_at)
                rows.update((int(pk), day, by_job) for pk in event.person_ids)
                if not event.object_type.startswith("accompaniment.") or not event.facility_id:
                    continue
                project = _project_id(event)
                if project is None:
                    continue
                status = ""  # a section's write: an événement, not a status
                if event.object_type == PP_VERSION:
                    change = ((event.details or {}).get("changes") or {}).get("status")
                    if change:
                        statuses[project] = change[-1]
                    status = statuses.get(project, "")
                projects += [
                    ProjectChange(
                        project_id=project,
                        person_id=pk,
                        facility_id=event.facility_id,
                        changed_at=event.occurred_at,
                        status=status,
                        by_job=by_job,
                    )
                    for pk in event.person_ids
                ]
            insert_record_activity(sorted(rows))
            ProjectChange.objects.bulk_create(projects, batch_size=1000)
            written["modifications_pp"] += len(projects)
        written["activite_dossiers"] = RecordActivity.objects.count()
        forget()  # kept months were computed from the old rows
    return written
