"""What the DMP jobs do, with the client passed in (tasks.py passes the real one).

`send(submission_id, client=…)` sends one version:

1. nothing to do for a final status (sent, refused, blocked); a removed share blocks it;
2. the rules are checked again at send time: an identity no longer qualified, an
   opposition recorded since, a withdrawn document block the version with the reason;
3. a replacement waits until the version it replaces is in the DMP (its entryUUID is the
   target of the RPLC association); if that one will never be sent, it goes as a new
   document of the same set;
4. the CDA is built once and stored (records storage, name and SHA-256 on the row): a
   retry sends the very same bytes under the same uniqueId;
5. **idempotency after a crash**: a row found "sending" (a previous run died) or with an
   earlier attempt (a timeout may hide a success) may already be in the DMP; the DMP is
   asked whether this uniqueId is there (ITI-18) and the row is marked sent without
   publishing again;
6. the row is marked "sending" (committed) before the call; then sent (entryUUID, date,
   `documents.record_sharing` for the indicator), refused (the DMP's French reason), or
   failed with a French error and `DmpRetry` raised so the job is tried again later.

Errors of the client (errors.DmpError: DmpUnavailable retryable, DmpRefused and
DmpConfigurationError not) carry their French message and whether to retry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from opendui.audit.services import record_change, snapshot
from opendui.core.actor import Actor
from opendui.documents import store
from opendui.documents.models import Channel, SharingStatus
from opendui.documents.services import record_sharing
from opendui.jobs.tasks import JobError

from . import mapping, rules
from .cda import CdaError
from .document import DmpDocument, Visibility
from .errors import DmpError
from .models import ActionStatus, DmpShare, DmpSubmission, SubmissionStatus

ROBOT = Actor.system("dmp.envoi")
CDA_FOLDER = "dmp"
#: Delay before the second attempt, doubled at each further one (as the job's backoff).
BACKOFF_SECONDS = 60
UNAVAILABLE = "Le DMP ne répond pas : un nouvel essai est prévu."
PREVIOUS_PENDING = (
    "La version précédente n'est pas encore versée au DMP : celle-ci partira après elle."
)


class DmpRetry(JobError):
    """The DMP (or the records storage) is unavailable: the job is tried again later."""


def _dmp_error(error: BaseException) -> tuple[str, bool] | None:
    """(French message, retryable) of a DMP client error; None for any other exception."""
    if not isinstance(error, DmpError):
        return None
    return error.message_fr or UNAVAILABLE, bool(error.retryable)


def _load(submission_id: int) -> DmpSubmission | None:
    return (
        DmpSubmission.objects.select_related(
            "share",
            "document_version__document__person",
            "document_version__document__facility__category",
            "document_version__document__author_user",
            "person",
        )
        .filter(pk=submission_id)
        .first()
    )


def _save(submission: DmpSubmission, before: dict, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(submission, name, value)
    submission.save(update_fields=list(fields))
    document = submission.document_version.document
    record_change(
        ROBOT,
        f"dmp.submission.{submission.status}",
        submission,
        before,
        person_ids=[submission.person_id],
        organisation_id=document.person.organisation_id,
        facility_id=submission.facility_id,
    )


def _update(submission: DmpSubmission, **fields: Any) -> None:
    with transaction.atomic():
        _save(submission, snapshot(submission), **fields)


def visibility_of(share: DmpShare) -> Visibility:
    return Visibility(
        hidden_from_professionals=share.hidden_from_professionals,
        invisible_to_patient=share.invisible_to_patient,
        invisible_to_legal_representatives=share.invisible_to_legal_representatives,
    )


def document_for(submission: DmpSubmission, pdf: bytes | None = None) -> DmpDocument:
    """The DmpDocument of a submission (mapping.dmp_document_for with its OIDs)."""
    return mapping.dmp_document_for(
        submission.document_version,
        professional=mapping.professional_from_snapshot(submission.professional),
        unique_id=submission.unique_id,
        set_id=submission.set_id,
        version_number=submission.version_number,
        visibility=visibility_of(submission.share),
        pdf=pdf,
    )


def _replaced_entry(submission: DmpSubmission) -> tuple[str | None, bool]:
    """(entryUUID the version replaces, must wait): the nearest earlier version in the DMP;
    wait while an earlier one is still on its way."""
    previous = submission.replaces
    while previous is not None:
        if previous.status == SubmissionStatus.SENT:
            return previous.entry_uuid, False
        if previous.status in (
            SubmissionStatus.TO_SEND,
            SubmissionStatus.SENDING,
            SubmissionStatus.FAILED,
        ):
            return None, True
        previous = previous.replaces
    return None, False


def _stored_cda(submission: DmpSubmission, document: DmpDocument, build_cda) -> bytes:
    """The CDA of this submission: the stored bytes, or built and stored the first time."""
    try:
        if submission.cda_name:
            data = store.read(submission.cda_name)
            if hashlib.sha256(data).hexdigest() != submission.cda_sha256:
                raise DmpRetry("Le CDA enregistré ne correspond plus à son empreinte.")
            return data
        data = build_cda(document)
        name = store.write(store.new_name(CDA_FOLDER, ".xml"), data)
    except store.StorageUnavailable as error:
        raise DmpRetry(store.StorageUnavailable.message) from error
    try:
        _update(submission, cda_name=name, cda_sha256=hashlib.sha256(data).hexdigest())
    except BaseException:
        store.remove(name)
        raise
    return data


def _already_in_dmp(client, professional, patient, unique_id: str) -> str | None:
    """The entryUUID of `unique_id` when the DMP already holds it (ITI-18 GetDocuments),
    else None."""
    entry = client.get_document(professional, patient, unique_id)
    return (entry.entry_uuid or unique_id) if entry is not None else None


def _mark_sent(submission: DmpSubmission, entry_uuid: str, now: dt.datetime) -> None:
    with transaction.atomic():
        _save(
            submission,
            snapshot(submission),
            status=SubmissionStatus.SENT,
            entry_uuid=entry_uuid,
            sent_at=now,
            last_error="",
            reason="",
            next_attempt_at=None,
        )
        document = submission.document_version.document
        record_sharing(
            ROBOT,
            channel=Channel.DMP,
            facility=document.facility,
            person=document.person,
            sent_at=now,
            status=SharingStatus.SENT,
            external_id=submission.unique_id,
            document_reference=f"{document.type_label} – {document.title}",
        )


def send(
    submission_id: int,
    *,
    client: Any,
    build_cda: Callable[[DmpDocument], bytes],
    make_document: Callable[[DmpSubmission], DmpDocument] | None = None,
    now: dt.datetime | None = None,
) -> str:
    """Send one submission to the DMP (see the module docstring); a short French outcome.

    `make_document` defaults to `document_for` (mapping of the record)."""
    submission = _load(submission_id)
    if submission is None or submission.status in (
        SubmissionStatus.SENT,
        SubmissionStatus.REFUSED,
        SubmissionStatus.BLOCKED,
    ):
        return "rien à faire"
    share = submission.share
    if share.is_stopped:
        _update(submission, status=SubmissionStatus.BLOCKED, reason="Retiré du DMP avant l'envoi.")
        return "bloqué"
    version = submission.document_version
    professional = mapping.professional_from_snapshot(submission.professional)
    problem = rules.refusal(
        mapping.candidate_for(version.document, version, professional_idnat=professional.idnat)
    )
    if problem:
        _update(submission, status=SubmissionStatus.BLOCKED, reason=problem)
        return "bloqué"
    replaces, wait = _replaced_entry(submission)
    if wait:
        _update(submission, last_error=PREVIOUS_PENDING)
        raise DmpRetry(PREVIOUS_PENDING)
    now = now or timezone.now()
    patient = mapping.patient_identity(submission.person)
    try:
        document = (make_document or document_for)(submission)
    except store.StorageUnavailable as error:
        raise DmpRetry(store.StorageUnavailable.message) from error
    except mapping.MappingError as error:
        _update(submission, status=SubmissionStatus.BLOCKED, reason=error.message)
        return "bloqué"
    try:
        cda = _stored_cda(submission, document, build_cda)
    except CdaError as error:  # the record cannot make a conformant CDA: say why
        _update(submission, status=SubmissionStatus.BLOCKED, reason=str(error)[:500])
        return "bloqué"
    try:
        if submission.status == SubmissionStatus.SENDING or submission.attempts:
            # A previous run died during the call, or it timed out: the DMP may hold the
            # document already. Ask before publishing: never publish twice.
            entry = _already_in_dmp(client, professional, patient, submission.unique_id)
            if entry is not None:
                _mark_sent(submission, entry, now)
                return "déjà versé"
        _update(submission, status=SubmissionStatus.SENDING, attempts=submission.attempts + 1)
        receipt = client.publish(professional, patient, document, cda, replaces=replaces)
    except Exception as error:
        known = _dmp_error(error)
        if known is None:
            raise
        message, retryable = known
        if retryable:
            delay = BACKOFF_SECONDS * 2 ** max(submission.attempts - 1, 0)
            _update(
                submission,
                status=SubmissionStatus.FAILED,
                last_error=message[:500],
                next_attempt_at=now + dt.timedelta(seconds=delay),
            )
            raise DmpRetry(message) from error
        _update(
            submission,
            status=SubmissionStatus.REFUSED,
            reason=message[:500],
            last_error=message[:500],
            next_attempt_at=None,
        )
        return "refusé"
    _mark_sent(submission, receipt.entry_uuid, now)
    return "versé"


def _latest_sent(share: DmpShare) -> DmpSubmission | None:
    return (
        share.submissions.filter(status=SubmissionStatus.SENT).order_by("-version_number").first()
    )


def _share_action(share_id: int, *, status_field: str, error_field: str, call) -> str:
    """Run a metadata action (visibility, removal) on the latest version in the DMP."""
    share = DmpShare.objects.select_related("document__person").filter(pk=share_id).first()
    if share is None or getattr(share, status_field) != ActionStatus.PENDING:
        return "rien à faire"
    latest = _latest_sent(share)
    if latest is None:
        DmpShare.objects.filter(pk=share.pk).update(**{status_field: ActionStatus.DONE})
        return "rien à faire"
    professional = mapping.professional_from_snapshot(
        share.acting_professional or latest.professional
    )
    try:
        patient = mapping.patient_identity(share.person)
        call(professional, patient, latest, share)
    except mapping.MappingError as error:
        outcome = {status_field: ActionStatus.FAILED, error_field: error.message[:500]}
    except Exception as error:
        known = _dmp_error(error)
        if known is None:
            raise
        message, retryable = known
        DmpShare.objects.filter(pk=share.pk).update(
            **{status_field: ActionStatus.PENDING if retryable else ActionStatus.FAILED},
            **{error_field: message[:500]},
        )
        if retryable:
            raise DmpRetry(message) from error
        return "refusé"
    else:
        outcome = {status_field: ActionStatus.DONE, error_field: ""}
    with transaction.atomic():
        before = snapshot(share)
        for name, value in outcome.items():
            setattr(share, name, value)
        share.save(update_fields=list(outcome))
        record_change(
            ROBOT,
            f"dmp.share.{status_field}",
            share,
            before,
            person_ids=[share.person_id],
            organisation_id=share.document.person.organisation_id,
            facility_id=share.facility_id,
        )
    return "appliqué" if outcome[status_field] == ActionStatus.DONE else "échec"


def apply_visibility(share_id: int, *, client: Any) -> str:
    """Send the share's visibility flags to the DMP (ITI-57 metadata update)."""

    def call(professional, patient, latest, share):
        entry = client.get_document(professional, patient, latest.unique_id)
        if entry is not None:
            client.update_visibility(professional, patient, entry, visibility_of(share))

    return _share_action(
        share_id, status_field="visibility_status", error_field="visibility_error", call=call
    )


def remove(share_id: int, *, client: Any) -> str:
    """Delete the share's document from the DMP (ITI-57 status Deleted)."""

    def call(professional, patient, latest, share):
        entry = client.get_document(professional, patient, latest.unique_id)
        if entry is not None:
            client.delete(professional, patient, entry)

    return _share_action(
        share_id, status_field="removal_status", error_field="removal_error", call=call
    )
