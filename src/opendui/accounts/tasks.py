"""Background jobs of the accounts app: security e-mails (see accounts.mail), notices to
an account's owner (accounts.notices) and the expiry of grant requests (accounts.grants)."""

from __future__ import annotations

import smtplib
from typing import Any

from django.tasks import task

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from opendui.jobs.tasks import JobError

from . import mail
from .grants import expire_overdue
from .models import GrantRequest, User
from .notices import NOTICES

NOTICE_ACTOR = "accounts.notices"

UNREACHABLE = "Le serveur de messagerie n'a pas accepté le message à cette tentative."


class MailUnreachable(JobError):
    """One attempt could not hand the message to the SMTP server (retried)."""


def _sending(send, *args) -> int:
    try:
        return send(*args)
    except (smtplib.SMTPException, OSError) as error:
        raise MailUnreachable(UNREACHABLE) from error


@task(max_attempts=5, retry_on=(MailUnreachable,))
def send_password_link(user_id: int, origin: str, reason: str) -> dict[str, Any]:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return {"sent": 0}
    sent = _sending(mail.send_password_link, user, origin, reason)
    if sent and reason == "admin":  # the link is also the notice of the administrator's reset
        _notice_sent(user, "password_link")
    return {"sent": sent}


def _notice_sent(user: User, notice: str, request_id: int | None = None) -> None:
    details: dict[str, Any] = {"notice": notice}
    if request_id is not None:
        details["grant_request"] = request_id
    record(
        Actor.system(NOTICE_ACTOR),
        EventKind.SECURITY,
        "account.owner_notified",
        obj=user,
        details=details,
    )


@task(max_attempts=5, retry_on=(MailUnreachable,))
def notify_account_owner(
    user_id: int, notice: str, by_id: int | None = None, request_id: int | None = None
) -> dict[str, Any]:
    """Tell an account's owner what an administrator (or an approver) did to how it logs
    in (accounts.notices); recorded in the audit trail once handed to the mail server."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or notice not in NOTICES:
        return {"sent": 0}
    by = User.objects.filter(pk=by_id).first() if by_id is not None else None
    request = (
        GrantRequest.objects.select_related("requested_by", "decided_by")
        .filter(pk=request_id)
        .first()
        if request_id is not None
        else None
    )
    sent = _sending(mail.send_owner_notice, user, notice, by, request)
    if sent:
        _notice_sent(user, notice, request_id)
    return {"sent": sent}


@task(max_attempts=5, retry_on=(MailUnreachable,))
def notify_account_locked(user_id: int) -> dict[str, Any]:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return {"sent": 0}
    return {"sent": _sending(mail.send_account_locked_notice, user)}


@task(max_attempts=5, retry_on=(MailUnreachable,))
def notify_annuaire_mismatch(user_id: int, reason: str) -> dict[str, Any]:
    """Tell the administrators what the Annuaire Santé says against an account
    (accounts.annuaire_recheck): one mail each."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return {"sent": 0}
    return {"sent": _sending(mail.send_annuaire_mismatch_notice, user, reason)}


class AnnuaireUnavailable(JobError):
    """The Annuaire did not answer at this attempt (the job is tried again later)."""


@task(max_attempts=6, retry_on=(AnnuaireUnavailable,), backoff_seconds=600)
def recheck_account_identifiers() -> dict[str, Any]:
    """The nightly re-check of the accounts' national identifiers against the Annuaire
    Santé (accounts.annuaire_recheck). Without a configured Annuaire there is nothing to
    do; when it is down the job is retried, nothing changed by the failed attempt."""
    from dataclasses import asdict

    from opendui.annuaire.client import AnnuaireError
    from opendui.annuaire.config import client_from_settings

    from .annuaire_recheck import recheck_accounts

    try:
        client = client_from_settings()
    except AnnuaireError as error:
        if error.reason == "config":
            return {"skipped": "not configured"}
        raise
    try:
        return asdict(recheck_accounts(client))
    except AnnuaireError as error:
        raise AnnuaireUnavailable(str(error)) from error


@task()
def expire_grant_requests() -> dict[str, Any]:
    """Store as expired, with their audit rows, the grant requests left without a decision
    past their date (the nightly schedule, jobs/schedule.py). Their assignments are
    withdrawn; nothing they asked for ever took effect."""
    return {"expirees": expire_overdue()}


@task()
def prune_login_throttles() -> dict[str, Any]:
    """Delete the login failures, locks and reset requests no throttle reads any more
    (the nightly schedule, jobs/schedule.py)."""
    from . import lockout, services

    return {**lockout.prune(), "reset_requests": services.prune_reset_requests()}
