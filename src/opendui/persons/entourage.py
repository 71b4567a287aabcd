"""Services for a person's entourage and legal protection measures.

Every write checks `person.edit_administrative` (the entourage belongs to the
administrative part of the record, as does the page that shows it), validates the row
(French messages) and saves it with its audit event in one transaction. A related
person's contact details and roles are corrected with the version the user saw (before
and after in the audit trail); a relationship that ends gets its end date and reason
and stays in the record's history: nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.accounts.access import Decision, require
from opendui.core.actor import Actor
from opendui.core.services import ExpectedVersion, require_version, save_audited

from .models import Person
from .models_entourage import REPRESENTATION_MEASURES, LegalProtection, RelatedPerson

RELATED_PERSON_FIELDS = frozenset(
    {
        "last_name",
        "first_name",
        "relation",
        "phone",
        "email",
        "address",
        "is_trusted_person",
        "is_emergency_contact",
        "is_legal_representative",
        "is_active",
    }
)
#: What an edit may change: the contact details and roles, not whether the row is
#: active (a relationship is ended by `end_related_person`, with its date and reason).
EDITABLE_RELATED_FIELDS = RELATED_PERSON_FIELDS - {"is_active"}
MIN_END_REASON_CHARACTERS = 5
MEASURE_FIELDS = frozenset(
    {"measure", "start_date", "end_date", "judgment_reference", "court", "representative"}
)


def require_administrative_edit(actor: Actor, person: Person) -> Decision:
    """The actor may edit the person's administrative record, else PermissionDenied."""
    return require(actor.user, "person.edit_administrative", person=person)


