"""Creating, renaming and deactivating units (never deleting them)."""

from __future__ import annotations

from django.urls import reverse

from opendui.audit.models import AuditEvent, EventKind
from opendui.organisations.models import Unit

from .helpers import UNIT_FIELDS, edit_data, form_token


def change_count() -> int:
    return AuditEvent.objects.filter(kind=EventKind.CHANGE).count()


def create_url(world):
    return reverse("organisations:unit_create", args=[world.ehpad.pk])


def test_creation_saves_audits_and_returns_to_the_facility(world, admin_client):
    url = create_url(world)
    response = admin_client.post(
        url, {"name": "  Les   Roses ", "form_token": form_token(admin_client, url)}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:facility_detail", args=[world.ehpad.pk])
    unit = Unit.objects.get(facility=world.ehpad, name="Les Roses")
    event = AuditEvent.objects.get(action="unit.create")
    assert event.object_id == str(unit.pk)
    assert event.facility_id == world.ehpad.pk
    assert event.details["changes"]["name"] == [None, "Les Roses"]
    assert (
        "L&#x27;unité « Les Roses » est créée."
        in admin_client.get(response["Location"]).content.decode()
    )


def test_facility_cannot_be_chosen_through_the_form(world, admin_client):
    url = create_url(world)
    admin_client.post(
        url,
        {
            "name": "Les Roses",
            "facility": world.other.pk,
            "form_token": form_token(admin_client, url),
        },
    )
    assert Unit.objects.get(name="Les Roses").facility == world.ehpad


def test_duplicate_name_in_the_facility_is_a_field_error(world, admin_client):
    url = create_url(world)
    count, changes = Unit.objects.count(), change_count()
    response = admin_client.post(
        url, {"name": "les glycines", "form_token": form_token(admin_client, url)}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        "Une unité porte déjà ce nom dans cet établissement."
    ]
    assert Unit.objects.count() == count
    assert change_count() == changes


def test_same_name_in_another_facility_is_fine(world, admin_client):
    url = reverse("organisations:unit_create", args=[world.ime.pk])
    response = admin_client.post(
        url, {"name": "Les Glycines", "form_token": form_token(admin_client, url)}
    )
    assert response.status_code == 302
    assert Unit.objects.filter(name="Les Glycines").count() == 2


def test_empty_name_is_refused(world, admin_client):
    url = create_url(world)
    response = admin_client.post(url, {"name": "", "form_token": form_token(admin_client, url)})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["Ce champ est obligatoire."]


def test_double_submission_creates_one_unit(world, admin_client):
    url = create_url(world)
    token = form_token(admin_client, url)
    first = admin_client.post(url, {"name": "Les Roses", "form_token": token})
    second = admin_client.post(url, {"name": "Les Roses", "form_token": token})
    assert first.status_code == second.status_code == 302
    assert Unit.objects.filter(name="Les Roses").count() == 1
    page = admin_client.get(second["Location"]).content.decode()
    assert "Ce formulaire a déjà été envoyé." in page


def edit_url(unit):
    return reverse("organisations:unit_edit", args=[unit.pk])


def test_rename_is_audited(world, admin_client):
    response = admin_client.post(
        edit_url(world.lilas), edit_data(world.lilas, UNIT_FIELDS, name="Les Lilas blancs")
    )
    assert response.status_code == 302
    world.lilas.refresh_from_db()
    assert world.lilas.name == "Les Lilas blancs"
    event = AuditEvent.objects.get(action="unit.update")
    assert event.details["changes"]["name"] == ["Les Lilas", "Les Lilas blancs"]


def test_renaming_to_a_sibling_name_is_refused(world, admin_client):
    response = admin_client.post(
        edit_url(world.lilas), edit_data(world.lilas, UNIT_FIELDS, name="Les Glycines")
    )
    assert response.status_code == 200
    assert "déjà ce nom" in response.context["form"].errors["name"][0]


def test_deactivation_keeps_the_unit(world, admin_client):
    unit = Unit.objects.create(facility=world.ehpad, name="Les Roses")
    response = admin_client.post(edit_url(unit), edit_data(unit, UNIT_FIELDS, is_active=None))
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.is_active is False
    event = AuditEvent.objects.get(action="unit.update")
    assert event.details["changes"]["is_active"] == [True, False]
    detail = admin_client.get(response["Location"]).content.decode()
    assert "L&#x27;unité « Les Roses » est désactivée." in detail
    assert "Inactive" in detail


def test_deactivating_a_unit_with_current_stays_is_refused(world, admin_client):
    changes = change_count()
    response = admin_client.post(
        edit_url(world.glycines), edit_data(world.glycines, UNIT_FIELDS, is_active=None)
    )
    assert response.status_code == 200
    assert "accueille encore 1 personne(s)" in response.context["form"].errors["is_active"][0]
    world.glycines.refresh_from_db()
    assert world.glycines.is_active
    assert change_count() == changes


def test_edit_with_a_stale_version_changes_nothing(world, admin_client):
    data = edit_data(world.lilas, UNIT_FIELDS, name="Les Lilas mauves")
    Unit.objects.filter(pk=world.lilas.pk).update(version=2, name="Les Lilas roses")
    response = admin_client.post(edit_url(world.lilas), data)
    assert response.status_code == 409
    assert "modifié par quelqu&#x27;un d&#x27;autre" in response.content.decode()
    world.lilas.refresh_from_db()
    assert world.lilas.name == "Les Lilas roses"
