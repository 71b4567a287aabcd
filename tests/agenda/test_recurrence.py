"""Expansion of recurrence rules: properties (hypothesis) and the DST cases by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendui.agenda.recurrence import (
    MAX_OCCURRENCES,
    MAX_SPAN,
    Frequency,
    RecurrenceError,
    Rule,
    occurrences,
)

PARIS = ZoneInfo("Europe/Paris")

starts = st.builds(
    lambda day, minutes: dt.datetime.combine(
        dt.date(2025, 1, 1) + dt.timedelta(days=day), dt.time(minutes // 60, minutes % 60)
    ).replace(tzinfo=PARIS),
    st.integers(0, 800),
    # Wall times from 04:00: no skipped or repeated hour (tested separately below).
    st.integers(4 * 60, 22 * 60),
)
durations = st.integers(15, 180).map(lambda m: dt.timedelta(minutes=m))
frequencies = st.sampled_from(list(Frequency))


def _local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(PARIS)


@settings(max_examples=200, deadline=None)
@given(starts, durations, frequencies, st.integers(1, 4), st.integers(1, MAX_OCCURRENCES))
def test_count_bounds_and_wall_time(start, duration, frequency, interval, count):
    rule = Rule(frequency, interval=interval, count=count)
    result = occurrences(start, start + duration, rule, PARIS)
    assert 1 <= len(result) <= count
    assert result[0][0] == start
    for (a, _b), (c, _) in itertools.pairwise(result):
        assert a < c  # strictly increasing
    for occ_start, occ_end in result:
        local = _local(occ_start)
        assert (local.hour, local.minute) == (start.hour, start.minute)  # DST keeps wall time
        assert _local(occ_end) - local == duration or occ_end - occ_start == duration
        assert local.date() - start.date() <= MAX_SPAN
    if frequency == Frequency.DAILY and interval == 1:
        assert len(result) == count  # 366 days fit in the one-year bound


@settings(max_examples=200, deadline=None)
@given(starts, frequencies, st.integers(1, 3), st.integers(0, 366))
def test_until_is_inclusive_and_respected(start, frequency, interval, days):
    until = start.date() + dt.timedelta(days=days)
    result = occurrences(
        start, start + dt.timedelta(hours=1), Rule(frequency, interval, until=until), PARIS
    )
    assert all(_local(s).date() <= until for s, _ in result)
    if frequency == Frequency.DAILY:
        assert len(result) == min(days // interval + 1, MAX_OCCURRENCES)


@settings(max_examples=200, deadline=None)
@given(starts, st.sets(st.integers(0, 6), min_size=1), st.integers(1, 3), st.integers(1, 60))
def test_weekly_on_chosen_days(start, weekdays, interval, count):
    rule = Rule(Frequency.WEEKLY, interval, weekdays=tuple(weekdays), count=count)
    result = occurrences(start, start + dt.timedelta(hours=1), rule, PARIS)
    assert len(result) == count or _local(
        result[-1][0]
    ).date() - start.date() > MAX_SPAN - dt.timedelta(days=7 * interval)
    monday = start.date() - dt.timedelta(days=start.weekday())
    for occ, _ in result:
        day = _local(occ).date()
        assert day.weekday() in weekdays
        assert day >= start.date()
        assert ((day - monday).days // 7) % interval == 0


def test_weekly_twice_a_week_across_spring_dst():
    start = dt.datetime(2026, 3, 23, 14, 0, tzinfo=PARIS)  # Monday; clocks move on 29 March
    result = occurrences(
        start,
        start + dt.timedelta(hours=2),
        Rule(Frequency.WEEKLY, weekdays=(0, 3), count=4),
        PARIS,
    )
    assert [(_local(s).strftime("%a %d %H:%M")) for s, _ in result] == [
        "Mon 23 14:00",
        "Thu 26 14:00",
        "Mon 30 14:00",
        "Thu 02 14:00",
    ]
    # The UTC time moved by one hour with summer time.
    assert result[0][0].astimezone(dt.UTC).hour == 13
    assert result[2][0].astimezone(dt.UTC).hour == 12


def test_daily_in_the_skipped_hour_keeps_a_positive_duration():
    start = dt.datetime(2026, 3, 28, 2, 30, tzinfo=PARIS)
    result = occurrences(
        start, start + dt.timedelta(minutes=30), Rule(Frequency.DAILY, count=3), PARIS
    )
    for s, e in result:
        assert e > s


def test_monthly_skips_months_without_the_day():
    start = dt.datetime(2026, 1, 31, 9, tzinfo=PARIS)
    result = occurrences(
        start, start + dt.timedelta(hours=1), Rule(Frequency.MONTHLY, count=4), PARIS
    )
    assert [s.month for s, _ in result] == [1, 3, 5, 7]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule(Frequency.DAILY), "soit une date"),
        (Rule(Frequency.DAILY, count=3, until=dt.date(2026, 5, 1)), "soit une date"),
        (Rule(Frequency.DAILY, count=400), "entre 1 et 366"),
        (Rule(Frequency.DAILY, until=dt.date(2027, 6, 1)), "un an au plus"),
        (Rule(Frequency.DAILY, until=dt.date(2026, 1, 1)), "précède"),
        (Rule(Frequency.DAILY, interval=0, count=2), "intervalle"),
        (Rule(Frequency.DAILY, weekdays=(1,), count=2), "hebdomadaire"),
    ],
)
def test_refused_rules(rule, message):
    start = dt.datetime(2026, 3, 2, 10, tzinfo=PARIS)
    with pytest.raises(RecurrenceError, match=message):
        occurrences(start, start + dt.timedelta(hours=1), rule, PARIS)
