"""Creating and updating agenda events (one, or a series) — every write of the agenda
except status, presence and report (agenda.services_status).

Each service checks permissions (agenda.access), validates (French messages, nothing
saved on refusal), writes in one transaction with its audit row and its EventChange
rows (the ESMS Numérique "événement"), and detects concurrent edits (`expected_version`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from opendui.accounts.permissions import DataCategory
from opendui.audit.models import EventKind as AuditKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.nomenclatures.serafin import SERVICES, code_problem
from opendui.organisations.models import Facility, Unit

from .access import require_category, require_write
from .audit import locked, save_event, snapshot_of
from .changes import record_event_changes
from .models import ChangeKind, Event, EventKind, EventParticipant, EventProfessional, Series
from .recurrence import RecurrenceError, Rule, occurrences
from .rules import OPEN_STATUSES, Status, period_problem
from .selectors import professionals_of


class Scope:
    """Which occurrences of a series an edit applies to."""

    ONE = "une"
    FOLLOWING = "suivantes"


@dataclass
class EventData:
    facility: Facility
    kind: str
    title: str
    start: dt.datetime
    end: dt.datetime
    unit: Unit | None = None
    place: str = ""
    serafin_code: str = ""
    category: str = DataCategory.SOCIAL.value
    persons: Sequence[Any] = field(default_factory=list)
    professionals: Sequence[Any] = field(default_factory=list)
    pp_service: Any = None  # accompaniment.Service the event carries out, if any

    @property
    def person_ids(self) -> set[int]:
        return {p.pk for p in self.persons}

    @property
    def professional_ids(self) -> set[int]:
        return {u.pk for u in self.professionals}


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value, local_tz())


def pp_service_problem(service: Any, person_ids: set[int]) -> str | None:
    """An event carries out a service of a running PP of one of its participants."""
    from opendui.accompaniment.rules import ProjectStatus

    project = service.project
    if project.person_id not in person_ids:
        return (
            "La prestation choisie appartient au projet personnalisé d'une personne qui ne "
            "participe pas à l'événement."
        )
    if project.status != ProjectStatus.ACTIVE:
        return "La prestation choisie n'appartient pas à un projet personnalisé en cours."
    return None


def validate(data: EventData) -> None:
    """Every refusal of the data as one ValidationError keyed by form field."""
    errors: dict[str, str] = {}
    data.title = (data.title or "").strip()
    if not data.title:
        errors["title"] = "Indiquez l'intitulé de l'événement."
    if data.kind not in EventKind.values:
        errors["kind"] = "Nature d'événement inconnue."
    if data.category not in {c.value for c in DataCategory}:
        errors["category"] = "Catégorie de données inconnue."
    if data.start is None or data.end is None:
        errors["end"] = "Indiquez le début et la fin de l'événement."
    else:
        problem = period_problem(_local(data.start), _local(data.end))
        if problem:
            errors["end"] = problem
    if data.unit is not None and data.unit.facility_id != data.facility.pk:
        errors["unit"] = f"L'unité « {data.unit} » n'appartient pas à « {data.facility} »."
    data.serafin_code = (data.serafin_code or "").strip()
    if data.pp_service is not None:
        problem = pp_service_problem(data.pp_service, data.person_ids)
        if problem:
            errors["pp_service"] = problem
        elif not data.serafin_code:
            data.serafin_code = data.pp_service.code  # the event is of the service's type
    if data.serafin_code:
        problem = code_problem(data.serafin_code, *SERVICES)
        if problem:
            errors["serafin_code"] = problem
    if data.professional_ids:
        known = set(
            professionals_of(data.facility)
            .filter(pk__in=data.professional_ids)
            .values_list("pk", flat=True)
        )
        if known != data.professional_ids:
            errors["professionals"] = (
                f"Un des professionnels choisis n'est pas affecté à « {data.facility} »."
            )
    if not data.person_ids and not data.professional_ids:
        errors["persons"] = "Choisissez au moins une personne accompagnée ou un professionnel."
    if errors:
        raise ValidationError(errors)


def _fields(event: Event, data: EventData) -> None:
    event.facility = data.facility
    event.unit = data.unit
    event.kind = data.kind
    event.title = data.title
    event.place = data.place or ""
    event.serafin_code = data.serafin_code
    event.category = data.category
    event.pp_service = data.pp_service


def sync_copies(event_ids: Sequence[int]) -> None:
    """Copy events' start/end/status onto their participant and professional rows."""
    events = Event.objects.filter(pk=OuterRef("event_id"))
    EventParticipant.objects.filter(event_id__in=event_ids).update(
        start=Subquery(events.values("start")[:1])
    )
    EventProfessional.objects.filter(event_id__in=event_ids).update(
        start=Subquery(events.values("start")[:1]), end=Subquery(events.values("end")[:1])
    )
    EventProfessional.objects.filter(event_id__in=event_ids, event__status=Status.CANCELLED).update(
        cancelled=True
    )
    EventProfessional.objects.filter(event_id__in=event_ids).exclude(
        event__status=Status.CANCELLED
    ).update(cancelled=False)


