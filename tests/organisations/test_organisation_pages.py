"""Creating and editing the organisme gestionnaire; the administration home page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opendui.accounts.models import Assignment
from opendui.audit.models import AuditEvent, EventKind
from opendui.organisations.models import Couloir, Facility, ManagingOrganisation, Unit

from ..conftest import valid_finess, valid_siret
from .helpers import ORGANISATION_FIELDS, edit_data, form_token, organisation_data

CREATE_URL = reverse("organisations:og_create")
HOME_URL = reverse("organisations:admin_home")


def change_count() -> int:
    return AuditEvent.objects.filter(kind=EventKind.CHANGE).count()


def post_create(client, **overrides):
    return client.post(
        CREATE_URL, organisation_data(form_token=form_token(client, CREATE_URL), **overrides)
    )


def test_creation_makes_the_creator_administrator_of_the_new_organisation(
    world, admin, admin_client
):
    response = post_create(admin_client)
    assert response.status_code == 302
    assert response["Location"] == HOME_URL
    organisation = ManagingOrganisation.objects.get(finess_ej=valid_finess("13000042"))
    assignment = Assignment.objects.get(user=admin, organisation=organisation)
    assert assignment.role.code == "admin"
    assert assignment.facility_id is None and assignment.end_date is None
    created = AuditEvent.objects.get(action="organisation.create")
    assert created.organisation_id == organisation.pk
    assert created.details["changes"]["finess_ej"] == [None, organisation.finess_ej]
    assert AuditEvent.objects.get(action="assignment.create").organisation_id == organisation.pk
    # The new organisation is manageable right away.
    home = admin_client.get(HOME_URL).content.decode()
    assert "Association Les Chemins" in home and "Association Test" in home
    edit = reverse("organisations:og_edit", args=[organisation.pk])
    assert admin_client.get(edit).status_code == 200


def test_only_the_creator_is_assigned_to_the_new_organisation(world, admin, admin_client):
    colleague = world.user("admin")  # administrator of world.og too
    post_create(admin_client)
    organisation = ManagingOrganisation.objects.get(finess_ej=valid_finess("13000042"))
    assert Assignment.objects.filter(organisation=organisation).count() == 1
    assert not Assignment.objects.filter(organisation=organisation, user=colleague).exists()
    assert Assignment.objects.filter(organisation=organisation, user=admin).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("finess_ej", "130000421", "La clé du numéro FINESS est incorrecte"),
        ("finess_ej", "1300", "Un numéro FINESS comporte 9 caractères."),
        ("siret", "42000004200011", "La clé du numéro SIRET est incorrecte"),
        ("siret", "4200000420001A", "Un numéro SIRET comporte exactement 14 chiffres."),
        ("name", "", "Ce champ est obligatoire."),
        ("legal_status", "sarl", "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_gets_a_field_error_and_saves_nothing(admin_client, field, value, message):
    organisations, assignments, changes = (
        ManagingOrganisation.objects.count(),
        Assignment.objects.count(),
        change_count(),
    )
    response = post_create(admin_client, **{field: value})
    assert response.status_code == 200
    assert any(message in e for e in response.context["form"].errors[field])
    assert ManagingOrganisation.objects.count() == organisations
    assert Assignment.objects.count() == assignments
    assert change_count() == changes


def test_duplicate_finess_ej_is_a_field_error(world, admin_client):
    response = post_create(admin_client, finess_ej=world.other_og.finess_ej)
    assert response.status_code == 200
    assert response.context["form"].errors["finess_ej"] == [
        "Ce numéro FINESS juridique est déjà enregistré pour un autre organisme."
    ]


def test_double_submission_creates_one_organisation(admin_client):
    token = form_token(admin_client, CREATE_URL)
    first = admin_client.post(CREATE_URL, organisation_data(form_token=token))
    second = admin_client.post(CREATE_URL, organisation_data(form_token=token))
    assert first.status_code == second.status_code == 302
    assert ManagingOrganisation.objects.filter(name="Association Les Chemins").count() == 1
    assert AuditEvent.objects.filter(action="organisation.create").count() == 1
    assert "Ce formulaire a déjà été envoyé." in admin_client.get(HOME_URL).content.decode()


def test_edit_saves_audits_and_confirms(world, admin_client):
    url = reverse("organisations:og_edit", args=[world.og.pk])
    siret = valid_siret("7750000010001")
    response = admin_client.post(
        url, edit_data(world.og, ORGANISATION_FIELDS, siret=siret, city="Paris")
    )
    assert response.status_code == 302
    world.og.refresh_from_db()
    assert (world.og.siret, world.og.city, world.og.version) == (siret, "Paris", 2)
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.details["changes"]["city"] == ["", "Paris"]
    assert event.organisation_id == world.og.pk
    assert "est enregistré" in admin_client.get(HOME_URL).content.decode()


def test_edit_with_a_stale_version_changes_nothing(world, admin_client):
    url = reverse("organisations:og_edit", args=[world.og.pk])
    data = edit_data(world.og, ORGANISATION_FIELDS, name="Nom de l'utilisateur")
    ManagingOrganisation.objects.filter(pk=world.og.pk).update(version=5, name="Nom du collègue")
    changes = change_count()
    response = admin_client.post(url, data)
    assert response.status_code == 409
    assert "Rien n&#x27;a été enregistré" in response.content.decode()
    world.og.refresh_from_db()
    assert world.og.name == "Nom du collègue"
    assert change_count() == changes


def test_edit_with_an_invalid_siret_changes_nothing(world, admin_client):
    url = reverse("organisations:og_edit", args=[world.og.pk])
    response = admin_client.post(url, edit_data(world.og, ORGANISATION_FIELDS, siret="123"))
    assert response.status_code == 200
    assert response.context["form"].errors["siret"] == [
        "Un numéro SIRET comporte exactement 14 chiffres."
    ]
    world.og.refresh_from_db()
    assert world.og.version == 1


# --- home ---------------------------------------------------------------------------------


def test_home_links_to_every_page(world, admin_client):
    body = admin_client.get(HOME_URL).content.decode()
    for name, args in [
        ("og_create", []),
        ("og_edit", [world.og.pk]),
        ("facility_create", [world.og.pk]),
        ("facility_detail", [world.ehpad.pk]),
        ("facility_edit", [world.ehpad.pk]),
        ("facility_detail", [world.ime.pk]),
    ]:
        assert f'href="{reverse(f"organisations:{name}", args=args)}"' in body
    assert "<caption>Établissements et services de Association Test</caption>" in body
    assert '<th scope="col">FINESS géographique</th>' in body


def test_home_query_count_does_not_grow_with_facilities_and_units(world, admin_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(HOME_URL).status_code == 200
        return len(captured)

    before = queries()
    for n in range(10):
        facility = Facility.objects.create(
            organisation=world.og,
            name=f"SAAD {n}",
            finess_et=valid_finess(f"750001{n:02d}"),
            category_id="460",
            couloir=Couloir.DOM,
            capacity_service=10,
        )
        Unit.objects.create(facility=facility, name="Secteur nord")
    assert queries() == before


def test_detail_query_count_does_not_grow_with_units(world, admin_client):
    url = reverse("organisations:facility_detail", args=[world.ehpad.pk])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    before = queries()
    for n in range(10):
        Unit.objects.create(facility=world.ehpad, name=f"Unité {n}")
    assert queries() == before
