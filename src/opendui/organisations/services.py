"""Writes of the organisation administration: the OG, its facilities and their units.

Every function checks the actor's permission (`organisation.manage` on the
organisation concerned), validates the instance, and saves it with its audit
row in one transaction (`core.services.save_audited`). Nothing is deleted:
facilities and units are closed with `is_active = False`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opendui.accounts.access import forget_grants, grants_of, require
from opendui.accounts.grants import give_creator_role
from opendui.accounts.models import Assignment, Role
from opendui.accounts.permissions import get_permission
from opendui.audit.services import record_change
from opendui.core.actor import Actor
from opendui.core.services import save_audited

from .models import Facility, ManagingOrganisation, Unit
from .selectors import current_stay_count

PERMISSION = "organisation.manage"
CREATOR_ROLE = "admin"


def _require(actor: Actor, organisation: ManagingOrganisation | None = None) -> None:
    """Deny by default: the actor must manage `organisation` (or, with None, some organisation)."""
    require(actor.user, PERMISSION, organisation=organisation)


def _creator_role(actor: Actor) -> Role:
    """The role the creator of a new organisation receives in it.

    The role they already hold organisation-wide that grants `organisation.manage`,
    preferring the built-in "admin" role: the creator gets nothing they did not
    already have elsewhere.
    """
    permission = get_permission(PERMISSION)
    codes = [
        g.role_code for g in grants_of(actor.user) if g.facility_id is None and g.allows(permission)
    ]
    code = CREATOR_ROLE if CREATOR_ROLE in codes else codes[0]
    return Role.objects.get(code=code)


def create_organisation(actor: Actor, organisation: ManagingOrganisation) -> ManagingOrganisation:
    """Create an organisme gestionnaire, and make its creator an administrator of it.

    Any user holding `organisation.manage` through an organisation-wide
    assignment may create an organisation. Assignments are per organisation, so
    the creator's current assignment does not reach the new one: in the same
    transaction they receive an organisation-wide assignment, starting today, of
    the role that lets them manage organisations ("admin" when they hold it), through
    accounts.grants.give_creator_role, the one grant to oneself the grants allow.
    Both rows are audited ("organisation.create", "assignment.create"). Other
    professionals are assigned afterwards from the accounts administration.
    """
    _require(actor)
    organisation.full_clean()
    role = _creator_role(actor)
    with transaction.atomic():
        # Not save_audited: the change row must carry the new organisation's id,
        # which only exists once the row is inserted.
        organisation.save()
        record_change(
            actor, "organisation.create", organisation, None, organisation_id=organisation.pk
        )
        assignment = Assignment(
            user=actor.user,
            role=role,
            organisation=organisation,
            start_date=timezone.localdate(),
        )
        assignment.full_clean()
        give_creator_role(actor, assignment)
    forget_grants(actor.user)
    actor.user.__dict__.pop("_opendui_facilities", None)
    return organisation


def update_organisation(
    actor: Actor, organisation: ManagingOrganisation, *, expected_version: int | None
) -> ManagingOrganisation:
    """Save the edited organisation; ConcurrentEditError if someone saved it meanwhile."""
    _require(actor, organisation)
    organisation.full_clean()
    return save_audited(
        actor,
        organisation,
        "organisation.update",
        expected_version=expected_version,
        organisation_id=organisation.pk,
    )


def _closing(instance: Facility | Unit) -> bool:
    """True when this save turns an active facility or unit inactive."""
    return (
        not instance.is_active
        and type(instance).objects.filter(pk=instance.pk, is_active=True).exists()
    )


def _check_capacity(facility: Facility) -> None:
    if facility.is_active and facility.total_capacity == 0:
        raise ValidationError(
            {
                "capacity_permanent": _(
                    "Indiquez la capacité autorisée : au moins une capacité (hébergement "
                    "permanent ou temporaire, accueil de jour, places de service) doit être "
                    "supérieure à 0 pour un établissement en activité."
                )
            }
        )


def create_facility(actor: Actor, facility: Facility) -> Facility:
    """Create an ESSMS in the organisation set on `facility`."""
    _require(actor, facility.organisation)
    if not facility.couloir and facility.category_id:
        facility.couloir = facility.category.couloir
    facility.full_clean()
    _check_capacity(facility)
    return save_audited(
        actor, facility, "facility.create", organisation_id=facility.organisation_id
    )


def update_facility(actor: Actor, facility: Facility, *, expected_version: int | None) -> Facility:
    """Save the edited ESSMS. Closing it (is_active False) is refused while people
    still have a current stay there: their stays must end or move first."""
    _require(actor, facility.organisation)
    if not facility.couloir and facility.category_id:
        facility.couloir = facility.category.couloir
    facility.full_clean()
    _check_capacity(facility)
    if _closing(facility):
        stays = current_stay_count(facility=facility)
        if stays:
            raise ValidationError(
                {
                    "is_active": _(
                        "Cet établissement accompagne encore %(n)d personne(s) (séjours en "
                        "cours) : terminez ou transférez ces séjours avant de le fermer."
                    )
                    % {"n": stays}
                }
            )
    return save_audited(
        actor,
        facility,
        "facility.update",
        expected_version=expected_version,
        organisation_id=facility.organisation_id,
        facility_id=facility.pk,
    )


def create_unit(actor: Actor, unit: Unit) -> Unit:
    """Create a unit in the facility set on `unit`."""
    _require(actor, unit.facility.organisation)
    unit.full_clean()
    return save_audited(
        actor,
        unit,
        "unit.create",
        organisation_id=unit.facility.organisation_id,
        facility_id=unit.facility_id,
    )


def update_unit(actor: Actor, unit: Unit, *, expected_version: int | None) -> Unit:
    """Rename or deactivate a unit. Deactivation is refused while people still have a
    current stay in it."""
    _require(actor, unit.facility.organisation)
    unit.full_clean()
    if _closing(unit):
        stays = current_stay_count(unit=unit)
        if stays:
            raise ValidationError(
                {
                    "is_active": _(
                        "Cette unité accueille encore %(n)d personne(s) (séjours en cours) : "
                        "terminez ou déplacez ces séjours avant de la désactiver."
                    )
                    % {"n": stays}
                }
            )
    return save_audited(
        actor,
        unit,
        "unit.update",
        expected_version=expected_version,
        organisation_id=unit.facility.organisation_id,
        facility_id=unit.facility_id,
    )
