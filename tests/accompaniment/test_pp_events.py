"""Events planned against a running PP's services (agenda ↔ projet personnalisé)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from opendui.agenda.forms import running_services
from opendui.agenda.models import Event
from opendui.persons.models import Person
from tests.agenda.helpers import at, make


def test_an_event_carries_out_a_service_of_the_running_pp(world, running, educator):
    service = running.services.get()
    event = make(
        educator, world.ehpad, at(10, 14), at(10, 15), persons=[world.anne], pp_service=service
    )
    event.refresh_from_db()
    assert event.pp_service == service
    assert event.serafin_code == "2.1.1.1"  # the event takes the service's SERAFIN type
    assert list(service.events.all()) == [event]
    assert list(running_services(Person.objects.filter(pk=world.anne.pk))) == [service]


def test_a_service_of_a_person_not_taking_part_is_refused(world, running, educator):
    service = running.services.get()
    with pytest.raises(ValidationError) as refused:
        make(
            educator, world.ehpad, at(10, 14), at(10, 15), persons=[world.bruno], pp_service=service
        )
    assert "ne participe pas" in str(refused.value)
    assert not Event.objects.exists()


def test_services_offered_are_those_of_running_pps_only(world, draft, edu):
    from opendui.accompaniment import sections

    sections.add_service(edu, draft, code="2.2.1", frequency="chaque jour")
    assert not running_services(Person.objects.filter(pk=world.anne.pk)).exists()
