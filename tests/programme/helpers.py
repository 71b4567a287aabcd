"""A grappe of world.og, built directly (the services are tested on their own)."""

from __future__ import annotations

from opendui.programme import milestones
from opendui.programme.models import Grappe, GrappeMember, Milestone

SOURCE = "Liste des solutions référencées Ségur publiée par l'ANS, consultée le 02/03/2026"


def grappe_of(world, **fields) -> Grappe:
    """A 2022 acquisition grappe of world.og with world.ehpad as member and its milestones."""
    grappe = Grappe.objects.create(
        organisation=world.og,
        name=fields.pop("name", "Grappe test"),
        project_type=fields.pop("project_type", "acquisition"),
        solution_name=fields.pop("solution_name", "Solution DUI"),
        segur_status=fields.pop("segur_status", "reference"),
        segur_source=fields.pop("segur_source", SOURCE),
        rule_set=fields.pop("rule_set", "2022"),
        carrier_siret=world.og.siret,
        duration_months=fields.pop("duration_months", 18),
        **fields,
    )
    GrappeMember.objects.create(
        grappe=grappe, facility=world.ehpad, finess_et=world.ehpad.finess_et
    )
    Milestone.objects.bulk_create(Milestone(grappe=grappe, kind=k.value) for k in milestones.ORDER)
    return grappe


def member_of(grappe: Grappe) -> GrappeMember:
    return grappe.members.order_by("pk").first()


def milestone_of(grappe: Grappe, kind: str = "convention") -> Milestone:
    return grappe.milestones.get(kind=kind)
