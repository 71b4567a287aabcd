"""Pure rules: renewal alerts at the 60-day boundary, code organisme, département."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from opendui.administrative import rules
from opendui.administrative.rules import RightFacts, RightState

TODAY = dt.date(2026, 12, 7)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31))


def test_the_alert_starts_exactly_60_days_before_the_end():
    assert rules.state_on(None, TODAY + dt.timedelta(days=60), TODAY) is RightState.EXPIRING
    assert rules.state_on(None, TODAY + dt.timedelta(days=61), TODAY) is RightState.VALID
    assert rules.state_on(None, TODAY, TODAY) is RightState.EXPIRING
    assert rules.state_on(None, TODAY - dt.timedelta(days=1), TODAY) is RightState.EXPIRED
    assert rules.state_on(None, None, TODAY) is RightState.OPEN
    assert rules.state_on(TODAY + dt.timedelta(days=1), None, TODAY) is RightState.FUTURE


@given(end=dates, today=dates)
def test_state_is_decided_by_the_distance_to_the_end(end, today):
    state = rules.state_on(None, end, today)
    days = (end - today).days
    if days < 0:
        assert state is RightState.EXPIRED
    elif days <= rules.ALERT_DAYS:
        assert state is RightState.EXPIRING
    else:
        assert state is RightState.VALID


@given(
    ends=st.lists(st.one_of(st.none(), dates), min_size=1, max_size=5),
    today=dates,
)
def test_one_alert_per_kind_for_its_longest_right_only(ends, today):
    facts = [RightFacts("apa", "APA", None, end) for end in ends]
    found = rules.alerts(facts, today)
    assert len(found) <= 1
    if None in ends:
        assert found == []  # a right without end renews every other
        return
    latest = max(ends)
    days = (latest - today).days
    if days <= rules.ALERT_DAYS:
        assert [a.facts.end for a in found] == [latest]
        assert found[0].state is (RightState.EXPIRED if days < 0 else RightState.EXPIRING)
    else:
        assert found == []


def test_alert_messages_are_french_and_sorted_by_end():
    facts = [
        RightFacts("aah", "AAH", None, TODAY + dt.timedelta(days=30)),
        RightFacts("pch", "PCH", None, TODAY - dt.timedelta(days=3)),
        RightFacts("rqth", "RQTH", None, TODAY + dt.timedelta(days=300)),
    ]
    assert [a.message for a in rules.alerts(facts, TODAY)] == [
        "PCH : droit expiré le 04/12/2026, à renouveler.",
        "AAH : droit à renouveler, il prend fin le 06/01/2027.",
    ]


def test_code_organisme():
    assert rules.organisation_code_problem("011751234") is None
    assert rules.organisation_code_problem("011751234", "01") is None
    assert "9 chiffres" in rules.organisation_code_problem("01175123")
    assert "9 chiffres" in rules.organisation_code_problem("01175123A")
    assert "régime" in rules.organisation_code_problem("021751234", "01")


def test_departments():
    for code in ["01", "75", "95", "2A", "2B", "971", "976"]:
        assert rules.department_problem(code) is None
    for code in ["00", "20", "96", "977", "2C", "7", ""]:
        assert rules.department_problem(code)
