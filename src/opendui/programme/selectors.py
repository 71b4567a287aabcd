"""Reads of ESMS Numérique projects, scoped by "programme.manage", and the plain facts
the pure rules compute from (eligibility checklist, funding estimate)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from opendui.accounts.access import scope_for
from opendui.organisations.models import Facility, ManagingOrganisation

from . import funding
from .eligibility import (
    Checklist,
    Declaration,
    GrappeFacts,
    GrappeType,
    MemberFacts,
    SegurStatus,
    checklist,
)
from .milestones import Kind
from .models import Grappe, GrappeMember, Milestone
from .services import MANAGE


def managed_organisations(user: Any) -> QuerySet[ManagingOrganisation]:
    return ManagingOrganisation.objects.filter(pk__in=scope_for(user, MANAGE).organisation_ids)


def grappes_for(user: Any) -> QuerySet[Grappe]:
    """The projects of the organisations where the user pilots the programme."""
    return (
        Grappe.objects.filter(organisation_id__in=scope_for(user, MANAGE).organisation_ids)
        .select_related("organisation")
        .annotate(member_count=Count("members"))
        .order_by("organisation__name", "name", "pk")
    )


def grappe_for_page(pk: int) -> Grappe:
    """A grappe with everything its pages show, in a fixed number of queries."""
    return (
        Grappe.objects.select_related("organisation")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=GrappeMember.objects.select_related("facility").order_by("pk"),
                to_attr="member_list",
            ),
            Prefetch("declarations", to_attr="declaration_list"),
            Prefetch("milestones", to_attr="milestone_list"),
        )
        .get(pk=pk)
    )


def own_facilities(grappe: Grappe) -> list[Facility]:
    """The OG's active facilities (with the flag 'already in the grappe'), one query."""
    present = {m.facility_id for m in grappe.member_list}
    facilities = list(
        Facility.objects.filter(organisation_id=grappe.organisation_id, is_active=True).order_by(
            "name"
        )
    )
    for facility in facilities:
        facility.in_grappe = facility.pk in present
    return facilities


def declared(grappe: Grappe) -> frozenset[Declaration]:
    return frozenset(Declaration(d.code) for d in grappe.declaration_list if d.value)


def milestones_of(grappe: Grappe) -> list[Milestone]:
    return sorted(grappe.milestone_list, key=lambda m: m.position)


def facts(grappe: Grappe) -> GrappeFacts:
    done = {m.kind: m.done_on for m in grappe.milestone_list}
    return GrappeFacts(
        rule_set=funding.RuleSet(grappe.rule_set),
        project_type=GrappeType(grappe.project_type),
        territory=funding.Territory(grappe.territory),
        carrier_siret=grappe.carrier_siret,
        solution_name=grappe.solution_name,
        segur_status=SegurStatus(grappe.segur_status),
        segur_source=grappe.segur_source,
        members=[
            MemberFacts(m.finess_et, m.display_name, m.display_couloir) for m in grappe.member_list
        ],
        declarations=declared(grappe),
        editor_contract_on=grappe.editor_contract_on,
        duration_months=grappe.duration_months,
        configuration_started=done.get(Kind.CONFIGURATION.value) is not None,
    )


def eligibility_of(grappe: Grappe) -> Checklist:
    return checklist(facts(grappe))


def estimate_of(
    grappe: Grappe, rule_set: funding.RuleSet, own_facility_count: int
) -> funding.Estimate | None:
    """The grappe's funding under `rule_set` (None while it has no ESSMS).

    In a mixed project each ESSMS is an acquisition unless marked as already equipped
    (montée de version); acquisitions take the first ranks of the grappe (the 2022
    reduced rate starts at the 50th). SONS orders are grouped by OG (FINESS juridique).
    """
    members = grappe.member_list
    if not members:
        return None
    project_type = GrappeType(grappe.project_type)

    def upgrades(member: GrappeMember) -> bool:
        if project_type is GrappeType.MIXED:
            return member.equipped
        return project_type is GrappeType.UPGRADE

    upgrading = [m for m in members if upgrades(m)]
    parts = [
        funding.Part(funding.ProjectType.ACQUISITION, len(members) - len(upgrading)),
        funding.Part(funding.ProjectType.UPGRADE, len(upgrading)),
    ]
    small = own_facility_count < funding.SMALL_OG_BELOW  # the carrier OG itself
    small_og_essms = sum(1 for m in members if (m.partner_small_og if m.is_partner else small))
    orders: dict[str, int] = {}
    for member in upgrading:
        og = member.finess_ej if member.is_partner else grappe.organisation.finess_ej
        orders[og] = orders.get(og, 0) + 1
    return funding.estimate(
        rule_set,
        [part for part in parts if part.count],
        grappe=len(members),
        segur=grappe.segur_status != SegurStatus.NOT_REFERENCED,
        small_og_essms=small_og_essms,
        territory=funding.Territory(grappe.territory),
        sons_orders=list(orders.values()),
    )
