"""Every write of the directory and of a person's links with its entries.

Directory entries (professionals, structures) need `directory.manage` in their
organisation (facility scope: a secretariat assigned to one facility maintains the
organisation's shared directory); a person's links need `person.edit_administrative` on
that person. Each write validates (French messages), checks the version the user saw
(updates), and saves with its audit event (before/after) in one transaction. Nothing is
deleted: entries are deactivated, links are ended with a date and a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import Decision, require
from opendui.core.actor import Actor
from opendui.core.identifiers import (
    idnat_ps_of,
    normalise_email,
    normalise_identifier,
)
from opendui.core.phones import stored_phone
from opendui.core.services import CURRENT, ExpectedVersion, save_audited
from opendui.organisations.models import ManagingOrganisation

from . import professions
from .models import (
    ExternalProfessional,
    ExternalStructure,
    LinkRole,
    PersonProfessional,
    Source,
)

MANAGE = "directory.manage"
PERSON_EDIT = "person.edit_administrative"
NO_CHANGE = "Aucune modification : rien n'a été enregistré."
INCOMPLETE_FORM = "Ce formulaire est incomplet : rechargez la page avant de recommencer."

PROFESSIONAL_FIELDS = frozenset(
    {
        "civility",
        "last_name",
        "first_name",
        "profession_code",
        "profession_label",
        "specialty_label",
        "specialty_code",
        "rpps",
        "adeli",
        "idnat_ps",
        "phone",
        "email",
        "mssante_addresses",
        "structure",
        "address",
        "postal_code",
        "city",
    }
)
STRUCTURE_FIELDS = frozenset(
    {
        "name",
        "service",
        "kind",
        "finess",
        "siret",
        "address",
        "postal_code",
        "city",
        "phone",
        "mssante_address",
    }
)


def _unknown(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Champs inconnus : {', '.join(sorted(unknown))}")


def require_manage(actor: Actor, organisation: ManagingOrganisation) -> Decision:
    """The actor may maintain the organisation's directory, else PermissionDenied."""
    return require(
        actor.user,
        MANAGE,
        organisation=organisation,
        message="Vous n'avez pas le droit de modifier l'annuaire des professionnels.",
    )


def _audit(entry) -> dict[str, Any]:
    return {"organisation_id": entry.organisation_id}


# --- professionals ----------------------------------------------------------------------------


def _normalise_professional(professional: ExternalProfessional) -> None:
    """Bring typed values to their stored form, fill what follows from them, and check
    what the field validators cannot see (coherence, uniqueness with a clear message)."""
    p = professional
    p.rpps = normalise_identifier(p.rpps)
    p.adeli = normalise_identifier(p.adeli)
    p.idnat_ps = normalise_identifier(p.idnat_ps)
    p.phone = stored_phone(p.phone or "")
    p.email = normalise_email(p.email) if p.email else ""
    seen: list[str] = []
    for address in p.mssante_addresses or []:
        address = normalise_email(str(address))
        if address and address.lower() not in {a.lower() for a in seen}:
            seen.append(address)
    p.mssante_addresses = seen
    p.last_name = (p.last_name or "").strip()
    p.first_name = (p.first_name or "").strip()
    if p.profession_code:
        label = professions.label_of(p.profession_code)
        if label:
            p.profession_label = label
    p.profession_label = (p.profession_label or "").strip()
    errors: dict[str, str] = {}
    if p.profession_code and not professions.label_of(p.profession_code) and not p.pk:
        errors["profession_code"] = "Profession inconnue de la liste nationale (TRE_G15)."
    if not p.profession_label:
        errors["profession_label"] = "Indiquez la profession."
    derived = idnat_ps_of(p.rpps, p.adeli)
    if not p.idnat_ps:
        p.idnat_ps = derived
    elif p.rpps and p.idnat_ps.startswith("8") and p.idnat_ps != derived:
        errors["idnat_ps"] = "L'idNat_PS « 8 + RPPS » ne correspond pas au numéro RPPS saisi."
    if p.structure_id and p.structure.organisation_id != p.organisation_id:
        errors["structure"] = "Cette structure n'appartient pas à l'annuaire de l'organisme."
    for name, label in (("rpps", "RPPS"), ("adeli", "ADELI"), ("idnat_ps", "idNat_PS")):
        value = getattr(p, name)
        if not value or name in errors:
            continue
        other = (
            ExternalProfessional.objects.filter(organisation_id=p.organisation_id, **{name: value})
            .exclude(pk=p.pk)
            .first()
        )
        if other is not None:
            errors[name] = f"Ce numéro {label} est déjà dans l'annuaire : {other}."
    if errors:
        raise ValidationError(errors)


