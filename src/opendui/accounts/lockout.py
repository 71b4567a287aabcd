"""Login throttles: when a login is refused, the same way for every e-mail.

Three counters, all fed by `LoginFailure` rows (a hash of the typed e-mail and the
client address, written for unknown e-mails exactly as for accounts):

- per (e-mail, address): after LOGIN_MAX_FAILURES failures, growing delays
  (throttle_rules.delay_after) — a guesser from one place cannot lock the owner out
  elsewhere;
- per e-mail from every address: LOGIN_ACCOUNT_MAX_FAILURES failures within
  LOGIN_LOCKOUT_MAX_SECONDS lock the e-mail everywhere for that long (a distributed
  attack); for an existing account the administrators are notified;
- per address whatever the e-mails: LOGIN_MAX_FAILURES_PER_ADDRESS failures within
  LOGIN_LOCKOUT_SECONDS (one machine trying many accounts).

Checks read `LoginLock` rows keyed by the e-mail's hash, never the account: the answer,
its wording and the queries behind it are the same whether the account exists or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import LockScope, LoginFailure, LoginLock
from .throttle_rules import delay_after


def account_hash(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()


def address_message() -> str:
    return _("Trop de tentatives depuis ce poste. Réessayez dans quelques minutes.")


def email_message() -> str:
    return _(
        "Trop d'échecs de connexion avec cette adresse e-mail : la connexion est suspendue "
        "pour un temps. Réessayez plus tard ou contactez votre administrateur."
    )


def refusal(email: str, address: str | None, now: dt.datetime | None = None) -> str | None:
    """The French message when a login with `email` from `address` is refused now, else None."""
    now = now or timezone.now()
    since = now - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    per_address = LoginFailure.objects.filter(address=address, at__gte=since).count()
    if per_address >= settings.LOGIN_MAX_FAILURES_PER_ADDRESS:
        return address_message()
    locked = LoginLock.objects.filter(
        Q(scope=LockScope.ACCOUNT) | Q(scope=LockScope.PAIR, address=address),
        account_hash=account_hash(email),
        until__gt=now,
    ).exists()
    return email_message() if locked else None


@dataclass(frozen=True)
class FailureOutcome:
    pair_locked_until: dt.datetime | None
    # Set when this failure locked the e-mail everywhere (not when it already was).
    account_locked_until: dt.datetime | None
    account_failures: int


@transaction.atomic
def register_failure(email: str, address: str | None) -> FailureOutcome:
    """Count a failed attempt and lock what its counters call for."""
    now = timezone.now()
    key = account_hash(email)
    LoginFailure.objects.create(address=address, account_hash=key, at=now)
    window = dt.timedelta(seconds=settings.LOGIN_LOCKOUT_MAX_SECONDS)
    recent = LoginFailure.objects.filter(account_hash=key, at__gte=now - window)
    pair_failures = recent.filter(address=address).count()
    pair_until = None
    delay = delay_after(
        pair_failures,
        settings.LOGIN_MAX_FAILURES,
        settings.LOGIN_LOCKOUT_SECONDS,
        settings.LOGIN_LOCKOUT_MAX_SECONDS,
    )
    if delay is not None:
        pair_until = now + dt.timedelta(seconds=delay)
        LoginLock.objects.create(
            account_hash=key,
            scope=LockScope.PAIR,
            address=address,
            until=pair_until,
            failures=pair_failures,
        )
    account_failures = recent.count()
    account_until = None
    if account_failures >= settings.LOGIN_ACCOUNT_MAX_FAILURES:
        already = LoginLock.objects.filter(
            account_hash=key, scope=LockScope.ACCOUNT, until__gt=now
        ).exists()
        if not already:
            account_until = now + window
            LoginLock.objects.create(
                account_hash=key,
                scope=LockScope.ACCOUNT,
                until=account_until,
                failures=account_failures,
            )
    return FailureOutcome(pair_until, account_until, account_failures)


def clear_pair(email: str, address: str | None) -> None:
    """A successful login: this address's failures with this e-mail are forgotten
    (the failures from other addresses still count towards the account-wide lock)."""
    LoginFailure.objects.filter(account_hash=account_hash(email), address=address).delete()


def clear_account(email: str) -> None:
    """An administrator unlocked the account: every lock and failure of its e-mail goes."""
    key = account_hash(email)
    LoginFailure.objects.filter(account_hash=key).delete()
    LoginLock.objects.filter(account_hash=key).delete()


def is_locked(email: str, now: dt.datetime | None = None) -> bool:
    """Any lock on this e-mail (from one address or everywhere), for the administrators."""
    return LoginLock.objects.filter(
        account_hash=account_hash(email), until__gt=now or timezone.now()
    ).exists()


def prune(now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the rows no counter reads any more (the nightly schedule, jobs/schedule.py):
    failures older than the longest window (LOGIN_LOCKOUT_MAX_SECONDS) and locks past
    their end. Without it the tables grow with every guessing attempt, for ever."""
    now = now or timezone.now()
    oldest = now - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_MAX_SECONDS)
    failures, _ = LoginFailure.objects.filter(at__lt=oldest).delete()
    locks, _ = LoginLock.objects.filter(until__lte=now).delete()
    return {"failures": failures, "locks": locks}
