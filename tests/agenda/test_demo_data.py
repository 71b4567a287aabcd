"""seed_events: realistic, deterministic, and consistent with what the services write."""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import Count

from opendui.agenda.demo_data import seed_events
from opendui.agenda.models import Event, EventChange, EventParticipant, EventProfessional
from opendui.stays.models import Stay


def test_seed_events(world):
    educator = world.user("educateur", facility=world.ehpad)
    stays = list(Stay.objects.all())
    today = dt.date(2026, 11, 22)
    created = seed_events(
        stays,
        random.Random(1),
        {world.ehpad.pk: [educator.pk]},
        today,
        per_person_per_week=2,
        years=1,
    )
    assert created == Event.objects.count() > 100
    # Each event has participants; group activities share events between persons.
    assert not Event.objects.annotate(n=Count("participants")).filter(n=0).exists()
    assert Event.objects.filter(series__isnull=False).exists()
    assert Event.objects.filter(kind="rendez_vous").exists()
    # Copies agree with the events.
    for row in EventProfessional.objects.select_related("event")[:200]:
        assert (row.start, row.end, row.cancelled) == (
            row.event.start,
            row.event.end,
            row.event.status == "ANNULE",
        )
    # Cancelled events have a reason (DB constraint) and every event has its creation rows.
    assert EventChange.objects.filter(kind="create").count() == EventParticipant.objects.count()
    assert (
        Event.objects.filter(status="ANNULE").exclude(non_realisation_reason="").count()
        == Event.objects.filter(status="ANNULE").count()
    )
