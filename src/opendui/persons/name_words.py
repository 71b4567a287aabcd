""" "Each of these short words starts a word of the person's names, and one starts the
birth or used name", served by one GIN index on PostgreSQL.

A search of several short words ('le g', 'le m') asks that each word start a word of the
birth name, the used name or the first names, and that one of them start the birth or
used name. Written as LIKE tests no index can serve a word of one or two letters
(pg_trgm needs three): PostgreSQL read every person whose name starts with one of the
words and tested each, 17 700 rows and 27 ms for 'le g' at 100 000 persons.

The SQL function `opendui_name_word_starts` (migration persons/0009) turns the three
search keys into a tsvector of the first one and two letters of each of their words
('le goff' gives 'l', 'le', 'g', 'go'), plus, marked by a leading space, those of the
birth and used names themselves (' l', ' le'). Its GIN index answers the whole test as
one tsquery of exact lexemes, `'le' & 'g' & (' le' | ' g')`: 1 260 persons, 1.4 ms. The
words are those of the keys split on spaces, not of a text-search parser, so they are
exactly the words the LIKE tests see, whatever the characters of the name.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.models import BooleanField, F, Func

FUNCTION = "opendui_name_word_starts"
KEY_COLUMNS = ("birth_name_key", "used_name_key", "first_name_key")
MAX_LETTERS = 2  # the function keeps the first one and two letters of each word


def _lexeme(text: str) -> str:
    """A tsquery lexeme, quoted so that no character of a search key (a colon, an
    ampersand, a backslash) is read as tsquery syntax."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def starts_tsquery(words: tuple[str, ...], one_starts_a_name: bool) -> str:
    """`'le' & 'g' & (' le' | ' g')`: each word starts a word of the names and, when
    `one_starts_a_name`, one of them starts the birth or used name."""
    query = " & ".join(_lexeme(word) for word in words)
    if one_starts_a_name:
        query += " & (" + " | ".join(_lexeme(" " + word) for word in words) + ")"
    return query


class NameWordStarts(Func):
    """True when each short word starts a word of the person's name keys (and, with
    `one_starts_a_name`, one starts the birth or used name). PostgreSQL only."""

    output_field = BooleanField()

    def __init__(self, words: tuple[str, ...], *, one_starts_a_name: bool) -> None:
        if not words or any(not 0 < len(word) <= MAX_LETTERS for word in words):
            raise ValueError(f"words of 1 to {MAX_LETTERS} letters expected: {words!r}")
        super().__init__(*(F(column) for column in KEY_COLUMNS))
        self.query = starts_tsquery(tuple(words), one_starts_a_name)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        raise NotSupportedError(f"{FUNCTION} needs PostgreSQL")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        columns, params = [], []
        for expression in self.get_source_expressions():
            sql, column_params = compiler.compile(expression)
            columns.append(sql)
            params.extend(column_params)
        return f"{FUNCTION}({', '.join(columns)}) @@ %s::tsquery", [*params, self.query]
