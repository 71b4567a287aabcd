"""Notices to an account's owner when someone else acts on how the account logs in.

An administrator may reset a second factor, unlock or reopen an account, set a temporary
password (accounts without sensitive access only) or ask for a new login e-mail (approved
by a second person for accounts with sensitive access). None of these shows the owner's
password to anyone, but together with a mistake or an accomplice they could hand the
account over: the owner hears of each at once, by mail, and can raise the alarm. The
notice of a login e-mail change goes to the address being replaced, both when it is
asked for and when it takes effect, so the owner is told where they still read mail.

Mails are sent by a background job (accounts.tasks.notify_account_owner) carrying ids
only; the job records each notice sent in the audit trail ("account.owner_notified").
"""

from __future__ import annotations

from typing import Any

# What happened, as the job and the mail template name it.
NOTICES = frozenset(
    {
        "login_email_requested",  # to the current address, when the change is asked for
        "login_email_changed",  # to the former address, when the approved change applies
        "totp_reset",
        "password_reset",  # temporary password set by an administrator
        "unlocked",
        "reactivated",
    }
)
# Notices sent to the address recorded on the grant request, not the account's current one.
TO_FORMER_ADDRESS = frozenset({"login_email_requested", "login_email_changed"})


def notify_owner(user: Any, notice: str, *, by: Any = None, request: Any = None) -> None:
    """Queue the notice (in the caller's transaction: it is sent only if the action
    commits). `by` is who acted, `request` the grant request it belongs to."""
    from .tasks import notify_account_owner

    if notice not in NOTICES:
        raise ValueError(notice)
    if notice in TO_FORMER_ADDRESS and request is None:
        raise ValueError(f"{notice} needs its grant request")
    notify_account_owner.enqueue(
        user.pk,
        notice,
        by.pk if by is not None else None,
        request.pk if request is not None else None,
    )
