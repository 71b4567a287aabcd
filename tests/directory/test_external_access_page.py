"""The administrator's page opening an external professional's access to the persons
they follow (/annuaire/professionnels/<pk>/acces-dossiers/)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opendui.accounts.models import (
    AssignmentStatus,
    GrantKind,
    GrantRequest,
    GrantStatus,
    LinkedPersonsAssignment,
    User,
)
from opendui.audit.models import AuditEvent
from tests.directory.approval_helpers import approve_linked
from tests.directory.conftest import RPPS


def url(entry) -> str:
    return f"/annuaire/professionnels/{entry.pk}/acces-dossiers/"


@pytest.fixture
def admin(world):
    return world.user("admin")


def open_data(entry, **extra) -> dict:
    return {
        "expected_version": entry.version,
        "email": "claire.moreau@cabinet.example",
        "role": "medecin-externe",
        "start_date": timezone.localdate().isoformat(),
        **extra,
    }


def test_the_administrator_opens_and_closes_the_access(
    client, login, world, admin, doctor, django_assert_max_num_queries
):
    login(admin)
    with django_assert_max_num_queries(12):
        page = client.get(url(doctor))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ouvrir l'accès aux personnes suivies" in body
    assert "Médecin extérieur (médecin traitant)" in body

    response = client.post(url(doctor), open_data(doctor))
    assert response.status_code == 302, response.content.decode()[:2000]
    account = User.objects.get(rpps=RPPS)
    doctor.refresh_from_db()
    assert doctor.account_id == account.pk
    assert account.email == "claire.moreau@cabinet.example"
    assert not account.has_usable_password()
    (assignment,) = LinkedPersonsAssignment.objects.filter(user=account)
    assert (assignment.role.code, assignment.created_by_id) == ("medecin-externe", admin.pk)
    assert AuditEvent.objects.filter(action="user.create", user_id=admin.pk).count() == 1
    assert AuditEvent.objects.filter(action="directory.account_link").count() == 1
    assert assignment.status == AssignmentStatus.PENDING
    request = GrantRequest.objects.get(linked_assignment=assignment)
    assert (request.kind, request.status, request.approval_facility_id) == (
        GrantKind.LINKED_ACCESS,
        GrantStatus.PENDING,
        None,
    )
    assert (request.grantee_id, request.requested_by_id, request.new_account) == (
        account.pk,
        admin.pk,
        True,
    )

    with django_assert_max_num_queries(12):
        page = client.get(url(doctor))
    assert "en attente d'approbation (directeur général)" in page.content.decode()

    approve_linked(world, assignment)
    with django_assert_max_num_queries(12):
        page = client.get(url(doctor))
    body = page.content.decode()
    assert "Clore l'accès aux dossiers" in body
    assert "en attente d'approbation" not in body
    assert "<td>approuvé</td>" in body
    response = client.post(url(doctor), {"close": "1", "expected_version": doctor.version})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.end_date == timezone.localdate() - dt.timedelta(days=1)
    doctor.refresh_from_db()
    assert doctor.account_id is None


def test_closing_an_access_still_waiting_cancels_its_request(client, login, admin, doctor):
    login(admin)
    assert client.post(url(doctor), open_data(doctor)).status_code == 302
    (assignment,) = LinkedPersonsAssignment.objects.all()
    doctor.refresh_from_db()
    response = client.post(url(doctor), {"close": "1", "expected_version": doctor.version})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.status, assignment.end_date) == (AssignmentStatus.WITHDRAWN, None)
    request = GrantRequest.objects.get(linked_assignment=assignment)
    assert (request.status, request.decided_by_id) == (GrantStatus.CANCELLED, admin.pk)
    assert AuditEvent.objects.filter(action="grant.cancel", object_id=str(request.pk)).exists()
    assert AuditEvent.objects.filter(action="linked_assignment.withdraw").count() == 1
    doctor.refresh_from_db()
    assert doctor.account_id is None


def test_a_forged_role_or_a_stale_page_saves_nothing(client, login, admin, doctor):
    login(admin)
    forged = client.post(url(doctor), open_data(doctor, role="directeur"))
    assert forged.status_code == 200
    stale = client.post(url(doctor), open_data(doctor, expected_version=doctor.version - 1))
    assert stale.status_code == 409
    backwards = client.post(
        url(doctor), open_data(doctor, end_date=(timezone.localdate() - dt.timedelta(days=3)))
    )
    assert backwards.status_code == 200
    assert not LinkedPersonsAssignment.objects.exists()
    assert not User.objects.filter(rpps=RPPS).exists()


@pytest.mark.parametrize("who", ["secretary", "admin_of_another_organisation", "nurse"])
def test_others_are_refused_and_audited(world, client, login, doctor, who, request):
    user = (
        world.user("admin", organisation=world.other_og)
        if who == "admin_of_another_organisation"
        else request.getfixturevalue(who)
    )
    login(user)
    for method in (client.get, client.post):
        response = method(url(doctor), open_data(doctor))
        assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", user_id=user.pk).count() == 2
    assert not LinkedPersonsAssignment.objects.exists()


def test_an_unknown_entry_is_a_404(client, login, admin):
    login(admin)
    assert client.get("/annuaire/professionnels/999999/acces-dossiers/").status_code == 404


def test_the_administrator_finds_the_entry_from_the_home_page(
    client, login, admin, doctor, world, django_assert_max_num_queries
):
    from opendui.directory.models import ExternalProfessional

    ExternalProfessional.objects.create(
        organisation=world.og, last_name="Sansnumero", profession_label="Pharmacien"
    )
    login(admin)
    assert "/annuaire/acces-dossiers/" in client.get("/").content.decode()
    with django_assert_max_num_queries(12):
        page = client.get("/annuaire/acces-dossiers/")
    body = page.content.decode()
    assert page.status_code == 200
    assert url(doctor) in body and "MOREAU" in body and "SANSNUMERO" not in body.upper()


def test_the_list_is_refused_without_accounts_manage(client, login, secretary):
    login(secretary)
    assert client.get("/annuaire/acces-dossiers/").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", user_id=secretary.pk).exists()
