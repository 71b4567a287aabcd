"""Pure rules of incidents: statuses, dates, the 48-hour confirmation, deadlines, anonymity."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.incidents import rules
from opendui.incidents.rules import ActionStatus, ReportMode, Severity, Status

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2040, 1, 1), timezones=st.just(dt.UTC)
)


def test_eleven_categories_of_the_arrete():
    assert [c.value for c in rules.Category] == [str(n) for n in range(1, 12)]
    assert set(rules.CATEGORY_LABELS) == set(rules.Category)


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        (Status.DECLARED, Status.ANALYSIS, True),
        (Status.ANALYSIS, Status.CLOSED, True),
        (Status.CLOSED, Status.ANALYSIS, True),
        (Status.DECLARED, Status.CLOSED, False),
        (Status.ANALYSIS, Status.DECLARED, False),
        (Status.CLOSED, Status.CLOSED, False),
    ],
)
def test_transitions(current, target, ok):
    assert (rules.transition_problem(current, target) is None) is ok


def test_unknown_status_is_refused_in_french():
    assert "inconnu" in rules.transition_problem("declare", "perdu")


def test_reportable_severities():
    assert not rules.must_report(Severity.EI)
    assert rules.must_report(Severity.EIG)
    assert rules.must_report(Severity.SERIOUS_DYSFUNCTION)


@given(moments, moments)
def test_occurrence_never_after_declaration(occurred, declared):
    problems = rules.occurrence_problems(occurred, declared)
    assert ("occurred_at" in problems) is (occurred > declared)


def test_discovery_between_occurrence_and_declaration():
    occurred = NOW - dt.timedelta(days=2)
    assert "discovered_at" in rules.occurrence_problems(occurred, NOW, occurred - dt.timedelta(1))
    assert "discovered_at" in rules.occurrence_problems(occurred, NOW, NOW + dt.timedelta(1))
    assert rules.occurrence_problems(occurred, NOW, occurred + dt.timedelta(hours=3)) == {}


@given(moments)
def test_confirmation_is_due_48_hours_after_an_oral_report(reported):
    due = rules.confirmation_due(reported)
    assert due - reported == dt.timedelta(hours=48)


@given(moments, st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=10)))
def test_unconfirmed_oral_report_is_late_only_after_48_hours(reported, elapsed):
    facts = rules.DeadlineFacts(
        severity=Severity.EIG,
        status=Status.ANALYSIS,
        occurred_at=reported - dt.timedelta(hours=1),
        reported_at=reported,
        report_mode=ReportMode.ORAL,
        confirmed_at=None,
    )
    [deadline] = rules.deadlines(facts, reported + elapsed)
    assert deadline.overdue is (elapsed > dt.timedelta(hours=48))
    assert deadline.text.startswith("Confirmation écrite à l'ARS avant le ")
    assert deadline.due == reported + dt.timedelta(hours=48)


def test_confirmed_or_written_report_has_no_deadline():
    base = {
        "severity": Severity.EIG,
        "status": Status.ANALYSIS,
        "occurred_at": NOW - dt.timedelta(days=3),
        "reported_at": NOW - dt.timedelta(days=2),
    }
    written = rules.DeadlineFacts(**base, report_mode=ReportMode.WRITTEN, confirmed_at=None)
    confirmed = rules.DeadlineFacts(**base, report_mode=ReportMode.ORAL, confirmed_at=NOW)
    assert rules.deadlines(written, NOW) == []
    assert rules.deadlines(confirmed, NOW) == []


def test_eig_not_reported_is_due_without_delay_with_its_age():
    facts = rules.DeadlineFacts(
        severity=Severity.EIG,
        status=Status.DECLARED,
        occurred_at=NOW - dt.timedelta(days=3, hours=2),
        reported_at=None,
        report_mode="",
        confirmed_at=None,
    )
    [deadline] = rules.deadlines(facts, NOW)
    assert deadline.overdue
    assert "sans délai" in deadline.text
    assert "3 jours" in deadline.text


def test_ei_has_no_ars_deadline_but_overdue_actions_show():
    facts = rules.DeadlineFacts(
        severity=Severity.EI,
        status=Status.ANALYSIS,
        occurred_at=NOW,
        reported_at=None,
        report_mode="",
        confirmed_at=None,
        overdue_actions=2,
    )
    assert [d.text for d in rules.deadlines(facts, NOW)] == ["2 actions correctives en retard"]


@given(
    st.sampled_from(list(ActionStatus)),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)),
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 1, 1)),
)
def test_action_overdue_when_open_past_due(status, due, today):
    expected = status in {ActionStatus.PLANNED, ActionStatus.IN_PROGRESS} and due < today
    assert rules.action_overdue(status, due, today) is expected


def test_closing_needs_analysis_report_confirmation_and_no_open_action():
    facts = rules.ClosingFacts(
        severity=Severity.EIG,
        has_analysis=False,
        reported_at=NOW,
        report_mode=ReportMode.ORAL,
        confirmed_at=None,
        open_actions=1,
    )
    problems = rules.closing_problems(facts)
    assert len(problems) == 3
    ok = rules.ClosingFacts(Severity.EIG, True, NOW, ReportMode.ORAL, NOW, 0)
    assert rules.closing_problems(ok) == []
    assert rules.closing_problems(rules.ClosingFacts(Severity.EI, True, None, "", None, 0)) == []


def test_report_dates():
    occurred = NOW - dt.timedelta(days=1)
    assert "ars_reported_at" in rules.report_problems(
        occurred, NOW, occurred - dt.timedelta(1), "oral", None
    )
    assert "ars_reported_at" in rules.report_problems(
        occurred, NOW, NOW + dt.timedelta(1), "oral", None
    )
    assert "ars_confirmed_at" in rules.report_problems(occurred, NOW, NOW, "ecrit", NOW)
    assert "ars_confirmed_at" in rules.report_problems(occurred, NOW, None, "", NOW)
    assert "ars_report_mode" in rules.report_problems(occurred, NOW, NOW, "", None)
    assert rules.report_problems(occurred, NOW, occurred, "oral", NOW) == {}


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 1, 1)))
def test_age_on(birth):
    on = dt.date(2026, 3, 10)
    age = rules.age_on(birth, on)
    assert dt.date(birth.year + age, birth.month, min(birth.day, 28)) <= on


def test_anonymous_label():
    assert rules.anonymous_label(1, "F", 87) == "personne accompagnée n°1 (femme, 87 ans)"
    assert rules.anonymous_label(2, "M", 12) == "personne accompagnée n°2 (garçon, 12 ans)"
    assert rules.anonymous_label(3, "I", 1) == "personne accompagnée n°3 (sexe non précisé, 1 an)"
