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
    agreements = [(a, 7 if a == "representant" else None) for a in authors]
    assert (rules.activation_problem(agreements) is None) is ok


def test_activation_message_names_what_is_missing():
    assert "structure" in rules.activation_problem([("personne", None)])
    assert "personne" in rules.activation_problem([("structure", None)])


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


def test_a_next_review_more_than_a_year_after_the_review_is_refused():
    held = dt.date(2026, 3, 10)
    assert rules.review_date_problem(held, held, held, dt.date(2027, 3, 10)) is None
    problem = rules.review_date_problem(held, held, held, dt.date(2027, 3, 11))
    assert "au plus tard le 10/03/2027" in problem
    # 29 February: the year ends on 28 February.
    leap = dt.date(2024, 2, 29)
    assert rules.review_date_problem(leap, leap, leap, dt.date(2025, 3, 1))
    assert rules.review_date_problem(leap, leap, leap, dt.date(2025, 2, 28)) is None


@given(held=dates, asked=st.integers(1, 900))
def test_an_accepted_next_review_keeps_the_due_date_within_the_year(held, asked):
    next_on = held + dt.timedelta(days=asked)
    problem = rules.review_date_problem(held, held, held, next_on)
    assert (problem is None) == (next_on <= add_months(held, 12))
    if problem is None:  # what is accepted is what review_due will use
        assert rules.review_due(held, held, next_on) == next_on


def test_review_dates():
    validated = dt.date(2026, 1, 1)
    assert rules.review_date_problem(TODAY, validated, TODAY, None) is None
    assert "futur" in rules.review_date_problem(
        TODAY + dt.timedelta(days=1), validated, TODAY, None
    )
    assert "précéder" in rules.review_date_problem(dt.date(2025, 12, 31), validated, TODAY, None)
    assert "postérieure" in rules.review_date_problem(TODAY, validated, TODAY, TODAY)


# --- whose agreement a validation needs -----------------------------------------------------

MOTHER = rules.Signatory(1, "MARTIN Léa", "représentant légal")
FATHER = rules.Signatory(2, "MARTIN Paul", "représentant légal")
TUTOR = rules.Signatory(3, "UDAF 69", "tutelle")


def _needed(minor=False, measures=(), relatives=()):
    return rules.agreements_needed(
        minor=minor, measures=list(measures), legal_representatives=list(relatives)
    )


def test_an_adult_without_representation_consents_themself():
    needed = _needed(relatives=[MOTHER])
    assert not needed.represented
    assert rules.activation_problem([("structure", None), ("personne", None)], needed) is None


def test_a_minor_needs_each_holder_of_parental_authority_not_only_their_own_agreement():
    needed = _needed(minor=True, relatives=[MOTHER, FATHER])
    assert needed.represented and needed.representatives == (MOTHER, FATHER)
    own = [("structure", None), ("personne", None)]
    problem = rules.activation_problem(own, needed)
    assert "MARTIN Léa" in problem and "MARTIN Paul" in problem
    one_parent = [*own, ("representant", MOTHER.id)]
    assert "MARTIN Paul" in rules.activation_problem(one_parent, needed)
    assert "MARTIN Léa" not in rules.activation_problem(one_parent, needed)
    both = [("structure", None), ("representant", 1), ("representant", 2)]
    assert rules.activation_problem(both, needed) is None  # the minor's own is welcome only


def test_a_measure_with_representation_needs_its_named_representative():
    needed = _needed(measures=[("tutelle", TUTOR)], relatives=[MOTHER])
    assert needed.representatives == (TUTOR,) and needed.because == "sous tutelle"
    assert rules.activation_problem([("structure", None), ("personne", None)], needed)
    assert rules.activation_problem([("structure", None), ("representant", 3)], needed) is None
    # A measure naming nobody falls back on the relatives recorded as legal representatives.
    fallback = _needed(measures=[("tutelle", None)], relatives=[MOTHER])
    assert fallback.representatives == (MOTHER,)


def test_a_represented_person_without_any_representative_recorded_cannot_be_validated():
    needed = _needed(minor=True)
    problem = rules.activation_problem([("structure", None), ("personne", None)], needed)
    assert "aucun représentant légal n'est enregistré" in problem
    assert "mineure" in problem


def test_the_checklist_says_what_is_obtained_and_what_is_missing():
    needed = _needed(minor=True, relatives=[MOTHER, FATHER])
    lines = rules.agreement_checklist([("representant", 1)], needed)
    assert [(line.obtained, line.required) for line in lines] == [
        (False, True),  # structure
        (True, True),  # mother
        (False, True),  # father
        (False, False),  # the minor's own opinion: sought, not required
    ]


signatories = st.lists(
    st.builds(rules.Signatory, st.integers(1, 6), st.just("X"), st.just("y")),
    max_size=4,
    unique_by=lambda s: s.id,
)


@given(
    minor=st.booleans(),
    named=st.lists(st.one_of(st.none(), st.integers(10, 12)), max_size=2),
    relatives=signatories,
    signed=st.sets(st.integers(1, 12)),
    person=st.booleans(),
    structure=st.booleans(),
)
def test_validation_needs_the_structure_and_every_representative_of_a_represented_person(
    minor, named, relatives, signed, person, structure
):
    measures = [
        ("tutelle", rules.Signatory(n, "T", "tutelle") if n is not None else None) for n in named
    ]
    needed = _needed(minor, measures, relatives)
    agreements = [("representant", s) for s in signed]
    agreements += [("personne", None)] * person + [("structure", None)] * structure
    ok = rules.activation_problem(agreements, needed) is None
    if not minor and not measures:
        assert ok == (structure and (person or bool(signed)))
        return
    required = {n for n in named if n is not None}
    if minor or None in named:
        required |= {r.id for r in relatives}
    assert {s.id for s in needed.representatives} == required
    assert ok == (structure and bool(required) and required <= signed)
