"""Background jobs of the accounts app: security e-mails (see accounts.mail) and the
expiry of grant requests (accounts.grants)."""

from __future__ import annotations

import smtplib
from typing import Any

from django.tasks import task

from opendui.jobs.tasks import JobError

from . import mail
from .grants import expire_overdue
from .models import User

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
    return {"sent": _sending(mail.send_password_link, user, origin, reason)}


@task(max_attempts=5, retry_on=(MailUnreachable,))
def notify_account_locked(user_id: int) -> dict[str, Any]:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return {"sent": 0}
    return {"sent": _sending(mail.send_account_locked_notice, user)}


@task()
def expire_grant_requests() -> dict[str, Any]:
    """Store as expired, with their audit rows, the grant requests left without a decision
    past their date (the nightly schedule, jobs/schedule.py). Their assignments are
    withdrawn; nothing they asked for ever took effect."""
    return {"expirees": expire_overdue()}
