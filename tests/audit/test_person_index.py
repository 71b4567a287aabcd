"""The person index of the trail (AuditEventPerson): its shape, its lookups, its migration."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from opendui.audit.models import AuditEventPerson
from opendui.audit.selectors import person_access_entries

from .conftest import sql

TABLE = "audit_auditeventperson"
BEFORE = ("audit", "0004_keyed_seals")
AFTER = ("audit", "0005_person_index_composite_key")


def _constraints(table: str = TABLE) -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def _columns(table: str = TABLE) -> list[str]:
    with connection.cursor() as cursor:
        return [c.name for c in connection.introspection.get_table_description(cursor, table)]


def _plan(queryset) -> str:
    query, params = queryset.query.sql_with_params()
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + query, params)
        return "\n".join(" ".join(str(part) for part in row) for row in cursor.fetchall())


def test_the_index_table_has_no_surrogate_key_no_foreign_key_and_no_other_index(db):
    assert sorted(_columns()) == ["event_id", "person_id"]
    constraints = _constraints()
    primary = [c for c in constraints.values() if c["primary_key"]]
    assert [c["columns"] for c in primary] == [["person_id", "event_id"]]
    assert not [c for c in constraints.values() if c["foreign_key"]]
    # SQLite backs its primary key with an automatic unique index, reported as such.
    others = [
        (name, c)
        for name, c in constraints.items()
        if not c["primary_key"] and c["columns"] != ["person_id", "event_id"]
    ]
    assert others == []
    assert AuditEventPerson._meta.pk.name == "pk"
    assert not hasattr(AuditEventPerson, "id")


def test_a_person_lookup_reads_the_primary_key(db):
    """Enough rows for the planner to prefer an index (PostgreSQL after ANALYZE)."""
    rows = [(person, event) for event in range(1, 401) for person in range(event, event + 51)]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {TABLE} (person_id, event_id) VALUES (%s, %s)",  # noqa: S608
            rows,
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {TABLE}")
    lookup = AuditEventPerson.objects.filter(person_id=200).values("event_id")
    assert sorted(lookup.values_list("event_id", flat=True)) == list(range(150, 201))
    plan = _plan(lookup)
    if connection.vendor == "postgresql":
        assert f"Index Only Scan using {TABLE}_pkey" in plan, plan
        assert "Seq Scan" not in plan, plan
    else:
        assert "USING COVERING INDEX sqlite_autoindex_audit_auditeventperson_1 (person_id=?)" in (
            plan
        ), plan
    # The person's history page: the same index, read backwards in event order.
    entries = person_access_entries(_Person(200))
    plan = _plan(entries)
    if connection.vendor == "postgresql":
        assert f"{TABLE}_pkey" in plan, plan
        assert f"Seq Scan on {TABLE}" not in plan, plan
    else:
        assert "sqlite_autoindex_audit_auditeventperson_1 (person_id=?)" in plan, plan


class _Person:
    def __init__(self, pk: int) -> None:
        self.pk = pk


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _insert_event(cursor, seq: int, person_ids: list[int]) -> int:
    cursor.execute(
        "INSERT INTO audit_auditevent (seq, occurred_at, kind, action, user_label, object_type, "
        "object_id, person_ids, details, break_glass, reason, prev_hash, hash) VALUES "
        "(%s, CURRENT_TIMESTAMP, 'access', 'person.list', 't', '', '', %s, '{}', %s, '', '', '')",
        [seq, str(person_ids), False],
    )
    cursor.execute("SELECT id FROM audit_auditevent WHERE seq = %s", [seq])
    return cursor.fetchone()[0]


def test_the_migration_keeps_every_index_row_and_the_append_only_triggers(transactional_db):
    """0005 rebuilds the table with its new key: rows copied, triggers back; and back again."""
    _migrate(BEFORE)
    try:
        assert "id" in _columns()
        with connection.cursor() as cursor:
            events = {_insert_event(cursor, n, [n, n + 1, 7]): [n, n + 1, 7] for n in (1, 2, 3)}
            cursor.executemany(
                f"INSERT INTO {TABLE} (event_id, person_id) VALUES (%s, %s)",  # noqa: S608
                [(event, person) for event, persons in events.items() for person in persons],
            )
        expected = sorted((p, e) for e, persons in events.items() for p in persons)

        _migrate(AFTER)
        assert sorted(_columns()) == ["event_id", "person_id"]
        assert sorted(AuditEventPerson.objects.values_list("person_id", "event_id")) == expected
        for statement in (
            "DELETE FROM audit_auditeventperson",
            "UPDATE audit_auditeventperson SET person_id = 0",
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                sql(statement)
        if connection.vendor == "postgresql":
            assert f"{TABLE}_pkey" in _constraints()
            with pytest.raises(DatabaseError), transaction.atomic():
                sql("TRUNCATE audit_auditeventperson")

        _migrate(BEFORE)  # the way back: the old table, the same rows, protected again
        assert sorted(_columns()) == ["event_id", "id", "person_id"]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT person_id, event_id FROM {TABLE}")  # noqa: S608
            assert sorted(cursor.fetchall()) == expected
        with pytest.raises(DatabaseError), transaction.atomic():
            sql("DELETE FROM audit_auditeventperson")
    finally:
        _migrate(AFTER)
    assert sorted(AuditEventPerson.objects.values_list("person_id", "event_id")) == expected


def test_the_migration_stops_on_duplicate_index_rows(transactional_db):
    """The application never writes the same (person, event) twice; a forged duplicate is
    named instead of being dropped silently."""
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            event = _insert_event(cursor, 1, [5])
            cursor.executemany(
                f"INSERT INTO {TABLE} (event_id, person_id) VALUES (%s, %s)",  # noqa: S608
                [(event, 5), (event, 5)],
            )
        with pytest.raises(RuntimeError, match="lignes en double \\(personne 5 / événement"):
            _migrate(AFTER)
        assert "id" in _columns()  # nothing half-done: the old table is still there
    finally:
        from opendui.audit.triggers import drop_triggers

        drop_triggers(connection)
        sql("DELETE FROM audit_auditeventperson")
        _migrate(AFTER)
