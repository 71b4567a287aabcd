"""An administrator cannot take over an account that has access to persons' data.

Review rule: no account widens its own access, directly or through another account. An
administrator who could set a doctor's password, or point the doctor's login e-mail to
an address they read, would log in as the doctor. For such an account: no temporary
password (only a one-time link to its own address, which the administrator never sees),
a new login e-mail waits for a second person, and the owner is told of every reset.
"""

from __future__ import annotations

import datetime as dt
import email
import logging
import re

import pyotp
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from opendui.accounts import grants, services_admin
from opendui.accounts.models import GrantRequest, User
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import CURRENT
from opendui.jobs.models import Job
from opendui.jobs.worker import run_pending
from tests.conftest import PASSWORD

from .test_admin_support import dashboards_user

NEW_PASSWORD = "Tilleul#Vert-Horizon-9"


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def as_actor(user: User) -> Actor:
    return Actor(user=fresh(user))


def reset_url(user: User) -> str:
    return f"/professionnels/{user.pk}/mot-de-passe/reinitialiser/"


def edit_url(user: User) -> str:
    return f"/professionnels/{user.pk}/modifier/"


def edit_data(user: User, **overrides) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "profession": user.profession,
        "activity_role": user.activity_role,
        "rpps": user.rpps,
        "adeli": user.adeli,
        "rpps_plus": user.rpps_plus,
        "expected_version": user.version,
    }
    data.update(overrides)
    return data


def logs_in(email: str, password: str = PASSWORD) -> bool:
    """Whether the password step of the login accepts these credentials."""
    response = Client().post("/connexion/", {"email": email, "password": password})
    return response.status_code == 302


def decide(client, request, **data):
    payload = {"decision": "approve", "confirm": "on", "reason": "", "expected_version": 1}
    payload.update(data)
    return client.post(f"/habilitations/demandes/{request.pk}/decider/", payload)


