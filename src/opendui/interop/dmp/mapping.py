"""From the record to the DMP contract (document.py): persons, facilities, versions.

`dmp_document_for(version, professional=…, …)` reads one `DocumentVersion` with its
`Document`, person and facility, and returns the `DmpDocument` the CDA generator and the
client consume. `candidate_for(...)` reads the same record into the input of the pure
rules (rules.py). `professional_snapshot` / `professional_from_snapshot` keep the acting
professional's identity on a submission as JSON: the job that sends has no session.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import asdict
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import timezone

from opendui.accounts.national_identity import Code, ProfessionalIdentity
from opendui.documents import codes as store_codes
from opendui.documents import store
from opendui.documents.models import Document, DocumentStatus, DocumentVersion
from opendui.organisations.models import Facility
from opendui.persons.consents import consent_holds
from opendui.persons.entourage import current_measures, is_minor
from opendui.persons.models import Person
from opendui.persons.models_entourage import REPRESENTATION_MEASURES, ConsentScope

from . import rules
from .document import Coded, DmpDocument, Organisation, PatientIdentity, Professional, Visibility


class MappingError(Exception):
    """The record cannot be expressed for the DMP; `message` is French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- The acting professional ----------------------------------------------------------------


def professional_snapshot(identity: ProfessionalIdentity) -> dict[str, Any]:
    """JSON of the acting professional, stored on the submission."""
    return asdict(identity)


def professional_from_snapshot(data: dict[str, Any]) -> ProfessionalIdentity:
    def code(value: dict[str, str] | None) -> Code | None:
        return Code(**value) if value else None

    return ProfessionalIdentity(
        idnat=data.get("idnat", ""),
        family_name=data.get("family_name", ""),
        given_name=data.get("given_name", ""),
        profession=code(data.get("profession")),
        activity_role=code(data.get("activity_role")),
        sector=code(data.get("sector")) or Code("", ""),
        authentication_mode=data.get("authentication_mode", ""),
        facility_finess=data.get("facility_finess", ""),
    )


def contract_professional(identity: ProfessionalIdentity) -> Professional:
    """The contract's `Professional` (CDA author, legal authenticator) of an identity."""
    profession = identity.profession
    return Professional(
        idnat=identity.idnat,
        family_name=identity.family_name,
        given_name=identity.given_name,
        profession=Coded(profession.code, profession.system) if profession else None,
    )


# --- Person, facility, type -----------------------------------------------------------------


def patient_identity(person: Person) -> PatientIdentity:
    """The person as the DMP knows them; MappingError when the identity is not qualified."""
    ins = person.transmittable_ins
    if not ins or person.sex not in ("M", "F"):
        raise MappingError(
            "L'identité de la personne n'est pas qualifiée : pas d'INS à transmettre."
        )
    given_names = person.birth_first_names or person.first_name
    return PatientIdentity(
        ins=ins,
        ins_oid=person.ins_oid,
        birth_family_name=person.birth_name,
        birth_given_names=given_names,
        first_given_name=person.first_name,
        sex=person.sex,
        birth_date=person.birth_date,
        birth_place_cog=person.birth_place_code,
        used_family_name=person.used_name,
        used_given_name=person.used_first_name,
        local_id=person.local_id,
    )


def organisation_of(facility: Facility) -> Organisation:
    """The facility as custodian and author's organisation (codes.py gives its J02/J04)."""
    from . import codes

    category = facility.category.code
    return Organisation(
        finess=facility.finess_et,
        name=facility.name,
        facility_type=codes.facility_type_of(category),
        practice_setting=codes.practice_setting_of(category),
        address_lines=(facility.address,) if facility.address else (),
        postal_code=facility.postal_code,
        city=facility.city,
    )


@cache
def local_equivalents() -> dict[str, str]:
    """OpenDUI local type → its nearest JDV_J07 code ("" when none)."""
    with store_codes.LOCAL_FILE.open(encoding="utf-8", newline="") as handle:
        return {row["code"]: row.get("j07_equivalent", "") for row in csv.DictReader(handle)}


def national_type_of(document: Document) -> str | None:
    return rules.national_type(document.type_system, document.type_code, local_equivalents())


def is_represented(person: Person, on: dt.date) -> bool:
    """A measure with representation relative to the person in force on `on`."""
    return any(m.measure in REPRESENTATION_MEASURES for m in current_measures(person, on))


def visibility_context(person: Person, on: dt.date | None = None) -> dict[str, bool]:
    """`minor` and `represented`, the inputs of rules.visibility_options."""
    on = on or timezone.localdate()
    return {"minor": is_minor(person, on), "represented": is_represented(person, on)}


def max_bytes() -> int:
    return int(getattr(settings, "DMP_MAX_BYTES", settings.DOCUMENT_MAX_BYTES))


def candidate_for(
    document: Document, version: DocumentVersion, *, professional_idnat: str
) -> rules.Candidate:
    """The inputs of rules.refusal for sending `version` of `document` now."""
    person = document.person
    return rules.Candidate(
        identity_qualified=bool(person.transmittable_ins),
        identity_status_label=person.identity_status.label,
        opposed=not consent_holds(person, ConsentScope.ALIMENTATION_DMP),
        j07_code=national_type_of(document),
        type_label=document.type_label,
        facility_finess=document.facility.finess_et,
        withdrawn=document.status == DocumentStatus.WITHDRAWN,
        mime_type=version.mime_type,
        size=version.size,
        max_bytes=max_bytes(),
        professional_idnat=professional_idnat,
    )


def _at_noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def dmp_document_for(
    version: DocumentVersion,
    *,
    professional: ProfessionalIdentity,
    unique_id: str,
    set_id: str,
    version_number: int,
    visibility: Visibility | None = None,
    pdf: bytes | None = None,
) -> DmpDocument:
    """The `DmpDocument` of one stored version. `pdf` defaults to the stored content.

    Author: the professional of the organisation who wrote it, else the one acting (a
    document of an outside author is filed by the professional who sends it); legal
    authenticator: the one acting. MappingError (French) when the type has no national code.
    """
    from . import codes

    document = version.document
    j07 = national_type_of(document)
    type_coded = codes.document_type_coded(document.type_system, document.type_code)
    if j07 is None or type_coded is None:
        raise MappingError(f"Le type « {document.type_label} » n'a pas de code JDV_J07.")
    acting = contract_professional(professional)
    author_user = document.author_user
    author = acting
    if author_user is not None and author_user.national_id:
        author = Professional(
            idnat=author_user.national_id,
            family_name=author_user.last_name,
            given_name=author_user.first_name,
            profession=acting.profession if author_user.national_id == acting.idnat else None,
        )
    return DmpDocument(
        unique_id=unique_id,
        set_id=set_id,
        version=version_number,
        type=type_coded,
        class_code=codes.class_coded(document.class_code),
        title=document.title,
        created_at=version.uploaded_at,
        patient=patient_identity(document.person),
        organisation=organisation_of(document.facility),
        author=author,
        legal_authenticator=acting,
        pdf=pdf if pdf is not None else store.read(version.stored_name),
        confidentiality=document.confidentiality,
        service_start=_at_noon(document.act_date),
        service_stop=_at_noon(document.act_date),
        visibility=visibility or Visibility(),
    )
