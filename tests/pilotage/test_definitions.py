"""The indicator definitions on hand-built cases (programme-esms-numerique.md §1)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opendui.pilotage import definitions as d
from opendui.pilotage.definitions import (
    Dataset,
    EventRow,
    Period,
    PPStatusRow,
    RecordChange,
    SharingRow,
    StayRow,
)

MARCH = Period.month(2026, 3)
EHPAD, IME = 1, 2


def at(day: int, month: int = 3, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


BOUNDS = (at(1, 3, 0), at(1, 4, 0))


def test_periods():
    assert (MARCH.start, MARCH.end) == (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
    assert MARCH.label == "03/2026"
    assert MARCH.year_start == dt.date(2025, 4, 1)
    first = Period.first_measure(2026, 3)
    assert (first.start, first.end, first.months) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1), 3)
    assert first.label == "01/2026 – 03/2026"
    assert Period.last_ended(dt.date(2026, 1, 15)) == Period.month(2025, 12)
    assert Period.month(2025, 12).end == dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (dt.date(2026, 3, 20), None, True),  # admitted mid-month
        (dt.date(2020, 1, 1), dt.date(2026, 3, 3), True),  # discharged mid-month
        (dt.date(2020, 1, 1), dt.date(2026, 3, 1), True),  # last day is the 1st: still counts
        (dt.date(2020, 1, 1), dt.date(2026, 2, 28), False),  # left before the month
        (dt.date(2026, 4, 1), None, False),  # admitted after
    ],
)
def test_accompanied_edges(start, end, expected):
    stays = [StayRow(7, EHPAD, start, end)]
    assert (7 in d.accompanied(stays, EHPAD, MARCH.start, MARCH.end)) is expected


def test_person_in_two_facilities_counts_in_each():
    data = Dataset(
        stays=(StayRow(7, EHPAD, dt.date(2025, 1, 1)), StayRow(7, IME, dt.date(2025, 6, 1))),
        changes=(RecordChange(7, dt.date(2026, 3, 5)),),
        events=(EventRow(7, IME, at(6)),),
    )
    assert d.active_records(data, EHPAD, MARCH) == {7}
    assert d.active_records(data, IME, MARCH) == {7}
    # The événement belongs to the facility where it happened.
    assert d.with_event(data, EHPAD, *BOUNDS) == set()
    assert d.with_event(data, IME, *BOUNDS) == {7}


def test_update_by_a_job_only_does_not_make_a_record_active():
    data = Dataset(
        stays=(StayRow(7, EHPAD, dt.date(2025, 1, 1)), StayRow(8, EHPAD, dt.date(2025, 1, 1))),
        changes=(
            RecordChange(7, dt.date(2026, 3, 5), by_job=True),
            RecordChange(8, dt.date(2026, 3, 5), by_job=True),
            RecordChange(8, dt.date(2026, 3, 31)),
        ),
    )
    assert d.active_records(data, EHPAD, MARCH) == {8}


def test_update_outside_the_period_does_not_count():
    data = Dataset(
        stays=(StayRow(7, EHPAD, dt.date(2025, 1, 1)),),
        changes=(RecordChange(7, dt.date(2026, 2, 28)), RecordChange(7, dt.date(2026, 4, 1))),
    )
    assert d.active_records(data, EHPAD, MARCH) == set()


def test_discharged_before_the_period_is_in_neither_numerator_nor_denominator():
    """A record updated after the person left (a discharge letter) is not an active record
    of the month: the numerator only counts persons of the denominator (was 1 over 0, and
    122 active records over 121 persons on the demo)."""
    data = Dataset(
        stays=(
            StayRow(7, EHPAD, dt.date(2024, 1, 1), dt.date(2025, 10, 2)),
            StayRow(8, EHPAD, dt.date(2024, 1, 1)),
        ),
        changes=(RecordChange(7, dt.date(2026, 3, 5)), RecordChange(8, dt.date(2026, 3, 5))),
    )
    values = d.figures(data, EHPAD, MARCH, BOUNDS).values
    assert values[d.ACTIVE] == (1, 1)
    assert d.active_records(data, EHPAD, MARCH) == {8}
    assert d.results(d.Figures(values))[0].rate == Decimal("100.0")


def test_three_year_mean_never_falls_below_the_persons_counted():
    """A growing facility: 1 person two years ago, 4 now. The mean (3 persons) would give
    4 active records over 3; the denominator is the larger of the mean and the persons
    accompanied in the period, whose records the numerator counts."""
    stays = (
        StayRow(1, EHPAD, dt.date(2024, 6, 1), dt.date(2024, 7, 1)),
        *(StayRow(p, EHPAD, dt.date(2025, 6, 1)) for p in range(2, 6)),
    )
    data = Dataset(
        stays=stays, changes=tuple(RecordChange(p, dt.date(2026, 3, 2)) for p in range(2, 6))
    )
    assert d.file_active_3_years(stays, EHPAD, MARCH) == 3  # (4 + 1) / 2 = 2.5 -> 3
    values = d.figures(data, EHPAD, MARCH, BOUNDS, {d.ACTIVE: d.FILE_ACTIVE_3Y}).values
    assert values[d.ACTIVE] == (4, 4)
    shrinking = Dataset(
        stays=(
            *(StayRow(p, EHPAD, dt.date(2024, 6, 1), dt.date(2024, 7, 1)) for p in range(1, 9)),
            StayRow(9, EHPAD, dt.date(2025, 6, 1)),
        ),
        changes=(RecordChange(9, dt.date(2026, 3, 2)),),
    )
    # The mean (8 + 1) / 2 = 4.5 -> 5 is larger than the month's single person: kept.
    assert d.figures(shrinking, EHPAD, MARCH, BOUNDS, {d.ACTIVE: d.FILE_ACTIVE_3Y}).values[
        d.ACTIVE
    ] == (1, 5)


def test_a_numerator_outside_its_denominator_cannot_be_built():
    with pytest.raises(ValueError, match="partie du dénominateur"):
        d.Population(frozenset({1, 2}), frozenset({1}))
    with pytest.raises(ValueError, match="plus petit"):
        d.Population(frozenset({1}), frozenset({1, 2}), denominator_size=1)
    assert d.Population(frozenset({1}), frozenset({1, 2}), denominator_size=5).counts == (1, 5)


def test_cancelled_event_still_counts_and_job_events_do_not():
    """Created then cancelled: two agenda writes, both événements (agenda.changes)."""
    data = Dataset(
        events=(
            EventRow(7, EHPAD, at(2)),  # created
            EventRow(7, EHPAD, at(3)),  # cancelled
            EventRow(8, EHPAD, at(3), by_job=True),
            EventRow(9, EHPAD, at(3), agenda=False),  # PP updated
        )
    )
    assert d.with_event(data, EHPAD, *BOUNDS) == {7, 9}
    assert d.with_event(data, EHPAD, *BOUNDS, agenda_only=True) == {7}


def pp(project, status, when, person=7, facility=EHPAD):
    return PPStatusRow(project, person, facility, when, status)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([pp(1, "ENPREPARATION", at(1, 1))], {7}),  # draft since January
        ([pp(1, "ENCOURS", at(10))], {7}),  # validated in the month
        ([pp(1, "ENPAUSE", at(1, 1))], set()),  # paused all month
        ([pp(1, "ENCOURS", at(1, 1)), pp(1, "ENPAUSE", at(15))], {7}),  # paused mid-month
        ([pp(1, "ENCOURS", at(1, 1)), pp(1, "ENPAUSE", at(1, 3, 0))], set()),  # at the start
        ([pp(1, "ENCOURS", at(1, 1)), pp(1, "TERMINE", at(20, 2))], set()),
        ([pp(1, "ENPAUSE", at(1, 1)), pp(1, "ENCOURS", at(31, 3, 23))], {7}),  # resumed
        ([pp(1, "ENPREPARATION", at(1, 4))], set()),  # created after the month
        ([pp(1, "ENCOURS", at(1, 1), facility=IME)], set()),  # another facility's PP
    ],
)
def test_pp_in_preparation_or_running_during_the_period(rows, expected):
    assert d.with_pp(Dataset(pp_statuses=tuple(rows)), EHPAD, *BOUNDS) == expected


def test_sharings():
    data = Dataset(
        sharings=(
            SharingRow("MSSANTE", EHPAD, at(2)),
            SharingRow("MSSANTE", EHPAD, at(2), person_id=7),
            SharingRow("MSSANTE", EHPAD, at(2), status="failed"),
            SharingRow("MSSANTE", IME, at(2)),
            SharingRow("DMP", EHPAD, at(2), person_id=7),
            SharingRow("DMP", EHPAD, at(3), person_id=7),
            SharingRow("DMP", EHPAD, at(3), person_id=8, status="failed"),
            SharingRow("DMP", EHPAD, at(3, 4), person_id=9),
        )
    )
    assert d.sent(data, EHPAD, *BOUNDS) == (2, 2)  # accepted, whoever they concern
    assert d.reached(data, "MSSANTE", EHPAD, *BOUNDS) == {7}
    assert d.reached(data, "DMP", EHPAD, *BOUNDS) == {7}


def test_mssante_and_dmp_count_persons_of_the_denominator_once():
    """Was 2 messages over 1 record (200 %): messages are not a part of records. Now a
    person counts once, messages about nobody or about someone outside the denominator
    are given apart (`sent`), not in the rate."""
    data = Dataset(
        stays=(StayRow(7, EHPAD, dt.date(2025, 1, 1)), StayRow(8, EHPAD, dt.date(2025, 1, 1))),
        changes=(RecordChange(7, dt.date(2026, 3, 2)), RecordChange(8, dt.date(2026, 3, 2))),
        pp_statuses=(pp(1, "ENCOURS", at(1, 1)),),  # 7 has a PP, 8 has none
        sharings=(
            *(SharingRow("MSSANTE", EHPAD, at(5), person_id=7) for _ in range(30)),
            SharingRow("MSSANTE", EHPAD, at(5)),  # about nobody
            SharingRow("MSSANTE", EHPAD, at(5), person_id=8),  # not in the PP denominator
            SharingRow("MSSANTE", EHPAD, at(5), person_id=99),  # not accompanied
            SharingRow("DMP", EHPAD, at(5), person_id=7),
            SharingRow("DMP", EHPAD, at(6), person_id=7),
            SharingRow("DMP", EHPAD, at(6), person_id=99),
        ),
    )
    counted = d.figures(data, EHPAD, MARCH, BOUNDS)
    assert counted.values[d.MSSANTE] == (1, 1) and counted.values[d.DMP] == (1, 1)
    assert counted.sent == (33, 3)
    wide = d.figures(data, EHPAD, MARCH, BOUNDS, {d.MSSANTE: d.MAY_HAVE_PP, d.DMP: d.MAY_HAVE_PP})
    assert wide.values[d.MSSANTE] == (2, 2) and wide.values[d.DMP] == (1, 2)
    results = {r.key: r for r in d.results(counted)}
    assert results[d.MSSANTE].rate == Decimal("100.0") and results[d.MSSANTE].sent == 33
    assert results[d.MSSANTE].no_sending == "" and results[d.ACTIVE].sent is None


def test_no_sending_is_said_and_the_target_missed():
    data = Dataset(
        stays=(StayRow(7, EHPAD, dt.date(2025, 1, 1)),),
        changes=(RecordChange(7, dt.date(2026, 3, 2)),),
        pp_statuses=(pp(1, "ENCOURS", at(1, 1)),),
    )
    results = {r.key: r for r in d.results(d.figures(data, EHPAD, MARCH, BOUNDS))}
    for key in (d.MSSANTE, d.DMP):
        assert (results[key].numerator, results[key].denominator) == (0, 1)
        assert results[key].rate == Decimal("0.0") and not results[key].met
        assert results[key].no_sending.startswith("Pas encore d'envoi")
    assert results[d.ACTIVE].no_sending == ""


def test_rate_rounding_and_zero_denominator():
    assert d.rate(2, 3) == Decimal("66.7")
    assert d.rate(1, 8) == Decimal("12.5")
    assert d.rate(1, 16) == Decimal("6.3")  # 6.25 rounds half up
    assert d.rate(9, 10) == Decimal("90.0")
    assert d.rate(0, 0) is None
    assert d.target_met(Decimal("90.0"), 90) and not d.target_met(Decimal("89.9"), 90)
    assert not d.target_met(None, 70)


def test_file_active_three_years_ignores_years_without_anyone():
    stays = (
        StayRow(1, EHPAD, dt.date(2025, 6, 1)),
        StayRow(2, EHPAD, dt.date(2025, 6, 1), dt.date(2025, 7, 1)),
        StayRow(3, EHPAD, dt.date(2024, 6, 1), dt.date(2024, 7, 1)),
    )
    # windows ending 04/2026: [04/2025, 04/2026) -> {1, 2}; [04/2024, 04/2025) -> {3}; none.
    assert d.file_active_3_years(stays, EHPAD, MARCH) == 2  # (2 + 1) / 2 = 1.5 -> 2
    assert d.file_active_3_years(stays, IME, MARCH) == 0


def test_full_figures_and_results_with_variants():
    data = Dataset(
        stays=tuple(StayRow(p, EHPAD, dt.date(2025, 1, 1)) for p in range(1, 11)),
        changes=tuple(RecordChange(p, dt.date(2026, 3, 2)) for p in range(1, 10)),
        events=(
            *(EventRow(p, EHPAD, at(4)) for p in range(1, 9)),
            EventRow(9, EHPAD, at(4), agenda=False),
        ),
        pp_statuses=tuple(pp(p, "ENCOURS", at(1, 1), person=p) for p in range(1, 8)),
        sharings=tuple(SharingRow("MSSANTE", EHPAD, at(5)) for _ in range(5))
        + tuple(SharingRow("DMP", EHPAD, at(5), person_id=p) for p in range(1, 6)),
    )
    values = d.figures(data, EHPAD, MARCH, BOUNDS).values
    assert values == {
        d.ACTIVE: (9, 10),
        d.ACTIVE_PP: (7, 9),
        d.ACTIVE_EVENT: (9, 9),
        d.MSSANTE: (0, 7),  # five messages about nobody: not in the rate
        d.DMP: (5, 7),
    }
    variants = {d.ACTIVE_EVENT: d.AGENDA_ONLY, d.MSSANTE: d.MAY_HAVE_PP}
    other = d.figures(data, EHPAD, MARCH, BOUNDS, variants).values
    assert other[d.ACTIVE_EVENT] == (8, 9)
    assert other[d.MSSANTE] == (0, 10)
    results = {r.key: r for r in d.results(d.Figures(values))}
    assert results[d.ACTIVE].rate == Decimal("90.0") and results[d.ACTIVE].met
    assert results[d.ACTIVE_PP].rate == Decimal("77.8") and not results[d.ACTIVE_PP].met
    assert results[d.MSSANTE].target == 70 and not results[d.MSSANTE].met
    assert results[d.DMP].rate == Decimal("71.4") and results[d.DMP].met
    assert results[d.ACTIVE].variant == d.ACCOMPANIED
    assert "personnes accompagnées" in results[d.ACTIVE].variant_label
    # Each figure carries its definition in French, by variant.
    assert results[d.ACTIVE].definition.startswith("Numérateur : dossiers actifs")
    assert "100 %" in results[d.ACTIVE].definition
    assert "rendez-vous d'agenda" in d.results(d.Figures(other), variants)[2].definition


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="Variante inconnue"):
        d.resolve_variants({d.ACTIVE: "n-importe-quoi"})


# --- property: every numerator is a part of its denominator, for every variant -----------------

ALL_VARIANTS = [
    dict(zip(d.VARIANTS, codes, strict=True))
    for codes in itertools.product(*(list(options) for options in d.VARIANTS.values()))
]
_DAYS = st.dates(dt.date(2022, 1, 1), dt.date(2026, 5, 1))
_INSTANTS = st.builds(
    lambda day, hour: dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC),
    st.dates(dt.date(2026, 1, 1), dt.date(2026, 5, 1)),
    st.integers(0, 23),
)
_PERSONS = st.integers(1, 6)
_FACILITIES = st.sampled_from([EHPAD, IME])


@st.composite
def _stay(draw):
    start = draw(_DAYS)
    end = draw(st.one_of(st.none(), st.dates(start, dt.date(2026, 6, 1))))
    return StayRow(draw(_PERSONS), draw(_FACILITIES), start, end)


_DATASETS = st.builds(
    Dataset,
    stays=st.lists(_stay(), max_size=8).map(tuple),
    changes=st.lists(st.builds(RecordChange, _PERSONS, _DAYS, st.booleans()), max_size=8).map(
        tuple
    ),
    events=st.lists(
        st.builds(EventRow, _PERSONS, _FACILITIES, _INSTANTS, st.booleans(), st.booleans()),
        max_size=8,
    ).map(tuple),
    pp_statuses=st.lists(
        st.builds(
            PPStatusRow,
            st.integers(1, 4),
            _PERSONS,
            _FACILITIES,
            _INSTANTS,
            st.sampled_from(["ENPREPARATION", "ENCOURS", "ENPAUSE", "TERMINE"]),
        ),
        max_size=8,
    ).map(tuple),
    sharings=st.lists(
        st.builds(
            SharingRow,
            st.sampled_from(["DMP", "MSSANTE"]),
            _FACILITIES,
            _INSTANTS,
            st.one_of(st.none(), _PERSONS),
            st.sampled_from(["sent", "failed"]),
        ),
        max_size=12,
    ).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(data=_DATASETS, month=st.integers(1, 4))
def test_no_rate_exceeds_100_percent_whatever_the_data_and_variant(data, month):
    period = Period.month(2026, month)
    bounds = (
        dt.datetime.combine(period.start, dt.time.min, tzinfo=dt.UTC),
        dt.datetime.combine(period.end, dt.time.min, tzinfo=dt.UTC),
    )
    for variants in ALL_VARIANTS:
        counted = d.populations(data, EHPAD, period, bounds, variants)
        values = d.figures(data, EHPAD, period, bounds, variants)
        for key in d.KEYS:
            population = counted[key]
            assert population.numerator <= population.denominator, (key, variants)
            numerator, denominator = values.values[key]
            assert (numerator, denominator) == population.counts
            assert numerator <= denominator, (key, variants)
        for result in d.results(values, variants):
            assert result.rate is None or result.rate <= 100, (result.key, variants)
