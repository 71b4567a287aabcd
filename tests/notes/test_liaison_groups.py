"""The cahier de liaison grouped by shift and unit (unread groups first, collapsible), the
author's own notes read, and notes for the team without a resident."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.notes.models import Note, NoteRead
from opendui.notes.rules import PARIS, GroupCount, Shift, group_order, group_pages
from opendui.notes.selectors import liaison_groups, liaison_notes, readable_notes
from opendui.notes.services import mark_read, write_team_note
from opendui.organisations.models import Unit

DAY = dt.date(2026, 3, 10)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def _note(world, author, person, when, category="care", unit=None, **fields) -> Note:
    """A note written at `when` (the services refuse notes older than 24 hours)."""
    return Note.objects.create(
        person=person,
        facility=world.ehpad,
        unit=unit if unit is not None or person is None else person.stays.get().unit,
        kind="transmission",
        category=category,
        target=fields.pop("target", "Cible"),
        data="Données",
        author=author,
        written_at=when,
        **fields,
    )


@pytest.fixture
def day_of_notes(world, team):
    """Three groups of DAY: morning in Les Glycines, afternoon in Les Lilas, and the night
    in Les Glycines at 2 h the next calendar day; plus a note of the night before."""
    nurse = team["infirmier"]
    return {
        "morning": _note(world, nurse, world.anne, at(DAY, 9), target="Toilette"),
        "afternoon": _note(world, nurse, world.bruno, at(DAY, 15), target="Goûter"),
        "night": _note(
            world, nurse, world.anne, at(DAY + dt.timedelta(days=1), 2), target="Sommeil"
        ),
        "night_before": _note(world, nurse, world.anne, at(DAY, 6, 59), target="Veille"),
    }


def _keys(groups):
    return [(g.shift, g.unit_name, g.total, g.unread) for g in groups]


def test_groups_by_shift_and_unit_the_night_ends_at_7_the_next_day(world, team, day_of_notes):
    groups = liaison_groups(team["aide-soignant"], world.ehpad, DAY)
    assert _keys(groups) == [
        (Shift.MORNING, "Les Glycines", 1, 1),
        (Shift.AFTERNOON, "Les Lilas", 1, 1),
        (Shift.NIGHT, "Les Glycines", 1, 1),
    ]
    before = liaison_groups(team["aide-soignant"], world.ehpad, DAY - dt.timedelta(days=1))
    assert _keys(before) == [(Shift.NIGHT, "Les Glycines", 1, 1)]


def test_unread_groups_first_and_the_authors_own_notes_are_read(world, team, day_of_notes):
    reader = team["aide-soignant"]
    mark_read(reader, [day_of_notes["morning"].pk])
    _note(world, reader, world.bruno, at(DAY, 16), target="Promenade")  # own: read
    groups = liaison_groups(reader, world.ehpad, DAY)
    assert _keys(groups) == [
        (Shift.AFTERNOON, "Les Lilas", 2, 1),
        (Shift.NIGHT, "Les Glycines", 1, 1),
        (Shift.MORNING, "Les Glycines", 1, 0),
    ]
    notes = list(liaison_notes(reader, world.ehpad, DAY, groups=groups))
    assert [n.target for n in notes] == ["Goûter", "Promenade", "Sommeil", "Toilette"]
    assert [n.is_read for n in notes] == [False, True, False, True]
    # The author sees their note as read from the start, and nobody marks it for them.
    assert mark_read(reader, [n.pk for n in notes]) == 2
    assert not NoteRead.objects.filter(user=reader, note__author=reader).exists()


def test_page_groups_are_collapsible_with_counts_in_text(world, team, day_of_notes, login, client):
    reader = team["aide-soignant"]
    mark_read(reader, [day_of_notes["morning"].pk])
    login(reader)
    response = client.get(f"/transmissions/etablissement/{world.ehpad.pk}/?jour={DAY}")
    html = unescape(response.content.decode())
    details = re.findall(r'<details class="liaison-group" id="([^"]+)"( open)?>', html)
    glycines, lilas = world.glycines.pk, world.lilas.pk
    assert details == [
        (f"g-apres_midi-{lilas}", " open"),
        (f"g-nuit-{glycines}", " open"),
        (f"g-matin-{glycines}", ""),  # read: collapsed
    ]
    assert "<strong>2</strong> transmissions non lues sur 3." in html
    assert '<h3 class="liaison-group-title">Après-midi (14 h – 21 h) · Les Lilas</h3>' in html
    assert "<strong>1 non lue</strong> sur 1" in html
    assert "1 transmission, toutes lues" in html
    assert "<script" not in html.split("<main")[1]  # no inline script (CSP)


def test_a_group_on_another_page_says_where(world, team, day_of_notes, login, client, settings):
    settings.PAGE_SIZE = 1
    login(team["aide-soignant"])
    url = f"/transmissions/etablissement/{world.ehpad.pk}/?jour={DAY}&poste=&unite=&page=2"
    sections = client.get(url).context["sections"]
    assert [(len(s["notes"]), s["elsewhere"]) for s in sections] == [(0, 1), (1, None), (0, 3)]


def test_unit_filter_keeps_the_notes_for_the_whole_facility(world, team, day_of_notes):
    everyone = _note(world, team["infirmier"], None, at(DAY, 10), target="Ascenseur en panne")
    lilas = _note(world, team["infirmier"], None, at(DAY, 11), unit=world.lilas, target="Lilas")
    groups = liaison_groups(team["aide-soignant"], world.ehpad, DAY, unit=world.glycines)
    notes = {
        n.target
        for n in liaison_notes(team["aide-soignant"], world.ehpad, DAY, unit=world.glycines)
    }
    assert notes == {"Toilette", "Sommeil", "Ascenseur en panne"}
    assert (Shift.MORNING, "", 1, 1) in _keys(groups)
    assert lilas.pk and everyone.pk


# --- notes for the team ----------------------------------------------------------------------


@pytest.fixture
def carers(world):
    return {
        "glycines": world.user("aide-soignant", facility=world.ehpad, unit=world.glycines),
        "lilas": world.user("aide-soignant", facility=world.ehpad, unit=world.lilas),
        "facility": world.user("aide-soignant", facility=world.ehpad),
        "educator": world.user("educateur", facility=world.ehpad),
        "ime": world.user("aide-soignant", facility=world.ime),
    }


def _team_note(user, unit=None, category="care", **kw):
    return write_team_note(
        Actor(user),
        kw.pop("facility", unit.facility if unit else None),
        kind=kw.pop("kind", "observation"),
        unit=unit,
        category=category,
        text=kw.pop("text", "Le lève-personne est en panne, utiliser celui des Lilas."),
        **kw,
    )


def _readers(note, carers) -> set[str]:
    return {name for name, user in carers.items() if readable_notes(user, [note.pk]).exists()}


def test_a_unit_team_note_is_read_by_that_units_staff_with_its_category(world, carers):
    note = _team_note(carers["glycines"], world.glycines)
    assert note.person is None and note.unit == world.glycines
    assert _readers(note, carers) == {"glycines", "facility"}
    whole = _team_note(carers["facility"], facility=world.ehpad)
    assert whole.unit is None
    # A note for the whole facility: its units' staff read it too; not the educator
    # (no care data) nor another facility.
    assert _readers(whole, carers) == {"glycines", "lilas", "facility"}
    social = _team_note(carers["educator"], facility=world.ehpad, category="social")
    assert _readers(social, carers) == {"glycines", "lilas", "facility", "educator"}


def test_team_note_writing_is_limited_to_the_team_and_its_categories(world, carers):
    with pytest.raises(PermissionDenied):
        _team_note(carers["lilas"], world.glycines)
    with pytest.raises(PermissionDenied):
        _team_note(carers["educator"], facility=world.ehpad, category="care")
    with pytest.raises(PermissionDenied):
        _team_note(carers["ime"], facility=world.ehpad)
    with pytest.raises(ValidationError, match="transmission ciblée ou une observation"):
        _team_note(carers["facility"], facility=world.ehpad, kind="macrocible")
    other_unit = Unit.objects.create(facility=world.ime, name="Les Saules")
    with pytest.raises(ValidationError):
        _team_note(carers["facility"], other_unit, facility=world.ehpad)
    assert not Note.objects.exists()


def test_team_note_from_the_cahier_is_audited_as_facility_access(world, carers, login, client):
    login(carers["glycines"])
    cahier = client.get(f"/transmissions/etablissement/{world.ehpad.pk}/").content.decode()
    assert f"/transmissions/etablissement/{world.ehpad.pk}/equipe/" in cahier
    url = f"/transmissions/etablissement/{world.ehpad.pk}/equipe/?type=observation"
    form = client.get(url)
    teams = dict(form.context["form"].fields["team"].choices)
    assert set(teams) == {"etablissement", str(world.glycines.pk)}  # not Les Lilas
    response = client.post(
        url,
        {
            "form_token": form.context["token"],
            "kind": "observation",
            "team": str(world.glycines.pk),
            "written_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "category": "care",
            "text": "Réunion d'équipe jeudi à 14 h.",
        },
    )
    assert response.status_code == 302
    note = Note.objects.get()
    assert (note.person, note.unit, note.author) == (None, world.glycines, carers["glycines"])
    created = AuditEvent.objects.get(action="note.team_create")
    assert list(created.person_ids) == [] and created.facility_id == world.ehpad.pk

    client.logout()
    login(carers["facility"])
    page = client.get(response.url)
    assert "Réunion d'équipe jeudi à 14 h." in unescape(page.content.decode())
    viewed = AuditEvent.objects.filter(action="note.liaison_view").last()
    assert viewed.details["team_notes"] == [note.pk]
    assert list(viewed.person_ids) == [] and viewed.facility_id == world.ehpad.pk
    assert client.post(f"/transmissions/note/{note.pk}/lu/").status_code == 302
    assert NoteRead.objects.filter(note=note, user=carers["facility"]).exists()


def test_team_notes_refused_to_other_teams(world, carers, login, client):
    note = _team_note(carers["glycines"], world.glycines)
    login(carers["lilas"])
    assert client.post(f"/transmissions/note/{note.pk}/lu/").status_code == 403
    denied = AuditEvent.objects.filter(action="access.denied").last()
    assert denied.facility_id == world.ehpad.pk and list(denied.person_ids) == []
    assert client.get(f"/transmissions/note/{note.pk}/corriger/").status_code == 403
    client.logout()
    login(carers["educator"])
    response = client.get(f"/transmissions/etablissement/{world.ehpad.pk}/")
    assert "lève-personne" not in response.content.decode()


def test_the_author_withdraws_a_team_note(world, carers, login, client):
    note = _team_note(carers["glycines"], world.glycines)
    login(carers["glycines"])
    response = client.post(
        f"/transmissions/note/{note.pk}/retirer/",
        {"reason": "erreur_dossier", "comment": "mauvaise unité", "expected_version": 1},
    )
    assert response.status_code == 302
    assert not readable_notes(carers["facility"], [note.pk]).exists()
    event = AuditEvent.objects.get(action="note.withdraw")
    assert list(event.person_ids) == [] and event.facility_id == world.ehpad.pk


# --- pure rules ------------------------------------------------------------------------------


def test_group_order_unread_first_then_shift_then_facility_then_units():
    groups = [
        GroupCount(Shift.NIGHT, 2, "B", 3, 0),
        GroupCount(Shift.MORNING, 2, "B", 1, 0),
        GroupCount(Shift.NIGHT, 1, "A", 2, 1),
        GroupCount(Shift.MORNING, None, "", 4, 0),
        GroupCount(Shift.AFTERNOON, 1, "A", 1, 1),
    ]
    assert [(g.shift, g.unit_id) for g in group_order(groups)] == [
        (Shift.AFTERNOON, 1),
        (Shift.NIGHT, 1),
        (Shift.MORNING, None),
        (Shift.MORNING, 2),
        (Shift.NIGHT, 2),
    ]


@given(totals=st.lists(st.integers(1, 30), max_size=8), size=st.integers(1, 12))
def test_group_pages_match_the_listing(totals, size):
    """Listing the groups' notes one after the other, page by page."""
    groups = [GroupCount(Shift.MORNING, i, str(i), n, 0) for i, n in enumerate(totals)]
    listing = [i for i, n in enumerate(totals) for _ in range(n)]
    pages = group_pages(groups, size)
    for i, (first, last) in enumerate(pages):
        where = [position // size + 1 for position, g in enumerate(listing) if g == i]
        assert (first, last) == (min(where), max(where))


@pytest.mark.parametrize("count", [6, 90])
def test_query_count_with_groups_and_team_notes(
    world, team, carers, login, client, django_assert_max_num_queries, count
):
    nurse = team["infirmier"]
    now = timezone.now() - dt.timedelta(minutes=5)
    units = [world.glycines, world.lilas, None]
    Note.objects.bulk_create(
        Note(
            person=[world.anne, world.bruno, None][i % 3],
            facility=world.ehpad,
            unit=units[i % 3],
            kind="observation",
            category="care",
            text=f"Note {i}",
            author=nurse,
            written_at=now - dt.timedelta(minutes=17 * i),
        )
        for i in range(count)
    )
    login(carers["facility"])
    day = timezone.localdate(now)
    for query in (f"?jour={day}", f"?jour={day}&unite={world.glycines.pk}", "?page=2"):
        with django_assert_max_num_queries(16):
            assert (
                client.get(f"/transmissions/etablissement/{world.ehpad.pk}/{query}").status_code
                == 200
            )
