"""Fixtures of the Django side of the DMP feed: a qualified person, professionals with a
national identifier, stored PDFs, and a small fake DMP client passed in explicitly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from opendui.accounts.national_identity import acting_professional
from opendui.core.actor import Actor
from opendui.core.identifiers import luhn_check_digit
from opendui.documents.services import store_document
from opendui.interop.dmp.document import Coded, DmpDocument
from opendui.interop.dmp.mapping import contract_professional, patient_identity
from opendui.interop.dmp.models import DmpSubmission

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def rpps(body10: str) -> str:
    return body10 + luhn_check_digit(body10)


def with_rpps(user, body10: str, profession: str = "G15:60"):
    user.rpps = rpps(body10)
    user.profession = profession
    user.save(update_fields=["rpps", "profession"])
    return user


def identity_of(user, facility):
    return acting_professional(user, None, facility)


def store_pdf(user, person, facility, *, type_code="CR-SOCIAL", category="social", data=PDF):
    return store_document(
        Actor(user),
        person,
        facility=facility,
        data_category=category,
        type_code=type_code,
        title="Compte rendu",
        act_date=timezone.localdate(),
        files=[("cr.pdf", data)],
    )


def hand_made_document(submission: DmpSubmission) -> DmpDocument:
    """A DmpDocument of the submission with fixed national codes (the mapping of the
    person and the professional is the real one)."""
    from opendui.interop.dmp.document import Organisation
    from opendui.interop.dmp.mapping import professional_from_snapshot
    from opendui.interop.dmp.sending import visibility_of

    professional = contract_professional(professional_from_snapshot(submission.professional))
    facility = submission.facility
    return DmpDocument(
        unique_id=submission.unique_id,
        set_id=submission.set_id,
        version=submission.version_number,
        type=Coded("28653-4", "2.16.840.1.113883.6.1"),
        class_code=Coded("10", "1.2.250.1.213.1.1.4.1"),
        title=submission.document_version.document.title,
        created_at=submission.document_version.uploaded_at,
        patient=patient_identity(submission.person),
        organisation=Organisation(
            finess=facility.finess_et,
            name=facility.name,
            facility_type=Coded("SA17", "1.2.250.1.71.4.2.4"),
            practice_setting=Coded("ETABLISSEMENT", "1.2.250.1.213.1.1.4.9"),
        ),
        author=professional,
        legal_authenticator=professional,
        pdf=PDF,
        visibility=visibility_of(submission.share),
    )


def fake_cda(document: DmpDocument) -> bytes:
    return f'<ClinicalDocument id="{document.unique_id}" v="{document.version}"/>'.encode()


def FakeDmpError(message_fr: str, code: str = "", retryable: bool = False):
    """The client's errors: unavailable (retried) or refused."""
    from opendui.interop.dmp.errors import DmpRefused, DmpUnavailable

    return (DmpUnavailable if retryable else DmpRefused)(message_fr, code)


@dataclass
class Entry:
    unique_id: str
    entry_uuid: str


@dataclass
class Receipt:
    entry_uuid: str
    submission_set_unique_id: str


@dataclass
class FakeDmp:
    """A DMP in memory: what was published, and errors to raise on the next calls."""

    entries: dict[str, Entry] = field(default_factory=dict)
    published: list[tuple[str, str | None, bytes]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    updates: list[tuple[str, object]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    die_after_publish: bool = False

    def _maybe_fail(self) -> None:
        if self.errors:
            raise self.errors.pop(0)

    def publish(self, professional, patient, document, cda, replaces=None):
        assert patient.ins and professional.idnat
        self._maybe_fail()
        entry = Entry(document.unique_id, f"urn:uuid:entry-{len(self.entries) + 1}")
        self.entries[document.unique_id] = entry
        self.published.append((document.unique_id, replaces, cda))
        if self.die_after_publish:
            self.die_after_publish = False
            raise KeyboardInterrupt  # the worker is killed after the DMP accepted
        return Receipt(entry.entry_uuid, "2.25.1")

    def find_documents(self, professional, patient):
        self._maybe_fail()
        return list(self.entries.values())

    def get_document(self, professional, patient, unique_id):
        self._maybe_fail()
        return self.entries.get(unique_id)

    def update_visibility(self, professional, patient, entry, visibility):
        self._maybe_fail()
        self.updates.append((entry, visibility))

    def delete(self, professional, patient, entry):
        self._maybe_fail()
        self.deleted.append(entry)


def later(minutes: int = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(minutes=minutes)
