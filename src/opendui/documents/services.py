"""Writing sharing records: what the future DMP and MSSanté clients call after each sending.

A client calls `record_sharing` once the national service answered (status "sent" when it
accepted the document or message, "failed" otherwise), in the job that sent it. The row is
what the usage indicators count (selectors.py); it carries no document content, only its
reference. Audited as a change when it names a person (a job's write: it does not make the
record "active" for the indicators).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction

from opendui.audit.services import record_change
from opendui.core.actor import Actor
from opendui.organisations.models import Facility
from opendui.persons.models import Person

from .models import Channel, Sharing, SharingStatus


def record_sharing(
    actor: Actor,
    *,
    channel: Channel | str,
    facility: Facility,
    sent_at: dt.datetime,
    person: Person | None = None,
    status: SharingStatus | str = SharingStatus.SENT,
    external_id: str = "",
    document_reference: str = "",
) -> Sharing:
    """Store one sending; ValidationError (French) and nothing stored on bad input."""
    if str(channel) not in Channel.values:
        raise ValidationError("Canal inconnu : DMP ou MSSANTE attendu.")
    if str(status) not in SharingStatus.values:
        raise ValidationError("Statut d'envoi inconnu : « sent » ou « failed » attendu.")
    if str(channel) == Channel.DMP and person is None:
        raise ValidationError("Un document versé au DMP concerne toujours une personne.")
    if person is not None and person.organisation_id != facility.organisation_id:
        raise ValidationError("La personne n'appartient pas à l'organisme de l'établissement.")
    if sent_at.tzinfo is None:
        raise ValidationError("La date d'envoi doit porter son fuseau horaire.")
    sharing = Sharing(
        channel=str(channel),
        facility=facility,
        person=person,
        sent_at=sent_at,
        status=str(status),
        external_id=external_id[:200],
        document_reference=document_reference[:300],
    )
    with transaction.atomic():
        sharing.save()
        record_change(
            actor,
            f"sharing.{str(channel).lower()}",
            sharing,
            None,
            person_ids=[person.pk] if person is not None else [],
            organisation_id=facility.organisation_id,
            facility_id=facility.pk,
        )
    return sharing
