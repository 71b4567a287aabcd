"""core.bulk.bulk_insert: bulk_create's COPY path on PostgreSQL, same rows and keys."""

from __future__ import annotations

import datetime as dt

from opendui.core.bulk import bulk_insert
from opendui.persons.models import Person, Sex
from opendui.stays.models import Placement, Stay, StayMode


def test_rows_keys_defaults_and_triggers_are_those_of_bulk_create(world):
    persons = [
        Person(
            organisation=world.og,
            local_id=f"C{number:06d}",
            birth_name="COPIE",
            first_name="Zoé",
            used_name="L'Épine" if number % 2 else "",
            birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=number),
            sex=Sex.FEMALE,
        )
        for number in range(3)
    ]
    for person in persons:
        person.refresh_search_keys()
    # Built before the persons have keys: the key is read from the related object.
    stays = [
        Stay(person=p, facility=world.ime, start_date=dt.date(2025, 1, 1), mode=StayMode.DAY)
        for p in persons
    ]
    bulk_insert(Person, persons)
    assert all(p.pk is not None and not p._state.adding for p in persons)
    stored = {p.pk: p for p in Person.objects.filter(local_id__startswith="C")}
    assert set(stored) == {p.pk for p in persons}
    for person in persons:
        row = stored[person.pk]
        assert (row.birth_name, row.used_name, row.birth_date) == (
            person.birth_name,
            person.used_name,
            person.birth_date,
        )
        assert row.version == 1 and row.created_at is not None
        assert row.created_at == person.created_at and row.updated_at is not None
        assert row.birth_name_key == person.birth_name_key
    bulk_insert(Stay, stays)
    assert set(
        Stay.objects.filter(facility=world.ime, mode="accueil_jour").values_list("pk", flat=True)
    ) == {s.pk for s in stays}
    assert {p.pk for p in persons} <= set(
        Placement.objects.filter(facility=world.ime).values_list("person_id", flat=True)
    )
    bulk_insert(Stay, [])  # nothing to do
