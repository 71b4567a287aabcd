"""Pure rules: shifts in Europe/Paris (DST included) and the grace period."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.notes.rules import (
    MAX_BACKDATING,
    PARIS,
    Shift,
    day_bounds,
    shift_bounds,
    shift_of,
    within_grace,
    written_at_problem,
)

MOMENTS = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2060, 12, 31),
    timezones=st.just(dt.UTC),
)
# The two French DST changes of 2026: 29 March (2 h → 3 h) and 25 October (3 h → 2 h).
DST_DAYS = [
    dt.date(2026, 3, 28),
    dt.date(2026, 3, 29),
    dt.date(2026, 10, 24),
    dt.date(2026, 10, 25),
]


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


@given(MOMENTS)
def test_a_moment_is_inside_the_bounds_of_its_shift(moment):
    day, shift = shift_of(moment)
    start, end = shift_bounds(day, shift)
    assert start <= moment < end


@given(MOMENTS)
def test_shifts_tile_time_without_gaps(moment):
    day, shift = shift_of(moment)
    start, end = shift_bounds(day, shift)
    assert shift_of(end) != (day, shift)
    assert shift_bounds(*shift_of(end))[0] == end
    assert shift_bounds(*shift_of(start - dt.timedelta(microseconds=1)))[1] == start


@given(MOMENTS)
def test_a_day_is_its_three_shifts(moment):
    day, _ = shift_of(moment)
    start, end = day_bounds(day)
    assert start <= moment < end


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (paris(2026, 5, 12, 6, 59), (dt.date(2026, 5, 11), Shift.NIGHT)),
        (paris(2026, 5, 12, 7, 0), (dt.date(2026, 5, 12), Shift.MORNING)),
        (paris(2026, 5, 12, 13, 59), (dt.date(2026, 5, 12), Shift.MORNING)),
        (paris(2026, 5, 12, 14, 0), (dt.date(2026, 5, 12), Shift.AFTERNOON)),
        (paris(2026, 5, 12, 21, 0), (dt.date(2026, 5, 12), Shift.NIGHT)),
        (paris(2026, 5, 12, 23, 59), (dt.date(2026, 5, 12), Shift.NIGHT)),
        (paris(2026, 5, 13, 3, 0), (dt.date(2026, 5, 12), Shift.NIGHT)),
    ],
)
def test_shift_boundaries_in_local_time(local, expected):
    assert shift_of(local) == expected
    assert shift_of(local.astimezone(dt.UTC)) == expected


@pytest.mark.parametrize("day", DST_DAYS)
def test_shift_lengths_around_dst_changes(day):
    lengths = {s: shift_bounds(day, s)[1] - shift_bounds(day, s)[0] for s in Shift}
    assert lengths[Shift.MORNING] == dt.timedelta(hours=7)
    assert lengths[Shift.AFTERNOON] == dt.timedelta(hours=7)
    expected_night = {
        dt.date(2026, 3, 28): 9,  # the clocks go forward during this night
        dt.date(2026, 10, 24): 11,  # and back during this one
    }.get(day, 10)
    assert lengths[Shift.NIGHT] == dt.timedelta(hours=expected_night)


def test_the_repeated_hour_of_october_belongs_to_the_night_before():
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)  # 2 h 30 CEST
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 2 h 30 CET
    assert shift_of(first) == shift_of(second) == (dt.date(2026, 10, 24), Shift.NIGHT)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        shift_of(dt.datetime(2026, 5, 12, 8))


NOW = dt.datetime(2026, 5, 12, 10, tzinfo=dt.UTC)


@given(st.integers(min_value=0, max_value=3 * 60 * 60), st.integers(min_value=0, max_value=120))
def test_grace_period(seconds_ago, minutes):
    recorded = NOW - dt.timedelta(seconds=seconds_ago)
    assert within_grace(recorded, NOW, minutes) == (seconds_ago <= minutes * 60)


def test_grace_period_across_the_dst_change_counts_real_minutes():
    recorded = dt.datetime(2026, 3, 29, 0, 55, tzinfo=dt.UTC)  # 1 h 55 CET
    now = dt.datetime(2026, 3, 29, 1, 5, tzinfo=dt.UTC)  # 3 h 05 CEST: 10 real minutes
    assert within_grace(recorded, now, 15)
    assert not within_grace(recorded, now, 9)


def test_a_note_recorded_in_the_future_is_not_in_grace():
    assert not within_grace(NOW + dt.timedelta(minutes=1), NOW, 15)


@given(st.integers(min_value=-48 * 60, max_value=48 * 60))
def test_written_at_bounds(offset_minutes):
    written = NOW + dt.timedelta(minutes=offset_minutes)
    problem = written_at_problem(written, NOW)
    acceptable = -MAX_BACKDATING <= written - NOW <= dt.timedelta(minutes=1)
    assert (problem is None) == acceptable
    if offset_minutes > 1:
        assert "futur" in problem
