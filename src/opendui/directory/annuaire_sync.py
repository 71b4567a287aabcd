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
from opendui.annuaire.parsing import Organisation, Practitioner
from opendui.core.actor import Actor
from opendui.core.identifiers import (
    finess_problem,
    idnat_ps_problem,
    mssante_address_problem,
    normalise_identifier,
)
from opendui.core.services import CURRENT, save_audited
from opendui.organisations.models import ManagingOrganisation

from .models import ExternalProfessional, ExternalStructure, Source, StructureKind
from .selectors import annuaire_entries_to_refresh
from .services import (
    AnnuairePractitioner,
    _normalise_structure,
    require_manage,
    upsert_from_annuaire,
)

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


#: FINESS categories (TRE_R66) of the Annuaire's Organization.type → the directory's kinds.
#: Anything else is « autre structure », which the user can correct.
CATEGORY_KINDS = {
    "620": StructureKind.PHARMACIE,  # pharmacie d'officine
    "611": StructureKind.LABORATOIRE,  # laboratoire de biologie médicale
    "101": StructureKind.SERVICE_HOSPITALIER,  # CHR
    "106": StructureKind.SERVICE_HOSPITALIER,  # centre hospitalier local
    "355": StructureKind.SERVICE_HOSPITALIER,  # centre hospitalier
    "124": StructureKind.CENTRE_SANTE,  # centre de santé
    "354": StructureKind.SSIAD,
    "209": StructureKind.SSIAD,  # SPASAD
    "460": StructureKind.SAAD,
}
NOT_FOUND_STRUCTURE = (
    "Cette structure est introuvable dans l'Annuaire Santé : rien n'a été enregistré."
)
INACTIVE_STRUCTURE = "Cette structure est inactive dans l'Annuaire Santé : rien n'a été enregistré."


def kind_of(organisation: Organisation) -> str:
    """The directory's kind of a structure from its FINESS category ('autre' otherwise)."""
    return CATEGORY_KINDS.get(organisation.kind_code, StructureKind.AUTRE)


def add_structure_from_annuaire(
    actor: Actor,
    organisation: ManagingOrganisation,
    finess: str,
    *,
    client: AnnuaireClient | None = None,
    now: dt.datetime | None = None,
) -> ExternalStructure:
    """Add the structure `finess` to the organisation's directory from the Annuaire
    (name, kind, address, phone, first organisational MSSanté mailbox), marked as coming
    from it. Same checks as for professionals: `directory.manage` first, the record
    fetched on the server; a FINESS already in the directory is refused (French)."""
    require_manage(actor, organisation)
    finess = normalise_identifier(finess)[:20]
    problem = finess_problem(finess)
    if problem:
        raise ValidationError(problem)
    found = (client or client_from_settings()).search_organisations(finess=finess)
    record = next((o for o in found.organisations if o.finess == finess), None)
    if record is None:
        raise ValidationError(NOT_FOUND_STRUCTURE)
    if not record.active:
        raise ValidationError(INACTIVE_STRUCTURE)
    mailbox = next(
        (
            m.address
            for m in sorted(record.mailboxes, key=lambda m: m.kind != "ORG")
            if mssante_address_problem(m.address) is None
        ),
        "",
    )
    structure = ExternalStructure(
        organisation=organisation,
        name=record.name[:200],
        kind=kind_of(record),
        finess=finess,
        address=record.address[:200],
        postal_code=record.postal_code[:5],
        city=record.city[:100],
        phone=record.phone,
        mssante_address=mailbox,
        source=Source.ANNUAIRE,
        external_id=record.external_id[:64],
        synced_at=now or timezone.now(),
    )
    with transaction.atomic():
        _normalise_structure(structure)
        structure.full_clean()
        return save_audited(
            actor,
            structure,
            "directory.annuaire_structure_create",
            organisation_id=organisation.pk,
        )


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
