"""Double bookings: the pure sweep against brute force, and the SQL selectors."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from opendui.agenda.conflicts import Booking, conflicts, overlap
from opendui.agenda.selectors import conflicts_of, week_conflicts
from opendui.agenda.services_status import change_status
from opendui.core.actor import Actor

from .helpers import at, make

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
bookings = st.lists(
    st.builds(
        lambda i, who, start, length: Booking(
            i, who, T0 + dt.timedelta(minutes=start), T0 + dt.timedelta(minutes=start + length)
        ),
        st.integers(0, 30),
        st.integers(0, 3),
        st.integers(0, 600),
        st.integers(1, 180),
    ),
    max_size=30,
    unique_by=lambda b: (b.event, b.professional),
)


@settings(max_examples=300, deadline=None)
@given(bookings)
def test_sweep_equals_brute_force(items):
    expected = set()
    for a, b in itertools.combinations(items, 2):
        if (
            a.professional == b.professional
            and a.event != b.event
            and overlap(a.start, a.end, b.start, b.end)
        ):
            expected.add((a.professional, min(a.event, b.event), max(a.event, b.event)))
    assert conflicts(items) == expected


def test_touching_events_do_not_conflict():
    a = Booking(1, "x", T0, T0 + dt.timedelta(hours=1))
    b = Booking(2, "x", T0 + dt.timedelta(hours=1), T0 + dt.timedelta(hours=2))
    assert conflicts([a, b]) == set()


def test_sql_selectors_find_double_bookings_but_not_cancelled_ones(world):
    educator = world.user("educateur", facility=world.ehpad)
    other = world.user("educateur", facility=world.ehpad)
    a = make(
        educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne], professionals=[educator]
    )
    b = make(
        educator,
        world.ehpad,
        at(2, 10, 30),
        at(2, 12),
        persons=[world.bruno],
        professionals=[educator, other],
    )
    c = make(
        educator, world.ehpad, at(2, 11), at(2, 12), persons=[world.anne], professionals=[other]
    )
    d = make(
        educator, world.ehpad, at(2, 12), at(2, 13), persons=[world.anne], professionals=[educator]
    )
    found = conflicts_of([a.pk, b.pk, c.pk, d.pk])
    assert {(x.professional_id, x.other_event_id) for x in found[a.pk]} == {(educator.pk, b.pk)}
    assert {(x.professional_id, x.other_event_id) for x in found[b.pk]} == {
        (educator.pk, a.pk),
        (other.pk, c.pk),
    }
    assert d.pk not in found
    monday = at(2, 0)
    assert set(week_conflicts(world.ehpad, monday)) == {a.pk, b.pk, c.pk}
    assert week_conflicts(world.ehpad, monday + dt.timedelta(days=7)) == {}
    change_status(Actor(user=educator), b, "ANNULE", reason="Annulé", expected_version=1)
    assert conflicts_of([a.pk, b.pk, c.pk]) == {}
