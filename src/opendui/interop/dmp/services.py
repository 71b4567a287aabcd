"""Every write of the DMP feed: share, new version, visibility, removal, retry.

Each service checks the actor's right (habilitations.may_send: the write right on the
document's data category for its person), applies rules.py (a refusal is a French
ValidationError and nothing is written), writes its rows and audit events in one
transaction and enqueues the job that talks to the DMP (tasks.py): the user never waits
on the DMP. The job of a submission is keyed by its id, so a double click or a retry
while it runs joins the same job.

`queue_generated_version` is the path of generated documents (the PP, the AGGIR grid):
called by the store's job through documents.hooks, it never raises on a rule; it records
the version as *blocked* with the reason, shown on the record.

Without a DMP (`config.is_configured()` false: no OPENDUI_DMP_ENDPOINT) the feed is off:
every user service refuses with `config.NOT_CONFIGURED` and writes nothing, and the
generated documents' hook queues nothing (no row, no job).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from opendui.accounts.national_identity import ProfessionalIdentity
from opendui.audit.services import record_change, snapshot
from opendui.core.actor import Actor
from opendui.core.services import CURRENT, ExpectedVersion, check_version
from opendui.documents.models import Document, DocumentVersion

from . import config, mapping, rules
from .habilitations import may_send
from .models import (
    ActionStatus,
    DmpShare,
    DmpSubmission,
    SubmissionStatus,
    new_oid,
)

REFUSED = "Vous n'avez pas le droit de verser ce document au DMP pour cette personne."
ALREADY_SHARED = "Ce document est déjà partagé au DMP : ses nouvelles versions y sont versées."
STOPPED = "Ce document a été retiré du DMP : il n'y est plus versé."
ROBOT = "dmp.alimentation"

#: Statuses a user may send again (a refusal of the DMP needs a new version instead).
RETRYABLE = (SubmissionStatus.FAILED, SubmissionStatus.BLOCKED)
#: Statuses still waiting for the DMP.
PENDING = (SubmissionStatus.TO_SEND, SubmissionStatus.SENDING, SubmissionStatus.FAILED)


def _require_sender(actor: Actor, document: Document) -> None:
    """The actor may send this document, and the installation has a DMP to send it to."""
    if actor.user is None or not may_send(actor.user, document):
        raise PermissionDenied(REFUSED)
    if not config.is_configured():
        raise ValidationError(config.NOT_CONFIGURED, code="dmp_not_configured")


def _flags(visibility: Mapping[str, bool] | None) -> dict[str, bool]:
    visibility = dict(visibility or {})
    return {
        rules.HIDDEN_FROM_PROFESSIONALS: bool(visibility.get(rules.HIDDEN_FROM_PROFESSIONALS)),
        rules.INVISIBLE_TO_PATIENT: bool(visibility.get(rules.INVISIBLE_TO_PATIENT)),
        rules.INVISIBLE_TO_LEGAL_REPRESENTATIVES: bool(
            visibility.get(rules.INVISIBLE_TO_LEGAL_REPRESENTATIVES)
        ),
        **{k: bool(v) for k, v in visibility.items() if k not in _FLAG_NAMES},
    }


_FLAG_NAMES = (
    rules.HIDDEN_FROM_PROFESSIONALS,
    rules.INVISIBLE_TO_PATIENT,
    rules.INVISIBLE_TO_LEGAL_REPRESENTATIVES,
)


def _check_visibility(document: Document, flags: dict[str, bool]) -> None:
    problem = rules.visibility_refusal(flags, **mapping.visibility_context(document.person))
    if problem:
        raise ValidationError({"visibility": problem})


def _audit(actor: Actor, action: str, row, before, document: Document) -> None:
    record_change(
        actor,
        action,
        row,
        before,
        person_ids=[document.person_id],
        organisation_id=document.person.organisation_id,
        facility_id=document.facility_id,
    )


def _enqueue_send(submission: DmpSubmission) -> None:
    from .tasks import send_submission

    send_submission.using(idempotency_key=f"dmp.submission:{submission.pk}").enqueue(submission.pk)


def _new_submission(
    actor: Actor,
    share: DmpShare,
    version: DocumentVersion,
    *,
    professional: ProfessionalIdentity,
    requested_by,
    blocked_reason: str = "",
) -> DmpSubmission:
    """Write one submission (and its audit event), enqueue its job unless blocked."""
    previous = share.submissions.order_by("-version_number").first()
    submission = DmpSubmission.objects.create(
        share=share,
        document_version=version,
        person_id=share.person_id,
        facility_id=share.facility_id,
        unique_id=new_oid(),
        set_id=share.set_id,
        version_number=(previous.version_number + 1) if previous else 1,
        status=SubmissionStatus.BLOCKED if blocked_reason else SubmissionStatus.TO_SEND,
        reason=blocked_reason[:500],
        replaces=previous,
        professional=mapping.professional_snapshot(professional),
        requested_by=requested_by,
    )
    _audit(actor, "dmp.submission.create", submission, None, share.document)
    if not blocked_reason:
        _enqueue_send(submission)
    return submission


def _refusal(document: Document, version: DocumentVersion, professional: ProfessionalIdentity):
    return rules.refusal(
        mapping.candidate_for(document, version, professional_idnat=professional.idnat)
    )


def share_document(
    actor: Actor,
    document: Document,
    *,
    visibility: Mapping[str, bool] | None = None,
    professional: ProfessionalIdentity,
) -> DmpShare:
    """Share `document` to the person's DMP: its current version is queued for sending.

    PermissionDenied when the actor may not write its data category for that person;
    ValidationError (French) when a rule refuses (identity, opposition, type, FINESS,
    withdrawn, content, no national identifier), when a visibility flag is not offered
    for this person, or when it is already shared.
    """
    _require_sender(actor, document)
    flags = _flags(visibility)
    _check_visibility(document, flags)
    with transaction.atomic():
        locked = (
            Document.objects.select_for_update(of=("self",))
            .select_related("person", "facility", "current")
            .get(pk=document.pk)
        )
        if DmpShare.objects.filter(document=locked).exists():
            raise ValidationError(ALREADY_SHARED)
        version = locked.current
        if version is None:
            raise ValidationError("Ce document n'a pas de contenu à verser.")
        problem = _refusal(locked, version, professional)
        if problem:
            raise ValidationError(problem)
        share = DmpShare.objects.create(
            document=locked,
            person_id=locked.person_id,
            facility_id=locked.facility_id,
            set_id=new_oid(),
            decided_by=actor.user,
            decided_at=timezone.now(),
            **flags,
        )
        _audit(actor, "dmp.share.create", share, None, locked)
        _new_submission(actor, share, version, professional=professional, requested_by=actor.user)
    return share


def queue_version(
    actor: Actor,
    document: Document,
    *,
    professional: ProfessionalIdentity,
    version: DocumentVersion | None = None,
    expected_version: ExpectedVersion = CURRENT,
) -> DmpSubmission:
    """Queue a new version (the current one by default) of a shared document: it replaces
    the previous one in the DMP (RPLC). Same refusals as `share_document`; a version
    already queued is refused (it is never sent twice). `expected_version`: the share's
    version the user saw (ConcurrentEditError otherwise), checked under the share's lock."""
    _require_sender(actor, document)
    with transaction.atomic():
        share = _locked_share(document)
        check_version(share.version, expected_version)
        version = version or share.document.current
        if version is None or version.document_id != document.pk:
            raise ValidationError("Cette version n'est pas celle de ce document.")
        if DmpSubmission.objects.filter(document_version=version).exists():
            raise ValidationError("Cette version est déjà versée ou en cours d'envoi au DMP.")
        problem = _refusal(share.document, version, professional)
        if problem:
            raise ValidationError(problem)
        return _new_submission(
            actor, share, version, professional=professional, requested_by=actor.user
        )


