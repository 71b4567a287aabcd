"""Creating and editing facilities (ESSMS): validation, audit, concurrency, double submission."""

from __future__ import annotations

import pytest
from django.urls import reverse

from opendui.audit.models import AuditEvent, EventKind
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError, save_audited
from opendui.organisations.models import Couloir, Facility

from ..conftest import valid_finess, valid_siret
from .helpers import FACILITY_FIELDS, edit_data, facility_data, form_token


def change_count() -> int:
    return AuditEvent.objects.filter(kind=EventKind.CHANGE).count()


@pytest.fixture
def create_url(world):
    return reverse("organisations:facility_create", args=[world.og.pk])


def post_create(client, url, **overrides):
    return client.post(url, facility_data(form_token=form_token(client, url), **overrides))


def test_valid_creation_saves_audits_and_redirects(world, admin, admin_client, create_url):
    response = post_create(admin_client, create_url)
    facility = Facility.objects.get(finess_et=valid_finess("75000050"))
    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:facility_detail", args=[facility.pk])
    assert facility.organisation == world.og
    assert facility.capacity_permanent == 42
    event = AuditEvent.objects.get(action="facility.create")
    assert event.kind == EventKind.CHANGE
    assert event.user_id == admin.pk
    assert event.organisation_id == world.og.pk
    assert event.object_id == str(facility.pk)
    assert event.details["created"] is True
    assert event.details["changes"]["finess_et"] == [None, facility.finess_et]
    page = admin_client.get(response["Location"])
    assert "L&#x27;établissement « MAS Le Verger » est créé." in page.content.decode()


def test_couloir_left_empty_follows_the_category(admin_client, create_url):
    post_create(admin_client, create_url, category="354", couloir="")
    facility = Facility.objects.get(finess_et=valid_finess("75000050"))
    assert facility.couloir == Couloir.DOM


def test_couloir_chosen_by_the_user_is_kept(admin_client, create_url):
    post_create(admin_client, create_url, category="354", couloir="PH")
    assert Facility.objects.get(finess_et=valid_finess("75000050")).couloir == Couloir.PH


def test_identifiers_typed_with_spaces_and_dots_are_normalised(admin_client, create_url):
    finess, siret = valid_finess("75000050"), valid_siret("7750000010050")
    response = post_create(
        admin_client,
        create_url,
        finess_et=f" {finess[:2]} {finess[2:5]} {finess[5:]}",
        siret=f"{siret[:3]}.{siret[3:6]}.{siret[6:9]} {siret[9:]}",
    )
    assert response.status_code == 302
    facility = Facility.objects.get(finess_et=finess)
    assert facility.siret == siret


