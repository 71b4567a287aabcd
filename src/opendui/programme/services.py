"""Every write on ESMS Numérique projects: validation, permission, audit, one transaction.

All writes need "programme.manage" on the grappe's organisation (an organisation-wide
permission: the director of the OG, the administrator). Nothing here concerns persons,
so change events carry no person ids.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import check, require
from opendui.audit.models import EventKind
from opendui.audit.services import record, snapshot
from opendui.core.actor import Actor
from opendui.core.identifiers import finess_problem, normalise_identifier
from opendui.core.services import CURRENT, ExpectedVersion, save_audited
from opendui.organisations.models import Couloir, Facility, ManagingOrganisation

from . import milestones
from .eligibility import Declaration
from .models import Grappe, GrappeDeclaration, GrappeMember, Milestone

MANAGE = "programme.manage"
REFUSED = "Vous n'avez pas le droit de piloter le projet ESMS Numérique de cet organisme."
GRAPPE_FIELDS = (
    "name",
    "project_type",
    "solution_name",
    "segur_status",
    "segur_source",
    "rule_set",
    "territory",
    "carrier_siret",
    "editor_contract_on",
    "duration_months",
)


def can_manage(user: Any, organisation: ManagingOrganisation) -> bool:
    return bool(check(user, MANAGE, organisation=organisation))


def _require(actor: Actor, organisation: ManagingOrganisation) -> None:
    require(actor.user, MANAGE, organisation=organisation, message=REFUSED)


def _save(actor: Actor, instance, action: str, grappe: Grappe, **kw):
    return save_audited(actor, instance, action, organisation_id=grappe.organisation_id, **kw)


def _clean(instance, exclude: list[str] | None = None) -> None:
    """Field validators (FINESS, SIRET, choices) with their French messages."""
    instance.full_clean(exclude=[*(exclude or []), "grappe", "organisation"], validate_unique=False)


def create_grappe(actor: Actor, organisation: ManagingOrganisation, **fields: Any) -> Grappe:
    """A new project with its eight milestones (to be planned)."""
    _require(actor, organisation)
    values = {name: fields.get(name) for name in GRAPPE_FIELDS if name in fields}
    values["carrier_siret"] = normalise_identifier(
        values.get("carrier_siret") or organisation.siret
    )
    grappe = Grappe(organisation=organisation, **values)
    grappe.name = (grappe.name or "").strip()
    _clean(grappe)
    with transaction.atomic():
        _save(actor, grappe, "programme.grappe_create", grappe)
        Milestone.objects.bulk_create(
            Milestone(grappe=grappe, kind=kind.value) for kind in milestones.ORDER
        )
    return grappe


def update_grappe(
    actor: Actor, grappe: Grappe, *, expected_version: ExpectedVersion | None, **fields: Any
) -> Grappe:
    _require(actor, grappe.organisation)
    for name in GRAPPE_FIELDS:
        if name in fields:
            setattr(grappe, name, fields[name])
    grappe.name = grappe.name.strip()
    grappe.carrier_siret = normalise_identifier(grappe.carrier_siret) or grappe.organisation.siret
    _clean(grappe)
    return _save(
        actor, grappe, "programme.grappe_update", grappe, expected_version=expected_version
    )


def add_facilities(actor: Actor, grappe: Grappe, facilities: list[Facility]) -> list[GrappeMember]:
    """Add some of the OG's own active facilities (one click each, or all), all or none."""
    _require(actor, grappe.organisation)
    members = []
    with transaction.atomic():
        for facility in facilities:
            if facility.organisation_id != grappe.organisation_id or not facility.is_active:
                raise ValidationError(
                    f"{facility.name} n'est pas un établissement en activité de l'organisme porteur."
                )
            _refuse_duplicate(grappe, facility.finess_et)
            member = GrappeMember(grappe=grappe, facility=facility, finess_et=facility.finess_et)
            members.append(_save(actor, member, "programme.member_add", grappe))
    return members


