"""Pages: person timeline, writing, editing and correcting, cahier de liaison; 403 + audit;
bounded query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.notes.models import Note, NoteRead
from opendui.notes.rules import shift_of


def _person_url(person) -> str:
    return f"/transmissions/personne/{person.pk}/"


def _token(client, url: str) -> str:
    return client.get(url).context["token"]


def _now_field() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def test_timeline_is_audited_and_shows_versions(world, team, note_of, login, client):
    note = note_of(team["educateur"], world.anne, target="Repas")
    Note.objects.filter(pk=note.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    login(team["educateur"])
    url = f"/transmissions/note/{note.pk}/corriger/"
    response = client.post(
        url,
        {
            "form_token": _token(client, url),
            "kind": "transmission",
            "category": "social",
            "target": "Repas",
            "data": "A tout mangé.",
            "actions": "",
            "results": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(_person_url(world.anne))
    html = page.content.decode()
    assert "A tout mangé." in html and "Versions précédentes (1)" in html
    assert "Réveillée plusieurs fois." in html and "Corrigée le" in html
    event = AuditEvent.objects.filter(action="note.person_view").last()
    assert list(event.person_ids) == [world.anne.pk]


def test_outsider_gets_403_and_an_audit_row(world, login, client):
    login(world.user("admin", organisation=world.og))
    assert client.get(_person_url(world.anne)).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").exists()


def test_identity_reader_without_any_category_gets_403(world, login, client):
    login(world.user("identitovigilance", organisation=world.og))
    # Administrative read: allowed, nothing to write.
    assert client.get(_person_url(world.anne)).status_code == 200
    assert client.get(_person_url(world.anne) + "nouvelle/").status_code == 403


def test_write_a_transmission_through_the_form(world, team, login, client):
    login(team["educateur"])
    url = _person_url(world.anne) + "nouvelle/?type=transmission"
    form = client.get(url)
    assert [c[0] for c in form.context["form"].fields["category"].choices] == ["social"]
    data = {
        "form_token": form.context["token"],
        "kind": "transmission",
        "written_at": _now_field(),
        "category": "social",
        "target": "Visite de la fille",
        "data": "Contente",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    assert Note.objects.get().target == "Visite de la fille"
    # Replayed: nothing saved twice.
    client.post(url, data)
    assert Note.objects.count() == 1


def test_refused_form_saves_nothing_with_a_french_message(world, team, login, client):
    login(team["educateur"])
    url = _person_url(world.anne) + "nouvelle/?type=transmission"
    data = {
        "form_token": _token(client, url),
        "kind": "transmission",
        "written_at": (timezone.localtime() + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "category": "social",
        "target": "Chute",
        "data": "Au sol",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "futur" in response.content.decode()
    assert not Note.objects.exists()


def test_edit_link_then_correct_link(world, team, note_of, login, client):
    note = note_of(team["educateur"], world.anne)
    login(team["educateur"])
    html = client.get(_person_url(world.anne)).content.decode()
    assert f"/transmissions/note/{note.pk}/modifier/" in html
    url = f"/transmissions/note/{note.pk}/modifier/"
    form = client.get(url).context["form"]
    response = client.post(
        url,
        {
            "expected_version": 1,
            "kind": "transmission",
            "category": "social",
            "target": "Sommeil",
            "data": "Corrigé à temps",
            "written_at": form.initial["written_at"].strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.data == "Corrigé à temps" and Note.objects.count() == 1
    Note.objects.filter(pk=note.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    html = client.get(_person_url(world.anne)).content.decode()
    assert f"/transmissions/note/{note.pk}/modifier/" not in html
    assert f"/transmissions/note/{note.pk}/corriger/" in html
    response = client.post(
        url,
        {
            "expected_version": 2,
            "category": "social",
            "target": "x",
            "data": "y",
            "written_at": _now_field(),
        },
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.data == "Corrigé à temps"


def _liaison_url(world, **params) -> str:
    day, _ = shift_of(timezone.now() - dt.timedelta(minutes=5))
    query = "&".join(f"{k}={v}" for k, v in {"jour": day.isoformat(), **params}.items())
    return f"/transmissions/etablissement/{world.ehpad.pk}/?{query}"


def test_liaison_unread_first_and_marking(world, team, note_of, login, client):
    first = note_of(team["infirmier"], world.anne, "care", target="Pansement")
    second = note_of(team["educateur"], world.bruno, target="Atelier")
    login(team["aide-soignant"])
    page = client.get(_liaison_url(world))
    assert page.context["unread"] == 2
    html = page.content.decode()
    assert 'aria-live="polite"' in html and "Pansement" in html and "Atelier" in html
    event = AuditEvent.objects.filter(action="note.liaison_view").last()
    assert set(event.person_ids) == {world.anne.pk, world.bruno.pk}

    response = client.post(f"/transmissions/note/{first.pk}/lu/", {"next": _liaison_url(world)})
    assert response.status_code == 302
    page = client.get(_liaison_url(world))
    assert page.context["unread"] == 1
    assert [n.pk for n in page.context["page_obj"].object_list] == [second.pk, first.pk]
    # Read marks are per professional.
    assert not NoteRead.objects.filter(user=team["infirmier"]).exists()

    client.post(
        f"/transmissions/etablissement/{world.ehpad.pk}/tout-lu/",
        {"note": [second.pk], "next": "https://evil.example/"},
    )
    page = client.get(_liaison_url(world))
    assert page.context["unread"] == 0
    assert NoteRead.objects.filter(user=team["aide-soignant"]).count() == 2


def test_liaison_filters_by_unit_and_shift(world, team, note_of, login, client):
    note_of(team["educateur"], world.anne, target="Glycines")
    note_of(team["educateur"], world.bruno, target="Lilas")
    login(team["educateur"])
    html = client.get(_liaison_url(world, unite=world.lilas.pk)).content.decode()
    assert "Lilas" in html and "« Glycines »" not in html
    _, shift = shift_of(timezone.now() - dt.timedelta(minutes=5))
    other = {"matin": "nuit", "apres_midi": "matin", "nuit": "matin"}[shift]
    page = client.get(_liaison_url(world, poste=other))
    assert page.context["page_obj"].object_list == []


def test_liaison_home_redirects_to_the_users_facility(world, team, login, client):
    login(team["educateur"])
    response = client.get("/transmissions/")
    assert response.url == f"/transmissions/etablissement/{world.ehpad.pk}/"


def test_navigation_shows_transmissions(world, team, login, client):
    login(team["educateur"])
    html = client.get("/").content.decode()
    assert 'href="/transmissions/"' in html


def _many_notes(world, team, count: int) -> None:
    authors = [team["educateur"], team["infirmier"], team["psychologue"]]
    categories = ["social", "care", "psychological"]
    now = timezone.now() - dt.timedelta(minutes=5)
    Note.objects.bulk_create(
        Note(
            person=[world.anne, world.bruno][i % 2],
            facility=world.ehpad,
            unit=[world.glycines, world.lilas][i % 2],
            kind="transmission",
            category=categories[i % 3],
            target=f"Cible {i}",
            data="Données",
            author=authors[i % 3],
            written_at=now - dt.timedelta(seconds=i),
        )
        for i in range(count)
    )
    notes = list(Note.objects.order_by("pk")[: count // 3])
    readers = [world.user("educateur", facility=world.ehpad) for _ in range(5)]
    NoteRead.objects.bulk_create(
        NoteRead(note=n, user=u, read_at=now) for n in notes for u in readers
    )
    for n in notes[:10]:
        Note.objects.create(
            **{
                f.attname: getattr(n, f.attname)
                for f in Note._meta.concrete_fields
                if f.name not in {"id", "created_at", "updated_at"}
            }
            | {"corrects_id": n.pk, "original_id": n.pk, "data": "Corrigé"}
        )


@pytest.mark.parametrize("count", [6, 90])
def test_query_counts_do_not_grow(world, team, login, client, django_assert_max_num_queries, count):
    _many_notes(world, team, count)
    login(team["medecin"])
    with django_assert_max_num_queries(15):
        assert client.get(_liaison_url(world)).status_code == 200
    # The person page: its own reads and the record banner (photo, rights, MDPH orientations).
    with django_assert_max_num_queries(20):
        assert client.get(_person_url(world.anne)).status_code == 200
