"""The care and support team's home page: my residents, unread transmissions, today's
events (cards contributed by stays, notes and agenda through core.home), scoped,
audited, and in a number of queries that does not grow with the data."""

from __future__ import annotations

import datetime as dt
import html as htmllib
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from opendui.agenda.models import Event, EventParticipant
from opendui.audit.models import AuditEvent
from opendui.notes.models import Note, NoteRead
from opendui.stays.models import Stay

PARIS = ZoneInfo("Europe/Paris")
RESIDENTS = "stays/_home_residents.html"
UNREAD = "notes/_home_unread.html"
TODAY = "agenda/_home_today.html"


def panel(response, template):
    return next((p.context for p in response.context["panels"] if p.template == template), None)


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def note(world, person, author, *, category="care", hours_ago=1.0, unit=None, target="Sommeil"):
    return Note.objects.create(
        person=person,
        facility=world.ehpad,
        unit=unit,
        kind="transmission",
        category=category,
        target=target,
        data="Réveillée à 3 h",
        author=author,
        written_at=timezone.now() - dt.timedelta(hours=hours_ago),
    )


def event_today(world, title, persons=(), hour=15, facility=None):
    day = timezone.localdate()
    start = dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)
    event = Event.objects.create(
        facility=facility or world.ehpad,
        kind="activite",
        title=title,
        start=start,
        end=start + dt.timedelta(hours=1),
    )
    for person in persons:
        EventParticipant.objects.create(event=event, person=person, start=start)
    return event


@pytest.fixture
def carer(world):
    """Aide-soignant of the Glycines unit of the EHPAD only (Anne's unit, not Bruno's)."""
    return world.user("aide-soignant", facility=world.ehpad, unit=world.glycines)


# --- my residents ------------------------------------------------------------------------------


def test_my_residents_are_the_current_residents_of_my_unit(world, login, carer):
    gone = world.person(world.ehpad, world.glycines, birth_name="PARTI", first_name="Jean")
    Stay.objects.filter(person=gone).update(end_date=dt.date(2024, 6, 1))
    response = login(carer).get("/")
    residents = panel(response, RESIDENTS)
    assert [person for person, _stay in residents["rows"]] == [world.anne]
    assert residents["rows"][0][1].unit == world.glycines
    html = text(response)
    assert "Mes résidents" in html and f"/personnes/{world.anne.pk}/" in html
    event = AuditEvent.objects.get(action="home.residents")
    assert event.person_ids == [world.anne.pk]


def test_a_facility_nurse_has_all_current_residents(world, login):
    response = login(world.user("infirmier", facility=world.ehpad)).get("/")
    residents = [p for p, _ in panel(response, RESIDENTS)["rows"]]
    assert residents == [world.bruno, world.anne]  # Lefèvre before Martin


def test_my_residents_are_paginated(world, login, carer):
    for n in range(12):
        world.person(world.ehpad, world.glycines, birth_name=f"NOM{n:02d}", first_name="Luc")
    client = login(carer)
    first = panel(client.get("/"), RESIDENTS)
    assert len(first["rows"]) == 10 and first["page"].has_next
    second = panel(client.get("/", {"residents": "2"}), RESIDENTS)
    assert len(second["rows"]) == 3 and not second["page"].has_next
    shown = {p.pk for p, _ in first["rows"]} | {p.pk for p, _ in second["rows"]}
    assert len(shown) == 13 and world.anne.pk in shown
    assert panel(client.get("/", {"residents": "x"}), RESIDENTS)["page"].number == 1


@pytest.mark.parametrize("role", ["accueil", "directeur"])
def test_roles_outside_the_care_team_get_no_care_cards(world, login, role):
    response = login(world.user(role, facility=world.ehpad)).get("/")
    for template in (RESIDENTS, UNREAD, TODAY):
        assert panel(response, template) is None


@pytest.mark.parametrize("role", ["aide-soignant", "infirmier", "medecin", "educateur"])
def test_care_staff_home_pages_are_not_empty(world, login, role):
    response = login(world.user(role, facility=world.ehpad)).get("/")
    for template in (RESIDENTS, UNREAD, TODAY):
        assert panel(response, template) is not None, (role, template)


# --- unread transmissions ----------------------------------------------------------------------


