"""Assignments: a role in a whole organisation, a facility or a unit, for a period."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opendui.accounts.access import check
from opendui.accounts.models import Assignment, Role, User
from opendui.audit.models import AuditEvent

from .test_admin_support import approve_pending, form_token


@pytest.fixture
def admin(world):
    return world.user("admin")


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


def fresh(user: User) -> User:
    """The user as the next request loads it (grants are computed per request)."""
    return User.objects.get(pk=user.pk)


def post_assignment(client, user, **overrides):
    url = f"/professionnels/{user.pk}/affectations/nouvelle/"
    data = {
        "form_token": form_token(client.get(url)),
        "role": Role.objects.get(code="educateur").pk,
        "facility": "",
        "unit": "",
        "start_date": "2024-09-01",
        "end_date": "",
    }
    data.update(overrides)
    return client.post(url, data)


def test_adding_an_assignment_grants_access_in_its_scope(world, admin_client):
    educator = world.user("educateur", facility=world.ehpad, unit=world.glycines)
    assert not check(fresh(educator), "person.view_identity", person=world.chloe)
    response = post_assignment(admin_client, educator, facility=world.ime.pk)
    assert response.status_code == 302
    assert response["Location"] == f"/professionnels/{educator.pk}/"
    # The educator role opens persons' data: nothing until the director approves.
    assert not check(fresh(educator), "person.view_identity", person=world.chloe)
    approve_pending(world)
    assert check(fresh(educator), "person.view_identity", person=world.chloe)
    added = educator.assignments.get(facility=world.ime)
    assert added.organisation == world.og and added.start_date == dt.date(2024, 9, 1)
    event = AuditEvent.objects.get(action="assignment.create", object_id=str(added.pk))
    assert event.organisation_id == world.og.pk
    assert event.details["changes"]["facility_id"] == [None, world.ime.pk]


def test_unit_only_gives_its_facility(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    post_assignment(admin_client, educator, unit=world.lilas.pk)
    added = educator.assignments.get(unit=world.lilas)
    assert added.facility == world.ehpad
    approve_pending(world)
    user = fresh(educator)
    assert check(user, "person.view_identity", person=world.bruno)
    assert not check(user, "person.view_identity", person=world.anne)  # Glycines


def test_whole_organisation_assignment(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    post_assignment(admin_client, educator)
    added = educator.assignments.get(facility=None)
    assert added.organisation == world.og
    approve_pending(world)
    assert check(fresh(educator), "person.view_identity", person=world.anne)


def test_unit_must_belong_to_the_facility(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    response = post_assignment(admin_client, educator, facility=world.ime.pk, unit=world.lilas.pk)
    assert response.status_code == 200
    assert (
        "L'unité doit appartenir à l'établissement choisi."
        in response.context["form"].errors["unit"]
    )
    assert educator.assignments.count() == 1
    assert not AuditEvent.objects.filter(action="assignment.create").exists()


def test_end_before_start_is_refused(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    response = post_assignment(
        admin_client, educator, start_date="2024-09-01", end_date="2024-08-31"
    )
    assert "ne peut précéder son début" in response.context["form"].errors["end_date"][0]
    assert educator.assignments.count() == 1


@pytest.mark.parametrize("field", ["facility", "unit"])
def test_facilities_and_units_of_another_organisation_are_not_choices(world, admin_client, field):
    from opendui.organisations.models import Unit

    other_unit = Unit.objects.create(facility=world.other, name="Ailleurs")
    educator = world.user("educateur", facility=world.ime)
    value = world.other.pk if field == "facility" else other_unit.pk
    response = post_assignment(admin_client, educator, **{field: value})
    assert "Sélectionnez un choix valide" in response.context["form"].errors[field][0]
    assert educator.assignments.count() == 1
    page = admin_client.get(f"/professionnels/{educator.pk}/affectations/nouvelle/")
    assert "EHPAD Ailleurs" not in page.content.decode()


def test_double_submission_creates_one_assignment(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    url = f"/professionnels/{educator.pk}/affectations/nouvelle/"
    data = {
        "form_token": form_token(admin_client.get(url)),
        "role": Role.objects.get(code="infirmier").pk,
        "facility": world.ehpad.pk,
        "unit": "",
        "start_date": "2024-09-01",
        "end_date": "",
    }
    admin_client.post(url, data)
    admin_client.post(url, data)
    assert educator.assignments.filter(role__code="infirmier").count() == 1


def test_the_other_organisations_admin_cannot_add_an_assignment(world, client, login):
    educator = world.user("educateur", facility=world.ime)
    other_admin = world.user("admin", organisation=world.other_og)
    login(other_admin)
    response = client.post(
        f"/professionnels/{educator.pk}/affectations/nouvelle/",
        {"role": Role.objects.get(code="medecin").pk, "start_date": "2024-01-01"},
    )
    assert response.status_code == 403
    assert educator.assignments.count() == 1
    assert AuditEvent.objects.filter(action="access.denied", user_id=other_admin.pk).exists()


# --------------------------------------------------------------------------- ending


def test_ending_an_assignment_removes_the_access(world, admin_client, admin):
    educator = world.user("educateur", facility=world.ime)
    assignment = educator.assignments.get()
    assert check(fresh(educator), "person.view_identity", person=world.chloe)
    page = admin_client.get(f"/affectations/{assignment.pk}/terminer/")
    assert page.status_code == 200
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert page.context["form"]["end_date"].value() == yesterday
    response = admin_client.post(
        f"/affectations/{assignment.pk}/terminer/",
        {"end_date": yesterday.isoformat(), "expected_version": assignment.version},
    )
    assert response.status_code == 302
    assignment.refresh_from_db()  # kept, with its end date
    assert assignment.end_date == yesterday
    assert not check(fresh(educator), "person.view_identity", person=world.chloe)
    event = AuditEvent.objects.get(action="assignment.end")
    assert event.user_id == admin.pk
    assert event.details["changes"]["end_date"] == [None, yesterday.isoformat()]


def test_ending_keeps_the_access_until_the_last_day(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    assignment = educator.assignments.get()
    admin_client.post(
        f"/affectations/{assignment.pk}/terminer/",
        {"end_date": timezone.localdate().isoformat(), "expected_version": 1},
    )
    assert check(fresh(educator), "person.view_identity", person=world.chloe)


def test_end_before_start_is_refused_when_ending(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    assignment = educator.assignments.get()
    response = admin_client.post(
        f"/affectations/{assignment.pk}/terminer/",
        {"end_date": "2019-12-31", "expected_version": 1},
    )
    assert "ne peut précéder son début" in response.context["form"].errors["end_date"][0]
    assignment.refresh_from_db()
    assert assignment.end_date is None


def test_ending_with_a_stale_version_changes_nothing(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    assignment = educator.assignments.get()
    Assignment.objects.filter(pk=assignment.pk).update(version=3)
    response = admin_client.post(
        f"/affectations/{assignment.pk}/terminer/",
        {"end_date": "2025-01-01", "expected_version": 1},
    )
    assert response.status_code == 409
    assignment.refresh_from_db()
    assert assignment.end_date is None
    assert not AuditEvent.objects.filter(action="assignment.end").exists()


def test_an_ended_assignment_cannot_be_extended(world, admin_client):
    educator = world.user("educateur", facility=world.ime)
    assignment = educator.assignments.get()
    Assignment.objects.filter(pk=assignment.pk).update(end_date=dt.date(2099, 1, 1))
    response = admin_client.post(
        f"/affectations/{assignment.pk}/terminer/",
        {"end_date": "2099-06-01", "expected_version": 1},
    )
    assert "créez-en une nouvelle" in response.context["form"].errors["end_date"][0]


def test_admin_cannot_end_their_own_administration_assignment(admin_client, admin):
    assignment = admin.assignments.get()
    response = admin_client.post(
        f"/affectations/{assignment.pk}/terminer/",
        {"end_date": "2024-01-01", "expected_version": 1},
    )
    assert "votre propre affectation" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.end_date is None


def test_the_other_organisations_admin_cannot_end_an_assignment(world, client, login):
    educator = world.user("educateur", facility=world.ime)
    assignment = educator.assignments.get()
    login(world.user("admin", organisation=world.other_og))
    response = client.post(f"/affectations/{assignment.pk}/terminer/", {"end_date": "2024-01-01"})
    assert response.status_code == 403
    assignment.refresh_from_db()
    assert assignment.end_date is None
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_an_educator_cannot_end_an_assignment(world, login):
    educator = world.user("educateur", facility=world.ime)
    client = login(educator)
    assignment = educator.assignments.get()
    assert client.get(f"/affectations/{assignment.pk}/terminer/").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", user_id=educator.pk).exists()


def test_unknown_assignment_is_404(admin_client):
    assert admin_client.get("/affectations/999999/terminer/").status_code == 404
    assert admin_client.post("/affectations/999999/terminer/").status_code == 404


def test_user_page_queries_do_not_grow_with_assignments(
    world, admin_client, django_assert_max_num_queries
):
    educator = world.user("educateur", facility=world.ime)
    for unit in (world.glycines, world.lilas):
        Assignment.objects.create(
            user=educator,
            role=Role.objects.get(code="infirmier"),
            organisation=world.og,
            facility=world.ehpad,
            unit=unit,
        )
    with django_assert_max_num_queries(12):
        body = admin_client.get(f"/professionnels/{educator.pk}/").content.decode()
    assert "Unité Les Lilas (EHPAD Les Tilleuls)" in body
