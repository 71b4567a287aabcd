"""Building agenda events in tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from opendui.agenda.services import EventData, create_event
from opendui.core.actor import Actor

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def data(facility, start, end, *, persons=(), professionals=(), **extra) -> EventData:
    return EventData(
        facility=facility,
        kind=extra.pop("kind", "activite"),
        title=extra.pop("title", "Atelier mémoire"),
        start=start,
        end=end,
        persons=list(persons),
        professionals=list(professionals),
        **extra,
    )


def make(user, facility, start, end, **kwargs):
    """One event created through the service by `user`."""
    return create_event(Actor(user=user), data(facility, start, end, **kwargs))[0]