def create_professional(
    actor: Actor, organisation: ManagingOrganisation, **fields: Any
) -> ExternalProfessional:
    """A professional typed by hand in the organisation's directory."""
    _unknown(fields, PROFESSIONAL_FIELDS)
    require_manage(actor, organisation)
    professional = ExternalProfessional(organisation=organisation, **fields)
    with transaction.atomic():
        _normalise_professional(professional)
        professional.full_clean()
        return save_audited(
            actor, professional, "directory.professional_create", **_audit(professional)
        )


def _update(actor: Actor, entry, fields: dict[str, Any], expected_version, action: str, prepare):
    require_manage(actor, entry.organisation)
    if expected_version is None:
        raise ValidationError(INCOMPLETE_FORM)
    if not entry.active:
        raise ValidationError(
            f"{entry} est désactivé(e) dans l'annuaire : réactivez la fiche avant de la modifier."
        )
    before = {name: getattr(entry, name) for name in fields}
    for name, value in fields.items():
        setattr(entry, name, value)
    prepare(entry)
    if all(getattr(entry, name) == before[name] for name in fields):
        raise ValidationError(NO_CHANGE)
    with transaction.atomic():
        entry.full_clean()
        return save_audited(
            actor, entry, action, expected_version=expected_version, **_audit(entry)
        )


def update_professional(
    actor: Actor,
    professional: ExternalProfessional,
    *,
    expected_version: ExpectedVersion | None,
    **fields: Any,
) -> ExternalProfessional:
    """Correct a professional's entry with the version the user saw (409 otherwise)."""
    _unknown(fields, PROFESSIONAL_FIELDS)
    return _update(
        actor,
        professional,
        fields,
        expected_version,
        "directory.professional_update",
        _normalise_professional,
    )


# --- structures -------------------------------------------------------------------------------


def _normalise_structure(structure: ExternalStructure) -> None:
    s = structure
    s.name = (s.name or "").strip()
    s.service = (s.service or "").strip()
    s.finess = normalise_identifier(s.finess)
    s.siret = normalise_identifier(s.siret)
    s.phone = stored_phone(s.phone or "")
    s.mssante_address = normalise_email(s.mssante_address) if s.mssante_address else ""
    errors: dict[str, str] = {}
    for name, label in (("finess", "FINESS"), ("siret", "SIRET")):
        value = getattr(s, name)
        if not value:
            continue
        other = (
            ExternalStructure.objects.filter(
                organisation_id=s.organisation_id, service=s.service, **{name: value}
            )
            .exclude(pk=s.pk)
            .first()
        )
        if other is not None:
            errors[name] = f"Ce numéro {label} est déjà dans l'annuaire : {other}."
    if errors:
        raise ValidationError(errors)


def create_structure(
    actor: Actor, organisation: ManagingOrganisation, **fields: Any
) -> ExternalStructure:
    _unknown(fields, STRUCTURE_FIELDS)
    require_manage(actor, organisation)
    structure = ExternalStructure(organisation=organisation, **fields)
    with transaction.atomic():
        _normalise_structure(structure)
        structure.full_clean()
        return save_audited(actor, structure, "directory.structure_create", **_audit(structure))


