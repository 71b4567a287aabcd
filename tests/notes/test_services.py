"""Writing, editing within the grace period, correcting (versions), reading marks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.notes.models import Note, NoteRead
from opendui.notes.services import correct_note, edit_note, mark_read, write_note


def test_a_transmission_is_written_in_the_stay_unit_and_audited(world, team, note_of):
    note = note_of(team["educateur"], world.anne)
    assert (note.facility, note.unit, note.author) == (
        world.ehpad,
        world.glycines,
        team["educateur"],
    )
    event = AuditEvent.objects.get(action="note.create")
    assert event.details["created"] is True
    assert list(event.person_ids) == [world.anne.pk]


def test_an_empty_transmission_is_refused_in_french(world, team):
    with pytest.raises(ValidationError) as error:
        write_note(Actor(team["educateur"]), world.anne, kind="transmission", category="social")
    assert "cible" in str(error.value)
    with pytest.raises(ValidationError) as error:
        write_note(
            Actor(team["educateur"]), world.anne, kind="transmission", category="social", target="x"
        )
    assert "données" in str(error.value)
    assert not Note.objects.exists()


def test_future_and_old_notes_are_refused(world, team, note_of):
    for delta in (dt.timedelta(hours=1), -dt.timedelta(hours=25)):
        with pytest.raises(ValidationError):
            note_of(team["educateur"], world.anne, written_at=timezone.now() + delta)
    assert not Note.objects.exists()


def test_a_macrocible_needs_its_moment_and_keeps_mtved(world, team, note_of):
    with pytest.raises(ValidationError):
        note_of(team["infirmier"], world.anne, "care", kind="macrocible")
    note = note_of(
        team["infirmier"],
        world.anne,
        "care",
        kind="macrocible",
        macro_moment="admission",
        mtved_experience="Vit l'entrée comme une rupture.",
    )
    assert note.mtved == [("Vécu", "Vit l'entrée comme une rupture.")]


def test_writing_needs_the_edit_permission_of_the_category(world, team, note_of):
    with pytest.raises(PermissionDenied):
        note_of(team["educateur"], world.anne, "medical")
    with pytest.raises(PermissionDenied):
        note_of(team["infirmier"], world.anne, "psychological")
    with pytest.raises(PermissionDenied):
        note_of(world.user("educateur", facility=world.ime), world.anne, "social")
    assert not Note.objects.exists()


def test_no_stay_no_note(world, team, note_of):
    # Discharged yesterday: still in the team's scope (accounts.access), but no stay.
    world.anne.stays.update(end_date=dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        note_of(team["educateur"], world.anne)
    assert "séjour" in str(error.value)


def test_no_note_on_a_record_archived_for_the_facility(world, team, note_of):
    world.anne.stays.update(end_date=dt.date(2024, 6, 1))
    with pytest.raises(PermissionDenied):
        note_of(team["educateur"], world.anne)


def test_author_edits_in_place_within_the_grace_period(world, team, note_of, settings):
    note = note_of(team["educateur"], world.anne)
    edit_note(
        Actor(team["educateur"]),
        note,
        expected_version=note.version,
        category="social",
        target="Sommeil",
        data="Réveillée deux fois.",
    )
    note.refresh_from_db()
    assert (note.data, note.version) == ("Réveillée deux fois.", 2)
    event = AuditEvent.objects.get(action="note.update")
    assert event.details["changes"]["data"] == ["Réveillée plusieurs fois.", "Réveillée deux fois."]
    assert Note.objects.count() == 1


def test_no_edit_in_place_after_the_grace_period_nor_by_someone_else(world, team, note_of):
    note = note_of(team["educateur"], world.anne)
    other = world.user("educateur", facility=world.ehpad)
    content = {"category": "social", "target": "Sommeil", "data": "Autre"}
    with pytest.raises(PermissionDenied):
        edit_note(Actor(other), note, expected_version=1, **content)
    later = timezone.now() + dt.timedelta(minutes=16)
    with pytest.raises(PermissionDenied):
        edit_note(Actor(team["educateur"]), note, expected_version=1, now=later, **content)
    note.refresh_from_db()
    assert note.data == "Réveillée plusieurs fois." and note.version == 1


def test_grace_period_follows_the_setting(world, team, note_of, settings):
    settings.NOTE_GRACE_MINUTES = 30
    note = note_of(team["educateur"], world.anne)
    edit_note(
        Actor(team["educateur"]),
        note,
        expected_version=1,
        now=timezone.now() + dt.timedelta(minutes=25),
        category="social",
        target="Sommeil",
        data="Modifié",
    )


def test_concurrent_edit_is_refused(world, team, note_of):
    from opendui.core.services import ConcurrentEditError

    note = note_of(team["educateur"], world.anne)
    with pytest.raises(ConcurrentEditError):
        edit_note(
            Actor(team["educateur"]),
            note,
            expected_version=7,
            category="social",
            target="Sommeil",
            data="Modifié",
        )


def test_a_correction_is_a_new_version_and_keeps_the_original(world, team, note_of):
    note = note_of(team["educateur"], world.anne)
    first = correct_note(
        Actor(team["educateur"]), note, target="Sommeil", data="Réveillée une fois."
    )
    second = correct_note(Actor(team["educateur"]), first, target="Sommeil", data="Pas réveillée.")
    note.refresh_from_db()
    assert note.data == "Réveillée plusieurs fois." and note.version == 1
    assert (first.corrects, first.original, first.written_at) == (note, note, note.written_at)
    assert (second.corrects, second.original) == (first, note)
    assert AuditEvent.objects.filter(action="note.correct").count() == 2
    # A version is corrected once: correct the latest one.
    with pytest.raises(ValidationError):
        correct_note(Actor(team["educateur"]), note, target="Sommeil", data="Encore")
    with pytest.raises(IntegrityError), transaction.atomic():
        Note.objects.create(
            **{
                f.attname: getattr(first, f.attname)
                for f in Note._meta.concrete_fields
                if f.name != "id"
            }
            | {"corrects_id": note.pk}
        )


def test_only_the_author_corrects_and_with_a_real_change(world, team, note_of):
    note = note_of(team["educateur"], world.anne)
    other = world.user("educateur", facility=world.ehpad)
    with pytest.raises(PermissionDenied):
        correct_note(Actor(other), note, target="Sommeil", data="Autre")
    with pytest.raises(ValidationError):
        correct_note(
            Actor(team["educateur"]), note, target="Sommeil", data="Réveillée plusieurs fois."
        )
    assert Note.objects.count() == 1


def test_mark_read_ignores_notes_the_user_may_not_read(world, team, note_of):
    reader = world.user("educateur", facility=world.ehpad)
    social = note_of(team["educateur"], world.anne)
    psy = note_of(team["psychologue"], world.anne, "psychological")
    assert mark_read(reader, [social.pk, psy.pk]) == 1
    assert mark_read(reader, [social.pk]) == 0
    assert list(NoteRead.objects.values_list("note_id", "user_id")) == [(social.pk, reader.pk)]


def test_own_notes_count_as_read_without_a_mark(world, team, note_of):
    own = note_of(team["educateur"], world.anne)
    assert mark_read(team["educateur"], [own.pk]) == 0
    assert not NoteRead.objects.exists()
