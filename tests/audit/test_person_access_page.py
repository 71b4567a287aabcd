"""'Qui a consulté ce dossier ?': consultations, refusals and break-glass accesses of a record."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opendui.audit.models import AuditEvent, EventKind
from opendui.audit.services import record
from opendui.core.actor import Actor
from tests.persons.helpers import open_break_glass

REASON = "Chute nocturne, besoin des consignes de soins"


def url(person) -> str:
    return f"/audit/personne/{person.pk}/"


@pytest.fixture
def dpo_client(client, world):
    world.dpo = world.user("dpo")
    client.force_login(world.dpo)
    client.get("/")  # first request of a session records its activity time
    return client


@pytest.fixture
def break_glass_access(world, client):
    """A nurse of the IME opens Anne's record (EHPAD) through break-the-glass, then reads it."""
    nurse = world.user("infirmier", facility=world.ime, email="nuit@og.example")
    client.force_login(nurse)
    response = open_break_glass(client, world.anne, REASON)
    assert response.status_code == 302
    assert client.get(f"/personnes/{world.anne.pk}/").status_code == 200
    client.logout()
    return nurse


def test_break_glass_access_is_shown_with_its_reason(world, break_glass_access, dpo_client):
    body = dpo_client.get(url(world.anne)).content.decode()
    assert "Qui a consulté le dossier de MARTIN Anne ?" in body
    assert "nuit@og.example" in body
    assert "Accès exceptionnel (bris de glace)" in body  # opening
    assert "Dossier consulté" in body  # then reading, flagged too
    assert body.count("Bris de glace</span>") == 2
    assert body.count(f"Motif : « {REASON} »") == 2


def test_refusals_are_included(world, client, dpo_client):
    educator = world.user("educateur", facility=world.ime, email="educ@og.example")
    client.force_login(educator)
    assert client.get(f"/personnes/{world.anne.pk}/").status_code == 403
    client.force_login(world.dpo)
    body = client.get(url(world.anne)).content.decode()
    assert "Accès refusé" in body and "educ@og.example" in body
    assert "Habilitation manquante : Voir l&#x27;identité des personnes accompagnées" in body


def test_filter_shows_only_break_glass_accesses(world, break_glass_access, dpo_client):
    colleague = world.user("infirmier", facility=world.ehpad, email="jour@og.example")
    record(
        Actor(user=colleague, label=colleague.email),
        EventKind.ACCESS,
        "person.view",
        person_ids=[world.anne.pk],
        organisation_id=world.og.pk,
    )
    everything = dpo_client.get(url(world.anne)).content.decode()
    assert "jour@og.example" in everything and "nuit@og.example" in everything
    only = dpo_client.get(url(world.anne), {"break_glass": "on"}).content.decode()
    assert "nuit@og.example" in only and "jour@og.example" not in only
    assert "Accès exceptionnels (page 1)" in only


def test_no_break_glass_access_message(world, dpo_client):
    body = dpo_client.get(url(world.bruno), {"break_glass": "on"}).content.decode()
    assert "Aucun accès exceptionnel (bris de glace) à ce dossier." in body


def test_other_persons_accesses_and_changes_are_not_listed(world, dpo_client):
    nurse = world.user("infirmier", facility=world.ehpad, email="soin@og.example")
    record(
        Actor(user=nurse, label=nurse.email),
        EventKind.ACCESS,
        "person.view",
        person_ids=[world.bruno.pk],
        organisation_id=world.og.pk,
    )
    record(
        Actor(user=nurse, label=nurse.email),
        EventKind.CHANGE,
        "person.update",
        person_ids=[world.anne.pk],
        organisation_id=world.og.pk,
    )
    body = dpo_client.get(url(world.anne)).content.decode()
    assert "soin@og.example" not in body


def test_viewing_the_page_is_itself_audited(world, dpo_client):
    dpo_client.get(url(world.anne))
    event = AuditEvent.objects.latest("seq")
    assert event.action == "audit.view_person_access"
    assert event.person_ids == [world.anne.pk] and event.user_id == world.dpo.pk
    # ... and shows on the next visit.
    body = dpo_client.get(url(world.anne)).content.decode()
    assert "Consultation de la liste des accès à un dossier" in body


def test_unknown_person_is_404(world, dpo_client):
    assert dpo_client.get("/audit/personne/999999/").status_code == 404


def test_out_of_scope_is_403(world, client):
    other_dpo = world.user("dpo", organisation=world.other_og)
    client.force_login(other_dpo)
    assert client.get(url(world.anne)).status_code == 403
    educator = world.user("educateur", facility=world.ehpad)
    client.force_login(educator)
    assert client.get(url(world.anne)).status_code == 403


def test_director_of_the_facility_may_see_it(world, client):
    director = world.user("directeur", facility=world.ehpad)
    client.force_login(director)
    assert client.get(url(world.anne)).status_code == 200
    assert client.get(url(world.chloe)).status_code == 403  # IME


def _queries(client, person) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(person)).status_code == 200
    return len(queries)


def test_queries_do_not_grow_and_pages_are_linked(world, dpo_client, settings):
    settings.PAGE_SIZE = 50
    nurses = [world.user("infirmier", facility=world.ehpad) for _ in range(3)]

    def accesses(n):
        for i in range(n):
            record(
                Actor(user=nurses[i % 3], label=nurses[i % 3].email),
                EventKind.ACCESS,
                "person.view",
                person_ids=[world.anne.pk],
                organisation_id=world.og.pk,
                break_glass=i % 4 == 0,
                reason="motif" if i % 4 == 0 else "",
            )

    accesses(5)
    few = _queries(dpo_client, world.anne)
    accesses(55)
    many = _queries(dpo_client, world.anne)
    assert many == few
    body = dpo_client.get(url(world.anne)).content.decode()
    assert 'href="?page=2"' in body
    second = dpo_client.get(url(world.anne), {"page": 2}).content.decode()
    assert "Page 2" in second