def update_structure(
    actor: Actor,
    structure: ExternalStructure,
    *,
    expected_version: ExpectedVersion | None,
    **fields: Any,
) -> ExternalStructure:
    _unknown(fields, STRUCTURE_FIELDS)
    return _update(
        actor,
        structure,
        fields,
        expected_version,
        "directory.structure_update",
        _normalise_structure,
    )


# --- deactivation -----------------------------------------------------------------------------

MIN_REASON_CHARACTERS = 5


def deactivate(
    actor: Actor,
    entry: ExternalProfessional | ExternalStructure,
    *,
    reason: str,
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
):
    """Take an entry out of the directory's lists and pickers (never deleted: the
    persons' links to it and its history stay). Its current links stay as they are."""
    require_manage(actor, entry.organisation)
    if expected_version is None:
        raise ValidationError(INCOMPLETE_FORM)
    if not entry.active:
        raise ValidationError(f"{entry} est déjà désactivé(e).")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARACTERS:
        raise ValidationError(
            {"reason": "Indiquez le motif de la désactivation (cessation d'activité, doublon…)."}
        )
    entry.active = False
    entry.deactivated_on = today or timezone.localdate()
    entry.deactivation_reason = reason
    kind = "professional" if isinstance(entry, ExternalProfessional) else "structure"
    with transaction.atomic():
        return save_audited(
            actor,
            entry,
            f"directory.{kind}_deactivate",
            expected_version=expected_version,
            **_audit(entry),
        )


def reactivate(
    actor: Actor,
    entry: ExternalProfessional | ExternalStructure,
    *,
    expected_version: ExpectedVersion | None,
):
    """Bring a deactivated entry back (a mistaken deactivation, a return to activity)."""
    require_manage(actor, entry.organisation)
    if expected_version is None:
        raise ValidationError(INCOMPLETE_FORM)
    if entry.active:
        raise ValidationError(f"{entry} est déjà active dans l'annuaire.")
    entry.active = True
    entry.deactivated_on = None
    entry.deactivation_reason = ""
    kind = "professional" if isinstance(entry, ExternalProfessional) else "structure"
    with transaction.atomic():
        return save_audited(
            actor,
            entry,
            f"directory.{kind}_reactivate",
            expected_version=expected_version,
            **_audit(entry),
        )


# --- a person's professionals -----------------------------------------------------------------


def require_person_edit(actor: Actor, person) -> Decision:
    return require(
        actor.user,
        PERSON_EDIT,
        person=person,
        message="Vous n'avez pas le droit de modifier le dossier administratif de cette personne.",
    )


def current_gp_link(person) -> PersonProfessional | None:
    """The person's current médecin traitant link, if any."""
    return (
        PersonProfessional.objects.filter(
            person=person, role=LinkRole.MEDECIN_TRAITANT, end_date__isnull=True
        )
        .select_related("professional")
        .first()
    )


def _save_link(actor: Actor, decision: Decision, link: PersonProfessional, action: str, **kw):
    link.full_clean()
    return save_audited(
        actor,
        link,
        action,
        person_ids=[link.person_id],
        organisation_id=link.person.organisation_id,
        break_glass=decision.break_glass,
        **kw,
    )


