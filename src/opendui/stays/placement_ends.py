"""The triggers that keep `stays.Placement.ended_on`: the day a placement ended (None while
a stay there is not ended or an admission request there is open), from which the scope
decides whether the record is current or archived for the facility (stays/archiving.py).

Kept apart from the triggers that add and remove the pairs (stays/placements.py): those
react to the pair of a row changing; these recompute the end of every pair a written row
belongs to, before and after the write, whichever runs first:

- a pair that a row enters is upserted with its end (if the pair trigger has not inserted
  it yet, this one does, with the right end, and the other's insert does nothing);
- a pair a row leaves is only updated (never re-created): if it is no longer held, the
  pair trigger removes it, before or after.

The end is computed from every stay and request of the pair, not from the row written:
`placement_end` of archiving.py in SQL. A closed request ended on the (UTC) day of its last
write, which is its closing: final statuses are never written again.

On PostgreSQL the triggers run once per statement (transition tables, as the loaders write
stays by the thousand) and first lock the rows of the persons concerned in id order with
the same statement as the pair triggers (`FOR NO KEY UPDATE`, row locks, none in the shared
lock table; same order, so the two kinds of trigger cannot deadlock each other): two
transactions ending the last two open stays of a pair would otherwise each still see the
other's stay open and leave the pair current forever. The second waits, and its next
statement sees what the first committed. An UPDATE that changes none of the columns an end
depends on (WATCHED) locks and writes nothing. SQLite has one writing transaction at a time
and keeps row triggers.
"""

# ruff: noqa: S608 - the SQL is built from this module's constants only

from __future__ import annotations

from typing import Any

from .archiving import OPEN_REQUEST_STATUSES

TABLE = "stays_placement"
STAYS, REQUESTS = "stays_stay", "stays_admissionrequest"
PERSONS = "persons_person"
_OPEN = ", ".join(f"'{status.value}'" for status in sorted(OPEN_REQUEST_STATUSES))
# The columns whose change may change a pair's end.
WATCHED = {
    STAYS: ("person_id", "facility_id", "end_date"),
    REQUESTS: ("person_id", "facility_id", "status", "updated_at"),
}


def _request_day(vendor: str) -> str:
    """The UTC day of a request's last write (Django stores UTC)."""
    if vendor == "postgresql":
        return "(r.updated_at AT TIME ZONE 'UTC')::date"
    return "date(r.updated_at)"


def end_expression(person: str, facility: str, vendor: str) -> str:
    """SQL for the end of the pair (`person`, `facility`): NULL while a stay is not ended or
    a request is open, else the latest end of its stays and closed requests."""
    stays = f"{STAYS} s WHERE s.person_id = {person} AND s.facility_id = {facility}"
    requests = f"{REQUESTS} r WHERE r.person_id = {person} AND r.facility_id = {facility}"
    stay_end = f"(SELECT MAX(s.end_date) FROM {stays})"
    request_end = f"(SELECT MAX({_request_day(vendor)}) FROM {requests})"
    return (
        f"CASE WHEN EXISTS (SELECT 1 FROM {stays} AND s.end_date IS NULL) "
        f"OR EXISTS (SELECT 1 FROM {requests} AND r.status IN ({_OPEN})) THEN NULL "
        f"WHEN {stay_end} IS NULL THEN {request_end} "
        f"WHEN {request_end} IS NULL OR {stay_end} >= {request_end} THEN {stay_end} "
        f"ELSE {request_end} END"
    )


# --- PostgreSQL: statement triggers --------------------------------------------------------


def _pg_lock(rows: str) -> str:
    return (
        f"PERFORM 1 FROM {PERSONS} WHERE id IN (SELECT person_id FROM {rows}) "
        "ORDER BY id FOR NO KEY UPDATE;"
    )


def _pg_upsert(rows: str) -> str:
    return (
        f"INSERT INTO {TABLE} (person_id, facility_id, ended_on) "
        f"SELECT g.person_id, g.facility_id, {end_expression('g.person_id', 'g.facility_id', 'postgresql')} "
        f"FROM (SELECT DISTINCT person_id, facility_id FROM {rows}) g "
        "ON CONFLICT (person_id, facility_id) DO UPDATE SET ended_on = EXCLUDED.ended_on;"
    )