def _locked_share(document: Document) -> DmpShare:
    share = (
        DmpShare.objects.select_for_update(of=("self",))
        .select_related("document__person", "document__facility", "document__current")
        .filter(document=document)
        .first()
    )
    if share is None:
        raise ValidationError("Ce document n'est pas partagé au DMP.")
    if share.is_stopped:
        raise ValidationError(STOPPED)
    return share


def queue_generated_version(
    document: Document, version: DocumentVersion, *, acting_user: Any
) -> DmpSubmission | None:
    """A generated document's version just stored (documents.hooks): share it (first
    version) or queue it as a replacement, acting as `acting_user` (its validator).

    Idempotent (one submission per version); a rule that refuses records the version as
    blocked with its reason rather than failing the store job. Nothing when the document
    was removed from the DMP by a user, nor when no DMP is configured.
    """
    from opendui.accounts.national_identity import acting_professional

    if not config.is_configured():  # no DMP: the feed is off, nothing is queued
        return None
    if DmpSubmission.objects.filter(document_version=version).exists():
        return None
    actor = Actor.system(ROBOT)
    professional = acting_professional(acting_user, None, document.facility)
    share = DmpShare.objects.select_for_update().filter(document=document).first()
    if share is not None and share.is_stopped:
        return None
    if share is None:
        share = DmpShare.objects.create(
            document=document,
            person_id=document.person_id,
            facility_id=document.facility_id,
            set_id=new_oid(),
            decided_by=acting_user,
            decided_at=timezone.now(),
        )
        _audit(actor, "dmp.share.create", share, None, document)
    problem = _refusal(document, version, professional) or ""
    return _new_submission(
        actor,
        share,
        version,
        professional=professional,
        requested_by=acting_user,
        blocked_reason=problem,
    )


