"""The triggers that keep `stays.Placement` equal to the set of (person, facility) pairs
of the stays and admission requests.

Triggers rather than application code because stays and requests are written from
several places — admission, transfer, the merge of duplicates (a bulk UPDATE of
person_id), the demo and benchmark loaders (bulk inserts) — and a missed path would
silently hide a person from the professionals of their facility. After an UPDATE or
DELETE the old pair is removed only when no stay or request still holds it.

On PostgreSQL two transactions could each delete one of the last two stays of a pair,
each still seeing the other's (uncommitted) stay, and leave the pair behind: the person
would stay visible to a facility that no longer accompanies them. The trigger therefore
first takes a transaction-level advisory lock per person; the second writer waits for
the first to end, and its next statement, under READ COMMITTED (Django's default), sees
what the first committed. SQLite has one writing transaction at a time.
"""

# ruff: noqa: S608 - the SQL is built from this module's constant table names only

from __future__ import annotations

from typing import Any

SOURCES = ("stays_stay", "stays_admissionrequest")
TABLE = "stays_placement"

_STILL_HELD = " AND ".join(
    f"NOT EXISTS (SELECT 1 FROM {source} s WHERE s.person_id = OLD.person_id "
    "AND s.facility_id = OLD.facility_id)"
    for source in SOURCES
)
_REMOVE_OLD = (
    f"DELETE FROM {TABLE} WHERE person_id = OLD.person_id "
    f"AND facility_id = OLD.facility_id AND {_STILL_HELD};"
)

# The advisory lock's key: this class number and the person's id folded into 32 bits
# (two persons sharing a key only wait for each other).
_LOCK_CLASS = 0x504C  # "PL"


def _pg_lock(person_id: str) -> str:
    return f"PERFORM pg_advisory_xact_lock({_LOCK_CLASS}, ({person_id} % 2147483647)::integer);"


_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION opendui_placement_sync() RETURNS trigger AS $$
BEGIN
    -- One person's placements are written by one transaction at a time, the smaller
    -- id locked first when a row moves between persons (the merge).
    IF TG_OP = 'INSERT' THEN
        {_pg_lock("NEW.person_id")}
    ELSIF TG_OP = 'DELETE' OR OLD.person_id = NEW.person_id THEN
        {_pg_lock("OLD.person_id")}
    ELSE
        {_pg_lock("LEAST(OLD.person_id, NEW.person_id)")}
        {_pg_lock("GREATEST(OLD.person_id, NEW.person_id)")}
    END IF;
    IF TG_OP <> 'INSERT' THEN
        {_REMOVE_OLD}
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO {TABLE} (person_id, facility_id) VALUES (NEW.person_id, NEW.facility_id)
        ON CONFLICT (person_id, facility_id) DO NOTHING;
    END IF;
    RETURN NULL;
END; $$ LANGUAGE plpgsql;
"""

_SQLITE_INSERT_NEW = (
    f"INSERT OR IGNORE INTO {TABLE} (person_id, facility_id) "
    "VALUES (NEW.person_id, NEW.facility_id);"
)


def create_triggers(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
        for source in SOURCES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {source}_placement ON {source};")
                cursor.execute(
                    f"CREATE TRIGGER {source}_placement AFTER INSERT OR DELETE "
                    f"OR UPDATE OF person_id, facility_id ON {source} "
                    "FOR EACH ROW EXECUTE FUNCTION opendui_placement_sync();"
                )
            elif connection.vendor == "sqlite":
                bodies = {
                    "insert": ("AFTER INSERT", _SQLITE_INSERT_NEW),
                    "update": (
                        "AFTER UPDATE OF person_id, facility_id",
                        _REMOVE_OLD + " " + _SQLITE_INSERT_NEW,
                    ),
                    "delete": ("AFTER DELETE", _REMOVE_OLD),
                }
                for name, (when, body) in bodies.items():
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {source}_placement_{name} "
                        f"{when} ON {source} FOR EACH ROW BEGIN {body} END;"
                    )


def drop_triggers(connection: Any) -> None:
    with connection.cursor() as cursor:
        for source in SOURCES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {source}_placement ON {source};")
            elif connection.vendor == "sqlite":
                for name in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {source}_placement_{name};")


def fill(connection: Any) -> None:
    """The pairs of the rows already there (the migration that adds the triggers)."""
    union = " UNION ".join(f"SELECT person_id, facility_id FROM {source}" for source in SOURCES)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE};")
        cursor.execute(f"INSERT INTO {TABLE} (person_id, facility_id) {union};")
