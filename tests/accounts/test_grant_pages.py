"""The pages of grant requests: the administrator follows theirs, approvers decide."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opendui.accounts import services_admin
from opendui.accounts.access import check
from opendui.accounts.models import AssignmentStatus, GrantRequest, GrantStatus, Role, User
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import CURRENT


@pytest.fixture
def admin(world):
    return world.user("admin")


@pytest.fixture
def ehpad_director(world):
    return world.user("directeur", facility=world.ehpad)


def request_for(world, admin, role_code="medecin", facility=None, target=None) -> GrantRequest:
    target = target or world.user("educateur", facility=world.ime)
    assignment = services_admin.create_assignment(
        Actor(user=User.objects.get(pk=admin.pk)),
        target,
        {
            "role": Role.objects.get(code=role_code),
            "organisation": world.og,
            "facility": facility or world.ehpad,
            "start_date": dt.date(2024, 1, 1),
        },
    )
    return assignment.grant_request


def decide(client, request, **data):
    payload = {"decision": "approve", "confirm": "on", "reason": "", "expected_version": 1}
    payload.update(data)
    return client.post(f"/habilitations/demandes/{request.pk}/decider/", payload)


def test_the_director_sees_the_request_and_approves_it(world, admin, ehpad_director, login):
    request = request_for(world, admin)
    client = login(ehpad_director)
    body = client.get("/habilitations/demandes/").content.decode()
    assert "Affectation « Médecin » pour Test EDUCATEUR" in body
    assert "Données « Médical » : lecture et écriture" in body
    assert f'href="/habilitations/demandes/{request.pk}/">Décider' in body
    detail = client.get(f"/habilitations/demandes/{request.pk}/").content.decode()
    assert "Établissement EHPAD Les Tilleuls" in detail
    assert "Je confirme que ce professionnel doit disposer de ces accès" in detail
    assert "La direction de EHPAD Les Tilleuls ou le directeur général" in detail
    response = decide(client, request)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == GrantStatus.APPROVED
    assert "Demande approuvée" in client.get(response["Location"]).content.decode()


def test_approval_without_confirmation_changes_nothing(world, admin, ehpad_director, login):
    request = request_for(world, admin)
    client = login(ehpad_director)
    response = decide(client, request, confirm="")
    assert response.status_code == 200
    assert "Cochez la confirmation" in response.content.decode()
    response = decide(client, request, decision="refuse", reason="")
    assert "Indiquez le motif du refus." in response.content.decode()
    request.refresh_from_db()
    assert request.status == GrantStatus.PENDING and request.version == 1
    assert not AuditEvent.objects.filter(action__in=["grant.approve", "grant.refuse"]).exists()


def test_refusal_with_a_reason(world, admin, ehpad_director, login):
    request = request_for(world, admin)
    client = login(ehpad_director)
    decide(client, request, decision="refuse", reason="Pas de poste de médecin ici")
    request.refresh_from_db()
    assert (request.status, request.reason) == (GrantStatus.REFUSED, "Pas de poste de médecin ici")
    assert request.assignment.status == AssignmentStatus.WITHDRAWN


def test_a_forged_approval_by_the_requester_is_refused_and_audited(world, admin, login):
    world.assign(admin, "directeur")  # holds grants.approve organisation-wide as well
    request = request_for(world, admin)
    client = login(admin)
    page = client.get(f"/habilitations/demandes/{request.pk}/").content.decode()
    assert "Vous avez fait cette demande" in page
    assert 'name="decision"' not in page
    assert decide(client, request).status_code == 403
    request.refresh_from_db()
    assert request.status == GrantStatus.PENDING
    denied = AuditEvent.objects.get(action="access.denied", user_id=admin.pk)
    assert denied.details["permission"] == "grants.approve"
    assert not check(
        User.objects.get(pk=request.grantee_id), "person.view_medical", person=world.anne
    )


def test_the_admin_follows_and_cancels_their_request(world, admin, login):
    request = request_for(world, admin)
    client = login(admin)
    body = client.get("/habilitations/demandes/").content.decode()
    assert "Affectation « Médecin »" in body and "Consulter" in body
    detail = client.get(f"/habilitations/demandes/{request.pk}/").content.decode()
    assert "Annuler la demande" in detail
    user_page = client.get(f"/professionnels/{request.grantee_id}/").content.decode()
    assert "en attente d&#x27;approbation" in user_page
    assert f"/habilitations/demandes/{request.pk}/" in user_page
    response = client.post(
        f"/habilitations/demandes/{request.pk}/annuler/", {"expected_version": request.version}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == GrantStatus.CANCELLED
    assert (
        "Aucune demande d'habilitation en attente."
        in client.get("/habilitations/demandes/").content.decode()
    )
    assert "annulée" in client.get("/habilitations/demandes/?etat=toutes").content.decode()


def test_an_expired_request_cannot_be_decided(world, admin, ehpad_director, login):
    request = request_for(world, admin)
    GrantRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    client = login(ehpad_director)
    page = client.get(f"/habilitations/demandes/{request.pk}/").content.decode()
    assert "a expiré sans décision" in page and 'name="decision"' not in page
    response = decide(client, request)
    assert response.status_code == 302
    assert "a expiré" in client.get(response["Location"]).content.decode()
    request.refresh_from_db()
    assert request.assignment.status == AssignmentStatus.PENDING  # and never in force
    assert request.status == GrantStatus.PENDING


@pytest.mark.parametrize("who", ["educator", "other_admin", "ime_director"])
def test_outsiders_do_not_see_a_request(world, admin, login, who):
    request = request_for(world, admin)
    user = {
        "educator": lambda: world.user("educateur", facility=world.ehpad),
        "other_admin": lambda: world.user("admin", organisation=world.other_og),
        "ime_director": lambda: world.user("directeur", facility=world.ime),
    }[who]()
    client = login(user)
    assert client.get(f"/habilitations/demandes/{request.pk}/").status_code == 403
    assert decide(client, request).status_code == 403
    assert client.post(f"/habilitations/demandes/{request.pk}/annuler/").status_code == 403
    request.refresh_from_db()
    assert request.status == GrantStatus.PENDING
    assert AuditEvent.objects.filter(action="access.denied", user_id=user.pk).count() == 3
    if who == "ime_director":
        assert "Affectation" not in client.get("/habilitations/demandes/").content.decode()


def test_the_list_is_refused_to_who_neither_approves_nor_administers(world, login):
    educator = world.user("educateur", facility=world.ime)
    client = login(educator)
    assert client.get("/habilitations/demandes/").status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", user_id=educator.pk).exists()


def test_home_page_counts_requests_for_the_approver_and_the_admin(
    world, admin, ehpad_director, login
):
    request_for(world, admin)
    request_for(world, admin, role_code="infirmier")
    request_for(world, admin, facility=world.ime)  # not the EHPAD director's
    client = login(ehpad_director)
    response = client.get("/")
    assert response.context["grants_awaiting"] == 2
    body = response.content.decode()
    assert "<strong>2</strong> demandes d'habilitation attendent votre décision" in body
    assert ">Demandes d&#x27;habilitation</a>" in body  # navigation
    client.post("/deconnexion/")
    client = login(admin)
    response = client.get("/")
    assert response.context["grants_requested"] == 3
    assert "grants_awaiting" not in response.context


def test_an_educator_home_page_has_no_grant_panel(world, login):
    client = login(world.user("educateur", facility=world.ime))
    response = client.get("/")
    assert "grants_awaiting" not in response.context
    assert "grants_requested" not in response.context
    assert "Demandes d&#x27;habilitation" not in response.content.decode()


def test_list_queries_do_not_grow_with_requests(
    world, admin, ehpad_director, login, django_assert_max_num_queries
):
    request_for(world, admin)
    client = login(ehpad_director)
    with django_assert_max_num_queries(12) as few:
        client.get("/habilitations/demandes/")
    for n in range(6):
        target = world.user("educateur", facility=world.ime, email=f"e{n}@test.example")
        request_for(world, admin, role_code="infirmier", target=target)
    request_for(world, admin, role_code="dpo")
    with django_assert_max_num_queries(len(few)):
        body = client.get("/habilitations/demandes/").content.decode()
    assert body.count("Décider") == 7  # the DPO request is the directeur général's


def test_detail_queries_are_bounded(
    world, admin, ehpad_director, login, django_assert_max_num_queries
):
    request = request_for(world, admin)
    client = login(ehpad_director)
    with django_assert_max_num_queries(14):
        assert client.get(f"/habilitations/demandes/{request.pk}/").status_code == 200


def test_role_list_shows_a_pending_widening(world, admin, login):
    role = Role.objects.get(code="educateur")
    services_admin.update_role(
        Actor(user=User.objects.get(pk=admin.pk)),
        role,
        {"data_access": {**role.data_access, "medical": "read"}},
        CURRENT,
    )
    request = GrantRequest.objects.get()
    client = login(admin)
    body = client.get("/roles/").content.decode()
    assert f'href="/habilitations/demandes/{request.pk}/">élargissement en attente' in body
    general = world.user("directeur")
    client.post("/deconnexion/")
    client = login(general)
    detail = client.get(f"/habilitations/demandes/{request.pk}/").content.decode()
    assert "Élargissement du rôle « Éducateur »" in detail
    assert "Données « Médical » : lecture" in detail
    assert "Professionnels dont les accès seraient élargis" in detail
