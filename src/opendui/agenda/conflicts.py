"""Double bookings of professionals (pure: no Django import).

A conflict is two events of the same professional whose periods overlap (half-open
intervals: an event ending at 10:00 and one starting at 10:00 do not conflict).
Cancelled events never conflict; the caller leaves them out. Conflicts are shown, never
blocking: a professional may really be expected in two places (a short visit during an
activity), and only the team knows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Booking:
    event: int
    professional: Hashable
    start: dt.datetime
    end: dt.datetime


def overlap(
    a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime
) -> bool:
    return a_start < b_end and b_start < a_end


def conflicts(bookings: Iterable[Booking]) -> set[tuple[Hashable, int, int]]:
    """(professional, event_a, event_b) for each overlapping pair, event_a < event_b.

    Sweep per professional in start order: O(n log n + number of conflicts).
    """
    by_professional: dict[Hashable, list[Booking]] = defaultdict(list)
    for booking in bookings:
        by_professional[booking.professional].append(booking)
    found: set[tuple[Hashable, int, int]] = set()
    for professional, items in by_professional.items():
        items.sort(key=lambda b: (b.start, b.end))
        active: list[Booking] = []
        for booking in items:
            active = [a for a in active if a.end > booking.start]
            for other in active:
                if other.event != booking.event:
                    pair = sorted((other.event, booking.event))
                    found.add((professional, pair[0], pair[1]))
            active.append(booking)
    return found