BAD_INPUTS = [
    ("finess_et", "750000501", "La clé du numéro FINESS est incorrecte"),
    ("finess_et", "75000050", "Un numéro FINESS comporte 9 caractères."),
    ("finess_et", "75A000501", "Un numéro FINESS ne contient que des chiffres"),
    ("siret", "77500000100501", "La clé du numéro SIRET est incorrecte"),
    ("siret", "7750000010050", "Un numéro SIRET comporte exactement 14 chiffres."),
    ("mssante_address", "accueil@gmail.com", "Une adresse MSSanté se termine par"),
    ("capacity_permanent", "-3", "Une capacité ne peut pas être négative."),
    ("postal_code", "7501", "Un code postal comporte 5 chiffres"),
    ("category", "159", "Sélectionnez un choix valide"),  # closed in the nomenclature
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUTS)
def test_bad_input_gets_a_french_field_error_and_saves_nothing(
    admin_client, create_url, field, value, message
):
    facilities, changes = Facility.objects.count(), change_count()
    response = post_create(admin_client, create_url, **{field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in error for error in errors[field]), errors
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert Facility.objects.count() == facilities
    assert change_count() == changes


def test_finess_key_error_is_tied_to_its_field(admin_client, create_url):
    response = post_create(admin_client, create_url, finess_et="750000501")
    body = response.content.decode()
    assert 'id="id_finess_et_error"' in body
    assert 'aria-invalid="true"' in body


def test_an_active_facility_needs_some_capacity(admin_client, create_url):
    count = Facility.objects.count()
    response = post_create(admin_client, create_url, capacity_permanent="0", capacity_temporary="0")
    assert response.status_code == 200
    assert "au moins une capacité" in response.context["form"].errors["capacity_permanent"][0]
    assert Facility.objects.count() == count


def test_duplicate_finess_is_a_field_error(world, admin_client, create_url):
    count, changes = Facility.objects.count(), change_count()
    # Even a facility of another organisation: FINESS numbers are national.
    response = post_create(admin_client, create_url, finess_et=world.other.finess_et)
    assert response.status_code == 200
    assert response.context["form"].errors["finess_et"] == [
        "Ce numéro FINESS géographique est déjà enregistré pour un autre établissement."
    ]
    assert Facility.objects.count() == count
    assert change_count() == changes


def test_invalid_submission_keeps_its_token_so_the_corrected_form_goes_through(
    admin_client, create_url
):
    token = form_token(admin_client, create_url)
    first = admin_client.post(create_url, facility_data(form_token=token, finess_et="123"))
    assert first.status_code == 200
    assert first.context["form_token"] == token
    second = admin_client.post(create_url, facility_data(form_token=token))
    assert second.status_code == 302
    assert Facility.objects.filter(finess_et=valid_finess("75000050")).count() == 1


def test_double_submission_creates_one_facility(admin_client, create_url):
    token = form_token(admin_client, create_url)
    first = admin_client.post(create_url, facility_data(form_token=token))
    second = admin_client.post(create_url, facility_data(form_token=token))
    assert first.status_code == 302
    assert second.status_code == 302
    assert second["Location"] == reverse("organisations:admin_home")
    assert Facility.objects.filter(name="MAS Le Verger").count() == 1
    assert AuditEvent.objects.filter(action="facility.create").count() == 1
    page = admin_client.get(second["Location"]).content.decode()
    assert "Ce formulaire a déjà été envoyé." in page


def test_creation_without_token_is_refused(admin_client, create_url):
    response = admin_client.post(create_url, facility_data())
    assert response.status_code == 302
    assert not Facility.objects.filter(name="MAS Le Verger").exists()


def test_organisation_cannot_be_chosen_through_the_form(world, admin_client, create_url):
    post_create(admin_client, create_url, organisation=str(world.other_og.pk))
    assert Facility.objects.get(name="MAS Le Verger").organisation == world.og


def test_category_choices_show_code_short_label_and_label(admin_client, create_url):
    body = admin_client.get(create_url).content.decode()
    assert (
        ">500 – EHPAD – Etablissement d&#x27;hébergement pour personnes âgées dépendantes<" in body
    )
    assert 'value="159"' not in body  # closed in the nomenclature


# --- edit ----------------------------------------------------------------------------------


def edit_url(facility):
    return reverse("organisations:facility_edit", args=[facility.pk])


def test_edit_saves_and_audits_the_change(world, admin_client):
    response = admin_client.post(
        edit_url(world.ehpad),
        edit_data(world.ehpad, FACILITY_FIELDS, name="EHPAD Les Grands Tilleuls"),
    )
    assert response.status_code == 302
    world.ehpad.refresh_from_db()
    assert world.ehpad.name == "EHPAD Les Grands Tilleuls"
    assert world.ehpad.version == 2
    event = AuditEvent.objects.get(action="facility.update")
    assert event.details["changes"]["name"] == ["EHPAD Les Tilleuls", "EHPAD Les Grands Tilleuls"]
    assert event.facility_id == world.ehpad.pk
    assert event.organisation_id == world.og.pk


def test_edit_with_a_stale_version_changes_nothing(world, admin_client):
    loaded = edit_data(world.ehpad, FACILITY_FIELDS, name="Version de l'utilisateur")
    # Someone else saves in between.
    world.ehpad.capacity_permanent = 82
    save_audited(Actor.system("test"), world.ehpad, "facility.update", expected_version=1)
    changes = change_count()
    response = admin_client.post(edit_url(world.ehpad), loaded)
    assert response.status_code == 409
    assert ConcurrentEditError.message in response.context["form"].non_field_errors()
    assert "modifié par quelqu&#x27;un d&#x27;autre" in response.content.decode()
    world.ehpad.refresh_from_db()
    assert world.ehpad.name == "EHPAD Les Tilleuls"
    assert world.ehpad.capacity_permanent == 82
    assert change_count() == changes


def test_edit_with_an_invalid_finess_changes_nothing(world, admin_client):
    response = admin_client.post(
        edit_url(world.ehpad), edit_data(world.ehpad, FACILITY_FIELDS, finess_et="750000029")
    )
    assert response.status_code == 200
    assert (
        "La clé du numéro FINESS est incorrecte" in response.context["form"].errors["finess_et"][0]
    )
    world.ehpad.refresh_from_db()
    assert world.ehpad.finess_et == valid_finess("75000002")
    assert world.ehpad.version == 1


def test_edit_to_a_finess_already_used_is_a_field_error(world, admin_client):
    response = admin_client.post(
        edit_url(world.ehpad),
        edit_data(world.ehpad, FACILITY_FIELDS, finess_et=world.ime.finess_et),
    )
    assert response.status_code == 200
    assert "déjà enregistré" in response.context["form"].errors["finess_et"][0]


def test_closing_a_facility_with_current_stays_is_refused(world, admin_client):
    response = admin_client.post(
        edit_url(world.ehpad), edit_data(world.ehpad, FACILITY_FIELDS, is_active=None)
    )
    assert response.status_code == 200
    assert "accompagne encore 2 personne(s)" in response.context["form"].errors["is_active"][0]
    world.ehpad.refresh_from_db()
    assert world.ehpad.is_active


def test_closing_an_empty_facility_keeps_the_row(world, admin_client):
    facility = Facility.objects.create(
        organisation=world.og,
        name="SSIAD fermé",
        finess_et=valid_finess("75000060"),
        category_id="354",
        couloir=Couloir.DOM,
        capacity_service=30,
    )
    response = admin_client.post(
        edit_url(facility),
        edit_data(facility, FACILITY_FIELDS, is_active=None, capacity_service="0"),
    )
    assert response.status_code == 302
    facility.refresh_from_db()
    assert not facility.is_active
    assert facility.capacity_service == 0
    detail = admin_client.get(response["Location"]).content.decode()
    assert "Fermé" in detail


def test_edit_of_a_facility_in_a_closed_category_asks_for_the_current_one(world, admin_client):
    Facility.objects.filter(pk=world.ime.pk).update(category_id="159")
    world.ime.refresh_from_db()
    body = admin_client.get(edit_url(world.ime)).content.decode()
    assert "est fermée dans la nomenclature FINESS" in body
    response = admin_client.post(edit_url(world.ime), edit_data(world.ime, FACILITY_FIELDS))
    assert response.status_code == 200
    assert "category" in response.context["form"].errors


# --- detail ---------------------------------------------------------------------------------


def test_detail_shows_category_couloir_capacities_and_units(world, admin_client):
    world.lilas.is_active = False
    world.lilas.save()
    body = admin_client.get(
        reverse("organisations:facility_detail", args=[world.ehpad.pk])
    ).content.decode()
    assert "500 – EHPAD" in body
    assert "Personnes âgées" in body
    assert "<caption>Capacités autorisées de EHPAD Les Tilleuls</caption>" in body
    assert '<th scope="row">Hébergement permanent</th><td>80</td>' in body
    assert "<caption>Unités de EHPAD Les Tilleuls</caption>" in body
    assert '<th scope="row">Les Glycines</th>\n        <td>Active</td>' in body
    assert '<th scope="row">Les Lilas</th>\n        <td><span class="badge">Inactive</span>' in body
    assert reverse("organisations:unit_create", args=[world.ehpad.pk]) in body
    assert reverse("organisations:unit_edit", args=[world.glycines.pk]) in body
    assert reverse("organisations:facility_edit", args=[world.ehpad.pk]) in body


def test_detail_never_shows_persons(world, admin_client):
    body = admin_client.get(
        reverse("organisations:facility_detail", args=[world.ehpad.pk])
    ).content.decode()
    assert "MARTIN" not in body and "Anne" not in body
