"""The triggers that keep `stays.Placement` equal to the set of (person, facility) pairs
of the stays and admission requests.

Triggers rather than application code because stays and requests are written from
several places — admission, transfer, the merge of duplicates (a bulk UPDATE of
person_id), the demo and benchmark loaders (bulk inserts) — and a missed path would
silently hide a person from the professionals of their facility. After an UPDATE or
DELETE the old pair is removed only when no stay or request still holds it.

Concurrency (PostgreSQL). Two transactions could each delete one of the last two stays
of a pair, each still seeing the other's (uncommitted) stay, and leave the pair behind:
the person would stay visible to a facility that no longer accompanies them. So the
trigger first locks the rows of the persons concerned (`FOR NO KEY UPDATE`); the second
writer waits for the first to end, and its next statement, under READ COMMITTED
(Django's default), sees what the first committed. The lock is a row lock, kept in the
row itself and not in the server's shared lock table: a transaction may touch any number
of persons (a loader inserting 100 000 stays, a merge). The former per-person advisory
lock filled that table (`max_locks_per_transaction`, 64 per connection by default) after a
few thousand persons: "out of shared memory". `NO KEY UPDATE`, not `UPDATE`, so that
rows merely referencing the person (a note, a document: a `KEY SHARE` foreign-key check)
are not held up by a stay being written.

The PostgreSQL triggers are per statement, with transition tables: one statement locks
all its persons at once in id order, so two statements touching the same persons cannot
deadlock on each other whatever the order of their rows, and the pairs are written with
one set-based INSERT or DELETE instead of one per row (the loaders insert stays by the
thousand). An UPDATE that leaves every pair as it was (the usual save of a stay) locks
and writes nothing. SQLite has one writing transaction at a time and no statement
triggers with transition tables: it keeps row triggers without locks.
"""

# ruff: noqa: S608 - the SQL is built from this module's constant table names only

from __future__ import annotations

from typing import Any

SOURCES = ("stays_stay", "stays_admissionrequest")
TABLE = "stays_placement"
PERSONS = "persons_person"

# --- PostgreSQL: statement triggers --------------------------------------------------------

# `pairs` names a query of (person_id, facility_id) rows: the pairs a statement added or
# may have removed.


def _lock(pairs: str) -> str:
    return (
        f"PERFORM 1 FROM {PERSONS} WHERE id IN (SELECT person_id FROM {pairs}) "
        "ORDER BY id FOR NO KEY UPDATE;"
    )


def _add(pairs: str) -> str:
    return (
        f"INSERT INTO {TABLE} (person_id, facility_id) "
        f"SELECT DISTINCT person_id, facility_id FROM {pairs} "
        "ON CONFLICT (person_id, facility_id) DO NOTHING;"
    )


def _remove_unheld(pairs: str) -> str:
    still_held = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {source} s WHERE s.person_id = p.person_id "
        "AND s.facility_id = p.facility_id)"
        for source in SOURCES
    )
    return (
        f"DELETE FROM {TABLE} p USING (SELECT DISTINCT person_id, facility_id FROM {pairs}) g "
        f"WHERE p.person_id = g.person_id AND p.facility_id = g.facility_id AND {still_held};"
    )


_OLD_PAIRS = "SELECT person_id, facility_id FROM old_rows"
_NEW_PAIRS = "SELECT person_id, facility_id FROM new_rows"
_GONE = f"({_OLD_PAIRS} EXCEPT {_NEW_PAIRS}) gone"
_CAME = f"({_NEW_PAIRS} EXCEPT {_OLD_PAIRS}) came"
_MOVED = f"(SELECT * FROM {_GONE} UNION SELECT * FROM {_CAME}) moved"

_PG_FUNCTIONS = {
    "insert": f"{_lock('new_rows')} {_add('new_rows')}",
    "delete": f"{_lock('old_rows')} {_remove_unheld('old_rows')}",
    # Pairs held before and after the statement are left alone: only the pairs it
    # removed (`gone`) or added (`came`) are locked and written.
    "update": f"{_lock(_MOVED)} {_remove_unheld(_GONE)} {_add(_CAME)}",
}
_PG_REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _pg_function(event: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION opendui_placement_{event}() RETURNS trigger AS $$ "
        f"BEGIN {_PG_FUNCTIONS[event]} RETURN NULL; END; $$ LANGUAGE plpgsql;"
    )


def _pg_drop(cursor: Any) -> None:
    for source in SOURCES:
        cursor.execute(f"DROP TRIGGER IF EXISTS {source}_placement ON {source};")  # row trigger
        for event in _PG_FUNCTIONS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {source}_placement_{event} ON {source};")


# --- SQLite: row triggers ------------------------------------------------------------------

_SQLITE_REMOVE_OLD = (
    f"DELETE FROM {TABLE} WHERE person_id = OLD.person_id AND facility_id = OLD.facility_id AND "
    + " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {source} s WHERE s.person_id = OLD.person_id "
        "AND s.facility_id = OLD.facility_id)"
        for source in SOURCES
    )
    + ";"
)
_SQLITE_INSERT_NEW = (
    f"INSERT OR IGNORE INTO {TABLE} (person_id, facility_id) "
    "VALUES (NEW.person_id, NEW.facility_id);"
)
_SQLITE_TRIGGERS = {
    "insert": ("AFTER INSERT", _SQLITE_INSERT_NEW),
    "update": (
        "AFTER UPDATE OF person_id, facility_id",
        _SQLITE_REMOVE_OLD + " " + _SQLITE_INSERT_NEW,
    ),
    "delete": ("AFTER DELETE", _SQLITE_REMOVE_OLD),
}


def create_triggers(connection: Any) -> None:
    """Create (or replace) the triggers on both source tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _pg_drop(cursor)
            cursor.execute("DROP FUNCTION IF EXISTS opendui_placement_sync();")  # migration 0004
            for event in _PG_FUNCTIONS:
                cursor.execute(_pg_function(event))
                for source in SOURCES:
                    cursor.execute(
                        f"CREATE TRIGGER {source}_placement_{event} AFTER {event.upper()} "
                        f"ON {source} {_PG_REFERENCING[event]} "
                        f"FOR EACH STATEMENT EXECUTE FUNCTION opendui_placement_{event}();"
                    )
        elif connection.vendor == "sqlite":
            for source in SOURCES:
                for name, (when, body) in _SQLITE_TRIGGERS.items():
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {source}_placement_{name} "
                        f"{when} ON {source} FOR EACH ROW BEGIN {body} END;"
                    )


def drop_triggers(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _pg_drop(cursor)
        elif connection.vendor == "sqlite":
            for source in SOURCES:
                for name in _SQLITE_TRIGGERS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {source}_placement_{name};")


def fill(connection: Any) -> None:
    """The pairs of the rows already there (the migration that adds the triggers)."""
    union = " UNION ".join(f"SELECT person_id, facility_id FROM {source}" for source in SOURCES)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE};")
        cursor.execute(f"INSERT INTO {TABLE} (person_id, facility_id) {union};")
