"""Database triggers that refuse UPDATE and DELETE on the audit tables.

They guard against application code and ad-hoc SQL, not against a database
administrator (who could drop them): tampering by such a person is what the
hash chain and `opendui audit verify` detect.
"""

from __future__ import annotations

from typing import Any

# Seals (migration 0004) are append-only too. A table not created yet is skipped: migration
# 0002 runs this before the seal table exists, and 0004 runs it again; 0005 rebuilds the
# person index table (new primary key) and runs it once more.
TABLES = ("audit_auditevent", "audit_auditeventperson", "audit_auditseal")


def _existing(connection: Any, tables: tuple[str, ...] = TABLES) -> list[str]:
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    return [table for table in tables if table in present]


def create_triggers(connection: Any) -> None:
    tables = _existing(connection)
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                for event in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{event.lower()} "
                        f"BEFORE {event} ON {table} "
                        "BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END;"
                    )
            elif connection.vendor == "postgresql":
                cursor.execute(
                    "CREATE OR REPLACE FUNCTION opendui_audit_append_only() RETURNS trigger AS $$ "
                    "BEGIN RAISE EXCEPTION 'audit trail is append-only'; END; $$ LANGUAGE plpgsql;"
                )
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION opendui_audit_append_only();"
                )
                # Row triggers do not see TRUNCATE; a statement trigger does.
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
                cursor.execute(
                    f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION opendui_audit_append_only();"
                )


def drop_triggers(connection: Any, tables: tuple[str, ...] = TABLES) -> None:
    tables = _existing(connection, tables)
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                for event in ("update", "delete"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event};")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
