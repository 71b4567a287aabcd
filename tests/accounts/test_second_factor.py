"""Second factor: who may enrol or replace one, and when (review finding A1, A16)."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from opendui.accounts.models import User
from opendui.audit.models import AuditEvent
from tests.conftest import PASSWORD

ENROL = "/connexion/second-facteur/activer/"
TOTP = "/connexion/second-facteur/"


def with_totp(user) -> str:
    secret = pyotp.random_base32()
    User.objects.filter(pk=user.pk).update(totp_secret=secret, totp_confirmed_at=timezone.now())
    return secret


def next_code(secret: str, user) -> str:
    user.refresh_from_db()
    counter = max(int(time.time() // 30), user.totp_last_counter + 1)
    return pyotp.TOTP(secret).generate_otp(counter)


def test_a_password_alone_cannot_enrol_a_new_second_factor_during_login(world):
    """Knowing the password of an account that has a second factor must not let anyone
    enrol their own secret and finish the login with it."""
    admin = world.user("admin")
    owner_secret = with_totp(admin)
    attacker = Client()
    response = attacker.post("/connexion/", {"email": admin.email, "password": PASSWORD})
    assert response.url == TOTP

    page = attacker.get(ENROL)
    assert page.status_code == 302 and page.url == TOTP
    attacker_secret = pyotp.random_base32()
    session = attacker.session
    session["totp_enrol_secret"] = attacker_secret  # as the enrolment page would have set it
    session.save()
    posted = attacker.post(ENROL, {"code": pyotp.TOTP(attacker_secret).now()})
    assert posted.status_code == 302 and posted.url == TOTP
    assert "_auth_user_id" not in attacker.session
    admin.refresh_from_db()
    assert admin.totp_secret == owner_secret
    assert not AuditEvent.objects.filter(action__startswith="auth.totp_").exists()


def test_the_service_refuses_to_replace_a_second_factor_without_its_code(world):
    from opendui.accounts import services
    from opendui.core.actor import Actor

    user = world.user("educateur", facility=world.ime)
    owner_secret = with_totp(user)
    user.refresh_from_db()
    new = pyotp.random_base32()
    with pytest.raises(services.EnrolmentRefused) as refused:
        services.confirm_totp_enrolment(Actor(user=user), user, new, pyotp.TOTP(new).now())
    assert refused.value.field == "current_code"
    user.refresh_from_db()
    assert user.totp_secret == owner_secret


def test_a_logged_in_user_replaces_their_second_factor_only_with_its_current_code(world, login):
    user = world.user("educateur", facility=world.ime)
    owner_secret = with_totp(user)
    client = login(user)
    page = client.get(ENROL)
    assert page.status_code == 200 and "current_code" in page.context["form"].fields
    new_secret = page.context["secret"]

    without = client.post(ENROL, {"code": pyotp.TOTP(new_secret).now()})
    assert without.status_code == 200
    wrong = client.post(ENROL, {"code": pyotp.TOTP(new_secret).now(), "current_code": "000000"})
    assert wrong.status_code == 200
    assert "Code actuel incorrect" in wrong.content.decode()
    user.refresh_from_db()
    assert user.totp_secret == owner_secret

    done = client.post(
        ENROL,
        {"code": pyotp.TOTP(new_secret).now(), "current_code": next_code(owner_secret, user)},
    )
    assert done.status_code == 302 and done.url == "/compte/securite/"
    user.refresh_from_db()
    assert user.totp_secret == new_secret
    event = AuditEvent.objects.filter(action="auth.totp_replaced").get()
    assert event.user_id == user.pk and event.object_id == str(user.pk)


def test_administrator_totp_reset_asks_confirmation_is_audited_and_forces_enrolment(world, login):
    """An educator chose a second factor (no role requires it); after the administrator's
    reset, the next login still goes through enrolment, not straight in."""
    target = world.user("educateur", facility=world.ime)
    with_totp(target)
    admin_client = login(world.user("admin"))
    confirm = admin_client.get(f"/professionnels/{target.pk}/second-facteur/reinitialiser/")
    assert confirm.status_code == 200
    assert "Confirmer la réinitialisation" in confirm.content.decode()
    target.refresh_from_db()
    assert target.has_totp  # a GET changes nothing

    done = admin_client.post(
        f"/professionnels/{target.pk}/second-facteur/reinitialiser/",
        {"expected_version": target.version},
    )
    assert done.status_code == 302
    target.refresh_from_db()
    assert not target.has_totp and target.totp_enrolment_required
    event = AuditEvent.objects.get(action="user.reset_totp", object_id=str(target.pk))
    assert event.details["changes"]["totp_enrolment_required"] == [False, True]

    client = Client()
    response = client.post("/connexion/", {"email": target.email, "password": PASSWORD})
    assert response.status_code == 302 and response.url == ENROL
    assert "_auth_user_id" not in client.session
    secret = client.get(ENROL).context["secret"]
    client.post(ENROL, {"code": pyotp.TOTP(secret).now()})
    assert "_auth_user_id" in client.session
    target.refresh_from_db()
    assert target.has_totp and not target.totp_enrolment_required


def test_enrolment_during_login_still_works_for_accounts_without_a_second_factor(world):
    admin = world.user("admin")
    client = Client()
    assert client.post("/connexion/", {"email": admin.email, "password": PASSWORD}).url == ENROL
    secret = client.get(ENROL).context["secret"]
    assert client.post(ENROL, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert "_auth_user_id" in client.session
    assert AuditEvent.objects.filter(action="auth.totp_enrolled").count() == 1


def test_the_second_step_expires(world, monkeypatch):
    from opendui.accounts import services

    admin = world.user("admin")
    secret = with_totp(admin)
    client = Client()
    client.post("/connexion/", {"email": admin.email, "password": PASSWORD})
    later = time.time() + services.PENDING_MAX_SECONDS + 1
    monkeypatch.setattr(services.time, "time", lambda: later)
    response = client.post(TOTP, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302 and response.url == "/connexion/"
    assert "_auth_user_id" not in client.session
