"""Events over several days in the facility plannings: on every day they cover."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from opendui.agenda.render import covered_days

from .helpers import PARIS, at, make


@pytest.fixture
def educator(world):
    return world.user("educateur", facility=world.ehpad)


def _week(client, world, date: str) -> list[str]:
    """The text of each day's cells (Monday first), all units together."""
    response = client.get(
        reverse("agenda:planning_week", kwargs={"facility_pk": world.ehpad.pk}), {"date": date}
    )
    assert response.status_code == 200
    days = ["" for _ in range(7)]
    for line in response.context["lines"]:
        for index, cell in enumerate(line["cells"]):
            days[index] += " | ".join(str(row["html"]) for row in cell)
    return days


def test_a_three_day_outing_is_on_each_of_its_days(world, educator, client, login):
    make(
        educator,
        world.ehpad,
        at(3, 10),
        at(5, 16),
        persons=[world.anne],
        title="Séjour à la mer",
    )
    login(educator)
    mon, tue, wed, thu, fri, sat, sun = _week(client, world, "2026-03-04")
    assert mon == "" and fri == "" and sat == "" and sun == ""
    assert "10:00–24:00 Séjour à la mer" in tue and "jour 1 sur 3, jusqu'au 05/03" in tue
    assert "00:00–24:00 Séjour à la mer" in wed and "suite, jour 2 sur 3" in wed
    assert "00:00–16:00 Séjour à la mer" in thu and "suite, jour 3 sur 3" in thu
    assert "Anne" in wed  # the participants are on every day too


def test_an_event_started_before_the_week_is_shown_from_monday(world, educator, client, login):
    make(educator, world.ehpad, at(28, 18, month=2), at(3, 10), title="Camp", persons=[world.bruno])
    login(educator)
    mon, tue, wed, *_ = _week(client, world, "2026-03-02")
    assert "00:00–24:00 Camp" in mon and "suite, jour 3 sur 4" in mon
    assert "00:00–10:00 Camp" in tue and "suite, jour 4 sur 4" in tue
    assert wed == ""
    # The week before shows its first two days, on Saturday and Sunday.
    *_, sat, sun = _week(client, world, "2026-02-25")
    assert "18:00–24:00 Camp" in sat and "jour 1 sur 4" in sat
    assert "00:00–24:00 Camp" in sun and "suite, jour 2 sur 4" in sun


def test_an_overnight_stay_ending_next_week_and_one_ending_at_midnight(
    world, educator, client, login
):
    make(educator, world.ehpad, at(6, 18), at(9, 10), title="Week-end", persons=[world.bruno])
    make(educator, world.ehpad, at(2, 20), at(3, 0), title="Veillée", persons=[world.bruno])
    login(educator)
    mon, tue, _wed, _thu, fri, sat, sun = _week(client, world, "2026-03-02")
    assert "20:00–00:00 Veillée" in mon and "Veillée" not in tue  # midnight: one day
    assert "jour" not in mon
    assert "18:00–24:00 Week-end" in fri and "jusqu'au 09/03" in fri
    assert "suite, jour 2 sur 4" in sat and "suite, jour 3 sur 4" in sun
    next_mon, *_ = _week(client, world, "2026-03-09")
    assert "00:00–10:00 Week-end" in next_mon and "suite, jour 4 sur 4" in next_mon


def test_the_day_planning_clips_the_times_to_the_day(world, educator, client, login):
    make(educator, world.ehpad, at(3, 10), at(5, 16), title="Séjour à la mer", persons=[world.anne])
    login(educator)
    page = client.get(
        reverse("agenda:planning_day", kwargs={"facility_pk": world.ehpad.pk}),
        {"date": "2026-03-04"},
    ).content.decode()
    assert "00:00–24:00 Séjour à la mer" in page and "suite, jour 2 sur 3" in page


def test_multi_day_events_keep_the_week_page_queries_bounded(world, educator, client, login):
    login(educator)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            _week(client, world, "2026-03-04")
        return len(queries)

    make(educator, world.ehpad, at(2, 9), at(2, 10), persons=[world.anne])
    baseline = count()
    for i in range(15):
        make(
            educator,
            world.ehpad,
            at(1 + i % 3, 8),
            at(4 + i % 3, 18),
            persons=[world.anne, world.bruno],
            professionals=[educator],
            title=f"Sortie {i}",
        )
    assert count() <= baseline + 1  # the events carried from the week before: one query
    assert count() <= 20
    assert "Sortie 14" in _week(client, world, "2026-03-04")[2]


@given(
    start=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    minutes=st.integers(min_value=0, max_value=14 * 24 * 60),
)
def test_covered_days_property(start, minutes):
    start = start.replace(tzinfo=PARIS)
    end = start + dt.timedelta(minutes=minutes)
    first, last = covered_days(start, end)
    assert first == start.date() and first <= last <= end.date()
    # The last day is the day of the end, unless the event ends exactly at midnight.
    if end.time() != dt.time(0) or end == start:
        assert last == end.date()
    else:
        assert last == end.date() - dt.timedelta(days=1)
