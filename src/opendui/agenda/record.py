"""The agenda's part of a person's record (persons.sections): the tab and the next
events of the synthèse (time, title, place; never the report, not even loaded). One
query, cut in SQL to the next UPCOMING_EVENTS."""

from __future__ import annotations

from dataclasses import dataclass

from opendui.persons.sections import Block, RecordReading

from .models import EventParticipant
from .rules import Status as EventStatus
from .selectors import person_events

UPCOMING_EVENTS = 5
VIEW = "person.view_identity"


@dataclass(frozen=True)
class EventsSection:
    participations: list[EventParticipant]


def events_block(reading: RecordReading) -> Block | None:
    if not reading.allowed(VIEW):
        return None
    rows = (
        person_events(reading.person.pk, reading.now, upcoming=True)
        .exclude(event__status=EventStatus.CANCELLED.value)
        .defer("event__report", "event__non_realisation_reason")[:UPCOMING_EVENTS]
    )
    return Block("events", "agenda/_record_events.html", EventsSection(list(rows)))