def _pg_refresh(rows: str) -> str:
    return (
        f"UPDATE {TABLE} p SET ended_on = {end_expression('p.person_id', 'p.facility_id', 'postgresql')} "
        f"FROM (SELECT DISTINCT person_id, facility_id FROM {rows}) g "
        "WHERE p.person_id = g.person_id AND p.facility_id = g.facility_id;"
    )


def _pg_changed(source: str) -> str:
    """The old rows whose watched columns the UPDATE changed (a plain save of a stay that
    keeps its pair and dates recomputes nothing), and the new versions of those rows."""
    columns = ", ".join(WATCHED[source])
    return f"(SELECT {columns} FROM old_rows EXCEPT SELECT {columns} FROM new_rows)"


def _pg_bodies(source: str) -> dict[str, str]:
    columns = ", ".join(WATCHED[source])
    gone = _pg_changed(source) + " gone"
    came = f"(SELECT {columns} FROM new_rows EXCEPT SELECT {columns} FROM old_rows) came"
    moved = f"(SELECT person_id FROM {gone} UNION SELECT person_id FROM {came}) moved"
    return {
        "insert": f"{_pg_lock('new_rows')} {_pg_upsert('new_rows')}",
        "delete": f"{_pg_lock('old_rows')} {_pg_refresh('old_rows')}",
        "update": f"{_pg_lock(moved)} {_pg_refresh(gone)} {_pg_upsert(came)}",
    }


_PG_REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _pg_name(source: str, event: str) -> str:
    return f"opendui_{source}_placement_end_{event}"


def _pg_create(cursor: Any) -> None:
    for source in WATCHED:
        for event, body in _pg_bodies(source).items():
            name = _pg_name(source, event)
            cursor.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$ "
                f"BEGIN {body} RETURN NULL; END; $$ LANGUAGE plpgsql;"
            )
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {source};")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {source} "
                f"{_PG_REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
            )


def _pg_drop(cursor: Any) -> None:
    for source in WATCHED:
        for event in _PG_REFERENCING:
            name = _pg_name(source, event)
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {source};")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}();")


# --- SQLite: row triggers ------------------------------------------------------------------


def _sqlite_upsert(row: str) -> str:
    end = end_expression(f"{row}.person_id", f"{row}.facility_id", "sqlite")
    return (
        f"INSERT INTO {TABLE} (person_id, facility_id, ended_on) "
        f"VALUES ({row}.person_id, {row}.facility_id, {end}) "
        "ON CONFLICT (person_id, facility_id) DO UPDATE SET ended_on = excluded.ended_on;"
    )


def _sqlite_refresh(row: str) -> str:
    end = end_expression(f"{row}.person_id", f"{row}.facility_id", "sqlite")
    return (
        f"UPDATE {TABLE} SET ended_on = {end} "
        f"WHERE person_id = {row}.person_id AND facility_id = {row}.facility_id;"
    )


def _sqlite_triggers(source: str) -> dict[str, tuple[str, str]]:
    return {
        "insert": ("AFTER INSERT", _sqlite_upsert("NEW")),
        "update": (
            f"AFTER UPDATE OF {', '.join(WATCHED[source])}",
            _sqlite_refresh("OLD") + " " + _sqlite_upsert("NEW"),
        ),
        "delete": ("AFTER DELETE", _sqlite_refresh("OLD")),
    }


def create_triggers(connection: Any) -> None:
    """Create (or replace) the triggers on both source tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _pg_create(cursor)
        elif connection.vendor == "sqlite":
            for source in WATCHED:
                for event, (when, body) in _sqlite_triggers(source).items():
                    name = f"{source}_placement_end_{event}"
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name};")
                    cursor.execute(
                        f"CREATE TRIGGER {name} {when} ON {source} FOR EACH ROW BEGIN {body} END;"
                    )


def drop_triggers(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _pg_drop(cursor)
        elif connection.vendor == "sqlite":
            for source in WATCHED:
                for event in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {source}_placement_end_{event};")


def fill(connection: Any) -> None:
    """The ends of the pairs already there (the migration that adds the column)."""
    end = end_expression(f"{TABLE}.person_id", f"{TABLE}.facility_id", connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET ended_on = {end};")
