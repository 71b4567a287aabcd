"""Login, lockout, second factor and account administration: every write goes through here."""

from __future__ import annotations

import datetime as dt
import hashlib
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

from . import totp
from .access import grants_of
from .middleware import LAST_SEEN_KEY
from .models import LoginFailure, User

PENDING_KEY = "auth_pending"


def _account_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def address_is_throttled(request: HttpRequest) -> bool:
    """Too many failures from this address in the lockout window (whatever the account)."""
    since = timezone.now() - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    address = client_address(request)
    failures = LoginFailure.objects.filter(address=address, at__gte=since).count()
    return failures >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS


def account_locked_until(email: str) -> dt.datetime | None:
    user = User.objects.filter(email__iexact=email.strip()).only("locked_until").first()
    if user and user.locked_until and user.locked_until > timezone.now():
        return user.locked_until
    return None


@transaction.atomic
def register_failure(request: HttpRequest, email: str, step: str = "password") -> None:
    """Count a failed attempt; lock the account after LOGIN_MAX_FAILURES in a row."""
    LoginFailure.objects.create(address=client_address(request), account_hash=_account_hash(email))
    user = User.objects.select_for_update().filter(email__iexact=email.strip()).first()
    details: dict[str, Any] = {"step": step}
    if user is not None:
        user.failed_logins += 1
        if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
            user.locked_until = timezone.now() + dt.timedelta(
                seconds=settings.LOGIN_LOCKOUT_SECONDS
            )
            user.failed_logins = 0
            details["locked"] = True
        user.save(update_fields=["failed_logins", "locked_until"])
    actor = Actor(user=None, address=client_address(request), label=user.email if user else "")
    record(actor, EventKind.SECURITY, "auth.failure", details=details)


def needs_second_factor(user: User) -> bool:
    return user.has_totp or any(g.requires_totp for g in grants_of(user))


def start_pending_login(request: HttpRequest, user: User, method: str) -> None:
    """First factor passed: remember who is logging in until the second factor is checked."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user_id": user.pk, "method": method}


def pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None
    return User.objects.filter(pk=pending["user_id"], is_active=True).first()


def finish_login(request: HttpRequest, user: User, method: str) -> None:
    """Open the session once every required factor passed (password, TOTP, later PSC)."""
    request.session.pop(PENDING_KEY, None)
    login(request, user, backend="opendui.accounts.backends.EmailBackend")
    request.session[LAST_SEEN_KEY] = time.time()
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
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


def confirm_totp_enrolment(actor: Actor, user: User, secret: str, code: str) -> bool:
    counter = totp.matching_counter(secret, code, 0)
    if counter is None:
        return False
    with transaction.atomic():
        user.totp_secret = secret
        user.totp_confirmed_at = timezone.now()
        user.totp_last_counter = counter
        user.save(update_fields=["totp_secret", "totp_confirmed_at", "totp_last_counter"])
        record(actor, EventKind.SECURITY, "auth.totp_enrolled", obj=user)
    return True
