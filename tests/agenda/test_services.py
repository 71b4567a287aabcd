"""Agenda services: validation (nothing saved), permissions, series, concurrency."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from opendui.agenda.models import Event, EventChange, EventParticipant, EventProfessional
from opendui.agenda.recurrence import Frequency, Rule
from opendui.agenda.services import Scope, create_event, update_event
from opendui.agenda.services_status import change_status, record_presence, record_report
from opendui.audit.models import AuditEvent
from opendui.core.actor import Actor
from opendui.core.services import ConcurrentEditError

from .helpers import at, data, make


@pytest.fixture
def educator(world):
    return world.user("educateur", facility=world.ehpad)


def _counts():
    return (
        Event.objects.count(),
        EventParticipant.objects.count(),
        EventChange.objects.count(),
        AuditEvent.objects.filter(kind="change").count(),
    )


def test_create_one_event_writes_links_audit_and_change_rows(world, educator):
    event = make(
        educator,
        world.ehpad,
        at(2, 10),
        at(2, 11),
        persons=[world.anne, world.bruno],
        professionals=[educator],
    )
    assert event.status == "PLANIFIE" and event.version == 1
    assert set(
        EventParticipant.objects.filter(event=event).values_list("person_id", flat=True)
    ) == {
        world.anne.pk,
        world.bruno.pk,
    }
    professional = EventProfessional.objects.get(event=event)
    assert (professional.start, professional.end, professional.cancelled) == (
        event.start,
        event.end,
        False,
    )
    audit = AuditEvent.objects.get(action="event.create")
    assert sorted(audit.person_ids) == sorted([world.anne.pk, world.bruno.pk])
    assert set(EventChange.objects.values_list("person_id", "kind", "by_job")) == {
        (world.anne.pk, "create", False),
        (world.bruno.pk, "create", False),
    }


def test_end_before_start_is_refused_in_french_and_nothing_is_saved(world, educator):
    before = _counts()
    with pytest.raises(ValidationError) as error:
        make(educator, world.ehpad, at(2, 10), at(2, 9), persons=[world.anne])
    assert "avant" in error.value.message_dict["end"][0]
    assert _counts() == before


def test_serafin_code_must_be_a_service_of_family_2_or_3(world, educator):
    with pytest.raises(ValidationError) as error:
        make(
            educator,
            world.ehpad,
            at(2, 10),
            at(2, 11),
            persons=[world.anne],
            serafin_code="1.1.1.1",
        )
    assert "serafin_code" in error.value.message_dict
    event = make(
        educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne], serafin_code="2.3.1.1"
    )
    assert event.serafin_code == "2.3.1.1"


def test_professionals_must_be_assigned_to_the_facility(world, educator):
    elsewhere = world.user("educateur", facility=world.ime)
    with pytest.raises(ValidationError) as error:
        make(
            educator,
            world.ehpad,
            at(2, 10),
            at(2, 11),
            persons=[world.anne],
            professionals=[elsewhere],
        )
    assert "affecté" in error.value.message_dict["professionals"][0]


def test_writing_needs_every_participant_in_scope_and_the_category(world):
    unit_educator = world.user("educateur", facility=world.ehpad, unit=world.glycines)
    # Anne is in Les Glycines, Bruno in Les Lilas: the unit educator may not write about Bruno.
    with pytest.raises(PermissionDenied):
        make(unit_educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne, world.bruno])
    make(unit_educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne])
    # Social data in write, medical not: a medical report category is refused.
    with pytest.raises(PermissionDenied):
        make(
            unit_educator,
            world.ehpad,
            at(2, 10),
            at(2, 11),
            persons=[world.anne],
            category="medical",
        )
    outsider = world.user("educateur", facility=world.ime)
    with pytest.raises(PermissionDenied):
        make(outsider, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne])


def test_team_meeting_needs_an_assignment_in_the_facility(world, educator):
    meeting = make(
        educator, world.ehpad, at(2, 14), at(2, 15), professionals=[educator], kind="reunion"
    )
    assert not EventChange.objects.filter(event_id=meeting.pk).exists()  # about no record
    admin = world.user("admin", organisation=world.og)
    with pytest.raises(PermissionDenied):
        make(admin, world.ehpad, at(2, 14), at(2, 15), professionals=[educator], kind="reunion")


def test_update_with_a_stale_version_is_refused(world, educator):
    event = make(educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne])
    actor = Actor(user=educator)
    update_event(
        actor,
        event,
        data(world.ehpad, at(2, 10), at(2, 12), persons=[world.anne], title="A"),
        expected_version=1,
    )
    before = _counts()
    with pytest.raises(ConcurrentEditError):
        update_event(
            actor,
            event,
            data(world.ehpad, at(2, 10), at(2, 13), persons=[world.anne]),
            expected_version=1,
        )
    with pytest.raises(ConcurrentEditError):
        change_status(actor, event, "VALIDE", expected_version=1)
    assert _counts() == before
    event.refresh_from_db()
    assert (event.title, event.version, event.end) == ("A", 2, at(2, 12))


def test_status_presence_and_report(world, educator):
    actor = Actor(user=educator)
    event = make(
        educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne], professionals=[educator]
    )
    record_presence(actor, event, {world.anne.pk: "non"}, expected_version=1)
    with pytest.raises(ValidationError, match="absentes"):
        change_status(actor, event, "TERMINE", expected_version=2)
    change_status(actor, event, "TERMINE", reason="Hospitalisée", expected_version=2)
    record_report(actor, event, "Séance reportée.", expected_version=3)
    event.refresh_from_db()
    assert (event.status, event.non_realisation_reason, event.report, event.version) == (
        "TERMINE",
        "Hospitalisée",
        "Séance reportée.",
        4,
    )
    # The report text never enters the audit trail.
    report_audit = AuditEvent.objects.get(action="event.report")
    assert "Séance" not in str(report_audit.details)
    with pytest.raises(ValidationError, match="ne change plus"):
        change_status(actor, event, "ANNULE", reason="x", expected_version=4)


def test_cancelling_copies_the_flag_to_professional_rows(world, educator):
    actor = Actor(user=educator)
    event = make(
        educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne], professionals=[educator]
    )
    with pytest.raises(ValidationError, match="motif"):
        change_status(actor, event, "ANNULE", expected_version=1)
    change_status(actor, event, "ANNULE", reason="Intervenant malade", expected_version=1)
    assert EventProfessional.objects.get(event=event).cancelled


def test_series_this_occurrence_and_following(world, educator):
    actor = Actor(user=educator)
    events = create_event(
        actor,
        data(world.ehpad, at(2, 14), at(2, 15), persons=[world.anne], professionals=[educator]),
        Rule(Frequency.WEEKLY, weekdays=(0, 2), count=6),
    )
    assert len(events) == 6 and len({e.series_id for e in events}) == 1
    assert AuditEvent.objects.filter(action="event.create_series").count() == 1
    assert EventChange.objects.filter(kind="create").count() == 6
    # This occurrence only: the third one moves to 16:00.
    third = events[2]
    update_event(
        actor,
        third,
        data(world.ehpad, at(9, 16), at(9, 17), persons=[world.anne]),
        expected_version=1,
    )
    third.refresh_from_db()
    assert third.start == at(9, 16)
    assert Event.objects.get(pk=events[3].pk).start == at(11, 14)
    # This and following, from the fourth: one hour later, title changed.
    fourth = Event.objects.get(pk=events[3].pk)
    changed = update_event(
        actor,
        fourth,
        data(
            world.ehpad,
            at(11, 15),
            at(11, 16, 30),
            persons=[world.anne],
            professionals=[educator],
            title="Chorale",
        ),
        expected_version=1,
        scope=Scope.FOLLOWING,
    )
    assert [e.pk for e in changed] == [e.pk for e in events[3:]]
    after = list(Event.objects.filter(pk__in=[e.pk for e in events]).order_by("start"))
    assert [e.title for e in after] == ["Atelier mémoire"] * 3 + ["Chorale"] * 3
    assert [e.start.astimezone(at(2, 0).tzinfo).strftime("%d %H:%M") for e in after[3:]] == [
        "11 15:00",
        "16 15:00",
        "18 15:00",
    ]
    assert after[-1].end - after[-1].start == dt.timedelta(minutes=90)
    # Cancel this and following from the fifth.
    fifth = after[4]
    cancelled = change_status(
        actor,
        fifth,
        "ANNULE",
        reason="Fin de l'atelier",
        expected_version=fifth.version,
        scope=Scope.FOLLOWING,
    )
    assert len(cancelled) == 2
    assert (
        list(
            Event.objects.filter(series_id=events[0].series_id)
            .values_list("status", flat=True)
            .order_by("start")
        )
        == ["PLANIFIE"] * 4 + ["ANNULE"] * 2
    )
    assert EventProfessional.objects.filter(cancelled=True).count() == 2
