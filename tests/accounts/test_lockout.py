"""Login throttles (review finding A8): the same answer for every e-mail, locks per
(e-mail, client address) with growing delays, an account-wide lock only after many
failures from anywhere (administrators notified), client address behind a trusted proxy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.utils import timezone

from opendui.accounts.models import LockScope, LoginLock, User
from opendui.audit.models import AuditEvent
from opendui.core.proxies import parse_trusted_proxies
from opendui.jobs.worker import run_pending
from tests.conftest import PASSWORD

GUESSER = "203.0.113.9"
OWNER = "198.51.100.7"


def attempt(email, password, address=GUESSER, **headers):
    client = Client(REMOTE_ADDR=address, **headers)
    response = client.post("/connexion/", {"email": email, "password": password})
    return client, response


def form_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


def expire_locks():
    LoginLock.objects.update(until=timezone.now() - dt.timedelta(seconds=1))


def test_the_lockout_answer_is_the_same_for_an_account_and_an_unknown_email(world, settings):
    user = world.user("educateur", facility=world.ime)
    unknown = "personne.inconnue@test.example"
    for _ in range(settings.LOGIN_MAX_FAILURES):
        attempt(user.email, "wrong")
        attempt(unknown, "wrong")
    _, known_answer = attempt(user.email, PASSWORD)
    _, unknown_answer = attempt(unknown, PASSWORD)
    assert known_answer.status_code == unknown_answer.status_code == 200
    assert form_errors(known_answer) == form_errors(unknown_answer)
    assert "Trop d'échecs de connexion" in form_errors(known_answer)[0]
    assert LoginLock.objects.filter(scope=LockScope.PAIR).count() == 2


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often it hashes."""

    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


def test_the_password_hasher_runs_for_unknown_emails_as_for_accounts(world, settings):
    settings.PASSWORD_HASHERS = ["tests.accounts.test_lockout.CountingHasher"]
    user = world.user("educateur", facility=world.ime)
    user.set_password(PASSWORD)
    user.save()
    CountingHasher.calls = 0
    attempt(user.email, "wrong")
    for_an_account = CountingHasher.calls
    CountingHasher.calls = 0
    attempt("personne.inconnue@test.example", "wrong")
    for_an_unknown_email = CountingHasher.calls
    assert for_an_account == for_an_unknown_email >= 1


def test_a_guesser_does_not_lock_the_owner_out_of_another_address(world, settings):
    user = world.user("educateur", facility=world.ime)
    for _ in range(settings.LOGIN_MAX_FAILURES + 1):
        attempt(user.email, "wrong", GUESSER)
    _, blocked = attempt(user.email, PASSWORD, GUESSER)
    assert "Trop d'échecs" in form_errors(blocked)[0]
    owner, response = attempt(user.email, PASSWORD, OWNER)
    assert response.status_code == 302
    assert "_auth_user_id" in owner.session


def test_delays_grow_with_each_further_failure(world, settings):
    user = world.user("educateur", facility=world.ime)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        attempt(user.email, "wrong")
    durations = []
    for _ in range(3):
        lock = LoginLock.objects.latest("pk")
        durations.append(round((lock.until - lock.created_at).total_seconds()))
        expire_locks()
        attempt(user.email, "wrong")
    base = settings.LOGIN_LOCKOUT_SECONDS
    assert durations == [base, 2 * base, 4 * base]


def test_a_successful_login_forgets_the_failures_of_its_address(world, settings):
    user = world.user("educateur", facility=world.ime)
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        attempt(user.email, "wrong", OWNER)
    assert attempt(user.email, PASSWORD, OWNER)[1].status_code == 302
    for _ in range(settings.LOGIN_MAX_FAILURES - 1):
        attempt(user.email, "wrong", OWNER)
    assert attempt(user.email, PASSWORD, OWNER)[1].status_code == 302


def test_failures_from_many_addresses_lock_the_account_and_notify_its_administrators(
    world, settings
):
    settings.LOGIN_ACCOUNT_MAX_FAILURES = 6
    user = world.user("educateur", facility=world.ime)
    admin = world.user("admin")
    other_admin = world.user("admin", organisation=world.other_og)
    for n in range(6):
        attempt(user.email, "wrong", f"192.0.2.{n + 1}")
    user.refresh_from_db()
    assert user.locked_until and user.locked_until > timezone.now()
    _, refused = attempt(user.email, PASSWORD, OWNER)  # an address that never failed
    assert "Trop d'échecs" in form_errors(refused)[0]

    event = AuditEvent.objects.get(action="auth.account_locked")
    assert event.kind == "security" and event.object_id == str(user.pk)
    assert event.details["failures"] == 6
    assert run_pending() == 1
    assert [m.to for m in mail.outbox] == [[admin.email]]  # not the other organisation's
    assert user.email in mail.outbox[0].body
    assert other_admin.email not in str(mail.outbox[0].message())

    # The same number of failures with an unknown e-mail gives the same answer.
    for n in range(6):
        attempt("personne.inconnue@test.example", "wrong", f"192.0.2.{n + 1}")
    _, unknown = attempt("personne.inconnue@test.example", PASSWORD, OWNER)
    assert form_errors(unknown) == form_errors(refused)


