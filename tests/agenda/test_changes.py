"""The ESMS Numérique "événement": EventChange rows and persons_with_events."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opendui.agenda.models import EventChange
from opendui.agenda.selectors import persons_with_events
from opendui.agenda.services import update_event
from opendui.agenda.services_status import change_status
from opendui.core.actor import Actor

from .helpers import at, data, make


def test_every_write_counts_and_cancellation_is_an_update(world):
    educator = world.user("educateur", facility=world.ehpad)
    actor = Actor(user=educator)
    event = make(educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne, world.bruno])
    update_event(
        actor,
        event,
        data(world.ehpad, at(2, 10), at(2, 12), persons=[world.anne]),
        expected_version=1,
    )
    change_status(actor, event, "ANNULE", reason="Sortie annulée", expected_version=2)
    rows = list(EventChange.objects.order_by("pk").values_list("person_id", "kind"))
    assert rows == [
        (world.anne.pk, "create"),
        (world.bruno.pk, "create"),
        # Bruno removed from the event: a change in his record too.
        (world.anne.pk, "update"),
        (world.bruno.pk, "update"),
        (world.anne.pk, "status"),
    ]
    assert {r.facility_id for r in EventChange.objects.all()} == {world.ehpad.pk}


def test_persons_with_events_by_facility_and_period(world):
    ehpad, ime = world.ehpad, world.ime

    def row(person, facility, when, by_job=False):
        EventChange.objects.create(
            person_id=person.pk,
            facility_id=facility.pk,
            event_id=1,
            changed_at=when,
            kind="update",
            by_job=by_job,
        )

    march = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    april = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    row(world.anne, ehpad, march)  # first instant: in
    row(world.anne, ehpad, march + dt.timedelta(days=3))  # twice: counted once
    row(world.bruno, ehpad, april)  # end is exclusive: out
    row(world.bruno, ehpad, march - dt.timedelta(seconds=1))  # before: out
    row(world.chloe, ime, march + dt.timedelta(days=1))  # other facility
    row(world.bruno, ehpad, march + dt.timedelta(days=5), by_job=True)  # automatic job
    assert set(persons_with_events(ehpad, march, april)) == {world.anne.pk}
    assert persons_with_events(ehpad, march, april).count() == 1
    assert set(persons_with_events(ehpad, march, april, include_jobs=True)) == {
        world.anne.pk,
        world.bruno.pk,
    }
    assert set(persons_with_events(ime.pk, march, april)) == {world.chloe.pk}


def test_a_job_write_is_flagged(world):
    from opendui.agenda.changes import record_event_changes

    educator = world.user("educateur", facility=world.ehpad)
    event = make(educator, world.ehpad, at(2, 10), at(2, 11), persons=[world.anne])
    record_event_changes(
        Actor.system("agenda.close_past_events"), [(event, [world.anne.pk])], "status"
    )
    assert EventChange.objects.filter(by_job=True).count() == 1
    now = timezone.now()
    assert list(
        persons_with_events(world.ehpad, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    ) == [world.anne.pk]