def change_visibility(
    actor: Actor,
    share: DmpShare,
    *,
    visibility: Mapping[str, bool],
    professional: ProfessionalIdentity,
    expected_version: ExpectedVersion,
) -> DmpShare:
    """Change the DMP visibility flags of a shared document. Versions not yet sent carry
    the new flags; a version already in the DMP gets them through a metadata update job
    (ITI-57)."""
    document = share.document
    _require_sender(actor, document)
    flags = _flags(visibility)
    _check_visibility(document, flags)
    with transaction.atomic():
        locked = _locked_share(document)
        check_version(locked.version, expected_version)
        before = snapshot(locked)
        for name in _FLAG_NAMES:
            setattr(locked, name, flags[name])
        sent = locked.submissions.filter(status=SubmissionStatus.SENT).exists()
        locked.visibility_status = ActionStatus.PENDING if sent else ActionStatus.NONE
        locked.visibility_error = ""
        locked.acting_professional = mapping.professional_snapshot(professional)
        locked.version += 1
        locked.save()
        _audit(actor, "dmp.share.visibility", locked, before, document)
        if sent:
            from .tasks import apply_visibility

            apply_visibility.using(
                idempotency_key=f"dmp.visibility:{locked.pk}:{locked.version}"
            ).enqueue(locked.pk)
    return locked


def remove_from_dmp(
    actor: Actor,
    share: DmpShare,
    *,
    reason: str,
    professional: ProfessionalIdentity,
    expected_version: ExpectedVersion,
) -> DmpShare:
    """Stop feeding the DMP with this document and delete what was sent (ITI-57 job).
    Versions not sent yet are blocked. A reason is required."""
    document = share.document
    _require_sender(actor, document)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Indiquez le motif du retrait du DMP."})
    if len(reason) > 500:
        raise ValidationError({"reason": "Motif trop long (500 caractères au plus)."})
    with transaction.atomic():
        locked = _locked_share(document)
        check_version(locked.version, expected_version)
        before = snapshot(locked)
        locked.stopped_at = timezone.now()
        locked.stopped_by = actor.user
        locked.stop_reason = reason
        sent = locked.submissions.filter(status=SubmissionStatus.SENT).exists()
        locked.removal_status = ActionStatus.PENDING if sent else ActionStatus.DONE
        locked.acting_professional = mapping.professional_snapshot(professional)
        locked.version += 1
        locked.save()
        locked.submissions.filter(
            status__in=[SubmissionStatus.TO_SEND, SubmissionStatus.FAILED]
        ).update(status=SubmissionStatus.BLOCKED, reason="Retiré du DMP avant l'envoi.")
        _audit(actor, "dmp.share.remove", locked, before, document)
        if sent:
            from .tasks import remove_share

            remove_share.using(idempotency_key=f"dmp.remove:{locked.pk}").enqueue(locked.pk)
    return locked


def retry(actor: Actor, submission: DmpSubmission) -> DmpSubmission:
    """Send again a version that failed or was blocked (the rules are checked again by the
    job). A version refused by the DMP is not sent again: a new version is needed."""
    document = submission.share.document
    _require_sender(actor, document)
    with transaction.atomic():
        locked = DmpSubmission.objects.select_for_update().get(pk=submission.pk)
        if locked.status not in RETRYABLE:
            raise ValidationError(
                "Seul un envoi en échec ou bloqué peut être relancé (état actuel : "
                f"{locked.get_status_display()})."
            )
        if DmpShare.objects.filter(pk=locked.share_id, stopped_at__isnull=False).exists():
            raise ValidationError(STOPPED)
        before = snapshot(locked)
        locked.status = SubmissionStatus.TO_SEND
        locked.reason = ""
        locked.next_attempt_at = None
        locked.save(update_fields=["status", "reason", "next_attempt_at"])
        _audit(actor, "dmp.submission.retry", locked, before, document)
        _enqueue_send(locked)
    return locked
