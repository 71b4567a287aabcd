"""Pure rules: admission workflow, contract kind and D311 deadlines."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opendui.stays.rules import (
    CONTRACT,
    DIPC,
    ESTABLISHMENT,
    HOME,
    TRANSITIONS,
    AdmissionStatus,
    ContractFacts,
    add_months,
    contract_deadlines,
    contract_kind,
    overdue_items,
    transition_problem,
)

S = AdmissionStatus
ALLOWED = [
    (S.RECEIVED, S.UNDER_REVIEW),
    (S.RECEIVED, S.REFUSED),
    (S.RECEIVED, S.CANCELLED),
    (S.UNDER_REVIEW, S.ACCEPTED),
    (S.UNDER_REVIEW, S.WAITING_LIST),
    (S.UNDER_REVIEW, S.REFUSED),
    (S.UNDER_REVIEW, S.CANCELLED),
    (S.WAITING_LIST, S.ACCEPTED),
    (S.WAITING_LIST, S.REFUSED),
    (S.WAITING_LIST, S.CANCELLED),
    (S.ACCEPTED, S.ADMITTED),
    (S.ACCEPTED, S.WAITING_LIST),
    (S.ACCEPTED, S.CANCELLED),
]


def test_table_is_exactly_the_allowed_list():
    table = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == set(ALLOWED)
    assert set(TRANSITIONS) == set(AdmissionStatus)


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions(current, target):
    assert transition_problem(current, target) is None


@pytest.mark.parametrize("current", list(AdmissionStatus))
@pytest.mark.parametrize("target", list(AdmissionStatus))
def test_every_other_transition_is_refused_in_french(current, target):
    if (current, target) in ALLOWED:
        return
    message = transition_problem(current, target)
    assert message
    assert "«" in message


def test_refusal_messages():
    assert transition_problem("recue", "admise") == (
        "Impossible de passer la demande de « reçue » à « admise ». "
        "Statuts possibles : « en étude », « refusée », « annulée »."
    )
    assert "définitif" in transition_problem("refusee", "en_etude")
    assert "définitif" in transition_problem("admise", "annulee")
    assert transition_problem("acceptee", "acceptee") == (
        "La demande est déjà au statut « acceptée »."
    )
    assert transition_problem("recue", "perdue") == (
        "Statut de demande d'admission inconnu : « perdue »."
    )


@pytest.mark.parametrize(
    ("days", "setting", "kind"),
    [
        (None, ESTABLISHMENT, CONTRACT),
        (62, ESTABLISHMENT, CONTRACT),
        (61, ESTABLISHMENT, DIPC),
        (30, ESTABLISHMENT, DIPC),
        (None, HOME, DIPC),
        (400, HOME, DIPC),
    ],
)
def test_contract_kind(days, setting, kind):
    assert contract_kind(days, setting) == kind


def test_contract_kind_unknown_setting():
    with pytest.raises(ValueError):
        contract_kind(10, "ailleurs")


@pytest.mark.parametrize(
    ("admission", "signature", "amendment"),
    [
        (dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 7, 31)),
        (dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 7, 31)),
        (dt.date(2025, 8, 31), dt.date(2025, 9, 30), dt.date(2026, 2, 28)),
        (dt.date(2025, 12, 15), dt.date(2026, 1, 15), dt.date(2026, 6, 15)),
        (dt.date(2025, 3, 31), dt.date(2025, 4, 30), dt.date(2025, 9, 30)),
    ],
)
def test_deadlines_month_ends(admission, signature, amendment):
    due = contract_deadlines(admission, CONTRACT)
    assert due.handover == admission + dt.timedelta(days=15)
    assert due.signature == signature
    assert due.objectives_amendment == amendment


def test_deadlines_unknown_kind():
    with pytest.raises(ValueError):
        contract_deadlines(dt.date(2025, 1, 1), "bail")


dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))


@given(dates, st.integers(min_value=0, max_value=120))
def test_add_months_properties(day, months):
    result = add_months(day, months)
    # Lands in the right calendar month...
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    # ...on the same day number, or on the month's last day when it is shorter.
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(day.day, last)
    assert result >= day


@given(dates)
def test_deadlines_are_ordered_and_within_bounds(admission):
    due = contract_deadlines(admission, DIPC)
    assert admission < due.handover < due.objectives_amendment
    assert admission < due.signature < due.objectives_amendment
    assert 28 <= (due.signature - admission).days <= 31
    assert 181 <= (due.objectives_amendment - admission).days <= 184


@given(dates)
def test_nothing_overdue_on_the_due_date_itself(admission):
    due = contract_deadlines(admission)
    facts = ContractFacts(admission_date=admission)
    on_handover = overdue_items(facts, due.handover)
    assert ("remise du contrat", due.handover) not in on_handover
    after = overdue_items(facts, due.handover + dt.timedelta(days=1))
    assert ("remise du contrat", due.handover) in after


def test_overdue_items():
    admission = dt.date(2025, 1, 31)
    nothing = ContractFacts(admission_date=admission)
    assert overdue_items(nothing, dt.date(2025, 2, 15)) == []
    assert overdue_items(nothing, dt.date(2025, 2, 16)) == [
        ("remise du contrat", dt.date(2025, 2, 15))
    ]
    assert overdue_items(nothing, dt.date(2025, 3, 1)) == [
        ("remise du contrat", dt.date(2025, 2, 15)),
        ("signature du contrat", dt.date(2025, 2, 28)),
    ]
    signed = ContractFacts(
        admission_date=admission,
        handed_on=dt.date(2025, 2, 3),
        signed_on=dt.date(2025, 2, 20),
    )
    assert overdue_items(signed, dt.date(2025, 8, 1)) == [
        ("avenant fixant les objectifs", dt.date(2025, 7, 31))
    ]
    complete = ContractFacts(
        admission_date=admission,
        handed_on=dt.date(2025, 2, 3),
        signed_on=dt.date(2025, 2, 20),
        objectives_amendment_on=dt.date(2025, 6, 1),
    )
    assert overdue_items(complete, dt.date(2026, 2, 20)) == []
    assert overdue_items(complete, dt.date(2026, 2, 21)) == [
        ("mise à jour annuelle", dt.date(2026, 2, 20))
    ]
    updated = ContractFacts(**{**complete.__dict__, "last_update_on": dt.date(2026, 2, 10)})
    assert overdue_items(updated, dt.date(2027, 2, 10)) == []
    assert overdue_items(updated, dt.date(2027, 2, 11)) == [
        ("mise à jour annuelle", dt.date(2027, 2, 10))
    ]
