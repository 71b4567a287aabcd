"""Consents and oppositions, and the one question other modules ask: does it hold?"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.core.actor import Actor
from opendui.core.services import ExpectedVersion

from .entourage import require_administrative_edit, save_person_row, who_consents
from .models import Person
from .models_entourage import Consent, ConsentGiver, ConsentKind, ConsentScope, RelatedPerson

# Scopes recorded as oppositions (the default, with no record, is "no opposition").
OPPOSITION_SCOPES = frozenset({ConsentScope.ALIMENTATION_DMP})


def record_consent(
    actor: Actor,
    person: Person,
    *,
    scope: ConsentScope | str,
    kind: ConsentKind | str,
    given_on: dt.date,
    given_by: ConsentGiver | str,
    representative: RelatedPerson | None = None,
    evidence: str = "",
    evidence_reference: str = "",
) -> Consent:
    """Record a consent or an opposition expressed on `given_on`.

    Refused (ValidationError, French message): a date in the future, a representative
    missing when the representative expressed it, and an expression by the person
    themself when they are represented on that date (minor, or tutelle/habilitation
    familiale générale/autorité parentale/tutelle de mineur in force; see who_consents).
    """
    decision = require_administrative_edit(actor, person)
    consent = Consent(
        person=person,
        scope=scope,
        kind=kind,
        given_on=given_on,
        given_by=given_by,
        representative=representative,
        evidence=evidence,
        evidence_reference=evidence_reference,
    )
    if given_on and given_on > timezone.localdate():
        raise ValidationError({"given_on": "La date du recueil ne peut pas être dans le futur."})
    consent.full_clean()
    if given_by == ConsentGiver.PERSONNE and who_consents(person, given_on) is not None:
        raise ValidationError(
            {
                "given_by": "Cette personne est représentée à cette date : le consentement "
                "ou l'opposition doit être exprimé par son représentant légal."
            }
        )
    with transaction.atomic():
        return save_person_row(actor, decision, consent, "consent.record")


def withdraw_consent(
    actor: Actor,
    consent: Consent,
    *,
    on: dt.date,
    reason: str,
    expected_version: ExpectedVersion | None,
) -> Consent:
    """Withdraw a consent or opposition from `on`: a status change, never a deletion."""
    decision = require_administrative_edit(actor, consent.person)
    if consent.withdrawn_on is not None:
        raise ValidationError({"withdrawn_on": "Ce consentement a déjà été retiré."})
    consent.withdrawn_on = on
    consent.withdrawal_reason = reason
    with transaction.atomic():
        return save_person_row(
            actor, decision, consent, "consent.withdraw", expected_version=expected_version
        )


def record_in_force(
    person: Person, scope: ConsentScope | str, on: dt.date | None = None
) -> Consent | None:
    """The latest record for `scope` expressed on or before `on` and not withdrawn by then."""
    on = on or timezone.localdate()
    return (
        Consent.objects.filter(person=person, scope=scope, given_on__lte=on)
        .exclude(withdrawn_on__lte=on)
        .order_by("-given_on", "-id")
        .first()
    )


def consent_holds(person: Person, scope: ConsentScope | str, on: dt.date | None = None) -> bool:
    """May the processing covered by `scope` go ahead for `person` on `on` (today by default)?

    Looks at the latest record for that scope expressed on or before `on` that is not
    withdrawn by `on` (a record withdrawn on day D no longer counts from D).

    - Consent scopes (partage au sein du cercle de soins, échanges MSSanté, droit à
      l'image): True only when that record is a *consentement*. No record, an
      *opposition*, or a withdrawn consent → False.
    - Opposition scopes (alimentation du DMP): True means "no opposition in force",
      i.e. the processing may go ahead. No record → True; an *opposition* in force →
      False; withdrawing the opposition, or recording a *consentement* after it
      (levée de l'opposition) → True again.
    """
    record = record_in_force(person, scope, on)
    if record is None:
        return scope in OPPOSITION_SCOPES
    return record.kind == ConsentKind.CONSENTEMENT