def _unknown(fields: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Champs inconnus : {', '.join(sorted(unknown))}")


def save_person_row(actor: Actor, decision: Decision, row, action: str, **kwargs):
    """Validate then save an entourage/consent row with its audit event."""
    row.full_clean()
    return save_audited(
        actor,
        row,
        action,
        person_ids=[row.person_id],
        organisation_id=row.person.organisation_id,
        break_glass=decision.break_glass,
        **kwargs,
    )


def add_related_person(actor: Actor, person: Person, **fields: Any) -> RelatedPerson:
    _unknown(fields, RELATED_PERSON_FIELDS)
    decision = require_administrative_edit(actor, person)
    related = RelatedPerson(person=person, **fields)
    with transaction.atomic():
        return save_person_row(actor, decision, related, "entourage.add")


def _still_current(related: RelatedPerson) -> None:
    if not related.is_active:
        ended = f" le {related.end_date:%d/%m/%Y}" if related.end_date else ""
        raise ValidationError(
            f"La relation avec {related} a pris fin{ended} : elle reste dans l'historique "
            "et ne se modifie plus. Ajoutez un nouveau contact si elle reprend."
        )


def update_related_person(
    actor: Actor,
    related: RelatedPerson,
    *,
    expected_version: int | None,
    **fields: Any,
) -> RelatedPerson:
    """Correct a current related person's contact details and roles.

    The version the user saw is required (concurrent edits); an ended relationship is
    history and is not edited; an unchanged form saves nothing and says so.
    """
    _unknown(fields, EDITABLE_RELATED_FIELDS)
    decision = require_administrative_edit(actor, related.person)
    expected_version = require_version(expected_version)
    _still_current(related)
    if all(getattr(related, name) == value for name, value in fields.items()):
        raise ValidationError("Aucune modification : rien n'a été enregistré.")
    for name, value in fields.items():
        setattr(related, name, value)
    with transaction.atomic():
        return save_person_row(
            actor, decision, related, "entourage.update", expected_version=expected_version
        )


def end_related_person(
    actor: Actor,
    related: RelatedPerson,
    end_date: dt.date,
    reason: str,
    *,
    expected_version: int | None,
    today: dt.date | None = None,
) -> RelatedPerson:
    """End a relationship on `end_date` for `reason`: the contact leaves the current list
    and stays in the history (never deleted).

    Refused while the contact represents the person in a protection measure in force
    (end or change the measure first, so that "who consents" never points to someone
    who is gone), for a date in the future or before the contact was recorded.
    """
    decision = require_administrative_edit(actor, related.person)
    expected_version = require_version(expected_version)
    _still_current(related)
    today = today or timezone.localdate()
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if end_date > today:
        errors["end_date"] = "La date de fin ne peut pas être dans le futur."
    elif end_date < timezone.localtime(related.created_at).date():
        errors["end_date"] = (
            f"La date de fin précède l'enregistrement de ce contact "
            f"({timezone.localtime(related.created_at):%d/%m/%Y})."
        )
    if sum(ch.isalnum() for ch in reason) < MIN_END_REASON_CHARACTERS:
        errors["end_reason"] = "Indiquez le motif de la fin de la relation."
    measure = current_measures(related.person, today).filter(representative=related).first()
    if measure is not None:
        errors["__all__"] = (
            f"{related} représente la personne dans la mesure « {measure} » en cours : "
            "terminez ou modifiez d'abord cette mesure."
        )
    if errors:
        raise ValidationError(errors)
    related.is_active = False
    related.end_date = end_date
    related.end_reason = reason
    with transaction.atomic():
        return save_person_row(
            actor, decision, related, "entourage.end", expected_version=expected_version
        )


def add_legal_protection(actor: Actor, person: Person, **fields: Any) -> LegalProtection:
    """Record a protection measure; a measure ending before it starts is refused."""
    _unknown(fields, MEASURE_FIELDS)
    decision = require_administrative_edit(actor, person)
    measure = LegalProtection(person=person, **fields)
    with transaction.atomic():
        return save_person_row(actor, decision, measure, "legal_protection.add")


def end_legal_protection(
    actor: Actor,
    measure: LegalProtection,
    end_date: dt.date,
    *,
    expected_version: ExpectedVersion | None,
) -> LegalProtection:
    """Close a measure on `end_date` (kept in the history, never deleted)."""
    decision = require_administrative_edit(actor, measure.person)
    if measure.end_date is not None:
        raise ValidationError({"end_date": "Cette mesure est déjà terminée."})
    measure.end_date = end_date
    with transaction.atomic():
        return save_person_row(
            actor, decision, measure, "legal_protection.end", expected_version=expected_version
        )


def is_minor(person: Person, on: dt.date) -> bool:
    born = person.birth_date
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return age < 18


def current_measures(person: Person, on: dt.date | None = None):
    """The protection measures in force on `on` (today by default)."""
    on = on or timezone.localdate()
    return (
        LegalProtection.objects.filter(person=person, start_date__lte=on)
        .exclude(end_date__lt=on)
        .select_related("representative")
    )


def who_consents(person: Person, on: dt.date | None = None) -> RelatedPerson | None:
    """Who gives consent for `person` on `on` (today by default).

    None means the person consents themself. A RelatedPerson is returned when a
    measure with representation relative to the person is in force (tutelle,
    habilitation familiale générale, autorité parentale, tutelle de mineur) or when
    the person is a minor: the measure's representative, else an active related
    person marked as legal representative. When the person is represented but no
    representative is recorded, a ValidationError (French message) is raised rather
    than wrongly answering "the person themself".
    """
    on = on or timezone.localdate()
    measures = [m for m in current_measures(person, on) if m.measure in REPRESENTATION_MEASURES]
    if not measures and not is_minor(person, on):
        return None
    for measure in measures:
        if measure.representative is not None and measure.representative.is_active:
            return measure.representative
    representative = (
        RelatedPerson.objects.filter(person=person, is_active=True, is_legal_representative=True)
        .order_by("id")
        .first()
    )
    if representative is None:
        raise ValidationError(
            "Cette personne est représentée (mineure ou mesure de protection avec "
            "représentation) mais aucun représentant légal n'est enregistré dans son entourage."
        )
    return representative