def set_links(events: Sequence[Event], person_ids: set[int], user_ids: set[int]) -> None:
    """Make exactly these persons and professionals take part in each of `events`.

    Removing a person deletes the link row (a correction of who was expected); the
    audit row of the change names the persons removed.
    """
    ids = [e.pk for e in events]
    EventParticipant.objects.filter(event_id__in=ids).exclude(person_id__in=person_ids).delete()
    EventProfessional.objects.filter(event_id__in=ids).exclude(user_id__in=user_ids).delete()
    EventParticipant.objects.bulk_create(
        [EventParticipant(event=e, person_id=p, start=e.start) for e in events for p in person_ids],
        ignore_conflicts=True,
        batch_size=1000,
    )
    EventProfessional.objects.bulk_create(
        [
            EventProfessional(
                event=e, user_id=u, start=e.start, end=e.end, cancelled=e.status == Status.CANCELLED
            )
            for e in events
            for u in user_ids
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    sync_copies(ids)


def create_event(actor: Actor, data: EventData, rule: Rule | None = None) -> list[Event]:
    """Create one event, or the occurrences of a series; returns the events created."""
    require_write(actor.user, data.facility, data.person_ids, data.category)
    require_category(actor.user, data.facility, data.category, data.person_ids)
    validate(data)
    periods = [(data.start, data.end)]
    if rule is not None:
        try:
            periods = occurrences(data.start, data.end, rule, local_tz())
        except RecurrenceError as error:
            raise ValidationError({"repeat": str(error)}) from error
        if not periods:
            raise ValidationError({"repeat": "Cette répétition ne donne aucune date."})
    person_ids = sorted(data.person_ids)
    with transaction.atomic():
        series = None
        if rule is not None:
            series = Series.objects.create(
                facility=data.facility,
                frequency=rule.frequency,
                interval=rule.interval,
                weekdays=",".join(str(d) for d in sorted(set(rule.weekdays))),
                until=rule.until,
                count=rule.count,
                created_by=actor.user,
            )
        events = []
        for start, end in periods:
            event = Event(start=start, end=end, created_by=actor.user, series=series)
            _fields(event, data)
            events.append(event)
        if series is None:
            save_event(actor, events[0], "event.create", None, person_ids)
        else:
            Event.objects.bulk_create(events, batch_size=500)
            record(
                actor,
                AuditKind.CHANGE,
                "event.create_series",
                obj=events[0],
                person_ids=person_ids,
                details={
                    "series": series.pk,
                    "events": [e.pk for e in events],
                    "rule": {"frequency": rule.frequency, "interval": rule.interval},
                },
                organisation_id=data.facility.organisation_id,
                facility_id=data.facility.pk,
            )
        set_links(events, data.person_ids, data.professional_ids)
        record_event_changes(actor, [(e, person_ids) for e in events], ChangeKind.CREATE)
    return events


def _following(event: Event) -> list[Event]:
    """The later occurrences of the event's series still open (planned or validated)."""
    if event.series_id is None:
        return []
    return list(
        Event.objects.select_for_update()
        .filter(series_id=event.series_id, start__gt=event.start, status__in=OPEN_STATUSES)
        .exclude(pk=event.pk)
        .order_by("start")
    )


def _moved(
    occurrence: Event, old_start: dt.datetime, data: EventData
) -> tuple[dt.datetime, dt.datetime]:
    """A later occurrence moved like the edited one, in wall-clock time: same day shift,
    the new local start time and the new duration."""
    tz = local_tz()
    day_shift = _local(data.start).date() - _local(old_start).date()
    new_local_start = _local(data.start).replace(tzinfo=None)
    wall = _local(data.end).replace(tzinfo=None) - new_local_start
    day = _local(occurrence.start).date() + day_shift
    naive = dt.datetime.combine(day, new_local_start.time())
    start, end = naive.replace(tzinfo=tz), (naive + wall).replace(tzinfo=tz)
    return start, end if end > start else start + wall


def update_event(
    actor: Actor,
    event: Event,
    data: EventData,
    *,
    expected_version: int | None,
    scope: str = Scope.ONE,
) -> list[Event]:
    """Change an event (and, with Scope.FOLLOWING, the later open occurrences of its series).

    Returns the events changed. A cancelled event does not change any more.
    """
    with transaction.atomic():
        current = locked(event, expected_version)
        if current.status == Status.CANCELLED:
            raise ValidationError("Un événement annulé ne se modifie plus.")
        others = _following(current) if scope == Scope.FOLLOWING else []
        touched = [current, *others]
        old_persons = set(
            EventParticipant.objects.filter(event__in=touched).values_list("person_id", flat=True)
        )
        concerned = old_persons | data.person_ids
        require_write(actor.user, current.facility, concerned, current.category)
        if data.category != current.category:
            require_write(actor.user, current.facility, concerned, data.category)
            require_category(actor.user, current.facility, data.category, concerned)
        data.facility = current.facility  # an event does not move to another facility
        validate(data)
        before = snapshot_of(current)
        old_start = current.start
        _fields(current, data)
        current.start, current.end = data.start, data.end
        removed = sorted(old_persons - data.person_ids)
        details = {"persons_removed": removed} if removed else {}
        if others:
            details["following"] = [e.pk for e in others]
        save_event(actor, current, "event.update", before, sorted(concerned), details)
        for other in others:
            other_before = snapshot_of(other)
            _fields(other, data)
            other.start, other.end = _moved(other, old_start, data)
            problem = period_problem(_local(other.start), _local(other.end))
            if problem:
                raise ValidationError({"end": problem})
            save_event(
                actor,
                other,
                "event.update",
                other_before,
                sorted(concerned),
                {"series_edit_from": current.pk},
            )
        set_links(touched, data.person_ids, data.professional_ids)
        record_event_changes(actor, [(e, concerned) for e in touched], ChangeKind.UPDATE)
    return touched
