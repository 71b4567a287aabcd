"""The shared refusal of a status change (core.workflow)."""

from __future__ import annotations

from enum import StrEnum

from hypothesis import given
from hypothesis import strategies as st

from opendui.core.workflow import transition_problem


class Light(StrEnum):
    RED = "rouge"
    GREEN = "vert"
    AMBER = "orange"
    OFF = "eteint"


TABLE = {
    Light.RED: {Light.GREEN, Light.OFF},
    Light.GREEN: {Light.AMBER},
    Light.AMBER: {Light.RED},
    Light.OFF: set(),
}


def problem(current: str, target: str) -> str | None:
    return transition_problem(
        Light,
        lambda s: s.value,
        TABLE,
        current,
        target,
        subject="le feu",
        unknown="Couleur inconnue : « {bad} ».",
        final_note=" (il faut le rallumer)",
    )


def test_messages():
    assert problem("vert", "orange") is None
    assert problem("vert", "vert") == "Le feu est déjà au statut « vert »."
    assert problem("eteint", "vert") == (
        "Le feu est au statut « eteint », qui est définitif (il faut le rallumer)."
    )
    assert problem("vert", "rouge") == (
        "Impossible de passer le feu de « vert » à « rouge ». Statut possible : « orange »."
    )
    assert problem("rouge", "orange") == (
        "Impossible de passer le feu de « rouge » à « orange ». "
        "Statuts possibles : « vert », « eteint »."
    )
    assert problem("bleu", "vert") == "Couleur inconnue : « bleu »."
    assert problem("vert", "bleu") == "Couleur inconnue : « bleu »."


@given(st.sampled_from(list(Light)), st.sampled_from(list(Light)))
def test_allowed_exactly_when_in_the_table(current, target):
    assert (problem(current, target) is None) == (target in TABLE[current])
