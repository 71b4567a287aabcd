""" "Some word of the person's names starts with each of these short words", served by
one GIN index on PostgreSQL.

A search of several short words ('le g', 'ma j') asks that each word start a word of
the birth name, the used name or the first names. Written as LIKE tests, no index can
serve a word of one or two letters (pg_trgm needs three), and PostgreSQL read every
person whose name starts with one of the words and tested each: 17 700 rows, 27 ms, for
'le g' at 100 000 persons. The words of the three search keys, as a tsvector, are
indexed (migration persons/0009); a tsquery of prefixes ('le':* & 'g':*) then finds the
1 260 persons holding both at once. The vector is built from the keys split on spaces
(`array_to_tsvector`), not by a text-search parser, so its words are exactly those the
LIKE tests see, whatever the characters of the name.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError
from django.db.models import BooleanField, F, Func

# The indexed expression (migration persons/0009 creates the index on the same text with
# bare column names); PostgreSQL uses the index when the query's expression is the same.
WORDS_VECTOR = (
    "array_to_tsvector(array_remove(string_to_array("
    "{birth} || ' ' || {used} || ' ' || {first}, ' '), ''))"
)
KEY_COLUMNS = {"birth": "birth_name_key", "used": "used_name_key", "first": "first_name_key"}


def prefix_tsquery(words: tuple[str, ...]) -> str:
    """`'le':* & 'g':*` — each word quoted as a tsquery lexeme, so that no character of a
    search key (a dot, a colon, a backslash) is read as tsquery syntax."""
    quoted = ("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*" for word in words)
    return " & ".join(quoted)


class NameWordPrefixes(Func):
    """True when each word starts some word of the person's name keys (PostgreSQL only)."""

    output_field = BooleanField()

    def __init__(self, words: tuple[str, ...]) -> None:
        super().__init__(*(F(column) for column in KEY_COLUMNS.values()))
        self.words = tuple(words)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        raise NotSupportedError("NameWordPrefixes needs PostgreSQL")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        columns, params = {}, []
        for name, expression in zip(KEY_COLUMNS, self.get_source_expressions(), strict=True):
            sql, column_params = compiler.compile(expression)
            columns[name] = sql
            params.extend(column_params)
        vector = WORDS_VECTOR.format(**columns)
        return f"{vector} @@ %s::tsquery", [*params, prefix_tsquery(self.words)]
