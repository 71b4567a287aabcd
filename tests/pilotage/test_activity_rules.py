"""The counting conventions of the activity report, on hand-built cases and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.pilotage import activity_rules as rules
from opendui.pilotage.activity_rules import Period, PeriodError

TODAY = dt.date(2026, 6, 15)
Y2024 = rules.year_period(2024, TODAY)
Y2025 = rules.year_period(2025, TODAY)
D = dt.date


# ------------------------------------------------------------------ periods and years


def test_a_complete_year_and_the_year_in_progress():
    assert Period(D(2024, 1, 1), D(2024, 12, 31)) == Y2024
    assert Y2024.days == 366  # leap year
    assert Y2025.days == 365
    current = rules.year_period(2026, TODAY)
    assert current == Period(D(2026, 1, 1), TODAY)
    assert current.days == 166
    assert rules.in_progress(current) and not rules.in_progress(Y2025)
    assert rules.default_year(TODAY) == 2025


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2027", "L'année 2027 n'a pas commencé"),
        ("25", "Année invalide : « 25 »"),
        ("deux", "Année invalide"),
        ("", "Année invalide"),
        (None, "Année invalide"),
        ("２０２５", "Année invalide"),  # full-width digits are not a year
        ("1850", "au plus tôt 1900"),
    ],
)
def test_bad_years_are_refused_in_french(text, message):
    with pytest.raises(PeriodError, match=message):
        rules.parse_year(text, TODAY)


def test_good_years_are_read():
    assert rules.parse_year(" 2026 ", TODAY) == 2026
    assert rules.parse_year(2024, TODAY) == 2024
    with pytest.raises(PeriodError):
        rules.year_period(2027, TODAY)


# ------------------------------------------------------------------ journées de séjour


@pytest.mark.parametrize(
    ("start", "end", "period", "days"),
    [
        (D(2024, 1, 1), None, Y2024, 366),  # open all the leap year
        (D(2024, 1, 1), D(2024, 12, 31), Y2024, 365),  # discharge day not counted
        (D(2024, 3, 10), D(2024, 3, 10), Y2024, 1),  # same-day stay
        (D(2023, 3, 10), D(2023, 3, 10), Y2024, 0),
        (D(2024, 2, 28), D(2024, 3, 1), Y2024, 2),  # 28 and 29 February
        (D(2025, 2, 28), D(2025, 3, 1), Y2025, 1),
        (D(2023, 12, 20), D(2024, 1, 10), Y2024, 9),  # spanning years: 1..9 January
        (D(2023, 12, 20), D(2024, 1, 10), rules.year_period(2023, TODAY), 12),  # 20..31 Dec
        (D(2023, 12, 20), D(2024, 1, 1), Y2024, 0),  # discharged on 1 January
        (D(2024, 12, 31), None, Y2024, 1),
        (D(2024, 12, 31), D(2025, 1, 5), Y2025, 4),
        (D(2026, 1, 1), None, rules.year_period(2026, TODAY), 166),  # up to today included
    ],
)
def test_stay_days(start, end, period, days):
    assert rules.stay_days(start, end, period) == days


@pytest.mark.parametrize(
    ("start", "end", "stay_end", "period", "days"),
    [
        (D(2024, 3, 1), D(2024, 3, 5), None, Y2024, 4),  # return day not counted
        (D(2024, 3, 1), D(2024, 3, 1), None, Y2024, 0),  # out and back the same day
        (D(2024, 12, 20), D(2025, 1, 10), None, Y2024, 12),  # crossing the year boundary
        (D(2024, 12, 20), D(2025, 1, 10), None, Y2025, 9),
        (D(2024, 12, 20), None, None, Y2024, 12),  # still absent
        (D(2024, 12, 20), None, D(2025, 1, 3), Y2025, 2),  # open absence, stay ended
        (D(2024, 2, 1), D(2024, 3, 1), None, Y2024, 29),  # February of a leap year
    ],
)
def test_absence_days(start, end, stay_end, period, days):
    assert rules.absence_days(start, end, stay_end, period) == days


def test_lengths_and_seniority():
    assert rules.stay_length(D(2024, 1, 1), D(2024, 1, 1)) == 1
    assert rules.stay_length(D(2024, 1, 1), D(2025, 1, 1)) == 366
    assert rules.seniority(D(2024, 12, 31), None, D(2024, 12, 31)) == 1
    assert rules.seniority(D(2024, 1, 1), None, D(2024, 12, 31)) == 366
    assert rules.seniority(D(2024, 1, 1), D(2024, 12, 31), D(2024, 12, 31)) == 365


def test_file_active_counts_persons_once_bounds_included():
    stays = [
        ("anne", D(2023, 5, 1), D(2024, 1, 1)),  # left on 1 January: counted
        ("anne", D(2024, 6, 1), None),  # same person again
        ("bruno", D(2024, 12, 31), None),
        ("chloe", D(2023, 1, 1), D(2023, 12, 31)),  # before
        ("denis", D(2025, 1, 1), None),  # after
    ]
    assert rules.file_active(stays, Y2024) == 2


def test_rates_and_averages():
    assert rules.occupation_rate(366 * 80, 80, Y2024) == Decimal("100.0")
    assert rules.occupation_rate(29_000, 80, Y2024) == Decimal("99.0")  # 99.04…
    assert rules.occupation_rate(10, 0, Y2024) is None  # capacité non renseignée
    assert rules.occupation_rate(10, None, Y2024) is None
    assert rules.average(10, 4) == Decimal("2.5")
    assert rules.average(1, 3) == Decimal("0.3")
    assert rules.average(0, 0) is None
    assert rules.percent(1, 8) == Decimal("12.5")


# ------------------------------------------------------------------ ages and GIR


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (D(1940, 5, 17), D(2024, 12, 31), 84),
        (D(1940, 12, 31), D(2024, 12, 31), 84),
        (D(1941, 1, 1), D(2024, 12, 31), 83),
        (D(1940, 2, 29), D(2025, 2, 28), 84),  # born 29 February: a year more on 1 March
        (D(1940, 2, 29), D(2025, 3, 1), 85),
        (D(1940, 2, 29), D(2024, 2, 29), 84),
    ],
)
def test_age_at(birth, on, age):
    assert rules.age_at(birth, on) == age


def test_latest_birth_on_29_february():
    assert rules.latest_birth_for_age(D(2024, 2, 29), 1) == D(2023, 2, 28)
    assert rules.latest_birth_for_age(D(2024, 2, 29), 4) == D(2020, 2, 29)


dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31))


@given(birth=dates, on=dates, age=st.integers(min_value=0, max_value=120))
def test_birth_threshold_is_exactly_the_age_condition(birth, on, age):
    assert (rules.age_at(birth, on) >= age) == (birth <= rules.latest_birth_for_age(on, age))


def test_brackets_and_labels():
    assert rules.age_brackets("PA") == (0, 60, 75, 85, 95)
    assert rules.bracket_labels((0, 60, 75)) == ["moins de 60 ans", "60 à 74 ans", "75 ans et plus"]
    births = [D(1940, 1, 1), D(1930, 1, 1), D(1970, 1, 1), D(1925, 1, 1), D(2030, 1, 1)]
    # 84, 94, 54, 99 and a birth after the date (a data error, counted in the first bracket)
    assert rules.age_distribution(births, D(2024, 12, 31), (0, 60, 75, 85, 95)) == [2, 0, 1, 1, 1]


def test_gir_distribution_has_all_six_groups():
    assert rules.gir_distribution([2, 2, 4]) == {1: 0, 2: 2, 3: 0, 4: 1, 5: 0, 6: 0}


# ------------------------------------------------------------------ properties


def _nights(start, end, period):
    """Oracle: the set of days counted, day by day."""
    if end == start:
        return {start} if period.start <= start <= period.end else set()
    last = period.end if end is None else min(period.end, end - rules.ONE_DAY)
    first = max(start, period.start)
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


near = st.dates(min_value=D(2021, 11, 1), max_value=D(2026, 2, 1))


@st.composite
def stays(draw):
    start = draw(near)
    end = draw(st.one_of(st.none(), st.dates(min_value=start, max_value=D(2026, 2, 1))))
    return start, end


@given(stay=stays(), year=st.integers(min_value=2021, max_value=2026))
def test_stay_days_is_the_day_by_day_count(stay, year):
    period = rules.year_period(year, D(2026, 6, 15))
    assert rules.stay_days(*stay, period) == len(_nights(*stay, period))
    assert 0 <= rules.stay_days(*stay, period) <= period.days


@given(stay=stays())
def test_years_add_up_to_the_whole_stay(stay):
    start, end = stay
    today = D(2026, 12, 31)
    total = sum(rules.stay_days(start, end, rules.year_period(y, today)) for y in range(2021, 2027))
    if end is None:
        assert total == (today - start).days + 1
    else:
        assert total == rules.stay_length(start, end)


@given(stay=stays(), data=st.data())
def test_absences_never_exceed_the_stay(stay, data):
    start, end = stay
    absence_start = data.draw(st.dates(min_value=start, max_value=end or D(2026, 2, 1)))
    absence_end = data.draw(
        st.one_of(st.none(), st.dates(min_value=absence_start, max_value=end or D(2026, 3, 1)))
    )
    for year in range(2021, 2027):
        period = rules.year_period(year, D(2026, 6, 15))
        absent = rules.absence_days(absence_start, absence_end, end, period)
        assert 0 <= absent <= rules.stay_days(start, end, period)
        assert absent == _absent_oracle(absence_start, absence_end, end, period)


def _absent_oracle(start, end, stay_end, period):
    """Day by day: from the leaving day, before the return and before the discharge."""
    days = (period.start + dt.timedelta(days=i) for i in range(period.days))
    return sum(
        1
        for day in days
        if start <= day and (end is None or day < end) and (stay_end is None or day < stay_end)
    )


@given(
    days=st.integers(min_value=0, max_value=10**6),
    capacity=st.integers(min_value=1, max_value=500),
)
def test_occupation_is_the_exact_ratio_rounded(days, capacity):
    rate = rules.occupation_rate(days, capacity, Y2025)
    exact = Decimal(100 * days) / Decimal(capacity * 365)
    assert abs(rate - exact) <= Decimal("0.05")
