"""Login, lockout, second factor and account administration: every write goes through here."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from opendui.audit.models import EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor, client_address

from . import lockout, totp
from .access import grants_of
from .middleware import LAST_SEEN_KEY
from .models import User
from .psc_only import PscOnlyAccount, is_psc_only

PENDING_KEY = "auth_pending"
# The second step of a login must follow the first within this many seconds.
PENDING_MAX_SECONDS = 10 * 60


class EnrolmentRefused(Exception):
    """A second factor was not (re)enrolled; `field` is the form field the message is for."""

    def __init__(self, message: str, field: str = "code") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def login_refusal(request: HttpRequest, email: str) -> str | None:
    """Why a login attempt with `email` is refused before any password check, or None."""
    return lockout.refusal(email, client_address(request))


def register_failure(request: HttpRequest, email: str, step: str = "password") -> None:
    """Count a failed attempt (password or second factor) in the throttles; when it locks the
    e-mail everywhere and the account exists, record it and notify the administrators.

    The same statements run whether or not `email` is an account's (only the rare
    account-wide lock writes more), so the time taken tells nothing either.
    """
    address = client_address(request)
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email.strip()).only("pk", "email").first()
        outcome = lockout.register_failure(email, address)
        details: dict[str, Any] = {"step": step}
        if outcome.pair_locked_until is not None:
            details["locked"] = "pair"
        if outcome.account_locked_until is not None:
            details["locked"] = "account"
        actor = Actor(user=None, address=address, label=user.email if user else "")
        record(actor, EventKind.SECURITY, "auth.failure", details=details)
        if outcome.account_locked_until is not None and user is not None:
            _lock_account(actor, user, outcome)


def _lock_account(actor: Actor, user: User, outcome: lockout.FailureOutcome) -> None:
    User.objects.filter(pk=user.pk).update(locked_until=outcome.account_locked_until)
    record(
        actor,
        EventKind.SECURITY,
        "auth.account_locked",
        obj=user,
        details={
            "failures": outcome.account_failures,
            "until": outcome.account_locked_until.isoformat(),
        },
    )
    from .tasks import notify_account_locked

    notify_account_locked.enqueue(user.pk)


def refuse_password_login(request: HttpRequest, user: User) -> None:
    """Record a password login refused to a PSC-only account (accounts.psc_only)."""
    record(
        Actor(user=None, address=client_address(request), label=user.email),
        EventKind.SECURITY,
        "auth.password_refused_psc_only",
        obj=user,
    )


def needs_second_factor(user: User) -> bool:
    return (
        user.has_totp
        or user.totp_enrolment_required
        or any(g.requires_totp for g in grants_of(user))
    )


def _refuse_psc_only(user: User, method: str) -> None:
    """The last gate before a session opens: an external professional's account opens
    through Pro Santé Connect only, whatever view asked (accounts.psc_only)."""
    if method != "psc" and is_psc_only(user):
        raise PscOnlyAccount(user.pk)


def start_pending_login(request: HttpRequest, user: User, method: str) -> None:
    """First factor passed: remember who is logging in until the second factor is checked."""
    _refuse_psc_only(user, method)
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user_id": user.pk, "method": method, "at": time.time()}


def pending_user(request: HttpRequest) -> User | None:
    """Who passed the first factor in this session, for PENDING_MAX_SECONDS at most."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    if time.time() - pending.get("at", 0) > PENDING_MAX_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return User.objects.filter(pk=pending["user_id"], is_active=True).first()


def finish_login(request: HttpRequest, user: User, method: str) -> None:
    """Open the session once every required factor passed (password, TOTP, later PSC)."""
    _refuse_psc_only(user, method)
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend="opendui.accounts.backends.EmailBackend")
    request.session[LAST_SEEN_KEY] = time.time()
    lockout.clear_pair(user.email, client_address(request))
    record(
        Actor.from_request(request), EventKind.SECURITY, "auth.login", details={"method": method}
    )


def record_logout(request: HttpRequest, reason: str = "") -> None:
    record(
        Actor.from_request(request), EventKind.SECURITY, "auth.logout", details={"reason": reason}
    )


