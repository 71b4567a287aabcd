"""Account recovery (review finding B2): a forgotten password reset by e-mail link, an
administrator's reset (temporary password or one-time link), the forced change."""

from __future__ import annotations

import re

import pyotp
import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from opendui.accounts.models import User
from opendui.audit.models import AuditEvent
from opendui.jobs.models import Job
from opendui.jobs.worker import run_pending
from tests.conftest import PASSWORD

from .test_admin_support import dashboards_user

RESET = "/mot-de-passe-oublie/"
NEW_PASSWORD = "Tilleul#Vert-Horizon-9"


def ask_reset(email, address="203.0.113.9"):
    client = Client(REMOTE_ADDR=address)
    return client.post(RESET, {"email": email})


def link_in(message) -> str:
    match = re.search(r"http://testserver(/mot-de-passe-oublie/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def choose_password(client, link, password):
    """Open the mailed link (Django swaps the token for a session marker), post the form."""
    page = client.get(link, follow=True)
    assert page.status_code == 200
    url = page.redirect_chain[-1][0] if page.redirect_chain else link
    return client.post(url, {"new_password1": password, "new_password2": password})


def test_the_reset_page_answers_the_same_for_an_account_and_an_unknown_email(world):
    user = world.user("educateur", facility=world.ime)
    known = ask_reset(user.email)
    unknown = ask_reset("personne.inconnue@test.example")
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == "/mot-de-passe-oublie/envoye/"
    assert Job.objects.count() == 1  # a mail for the account only, sent by the worker
    assert mail.outbox == []
    run_pending()
    assert [m.to for m in mail.outbox] == [[user.email]]
    events = AuditEvent.objects.filter(action="auth.password_reset_requested").order_by("seq")
    assert [e.user_label for e in events] == [user.email, ""]


def test_the_link_sets_a_password_under_the_policy_once_and_does_not_log_in(world):
    user = world.user("admin")  # the second factor is required for this role
    secret = pyotp.random_base32()
    User.objects.filter(pk=user.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())
    ask_reset(user.email)
    run_pending()
    link = link_in(mail.outbox[0])
    assert link.split("/")[-2] not in str(list(Job.objects.values_list("args", flat=True)))

    client = Client()
    weak = choose_password(client, link, "Azerty123456!")
    assert weak.status_code == 200
    assert "trop courant" in weak.content.decode()
    done = choose_password(client, link, NEW_PASSWORD)
    assert done.status_code == 302 and done.url == "/mot-de-passe-oublie/termine/"
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_changed", user_id=user.pk).exists()

    again = Client().get(link, follow=True)
    assert "pas valable" in again.content.decode()  # used once

    # Logging in afterwards still asks for the second factor.
    response = Client().post("/connexion/", {"email": user.email, "password": NEW_PASSWORD})
    assert response.url == "/connexion/second-facteur/"


def test_reset_requests_are_throttled_per_email_and_per_address(world, settings):
    settings.PASSWORD_RESET_MAX_PER_EMAIL = 2
    settings.PASSWORD_RESET_MAX_PER_ADDRESS = 4
    user = world.user("educateur", facility=world.ime)
    other = world.user("educateur", facility=world.ime)
    for n in range(3):
        assert ask_reset(user.email, f"192.0.2.{n}").status_code == 302
    assert Job.objects.count() == 2  # the third request for the same e-mail sends nothing
    for _ in range(3):
        ask_reset(other.email, "192.0.2.0")  # that address already asked once
    assert Job.objects.count() == 4
    throttled = AuditEvent.objects.filter(
        action="auth.password_reset_requested", details__throttled=True
    )
    assert throttled.count() == 2


@pytest.fixture
def admin_client(world, login):
    return login(world.user("admin"))


def test_administrator_temporary_password_is_shown_once_and_must_be_changed(world, admin_client):
    target = dashboards_user(world)  # no access to persons' data: a temporary password is possible
    url = f"/professionnels/{target.pk}/mot-de-passe/reinitialiser/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"mode": "temporary", "expected_version": target.version})
    assert response.status_code == 200
    temporary = re.search(r'id="temporary-password"[^>]*>([^<]+)<', response.content.decode())[1]
    target.refresh_from_db()
    assert target.check_password(temporary) and target.must_change_password
    assert temporary not in str(list(AuditEvent.objects.values_list("details", flat=True)))
    event = AuditEvent.objects.get(action="auth.password_reset_by_admin")
    assert event.details == {"mode": "temporary"} and event.object_id == str(target.pk)
    assert AuditEvent.objects.filter(action="user.reset_password").exists()

    client = Client()
    client.post("/connexion/", {"email": target.email, "password": temporary})
    for page in ("/", "/personnes/", f"/professionnels/{target.pk}/"):
        response = client.get(page)
        assert response.status_code == 302 and response.url == "/compte/mot-de-passe/", page
    changed = client.post(
        "/compte/mot-de-passe/",
        {"old_password": temporary, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    target.refresh_from_db()
    assert not target.must_change_password
    assert client.get("/").status_code == 200


def test_administrator_link_reset_disables_the_old_password_and_mails_a_link(world, admin_client):
    target = world.user("educateur", facility=world.ime)
    url = f"/professionnels/{target.pk}/mot-de-passe/reinitialiser/"
    response = admin_client.post(url, {"mode": "link", "expected_version": target.version})
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.has_usable_password()
    assert (
        Client().post("/connexion/", {"email": target.email, "password": PASSWORD}).status_code
        == 200
    )
    run_pending()
    (message,) = mail.outbox
    assert message.to == [target.email] and "administrateur" in message.body
    client = Client()
    assert choose_password(client, link_in(message), NEW_PASSWORD).status_code == 302
    target.refresh_from_db()
    assert not target.must_change_password
    logged = Client()
    logged.post("/connexion/", {"email": target.email, "password": NEW_PASSWORD})
    assert logged.get("/").status_code == 200


def test_administrator_reset_refuses_bad_choices_and_stale_versions(world, admin_client):
    target = dashboards_user(world)
    url = f"/professionnels/{target.pk}/mot-de-passe/reinitialiser/"
    assert admin_client.post(url, {"mode": "nope"}).status_code == 200
    stale = admin_client.post(url, {"mode": "temporary", "expected_version": target.version + 5})
    assert stale.status_code == 302
    target.refresh_from_db()
    assert target.check_password(PASSWORD) and not target.must_change_password
