"""Demo usage of the DUI for the indicators: record activity and PP status timelines.

The demo modules create their rows in bulk, without going through the audited services,
so the audit hook never sees them. This module writes what the hook would have written:
a `ProjectChange` row per PP creation, validation and pause (from the demo PPs), and
`RecordActivity` days: every day a professional wrote an agenda event or a PP, plus, each
month, a few days of other writes for a share of each facility's persons. That share
differs by facility (`ADOPTION`), so the dashboard shows facilities above and below target,
and a few records are touched only by a job (INSi re-check) to show that those do not
count.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from opendui.agenda.models import EventChange
from opendui.core.bulk import bulk_insert
from opendui.stays.models import Stay

from .definitions import add_months
from .models import ProjectChange
from .usage_hook import insert_record_activity

#: Share of a facility's persons whose record is updated in a month, by facility position.
ADOPTION = (0.985, 0.88, 0.97, 0.8, 0.995)
MONTHS = 14


def _pp_changes(organisation_id: int, rng: random.Random, today: dt.date) -> list[ProjectChange]:
    from opendui.accompaniment.models import PersonalisedProject

    rows = []
    projects = PersonalisedProject.objects.filter(
        stay__facility__organisation_id=organisation_id
    ).select_related("stay")
    for p in projects.order_by("pk"):
        steps = [(p.created_at, "ENPREPARATION")]
        if p.validated_at:
            steps.append((p.validated_at, "ENCOURS"))
            if p.status in {"ENPAUSE", "TERMINE"}:
                gap = max(1, (today - p.validated_on).days)
                steps.append((p.validated_at + dt.timedelta(days=rng.randrange(gap)), p.status))
        rows += [
            ProjectChange(
                project_id=p.pk,
                person_id=p.person_id,
                facility_id=p.stay.facility_id,
                changed_at=at,
                status=status,
            )
            for at, status in steps
        ]
    return rows


def seed_usage(
    organisation_id: int,
    facility_ids: Sequence[int],
    rng: random.Random,
    today: dt.date,
    stays: Sequence[tuple[int, int, dt.date, dt.date | None]] | None = None,
) -> int:
    """Write the demo's indicator rows; returns the number of activity rows.

    `stays`: (person id, facility id, start, end) of the persons given activity (the
    demo's sample, demo.activity); default: every stay of the facilities."""
    bulk_insert(ProjectChange, _pp_changes(organisation_id, rng, today))
    days: set[tuple[int, dt.date, bool]] = set()
    for model in (EventChange, ProjectChange):
        for person_id, at in (
            model.objects.filter(facility_id__in=facility_ids, by_job=False)
            .values_list("person_id", "changed_at")
            .iterator()
        ):
            days.add((person_id, timezone.localdate(at), False))
    first = add_months(today, -MONTHS)
    position = {pk: i for i, pk in enumerate(facility_ids)}
    if stays is None:
        stays = (
            Stay.objects.filter(facility_id__in=facility_ids)
            .order_by("pk")
            .values_list("person_id", "facility_id", "start_date", "end_date")
        )
    for stay in stays:
        person_id, facility_id, start, end = stay
        adoption = ADOPTION[position[facility_id] % len(ADOPTION)]
        month = max(first, add_months(start, 0))
        while month <= today and (end is None or month <= end):
            last = min(add_months(month, 1) - dt.timedelta(days=1), today, end or today)
            begin = max(month, start)
            if begin <= last and rng.random() < adoption:
                for _ in range(rng.randint(1, 3)):
                    days.add(
                        (
                            person_id,
                            begin + dt.timedelta(rng.randrange((last - begin).days + 1)),
                            False,
                        )
                    )
            if rng.random() < 0.03:
                days.add((person_id, begin if begin <= last else month, True))
            month = add_months(month, 1)
    insert_record_activity(sorted(days))
    return len(days)
