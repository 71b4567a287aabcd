"""Reads of the agenda: plannings, agendas, conflicts and the "événement" indicator.

Every list is bounded (a page of rows + 1) and served by an index: events by
(facility, start, end), a person's by (person, start) on EventParticipant, a
professional's by (user, start) on EventProfessional, and changes by
(facility_id, changed_at, person_id).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from opendui.accounts.access import scope_for
from opendui.accounts.models import Assignment, User
from opendui.organisations.models import Facility
from opendui.persons.models import Person
from opendui.persons.selectors import visible_persons

from .conflicts import Booking, conflicts
from .models import Event, EventChange, EventParticipant, EventProfessional
from .rules import MAX_DURATION


def professionals_of(facility: Facility) -> QuerySet[User]:
    """Active users with a current assignment in the facility (one of its units, or the
    whole organisation): those who may be booked on its events."""
    assignments = (
        Assignment.objects.active_on()
        .filter(user=OuterRef("pk"))
        .filter(
            Q(facility=facility)
            | Q(facility__isnull=True, organisation_id=facility.organisation_id)
        )
    )
    return User.objects.filter(Exists(assignments), is_active=True).order_by(
        "last_name", "first_name", "pk"
    )


def _restrict_to_visible(user: Any, facility: Facility, events: QuerySet[Event]) -> QuerySet[Event]:
    """Unit-level readers see the events of persons they see and team meetings; readers
    assigned to the whole facility (or organisation) see every event, without a filter."""
    scope = scope_for(user, "person.view_identity")
    if facility.organisation_id in scope.organisation_ids or facility.pk in scope.facility_ids:
        return events
    participants = EventParticipant.objects.filter(event=OuterRef("pk"))
    seen = visible_persons(user, facility).values("pk")
    return events.filter(~Exists(participants) | Exists(participants.filter(person_id__in=seen)))


def events_between(
    user: Any,
    facility: Facility,
    start: dt.datetime,
    end: dt.datetime,
    *,
    unit_id: int | None = None,
    offset: int = 0,
    limit: int = 300,
) -> tuple[list[Event], bool]:
    """Events of the facility overlapping [start, end), in start order, one page.

    Two index range scans: events starting in the period (paged), and on the first page
    those started up to MAX_DURATION before it and still running. Returns (events,
    has_more).
    """
    base = _restrict_to_visible(user, facility, Event.objects.filter(facility=facility))
    if unit_id is not None:
        base = base.filter(unit_id=unit_id)
    base = base.select_related("unit").only(
        "id",
        "facility_id",
        "unit_id",
        "unit__name",
        "kind",
        "title",
        "place",
        "start",
        "end",
        "status",
        "series_id",
        "category",
    )
    carried: list[Event] = []
    if offset == 0:
        carried = list(
            base.filter(start__gte=start - MAX_DURATION, start__lt=start, end__gt=start).order_by(
                "start", "id"
            )[:limit]
        )
    rows = list(
        base.filter(start__gte=start, start__lt=end).order_by("start", "id")[
            offset : offset + limit + 1
        ]
    )
    return carried + rows[:limit], len(rows) > limit


@dataclass(frozen=True)
class PersonName:
    """What plannings show of a person (and record_person_access needs): no model
    instance, since building 1 000 of them was a third of a planning page's time."""

    pk: int
    organisation_id: int
    display_name: str


@dataclass(frozen=True)
class Participation:
    event_id: int
    person_id: int
    present: str
    person: PersonName


@dataclass(frozen=True)
class Booked:
    event_id: int
    user_id: int
    full_name: str


def participants_of(event_ids: Sequence[int]) -> dict[int, list[Participation]]:
    """Participants of the events, sorted by name: two index scans, no model instances.

    Joining persons in the same query made PostgreSQL hash-join the whole person table
    (50 ms at 100 000 persons); fetching the persons by primary key afterwards is 1 ms.
    """
    rows = list(
        EventParticipant.objects.filter(event_id__in=event_ids).values_list(
            "event_id", "person_id", "present"
        )
    )
    persons = {}
    for pk, organisation_id, birth, first, used, used_first in Person.objects.filter(
        pk__in={r[1] for r in rows}
    ).values_list(
        "pk", "organisation_id", "birth_name", "first_name", "used_name", "used_first_name"
    ):
        # Person.display_name, without the instance.
        persons[pk] = PersonName(
            pk, organisation_id, f"{(used or birth).upper()} {used_first or first}"
        )
    by_event: dict[int, list[Participation]] = defaultdict(list)
    for event_id, person_id, present in rows:
        by_event[event_id].append(Participation(event_id, person_id, present, persons[person_id]))
    for items in by_event.values():
        items.sort(key=lambda r: (r.person.display_name, r.person_id))
    return by_event


