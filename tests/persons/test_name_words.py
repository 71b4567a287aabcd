"""The indexed first letters of the name keys' words (persons.name_words)."""

from __future__ import annotations

import pytest
from django.db import NotSupportedError, connection

from opendui.persons.models import Person
from opendui.persons.name_words import NameWordStarts, starts_tsquery


def test_the_tsquery_names_each_word_and_the_name_starts():
    assert starts_tsquery(("le", "g"), True) == "'le' & 'g' & (' le' | ' g')"
    assert starts_tsquery(("le", "g"), False) == "'le' & 'g'"
    # Quotes and backslashes are escaped: nothing typed is read as tsquery syntax.
    assert starts_tsquery(("a'", "\\:"), False) == "'a''' & '\\\\:'"


def test_only_words_of_one_or_two_letters():
    with pytest.raises(ValueError, match="1 to 2 letters"):
        NameWordStarts(("lef",), one_starts_a_name=True)


def test_the_query_expression_is_the_indexed_one(db):
    """The migration creates the index on its own copy of the expression; PostgreSQL uses
    it only if the query writes the very same one."""
    condition = NameWordStarts(("le", "g"), one_starts_a_name=True)
    if connection.vendor != "postgresql":
        with pytest.raises(NotSupportedError):
            list(Person.objects.filter(condition))
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Person.objects.filter(condition).order_by().values("pk").explain()
    assert "person_name_word_starts" in plan, plan


def test_the_words_and_name_starts_of_a_person(db):
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL function")
    with connection.cursor() as cursor:
        cursor.execute("SELECT opendui_name_word_starts('le goff', '', 'marie anne')")
        [vector] = cursor.fetchone()
    assert vector == "' l' ' le' 'a' 'an' 'g' 'go' 'l' 'le' 'm' 'ma'"
