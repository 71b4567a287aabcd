"""Agenda pages that list events: my agenda, a person's agenda, facility plannings.

Each page is one bounded set of queries (pages of rows, participants, professionals
and conflicts of the rows shown in one query each) and one access event naming the
persons shown.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from opendui.accounts.access import scope_for
from opendui.core.actor import Actor
from opendui.core.authz import authorize
from opendui.core.pagination import page_of
from opendui.organisations.models import Facility, Unit
from opendui.persons.models import Person
from opendui.persons.services import record_person_access

from .access import visible_ids
from .render import EventLines
from .selectors import (
    conflicts_of,
    events_between,
    participants_of,
    person_events,
    professional_events,
    professionals_on,
)
from .views_common import local_midnight, page_number, parse_day, record_list_access

PAGE_SIZE = 25
PLANNING_LIMIT = 300  # events per planning page
DAY_NAMES = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def _rows(user: Any, events: list, facility_of=None) -> tuple[list[dict], list[Person]]:
    """Events with their visible participants, professionals and conflicts (3 queries)."""
    ids = [e.pk for e in events]
    participants = participants_of(ids)
    professionals = professionals_on(ids)
    conflicts = conflicts_of([e.pk for e in events if e.status != "ANNULE"])
    full_facilities = scope_for(user, "person.view_identity")
    hidden_check: dict[int, set[int]] = defaultdict(set)
    for event in events:
        facility = event.facility
        if not (
            facility.organisation_id in full_facilities.organisation_ids
            or facility.pk in full_facilities.facility_ids
        ):
            hidden_check[facility.pk].update(p.person_id for p in participants.get(event.pk, []))
    seen_in: dict[int, set[int]] = {}
    for facility_id, person_ids in hidden_check.items():
        facility = next(e.facility for e in events if e.facility_id == facility_id)
        seen_in[facility_id] = visible_ids(user, facility, person_ids)
    rows, shown = [], {}
    event_line = EventLines()
    for event in events:
        visible, hidden = [], 0
        for row in participants.get(event.pk, []):
            seen = seen_in.get(event.facility_id)
            if seen is None or row.person_id in seen:
                visible.append(row)
                shown[row.person_id] = row.person
            else:
                hidden += 1
        names = {p.user_id: p.full_name for p in professionals.get(event.pk, [])}
        row = {
            "event": event,
            "participants": visible,
            "hidden": hidden,
            "professionals": professionals.get(event.pk, []),
            "conflicts": [
                {"who": names.get(c.professional_id, ""), "conflict": c}
                for c in conflicts.get(event.pk, [])
            ],
        }
        row["html"] = event_line(row)
        rows.append(row)
    return rows, list(shown.values())


@require_GET
def my_agenda(request: HttpRequest) -> HttpResponse:
    """The events the user is booked on (their own scope: any user who sees persons)."""
    authorize(request, "person.view_identity")
    past = request.GET.get("quand") == "passes"
    now = timezone.now()
    page = page_of(
        professional_events(request.user.pk, now, upcoming=not past),
        request.GET.get("page"),
        PAGE_SIZE,
    )
    events = [row.event for row in page.object_list]
    rows, persons = _rows(request.user, events)
    record_list_access(request, "event.my_agenda", persons, {"page": page.number})
    return render(
        request,
        "agenda/my_agenda.html",
        {
            "rows": rows,
            "page_obj": page,
            "past": past,
            "query_string": "quand=passes&" if past else "",
            "facilities": getattr(request, "user_facilities", []),
        },
    )


@require_GET
def person_agenda(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("organisation"), pk=pk)
    decision = authorize(request, "person.view_identity", person=person)
    past = request.GET.get("quand") == "passes"
    page = page_of(
        person_events(person.pk, timezone.now(), upcoming=not past),
        request.GET.get("page"),
        PAGE_SIZE,
    )
    events = [row.event for row in page.object_list]
    professionals = professionals_on([e.pk for e in events])
    rows = [
        {"event": row.event, "present": row, "professionals": professionals.get(row.event_id, [])}
        for row in page.object_list
    ]
    record_person_access(
        Actor.from_request(request),
        "event.person_agenda",
        [person],
        decision,
        details={"page": page.number, "past": past},
    )
    # The person's facilities, read once (inside the comprehension the query ran once
    # per facility of the reader: 62 queries for a reader of a 50-facility organisation).
    stay_facility_ids = set(person.stays.values_list("facility_id", flat=True))
    facilities = [f for f in getattr(request, "user_facilities", []) if f.pk in stay_facility_ids]
    return render(
        request,
        "agenda/person_agenda.html",
        {
            "person": person,
            "decision": decision,
            "rows": rows,
            "page_obj": page,
            "past": past,
            "query_string": "quand=passes&" if past else "",
            "facilities": facilities,
        },
    )


def _facility(request: HttpRequest, pk: int) -> Facility:
    facility = get_object_or_404(Facility.objects.select_related("organisation"), pk=pk)
    authorize(request, "person.view_identity", facility=facility)
    return facility


def _unit_filter(request: HttpRequest, facility: Facility) -> tuple[list[Unit], Unit | None]:
    units = list(Unit.objects.filter(facility=facility, is_active=True).order_by("name"))
    wanted = request.GET.get("unite") or ""
    chosen = next((u for u in units if str(u.pk) == wanted), None)
    return units, chosen


@require_GET
def planning_week(request: HttpRequest, facility_pk: int) -> HttpResponse:
    """A facility's week: one row per unit (and one for events without a unit), one column
    per day; an event is shown on every day of the week it covers (render.py)."""
    facility = _facility(request, facility_pk)
    day = parse_day(request.GET.get("date"))
    monday = day - dt.timedelta(days=day.weekday())
    units, chosen = _unit_filter(request, facility)
    number = page_number(request)
    start = local_midnight(monday)
    end = local_midnight(monday + dt.timedelta(days=7))
    events, has_more = events_between(
        request.user,
        facility,
        start,
        end,
        unit_id=chosen.pk if chosen else None,
        offset=(number - 1) * PLANNING_LIMIT,
        limit=PLANNING_LIMIT,
    )
    for event in events:
        event.facility = facility
    rows, persons = _rows(request.user, events)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    shown_units = [chosen] if chosen else units
    grid: dict[Any, list[list[dict]]] = {u.pk: [[] for _ in days] for u in shown_units}
    grid[None] = [[] for _ in days]
    event_line = EventLines()
    for row in rows:
        cells = grid.setdefault(row["event"].unit_id, [[] for _ in days])
        first, last = event_line.days(row["event"])
        if first == last:
            cells[min(max(0, (first - monday).days), 6)].append(row)
            continue
        # A multi-day event is on every day it covers in this week (render.py).
        for index in range(max(0, (first - monday).days), min(6, (last - monday).days) + 1):
            cells[index].append({"html": event_line(row, days[index])})
    lines = [{"label": u.name, "cells": grid[u.pk]} for u in shown_units]
    known = {u.pk for u in shown_units} | {None}
    other_units = {r["event"].unit_id: r["event"].unit for r in rows}.items()
    lines += [
        {"label": f"{unit.name} (unité fermée)", "cells": grid[pk]}
        for pk, unit in other_units
        if pk not in known
    ]
    if any(grid[None]) or not shown_units:
        lines.append({"label": "Sans unité", "cells": grid[None]})
    record_list_access(
        request,
        "event.planning",
        persons,
        {"facility": facility.pk, "week": monday.isoformat(), "page": number},
    )
    return render(
        request,
        "agenda/planning_week.html",
        {
            "facility": facility,
            "days": [{"date": d, "name": DAY_NAMES[d.weekday()]} for d in days],
            "lines": lines,
            "monday": monday,
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "units": units,
            "chosen": chosen,
            "conflict_count": sum(1 for r in rows if r["conflicts"]),
            "page_number": number,
            "has_more": has_more,
        },
    )


@require_GET
def planning_day(request: HttpRequest, facility_pk: int) -> HttpResponse:
    """A facility's day, in time order, with the unit of each event."""
    facility = _facility(request, facility_pk)
    day = parse_day(request.GET.get("date"))
    units, chosen = _unit_filter(request, facility)
    number = page_number(request)
    events, has_more = events_between(
        request.user,
        facility,
        local_midnight(day),
        local_midnight(day + dt.timedelta(days=1)),
        unit_id=chosen.pk if chosen else None,
        offset=(number - 1) * PLANNING_LIMIT,
        limit=PLANNING_LIMIT,
    )
    for event in events:
        event.facility = facility
    rows, persons = _rows(request.user, events)
    event_line = EventLines()
    for row in rows:  # times of a multi-day event clipped to this day (render.py)
        first, last = event_line.days(row["event"])
        if first != last:
            row["html"] = event_line(row, day)
    record_list_access(
        request,
        "event.planning",
        persons,
        {"facility": facility.pk, "day": day.isoformat(), "page": number},
    )
    return render(
        request,
        "agenda/planning_day.html",
        {
            "facility": facility,
            "day": day,
            "day_name": DAY_NAMES[day.weekday()],
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "rows": rows,
            "units": units,
            "chosen": chosen,
            "conflict_count": sum(1 for r in rows if r["conflicts"]),
            "page_number": number,
            "has_more": has_more,
        },
    )
