"""The indicator definitions on hand-built cases (programme-esms-numerique.md §1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

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


def test_discharged_earlier_in_the_year_but_updated_is_active():
    """'Accompanied during the year': the numerator may exceed the period's denominator."""
    data = Dataset(
        stays=(StayRow(7, EHPAD, dt.date(2024, 1, 1), dt.date(2025, 10, 2)),),
        changes=(RecordChange(7, dt.date(2026, 3, 5)),),
    )
    values = d.figures(data, EHPAD, MARCH, BOUNDS).values
    assert values[d.ACTIVE] == (1, 0)
    assert d.results(d.Figures(values))[0].rate is None


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
    assert d.mssante_messages(data, EHPAD, *BOUNDS) == 2
    assert d.dmp_fed(data, EHPAD, *BOUNDS) == 1


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
        d.MSSANTE: (5, 7),
        d.DMP: (5, 7),
    }
    variants = {d.ACTIVE_EVENT: d.AGENDA_ONLY, d.MSSANTE: d.MAY_HAVE_PP}
    other = d.figures(data, EHPAD, MARCH, BOUNDS, variants).values
    assert other[d.ACTIVE_EVENT] == (8, 9)
    assert other[d.MSSANTE] == (5, 10)
    results = {r.key: r for r in d.results(d.Figures(values))}
    assert results[d.ACTIVE].rate == Decimal("90.0") and results[d.ACTIVE].met
    assert results[d.ACTIVE_PP].rate == Decimal("77.8") and not results[d.ACTIVE_PP].met
    assert results[d.MSSANTE].target == 70 and results[d.MSSANTE].met
    assert results[d.ACTIVE].variant == d.ACCOMPANIED
    assert "personnes accompagnées" in results[d.ACTIVE].variant_label


def test_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="Variante inconnue"):
        d.resolve_variants({d.ACTIVE: "n-importe-quoi"})
