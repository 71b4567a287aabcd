"""Demo incidents are plausible: every status, valid dates, persons of the facility."""

from __future__ import annotations

import random

from django.utils import timezone

from opendui.incidents.demo_data import PER_FACILITY, seed_incidents
from opendui.incidents.models import Incident
from opendui.stays.models import Stay


def test_seed_incidents(world):
    nurse = world.user("infirmier", facility=world.ehpad)
    chief = world.user("chef-de-service", facility=world.ehpad)
    count = seed_incidents(
        [world.ehpad, world.ime],
        Stay.objects.all(),
        random.Random(1),
        {world.ehpad.pk: [nurse]},
        {world.ehpad.pk: [chief]},
        timezone.localdate(),
    )
    assert count == PER_FACILITY == Incident.objects.count()
    assert {i.status for i in Incident.objects.all()} == {"declare", "en_analyse", "clos"}
    for incident in Incident.objects.all():
        assert incident.occurred_at <= incident.declared_at <= timezone.now()
        assert set(incident.persons.values_list("pk", flat=True)) <= {world.anne.pk, world.bruno.pk}
