"""Who reads which note: the role matrix, per category and per scope, filtered in SQL."""

from __future__ import annotations

import pytest
from django.utils import timezone

from opendui.notes.rules import shift_of
from opendui.notes.selectors import categories_for, liaison_notes, person_timeline

AUTHORS = {
    "administrative": "accueil",
    "social": "educateur",
    "care": "infirmier",
    "medical": "medecin",
    "psychological": "psychologue",
}
# From accounts.defaults: the categories each role may read.
EXPECTED = {
    "educateur": {"administrative", "social"},
    "aide-soignant": {"administrative", "social", "care"},
    "infirmier": {"administrative", "social", "care", "medical"},
    "medecin": {"administrative", "social", "care", "medical", "psychological"},
    "psychologue": {"administrative", "social", "psychological"},
    "accueil": {"administrative"},
}


@pytest.fixture
def one_of_each(world, team, note_of):
    for category, role in AUTHORS.items():
        for person in (world.anne, world.bruno):
            note_of(team[role], person, category, target=f"Cible {category}")


def _liaison(user, world, **kw):
    day, _ = shift_of(timezone.now())
    notes = list(liaison_notes(user, world.ehpad, day, **kw))
    # A note written five minutes ago may belong to the previous care day at 7 h.
    if not notes:
        notes = list(liaison_notes(user, world.ehpad, day.fromordinal(day.toordinal() - 1), **kw))
    return notes


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_reads_the_categories_of_its_matrix(world, team, one_of_each, role):
    user = team[role]
    categories = categories_for(user, world.anne)
    assert set(categories) == EXPECTED[role]
    timeline = person_timeline(world.anne, categories)
    assert {n.category for n in timeline} == EXPECTED[role]
    liaison = _liaison(user, world)
    assert {n.category for n in liaison} == EXPECTED[role]
    assert {n.person_id for n in liaison} == {world.anne.pk, world.bruno.pk}


def test_a_psychologist_note_is_invisible_to_an_educator(world, team, note_of, login, client):
    note = note_of(team["psychologue"], world.anne, "psychological", target="Angoisses nocturnes")
    login(team["educateur"])
    page = client.get(f"/transmissions/personne/{world.anne.pk}/")
    assert page.status_code == 200
    assert "Angoisses nocturnes" not in page.content.decode()
    liaison = client.get(f"/transmissions/etablissement/{world.ehpad.pk}/")
    assert "Angoisses nocturnes" not in liaison.content.decode()
    assert client.post(f"/transmissions/note/{note.pk}/lu/").status_code == 403
    assert client.get(f"/transmissions/note/{note.pk}/corriger/").status_code == 403


def test_categories_follow_each_assignment_scope(world, team, one_of_each):
    """Educator of the whole facility, psychologist of the Glycines unit only: psychological
    notes of Anne (Glycines), not of Bruno (Lilas)."""
    user = world.user("educateur", facility=world.ehpad)
    world.assign(user, "psychologue", facility=world.ehpad, unit=world.glycines)
    seen = {(n.person_id, n.category) for n in _liaison(user, world)}
    assert (world.anne.pk, "psychological") in seen
    assert (world.bruno.pk, "psychological") not in seen
    assert (world.bruno.pk, "social") in seen


def test_unit_assignment_sees_its_unit_only(world, team, one_of_each):
    user = world.user("infirmier", facility=world.ehpad, unit=world.lilas)
    assert {n.person_id for n in _liaison(user, world)} == {world.bruno.pk}
    assert categories_for(user, world.anne) == []


def test_another_facility_sees_nothing(world, team, one_of_each):
    user = world.user("medecin", facility=world.ime)
    assert _liaison(user, world) == []
    assert categories_for(user, world.anne) == []
