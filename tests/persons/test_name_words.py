"""The indexed words expression of several short search words (persons.name_words)."""

from __future__ import annotations

import pytest
from django.db import NotSupportedError, connection

from opendui.persons.models import Person
from opendui.persons.name_words import NameWordPrefixes, prefix_tsquery


def test_each_word_is_a_quoted_prefix_lexeme():
    assert prefix_tsquery(("le", "g")) == "'le':* & 'g':*"
    # Quotes and backslashes are escaped: nothing typed is read as tsquery syntax.
    assert prefix_tsquery(("a'", "\\:")) == "'a''':* & '\\\\:':*"


def test_the_query_expression_is_the_indexed_one(db):
    """The migration creates the index on its own copy of the expression; PostgreSQL uses
    it only if the query writes the very same expression."""
    if connection.vendor != "postgresql":
        with pytest.raises(NotSupportedError):
            list(Person.objects.filter(NameWordPrefixes(("le", "g"))))
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Person.objects.filter(NameWordPrefixes(("le", "g"))).values("pk").explain()
    assert "person_name_words" in plan, plan
