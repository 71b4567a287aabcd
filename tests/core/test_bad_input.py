"""The six causes of HTTP 500 on hostile input found by the security review, one test each.

Each page or form below answered 500 before core.params and core.fields: the value went
unbounded into Python's slicing or date arithmetic, or into the database. Run on SQLite
and on PostgreSQL: the overflows differ (SQLite's 64-bit parameters, PostgreSQL's bigint).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from opendui.agenda.models import Event
from opendui.incidents.models import Incident

HUGE = "99999999999999999999"  # beyond a bigint
MAX_BIGINT = "9223372036854775807"
NOTHING_SAVED = "Rien n&#x27;a été enregistré"


def _token(client, url: str) -> str:
    context = client.get(url).context
    return context.get("form_token") or context["token"]


# 1. A page number that overflows list slicing (OverflowError) and PostgreSQL's bigint OFFSET.
@pytest.mark.parametrize("page", [MAX_BIGINT, HUGE, "-" + HUGE, "0", "²"])
def test_cause_1_huge_page_number_shows_a_page(world, login, director, page):
    client = login(director)
    for url in (
        reverse("persons:list"),
        reverse("incidents:facility_list", kwargs={"facility_pk": world.ehpad.pk}),
        reverse("agenda:planning_week", kwargs={"facility_pk": world.ehpad.pk}),
        reverse("notes:liaison", kwargs={"facility_pk": world.ehpad.pk}),
    ):
        assert client.get(url, {"page": page}).status_code == 200, (url, page)


# 2. A date at the ends of the calendar on the agenda's week and day pages (date arithmetic).
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "9999-12-27"])
@pytest.mark.parametrize("name", ["agenda:planning_week", "agenda:planning_day"])
def test_cause_2_agenda_date_at_the_calendar_ends_shows_today(world, login, name, day):
    client = login(world.user("educateur", facility=world.ehpad))
    url = reverse(name, kwargs={"facility_pk": world.ehpad.pk})
    response = client.get(url, {"date": day})
    assert response.status_code == 200


# 3. `?jour=` on the facility's transmissions page (the previous/next day links).
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "", "2026-02-30", "٢٠٢٦-٠١-٠١"])
def test_cause_3_transmissions_day_at_the_calendar_ends_shows_today(world, login, day):
    client = login(world.user("educateur", facility=world.ehpad))
    url = reverse("notes:liaison", kwargs={"facility_pk": world.ehpad.pk})
    assert client.get(url, {"jour": day}).status_code == 200


# 4. A participant id beyond a bigint on the agenda form (reached the database).
def test_cause_4_agenda_person_id_beyond_bigint_is_a_form_error(world, login):
    educator = world.user("educateur", facility=world.ehpad)
    client = login(educator)
    url = reverse("agenda:create", kwargs={"facility_pk": world.ehpad.pk})
    data = {
        "kind": "activite",
        "title": "Atelier mémoire",
        "start": "2026-03-02T10:00",
        "end": "2026-03-02T11:00",
        "persons": [HUGE],
        "professionals": [HUGE],
        "unit": HUGE,
        "category": "social",
        "rep-frequency": "",
        "rep-interval": "1",
        "form_token": _token(client, url),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert NOTHING_SAVED in response.content.decode()
    assert not Event.objects.exists()
    # The same id in the link that pre-selects a person.
    assert client.get(url, {"personne": HUGE}).status_code == 200


def _declaration(client, world, **values) -> dict:
    url = reverse("incidents:declare", kwargs={"facility_pk": world.ehpad.pk})
    data = {
        "form_token": _token(client, url),
        "occurred_at": "2026-01-05T10:00",
        "place": "Chambre",
        "description": "Chute de la personne",
        "severity": "eig",
        "categories": ["4"],
        "persons": [world.anne.pk],
    }
    return client.post(url, {**data, **values})


# 5. An occurrence on 0001-01-01 (local time to UTC falls before year 1).
@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59"])
def test_cause_5_incident_occurred_at_the_calendar_ends_is_a_form_error(world, login, when):
    client = login(world.user("infirmier", facility=world.ehpad))
    response = _declaration(client, world, occurred_at=when, discovered_at=when)
    assert response.status_code == 200
    assert "Date hors des limites" in response.content.decode()
    assert not Incident.objects.exists()


# 6. A count of exposed persons beyond the column (integer out of range in the database).
def test_cause_6_incident_exposed_count_beyond_the_column_is_a_form_error(world, login):
    client = login(world.user("infirmier", facility=world.ehpad))
    response = _declaration(client, world, exposed_count=HUGE, persons=[HUGE])
    assert response.status_code == 200
    assert not Incident.objects.exists()
    response = _declaration(client, world, exposed_count=str(2**31))
    assert response.status_code == 200
    assert "inférieure ou égale à 2147483647" in response.content.decode()
    assert not Incident.objects.exists()
