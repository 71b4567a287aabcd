"""core.params: the one parser of query-string integers and dates (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from opendui.core.params import (
    DATE_MAX,
    DATE_MIN,
    PAGE_MAX,
    date_param,
    int_param,
    page_param,
    parse_date,
    parse_int,
)

TODAY = dt.date(2026, 3, 2)
anything = st.one_of(st.none(), st.text(), st.integers().map(str), st.dates().map(str))


@given(anything)
def test_page_is_always_a_usable_page_number(value):
    page = page_param(value)
    assert 1 <= page <= PAGE_MAX
    # The OFFSET it makes fits PostgreSQL's bigint and Python's slicing.
    assert (page - 1) * 1000 < 2**63


@given(st.integers(min_value=1, max_value=PAGE_MAX))
def test_page_round_trips(number):
    assert page_param(str(number)) == number
    assert page_param(f" {number} ") == number


def test_page_out_of_range_is_brought_to_the_nearest_page():
    assert page_param("0") == 1
    assert page_param("-5") == 1
    assert page_param("9223372036854775807") == PAGE_MAX
    assert page_param("") == page_param(None) == page_param("abc") == page_param("²") == 1


@given(anything, st.integers(-100, 100), st.integers(0, 100))
def test_int_param_stays_in_bounds_or_gives_the_default(value, minimum, width):
    maximum = minimum + width
    number = int_param(value, default=-999, minimum=minimum, maximum=maximum)
    assert number == -999 or minimum <= number <= maximum


def test_parse_int_refuses_what_is_not_ascii_digits():
    assert parse_int("12") == 12 and parse_int("-3") == -3 and parse_int(7) == 7
    for value in ("", " ", "1.5", "1e3", "²", "٣", "1" * 100, None, True):
        assert parse_int(value) is None


@given(anything)
def test_date_param_is_in_the_sane_range(value):
    day = date_param(value, default=TODAY)
    assert DATE_MIN <= day <= DATE_MAX
    # A few years either way never overflow.
    assert day - dt.timedelta(days=3 * 366) and day + dt.timedelta(days=3 * 366)


@given(st.dates(min_value=DATE_MIN, max_value=DATE_MAX))
def test_date_round_trips(day):
    assert parse_date(day.isoformat()) == day


def test_dates_at_the_calendar_ends_give_the_default_and_say_so():
    said = []
    for value in ("9999-12-31", "0001-01-01", "2026-02-30", "garbage"):
        assert date_param(value, default=TODAY, on_invalid=lambda: said.append(1)) == TODAY
    assert len(said) == 4
    assert date_param("", default=TODAY, on_invalid=lambda: said.append(1)) == TODAY
    assert len(said) == 4  # an absent value is not an error
