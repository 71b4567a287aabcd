from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opendui.nomenclatures import serafin
from opendui.nomenclatures.project_types import PROJECT_TYPES, project_type_problem
from opendui.nomenclatures.serafin import ValueSet


def test_value_sets_hold_their_families():
    assert len(serafin.concepts(ValueSet.NEEDS)) == 35
    assert len(serafin.concepts(ValueSet.DIRECT_SERVICES)) == 37
    assert len(serafin.concepts(ValueSet.INDIRECT_SERVICES)) == 35
    for value_set, family in (("J285", "1"), ("J284", "2"), ("J283", "3")):
        codes = [c.code for c in serafin.concepts(ValueSet(value_set))]
        assert all(code.split(".")[0] == family for code in codes)


def test_codes_sort_numerically():
    codes = [c.code for c in serafin.concepts(ValueSet.NEEDS)]
    assert codes.index("1.1.9") < codes.index("1.1.10") < codes.index("1.2")


def test_known_labels():
    assert serafin.concept("1.2.1.3").display == "Besoins pour la mobilité"
    assert serafin.concept("2.3.4.2").display.startswith("Accompagnements pour la participation")
    assert serafin.concept("3.2.2.1").display == "Fournir des repas"


def test_code_problem_messages():
    assert serafin.code_problem("1.2.1.3", ValueSet.NEEDS) is None
    assert serafin.code_problem("2.2.1", *serafin.SERVICES) is None
    assert "inconnu" in serafin.code_problem("9.9", ValueSet.NEEDS)
    message = serafin.code_problem("2.2.1", ValueSet.NEEDS)
    assert "prestation directe" in message and "pas un besoin" in message


@given(st.text(max_size=12))
def test_any_text_is_either_a_concept_or_refused(text):
    problem = serafin.code_problem(text)
    assert (problem is None) == (serafin.concept(text) is not None)


def test_project_types():
    assert set(PROJECT_TYPES) == {"PAI", "PPA", "PPIA", "PP", "PPI", "PA", "PI"}
    assert project_type_problem("PPA") is None
    assert "inconnu" in project_type_problem("XYZ")
