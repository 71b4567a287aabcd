"""Pure rules of the projet personnalisé: each test fails when its rule is broken."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.accompaniment import rules
from opendui.accompaniment.rules import ItemStatus, ProjectStatus
from opendui.stays.rules import add_months

P = ProjectStatus
ALLOWED_PROJECT = {
    (P.DRAFT, P.ACTIVE),
    (P.ACTIVE, P.PAUSED),
    (P.PAUSED, P.ACTIVE),
    (P.ACTIVE, P.DONE),
    (P.PAUSED, P.DONE),
}


@pytest.mark.parametrize("current", list(P))
@pytest.mark.parametrize("target", list(P))
def test_project_transitions_are_exactly_the_allowed_ones(current, target):
    problem = rules.project_transition_problem(current, target)
    assert (problem is None) == ((current, target) in ALLOWED_PROJECT), (current, target)


I = ItemStatus  # noqa: E741
ALLOWED_ITEM = {
    (I.DRAFT, I.ACTIVE),
    (I.DRAFT, I.CANCELLED),
    (I.ACTIVE, I.DONE),
    (I.ACTIVE, I.CANCELLED),
}


@pytest.mark.parametrize("current", list(I))
@pytest.mark.parametrize("target", list(I))
def test_item_transitions_are_exactly_the_allowed_ones(current, target):
    problem = rules.item_transition_problem(current, target)
    assert (problem is None) == ((current, target) in ALLOWED_ITEM), (current, target)


def test_unknown_status_is_a_french_message():
    assert "inconnu" in rules.project_transition_problem("ENCOURS", "ACTIF")
    assert "définitif" in rules.project_transition_problem("TERMINE", "ENCOURS")


@pytest.mark.parametrize(
    ("authors", "ok"),
    [
        ({"structure", "personne"}, True),
        ({"structure", "representant"}, True),
        ({"structure"}, False),
        ({"personne", "representant"}, False),
        (set(), False),
    ],
)
def test_going_encours_needs_structure_and_person_or_representative(authors, ok):
    assert (rules.activation_problem(authors) is None) is ok


def test_activation_message_names_what_is_missing():
    assert "structure" in rules.activation_problem({"personne"})
    assert "personne" in rules.activation_problem({"structure"})


TODAY = dt.date(2026, 6, 15)


def test_agreement_not_before_the_project_nor_in_the_future():
    created = dt.date(2026, 6, 1)
    assert rules.agreement_date_problem(dt.date(2026, 6, 1), created, TODAY) is None
    assert rules.agreement_date_problem(TODAY, created, TODAY) is None
    assert "avant la création" in rules.agreement_date_problem(dt.date(2026, 5, 31), created, TODAY)
    assert "futur" in rules.agreement_date_problem(TODAY + dt.timedelta(days=1), created, TODAY)
    assert rules.agreement_date_problem(TODAY, created, TODAY, TODAY - dt.timedelta(days=1))


def test_review_due_is_none_for_a_draft():
    assert rules.review_due(None) is None


def test_review_due_one_year_after_validation_then_after_last_review():
    assert rules.review_due(dt.date(2025, 3, 10)) == dt.date(2026, 3, 10)
    assert rules.review_due(dt.date(2025, 3, 10), dt.date(2025, 9, 1)) == dt.date(2026, 9, 1)
    assert rules.review_due(dt.date(2024, 2, 29)) == dt.date(2025, 2, 28)


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2040, 12, 31))


@given(validated=dates, offset=st.integers(0, 800), asked=st.integers(1, 800))
def test_review_due_never_later_than_a_year_and_honours_an_earlier_request(
    validated, offset, asked
):
    last = validated + dt.timedelta(days=offset)
    next_on = last + dt.timedelta(days=asked)
    due = rules.review_due(validated, last, next_on)
    year = add_months(last, 12)
    assert due <= year
    assert due == min(year, next_on)
    assert due > last


@given(validated=dates, offset=st.integers(0, 800))
def test_review_counts_from_the_latest_of_validation_and_review(validated, offset):
    earlier_review = validated - dt.timedelta(days=offset)
    assert rules.review_due(validated, earlier_review) == add_months(validated, 12)


@given(admission=dates)
def test_first_objectives_due_six_months_after_admission(admission):
    due = rules.first_objectives_due(admission)
    assert due == add_months(admission, 6)
    assert (due - admission).days + 3 >= 181 and (due - admission).days <= 184
    assert not rules.is_overdue(due, due)
    assert rules.is_overdue(due, due + dt.timedelta(days=1))


def test_review_dates():
    validated = dt.date(2026, 1, 1)
    assert rules.review_date_problem(TODAY, validated, TODAY, None) is None
    assert "futur" in rules.review_date_problem(
        TODAY + dt.timedelta(days=1), validated, TODAY, None
    )
    assert "précéder" in rules.review_date_problem(dt.date(2025, 12, 31), validated, TODAY, None)
    assert "postérieure" in rules.review_date_problem(TODAY, validated, TODAY, TODAY)
