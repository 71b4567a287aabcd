"""Reads of the audit trail: the DPO's search, a record's access history, and row display.

Every list is ordered by event number and paginated by the caller without
counting; names of persons and professionals are fetched once per page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from opendui.accounts.access import scope_for

from .labels import action_label, details_summary, kind_label
from .models import AuditEvent, AuditEventPerson, EventKind

# Names listed in a row before "and N others" (a list page concerns up to PAGE_SIZE persons).
PERSONS_SHOWN = 3


def search_organisations(user: Any) -> frozenset[int]:
    """The organisations whose trail the user may search (organisation-wide DPO assignments)."""
    return scope_for(user, "audit.search").organisation_ids


def _in_organisations(organisation_ids: Iterable[int]) -> Q:
    """Events of the organisations, plus the security events of their professionals.

    Access and change events carry the organisation of the record concerned.
    Logins, logouts and login failures carry none: they belong to the
    organisations the professional is (or was) assigned to, found by account
    id, or by e-mail for failures recorded before the account was identified.
    """
    from opendui.accounts.models import Assignment, User

    organisation_ids = list(organisation_ids)
    assigned = Assignment.objects.filter(organisation_id__in=organisation_ids)
    return Q(organisation_id__in=organisation_ids) | Q(
        Q(user_id__in=assigned.values("user_id"))
        | Q(
            user_id__isnull=True,
            user_label__in=User.objects.filter(pk__in=assigned.values("user_id")).values("email"),
        ),
        organisation_id__isnull=True,
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def matching_persons(organisation_ids: Iterable[int], query: str) -> QuerySet:
    """Persons of the organisations matching a name (prefix, accent- and case-free, birth or
    used name), a birth date (JJ/MM/AAAA) or a local id."""
    from opendui.persons.models import Person
    from opendui.persons.selectors import parse_search

    persons = Person.objects.filter(organisation_id__in=list(organisation_ids))
    query = query.strip()
    name, birth_date = parse_search(query)
    local_ids = {query, query.upper()}
    if birth_date is not None:
        persons = persons.filter(birth_date=birth_date)
    if name:
        persons = persons.filter(
            Q(birth_name_key__startswith=name)
            | Q(used_name_key__startswith=name)
            | Q(local_id__in=local_ids)
        )
    elif birth_date is None:
        persons = persons.filter(local_id__in=local_ids)
    return persons


def search_events(
    user: Any,
    *,
    professional: str = "",
    persons: QuerySet | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    action: str = "",
    kind: str = "",
    break_glass: bool = False,
) -> QuerySet[AuditEvent]:
    """Events the DPO may see (their organisations only), newest first, filtered.

    `persons` is a queryset of the persons concerned (see `matching_persons`);
    it stays a subquery, so the whole search is one SQL query.
    """
    organisations = search_organisations(user)
    if not organisations:
        return AuditEvent.objects.none()
    events = AuditEvent.objects.filter(_in_organisations(organisations))
    if professional:
        events = events.filter(user_label__icontains=professional)
    if persons is not None:
        events = events.filter(
            pk__in=AuditEventPerson.objects.filter(person_id__in=persons.values("pk")).values(
                "event_id"
            )
        )
    if date_from is not None:
        events = events.filter(occurred_at__gte=_day_start(date_from))
    if date_to is not None:
        events = events.filter(occurred_at__lt=_day_start(date_to + dt.timedelta(days=1)))
    if action:
        events = events.filter(action=action)
    if kind:
        events = events.filter(kind=kind)
    if break_glass:
        events = events.filter(break_glass=True)
    return events.order_by("-seq")


def access_events_for_person(person: Any) -> QuerySet[AuditEvent]:
    """Every consultation (and refused access) of a person's record, newest first."""
    event_ids = AuditEventPerson.objects.filter(person_id=person.pk).values("event_id")
    return AuditEvent.objects.filter(pk__in=event_ids, kind=EventKind.ACCESS).order_by("-seq")


def person_access_entries(person: Any, *, break_glass: bool = False) -> QuerySet:
    """Index rows of a person's consultations, newest first, each with its event joined.

    Driven by the index's primary key (person_id, event_id), read backwards in event id
    order (the order of insertion), so a page reads its rows only, however long the
    person's history.
    """
    entries = AuditEventPerson.objects.filter(person_id=person.pk, event__kind=EventKind.ACCESS)
    if break_glass:
        entries = entries.filter(event__break_glass=True)
    return entries.select_related("event").order_by("-event_id")


@dataclass
class EventRow:
    """An event ready to display."""

    event: AuditEvent
    action_label: str
    kind_label: str
    professional: str
    professional_email: str
    summary: str
    persons: list[tuple[int, str]] = field(default_factory=list)  # (pk, name), first ones
    more_persons: list[tuple[int, str]] = field(default_factory=list)
    other_persons: int = 0  # persons of another organisation (not named)


def _professionals(user_ids: set[int]) -> dict[int, str]:
    from opendui.accounts.models import User

    if not user_ids:
        return {}
    return {
        pk: f"{first} {last.upper()}".strip()
        for pk, first, last in User.objects.filter(pk__in=user_ids).values_list(
            "pk", "first_name", "last_name"
        )
    }


def _persons(person_ids: set[int], organisation_ids: Iterable[int]) -> dict[int, Any]:
    from opendui.persons.models import Person

    if not person_ids:
        return {}
    return {
        p.pk: p
        for p in Person.objects.filter(
            pk__in=person_ids, organisation_id__in=list(organisation_ids)
        ).only("pk", "organisation_id", "birth_name", "first_name", "used_name", "used_first_name")
    }


def event_rows(
    events: Sequence[AuditEvent], organisation_ids: Iterable[int], *, with_persons: bool = True
) -> tuple[list[EventRow], list[Any]]:
    """Rows for a page of events, and the persons named on it.

    Two queries whatever the page size: the professionals' names, and the names
    of the persons concerned that belong to `organisation_ids` (persons of
    another organisation are counted, not named).
    """
    professionals = _professionals({e.user_id for e in events if e.user_id is not None})
    persons: dict[int, Any] = {}
    if with_persons:
        persons = _persons({int(pk) for e in events for pk in e.person_ids}, organisation_ids)
    rows = []
    for event in events:
        named = [(pk, persons[pk].display_name) for pk in event.person_ids if pk in persons]
        rows.append(
            EventRow(
                event=event,
                action_label=action_label(event.action),
                kind_label=kind_label(event.kind),
                professional=professionals.get(event.user_id, "") if event.user_id else "",
                professional_email=event.user_label,
                summary=details_summary(event.action, event.kind, event.details, event.object_type),
                persons=named[:PERSONS_SHOWN],
                more_persons=named[PERSONS_SHOWN:],
                other_persons=(len(event.person_ids) - len(named)) if with_persons else 0,
            )
        )
    shown = sorted({pk for row in rows for pk, _ in row.persons + row.more_persons})
    return rows, [persons[pk] for pk in shown]
