"""The person's record page (issue 4 §6): the current picture, gathered section by section.

`person_record()` returns one dataclass per section, or None when the reader may not see
it (`accounts.access.check`, which also knows break-the-glass grants). Each section costs
a fixed number of queries whatever the size of the person's history: lists are cut in
SQL (the next 5 events, the 5 latest notes), "current" rows are chosen in SQL (the
running or latest PP version of each current stay, the latest VALIDE AGGIR grid), and the
stays are read once with their latest contract annotated (stays.overdue).

Alerts follow the section they belong to, so a reader never learns from an alert what
the section would hide:

- contract steps overdue (stays.rules.overdue_items on the latest contract of each
  current stay): administrative data, `person.view_administrative`;
- PP review overdue (running version whose stored `next_review_due` is past) and first
  PP overdue (current stay admitted more than 6 months ago without any validated
  version, CASF D311): `person.view_social`, like the PP section;
- AGGIR evaluation overdue: `person.view_care`, like the GIR section. Chosen rule
  (`evaluations.rules.aggir_due`, which says why): a person with a current stay in an
  EHPAD (FINESS category 500) whose latest VALIDE grid was evaluated more than 12 months
  ago, or who has no VALIDE grid more than 30 days after admission (the entry
  evaluation takes the first weeks: no alert before).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from opendui.accompaniment.models import PersonalisedProject
from opendui.accompaniment.rules import (
    PROJECT_STATUS_LABELS,
    RUNNING,
    ProjectStatus,
    first_objectives_due,
    is_overdue,
)
from opendui.accounts.access import check
from opendui.agenda.models import EventParticipant
from opendui.agenda.rules import Status as EventStatus
from opendui.agenda.selectors import person_events
from opendui.evaluations.models import AggirEvaluation
from opendui.evaluations.rules import AGGIR_ENTRY_DAYS, AGGIR_MONTHS, aggir_due
from opendui.evaluations.selectors import current_gir
from opendui.notes.models import Note
from opendui.notes.selectors import categories_for, person_timeline
from opendui.stays.models import AdmissionRequest, Stay
from opendui.stays.overdue import describe_contract, with_latest_contract
from opendui.stays.rules import AdmissionStatus

from .models import Person

UPCOMING_EVENTS = 5
LATEST_NOTES = 5
EHPAD_CATEGORY = "500"  # FINESS category of the EHPAD
#: Admission requests still open: the person waits for a place.
OPEN_REQUESTS = [
    AdmissionStatus.RECEIVED,
    AdmissionStatus.UNDER_REVIEW,
    AdmissionStatus.ACCEPTED,
    AdmissionStatus.WAITING_LIST,
]


@dataclass(frozen=True)
class Alert:
    section: str  # the section it belongs to (its permission)
    message: str  # French, no more personal data than the section shows


@dataclass(frozen=True)
class StaysSection:
    stays: list[Stay]  # whole history, newest first (as before issue 4)
    current: list[Stay]
    waiting: list[AdmissionRequest]  # open requests, only when no stay is current


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


@dataclass(frozen=True)
class GirSection:
    grid: AggirEvaluation | None
    ehpad_resident: bool
    reevaluation_due: dt.date | None
    overdue: bool


@dataclass(frozen=True)
class EventsSection:
    participations: list[EventParticipant]


@dataclass(frozen=True)
class NotesSection:
    notes: list[Note]


@dataclass(frozen=True)
class PersonRecord:
    person: Person
    today: dt.date
    stays: StaysSection | None
    project: ProjectSection | None
    gir: GirSection | None
    events: EventsSection | None
    notes: NotesSection | None
    alerts: list[Alert] = field(default_factory=list)

    @property
    def sections(self) -> list[str]:
        """Names of the sections shown (for the audit trail: no personal data)."""
        names = ["identity"]
        for name in ("stays", "project", "gir", "events", "notes"):
            if getattr(self, name) is not None:
                names.append(name)
        if self.alerts:
            names.append("alerts")
        return names


def _allowed(user: Any, code: str, person: Person) -> bool:
    return bool(check(user, code, person=person))


def _is_current(stay: Stay, today: dt.date) -> bool:
    return stay.start_date <= today and (stay.end_date is None or stay.end_date >= today)


def _stays(person: Person, today: dt.date) -> StaysSection:
    stays = list(
        with_latest_contract(
            Stay.objects.filter(person=person).select_related(
                "facility", "facility__category", "unit"
            )
        ).order_by("-start_date", "-pk")
    )
    current = [s for s in stays if _is_current(s, today)]
    waiting: list[AdmissionRequest] = []
    if not current:
        waiting = list(
            AdmissionRequest.objects.filter(person=person, status__in=OPEN_REQUESTS)
            .select_related("facility")
            .order_by("-received_on", "-pk")
        )
    return StaysSection(stays, current, waiting)


def _contract_alerts(current: list[Stay], today: dt.date) -> list[Alert]:
    alerts = []
    for stay in current:
        for label, due in describe_contract(stay, today).items:
            alerts.append(
                Alert(
                    "stays",
                    f"Contrat ({stay.facility.name}) : {label} en retard "
                    f"(échéance le {due:%d/%m/%Y}).",
                )
            )
    return alerts


def _project(current: list[Stay], today: dt.date) -> ProjectSection:
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


def _project_alerts(section: ProjectSection) -> list[Alert]:
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


def _gir(person: Person, current: list[Stay], today: dt.date) -> GirSection:
    grid = current_gir(person)
    admissions = [s.start_date for s in current if s.facility.category.code == EHPAD_CATEGORY]
    ehpad = bool(admissions)
    # The resident's first admission among their current EHPAD stays starts the clock.
    due = aggir_due(min(admissions) if ehpad else None, grid.evaluated_on if grid else None)
    overdue = ehpad and is_overdue(due, today)
    return GirSection(grid, ehpad, due, overdue)


def _gir_alerts(section: GirSection) -> list[Alert]:
    if not section.overdue:
        return []
    if section.grid is None:
        return [
            Alert(
                "gir",
                "Évaluation AGGIR : aucune grille validée pour ce résident d'EHPAD, attendue "
                f"au plus tard le {section.reevaluation_due:%d/%m/%Y} "
                f"({AGGIR_ENTRY_DAYS} jours après l'admission).",
            )
        ]
    return [
        Alert(
            "gir",
            f"Évaluation AGGIR de plus de {AGGIR_MONTHS} mois : à refaire depuis "
            f"le {section.reevaluation_due:%d/%m/%Y}.",
        )
    ]


def _events(person: Person, now: dt.datetime) -> EventsSection:
    """The next events where the person takes part, never their report (not even loaded)."""
    rows = (
        person_events(person.pk, now, upcoming=True)
        .exclude(event__status=EventStatus.CANCELLED.value)
        .defer("event__report", "event__non_realisation_reason")[:UPCOMING_EVENTS]
    )
    return EventsSection(list(rows))


def _notes(user: Any, person: Person) -> NotesSection | None:
    """The latest notes of the categories the reader may read (notes.selectors decides)."""
    categories = categories_for(user, person)
    if not categories:
        return None
    return NotesSection(list(person_timeline(person, categories)[:LATEST_NOTES]))


def person_record(user: Any, person: Person, now: dt.datetime | None = None) -> PersonRecord:
    """Every section of the record page the user may see; None for the others.

    The caller has already checked `person.view_identity` (the page itself)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    stays = _stays(person, today)
    current = stays.current
    alerts: list[Alert] = []
    if _allowed(user, "person.view_administrative", person):
        alerts += _contract_alerts(current, today)
    project = None
    if _allowed(user, "person.view_social", person):
        project = _project(current, today)
        alerts += _project_alerts(project)
    gir = None
    if _allowed(user, "person.view_care", person):
        gir = _gir(person, current, today)
        alerts += _gir_alerts(gir)
    events = _events(person, now) if _allowed(user, "person.view_identity", person) else None
    return PersonRecord(
        person=person,
        today=today,
        stays=stays,
        project=project,
        gir=gir,
        events=events,
        notes=_notes(user, person),
        alerts=alerts,
    )