def link_professional(
    actor: Actor,
    person,
    *,
    role: str,
    start_date: dt.date,
    professional: ExternalProfessional | None = None,
    structure: ExternalStructure | None = None,
    note: str = "",
    replace_current_gp: bool = False,
    today: dt.date | None = None,
) -> PersonProfessional:
    """Link a professional or a structure of the person's organisation's directory.

    A person has at most one current médecin traitant: a second one is refused unless
    `replace_current_gp`, which ends the current link on the new one's start date (one
    transaction, both audited). The database holds the same rule (a unique index), so
    that two simultaneous additions cannot both succeed.
    """
    decision = require_person_edit(actor, person)
    today = today or timezone.localdate()
    entry = professional or structure
    errors: dict[str, str] = {}
    if (professional is None) == (structure is None):
        raise ValidationError("Choisissez un professionnel ou une structure de l'annuaire.")
    if entry.organisation_id != person.organisation_id or not entry.active:
        # An id of another organisation's directory, or a deactivated entry.
        raise ValidationError("Ce professionnel ou cette structure n'est pas dans l'annuaire.")
    if start_date > today:
        errors["start_date"] = "La date de début ne peut pas être dans le futur."
    if role == LinkRole.MEDECIN_TRAITANT:
        if professional is None:
            errors["role"] = "Le médecin traitant est un professionnel, pas une structure."
        elif professional.profession_code and professional.profession_code != professions.MEDECIN:
            errors["role"] = (
                f"{professional} n'est pas enregistré(e) comme médecin : "
                "il ou elle ne peut pas être médecin traitant."
            )
    if errors:
        raise ValidationError(errors)
    current = PersonProfessional.objects.filter(person=person, end_date__isnull=True, role=role)
    if (
        current.filter(professional=professional, structure=structure).exists()
        and role != LinkRole.MEDECIN_TRAITANT
    ):
        raise ValidationError(f"{entry} est déjà lié(e) à cette personne pour ce rôle.")
    with transaction.atomic():
        if role == LinkRole.MEDECIN_TRAITANT:
            gp = (
                PersonProfessional.objects.select_for_update(of=("self",))
                .filter(person=person, role=LinkRole.MEDECIN_TRAITANT, end_date__isnull=True)
                .select_related("professional")
                .first()
            )
            if gp is not None:
                if gp.professional_id == professional.pk:
                    raise ValidationError(f"{professional} est déjà le médecin traitant.")
                if not replace_current_gp:
                    raise ValidationError(
                        {
                            "role": f"Cette personne a déjà un médecin traitant : "
                            f"{gp.professional}. Cochez « remplacer le médecin traitant "
                            "actuel » pour en changer."
                        }
                    )
                if start_date < gp.start_date:
                    raise ValidationError(
                        {
                            "start_date": "Le nouveau médecin traitant ne peut pas commencer "
                            f"avant le {gp.start_date:%d/%m/%Y}, début du médecin traitant "
                            "actuel."
                        }
                    )
                gp.end_date = start_date
                gp.end_reason = f"Remplacé(e) par {professional} comme médecin traitant."
                _save_link(actor, decision, gp, "directory.link_end", expected_version=CURRENT)
        link = PersonProfessional(
            person=person,
            professional=professional,
            structure=structure,
            role=role,
            start_date=start_date,
            note=(note or "").strip(),
        )
        return _save_link(actor, decision, link, "directory.link_add")


def end_link(
    actor: Actor,
    link: PersonProfessional,
    *,
    end_date: dt.date,
    reason: str,
    expected_version: ExpectedVersion | None,
    today: dt.date | None = None,
) -> PersonProfessional:
    """End a link on `end_date` (not in the future): it moves to the history."""
    decision = require_person_edit(actor, link.person)
    if expected_version is None:
        raise ValidationError(INCOMPLETE_FORM)
    if link.end_date is not None:
        raise ValidationError(f"Ce lien a déjà pris fin le {link.end_date:%d/%m/%Y}.")
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if end_date > today:
        errors["end_date"] = "La date de fin ne peut pas être dans le futur."
    elif end_date < link.start_date:
        errors["end_date"] = (
            f"La date de fin ne peut pas précéder le début du lien ({link.start_date:%d/%m/%Y})."
        )
    if len(reason) < 3:
        errors["end_reason"] = "Indiquez le motif de fin (déménagement, départ en retraite…)."
    if errors:
        raise ValidationError(errors)
    previous = (link.end_date, link.end_reason)
    link.end_date = end_date
    link.end_reason = reason
    try:
        with transaction.atomic():
            return _save_link(
                actor, decision, link, "directory.link_end", expected_version=expected_version
            )
    except Exception:
        link.end_date, link.end_reason = previous  # refused: the caller's row is unchanged
        raise


# --- the Annuaire Santé -----------------------------------------------------------------------


