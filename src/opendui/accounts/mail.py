"""E-mails of account security: password links, lock notices to administrators and
notices to an account's owner (accounts.notices).

Sent by background jobs (accounts.tasks) through the configured mail backend
(OPENDUI_EMAIL_URL, or files in var/mails/ without one): an SMTP server that answers
slowly never holds a login or a reset page. Jobs carry ids only: reset links are made
when the mail is sent, so no usable link is ever stored in the jobs table.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, mailers
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Assignment, GrantRequest, LinkedPersonsAssignment, Role, User
from .notices import NOTICES, TO_FORMER_ADDRESS

# Why a password link is sent: the user asked, or an administrator reset the password.
LINK_REASONS = {"reset", "admin"}


def password_link(user: User, origin: str) -> str:
    """A one-time link to choose a new password (Django's token: it depends on the password
    hash and the last login, so it stops working once used, and after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return origin.rstrip("/") + path


def _message(to: str, template: str, context: dict) -> EmailMessage:
    subject = render_to_string(f"accounts/mail/{template}_subject.txt", context).strip()
    body = render_to_string(f"accounts/mail/{template}.txt", context)
    return EmailMessage(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, [to])


def send_password_link(user: User, origin: str, reason: str) -> int:
    if reason not in LINK_REASONS:
        raise ValueError(reason)
    context = {
        "user": user,
        "link": password_link(user, origin),
        "reason": reason,
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    return _message(user.email, "password_link", context).send()


def administrators_of(user: User) -> list[User]:
    """Active holders of accounts.manage, organisation-wide, in the organisations where `user`
    currently works (any organisation's when the account has no current assignment)."""
    admin_roles = [r.pk for r in Role.objects.all() if "accounts.manage" in r.permissions]
    assignments = Assignment.objects.active_on().filter(
        role_id__in=admin_roles, facility__isnull=True
    )
    organisations = list(
        Assignment.objects.active_on().filter(user=user).values_list("organisation_id", flat=True)
    ) + list(
        # An external professional's organisations: those of their linked-persons access.
        LinkedPersonsAssignment.objects.active_on()
        .filter(user=user)
        .values_list("organisation_id", flat=True)
    )
    if organisations:
        assignments = assignments.filter(organisation_id__in=organisations)
    return list(
        User.objects.filter(is_active=True, pk__in=assignments.values("user_id")).order_by("pk")
    )


def send_account_locked_notice(user: User) -> int:
    """Tell the administrators an account is locked everywhere (one mail each: no one sees
    the other recipients)."""
    context = {
        "user": user,
        "until": timezone.localtime(user.locked_until) if user.locked_until else None,
        "threshold": settings.LOGIN_ACCOUNT_MAX_FAILURES,
        "hours": settings.LOGIN_LOCKOUT_MAX_SECONDS // 3600,
    }
    messages = [
        _message(admin.email, "account_locked", {**context, "admin": admin})
        for admin in administrators_of(user)
    ]
    if not messages:
        return 0
    return mailers.default.send_messages(messages) or 0


def send_annuaire_mismatch_notice(user: User, reason: str) -> int:
    """Tell the administrators the Annuaire Santé contradicts an account (one mail each;
    accounts.annuaire_recheck): the account stays open, they decide."""
    from .annuaire_recheck import PROBLEM_LABELS

    context = {
        "user": user,
        "problem": PROBLEM_LABELS.get(reason, reason),
        "national_id": user.national_id,
    }
    messages = [
        _message(admin.email, "annuaire_mismatch", {**context, "admin": admin})
        for admin in administrators_of(user)
    ]
    if not messages:
        return 0
    return mailers.default.send_messages(messages) or 0


def send_owner_notice(
    user: User, notice: str, by: User | None, request: GrantRequest | None
) -> int:
    """One notice to the account's owner: at the address a login e-mail change replaces
    (recorded on the request), else at the account's current address. Names who acted."""
    if notice not in NOTICES:
        raise ValueError(notice)
    if notice in TO_FORMER_ADDRESS:
        if request is None or not request.old_email:
            return 0
        to = request.old_email
    else:
        to = user.email
    context = {
        "user": user,
        "notice": notice,
        "by": by,
        "request": request,
        "at": timezone.localtime(),
    }
    return _message(to, "owner_notice", context).send()