def test_administrator_unlock_lifts_every_lock(world, settings, login):
    settings.LOGIN_ACCOUNT_MAX_FAILURES = 6
    user = world.user("educateur", facility=world.ime)
    for n in range(6):
        attempt(user.email, "wrong", GUESSER if n < 5 else f"192.0.2.{n}")
    assert LoginLock.objects.filter(scope=LockScope.ACCOUNT).exists()
    admin_client = login(world.user("admin"))
    detail = admin_client.get(f"/professionnels/{user.pk}/")
    assert "Déverrouiller le compte" in detail.content.decode()
    user.refresh_from_db()
    admin_client.post(
        f"/professionnels/{user.pk}/deverrouiller/", {"expected_version": user.version}
    )
    assert not LoginLock.objects.exists()
    assert attempt(user.email, PASSWORD, GUESSER)[1].status_code == 302


def test_the_second_factor_step_counts_failures_and_honours_locks(world, settings):
    import pyotp

    admin = world.user("admin")
    secret = pyotp.random_base32()
    User.objects.filter(pk=admin.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())
    client, response = attempt(admin.email, PASSWORD)
    assert response.url == "/connexion/second-facteur/"
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post("/connexion/second-facteur/", {"code": "000000"})
    refused = client.post("/connexion/second-facteur/", {"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 302 and refused.url == "/connexion/"
    assert "_auth_user_id" not in client.session


# --------------------------------------------------------------------------- behind a proxy


def test_without_trusted_proxies_the_forwarded_header_is_ignored(world, settings):
    """A client cannot escape its lock by writing X-Forwarded-For itself."""
    settings.TRUSTED_PROXIES = parse_trusted_proxies("")
    user = world.user("educateur", facility=world.ime)
    for n in range(settings.LOGIN_MAX_FAILURES):
        attempt(user.email, "wrong", GUESSER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    _, response = attempt(user.email, PASSWORD, GUESSER, HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert "Trop d'échecs" in form_errors(response)[0]


@pytest.mark.parametrize("trusted", ["1", "10.0.0.5", "10.0.0.0/24"])
def test_behind_a_trusted_proxy_each_client_has_its_own_counter(world, settings, trusted):
    """Every request comes from the proxy (10.0.0.5): the guesser's failures must not lock
    the owner, who reaches the site through the same proxy."""
    settings.TRUSTED_PROXIES = parse_trusted_proxies(trusted)
    user = world.user("educateur", facility=world.ime)
    for _ in range(settings.LOGIN_MAX_FAILURES + 1):
        attempt(user.email, "wrong", "10.0.0.5", HTTP_X_FORWARDED_FOR=f"{OWNER}, {GUESSER}")
    _, response = attempt(user.email, PASSWORD, "10.0.0.5", HTTP_X_FORWARDED_FOR=OWNER)
    assert response.status_code == 302
    failure = AuditEvent.objects.filter(action="auth.failure").latest("seq")
    assert failure.address == GUESSER
    login = AuditEvent.objects.filter(action="auth.login").latest("seq")
    assert login.address == OWNER


def _statements(email, password, address=GUESSER) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        attempt(email, password, address)
    # The statements without their literals: the same work whatever the e-mail.
    import re

    return [
        re.sub(r"'[^']*'|\b\d+\b", "?", re.sub(r'"s\d+_x\d+"', "savepoint", q["sql"]))
        for q in queries.captured_queries
    ]


def test_a_failure_costs_the_same_statements_for_an_account_and_an_unknown_email(world, settings):
    user = world.user("educateur", facility=world.ime)
    known = _statements(user.email, "wrong")
    unknown = _statements("personne.inconnue@test.example", "wrong")
    assert len(known) == len(unknown) <= 16
    assert known == unknown
    for _ in range(settings.LOGIN_MAX_FAILURES):
        attempt(user.email, "wrong")
        attempt("personne.inconnue@test.example", "wrong")
    blocked_known = _statements(user.email, PASSWORD)
    blocked_unknown = _statements("personne.inconnue@test.example", PASSWORD)
    assert blocked_known == blocked_unknown and len(blocked_known) <= 6


def test_the_user_page_queries_stay_bounded_with_locks(world, login, django_assert_max_num_queries):
    user = world.user("educateur", facility=world.ime)
    for n in range(10):
        attempt(user.email, "wrong", f"192.0.2.{n % 2}")
    admin_client = login(world.user("admin"))
    with django_assert_max_num_queries(12):
        page = admin_client.get(f"/professionnels/{user.pk}/")
    assert "connexion suspendue depuis certains postes" in page.content.decode()
