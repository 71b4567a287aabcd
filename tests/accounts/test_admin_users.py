"""Administration of professionals' accounts by the organisation administrator."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from opendui.accounts.models import Assignment, Role, User
from opendui.audit.models import AuditEvent

from .test_admin_support import (
    STRONG_PASSWORD,
    approve_pending,
    form_token,
    valid_rpps,
    wrong_key_rpps,
)


@pytest.fixture
def admin(world):
    return world.user("admin")


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


def new_user_data(world, token: str, **overrides) -> dict:
    data = {
        "form_token": token,
        "email": "Jeanne.Roux@Example.org",
        "first_name": "Jeanne",
        "last_name": "Roux",
        "profession": "SOC:51",
        "activity_role": "GENR10",
        "rpps": "",
        "adeli": "",
        "rpps_plus": "",
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "role": Role.objects.get(code="educateur").pk,
        "facility": world.ime.pk,
        "unit": "",
        "start_date": "2026-01-05",
        "end_date": "",
    }
    data.update(overrides)
    return data


def post_new_user(client, world, **overrides):
    token = form_token(client.get("/professionnels/nouveau/"))
    return client.post("/professionnels/nouveau/", new_user_data(world, token, **overrides))


# --------------------------------------------------------------------------- list


def test_list_shows_the_professionals_of_the_admins_organisation_only(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    stranger = world.user("educateur", facility=world.other, organisation=world.other_og)
    body = admin_client.get("/professionnels/").content.decode()
    assert educator.email in body
    assert stranger.email not in body
    assert "<caption>" in body and 'scope="col"' in body


def test_list_search_on_name_and_email(world, admin_client):
    User.objects.create_user("zoe.garnier@test.example", first_name="Zoé", last_name="Garnier")
    found = world.user("infirmier", facility=world.ehpad, email="paul.martel@test.example")
    User.objects.filter(pk=found.pk).update(last_name="Martel")
    other = world.user("infirmier", facility=world.ehpad, email="autre@test.example")
    body = admin_client.get("/professionnels/", {"q": "martel"}).content.decode()
    assert "paul.martel@test.example" in body and other.email not in body
    # Not assigned in the organisation: not listed, even when the name matches.
    assert (
        "zoe.garnier" not in admin_client.get("/professionnels/", {"q": "garnier"}).content.decode()
    )


def test_list_is_paginated_with_bounded_queries(
    world, admin_client, settings, django_assert_max_num_queries
):
    settings.PAGE_SIZE = 3
    for _ in range(7):
        world.user("educateur", facility=world.ime)
    first = admin_client.get("/professionnels/").content.decode()
    assert "Page suivante" in first
    with django_assert_max_num_queries(12):
        third = admin_client.get("/professionnels/", {"page": 3})
    assert third.status_code == 200
    assert "Page précédente" in third.content.decode()


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "path",
    [
        "/professionnels/",
        "/professionnels/nouveau/",
        "/professionnels/{pk}/",
        "/professionnels/{pk}/modifier/",
    ],
)
def test_an_educator_is_refused_and_the_refusal_is_audited(world, login, path):
    educator = world.user("educateur", facility=world.ime)
    client = login(educator)
    before = AuditEvent.objects.filter(action="access.denied").count()
    response = client.get(path.format(pk=educator.pk))
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").count() == before + 1


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/professionnels/{pk}/"),
        ("get", "/professionnels/{pk}/modifier/"),
        ("post", "/professionnels/{pk}/modifier/"),
        ("post", "/professionnels/{pk}/desactiver/"),
        ("post", "/professionnels/{pk}/deverrouiller/"),
        ("post", "/professionnels/{pk}/second-facteur/reinitialiser/"),
        ("get", "/professionnels/{pk}/affectations/nouvelle/"),
    ],
)
def test_the_admin_of_another_organisation_is_refused(world, client, login, method, path):
    educator = world.user("educateur", facility=world.ime)
    other_admin = world.user("admin", organisation=world.other_og)
    login(other_admin)
    response = getattr(client, method)(path.format(pk=educator.pk), {"first_name": "Pirate"})
    assert response.status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert denied.user_id == other_admin.pk
    assert denied.details["permission"] == "accounts.manage"
    educator.refresh_from_db()
    assert educator.first_name == "Test" and educator.is_active


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/professionnels/999999/"),
        ("get", "/professionnels/999999/modifier/"),
        ("post", "/professionnels/999999/desactiver/"),
        ("post", "/professionnels/999999/reactiver/"),
        ("post", "/professionnels/999999/deverrouiller/"),
        ("post", "/professionnels/999999/second-facteur/reinitialiser/"),
        ("get", "/professionnels/999999/affectations/nouvelle/"),
    ],
)
def test_unknown_professional_is_404(admin_client, method, path):
    assert getattr(admin_client, method)(path).status_code == 404


def test_account_actions_refuse_get(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    assert admin_client.get(f"/professionnels/{educator.pk}/desactiver/").status_code == 405


# --------------------------------------------------------------------------- creation


def test_create_professional_with_first_assignment_and_audit_without_secrets(
    world, admin_client, admin
):
    rpps = valid_rpps()
    response = post_new_user(admin_client, world, rpps=f"{rpps[:4]} {rpps[4:8]}.{rpps[8:]}")
    user = User.objects.get(email="jeanne.roux@example.org")
    assert response.status_code == 302
    assert response["Location"] == f"/professionnels/{user.pk}/"
    assert user.rpps == valid_rpps()  # typed with spaces, stored normalised
    assert user.activity_role == "GENR10"
    assert user.check_password(STRONG_PASSWORD)
    assignment = user.assignments.get()
    assert (assignment.role.code, assignment.organisation, assignment.facility) == (
        "educateur",
        world.og,
        world.ime,
    )
    created = AuditEvent.objects.get(action="user.create", object_id=str(user.pk))
    assert created.kind == "change" and created.user_id == admin.pk
    assert created.organisation_id == world.og.pk
    assert created.details["created"] is True
    assert created.details["changes"]["email"] == [None, "jeanne.roux@example.org"]
    dumped = json.dumps(created.details)
    assert "password" not in created.details["changes"] and user.password not in dumped
    assert "totp_secret" not in dumped and "totp_last_counter" not in dumped
    assert AuditEvent.objects.filter(
        action="assignment.create", object_id=str(assignment.pk)
    ).exists()
    follow = admin_client.get(response["Location"])
    assert "a été créé" in follow.content.decode()


def test_created_professional_can_log_in(world, admin_client, client):
    post_new_user(admin_client, world)
    client.post("/deconnexion/")
    response = client.post(
        "/connexion/", {"email": "jeanne.roux@example.org", "password": STRONG_PASSWORD}
    )
    assert response.status_code == 302 and "/connexion" not in response["Location"]


def test_invalid_rpps_key_is_a_field_error_and_nothing_is_saved(world, admin_client):
    users, events = User.objects.count(), AuditEvent.objects.filter(kind="change").count()
    response = post_new_user(admin_client, world, rpps=wrong_key_rpps())
    assert response.status_code == 200
    assert "clé du numéro RPPS est incorrecte" in response.context["form"].errors["rpps"][0]
    assert "clé du numéro RPPS est incorrecte" in response.content.decode()
    assert User.objects.count() == users
    assert AuditEvent.objects.filter(kind="change").count() == events


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("rpps", "12345", "11 chiffres"),
        ("rpps_plus", wrong_key_rpps("2000000002"), "clé du numéro RPPS"),
        ("adeli", "7512", "ADELI comporte 9 caractères"),
        ("activity_role", "GENR99", "Sélectionnez un choix valide"),
        ("email", "pas-une-adresse", "adresse de courriel valide"),
        ("password1", "court", "au moins 12 caractères"),
        ("password2", "Autre-Mot-De-Passe-99!", "ne sont pas identiques"),
        ("unit", "lilas", "L'unité doit appartenir à l'établissement choisi"),
        ("end_date", "2025-01-01", "ne peut précéder son début"),
    ],
)
def test_creation_errors_are_in_french_on_their_field(world, admin_client, field, value, message):
    if field == "unit":
        value = world.lilas.pk  # a unit of the EHPAD, with the IME chosen
    users = User.objects.count()
    response = post_new_user(admin_client, world, **{field: value})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert User.objects.count() == users


def test_password_similar_to_the_name_is_refused(world, admin_client):
    response = post_new_user(
        admin_client,
        world,
        password1="Jeanne.Roux@Example.org1",
        password2="Jeanne.Roux@Example.org1",
    )
    assert response.context["form"].errors["password1"]


def test_rpps_already_used_is_refused(world, admin_client):
    world.user("medecin", facility=world.ehpad, email="doc@test.example")
    User.objects.filter(email="doc@test.example").update(rpps=valid_rpps())
    response = post_new_user(admin_client, world, rpps=valid_rpps())
    assert "déjà attribué" in response.context["form"].errors["rpps"][0]


def test_existing_email_is_refused(world, admin_client):
    world.user("educateur", facility=world.ime, email="jeanne.roux@example.org")
    response = post_new_user(admin_client, world)
    assert response.context["form"].errors["email"]
    assert User.objects.filter(email="jeanne.roux@example.org").count() == 1


def test_facility_of_another_organisation_is_not_a_choice(world, admin_client):
    response = post_new_user(admin_client, world, facility=world.other.pk)
    assert response.context["form"].errors["facility"]
    assert not User.objects.filter(email="jeanne.roux@example.org").exists()


def test_double_submission_creates_one_professional(world, admin_client):
    token = form_token(admin_client.get("/professionnels/nouveau/"))
    data = new_user_data(world, token)
    first = admin_client.post("/professionnels/nouveau/", data)
    second = admin_client.post("/professionnels/nouveau/", data)
    assert first.status_code == 302 and second.status_code == 302
    assert User.objects.filter(email="jeanne.roux@example.org").count() == 1
    assert AuditEvent.objects.filter(action="user.create").count() == 1
    assert "déjà été envoyé" in admin_client.get(second["Location"]).content.decode()


def test_post_without_form_token_creates_nothing(world, admin_client):
    data = new_user_data(world, "")
    admin_client.post("/professionnels/nouveau/", data)
    assert not User.objects.filter(email="jeanne.roux@example.org").exists()


def test_form_pages_render_in_french(world, admin_client):
    body = admin_client.get("/professionnels/nouveau/").content.decode()
    assert "Créer un professionnel" in body
    assert "<legend>Première affectation</legend>" in body
    assert "GENR08" not in body or "Coordination et orientation" in body
    assert 'type="password"' in body


# --------------------------------------------------------------------------- detail and edit


def test_detail_lists_assignments_with_scope_and_dates(world, admin_client):
    nurse = world.user("infirmier", facility=world.ehpad, unit=world.glycines)
    Assignment.objects.create(
        user=nurse,
        role=Role.objects.get(code="educateur"),
        organisation=world.og,
        start_date=dt.date(2019, 1, 1),
        end_date=dt.date(2019, 12, 31),
    )
    body = admin_client.get(f"/professionnels/{nurse.pk}/").content.decode()
    assert "Unité Les Glycines (EHPAD Les Tilleuls)" in body
    assert "Tout l'organisme Association Test" in body
    assert "31/12/2019" in body and "terminée" in body


def edit_data(user, **overrides) -> dict:
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


def test_edit_professional_is_audited(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    response = admin_client.post(
        f"/professionnels/{educator.pk}/modifier/",
        edit_data(educator, last_name="Moreau", adeli="75-123 4567"),
    )
    assert response.status_code == 302
    educator.refresh_from_db()
    assert (educator.last_name, educator.adeli, educator.version) == ("Moreau", "751234567", 2)
    event = AuditEvent.objects.get(action="user.update", object_id=str(educator.pk))
    assert event.details["changes"]["last_name"] == ["educateur", "Moreau"]
    assert "password" not in json.dumps(event.details)


def test_edit_with_stale_version_changes_nothing(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    stale = edit_data(educator, last_name="Moreau")
    User.objects.filter(pk=educator.pk).update(version=2, first_name="Autre")
    response = admin_client.post(f"/professionnels/{educator.pk}/modifier/", stale)
    assert response.status_code == 409
    assert "a été modifié par quelqu" in response.content.decode()
    educator.refresh_from_db()
    assert (educator.last_name, educator.first_name) == ("educateur", "Autre")
    assert not AuditEvent.objects.filter(action="user.update").exists()


def test_edit_with_invalid_rpps_is_a_field_error(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    response = admin_client.post(
        f"/professionnels/{educator.pk}/modifier/", edit_data(educator, rpps=wrong_key_rpps())
    )
    assert "clé du numéro RPPS" in response.context["form"].errors["rpps"][0]
    educator.refresh_from_db()
    assert educator.rpps == ""


def test_account_shared_with_another_organisation_is_visible_but_not_editable(world, admin_client):
    shared = world.user("educateur", facility=world.ime)
    world.assign(shared, "educateur", facility=world.other)
    page = admin_client.get(f"/professionnels/{shared.pk}/")
    assert page.status_code == 200
    assert "EHPAD Ailleurs" not in page.content.decode()  # the other OG's assignment
    assert admin_client.get(f"/professionnels/{shared.pk}/modifier/").status_code == 403
    response = admin_client.post(
        f"/professionnels/{shared.pk}/desactiver/", {"expected_version": shared.version}
    )
    assert response.status_code == 403
    shared.refresh_from_db()
    assert shared.is_active


# --------------------------------------------------------------------------- account actions


def test_deactivate_never_deletes_and_cuts_the_session(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    other = Client()
    other.post("/connexion/", {"email": educator.email, "password": "Test-Password-2026!"})
    assert other.get("/personnes/").status_code == 200
    response = admin_client.post(
        f"/professionnels/{educator.pk}/desactiver/", {"expected_version": educator.version}
    )
    assert response.status_code == 302
    educator.refresh_from_db()
    assert not educator.is_active
    assert AuditEvent.objects.get(action="user.deactivate").details["changes"]["is_active"] == [
        True,
        False,
    ]
    assert other.get("/personnes/").status_code == 302  # back to the login page
    # Reactivation is possible: the account was kept. Its educator role opens persons'
    # data, so the account reopens once the director approves.
    admin_client.post(
        f"/professionnels/{educator.pk}/reactiver/", {"expected_version": educator.version}
    )
    educator.refresh_from_db()
    assert not educator.is_active
    approve_pending(world)
    educator.refresh_from_db()
    assert educator.is_active


def test_admin_cannot_deactivate_themselves(admin_client, admin):
    response = admin_client.post(
        f"/professionnels/{admin.pk}/desactiver/", {"expected_version": admin.version}
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.is_active
    assert "propre compte" in admin_client.get(response["Location"]).content.decode()


def test_deactivate_with_stale_version_changes_nothing(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    User.objects.filter(pk=educator.pk).update(version=5)
    response = admin_client.post(
        f"/professionnels/{educator.pk}/desactiver/", {"expected_version": 1}
    )
    educator.refresh_from_db()
    assert educator.is_active
    assert "a été modifié par quelqu" in admin_client.get(response["Location"]).content.decode()


def test_unlock_a_locked_account(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    User.objects.filter(pk=educator.pk).update(
        locked_until=timezone.now() + dt.timedelta(minutes=15), failed_logins=3
    )
    assert "verrouillé" in admin_client.get(f"/professionnels/{educator.pk}/").content.decode()
    admin_client.post(f"/professionnels/{educator.pk}/deverrouiller/", {"expected_version": 1})
    educator.refresh_from_db()
    assert educator.locked_until is None and educator.failed_logins == 0
    assert AuditEvent.objects.filter(action="user.unlock", object_id=str(educator.pk)).exists()


def test_reset_totp_clears_the_second_factor_without_logging_it(world, admin_client):
    nurse = world.user("infirmier", facility=world.ehpad)
    User.objects.filter(pk=nurse.pk).update(
        totp_secret="JBSWY3DPEHPK3PXP", totp_confirmed_at=timezone.now(), totp_last_counter=42
    )
    page = admin_client.get(f"/professionnels/{nurse.pk}/").content.decode()
    assert "Réinitialiser le second facteur" in page
    admin_client.post(
        f"/professionnels/{nurse.pk}/second-facteur/reinitialiser/", {"expected_version": 1}
    )
    nurse.refresh_from_db()
    assert (nurse.totp_secret, nurse.totp_confirmed_at, nurse.totp_last_counter) == ("", None, 0)
    event = AuditEvent.objects.get(action="user.reset_totp")
    dumped = json.dumps(event.details)
    assert "JBSWY3DPEHPK3PXP" not in dumped and "totp_secret" not in dumped
    assert "totp_confirmed_at" in event.details["changes"]


def test_account_without_any_assignment_is_refused_to_every_admin(world, admin_client, admin):
    orphan = User.objects.create_user("orphelin@test.example", first_name="Sans", last_name="Lien")
    response = admin_client.get(f"/professionnels/{orphan.pk}/")
    assert response.status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert (denied.user_id, denied.object_id) == (admin.pk, str(orphan.pk))


def test_uppercase_email_is_stored_lower_case_and_found_by_search(world, admin_client):
    post_new_user(admin_client, world, email="Claire.DUVAL@Example.ORG")
    assert User.objects.filter(email="claire.duval@example.org").exists()
    body = admin_client.get("/professionnels/", {"q": "DUVAL"}).content.decode()
    assert "claire.duval@example.org" in body
