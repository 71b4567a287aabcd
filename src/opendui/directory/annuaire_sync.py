"""The directory and the Annuaire Santé: adding a professional found there, and the
nightly refresh of the entries that came from it.

The record written is always fetched again from the Annuaire by its idNat_PS on the
server: a form posts only that identifier (attacker-controlled), never the names or
addresses to save. Writes go through services.upsert_from_annuaire (validation, audit).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.annuaire.client import AnnuaireClient
from opendui.annuaire.config import client_from_settings
from opendui.annuaire.parsing import Practitioner
from opendui.core.actor import Actor
from opendui.core.identifiers import idnat_ps_problem, normalise_identifier
from opendui.core.services import CURRENT, save_audited
from opendui.organisations.models import ManagingOrganisation

from .models import ExternalProfessional, Source
from .selectors import annuaire_entries_to_refresh
from .services import AnnuairePractitioner, require_manage, upsert_from_annuaire

SYNC_ACTOR = "annuaire.sync"
NOT_FOUND = "Ce professionnel est introuvable dans l'Annuaire Santé : rien n'a été enregistré."
INACTIVE = "Ce professionnel est inactif dans l'Annuaire Santé : rien n'a été enregistré."


def record_of(practitioner: Practitioner) -> AnnuairePractitioner:
    """The directory's record of a professional read from the Annuaire."""
    return AnnuairePractitioner(
        idnat_ps=practitioner.idnat_ps,
        last_name=practitioner.last_name,
        first_name=practitioner.first_name,
        external_id=practitioner.external_id,
        civility=practitioner.civility,
        rpps=practitioner.rpps,
        adeli=practitioner.adeli,
        profession_code=practitioner.profession_code,
        profession_label=practitioner.profession_label,
        specialty_code=practitioner.specialty_code,
        specialty_label=practitioner.specialty_label,
        mssante_addresses=practitioner.mssante_addresses,
        phone=practitioner.phone,
        address=practitioner.address,
        postal_code=practitioner.postal_code,
        city=practitioner.city,
    )


def add_from_annuaire(
    actor: Actor,
    organisation: ManagingOrganisation,
    idnat_ps: str,
    *,
    client: AnnuaireClient | None = None,
) -> tuple[ExternalProfessional, bool]:
    """Add (or bring up to date) the professional `idnat_ps` in the organisation's
    directory from the Annuaire. Checks `directory.manage` before calling the Annuaire;
    raises AnnuaireError when it cannot answer, ValidationError (French) when the
    identifier is malformed or unknown there."""
    require_manage(actor, organisation)
    idnat_ps = normalise_identifier(idnat_ps)[:30]
    problem = idnat_ps_problem(idnat_ps)
    if problem:
        raise ValidationError(problem)
    practitioner = (client or client_from_settings()).practitioner_by_idnat(idnat_ps)
    if practitioner is None:
        raise ValidationError(NOT_FOUND)
    if not practitioner.active:
        raise ValidationError(INACTIVE)
    return upsert_from_annuaire(organisation, record_of(practitioner), actor=actor)


@dataclass
class RefreshSummary:
    checked: int = 0
    updated: int = 0
    gone: int = 0
    invalid: int = 0


def mark_gone(entry: ExternalProfessional, *, now: dt.datetime) -> ExternalProfessional:
    """An entry the Annuaire no longer lists as active: deactivated (never deleted: the
    persons' links and the history stay), with the date it was checked and the reason,
    as a system action in the audit trail."""
    actor = Actor.system(SYNC_ACTOR)
    with transaction.atomic():
        entry = ExternalProfessional.objects.select_for_update().get(pk=entry.pk)
        entry.active = False
        entry.deactivated_on = timezone.localdate(now)
        entry.deactivation_reason = (
            "Introuvable ou inactif dans l'Annuaire Santé lors de la vérification du "
            f"{timezone.localtime(now):%d/%m/%Y}."
        )
        entry.synced_at = now
        return save_audited(
            actor,
            entry,
            "directory.annuaire_gone",
            expected_version=CURRENT,
            organisation_id=entry.organisation_id,
        )


def refresh_from_annuaire(
    client: AnnuaireClient,
    *,
    now: dt.datetime | None = None,
    batch: int = 500,
) -> RefreshSummary:
    """Check again every active entry that came from the Annuaire and was last checked
    more than `ANNUAIRE_REFRESH_DAYS` ago: national data updated (upsert), entries no
    longer active there deactivated (mark_gone). AnnuaireError propagates (the job is
    retried later); what was done before it stays done, and the entries not reached
    keep their old date, so the next attempt starts with them."""
    now = now or timezone.now()
    days = int(getattr(settings, "ANNUAIRE_REFRESH_DAYS", 1) or 1)
    # An hour of slack: the job runs at a fixed time, a day after the last run.
    checked_before = now - dt.timedelta(days=days) + dt.timedelta(hours=1)
    summary = RefreshSummary()
    organisation_ids = (
        ExternalProfessional.objects.filter(active=True, source=Source.ANNUAIRE)
        .values_list("organisation_id", flat=True)
        .distinct()
        .order_by("organisation_id")
    )
    for organisation_id in list(organisation_ids):
        organisation = ManagingOrganisation.objects.get(pk=organisation_id)
        for entry in annuaire_entries_to_refresh(
            organisation_id, checked_before=checked_before, limit=batch
        ):
            summary.checked += 1
            practitioner = client.practitioner_by_idnat(entry.idnat_ps)
            if practitioner is None or not practitioner.active:
                mark_gone(entry, now=now)
                summary.gone += 1
                continue
            try:
                upsert_from_annuaire(organisation, record_of(practitioner), now=now)
            except ValidationError:
                summary.invalid += 1  # kept as it is; tried again next time
            else:
                summary.updated += 1
    return summary
