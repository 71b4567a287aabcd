"""When a record stops being current for a facility (pure rules, no Django import).

A facility's (or unit's) professionals see a person while the person is *current* there:
a stay not ended, or an admission request still open, or one that ended at most
`grace_days` ago (OPENDUI_ACCESS_AFTER_DISCHARGE_DAYS, the time to finish the discharge
paperwork and answer the family). Afterwards the record is *archived* for that facility:
only roles holding `person.view_archived` and break-the-glass open it. A readmission
makes it current again.

The database keeps, per (person, facility) pair, the date the placement ended
(`stays.Placement.ended_on`: None while current, else the latest end), written by the
triggers of stays/placement_ends.py with the same rule as `placement_end`; the scope
applies `is_current` in SQL as `ended_on IS NULL OR ended_on >= current_since(...)`.
Tests check that the triggers and the SQL agree with these functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .rules import AdmissionStatus

#: A request is open (the team studies it, the person waits) until refused, cancelled or
#: admitted; once admitted, the stay it opened takes over.
OPEN_REQUEST_STATUSES = frozenset(
    {
        AdmissionStatus.RECEIVED,
        AdmissionStatus.UNDER_REVIEW,
        AdmissionStatus.ACCEPTED,
        AdmissionStatus.WAITING_LIST,
    }
)


def request_end(status: str, last_written_on: dt.date) -> dt.date | None:
    """None while the request is open; else the day it was closed. A closed request is
    never written again (its statuses are final), so its last write is its closing."""
    return None if status in OPEN_REQUEST_STATUSES else last_written_on


def placement_end(ends: Iterable[dt.date | None]) -> dt.date | None:
    """The end of a placement from the ends of its stays and requests (None: still open):
    None when one of them is open, else the latest end."""
    latest = None
    for end in ends:
        if end is None:
            return None
        latest = end if latest is None or end > latest else latest
    return latest


def current_since(grace_days: int, today: dt.date) -> dt.date:
    """Placements ended on or after this day are still current today."""
    return today - dt.timedelta(days=grace_days)


def is_current(end: dt.date | None, grace_days: int, today: dt.date) -> bool:
    """A placement (or a unit stay) ended on `end` (None: open) is current `today`."""
    return end is None or end >= current_since(grace_days, today)
