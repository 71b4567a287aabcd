"""The projet personnalisé's part of a person's record (persons.sections): the tab, the
PP block of the synthèse with its alerts, and the banner's "PP en retard".

For each current stay: its running version if any, else its latest, chosen in SQL (one
query whatever the number of versions). Alerts (CASF D311): review overdue (running
version whose stored `next_review_due` is past) and first PP overdue (current stay
admitted more than 6 months ago without any validated version). Social data:
`person.view_social`, like the PP pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from opendui.persons.sections import Alert, BannerPart, Block, RecordReading
from opendui.stays.models import Stay
from opendui.stays.record import current_stays

from .base import READ
from .models import PersonalisedProject
from .rules import (
    PROJECT_STATUS_LABELS,
    RUNNING,
    ProjectStatus,
    first_objectives_due,
    is_overdue,
)


@dataclass(frozen=True)
class ProjectLine:
    stay: Stay
    version: PersonalisedProject | None  # running version, else latest; None: no PP yet
    status_label: str
    next_review_due: dt.date | None
    review_overdue: bool
    draft_in_progress: bool  # a new version is being prepared next to the running one
    first_due: dt.date
    first_overdue: bool  # no validated version past the 6-month deadline


@dataclass(frozen=True)
class ProjectSection:
    lines: list[ProjectLine]


def project_section(current: list[Stay], today: dt.date) -> ProjectSection:
    """For each current stay, its running version if any, else its latest (one query)."""
    if not current:
        return ProjectSection([])
    newer = PersonalisedProject.objects.filter(stay=OuterRef("stay"), number__gt=OuterRef("number"))
    validated = PersonalisedProject.objects.filter(
        stay=OuterRef("stay"), validated_at__isnull=False
    )
    rows = (
        PersonalisedProject.objects.filter(stay__in=[s.pk for s in current])
        .filter(Q(status__in=[s.value for s in RUNNING]) | ~Q(Exists(newer)))
        .annotate(stay_has_validated=Exists(validated))
        .order_by("stay_id", "-number")
    )
    by_stay: dict[int, list[PersonalisedProject]] = {}
    for row in rows:
        by_stay.setdefault(row.stay_id, []).append(row)
    lines = []
    for stay in current:
        versions = by_stay.get(stay.pk, [])
        running = next((v for v in versions if v.status in RUNNING), None)
        latest = versions[0] if versions else None
        shown = running or latest
        first_due = first_objectives_due(stay.start_date)
        has_validated = bool(latest and latest.stay_has_validated)
        due = shown.next_review_due if shown is not None and shown.is_running else None
        lines.append(
            ProjectLine(
                stay=stay,
                version=shown,
                status_label=PROJECT_STATUS_LABELS[ProjectStatus(shown.status)] if shown else "",
                next_review_due=due,
                review_overdue=is_overdue(due, today),
                draft_in_progress=bool(
                    running and latest and latest.pk != running.pk and latest.is_draft
                ),
                first_due=first_due,
                first_overdue=not has_validated and is_overdue(first_due, today),
            )
        )
    return ProjectSection(lines)


def project_alerts(section: ProjectSection) -> list[Alert]:
    alerts = []
    for line in section.lines:
        where = line.stay.facility.name
        if line.review_overdue:
            alerts.append(
                Alert(
                    "project",
                    f"Projet personnalisé ({where}) : bilan en retard, attendu au plus tard "
                    f"le {line.next_review_due:%d/%m/%Y}.",
                )
            )
        if line.first_overdue:
            alerts.append(
                Alert(
                    "project",
                    f"Projet personnalisé ({where}) : aucun projet validé, attendu au plus tard "
                    f"le {line.first_due:%d/%m/%Y} (6 mois après l'admission).",
                )
            )
    return alerts


def _section(reading: RecordReading) -> ProjectSection:
    return reading.shared(
        "accompaniment.project",
        lambda: project_section(current_stays(reading), reading.today),
    )


def project_block(reading: RecordReading) -> Block | None:
    if not reading.allowed(READ):
        return None
    section = _section(reading)
    return Block(
        "project",
        "accompaniment/_record_project.html",
        section,
        tuple(project_alerts(section)),
    )


def project_banner(reading: RecordReading) -> BannerPart | None:
    if not reading.allowed(READ):
        return None
    if any(line.review_overdue or line.first_overdue for line in _section(reading).lines):
        return BannerPart(alerts=(_("Projet personnalisé en retard"),))
    return None