def link_in(message) -> str:
    match = re.search(r"http://testserver(/mot-de-passe-oublie/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def admin(world):
    return world.user("admin")


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


@pytest.fixture
def doctor(world):
    """A doctor of the EHPAD: medical data of its residents."""
    return world.user("medecin", facility=world.ehpad, email="docteur@test.example")


@pytest.fixture
def ehpad_director(world):
    return world.user("directeur", facility=world.ehpad)


@pytest.fixture
def general_director(world):
    return world.user("directeur")


# --------------------------------------------------------------------------- temporary password


def test_an_administrator_cannot_obtain_a_temporary_password_for_a_doctor(world, admin, doctor):
    with pytest.raises(services_admin.AdminRefused, match="lien à usage unique"):
        services_admin.reset_password(
            as_actor(admin), fresh(doctor), CURRENT, "temporary", "http://testserver"
        )
    doctor.refresh_from_db()
    assert doctor.check_password(PASSWORD) and not doctor.must_change_password
    assert doctor.version == 1
    event = AuditEvent.objects.get(action="auth.temporary_password_refused")
    assert (event.kind, event.user_id, event.object_id) == ("security", admin.pk, str(doctor.pk))
    assert event.organisation_id == world.og.pk
    assert not AuditEvent.objects.filter(action="user.reset_password").exists()
    assert not Job.objects.exists()  # no mail of any kind


def test_the_reset_page_of_a_doctor_offers_only_the_link_and_says_why(world, admin_client, doctor):
    body = admin_client.get(reset_url(doctor)).content.decode()
    assert 'value="link"' in body
    assert 'value="temporary"' not in body
    assert "Pas de mot de passe temporaire pour ce compte" in body
    detail = admin_client.get(f"/professionnels/{doctor.pk}/").content.decode()
    assert "pas de mot de passe temporaire, que vous verriez" in detail


def test_a_forged_post_for_a_temporary_password_is_refused_and_audited(
    world, admin, admin_client, doctor
):
    response = admin_client.post(
        reset_url(doctor), {"mode": "temporary", "expected_version": doctor.version}, follow=True
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/professionnels/{doctor.pk}/"
    assert "Seul un lien à usage unique" in body
    assert 'id="temporary-password"' not in body
    doctor.refresh_from_db()
    assert doctor.check_password(PASSWORD) and not doctor.must_change_password
    assert logs_in(doctor.email)
    event = AuditEvent.objects.get(action="auth.temporary_password_refused")
    assert (event.kind, event.user_id, event.object_id) == ("security", admin.pk, str(doctor.pk))


@pytest.mark.parametrize("role_code", ["admin", "dpo", "directeur", "educateur", "accueil"])
def test_no_temporary_password_for_any_role_that_opens_data_audit_or_grants(
    world, admin, role_code
):
    """Administrators acting on other administrators included (accounts.manage)."""
    target = world.user(role_code, facility=world.ehpad)
    with pytest.raises(services_admin.AdminRefused):
        services_admin.reset_password(
            as_actor(admin), fresh(target), CURRENT, "temporary", "http://testserver"
        )
    assert fresh(target).check_password(PASSWORD)


def test_a_pending_sensitive_assignment_is_enough(world, admin):
    """The account is sensitive as soon as a sensitive assignment waits for approval."""
    target = dashboards_user(world)
    services_admin.create_assignment(
        as_actor(admin),
        fresh(target),
        {"role": world_role("medecin"), "organisation": world.og, "facility": world.ehpad},
    )
    assert GrantRequest.objects.get().status == "pending"
    with pytest.raises(services_admin.AdminRefused):
        services_admin.reset_password(
            as_actor(admin), fresh(target), CURRENT, "temporary", "http://testserver"
        )


def test_ending_the_doctors_assignment_does_not_open_the_account(world, admin, doctor):
    """Otherwise: end the assignment (a narrowing, at once), take the account over while it
    holds nothing, then ask for the doctor's role again."""
    assignment = doctor.assignments.get()
    services_admin.end_assignment(
        as_actor(admin), assignment, timezone.localdate() - dt.timedelta(days=1), CURRENT
    )
    assert not grants.is_sensitive_account(fresh(doctor))
    assert grants.is_protected_account(fresh(doctor))
    with pytest.raises(services_admin.AdminRefused):
        services_admin.reset_password(
            as_actor(admin), fresh(doctor), CURRENT, "temporary", "http://testserver"
        )
    services_admin.update_user(
        as_actor(admin), fresh(doctor), {"email": "moi@admin.example"}, CURRENT
    )
    assert fresh(doctor).email == "docteur@test.example"
    request = GrantRequest.objects.get(kind="login_email")
    assert request.approval_facility == world.ehpad  # the director who knew the doctor


def test_an_account_without_access_to_data_still_gets_a_temporary_password(world, admin_client):
    target = dashboards_user(world)
    body = admin_client.get(reset_url(target)).content.decode()
    assert 'value="temporary"' in body and "Pas de mot de passe temporaire" not in body
    response = admin_client.post(
        reset_url(target), {"mode": "temporary", "expected_version": target.version}
    )
    assert response.status_code == 200
    temporary = re.search(r'id="temporary-password"[^>]*>([^<]+)<', response.content.decode())[1]
    assert fresh(target).check_password(temporary)
    assert not AuditEvent.objects.filter(action="auth.temporary_password_refused").exists()
    # The owner hears of it.
    assert run_pending() == 1
    (notice,) = mail.outbox
    assert notice.to == [target.email]
    assert "mot de passe temporaire" in notice.body and temporary not in notice.body


# --------------------------------------------------------------------------- one-time link


def test_the_link_for_a_doctor_is_never_shown_stored_or_logged(world, admin_client, doctor, caplog):
    caplog.set_level(logging.DEBUG)
    response = admin_client.post(
        reset_url(doctor), {"mode": "link", "expected_version": doctor.version}, follow=True
    )
    page = response.content.decode()
    assert "Un lien à usage unique a été envoyé à docteur@test.example" in page
    assert not fresh(doctor).has_usable_password()
    run_pending()
    (message,) = mail.outbox
    assert message.to == ["docteur@test.example"]
    link = link_in(message)
    token = link.rstrip("/").split("/")[-1]
    assert token not in page and link not in page
    assert token not in str(list(Job.objects.values_list("args", "kwargs", "result")))
    assert token not in str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert token not in caplog.text
    notice = AuditEvent.objects.get(action="account.owner_notified")
    assert notice.details == {"notice": "password_link"}
    # The owner chooses the password; the administrator never knew it.
    client = Client()
    page = client.get(link, follow=True)
    client.post(
        page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert fresh(doctor).check_password(NEW_PASSWORD)


# --------------------------------------------------------------------------- login e-mail


def test_a_new_login_email_for_a_doctor_waits_and_the_old_one_keeps_working(
    world, admin_client, doctor
):
    response = admin_client.post(
        edit_url(doctor),
        edit_data(doctor, email="Moi@Admin.example", last_name="Martin-Durand"),
        follow=True,
    )
    body = response.content.decode()
    assert "ne prend effet qu&#x27;après approbation" in body
    doctor.refresh_from_db()
    assert doctor.email == "docteur@test.example"
    assert doctor.last_name == "Martin-Durand"  # the other fields apply at once
    request = GrantRequest.objects.get()
    assert (request.kind, request.status) == ("login_email", "pending")
    assert (request.old_email, request.new_email) == ("docteur@test.example", "moi@admin.example")
    assert request.grantee == doctor and request.approval_facility == world.ehpad
    assert logs_in("docteur@test.example")
    assert not logs_in("moi@admin.example")
    assert "changement en attente d'approbation" in body and "moi@admin.example" in body
    # The current address hears of it.
    assert run_pending() == 1
    (notice,) = mail.outbox
    assert notice.to == ["docteur@test.example"]
    assert "moi@admin.example" in notice.body and "approbation" in notice.body
    assert AuditEvent.objects.filter(action="grant.request", user_id=request.requested_by_id)
    sent = AuditEvent.objects.get(action="account.owner_notified")
    assert sent.details == {"notice": "login_email_requested", "grant_request": request.pk}


def test_password_links_go_to_the_current_address_only(world, admin, admin_client, doctor):
    services_admin.update_user(
        as_actor(admin), fresh(doctor), {"email": "moi@admin.example"}, CURRENT
    )
    run_pending()
    mail.outbox.clear()
    # Self-service reset asked for the pending address: nothing is sent.
    Client().post("/mot-de-passe-oublie/", {"email": "moi@admin.example"})
    # The administrator's link reset: to the current address.
    admin_client.post(
        reset_url(doctor), {"mode": "link", "expected_version": fresh(doctor).version}
    )
    run_pending()
    assert [m.to for m in mail.outbox] == [["docteur@test.example"]]


def test_the_directors_approval_makes_the_new_login_email_effective(
    world, admin, doctor, ehpad_director, login
):
    services_admin.update_user(
        as_actor(admin), fresh(doctor), {"email": "nouvelle@test.example"}, CURRENT
    )
    request = GrantRequest.objects.get()
    client = login(ehpad_director)
    listing = client.get("/habilitations/demandes/").content.decode()
    assert "Changement d&#x27;adresse de connexion de Test MEDECIN" in listing
    assert "Connexion avec nouvelle@test.example au lieu de docteur@test.example" in listing
    detail = client.get(f"/habilitations/demandes/{request.pk}/").content.decode()
    assert "changement d&#x27;adresse de connexion" in detail
    assert "Données « Médical » : lecture et écriture" in detail
    assert "vérifié auprès du professionnel lui-même" in detail
    response = decide(client, request, reason="Changement de nom, vérifié par téléphone")
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", ehpad_director)
    assert fresh(doctor).email == "nouvelle@test.example"
    assert logs_in("nouvelle@test.example")
    assert not logs_in("docteur@test.example")
    change = AuditEvent.objects.get(action="user.change_login_email")
    assert change.user_id == ehpad_director.pk
    assert change.details["changes"]["email"] == ["docteur@test.example", "nouvelle@test.example"]
    run_pending()
    assert [(m.to, "désormais" in m.body) for m in mail.outbox] == [
        (["docteur@test.example"], False),  # when asked
        (["docteur@test.example"], True),  # when it took effect: still the former address
    ]


def test_the_requester_cannot_approve_the_change(world, admin, doctor, general_director):
    world.assign(admin, "directeur")  # the administrator is also an approver
    services_admin.update_user(as_actor(admin), fresh(doctor), {"email": "x@test.example"}, CURRENT)
    request = GrantRequest.objects.get()
    with pytest.raises(PermissionDenied, match="Vous avez fait cette demande"):
        grants.approve(as_actor(admin), request, expected_version=request.version)
    assert fresh(doctor).email == "docteur@test.example"
    assert grants.awaiting(fresh(admin)).count() == 0
    grants.approve(as_actor(general_director), request, expected_version=request.version)
    assert fresh(doctor).email == "x@test.example"


def test_the_account_itself_cannot_approve_its_new_login_email(
    world, admin, ehpad_director, general_director, login
):
    """A director's own login e-mail: another approver decides."""
    services_admin.update_user(
        as_actor(admin), fresh(ehpad_director), {"email": "dir@ailleurs.example"}, CURRENT
    )
    request = GrantRequest.objects.get()
    with pytest.raises(PermissionDenied, match="votre propre compte"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    client = login(ehpad_director)
    response = decide(client, request)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", user_id=ehpad_director.pk).exists()
    assert fresh(ehpad_director).email != "dir@ailleurs.example"
    grants.approve(as_actor(general_director), request, expected_version=request.version)
    assert fresh(ehpad_director).email == "dir@ailleurs.example"


def test_an_administrators_login_email_needs_the_directeur_general(
    world, admin, ehpad_director, general_director
):
    other_admin = world.user("admin")
    services_admin.update_user(
        as_actor(admin), fresh(other_admin), {"email": "complice@admin.example"}, CURRENT
    )
    request = GrantRequest.objects.get()
    assert request.approval_facility is None
    with pytest.raises(PermissionDenied, match="autorité"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    with pytest.raises(services_admin.AdminRefused):
        services_admin.reset_password(
            as_actor(admin), fresh(other_admin), CURRENT, "temporary", "http://testserver"
        )
    grants.approve(as_actor(general_director), request, expected_version=request.version)
    assert fresh(other_admin).email == "complice@admin.example"


def test_refused_cancelled_or_expired_changes_leave_the_login_email(
    world, admin, doctor, ehpad_director
):
    actor = as_actor(admin)
    services_admin.update_user(actor, fresh(doctor), {"email": "a@test.example"}, CURRENT)
    grants.refuse(
        as_actor(ehpad_director),
        GrantRequest.objects.get(),
        reason="Inconnue",
        expected_version=CURRENT,
    )
    services_admin.update_user(actor, fresh(doctor), {"email": "b@test.example"}, CURRENT)
    grants.cancel(actor, GrantRequest.objects.get(status="pending"), expected_version=CURRENT)
    services_admin.update_user(actor, fresh(doctor), {"email": "c@test.example"}, CURRENT)
    GrantRequest.objects.filter(status="pending").update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert grants.expire_overdue() == 1
    assert fresh(doctor).email == "docteur@test.example"
    statuses = list(GrantRequest.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["refused", "cancelled", "expired"]


def test_one_pending_change_per_account_and_per_address(world, admin, doctor):
    actor = as_actor(admin)
    services_admin.update_user(actor, fresh(doctor), {"email": "a@test.example"}, CURRENT)
    with pytest.raises(services_admin.AdminRefused, match="attend déjà"):
        services_admin.update_user(actor, fresh(doctor), {"email": "b@test.example"}, CURRENT)
    nurse = world.user("infirmier", facility=world.ehpad)
    with pytest.raises(services_admin.AdminRefused, match="déjà demandée"):
        services_admin.update_user(actor, fresh(nurse), {"email": "A@test.example"}, CURRENT)
    assert GrantRequest.objects.count() == 1


def test_an_approval_is_refused_when_the_address_was_taken_meanwhile(
    world, admin, doctor, ehpad_director
):
    services_admin.update_user(as_actor(admin), fresh(doctor), {"email": "a@test.example"}, CURRENT)
    request = GrantRequest.objects.get()
    User.objects.create_user("a@test.example", PASSWORD, first_name="Autre", last_name="Compte")
    with pytest.raises(services_admin.AdminRefused, match="autre compte"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    request.refresh_from_db()
    assert request.status == "pending"
    assert fresh(doctor).email == "docteur@test.example"


def test_an_account_without_access_to_data_changes_its_login_email_at_once(world, admin):
    target = dashboards_user(world)
    services_admin.update_user(as_actor(admin), fresh(target), {"email": "n@test.example"}, CURRENT)
    assert fresh(target).email == "n@test.example"
    assert not GrantRequest.objects.exists()


# --------------------------------------------------------------------------- second factor


def test_a_totp_reset_gives_the_administrator_nothing_without_the_password(
    world, admin_client, doctor
):
    User.objects.filter(pk=doctor.pk).update(
        totp_secret=pyotp.random_base32(), totp_confirmed_at=timezone.now()
    )
    admin_client.post(
        f"/professionnels/{doctor.pk}/second-facteur/reinitialiser/",
        {"expected_version": doctor.version},
    )
    assert fresh(doctor).totp_enrolment_required
    # Enrolling a new second factor needs the password step first.
    stranger = Client()
    assert stranger.get("/connexion/second-facteur/activer/").url == "/connexion/"
    assert not logs_in(doctor.email, "Mauvais-Mot-de-passe-1!")
    # The administrator cannot get a password for it either.
    admin_client.post(reset_url(doctor), {"mode": "temporary", "expected_version": 2})
    assert fresh(doctor).check_password(PASSWORD)
    # The owner is told, at their own address.
    run_pending()
    (notice,) = mail.outbox
    assert notice.to == ["docteur@test.example"] and "second facteur" in notice.subject
    sent = AuditEvent.objects.get(action="account.owner_notified")
    assert sent.details == {"notice": "totp_reset"}


def test_the_owner_is_told_of_an_unlock_and_a_reactivation(world, admin, ehpad_director):
    nurse = world.user("infirmier", facility=world.ehpad, email="infirmiere@test.example")
    services_admin.unlock_user(as_actor(admin), fresh(nurse), CURRENT)
    services_admin.deactivate_user(as_actor(admin), fresh(nurse), CURRENT)
    reopened = services_admin.reactivate_user(as_actor(admin), fresh(nurse), CURRENT)
    run_pending()
    assert len(mail.outbox) == 1  # reopening waits for the director: no notice yet
    grants.approve(
        as_actor(ehpad_director),
        reopened.pending_request,
        expected_version=reopened.pending_request.version,
    )
    run_pending()
    assert [m.to for m in mail.outbox] == [["infirmiere@test.example"]] * 2
    assert "déverrouillé" in mail.outbox[0].subject
    assert "réactivé" in mail.outbox[1].subject
    notices = AuditEvent.objects.filter(action="account.owner_notified").order_by("seq")
    assert [e.details["notice"] for e in notices] == ["unlocked", "reactivated"]


# --------------------------------------------------------------------------- pages


def test_the_user_page_shows_the_pending_change_with_bounded_queries(
    world, admin, admin_client, doctor, django_assert_max_num_queries
):
    actor = as_actor(admin)
    for n in range(3):  # earlier requests and assignments do not add queries
        services_admin.update_user(actor, fresh(doctor), {"email": f"{n}@test.example"}, CURRENT)
        grants.cancel(actor, GrantRequest.objects.get(status="pending"), expected_version=CURRENT)
        world.assign(doctor, "medecin", facility=world.ime)
    services_admin.update_user(actor, fresh(doctor), {"email": "a@test.example"}, CURRENT)
    with django_assert_max_num_queries(11):
        body = admin_client.get(f"/professionnels/{doctor.pk}/").content.decode()
    assert "changement en attente d'approbation" in body and "a@test.example" in body
    grants.cancel(actor, GrantRequest.objects.get(status="pending"), expected_version=CURRENT)
    body = admin_client.get(f"/professionnels/{doctor.pk}/").content.decode()
    assert "Dernier changement d'adresse demandé" in body and "annulée" in body
    edit = admin_client.get(edit_url(doctor)).content.decode()
    assert "reçoit un avis de la demande" in edit


def test_the_grant_detail_of_a_login_email_change_has_bounded_queries(
    world, admin, doctor, ehpad_director, login, django_assert_max_num_queries
):
    for _ in range(5):
        world.assign(doctor, "medecin", facility=world.ehpad, unit=world.glycines)
    services_admin.update_user(as_actor(admin), fresh(doctor), {"email": "a@test.example"}, CURRENT)
    request = GrantRequest.objects.get()
    client = login(ehpad_director)
    with django_assert_max_num_queries(12):
        body = client.get(f"/habilitations/demandes/{request.pk}/").content.decode()
    assert body.count("unité Les Glycines") == 5


# --------------------------------------------------------------------------- mail servers


def test_notices_reach_a_real_smtp_server_on_loopback(world, admin, doctor, settings):
    from opendui.core.email_url import mailers_setting

    from .test_mail_smtp import Inbox, serve

    inbox = Inbox()
    controller = serve(inbox)
    try:
        settings.MAILERS = mailers_setting(f"smtp://127.0.0.1:{controller.port}", "/nonexistent")
        services_admin.update_user(
            as_actor(admin), fresh(doctor), {"email": "a@test.example"}, CURRENT
        )
        services_admin.reset_totp(as_actor(admin), fresh(doctor), CURRENT)
        assert run_pending() == 2
    finally:
        controller.stop()
    assert [recipients for recipients, _ in inbox.messages] == [["docteur@test.example"]] * 2
    subjects = sorted(str(message["Subject"]) for _, message in inbox.messages)
    assert "adresse de connexion" in subjects[0] and "second facteur" in subjects[1]


def test_notices_are_files_without_a_mail_server(world, admin, doctor, settings, tmp_path):
    from opendui.core.email_url import mailers_setting

    settings.MAILERS = mailers_setting("", str(tmp_path))
    services_admin.unlock_user(as_actor(admin), fresh(doctor), CURRENT)
    assert run_pending() == 1
    (written,) = list(tmp_path.iterdir())
    raw = written.read_text()
    message = email.message_from_string(raw.split("\n---------")[0])
    assert message["To"] == "docteur@test.example"
    body = message.get_payload(decode=True).decode()
    assert "Test ADMIN a déverrouillé votre compte OpenDUI" in body


def world_role(code: str):
    from opendui.accounts.models import Role

    return Role.objects.get(code=code)
