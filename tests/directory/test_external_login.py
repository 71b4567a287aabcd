"""An external professional's account opens with Pro Santé Connect only, and then
reaches the persons followed, audited like any professional's reads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from opendui.accounts.models import User
from opendui.accounts.psc_only import PSC_ONLY_MESSAGE
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.directory import external_access
from opendui.directory.models import ExternalProfessional, PersonProfessional
from opendui.interop.psc.cards import DEMO_NATIONAL_IDS
from opendui.jobs.models import Job
from tests.accounts.psc_helpers import psc_login
from tests.conftest import PASSWORD
from tests.factories_external import external_entry, link_persons, open_external_access

PSC_RPPS = DEMO_NATIONAL_IDS["medecin"][1]  # the simulator's test doctor


def _opened(world, *, approved: bool) -> User:
    """The simulator's doctor, médecin traitant of Anne, as medecin-externe; her account
    had a password before the access was opened."""
    entry = external_entry(
        world,
        PSC_RPPS,
        civility="DR",
        last_name="Médecin",
        first_name="Test",
        profession_label="Médecin",
    )
    link_persons(entry, [world.anne], start_date=timezone.localdate() - dt.timedelta(days=10))
    account = User.objects.create_user(
        "medecin.liberal@cabinet.example", PASSWORD, first_name="Test", last_name="Médecin"
    )
    User.objects.filter(pk=account.pk).update(rpps=PSC_RPPS)
    account.refresh_from_db()
    return open_external_access(world, entry, account, approved=approved)


@pytest.fixture
def external(world):
    """The access opened and approved by the directeur général."""
    return _opened(world, approved=True)


@pytest.fixture
def pending_external(world):
    """The access opened, its approval still awaited."""
    return _opened(world, approved=False)


def test_password_login_is_refused_with_a_french_message(client, world, external):
    # Even with the password the account had before (or one set behind our back).
    external.set_password(PASSWORD)
    external.save(update_fields=["password"])
    response = client.post("/connexion/", {"email": external.email, "password": PASSWORD})
    assert response.status_code == 200
    assert PSC_ONLY_MESSAGE in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="auth.password_refused_psc_only").count() == 1
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_the_password_opening_the_access_removed_is_just_wrong(client, world, external):
    response = client.post("/connexion/", {"email": external.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_no_session_opens_for_it_by_any_other_method(rf, world, external):
    from django.contrib.sessions.backends.db import SessionStore

    from opendui.accounts import services
    from opendui.accounts.psc_only import PscOnlyAccount

    request = rf.get("/")
    request.session = SessionStore()
    for method in ("password", "totp"):
        with pytest.raises(PscOnlyAccount):
            services.finish_login(request, external, method)
        with pytest.raises(PscOnlyAccount):
            services.start_pending_login(request, external, method)


def test_no_reset_link_is_sent(world, external):
    answer = Client(REMOTE_ADDR="203.0.113.9").post(
        "/mot-de-passe-oublie/", {"email": external.email}
    )
    assert answer.status_code == 302
    assert Job.objects.count() == 0 and mail.outbox == []


def test_psc_login_works_and_reaches_the_followed_person_only(client, psc, world, external):
    response = psc_login(client, "medecin")
    assert response.status_code == 302 and response.url == "/"
    assert int(client.session["_auth_user_id"]) == external.pk
    assert AuditEvent.objects.get(action="auth.login").details == {"method": "psc"}
    assert client.get("/").status_code == 200

    page = client.get(f"/personnes/{world.anne.pk}/")
    assert page.status_code == 200
    read = AuditEvent.objects.filter(kind="access", user_id=external.pk).exclude(
        action="access.denied"
    )
    assert any(world.anne.pk in event.person_ids for event in read)

    listing = client.get("/personnes/")
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "MARTIN" in body and "PETIT" not in body

    denied = client.get(f"/personnes/{world.bruno.pk}/")
    assert denied.status_code == 403
    event = AuditEvent.objects.filter(action="access.denied", user_id=external.pk).latest("seq")
    assert event.details["path"] == f"/personnes/{world.bruno.pk}/"


def test_a_pending_access_opens_neither_the_page_nor_the_list(client, psc, world, pending_external):
    psc_login(client, "medecin")
    assert client.get(f"/personnes/{world.anne.pk}/").status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied", user_id=pending_external.pk)
    assert denied.latest("seq").details["path"] == f"/personnes/{world.anne.pk}/"
    listing = client.get("/personnes/")
    assert listing.status_code in {200, 403}
    assert "MARTIN" not in listing.content.decode()
    read = AuditEvent.objects.filter(kind="access", user_id=pending_external.pk).exclude(
        action="access.denied"
    )
    assert not any(world.anne.pk in event.person_ids for event in read)


def test_the_link_ended_closes_the_page_and_the_list(client, psc, world, external):
    psc_login(client, "medecin")
    PersonProfessional.objects.filter(person=world.anne).update(
        end_date=timezone.localdate() - dt.timedelta(days=1)
    )
    assert client.get(f"/personnes/{world.anne.pk}/").status_code == 403
    listing = client.get("/personnes/")
    assert listing.status_code in {200, 403}
    assert "MARTIN" not in listing.content.decode()


def test_a_closed_access_keeps_the_account_psc_only(world, external):
    from opendui.accounts.psc_only import is_psc_only

    entry = ExternalProfessional.objects.get(account=external)
    external_access.close_access(Actor(user=world.user("admin")), entry)
    assert is_psc_only(external)
    Client(REMOTE_ADDR="203.0.113.9").post("/mot-de-passe-oublie/", {"email": external.email})
    assert Job.objects.count() == 0