@dataclass(frozen=True)
class AnnuairePractitioner:
    """A professional as the Annuaire Santé client hands it over (no FHIR type here:
    the client maps Practitioner / PractitionerRole to this plain record)."""

    idnat_ps: str
    last_name: str
    first_name: str = ""
    external_id: str = ""  # the Practitioner resource id
    civility: str = ""
    rpps: str = ""
    adeli: str = ""
    profession_code: str = ""  # TRE_G15
    profession_label: str = ""
    specialty_code: str = ""
    specialty_label: str = ""
    mssante_addresses: tuple[str, ...] = field(default_factory=tuple)
    # Used only to fill a new entry: once in the directory these are local data.
    phone: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""


#: What the Annuaire is the reference for: overwritten at each synchronisation.
ANNUAIRE_FIELDS = (
    "civility",
    "last_name",
    "first_name",
    "rpps",
    "adeli",
    "idnat_ps",
    "profession_code",
    "profession_label",
    "specialty_code",
    "specialty_label",
    "mssante_addresses",
)
#: Local data: set from the Annuaire when the entry is created, then kept.
LOCAL_ON_CREATE = ("phone", "address", "postal_code", "city")


def upsert_from_annuaire(
    organisation: ManagingOrganisation,
    record: AnnuairePractitioner,
    *,
    actor: Actor | None = None,
    now: dt.datetime | None = None,
) -> tuple[ExternalProfessional, bool]:
    """Create or update the organisation's entry of `record`, found by idNat_PS.

    The Annuaire's national data (names, identifiers, profession, MSSanté addresses)
    overwrite the entry's; local data (phone, address, structure, e-mail) typed in
    the directory are kept. The entry is marked as coming from the Annuaire, with
    the time it was checked. A user actor needs `directory.manage`; the nightly refresh
    runs as a system actor. Returns (entry, created). An invalid record (bad RPPS key…)
    raises ValidationError and writes nothing.
    """
    actor = actor or Actor.system("annuaire.sync")
    if actor.user is not None:
        require_manage(actor, organisation)
    now = now or timezone.now()
    values = {
        "civility": record.civility if record.civility in {"DR", "PR", "M", "MME"} else "",
        "last_name": record.last_name,
        "first_name": record.first_name,
        "rpps": record.rpps,
        "adeli": record.adeli,
        "idnat_ps": normalise_identifier(record.idnat_ps),
        "profession_code": record.profession_code
        if professions.label_of(record.profession_code)
        else "",
        "profession_label": record.profession_label or professions.label_of(record.profession_code),
        "specialty_code": record.specialty_code,
        "specialty_label": record.specialty_label,
        "mssante_addresses": list(record.mssante_addresses),
    }
    if not values["idnat_ps"]:
        raise ValidationError({"idnat_ps": "L'Annuaire n'a pas donné d'identifiant national."})
    with transaction.atomic():
        existing = (
            ExternalProfessional.objects.select_for_update()
            .filter(organisation=organisation, idnat_ps=values["idnat_ps"])
            .first()
        )
        created = existing is None
        professional = existing or ExternalProfessional(
            organisation=organisation,
            **{name: getattr(record, name) for name in LOCAL_ON_CREATE},
        )
        for name, value in values.items():
            setattr(professional, name, value)
        professional.source = Source.ANNUAIRE
        professional.external_id = record.external_id[:64]
        professional.synced_at = now
        _normalise_professional(professional)
        professional.full_clean()
        save_audited(
            actor,
            professional,
            "directory.annuaire_create" if created else "directory.annuaire_update",
            expected_version=None if created else CURRENT,
            **_audit(professional),
        )
    return professional, created


__all__ = [
    "ANNUAIRE_FIELDS",
    "AnnuairePractitioner",
    "create_professional",
    "create_structure",
    "current_gp_link",
    "deactivate",
    "end_link",
    "link_professional",
    "reactivate",
    "update_professional",
    "update_structure",
    "upsert_from_annuaire",
]
