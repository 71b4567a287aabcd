from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from opendui.stays.models import Stay


def director_of_both(world):
    director = world.user("directeur", facility=world.ehpad)
    world.assign(director, "directeur", facility=world.ime)
    return director


def test_director_sees_each_facility_overview_with_current_stays(world, login):
    client = login(director_of_both(world))
    response = client.get("/")
    overviews = {o.facility.name: o for o in response.context["overviews"]}
    assert set(overviews) == {"EHPAD Les Tilleuls", "IME Les Sources"}
    assert overviews["EHPAD Les Tilleuls"].current_stays == 2
    assert overviews["EHPAD Les Tilleuls"].units == [("Les Glycines", 1), ("Les Lilas", 1)]
    assert overviews["IME Les Sources"].current_stays == 1
    assert overviews["EHPAD Les Tilleuls"].occupancy_percent == round(100 * 2 / 80, 1)


def test_ended_stays_are_not_counted_and_queries_do_not_grow(world, login):
    client = login(director_of_both(world))
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for n in range(30):
        person = world.person(world.ehpad, world.lilas, birth_name=f"NOM{n}")
        Stay.objects.filter(person=person).update(end_date=dt.date(2024, 6, 1))
    with CaptureQueriesContext(connection) as many:
        response = client.get("/")
    assert len(many) == len(few)
    ehpad = next(o for o in response.context["overviews"] if o.facility == world.ehpad)
    assert ehpad.current_stays == 2


def test_roles_without_the_overview_permission_see_no_facility_card(world, login):
    client = login(world.user("educateur", facility=world.ime))
    assert client.get("/").context["overviews"] == []
