"""Builders shared by the incident tests and tests/core/test_url_walk.py."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from opendui.incidents.models import CorrectiveAction, Incident


def incident_of(world, person=None, *, declarer=None, facility=None, **fields) -> Incident:
    """An incident in world.ehpad (by default) involving `person` (world.anne by default),
    declared by a new nurse of the facility unless `declarer` is given."""
    facility = facility or world.ehpad
    declarer = declarer or world.user("infirmier", facility=facility)
    now = timezone.now()
    values = {
        "occurred_at": now - dt.timedelta(days=2),
        "declared_at": now - dt.timedelta(days=1),
        "place": "Salle à manger",
        "description": "Chute lors du repas.",
        "severity": "eig",
        "categories": ["4"],
    }
    values.update(fields)
    incident = Incident.objects.create(facility=facility, declared_by=declarer, **values)
    incident.persons.set([person or world.anne])
    return incident


def action_of(incident: Incident, owner, **fields) -> CorrectiveAction:
    values = {"description": "Revoir le plan de table", "due_date": dt.date(2024, 1, 1)}
    values.update(fields)
    return CorrectiveAction.objects.create(incident=incident, owner=owner, **values)
