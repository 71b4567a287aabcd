from __future__ import annotations

import datetime as dt
import logging
import time

import pyotp
import pytest
from django.test import Client, override_settings
from django.utils import timezone

from opendui.accounts.models import Role, User
from opendui.audit.models import AuditEvent
from tests.conftest import PASSWORD


def post_login(client, email, password):
    return client.post("/connexion/", {"email": email, "password": password})


def test_wrong_password_gives_a_generic_message_and_an_audit_row(world, client):
    user = world.user("educateur", facility=world.ime)
    response = post_login(client, user.email, "not-the-password")
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()
    failure = AuditEvent.objects.filter(action="auth.failure").latest("seq")
    assert failure.user_label == user.email
    assert "not-the-password" not in str(failure.chain_content())


def test_login_is_suspended_after_repeated_failures_then_allowed_again(world, client, settings):
    from opendui.accounts.models import LoginLock

    user = world.user("educateur", facility=world.ime)
    for _ in range(settings.LOGIN_MAX_FAILURES):
        post_login(client, user.email, "wrong")
    locked = post_login(client, user.email, PASSWORD)
    assert locked.status_code == 200
    assert "la connexion est suspendue" in locked.content.decode()

    LoginLock.objects.update(until=timezone.now() - dt.timedelta(seconds=1))
    assert post_login(client, user.email, PASSWORD).status_code == 302


def test_one_address_is_throttled_whatever_the_accounts(world, client, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        post_login(client, f"nobody{n}@test.example", "wrong")
    user = world.user("educateur", facility=world.ime)
    response = post_login(client, user.email, PASSWORD)
    assert "Trop de tentatives" in response.content.decode()
    assert "_auth_user_id" not in client.session


def totp_code(secret, at=None):
    return pyotp.TOTP(secret).at(at or time.time())


def test_role_requiring_totp_forces_enrolment_before_any_access(world, client):
    admin = world.user("admin")
    assert Role.objects.get(code="admin").requires_totp
    response = post_login(client, admin.email, PASSWORD)
    assert response.status_code == 302 and response.url == "/connexion/second-facteur/activer/"
    assert client.get("/").status_code == 302  # not logged in yet

    page = client.get("/connexion/second-facteur/activer/")
    secret = page.context["secret"]
    assert client.post(page.request["PATH_INFO"], {"code": "000000"}).status_code == 200
    done = client.post("/connexion/second-facteur/activer/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    admin.refresh_from_db()
    assert admin.has_totp


def test_totp_code_is_checked_and_cannot_be_replayed(world):
    admin = world.user("admin")
    secret = pyotp.random_base32()
    User.objects.filter(pk=admin.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())

    first = Client()
    assert post_login(first, admin.email, PASSWORD).url == "/connexion/second-facteur/"
    bad = first.post(
        "/connexion/second-facteur/",
        {"code": "123456" if totp_code(secret) != "123456" else "654321"},
    )
    assert "Code incorrect" in bad.content.decode()
    code = totp_code(secret)
    assert first.post("/connexion/second-facteur/", {"code": code}).status_code == 302
    assert first.get("/").status_code == 200

    second = Client()
    post_login(second, admin.email, PASSWORD)
    replay = second.post("/connexion/second-facteur/", {"code": code})
    assert replay.status_code == 200  # same time step: refused
    assert second.get("/").status_code == 302


@override_settings(SESSION_IDLE_TIMEOUT=60)
def test_session_expires_after_inactivity(world, login):
    client = login(world.user("educateur", facility=world.ime))
    assert client.get("/").status_code == 200
    session = client.session
    session["last_seen"] = time.time() - 120
    session.save()
    response = client.get("/personnes/")
    assert response.status_code == 302 and response.url.startswith("/connexion/")
    assert client.get("/").status_code == 302


def test_security_headers(world, login):
    client = login(world.user("educateur", facility=world.ime))
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert "camera=()" in response["Permissions-Policy"]
    session_cookie = client.cookies["sessionid"]
    assert session_cookie["httponly"] and session_cookie["samesite"] == "Lax"


def test_csrf_is_enforced(world):
    user = world.user("educateur", facility=world.ime)
    client = Client(enforce_csrf_checks=True)
    response = client.post("/connexion/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_request_lines_in_logs_lose_their_query_string():
    from opendui.core.logging import StripQueryStringFilter

    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /personnes/?q=martin+anne HTTP/1.1", "200", "1234"),
        None,
    )
    StripQueryStringFilter().filter(record)
    assert "martin" not in record.getMessage()
    assert "/personnes/?…" in record.getMessage()


def test_no_personal_data_reaches_application_logs(world, login, caplog):
    client = login(world.user("infirmier", facility=world.ehpad))
    with caplog.at_level(logging.DEBUG):
        client.get("/personnes/", {"q": "martin"})
        client.get(f"/personnes/{world.chloe.pk}/")  # refused: logged as a warning
    text = "\n".join(r.getMessage() for r in caplog.records).lower()
    assert "martin" not in text and "petit" not in text and "chloé" not in text


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Abcdefgh1!xy", True),
        ("abcdefgh1!xy", False),  # 3 classes need 14 characters
        ("abcdefgh1!xyzw", True),
        ("Short1!a", False),
        ("abcdefghijklmnop", False),  # one class needs 20 characters
        ("abcdefghijklmnopqrst", True),
    ],
)
def test_cnil_policy_examples(password, ok):
    from opendui.accounts.passwords import password_problem

    assert (password_problem(password) is None) is ok


def test_activity_is_written_to_the_session_at_most_once_a_minute(world, login):
    client = login(world.user("educateur", facility=world.ime))
    client.get("/")
    first = client.session["last_seen"]
    client.get("/personnes/")
    assert client.session["last_seen"] == first
    session = client.session
    session["last_seen"] = first - 61
    session.save()
    client.get("/")
    assert client.session["last_seen"] > first - 61
