"""The event form: report categories the user may write (offered, defaulted, enforced by
the services) and the searchable list of participants (rendering, audit, queries)."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opendui.agenda.models import Event
from opendui.agenda.services import update_event
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor

from .helpers import at, data, make


def create_url(world) -> str:
    return reverse("agenda:create", kwargs={"facility_pk": world.ehpad.pk})


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("aide-soignant", ["care"]),
        ("infirmier", ["care"]),
        ("medecin", ["care", "medical"]),
        ("educateur", ["social"]),
        ("psychologue", ["psychological"]),
        ("chef-de-service", ["social", "administrative"]),
        ("accueil", ["administrative"]),
        ("directeur", ["social"]),  # writes no category: team meetings in the default one
    ],
)
def test_the_form_offers_the_categories_the_user_writes(world, login, role, offered):
    response = login(world.user(role, facility=world.ehpad)).get(create_url(world))
    form = response.context["form"]
    assert [value for value, _ in form.fields["category"].choices] == offered
    assert form["category"].value() == offered[0]  # a default the user may write


def test_a_category_the_user_cannot_write_is_refused_by_the_form(world, login):
    carer = world.user("aide-soignant", facility=world.ehpad)
    client = login(carer)
    url = create_url(world)
    token = client.get(url).context["token"]
    response = client.post(
        url,
        {
            "form_token": token,
            "kind": "activite",
            "title": "Atelier",
            "start": "2026-03-02T10:00",
            "end": "2026-03-02T11:00",
            "persons": [world.anne.pk],
            "category": "social",  # read only for an aide-soignant: not offered
            "rep-frequency": "",
            "rep-interval": "1",
        },
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in text(response)
    assert not Event.objects.exists()


def test_the_services_refuse_a_forged_category_even_for_a_team_meeting(world):
    educator = world.user("educateur", facility=world.ehpad)
    for category in ("medical", "psychological", "care"):
        with pytest.raises(PermissionDenied, match="catégorie de compte rendu"):
            make(
                educator,
                world.ehpad,
                at(2, 14),
                at(2, 15),
                professionals=[educator],
                kind="reunion",
                category=category,
            )
        with pytest.raises(PermissionDenied):
            make(
                educator, world.ehpad, at(2, 14), at(2, 15), persons=[world.anne], category=category
            )
    assert not Event.objects.exists()
    meeting = make(
        educator,
        world.ehpad,
        at(2, 14),
        at(2, 15),
        professionals=[educator],
        kind="reunion",
        category="social",
    )
    assert meeting.category == "social"


def test_a_director_organises_meetings_in_the_default_category_only(world):
    director = world.user("directeur", facility=world.ehpad)
    meeting = make(
        director, world.ehpad, at(2, 9), at(2, 10), professionals=[director], kind="reunion"
    )
    assert meeting.category == "social"
    with pytest.raises(PermissionDenied):
        make(
            director,
            world.ehpad,
            at(2, 9),
            at(2, 10),
            professionals=[director],
            kind="reunion",
            category="administrative",
        )
    with pytest.raises(PermissionDenied):  # about a person: the category must be writable
        make(director, world.ehpad, at(2, 9), at(2, 10), persons=[world.anne])


def test_an_edit_keeps_the_events_category_but_changes_only_to_a_writable_one(world, login):
    educator = world.user("educateur", facility=world.ehpad)
    meeting = make(
        educator,
        world.ehpad,
        at(2, 14),
        at(2, 15),
        professionals=[educator],
        kind="reunion",
        category="social",
    )
    carer = world.user("aide-soignant", facility=world.ehpad)
    form = login(carer).get(reverse("agenda:edit", kwargs={"pk": meeting.pk})).context["form"]
    assert [v for v, _ in form.fields["category"].choices] == ["care", "social"]
    assert form["category"].value() == "social"
    changed = data(
        world.ehpad,
        at(2, 14),
        at(2, 15),
        professionals=[educator],
        kind="reunion",
        category="medical",
    )
    with pytest.raises(PermissionDenied):
        update_event(Actor(user=carer), meeting, changed, expected_version=1)
    meeting.refresh_from_db()
    assert (meeting.category, meeting.version) == ("social", 1)
    kept = data(
        world.ehpad,
        at(2, 14),
        at(2, 15),
        professionals=[educator],
        kind="reunion",
        category="social",
        title="Réunion de l'unité",
    )
    update_event(Actor(user=carer), meeting, kept, expected_version=1)
    meeting.refresh_from_db()
    assert meeting.title == "Réunion de l'unité"


# --- the participants' picker ------------------------------------------------------------------


def test_participants_are_a_searchable_checkbox_list_without_inline_script(world, login):
    educator = world.user("educateur", facility=world.ehpad)
    response = login(educator).get(create_url(world) + f"?personne={world.anne.pk}")
    html = response.content.decode()
    assert 'data-picker data-search-label="Rechercher une personne par son nom"' in html
    assert re.search(
        rf'<input type="checkbox" name="persons" value="{world.anne.pk}"[^>]* checked', html
    )
    offered = re.findall(r'<input type="checkbox" name="persons" value="(\d+)"', html)
    # Chloé is in the IME: neither in the reader's scope nor in this facility.
    assert sorted(map(int, offered)) == sorted([world.anne.pk, world.bruno.pk])
    assert "Ctrl" not in html and '<select name="persons"' not in html
    assert "/static/opendui/picker.js" in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # CSP: no inline script
    event = AuditEvent.objects.get(action="event.form_view")
    assert sorted(event.person_ids) == sorted([world.anne.pk, world.bruno.pk])


def test_a_unit_professional_is_offered_the_persons_of_their_unit(world, login):
    carer = world.user("aide-soignant", facility=world.ehpad, unit=world.glycines)
    form = login(carer).get(create_url(world)).context["form"]
    assert [pk for pk, _ in form.fields["persons"].choices] == [world.anne.pk]


def test_the_form_queries_do_not_grow_with_the_residents(world, login):
    educator = world.user("educateur", facility=world.ehpad)
    client = login(educator)
    with CaptureQueriesContext(connection) as few:
        client.get(create_url(world))
    for n in range(70):
        world.person(world.ehpad, world.lilas, birth_name=f"RESIDENT{n:02d}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(create_url(world))
    assert len(response.context["form"].fields["persons"].choices) == 72
    assert len(many) == len(few) <= 20