def test_unread_transmissions_since_yesterday_morning(world, login, carer):
    nurse = world.user("infirmier", facility=world.ehpad)
    fresh = note(world, world.anne, nurse, hours_ago=2, target="Chute")
    night = note(world, world.anne, nurse, hours_ago=20, target="Agitation")
    read = note(world, world.anne, nurse, hours_ago=1, target="Repas")
    NoteRead.objects.create(note=read, user=carer, read_at=timezone.now())
    note(world, world.anne, carer, hours_ago=1, target="Toilette")  # my own: read
    note(world, world.anne, nurse, hours_ago=80, target="Ancienne")  # before yesterday
    note(world, world.anne, nurse, category="medical", target="Traitement")  # not readable
    note(world, world.bruno, nurse, unit=world.lilas, target="Autre unité")  # not my resident
    response = login(carer).get("/")
    (block,) = panel(response, UNREAD)["blocks"]
    assert block["count"] == 2
    assert [line.note for line in block["lines"]] == [night, fresh]
    html = text(response)
    assert "<strong>2</strong> transmissions non lues" in html and "Chute" in html
    assert "Traitement" not in html and "Autre unité" not in html
    event = AuditEvent.objects.get(action="note.unread_home")
    assert event.person_ids == [world.anne.pk]


def test_unread_count_beyond_the_lines_shown(world, login, carer):
    nurse = world.user("infirmier", facility=world.ehpad)
    for n in range(7):
        note(world, world.anne, nurse, hours_ago=1 + n / 10, target=f"Cible {n}")
    (block,) = panel(login(carer).get("/"), UNREAD)["blocks"]
    assert block["count"] == 7 and len(block["lines"]) == 5


# --- today's events ----------------------------------------------------------------------------


def test_todays_events_as_the_planning_shows_them(world, login, carer):
    mine = event_today(world, "Atelier mémoire", [world.anne], hour=10)
    meeting = event_today(world, "Réunion d'équipe", hour=14)
    event_today(world, "Sortie au marché", [world.bruno], hour=11)  # Bruno: another unit
    event_today(world, "Atelier IME", [world.chloe], facility=world.ime)
    tomorrow = event_today(world, "Demain", [world.anne])
    Event.objects.filter(pk=tomorrow.pk).update(
        start=tomorrow.start + dt.timedelta(days=1), end=tomorrow.end + dt.timedelta(days=1)
    )
    response = login(carer).get("/")
    (block,) = panel(response, TODAY)["blocks"]
    assert [e.pk for e in block["events"]] == [mine.pk, meeting.pk]
    html = text(response)
    assert "Atelier mémoire" in html and "Sortie au marché" not in html
    day = timezone.localdate().isoformat()
    assert f"/agenda/etablissement/{world.ehpad.pk}/jour/?date={day}" in html


# --- bounded queries ---------------------------------------------------------------------------


def test_care_home_page_queries_do_not_grow(world, login, carer):
    client = login(carer)
    nurse = world.user("infirmier", facility=world.ehpad)
    for n in range(6):  # a full first page of unread notes: their count is asked
        note(world, world.anne, nurse, hours_ago=2 + n, unit=world.glycines)
    event_today(world, "Atelier", [world.anne])
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(25):
        person = world.person(world.ehpad, world.glycines, birth_name=f"NOM{n:02d}")
        note(world, person, nurse, hours_ago=1, unit=world.glycines)
        event_today(world, f"Soin {n}", [person], hour=8 + n % 12)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]
    # Session, user, grants, the person count, 2 for the residents, 2 for the notes,
    # 2 for the events, the access events: 20 on SQLite, 16 on PostgreSQL.
    assert len(many) <= 20
    assert len(panel(response, RESIDENTS)["rows"]) == 10
    assert panel(response, UNREAD)["blocks"][0]["count"] == 31


def test_unread_leaves_out_withdrawn_notes_and_includes_my_teams_notes(world, login, carer):
    nurse = world.user("infirmier", facility=world.ehpad)
    withdrawn = note(world, world.anne, nurse, hours_ago=3, target="Mauvais dossier")
    Note.objects.filter(pk=withdrawn.pk).update(
        status="retiree",
        withdrawn_at=timezone.now(),
        withdrawn_by=nurse,
        withdrawal_reason="erreur_dossier",
    )
    team = Note.objects.create(
        person=None,
        facility=world.ehpad,
        unit=world.glycines,
        kind="transmission",
        category="care",
        target="Réunion de l'unité",
        data="Changement de planning",
        author=nurse,
        written_at=timezone.now() - dt.timedelta(hours=2),
    )
    other_team = Note.objects.create(
        person=None,
        facility=world.ehpad,
        unit=world.lilas,
        kind="transmission",
        category="care",
        target="Autre équipe",
        data="Rien",
        author=nurse,
        written_at=timezone.now() - dt.timedelta(hours=2),
    )
    response = login(carer).get("/")
    (block,) = panel(response, UNREAD)["blocks"]
    assert [line.note for line in block["lines"]] == [team]
    html = text(response)
    assert "Pour l'équipe" in html and "Mauvais dossier" not in html
    assert other_team.target not in html
    assert not AuditEvent.objects.filter(action="note.unread_home").exists()  # nobody named
