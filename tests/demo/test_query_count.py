"""The person list issues the same number of SQL queries whatever the number of persons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from opendui.persons.models import Person, Sex
from opendui.stays.models import Stay


def add_persons(world, how_many: int, units: list) -> None:
    """Persons in the EHPAD's `units`, some with a used name and an earlier stay at the IME."""
    start = Person.objects.count()
    for n in range(start, start + how_many):
        person = Person.objects.create(
            organisation=world.og,
            local_id=f"Q{n:06d}",
            birth_name=f"Martin-{n:03d}",
            first_name="Jeanne",
            used_name="Lefèvre" if n % 3 == 0 else "",
            birth_date=dt.date(1935, 1, 1) + dt.timedelta(days=n),
            sex=Sex.FEMALE,
        )
        Stay.objects.create(
            person=person,
            facility=world.ehpad,
            unit=units[n % len(units)],
            start_date=dt.date(2024, 1, 1),
        )
        if n % 4 == 0:
            Stay.objects.create(
                person=person,
                facility=world.ime,
                start_date=dt.date(2020, 1, 1),
                end_date=dt.date(2023, 12, 31),
            )


def queries_for_list(client, params: dict) -> tuple[int, str]:
    client.get("/personnes/", params)  # warm-up: same session state for the measured request
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/personnes/", params)
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize(
    ("role", "scope", "params"),
    [
        ("infirmier", "facility", {}),
        ("infirmier", "facility", {"q": "mart"}),
        ("aide-soignant", "unit", {}),
        ("directeur", "organisation", {}),
    ],
)
def test_person_list_query_count_does_not_depend_on_the_number_of_persons(
    world, login, role, scope, params
):
    kwargs = {"facility": world.ehpad} if scope == "facility" else {}
    if scope == "unit":
        kwargs = {"facility": world.ehpad, "unit": world.glycines}
    client = login(world.user(role, **kwargs))

    units = [world.glycines] if scope == "unit" else [world.glycines, world.lilas]
    add_persons(world, 3, units)  # anne and bruno + 3 = 5 persons in the EHPAD
    assert Stay.objects.filter(facility=world.ehpad).count() == 5
    few, few_page = queries_for_list(client, params)

    add_persons(world, 55, units)  # 60 persons in the EHPAD, more than a page
    assert Stay.objects.filter(facility=world.ehpad).count() == 60
    many, many_page = queries_for_list(client, params)

    assert few == many, f"{few} queries for 5 persons, {many} for 60"
    assert "Page suivante" not in few_page
    if not params:
        assert "Page suivante" in many_page  # the second measure really listed a full page
