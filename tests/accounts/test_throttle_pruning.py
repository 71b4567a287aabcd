"""The throttles' rows are deleted once no counter reads them (nightly job)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opendui.accounts import lockout, services
from opendui.accounts.models import LockScope, LoginFailure, LoginLock, PasswordResetRequest
from opendui.accounts.tasks import prune_login_throttles

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def _failure(age: dt.timedelta) -> LoginFailure:
    return LoginFailure.objects.create(address="192.0.2.1", account_hash="h", at=NOW - age)


def _lock(until: dt.datetime) -> LoginLock:
    return LoginLock.objects.create(
        account_hash="h", scope=LockScope.PAIR, address="192.0.2.1", until=until, failures=5
    )


def test_failures_older_than_the_longest_window_and_ended_locks_go(settings):
    settings.LOGIN_LOCKOUT_MAX_SECONDS = 24 * 3600
    old = _failure(dt.timedelta(hours=24, seconds=1))
    kept = _failure(dt.timedelta(hours=23, minutes=59))
    ended = _lock(NOW - dt.timedelta(seconds=1))
    running = _lock(NOW + dt.timedelta(minutes=5))

    assert lockout.prune(NOW) == {"failures": 1, "locks": 1}
    assert set(LoginFailure.objects.values_list("pk", flat=True)) == {kept.pk}
    assert set(LoginLock.objects.values_list("pk", flat=True)) == {running.pk}
    assert not LoginFailure.objects.filter(pk=old.pk).exists()
    assert not LoginLock.objects.filter(pk=ended.pk).exists()


def test_a_kept_failure_still_counts_towards_the_account_lock(settings):
    """Pruning must not forget what the account-wide counter reads."""
    settings.LOGIN_LOCKOUT_MAX_SECONDS = 24 * 3600
    for _ in range(3):
        _failure(dt.timedelta(hours=20))
    lockout.prune(NOW)
    window = NOW - dt.timedelta(seconds=settings.LOGIN_LOCKOUT_MAX_SECONDS)
    assert LoginFailure.objects.filter(account_hash="h", at__gte=window).count() == 3


def test_reset_requests_past_their_hour_go():
    old = PasswordResetRequest.objects.create(account_hash="h", at=NOW - dt.timedelta(minutes=61))
    kept = PasswordResetRequest.objects.create(account_hash="h", at=NOW - dt.timedelta(minutes=59))
    assert services.prune_reset_requests(NOW) == 1
    assert list(PasswordResetRequest.objects.values_list("pk", flat=True)) == [kept.pk]
    assert old.pk != kept.pk


def test_the_nightly_task_prunes_all_three(settings):
    now = timezone.now()
    LoginFailure.objects.create(account_hash="h", at=now - dt.timedelta(days=3))
    LoginLock.objects.create(
        account_hash="h", scope=LockScope.ACCOUNT, until=now - dt.timedelta(days=1), failures=50
    )
    PasswordResetRequest.objects.create(account_hash="h", at=now - dt.timedelta(days=2))
    result = prune_login_throttles.call()
    assert result == {"failures": 1, "locks": 1, "reset_requests": 1}
