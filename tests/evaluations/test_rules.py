"""Pure rules: statuses and AGGIR entry by adverbs."""

from __future__ import annotations

import pytest

from opendui.evaluations.aggir import DISCRIMINANT_VARIABLES, AggirError
from opendui.evaluations.rules import (
    Status,
    coding_from_adverbs,
    is_editable,
    missing_sub_variables,
    result_from_adverbs,
    sub_variable_names,
    transition_problem,
    variable_letters,
)


def full(value: str = "STCH", **overrides: dict[str, str]) -> dict[str, dict[str, str]]:
    grid = {v.code: {name: value for name in sub_variable_names(v)} for v in DISCRIMINANT_VARIABLES}
    for code, answers in overrides.items():
        grid[code] = {**grid[code], **answers}
    return grid


def test_all_adverbs_give_gir_6_and_none_give_gir_1():
    assert result_from_adverbs(full())[1].gir == 6
    coding, result = result_from_adverbs(full(""))
    assert coding == "C" * 10 and result.gir == 1


def test_sub_variables_combine_with_the_reference_rules():
    # Alimentation AC → B (§1.4 FreeHealth/DREES majority); élimination AC → C.
    letters = variable_letters(full(ALI={"manger": ""}, ELI={"fécale": ""}))
    assert letters["ALI"] == "B" and letters["ELI"] == "C"
    # Some adverbs missing → B.
    assert variable_letters(full(TRA={"transferts": "ST"}))["TRA"] == "B"


def test_missing_sub_variables_are_named_in_french():
    grid = full()
    del grid["HAB"]["moyen"]
    del grid["TRA"]
    assert missing_sub_variables(grid) == ["Habillage (HAB) – moyen", "Transferts (TRA)"]
    assert result_from_adverbs(grid) is None
    with pytest.raises(AggirError, match="Habillage \\(HAB\\) – moyen ; Transferts"):
        coding_from_adverbs(grid)


def test_unknown_adverb_is_refused():
    with pytest.raises(AggirError, match="Adverbe inconnu"):
        variable_letters(full(TRA={"transferts": "SX"}))


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        (Status.DRAFT, Status.APPROVED, True),
        (Status.DRAFT, Status.VALIDATED, False),
        (Status.APPROVED, Status.VALIDATED, True),
        (Status.APPROVED, Status.DRAFT, True),
        (Status.VALIDATED, Status.FINISHED, True),
        (Status.VALIDATED, Status.DRAFT, False),
        (Status.FINISHED, Status.VALIDATED, False),
    ],
)
def test_transitions(current, target, ok):
    assert (transition_problem(current, target) is None) is ok


def test_transition_messages_are_french():
    assert "déjà" in transition_problem("VALIDE", "VALIDE")
    assert "terminée" in transition_problem("TERMINE", "VALIDE")
    assert "inconnu" in transition_problem("VALIDE", "NIMPORTE")
    assert is_editable("ENPREPARATION") and not is_editable("APPROUVE")


def test_only_validation_and_closing_a_validated_grid_need_the_validator():
    from opendui.evaluations.rules import needs_validation_right

    assert needs_validation_right("APPROUVE", "VALIDE")
    assert needs_validation_right("VALIDE", "TERMINE")
    assert not needs_validation_right("ENPREPARATION", "TERMINE")
    assert not needs_validation_right("ENPREPARATION", "APPROUVE")
    assert not needs_validation_right("APPROUVE", "ENPREPARATION")
