"""The demo grappe is eligible: 15 mainland ESSMS with valid FINESS, declarations made."""

from __future__ import annotations

from django.utils import timezone

from opendui.core.identifiers import finess_problem
from opendui.programme import selectors
from opendui.programme.demo_data import seed_programme
from opendui.programme.funding import RuleSet
from opendui.programme.models import Grappe


def test_seed_programme_gives_an_eligible_grappe(world):
    director = world.user("directeur", email="direction@demo.opendui.fr")
    today = timezone.localdate()
    count = seed_programme(world.og, today)
    grappe = selectors.grappe_for_page(Grappe.objects.get().pk)
    assert count == 1 + 15 + 4 + 8
    assert len(grappe.member_list) == 15
    assert {m.facility for m in grappe.member_list if not m.is_partner} == {world.ehpad, world.ime}
    assert all(finess_problem(m.finess_et) is None for m in grappe.member_list)
    assert all(finess_problem(m.finess_ej) is None for m in grappe.member_list if m.is_partner)
    checklist = selectors.eligibility_of(grappe)
    assert checklist.eligible, [(x.code, x.reason) for x in checklist.failures]
    assert {d.declared_by for d in grappe.declaration_list} == {director}
    # OpenDUI is not Ségur-referenced: the demo says so (a 2022 acquisition via the SAD).
    assert (grappe.solution_name, grappe.segur_status) == ("OpenDUI", "non-reference")
    segur = next(x for x in checklist.lines if x.code == "segur")
    assert segur.reason.startswith("Solution non référencée")
    estimate = selectors.estimate_of(grappe, RuleSet.Y2022, own_facility_count=2)
    assert estimate.eligible and estimate.usages == 15 * 7_000
    assert estimate.logiciel == 15 * 12_000  # the non-referenced rate
    done = [m.kind for m in selectors.milestones_of(grappe) if m.done_on]
    assert done == ["candidature", "convention", "contrat-editeur", "parametrage"]