def verify_second_factor(user: User, code: str) -> bool:
    """Check a TOTP code and consume its time step so it cannot be used twice."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        counter = totp.matching_counter(locked.totp_secret, code, locked.totp_last_counter)
        if counter is None:
            return False
        locked.totp_last_counter = counter
        locked.save(update_fields=["totp_last_counter"])
    return True


def confirm_totp_enrolment(
    actor: Actor, user: User, secret: str, code: str, current_code: str | None = None
) -> None:
    """Enrol `secret` once `code` proves the user's application holds it.

    A user who already has a second factor replaces it only with a valid `current_code`
    of the one they have: knowing the password is never enough to take it over (during a
    login, enrolment is only for accounts without one). Raises EnrolmentRefused.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        replaced = locked.has_totp
        if replaced:
            current = totp.matching_counter(
                locked.totp_secret, current_code or "", locked.totp_last_counter
            )
            if current is None:
                raise EnrolmentRefused(
                    "Code actuel incorrect ou déjà utilisé : saisissez le code que votre "
                    "application affiche pour votre second facteur actuel.",
                    field="current_code",
                )
        counter = totp.matching_counter(secret, code, 0)
        if counter is None:
            raise EnrolmentRefused(
                "Code incorrect : vérifiez l'heure de votre téléphone et réessayez."
            )
        locked.totp_secret = secret
        locked.totp_confirmed_at = timezone.now()
        locked.totp_last_counter = counter
        locked.totp_enrolment_required = False
        locked.save(
            update_fields=[
                "totp_secret",
                "totp_confirmed_at",
                "totp_last_counter",
                "totp_enrolment_required",
            ]
        )
        record(
            actor,
            EventKind.SECURITY,
            "auth.totp_replaced" if replaced else "auth.totp_enrolled",
            obj=locked,
        )
    user.totp_secret, user.totp_confirmed_at = locked.totp_secret, locked.totp_confirmed_at
    user.totp_last_counter, user.totp_enrolment_required = counter, False


def password_changed(actor: Actor, user: User, how: str) -> None:
    """The user chose a new password (change page or reset link): nothing forces a change
    any more; audited."""
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    user.must_change_password = False
    record(actor, EventKind.SECURITY, "auth.password_changed", obj=user, details={"how": how})


#: The period over which the reset requests are counted (password_reset_allowed).
RESET_REQUESTS_WINDOW = dt.timedelta(hours=1)


def prune_reset_requests(now: dt.datetime | None = None) -> int:
    """Delete the reset requests older than the window the throttles count (nightly)."""
    from .models import PasswordResetRequest

    oldest = (now or timezone.now()) - RESET_REQUESTS_WINDOW
    deleted, _ = PasswordResetRequest.objects.filter(at__lt=oldest).delete()
    return deleted


def password_reset_allowed(request: HttpRequest, email: str) -> bool:
    """Record a reset request and say whether a mail may be sent: at most
    PASSWORD_RESET_MAX_PER_ADDRESS an hour from one address and PASSWORD_RESET_MAX_PER_EMAIL
    for one e-mail. The page answers the same either way (and whether the account exists)."""
    from .models import PasswordResetRequest

    address = client_address(request)
    key = lockout.account_hash(email)
    since = timezone.now() - RESET_REQUESTS_WINDOW
    with transaction.atomic():
        recent = PasswordResetRequest.objects.filter(at__gte=since)
        allowed = (
            recent.filter(address=address).count() < settings.PASSWORD_RESET_MAX_PER_ADDRESS
            and recent.filter(account_hash=key).count() < settings.PASSWORD_RESET_MAX_PER_EMAIL
        )
        PasswordResetRequest.objects.create(address=address, account_hash=key)
        user = User.objects.filter(email__iexact=email.strip()).only("pk", "email").first()
        record(
            Actor(user=None, address=address, label=user.email if user else ""),
            EventKind.SECURITY,
            "auth.password_reset_requested",
            obj=user,
            details={"throttled": not allowed},
        )
    return allowed
