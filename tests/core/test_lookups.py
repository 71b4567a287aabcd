"""The `keyprefix` lookup: same rows as `startswith`, no LIKE on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from opendui.persons.models import Person


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "a", "an", "ann", "zz", "b%", "d_"])
def test_keyprefix_finds_what_startswith_finds(world, prefix):
    by_lookup = set(Person.objects.filter(birth_name_key__keyprefix=prefix).values_list("pk"))
    by_startswith = set(Person.objects.filter(birth_name_key__startswith=prefix).values_list("pk"))
    assert by_lookup == by_startswith
    if prefix == "":
        assert len(by_lookup) == Person.objects.count()


@pytest.mark.django_db
def test_keyprefix_sql_per_database(world):
    sql = str(Person.objects.filter(birth_name_key__keyprefix="le").query)
    if connection.vendor == "postgresql":
        assert "starts_with(" in sql and "LIKE" not in sql
    else:
        assert "LIKE" in sql
