"""Eligibility checklist lines and milestone rules, on hand-built facts."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from opendui.core.identifiers import luhn_check_digit
from opendui.programme import milestones
from opendui.programme.eligibility import (
    Declaration,
    GrappeFacts,
    GrappeType,
    MemberFacts,
    SegurStatus,
    checklist,
)
from opendui.programme.funding import RuleSet, Territory


def finess(n: int) -> str:
    body = f"37{n:06d}"
    return body + luhn_check_digit(body)


SIRET = "7753520100015"
SIRET += luhn_check_digit(SIRET)


def facts(count: int = 15, **changes) -> GrappeFacts:
    base = GrappeFacts(
        rule_set=RuleSet.Y2022,
        project_type=GrappeType.ACQUISITION,
        territory=Territory.MAINLAND,
        carrier_siret=SIRET,
        solution_name="Solution DUI",
        segur_status=SegurStatus.REFERENCED,
        segur_source="Liste ANS, consultée le 02/03/2026",
        members=[MemberFacts(finess(i), f"ESSMS {i}", "PA") for i in range(count)],
        declarations=frozenset(Declaration),
        duration_months=18,
    )
    return dataclasses.replace(base, **changes)


def line(result, code):
    return next(item for item in result.lines if item.code == code)


def test_a_complete_grappe_is_eligible():
    result = checklist(facts())
    assert result.eligible, [(x.code, x.reason) for x in result.failures]
    assert [x.code for x in result.lines] == [
        "taille",
        "finess",
        "siret",
        "couloirs",
        "non-redondance",
        "meme-solution",
        "segur",
        "operation-nouvelle",
        "duree",
    ]
    assert "régional" in line(result, "taille").reason


def test_size_lines():
    assert "écartée d'office" in line(checklist(facts(9)), "taille").reason
    assert not line(checklist(facts(14)), "taille").ok
    assert line(checklist(facts(8, territory=Territory.CORSICA_OVERSEAS)), "taille").ok
    assert "national" in line(checklist(facts(50)), "taille").reason


def test_bad_finess_duplicate_and_siret():
    members = [*facts().members, MemberFacts("370000001", "Mauvais", "PA")]
    members.append(members[0])
    result = checklist(facts(members=members))
    reason = line(result, "finess").reason
    assert "Mauvais (370000001)" in reason and "Luhn" in reason
    assert f"Le FINESS {members[0].finess_et} figure plusieurs fois" in reason
    siret = line(checklist(facts(carrier_siret="12345678901234")), "siret")
    assert not siret.ok and "SIRET" in siret.reason


def test_couloir_and_declarations():
    members = [*facts(14).members, MemberFacts(finess(99), "Crèche", "")]
    assert "Crèche" in line(checklist(facts(members=members)), "couloirs").reason
    partial = checklist(facts(declarations=frozenset({Declaration.SAME_SOLUTION})))
    assert not line(partial, "non-redondance").ok
    assert "financement européen" in line(partial, "non-redondance").reason
    assert not line(checklist(facts(declarations=frozenset())), "meme-solution").ok
    assert not line(checklist(facts(solution_name=" ")), "meme-solution").ok


def test_segur_lines():
    not_ref = SegurStatus.NOT_REFERENCED
    assert line(checklist(facts(segur_status=not_ref)), "segur").ok  # 2022 acquisition (SAD)
    assert not line(
        checklist(facts(segur_status=not_ref, project_type=GrappeType.UPGRADE)), "segur"
    ).ok
    assert not line(checklist(facts(segur_status=not_ref, rule_set=RuleSet.Y2025)), "segur").ok
    in_progress = facts(segur_status=SegurStatus.IN_PROGRESS)
    assert line(checklist(in_progress), "segur").ok
    started = dataclasses.replace(in_progress, configuration_started=True)
    assert "avant" in line(checklist(started), "segur").reason
    assert not line(checklist(started), "segur").ok


def test_segur_status_is_the_project_leads_declaration_with_its_source():
    """The line never states a referencing by itself: it repeats the lead's declaration and
    its source, and a declared status without a source does not pass."""
    referenced = line(checklist(facts()), "segur")
    assert referenced.ok and referenced.label.endswith("(déclaré par le porteur)")
    assert referenced.reason == (
        "Solution déclarée référencée Ségur par le porteur "
        "(source : Liste ANS, consultée le 02/03/2026)."
    )
    for status in (SegurStatus.REFERENCED, SegurStatus.IN_PROGRESS):
        unsourced = line(checklist(facts(segur_status=status, segur_source=" ")), "segur")
        assert not unsourced.ok and "sans source" in unsourced.reason
    not_ref = line(
        checklist(facts(segur_status=SegurStatus.NOT_REFERENCED, segur_source="")), "segur"
    )
    assert not_ref.ok and not_ref.reason.startswith("Solution non référencée")


def test_2025_new_operation():
    y2025 = {"rule_set": RuleSet.Y2025}
    assert not line(
        checklist(facts(editor_contract_on=dt.date(2025, 1, 14), **y2025)), "operation-nouvelle"
    ).ok
    assert line(
        checklist(facts(editor_contract_on=dt.date(2025, 1, 15), **y2025)), "operation-nouvelle"
    ).ok
    assert line(checklist(facts(**y2025)), "operation-nouvelle").ok
    # 2022: no such rule.
    assert line(checklist(facts(editor_contract_on=dt.date(2020, 1, 1))), "operation-nouvelle").ok


def test_duration_by_project_type():
    upgrade = {"project_type": GrappeType.UPGRADE}
    assert not line(checklist(facts(duration_months=None)), "duree").ok
    assert not line(checklist(facts(duration_months=19)), "duree").ok
    assert line(checklist(facts(duration_months=18, project_type=GrappeType.MIXED)), "duree").ok
    assert not line(checklist(facts(duration_months=10, **upgrade)), "duree").ok
    nine = line(checklist(facts(duration_months=9, **upgrade)), "duree")
    assert nine.ok and "Idéalement 6" in nine.reason


@given(st.integers(0, 60), st.sampled_from(list(Territory)))
def test_size_line_agrees_with_the_minimum(count, territory):
    minimum = 15 if territory is Territory.MAINLAND else 8
    assert line(checklist(facts(count, territory=territory)), "taille").ok is (count >= minimum)


# --- milestones ---------------------------------------------------------------------------------


def test_milestone_state_from_dates():
    today = dt.date(2026, 6, 1)
    assert milestones.state(None, None, today) is milestones.State.UNPLANNED
    assert milestones.state(dt.date(2026, 5, 31), None, today) is milestones.State.LATE
    assert milestones.state(today, None, today) is milestones.State.PLANNED
    assert (
        milestones.state(dt.date(2026, 5, 1), dt.date(2026, 5, 2), today) is milestones.State.DONE
    )


def test_mandatory_va_and_vsr():
    K = milestones.Kind
    assert milestones.mandatory(K.VA, GrappeType.UPGRADE)
    assert not milestones.mandatory(K.VA, GrappeType.ACQUISITION)
    assert milestones.mandatory(K.VSR, GrappeType.ACQUISITION)
    assert not milestones.mandatory(K.VSR, GrappeType.UPGRADE)
    assert len(milestones.ORDER) == 8 and all(milestones.REQUIREMENTS[k] for k in K)


def test_done_dates_follow_the_order():
    K = milestones.Kind
    assert milestones.order_problem([(K.CONVENTION, dt.date(2025, 3, 1)), (K.VA, None)]) is None
    problem = milestones.order_problem(
        [(K.CONVENTION, dt.date(2025, 3, 1)), (K.CANDIDATURE, dt.date(2025, 4, 1))]
    )
    assert problem and "Convention avec l'ARS" in problem
