"""Statuses and transitions of an event (TDDUI JDV_J281), written as a table."""

from __future__ import annotations

import datetime as dt

import pytest

from opendui.agenda.rules import (
    Status,
    period_problem,
    reason_required,
    status_problem,
    transition_problem,
)

P, V, A, T = Status.PLANNED, Status.VALIDATED, Status.CANCELLED, Status.DONE
ALLOWED = {(P, V), (P, A), (P, T), (V, A), (V, T)}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_transition_table(current, target):
    problem = transition_problem(current, target)
    assert (problem is None) == ((current, target) in ALLOWED), (current, target, problem)


def test_final_statuses_explain_why():
    assert "ne change plus" in transition_problem(A, P)
    assert "déjà" in transition_problem(V, V)
    assert "inconnu" in transition_problem(P, "PERDU")


@pytest.mark.parametrize(
    ("target", "presences", "required"),
    [
        (A, [], True),
        (A, ["oui"], True),
        (T, [], False),  # a team meeting
        (T, ["non"], True),
        (T, ["non", "non"], True),
        (T, ["non", "oui"], False),  # a group activity took place
        (T, ["inconnu"], False),
        (V, ["non"], False),
    ],
)
def test_reason_required(target, presences, required):
    assert reason_required(target, presences) is required


def test_status_problem_asks_for_the_reason_in_french():
    assert "motif de l'annulation" in status_problem(P, A, "  ", [])
    assert status_problem(P, A, "Sortie annulée (pluie)", []) is None
    assert "absentes" in status_problem(V, T, "", ["non"])


def test_period():
    start = dt.datetime(2026, 3, 2, 10)
    assert "avant" in period_problem(start, start - dt.timedelta(minutes=1))
    assert period_problem(start, start) is not None
    assert period_problem(start, start + dt.timedelta(hours=1)) is None
    assert "14 jours" in period_problem(start, start + dt.timedelta(days=15))
