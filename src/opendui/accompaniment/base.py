"""Helpers shared by the PP services (services.py, sections.py): permissions, audit, locks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from opendui.accounts.access import Decision, require
from opendui.core.actor import Actor
from opendui.core.services import ExpectedVersion, check_version, save_audited
from opendui.persons.models import Person

from .models import PersonalisedProject

READ = "person.view_social"
WRITE = "person.edit_social"
VALIDATE = "pp.validate"

FROZEN = (
    "Cette version du projet est validée et figée : créez une nouvelle version pour la modifier."
)
REFUSED_WRITE = "Vous n'avez pas le droit de modifier le projet personnalisé de cette personne."
REFUSED_VALIDATE = "Seul un professionnel habilité peut engager la structure sur ce projet."


def require_on(actor: Actor, code: str, person: Person) -> Decision:
    message = REFUSED_VALIDATE if code == VALIDATE else REFUSED_WRITE
    return require(actor.user, code, person=person, message=message)


def audit_target(project: PersonalisedProject) -> dict[str, Any]:
    """Audit fields of every event about a PP: the person, the organisation, the facility."""
    return {
        "person_ids": [project.person_id],
        "organisation_id": project.person.organisation_id,
        "facility_id": project.stay.facility_id,
    }


def audit(actor: Actor, instance, action: str, project: PersonalisedProject, **kw):
    return save_audited(actor, instance, action, **audit_target(project), **kw)


def lock(
    project: PersonalisedProject, expected_version: ExpectedVersion | None
) -> PersonalisedProject:
    """Lock the version row for the transaction; refuse a stale page (ConcurrentEditError).

    `expected_version` is the version the user saw when the PP itself is edited; adding a
    row to it (a need, an agreement...) only serialises the writes and passes CURRENT.
    """
    current = PersonalisedProject.objects.select_for_update().get(pk=project.pk)
    check_version(current.version, expected_version)
    return current


def touch(project: PersonalisedProject) -> None:
    """A section changed: move the version's lock on (see the module docstring)."""
    PersonalisedProject.objects.filter(pk=project.pk).update(
        version=F("version") + 1, updated_at=timezone.now()
    )


def sync(project: PersonalisedProject, current: PersonalisedProject) -> PersonalisedProject:
    """Copy the saved row's values onto the caller's instance (keeping its cached relations)."""
    for field in PersonalisedProject._meta.concrete_fields:
        setattr(project, field.attname, getattr(current, field.attname))
    return project


def lock_draft(
    project: PersonalisedProject, expected_version: ExpectedVersion | None
) -> PersonalisedProject:
    current = lock(project, expected_version)
    if current.frozen:
        raise ValidationError(FROZEN)
    return current
