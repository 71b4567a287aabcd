"""No account widens its own access: grants that open persons' data, the audit trail or
the grants wait for a second person's approval (accounts.grants)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from opendui.accounts import grants, services_admin
from opendui.accounts.access import check, grants_of
from opendui.accounts.models import (
    Assignment,
    AssignmentStatus,
    GrantKind,
    GrantRequest,
    GrantStatus,
    Role,
    User,
)
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import CURRENT

from .test_admin_support import STRONG_PASSWORD, form_token, role_data


@pytest.fixture
def admin(world):
    return world.user("admin")


@pytest.fixture
def admin_client(login, admin):
    return login(admin)


def fresh(user: User) -> User:
    """The user as the next request loads it (grants are computed per request)."""
    return User.objects.get(pk=user.pk)


def as_actor(user: User) -> Actor:
    return Actor(user=fresh(user))


def assign(admin: User, target: User, role_code: str, **scope) -> Assignment:
    fields = {"role": Role.objects.get(code=role_code), "start_date": dt.date(2024, 1, 1)}
    fields["organisation"] = scope.pop("organisation", None) or scope["facility"].organisation
    fields.update(scope)
    return services_admin.create_assignment(as_actor(admin), target, fields)


@pytest.fixture
def ehpad_director(world):
    """Director of world.ehpad only: approves the grants of that facility."""
    return world.user("directeur", facility=world.ehpad)


@pytest.fixture
def general_director(world):
    """Director assigned to the whole organisation (directeur général)."""
    return world.user("directeur")


# --------------------------------------------------------------------------- self-assignment


@pytest.mark.parametrize("role_code", ["dpo", "medecin", "admin"])
def test_an_administrator_cannot_assign_themself_any_role(world, admin, role_code):
    with pytest.raises(services_admin.AdminRefused, match="à soi-même"):
        services_admin.create_assignment(
            as_actor(admin),
            admin,
            {"role": Role.objects.get(code=role_code), "organisation": world.og},
        )
    assert list(admin.assignments.values_list("role__code", flat=True)) == ["admin"]
    assert not check(fresh(admin), "audit.search", organisation=world.og)
    assert not check(fresh(admin), "person.view_medical", person=world.anne)
    event = AuditEvent.objects.get(action="grant.self_refused")
    assert (event.kind, event.user_id, event.object_id) == ("security", admin.pk, str(admin.pk))
    assert not AuditEvent.objects.filter(action="assignment.create").exists()


def test_self_assignment_by_a_forged_post_is_refused(world, admin, admin_client):
    """The page offers no button, and a forged POST changes nothing."""
    page = admin_client.get(f"/professionnels/{admin.pk}/").content.decode()
    assert f"/professionnels/{admin.pk}/affectations/nouvelle/" not in page
    url = f"/professionnels/{admin.pk}/affectations/nouvelle/"
    response = admin_client.post(
        url,
        {
            "form_token": form_token(admin_client.get(url)),
            "role": Role.objects.get(code="medecin").pk,
            "facility": world.ehpad.pk,
            "unit": "",
            "start_date": "2024-09-01",
            "end_date": "",
        },
    )
    assert response.status_code == 200
    assert "à soi-même" in response.content.decode()
    assert admin.assignments.count() == 1
    assert not GrantRequest.objects.exists()
    assert not check(fresh(admin), "person.view_medical", person=world.anne)
    assert AuditEvent.objects.filter(action="grant.self_refused", user_id=admin.pk).count() == 1


# --------------------------------------------------------------------------- approval


def test_a_medical_role_for_an_account_the_admin_creates_waits_for_the_director(
    world, admin_client, admin, ehpad_director, login
):
    """The admin creates a second account (whose password they know) with a medical role:
    it grants nothing until the facility's director approves."""
    url = "/professionnels/nouveau/"
    response = admin_client.post(
        url,
        {
            "form_token": form_token(admin_client.get(url)),
            "email": "complice@example.org",
            "first_name": "Paul",
            "last_name": "Complice",
            "profession": "G15:10",
            "activity_role": "",
            "rpps": "",
            "adeli": "",
            "rpps_plus": "",
            "password1": STRONG_PASSWORD,
            "password2": STRONG_PASSWORD,
            "role": Role.objects.get(code="medecin").pk,
            "facility": world.ehpad.pk,
            "unit": "",
            "start_date": "2024-01-01",
            "end_date": "",
        },
        follow=True,
    )
    assert "ne prennent effet qu&#x27;après approbation" in response.content.decode()
    accomplice = User.objects.get(email="complice@example.org")
    assignment = accomplice.assignments.get()
    assert assignment.status == AssignmentStatus.PENDING
    assert grants_of(fresh(accomplice)) == ()
    assert not check(fresh(accomplice), "person.view_medical", person=world.anne)
    request = assignment.grant_request
    assert (request.kind, request.status, request.new_account) == (
        GrantKind.ASSIGNMENT,
        GrantStatus.PENDING,
        True,
    )
    assert (request.requested_by, request.grantee) == (admin, accomplice)
    assert request.approval_facility == world.ehpad
    assert request.expires_at - request.requested_at == dt.timedelta(days=7)

    admin_client.post("/deconnexion/")
    director_client = login(ehpad_director)
    response = director_client.post(
        f"/habilitations/demandes/{request.pk}/decider/",
        {"decision": "approve", "confirm": "on", "reason": "", "expected_version": 1},
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    request.refresh_from_db()
    assert assignment.status == AssignmentStatus.ACTIVE
    assert (request.status, request.decided_by) == (GrantStatus.APPROVED, ehpad_director)
    assert check(fresh(accomplice), "person.view_medical", person=world.anne)
    assert not check(fresh(accomplice), "person.view_medical", person=world.chloe)  # IME


def test_every_step_is_audited(world, admin, ehpad_director):
    nurse = world.user("educateur", facility=world.ime)
    assignment = assign(admin, nurse, "infirmier", facility=world.ehpad)
    request = assignment.grant_request
    grants.approve(
        as_actor(ehpad_director),
        request,
        reason="Remplacement de l'été",
        expected_version=request.version,
    )
    events = list(
        AuditEvent.objects.filter(
            action__in=["assignment.create", "grant.request", "assignment.approve", "grant.approve"]
        ).order_by("seq")
    )
    assert [(e.action, e.user_id) for e in events] == [
        ("assignment.create", admin.pk),
        ("grant.request", admin.pk),
        ("assignment.approve", ehpad_director.pk),
        ("grant.approve", ehpad_director.pk),
    ]
    assert events[0].details["changes"]["status"] == [None, "pending"]
    assert events[1].details["changes"]["grantee_id"] == [None, nurse.pk]
    assert events[2].details["changes"]["status"] == ["pending", "active"]
    assert events[3].details["changes"]["status"] == ["pending", "approved"]
    assert events[3].details["changes"]["reason"] == ["", "Remplacement de l'été"]
    assert all(e.organisation_id == world.og.pk for e in events)


def test_a_role_without_sensitive_rights_takes_effect_at_once(world, admin):
    Role.objects.create(code="tableaux", name="Tableaux de bord", permissions=["pilotage.view"])
    user = world.user("educateur", facility=world.ime)
    assignment = assign(admin, user, "tableaux", facility=world.ehpad)
    assert assignment.status == AssignmentStatus.ACTIVE
    assert not GrantRequest.objects.exists()
    assert check(fresh(user), "pilotage.view", facility=world.ehpad)


def test_the_requester_cannot_approve(world, admin, general_director):
    """Even an administrator who is also a director cannot approve their own request."""
    world.assign(admin, "directeur")  # now also holds grants.approve organisation-wide
    target = world.user("educateur", facility=world.ime)
    request = assign(admin, target, "medecin", facility=world.ehpad).grant_request
    with pytest.raises(PermissionDenied, match="Vous avez fait cette demande"):
        grants.approve(as_actor(admin), request, expected_version=request.version)
    request.refresh_from_db()
    assert request.status == GrantStatus.PENDING
    assert not check(fresh(target), "person.view_medical", person=world.anne)
    assert grants.awaiting(fresh(admin)).count() == 0
    assert list(grants.awaiting(fresh(general_director))) == [request]


def test_the_grantee_cannot_approve(world, admin, ehpad_director, general_director):
    request = assign(admin, ehpad_director, "medecin", facility=world.ehpad).grant_request
    with pytest.raises(PermissionDenied, match="vos propres accès"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    assert not check(fresh(ehpad_director), "person.view_medical", person=world.anne)
    assert grants.awaiting(fresh(ehpad_director)).count() == 0
    grants.approve(as_actor(general_director), request, expected_version=request.version)
    assert check(fresh(ehpad_director), "person.view_medical", person=world.anne)


def test_a_director_decides_only_in_their_facility(world, admin, ehpad_director):
    educator = world.user("accueil", facility=world.ehpad)
    request = assign(admin, educator, "educateur", facility=world.ime).grant_request
    assert request.approval_facility == world.ime
    with pytest.raises(PermissionDenied, match="autorité"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    assert list(grants.awaiting(fresh(ehpad_director))) == []


def test_a_unit_director_approves_nothing(world, admin):
    unit_director = world.user("directeur", facility=world.ehpad, unit=world.glycines)
    target = world.user("educateur", facility=world.ime)
    request = assign(
        admin, target, "aide-soignant", facility=world.ehpad, unit=world.glycines
    ).grant_request
    with pytest.raises(PermissionDenied):
        grants.approve(as_actor(unit_director), request, expected_version=request.version)


@pytest.mark.parametrize("scope", ["organisation", "facility"])
def test_the_dpo_role_needs_the_directeur_general(
    world, admin, ehpad_director, general_director, scope
):
    target = world.user("accueil", facility=world.ehpad)
    extra = {"organisation": world.og} if scope == "organisation" else {"facility": world.ehpad}
    request = assign(admin, target, "dpo", **extra).grant_request
    assert request.approval_facility is None  # audit access: organisation level
    with pytest.raises(PermissionDenied, match="autorité"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    assert not check(fresh(target), "audit.view_person_access", person=world.anne)
    grants.approve(as_actor(general_director), request, expected_version=request.version)
    assert check(fresh(target), "audit.view_person_access", person=world.anne)


def test_granting_the_admin_role_is_widening_the_grants(world, admin, general_director):
    helper = world.user("accueil", facility=world.ehpad)
    request = assign(admin, helper, "admin", organisation=world.og).grant_request
    assert request is not None and request.approval_facility is None
    assert not check(fresh(helper), "accounts.manage", organisation=world.og)
    grants.approve(as_actor(general_director), request, expected_version=request.version)
    assert check(fresh(helper), "accounts.manage", organisation=world.og)


def test_a_pending_assignment_counts_nowhere(world, admin):
    target = world.user("educateur", facility=world.ime)
    assignment = assign(admin, target, "medecin", facility=world.ehpad)
    assert assignment not in Assignment.objects.active_on()
    assert {g.facility_id for g in grants_of(fresh(target))} == {world.ime.pk}


# --------------------------------------------------------------------------- refusal, expiry


def test_refusal_needs_a_reason_and_withdraws_the_assignment(world, admin, ehpad_director):
    target = world.user("educateur", facility=world.ime)
    assignment = assign(admin, target, "medecin", facility=world.ehpad)
    request = assignment.grant_request
    with pytest.raises(services_admin.AdminRefused, match="motif"):
        grants.refuse(
            as_actor(ehpad_director), request, reason="  ", expected_version=request.version
        )
    grants.refuse(
        as_actor(ehpad_director),
        request,
        reason="Pas de poste de médecin",
        expected_version=request.version,
    )
    assignment.refresh_from_db()
    request.refresh_from_db()
    assert assignment.status == AssignmentStatus.WITHDRAWN
    assert (request.status, request.reason) == (GrantStatus.REFUSED, "Pas de poste de médecin")
    assert not check(fresh(target), "person.view_medical", person=world.anne)
    with pytest.raises(services_admin.AdminRefused, match="déjà refusée"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    assert AuditEvent.objects.filter(action="grant.refuse", user_id=ehpad_director.pk).exists()


def test_an_expired_request_grants_nothing(world, admin, ehpad_director):
    target = world.user("educateur", facility=world.ime)
    assignment = assign(admin, target, "medecin", facility=world.ehpad)
    request = assignment.grant_request
    GrantRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    request.refresh_from_db()
    assert request.shown_status == "expirée"
    with pytest.raises(services_admin.AdminRefused, match="expiré"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    assert grants.awaiting(fresh(ehpad_director)).count() == 0
    assert grants.expire_overdue() == 1
    assert grants.expire_overdue() == 0
    assignment.refresh_from_db()
    request.refresh_from_db()
    assert (request.status, assignment.status) == (GrantStatus.EXPIRED, AssignmentStatus.WITHDRAWN)
    assert not check(fresh(target), "person.view_medical", person=world.anne)
    event = AuditEvent.objects.get(action="grant.expire")
    assert event.user_id is None and event.user_label == "grants.expire"
    assert event.details["changes"]["status"] == ["pending", "expired"]


def test_the_nightly_job_expires_requests(world, admin, settings):
    from opendui.accounts.tasks import expire_grant_requests
    from opendui.jobs.schedule import SCHEDULE

    entry = next(e for e in SCHEDULE if e.name == "grants.expire")
    assert entry.task_path == "opendui.accounts.tasks.expire_grant_requests"
    settings.GRANT_APPROVAL_DAYS = 0
    target = world.user("educateur", facility=world.ime)
    assign(admin, target, "medecin", facility=world.ehpad)
    assert expire_grant_requests.call() == {"expirees": 1}
    assert GrantRequest.objects.get().status == GrantStatus.EXPIRED


def test_the_requester_may_cancel(world, admin):
    target = world.user("educateur", facility=world.ime)
    assignment = assign(admin, target, "medecin", facility=world.ehpad)
    grants.cancel(
        as_actor(admin), assignment.grant_request, expected_version=assignment.grant_request.version
    )
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.WITHDRAWN
    assert assignment.grant_request.status == GrantStatus.CANCELLED
    with pytest.raises(PermissionDenied):
        grants.cancel(
            as_actor(target),
            assignment.grant_request,
            expected_version=assignment.grant_request.version,
        )


# --------------------------------------------------------------------------- roles


def test_widening_a_builtin_role_waits_for_the_directeur_general(
    world, admin, admin_client, ehpad_director, general_director
):
    educator = world.user("educateur", facility=world.ime)
    role = Role.objects.get(code="educateur")
    response = admin_client.post(
        f"/roles/{role.pk}/modifier/",
        role_data(role, access_medical="read", permissions=[*role.permissions, "person.export"]),
        follow=True,
    )
    assert "élargissement du rôle n&#x27;est pas encore appliqué" in response.content.decode()
    role.refresh_from_db()
    assert role.level_for("medical") == "none" and "person.export" not in role.permissions
    assert not check(fresh(educator), "person.view_medical", person=world.chloe)
    request = GrantRequest.objects.get(kind=GrantKind.ROLE_CHANGE)
    assert (request.added_permissions, request.raised_levels) == (
        ["person.export"],
        {"medical": "read"},
    )
    assert request.approval_facility is None
    # A facility director holds the role? No, but has no authority over roles.
    with pytest.raises(PermissionDenied, match="autorité"):
        grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    grants.approve(as_actor(general_director), request, expected_version=request.version)
    role.refresh_from_db()
    assert role.level_for("medical") == "read" and "person.export" in role.permissions
    assert check(fresh(educator), "person.view_medical", person=world.chloe)


def test_narrowing_a_role_takes_effect_at_once(world, admin, admin_client):
    educator = world.user("educateur", facility=world.ime)
    role = Role.objects.get(code="educateur")
    admin_client.post(f"/roles/{role.pk}/modifier/", role_data(role, access_social="read"))
    assert not check(fresh(educator), "person.edit_social", person=world.chloe)
    assert check(fresh(educator), "person.view_social", person=world.chloe)
    assert not GrantRequest.objects.exists()


def test_a_holder_of_the_role_cannot_approve_its_widening(world, admin, general_director):
    """The directeur général holds the director role: widening it widens their own access."""
    role = Role.objects.get(code="directeur")
    services_admin.update_role(
        as_actor(admin), role, {"data_access": {**role.data_access, "medical": "read"}}, CURRENT
    )
    request = GrantRequest.objects.get(kind=GrantKind.ROLE_CHANGE)
    with pytest.raises(PermissionDenied, match="vos propres accès"):
        grants.approve(as_actor(general_director), request, expected_version=request.version)
    # Another organisation-wide approver who does not hold the role may.
    Role.objects.create(code="president", name="Président", permissions=["grants.approve"])
    president = world.user("president")
    grants.approve(as_actor(president), request, expected_version=request.version)
    assert check(fresh(general_director), "person.view_medical", person=world.anne)


def test_the_admin_widening_their_own_role_waits_and_cannot_approve(world, admin):
    world.assign(admin, "directeur")  # an approver too
    role = Role.objects.get(code="admin")
    services_admin.update_role(
        as_actor(admin), role, {"data_access": {**role.data_access, "medical": "write"}}, CURRENT
    )
    assert not check(fresh(admin), "person.edit_medical", person=world.anne)
    request = GrantRequest.objects.get()
    with pytest.raises(PermissionDenied):
        grants.approve(as_actor(admin), request, expected_version=request.version)


def test_one_open_widening_per_role(world, admin):
    role = Role.objects.get(code="educateur")
    services_admin.update_role(
        as_actor(admin), role, {"data_access": {**role.data_access, "care": "read"}}, CURRENT
    )
    with pytest.raises(services_admin.AdminRefused, match="attend déjà"):
        services_admin.update_role(
            as_actor(admin), role, {"data_access": {**role.data_access, "care": "write"}}, CURRENT
        )
    assert GrantRequest.objects.count() == 1


# --------------------------------------------------------------------------- reactivation


def test_reopening_an_account_with_sensitive_assignments_waits(world, admin, ehpad_director):
    nurse = world.user("infirmier", facility=world.ehpad)
    User.objects.filter(pk=nurse.pk).update(is_active=False)
    user = services_admin.reactivate_user(as_actor(admin), fresh(nurse), CURRENT)
    assert not fresh(nurse).is_active
    request = user.pending_request
    assert (request.kind, request.approval_facility) == (GrantKind.REACTIVATION, world.ehpad)
    with pytest.raises(services_admin.AdminRefused, match="attend déjà"):
        services_admin.reactivate_user(as_actor(admin), fresh(nurse), CURRENT)
    grants.approve(as_actor(ehpad_director), request, expected_version=request.version)
    assert fresh(nurse).is_active
    assert check(fresh(nurse), "person.view_medical", person=world.anne)


def test_reopening_an_account_without_sensitive_assignment_is_immediate(world, admin):
    Role.objects.create(code="tableaux", name="Tableaux de bord", permissions=["pilotage.view"])
    user = world.user("tableaux", facility=world.ehpad)
    User.objects.filter(pk=user.pk).update(is_active=False)
    services_admin.reactivate_user(as_actor(admin), fresh(user), CURRENT)
    assert fresh(user).is_active
    assert not GrantRequest.objects.exists()
