"""Opening an external professional's access waits for a second person's approval
(accounts.grants, kind LINKED_ACCESS): pending it grants nothing; the directeur
général approves it; the requester cannot; refused, cancelled or expired, nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from opendui.accounts import grants
from opendui.accounts.access import check, linked_grants_of
from opendui.accounts.errors import AdminRefused
from opendui.accounts.models import (
    AssignmentStatus,
    GrantKind,
    GrantRequest,
    GrantStatus,
    LinkedPersonsAssignment,
    Role,
    User,
)
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.directory import external_access
from opendui.directory.models import PersonProfessional
from opendui.persons.models import Person
from opendui.persons.selectors import visible_persons
from tests.directory.conftest import RPPS


@pytest.fixture
def admin(world):
    return world.user("admin")


@pytest.fixture
def director(world):
    """The directeur général: grants.approve over the whole organisation."""
    return world.user("directeur")


@pytest.fixture
def account(world):
    return User.objects.create_user(
        "moreau@cabinet.example", None, first_name="Claire", last_name="Moreau", rpps=RPPS
    )


@pytest.fixture
def linked(world, admin, doctor, account):
    """Dr Moreau, médecin traitant of Anne; her access opened, awaiting approval."""
    PersonProfessional.objects.create(
        person=world.anne,
        professional=doctor,
        role="medecin_traitant",
        start_date=timezone.localdate() - dt.timedelta(days=30),
    )
    return external_access.open_access(
        Actor(user=admin), doctor, account, Role.objects.get(code="medecin-externe")
    )


def fresh(user) -> User:
    return User.objects.get(pk=user.pk)


def visible(user) -> set[Person]:
    return set(visible_persons(fresh(user), permission="person.view_identity"))


def allowed(user) -> set[Person]:
    return {p for p in Person.objects.all() if check(fresh(user), "person.view_identity", person=p)}


def request_of(linked) -> GrantRequest:
    return GrantRequest.objects.get(linked_assignment=linked)


def test_opening_files_an_organisation_wide_request_and_grants_nothing(
    world, admin, account, linked
):
    assert linked.status == AssignmentStatus.PENDING
    request = request_of(linked)
    assert (request.kind, request.status) == (GrantKind.LINKED_ACCESS, GrantStatus.PENDING)
    assert (request.organisation_id, request.approval_facility_id) == (world.og.pk, None)
    assert (request.grantee_id, request.requested_by_id) == (account.pk, admin.pk)
    assert linked_grants_of(fresh(account)) == ()
    assert visible(account) == set()
    assert allowed(account) == set()
    event = AuditEvent.objects.get(action="grant.request", object_id=str(request.pk))
    assert event.user_id == admin.pk


def test_the_directeur_general_approves_and_the_access_takes_effect(
    world, admin, director, account, linked
):
    request = request_of(linked)
    assert request in grants.awaiting(director)
    grants.approve(Actor(user=director), request, expected_version=request.version)
    linked.refresh_from_db()
    request.refresh_from_db()
    assert linked.status == AssignmentStatus.ACTIVE
    assert (request.status, request.decided_by_id) == (GrantStatus.APPROVED, director.pk)
    assert visible(account) == {world.anne}
    assert allowed(account) == {world.anne}
    assert AuditEvent.objects.filter(
        action="grant.approve", object_id=str(request.pk), user_id=director.pk
    ).exists()
    assert AuditEvent.objects.filter(
        action="linked_assignment.approve", object_id=str(linked.pk), user_id=director.pk
    ).exists()


def test_the_requester_cannot_approve_even_as_director(world, admin, account, linked):
    world.assign(admin, "directeur")  # now holds grants.approve organisation-wide
    request = request_of(linked)
    assert request not in grants.awaiting(admin)
    with pytest.raises(PermissionDenied):
        grants.approve(Actor(user=admin), request, expected_version=request.version)
    linked.refresh_from_db()
    assert linked.status == AssignmentStatus.PENDING
    assert visible(account) == set()


def test_a_facility_director_cannot_approve(world, account, linked):
    ehpad_director = world.user("directeur", facility=world.ehpad)
    request = request_of(linked)
    assert request not in grants.awaiting(ehpad_director)
    with pytest.raises(PermissionDenied):
        grants.approve(Actor(user=ehpad_director), request, expected_version=request.version)
    linked.refresh_from_db()
    assert linked.status == AssignmentStatus.PENDING


def test_refusal_leaves_nothing_and_is_audited(world, director, account, linked):
    request = request_of(linked)
    grants.refuse(
        Actor(user=director), request, reason="Pas de suivi", expected_version=request.version
    )
    linked.refresh_from_db()
    request.refresh_from_db()
    assert linked.status == AssignmentStatus.WITHDRAWN
    assert request.status == GrantStatus.REFUSED
    assert visible(account) == set()
    assert allowed(account) == set()
    assert AuditEvent.objects.filter(action="grant.refuse", object_id=str(request.pk)).exists()
    assert AuditEvent.objects.filter(
        action="linked_assignment.withdraw", object_id=str(linked.pk)
    ).exists()
    with pytest.raises(AdminRefused):
        grants.approve(Actor(user=director), request, expected_version=request.version)


def test_cancel_and_expiry_leave_nothing(world, admin, director, doctor, account, linked):
    request = request_of(linked)
    grants.cancel(Actor(user=admin), request, expected_version=request.version)
    linked.refresh_from_db()
    assert linked.status == AssignmentStatus.WITHDRAWN
    assert visible(account) == set()

    # Opened again after the closing, then left without decision until it expires.
    external_access.close_access(Actor(user=admin), doctor)
    doctor.refresh_from_db()
    again = external_access.open_access(
        Actor(user=admin), doctor, account, Role.objects.get(code="medecin-externe")
    )
    later = request_of(again).expires_at + dt.timedelta(seconds=1)
    assert grants.expire_overdue(now=later) == 1
    again.refresh_from_db()
    assert again.status == AssignmentStatus.WITHDRAWN
    assert request_of(again).status == GrantStatus.EXPIRED
    assert visible(account) == set()
    assert LinkedPersonsAssignment.objects.active_on().count() == 0


def test_the_approval_pages_describe_the_request_in_french(
    client, login, world, director, account, linked, django_assert_max_num_queries
):
    request = request_of(linked)
    login(director)
    with django_assert_max_num_queries(15):
        listing = client.get("/habilitations/demandes/")
    body = listing.content.decode()
    assert (
        "Accès de Claire MOREAU, professionnel extérieur, aux personnes qu&#x27;il suit "
        "(rôle « Médecin extérieur (médecin traitant) »)"
    ) in body
    assert f"Fiche de l&#x27;annuaire d&#x27;identifiant national 8{RPPS}" in body
    assert f'href="/habilitations/demandes/{request.pk}/">Décider' in body
    detail = client.get(f"/habilitations/demandes/{request.pk}/").content.decode()
    assert "accès d&#x27;un professionnel extérieur aux personnes qu&#x27;il suit" in detail
    assert "Le directeur général (directeur affecté à tout l&#x27;organisme)" in detail
    response = client.post(
        f"/habilitations/demandes/{request.pk}/decider/",
        {"decision": "approve", "confirm": "on", "reason": "", "expected_version": 1},
    )
    assert response.status_code == 302
    linked.refresh_from_db()
    assert linked.status == AssignmentStatus.ACTIVE
    assert visible(account) == {world.anne}