def professionals_on(event_ids: Sequence[int]) -> dict[int, list[Booked]]:
    by_event: dict[int, list[Booked]] = defaultdict(list)
    for event_id, user_id, first, last in (
        EventProfessional.objects.filter(event_id__in=event_ids)
        .order_by("user__last_name", "user__first_name", "pk")
        .values_list("event_id", "user_id", "user__first_name", "user__last_name")
    ):
        # User.full_name, without the instance.
        by_event[event_id].append(Booked(event_id, user_id, f"{first} {last.upper()}".strip()))
    return by_event


@dataclass(frozen=True)
class Conflict:
    event_id: int
    professional_id: int
    other_event_id: int
    other_start: dt.datetime
    other_end: dt.datetime


def conflicts_of(event_ids: Iterable[int]) -> dict[int, list[Conflict]]:
    """Double bookings involving these events: two queries whatever their number.

    The bookings of their professionals over the events' time window (index (user,
    start) range scans) are read, then agenda.conflicts finds the overlaps.
    """
    ids = set(event_ids)
    if not ids:
        return {}
    mine = list(
        EventProfessional.objects.filter(event_id__in=ids, cancelled=False).values_list(
            "event_id", "user_id", "start", "end"
        )
    )
    if not mine:
        return {}
    low = min(row[2] for row in mine) - MAX_DURATION
    high = max(row[3] for row in mine)
    bookings = EventProfessional.objects.filter(
        user_id__in={row[1] for row in mine}, cancelled=False, start__gte=low, start__lt=high
    ).values_list("event_id", "user_id", "start", "end")
    periods = {}
    items = []
    for event_id, user_id, start, end in bookings:
        periods[event_id] = (start, end)
        items.append(Booking(event_id, user_id, start, end))
    found: dict[int, list[Conflict]] = defaultdict(list)
    for professional, a, b in conflicts(items):
        for this, other in ((a, b), (b, a)):
            if this in ids:
                found[this].append(Conflict(this, professional, other, *periods[other]))
    for rows in found.values():
        rows.sort(key=lambda c: (c.other_start, c.other_event_id))
    return dict(found)


def week_conflicts(facility: Facility, monday: dt.datetime) -> dict[int, list[Conflict]]:
    """Conflicts of the facility's non-cancelled events starting in the week of `monday`."""
    ids = (
        Event.objects.filter(
            facility=facility, start__gte=monday, start__lt=monday + dt.timedelta(days=7)
        )
        .exclude(status="ANNULE")
        .values_list("pk", flat=True)
    )
    return conflicts_of(list(ids))


def person_events(
    person_id: int, now: dt.datetime, *, upcoming: bool
) -> QuerySet[EventParticipant]:
    """A person's events from now on (ascending) or before now (descending), to be paged."""
    rows = EventParticipant.objects.filter(person_id=person_id).select_related(
        "event", "event__facility"
    )
    if upcoming:
        return rows.filter(start__gte=now).order_by("start", "event_id")
    return rows.filter(start__lt=now).order_by("-start", "-event_id")


def professional_events(
    user_id: int, now: dt.datetime, *, upcoming: bool
) -> QuerySet[EventProfessional]:
    rows = EventProfessional.objects.filter(user_id=user_id).select_related(
        "event", "event__facility", "event__unit"
    )
    if upcoming:
        return rows.filter(end__gt=now).order_by("start", "event_id")
    return rows.filter(end__lte=now).order_by("-start", "-event_id")


# --- ESMS Numérique -----------------------------------------------------------------------


def persons_with_events(
    facility: Facility | int, start: dt.datetime, end: dt.datetime, *, include_jobs: bool = False
) -> QuerySet:
    """Ids of the persons whose record had at least one événement in [start, end) in the
    facility (a values_list queryset: count it, or use it as a subquery). Writes made by
    automatic jobs are left out unless `include_jobs`: the indicator measures use."""
    facility_id = facility if isinstance(facility, int) else facility.pk
    rows = EventChange.objects.filter(
        facility_id=facility_id, changed_at__gte=start, changed_at__lt=end
    )
    if not include_jobs:
        rows = rows.filter(by_job=False)
    return rows.order_by().values_list("person_id", flat=True).distinct()
