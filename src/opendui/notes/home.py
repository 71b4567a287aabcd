"""The transmissions card of the home page (registered in `NotesConfig.ready`).

For the care and support team (`core.home.accompanies`): per facility, the number of
transmissions they have not read since the start of yesterday's care day (so that the
morning team sees the night's notes), and the five oldest of them with a link to their
shift in the cahier de liaison. The same reading rules as the cahier: latest versions
in force (withdrawn notes left out), categories the user may read on each person
(`selectors.readable_condition`) and the notes for the user's team
(`selectors.team_condition`); the user's own notes count as read. Two queries per
facility; the persons named are audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from opendui.core.actor import Actor
from opendui.core.home import Panel, care_facilities
from opendui.organisations.models import Facility
from opendui.persons.services import record_person_access

from .models import Note, NoteRead
from .rules import SHIFT_LABELS, day_bounds, shift_of
from .selectors import in_force, latest_only, readable_condition, team_condition

SHOWN = 5


def unread_since(user: Any, facility: Facility, since: dt.datetime) -> QuerySet[Note]:
    """Latest versions in force written in `facility` from `since`, readable by the user
    (about a person, or for their team), that they neither wrote nor marked read; oldest
    first."""
    read = NoteRead.objects.filter(note=OuterRef("pk"), user=user)
    return (
        Note.objects.filter(facility=facility, written_at__gte=since)
        .filter(
            latest_only(),
            in_force(),
            readable_condition(user, facility) | team_condition(user),
        )
        .exclude(Q(author_id=user.pk) | Q(Exists(read)))
        .select_related("person", "unit")
        .order_by("written_at", "pk")
    )


@dataclass(frozen=True)
class UnreadLine:
    note: Note
    day: dt.date
    shift: str
    shift_label: str


def unread_notes_panel(request: HttpRequest) -> Panel | None:
    facilities = care_facilities(request)
    if not facilities:
        return None
    today, _shift = shift_of(timezone.now())
    since = day_bounds(today - dt.timedelta(days=1))[0]
    blocks = []
    shown_persons = {}
    for facility in facilities:
        unread = unread_since(request.user, facility, since)
        first = list(unread[:SHOWN])
        count = unread.count() if len(first) == SHOWN else len(first)
        lines = []
        for note in first:
            day, shift = shift_of(note.written_at)
            lines.append(UnreadLine(note, day, shift.value, SHIFT_LABELS[shift]))
            if note.person_id is not None:  # a note for the team names nobody
                shown_persons[note.person_id] = note.person
        blocks.append({"facility": facility, "count": count, "lines": lines, "today": today})
    record_person_access(
        Actor.from_request(request),
        "note.unread_home",
        shown_persons.values(),
        details={"since": since.isoformat()},
    )
    return Panel("notes/_home_unread.html", {"blocks": blocks, "since": since})
