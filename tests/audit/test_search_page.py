"""The DPO's search page: organisation scope, filters, display, and its own audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opendui.audit.models import AuditEvent, EventKind
from opendui.audit.services import record, record_change, snapshot
from opendui.core.actor import Actor

URL = "/audit/"


@pytest.fixture
def dpo_client(client, world):
    world.dpo = world.user("dpo", email="dpo@test.example")
    client.force_login(world.dpo)
    client.get("/")  # first request of a session records its activity time
    return client


def view(user, person, *, when=None, break_glass=False, reason="", action="person.view"):
    """An access event as persons.services writes it (optionally at a given instant)."""
    actor = Actor(user=user, address="192.0.2.10", label=user.email)
    kwargs = dict(
        person_ids=[person.pk],
        obj=person,
        organisation_id=person.organisation_id,
        break_glass=break_glass,
        reason=reason,
    )
    if when is None:
        return record(actor, EventKind.ACCESS, action, **kwargs)
    real_now = timezone.now
    timezone.now = lambda: when
    try:
        return record(actor, EventKind.ACCESS, action, **kwargs)
    finally:
        timezone.now = real_now


def page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_dpo_sees_events_of_their_organisation_only(world, dpo_client):
    nurse = world.user("infirmier", facility=world.ehpad, email="infirmiere@og.example")
    stranger = world.user(
        "infirmier",
        organisation=world.other_og,
        facility=world.other,
        email="infirmier@autre.example",
    )
    mine = view(nurse, world.anne)
    theirs = view(stranger, world.denis)
    body = page(dpo_client)
    assert "infirmiere@og.example" in body and "MARTIN Anne" in body
    assert f"<td>{mine.seq}</td>" in body
    assert "infirmier@autre.example" not in body and "DURAND" not in body
    assert f"<td>{theirs.seq}</td>" not in body


def test_security_events_follow_the_professionals_organisation(world, dpo_client, client):
    nurse = world.user("infirmier", facility=world.ehpad, email="infirmiere@og.example")
    stranger = world.user(
        "infirmier",
        organisation=world.other_og,
        facility=world.other,
        email="infirmier@autre.example",
    )
    record(Actor(user=nurse, label=nurse.email), EventKind.SECURITY, "auth.login")
    record(Actor(user=stranger, label=stranger.email), EventKind.SECURITY, "auth.login")
    # A failure before the account is identified carries the e-mail only.
    record(
        Actor(user=None, label=nurse.email),
        EventKind.SECURITY,
        "auth.failure",
        details={"step": "password", "locked": True},
    )
    record(Actor(user=None, label=stranger.email), EventKind.SECURITY, "auth.failure")
    body = page(dpo_client, kind="security")
    assert body.count("infirmiere@og.example") == 2
    assert "Connexion" in body and "Échec de connexion" in body and "compte verrouillé" in body
    assert "infirmier@autre.example" not in body


def test_educator_is_refused_and_the_refusal_is_recorded(world, client):
    educator = world.user("educateur", facility=world.ime)
    client.force_login(educator)
    assert client.get(URL).status_code == 403
    refusal = AuditEvent.objects.filter(action="access.denied").latest("seq")
    assert refusal.user_id == educator.pk
    assert refusal.details["permission"] == "audit.search"


def test_dpo_of_another_organisation_does_not_see_ours(world, client):
    view(world.user("infirmier", facility=world.ehpad), world.anne)
    other_dpo = world.user("dpo", organisation=world.other_og)
    client.force_login(other_dpo)
    body = page(client)
    assert "MARTIN" not in body
    assert "Aucun événement ne correspond" in body


def test_filter_by_professional_email(world, dpo_client):
    a = world.user("infirmier", facility=world.ehpad, email="alice.soin@og.example")
    b = world.user("infirmier", facility=world.ehpad, email="bob.soin@og.example")
    view(a, world.anne)
    view(b, world.bruno)
    body = page(dpo_client, professional="ALICE")
    assert "alice.soin@og.example" in body and "bob.soin" not in body
    assert "LEFÈVRE" not in body


@pytest.mark.parametrize("query", ["martin", "Martín", "T000001", "t000001", "17/05/1940 mart"])
def test_filter_by_person_name_or_local_id(world, dpo_client, query):
    nurse = world.user("infirmier", facility=world.ehpad)
    anne_event = view(nurse, world.anne)
    bruno_event = view(nurse, world.bruno)
    assert world.anne.local_id == "T000001"
    body = page(dpo_client, person=query)
    assert f"<td>{anne_event.seq}</td>" in body
    assert f"<td>{bruno_event.seq}</td>" not in body


def test_person_filter_never_reaches_another_organisation(world, dpo_client):
    view(world.user("infirmier", organisation=world.other_og, facility=world.other), world.denis)
    body = page(dpo_client, person="durand")
    assert "Aucune personne accompagnée de votre organisme ne correspond à « durand »" in body


def test_filter_by_date_range_in_paris_time(world, dpo_client):
    nurse = world.user("infirmier", facility=world.ehpad)
    # 23:30 in Paris on 30 June is 21:30 UTC: it belongs to 30 June.
    late_june = view(nurse, world.anne, when=dt.datetime(2025, 6, 30, 21, 30, tzinfo=dt.UTC))
    july = view(nurse, world.anne, when=dt.datetime(2025, 7, 1, 10, 0, tzinfo=dt.UTC))
    august = view(nurse, world.anne, when=dt.datetime(2025, 8, 2, 10, 0, tzinfo=dt.UTC))
    body = page(dpo_client, date_from="2025-07-01", date_to="2025-07-31")
    assert f"<td>{july.seq}</td>" in body
    assert "01/07/2025 12:00:00" in body  # shown in Europe/Paris
    assert f"<td>{late_june.seq}</td>" not in body and f"<td>{august.seq}</td>" not in body
    body = page(dpo_client, date_to="2025-06-30")
    assert f"<td>{late_june.seq}</td>" in body and "30/06/2025 23:30:00" in body
    assert f"<td>{july.seq}</td>" not in body


def test_inverted_dates_get_a_french_message_and_no_results(world, dpo_client):
    view(world.user("infirmier", facility=world.ehpad), world.anne)
    body = page(dpo_client, date_from="2025-08-01", date_to="2025-07-01")
    assert "La date de fin doit suivre la date de début." in body
    assert "MARTIN" not in body
    assert not AuditEvent.objects.filter(action="audit.search").exists()


def test_filter_by_action_kind_and_break_glass(world, dpo_client):
    nurse = world.user("infirmier", facility=world.ime)
    listed = view(nurse, world.chloe, action="person.list")
    seen = view(nurse, world.chloe)
    glass = view(nurse, world.anne, break_glass=True, reason="Chute la nuit, dossier requis")
    changed = record_change(
        Actor(user=nurse, label=nurse.email),
        "person.update",
        world.anne,
        {**snapshot(world.anne), "birth_name": "MARTINE"},
        person_ids=[world.anne.pk],
        organisation_id=world.og.pk,
    )

    def seqs(**params):
        body = page(dpo_client, **params)
        return {e.seq for e in (listed, seen, glass, changed) if f"<td>{e.seq}</td>" in body}

    assert seqs(action="person.list") == {listed.seq}
    assert seqs(kind="change") == {changed.seq}
    assert seqs(kind="access") == {listed.seq, seen.seq, glass.seq}
    assert seqs(break_glass="on") == {glass.seq}
    body = page(dpo_client, break_glass="on")
    assert "Bris de glace" in body and "Chute la nuit, dossier requis" in body


def test_rows_show_french_labels_field_names_and_raw_unknown_actions(world, dpo_client):
    nurse = world.user("infirmier", facility=world.ehpad)
    view(nurse, world.anne, action="person.list")
    record_change(
        Actor(user=nurse, label=nurse.email),
        "person.update",
        world.anne,
        {**snapshot(world.anne), "birth_name": "MARTINE", "first_name": "Annie"},
        person_ids=[world.anne.pk],
        organisation_id=world.og.pk,
    )
    record(
        Actor.system("import"), EventKind.SYSTEM, "import.nightly_run", organisation_id=world.og.pk
    )
    body = page(dpo_client)
    assert "Liste de dossiers consultée" in body
    assert "Identité modifiée" in body
    assert "Champs modifiés : nom de naissance, premier prénom de naissance" in body
    assert "MARTINE" not in body and "Annie" not in body  # values stay in the trail
    assert "import.nightly_run" in body


def test_persons_of_another_organisation_are_counted_not_named(world, dpo_client):
    nurse = world.user("infirmier", facility=world.ehpad)
    record(
        Actor(user=nurse, label=nurse.email),
        EventKind.ACCESS,
        "person.list",
        person_ids=[world.anne.pk, world.denis.pk],
        organisation_id=world.og.pk,
    )
    body = page(dpo_client)
    assert "MARTIN Anne" in body
    assert "DURAND" not in body
    assert "1 dossier d'un autre organisme" in body


def test_the_search_is_audited_with_the_persons_shown(world, dpo_client):
    nurse = world.user("infirmier", facility=world.ehpad)
    view(nurse, world.anne)
    view(nurse, world.bruno)
    page(dpo_client, person="martin")
    search = AuditEvent.objects.filter(action="audit.search").latest("seq")
    assert search.user_id == world.dpo.pk
    assert search.person_ids == [world.anne.pk]
    assert search.organisation_id == world.og.pk
    assert search.details["filters"] == {"person": "martin"}


def test_a_search_showing_no_person_is_not_recorded(world, dpo_client):
    record(
        Actor.system("import"), EventKind.SYSTEM, "import.nightly_run", organisation_id=world.og.pk
    )
    page(dpo_client)
    assert not AuditEvent.objects.filter(action="audit.search").exists()


def test_pagination_keeps_the_filters(world, dpo_client, settings):
    settings.PAGE_SIZE = 5
    nurse = world.user("infirmier", facility=world.ehpad)
    events = [view(nurse, world.anne) for _ in range(7)]
    body = page(dpo_client, kind="access")
    assert 'href="?kind=access&amp;page=2"' in body
    body = page(dpo_client, kind="access", page=2)
    assert f"<td>{events[0].seq}</td>" in body and f"<td>{events[-1].seq}</td>" not in body


def _queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params or {}).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_events(world, dpo_client):
    nurses = [world.user("infirmier", facility=world.ehpad) for _ in range(3)]
    persons = [world.anne, world.bruno, world.chloe]
    for i in range(5):
        view(nurses[i % 3], persons[i % 3])
    few = _queries(dpo_client)
    for i in range(55):
        view(nurses[i % 3], persons[i % 3], break_glass=i % 2 == 0, reason="motif")
    many = _queries(dpo_client)
    assert many == few
    assert _queries(dpo_client, {"person": "martin"}) <= few + 1