def add_partner(
    actor: Actor,
    grappe: Grappe,
    *,
    finess_et: str,
    name: str,
    couloir: str,
    finess_ej: str,
    partner_small_og: bool = False,
    equipped: bool = False,
) -> GrappeMember:
    """Add a partner OG's ESSMS typed in by its FINESS géographique (validated)."""
    _require(actor, grappe.organisation)
    finess_et, finess_ej = normalise_identifier(finess_et), normalise_identifier(finess_ej)
    problems: dict[str, str] = {}
    if problem := finess_problem(finess_et):
        problems["finess_et"] = problem
    if problem := finess_problem(finess_ej):
        problems["finess_ej"] = problem
    elif finess_ej == grappe.organisation.finess_ej:
        problems["finess_ej"] = (
            "C'est le FINESS juridique de l'organisme porteur : ajoutez ses établissements "
            "depuis la liste de ses établissements."
        )
    if not name.strip():
        problems["name"] = "Indiquez le nom de l'ESSMS."
    if couloir not in Couloir.values:
        problems["couloir"] = "Choisissez le couloir de l'ESSMS."
    if problems:
        raise ValidationError(problems)
    if Facility.objects.filter(finess_et=finess_et, organisation=grappe.organisation).exists():
        raise ValidationError(
            {
                "finess_et": "Cet ESSMS appartient à l'organisme porteur : ajoutez-le depuis la "
                "liste de ses établissements."
            }
        )
    _refuse_duplicate(grappe, finess_et)
    member = GrappeMember(
        grappe=grappe,
        finess_et=finess_et,
        name=name.strip(),
        couloir=couloir,
        finess_ej=finess_ej,
        partner_small_og=partner_small_og,
        equipped=equipped,
    )
    return _save(actor, member, "programme.member_add", grappe)


def _refuse_duplicate(grappe: Grappe, finess_et: str) -> None:
    if grappe.members.filter(finess_et=finess_et).exists():
        raise ValidationError(
            {"finess_et": f"L'ESSMS de FINESS {finess_et} fait déjà partie de la grappe."}
        )


def set_member_equipped(
    actor: Actor, member: GrappeMember, equipped: bool, *, expected_version: ExpectedVersion | None
) -> GrappeMember:
    """Mixed project: whether this ESSMS upgrades the solution rather than acquiring it."""
    _require(actor, member.grappe.organisation)
    member.equipped = equipped
    return _save(
        actor, member, "programme.member_update", member.grappe, expected_version=expected_version
    )


def remove_member(actor: Actor, member: GrappeMember) -> None:
    """Take an ESSMS out of the grappe; the audit keeps what it was."""
    grappe = member.grappe
    _require(actor, grappe.organisation)
    with transaction.atomic():
        before = snapshot(member)
        deleted, _ = GrappeMember.objects.filter(pk=member.pk).delete()
        if not deleted:
            raise ValidationError("Cet ESSMS ne fait déjà plus partie de la grappe.")
        record(
            actor,
            EventKind.CHANGE,
            "programme.member_remove",
            obj=grappe,
            details={"removed": before},
            organisation_id=grappe.organisation_id,
        )


def declare(
    actor: Actor, grappe: Grappe, code: str, value: bool, *, now: dt.datetime | None = None
) -> GrappeDeclaration:
    """Record (or withdraw) one declaration of the carrier, with who and when."""
    _require(actor, grappe.organisation)
    if code not in Declaration.__members__.values():
        raise ValidationError("Déclaration inconnue.")
    with transaction.atomic():
        declaration = GrappeDeclaration.objects.select_for_update().filter(
            grappe=grappe, code=code
        ).first() or GrappeDeclaration(grappe=grappe, code=code)
        declaration.value = value
        declaration.declared_by = actor.user
        declaration.declared_at = now or timezone.now()
        # A declaration is set, not edited: the row read under lock above is overwritten.
        return _save(actor, declaration, "programme.declaration", grappe, expected_version=CURRENT)


def update_milestone(
    actor: Actor,
    milestone: Milestone,
    *,
    planned_on: dt.date | None,
    done_on: dt.date | None,
    note: str = "",
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
) -> Milestone:
    grappe = milestone.grappe
    _require(actor, grappe.organisation)
    today = today or timezone.localdate()
    if done_on is not None and done_on > today:
        raise ValidationError(
            {"done_on": "Une date de réalisation ne peut pas être dans le futur."}
        )
    others = [
        (milestones.Kind(kind), date)
        for kind, date in grappe.milestones.exclude(pk=milestone.pk).values_list("kind", "done_on")
    ]
    problem = milestones.order_problem([*others, (milestones.Kind(milestone.kind), done_on)])
    if problem:
        raise ValidationError({"done_on": problem})
    milestone.planned_on, milestone.done_on, milestone.note = planned_on, done_on, note.strip()
    return _save(
        actor, milestone, "programme.milestone_update", grappe, expected_version=expected_version
    )
