"""The DMP block of each document in the documents tab (documents.hooks registry).

`document_status(request, person, documents)` is registered from apps.py. For the page's
documents it reads their submissions in **one query** (every share has at least one
submission: sharing queues the current version), and the person's visibility options in
one more only when the reader may send something. It returns, per document, the French
status (« non partagé », « à envoyer », « envoyé au DMP le … », « refusé : motif »,
« échec, nouvel essai prévu le … », « bloqué : motif », « retiré du DMP ») and the actions
the reader may take (habilitations.may_send: the write right on the document's category):
verser, verser la nouvelle version, visibilité, retirer, réessayer. The forms post to
views.py; the creation form (verser) carries a one-time token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from opendui.accounts.access import check
from opendui.core.forms import issue_form_token
from opendui.documents.hooks import StatusBlock

from . import rules
from .models import ActionStatus, DmpSubmission, SubmissionStatus

TEMPLATE = "dmp/_document_status.html"

#: Label of each visibility flag as an action (the forms) and as a state (the status line).
VISIBILITY_ACTIONS = {
    rules.HIDDEN_FROM_PROFESSIONALS: "Masquer aux professionnels",
    rules.INVISIBLE_TO_PATIENT: "Rendre invisible au patient",
    rules.INVISIBLE_TO_LEGAL_REPRESENTATIVES: "Rendre invisible aux représentants légaux",
}
VISIBILITY_STATES = {
    rules.HIDDEN_FROM_PROFESSIONALS: "masqué aux professionnels",
    rules.INVISIBLE_TO_PATIENT: "invisible pour le patient",
    rules.INVISIBLE_TO_LEGAL_REPRESENTATIVES: "invisible pour les représentants légaux",
}


@dataclass(frozen=True)
class Option:
    name: str
    label: str
    checked: bool


def _moment(value) -> str:
    return date_format(timezone.localtime(value), "d/m/Y à H:i") if value else ""


def status_text(submission: DmpSubmission | None) -> str:
    """The French status of a document's latest submission (None: never shared)."""
    if submission is None:
        return "Non partagé au DMP"
    status = submission.status
    if status == SubmissionStatus.SENT:
        return f"Envoyé au DMP le {_moment(submission.sent_at)}"
    if status == SubmissionStatus.TO_SEND:
        return "À envoyer au DMP"
    if status == SubmissionStatus.SENDING:
        return "Envoi au DMP en cours"
    if status == SubmissionStatus.REFUSED:
        return f"Refusé par le DMP : {submission.reason}"
    if status == SubmissionStatus.FAILED:
        when = _moment(submission.next_attempt_at)
        planned = f"nouvel essai prévu le {when}" if when else "nouvel essai prévu"
        return f"Échec de l'envoi au DMP, {planned} : {submission.last_error}"
    return f"Envoi au DMP bloqué : {submission.reason}"


def share_notes(share) -> list[str]:
    """Visibility and removal facts of a share, in French."""
    notes = []
    if share.is_stopped:
        notes.append(f"Retiré du DMP le {_moment(share.stopped_at)} : {share.stop_reason}")
        if share.removal_status == ActionStatus.PENDING:
            notes.append("Suppression dans le DMP en attente.")
        elif share.removal_status == ActionStatus.FAILED:
            notes.append(f"Échec de la suppression dans le DMP : {share.removal_error}")
        return notes
    flags = [label for name, label in VISIBILITY_STATES.items() if getattr(share, name)]
    if flags:
        notes.append("Dans le DMP : " + ", ".join(flags) + ".")
    if share.visibility_status == ActionStatus.PENDING:
        notes.append("Mise à jour de la visibilité en attente.")
    elif share.visibility_status == ActionStatus.FAILED:
        notes.append(f"Échec de la mise à jour de la visibilité : {share.visibility_error}")
    return notes


def _latest_by_document(document_ids: list[int]) -> dict[int, DmpSubmission]:
    rows = (
        DmpSubmission.objects.filter(share__document_id__in=document_ids)
        .select_related("share")
        .order_by("share_id", "-version_number")
    )
    latest: dict[int, DmpSubmission] = {}
    for submission in rows:
        latest.setdefault(submission.share.document_id, submission)
    return latest


def document_status(request: Any, person: Any, documents: list) -> dict[int, StatusBlock]:
    """documents.hooks provider: the DMP block of each document of the page."""
    latest = _latest_by_document([d.pk for d in documents])
    may_write: dict[str, bool] = {}
    offered: frozenset[str] | None = None
    qualified = bool(person.transmittable_ins)
    blocks: dict[int, StatusBlock] = {}
    for document in documents:
        submission = latest.get(document.pk)
        category = document.data_category
        if category not in may_write:
            may_write[category] = bool(
                check(request.user, f"person.edit_{category}", person=person)
            )
        can_send = may_write[category] and document.is_active
        share = submission.share if submission is not None else None
        context: dict[str, Any] = {
            "status": status_text(submission),
            "notes": share_notes(share) if share is not None else [],
            "share": share,
            "submission": submission,
            "can_send": can_send,
        }
        if submission is None and not qualified:
            context["status"] = "Non partagé au DMP (identité non qualifiée)"
        if can_send and ((submission is None and qualified) or (share and not share.is_stopped)):
            if offered is None:
                from .mapping import visibility_context

                offered = rules.visibility_options(**visibility_context(person))
            current = share or None
            context["options"] = [
                Option(name, label, bool(current and getattr(current, name)))
                for name, label in VISIBILITY_ACTIONS.items()
                if name in offered
            ]
            if submission is None:
                context["form_token"] = issue_form_token(request)
            else:
                context["new_version"] = (
                    document.current_id is not None
                    and document.current_id != submission.document_version_id
                )
                context["retry"] = submission.status in (
                    SubmissionStatus.FAILED,
                    SubmissionStatus.BLOCKED,
                )
        blocks[document.pk] = StatusBlock("dmp", TEMPLATE, context)
    return blocks
