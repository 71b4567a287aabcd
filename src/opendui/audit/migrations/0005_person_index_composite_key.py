"""A lighter person index: `AuditEventPerson` keyed by (person_id, event_id), nothing else.

The old table had a surrogate `id` (primary key), a deferred foreign key to the event
with its own index on `event_id`, and an index (person_id, event_id): four structures
written for each of the 51 rows a list page adds. The new one is its primary key only.

Django does not change a table's primary key in place, so this migration:
1. creates the new table (`audit_auditeventpersonnew`, composite primary key);
2. locks the old table against writers (PostgreSQL) and copies its rows in one
   INSERT … SELECT, in primary key order (a duplicate (person, event) row, which the
   application never writes, stops the migration with a clear message);
3. drops the old table (its append-only triggers go with it; they refuse UPDATE,
   DELETE and TRUNCATE, not DROP), renames the new one into its place (PostgreSQL: and
   its primary key constraint) and creates the triggers again (triggers.py).

Also removes the index (user_id, seq) of events: no query reads it (the DPO's searches
filter the professional on `user_label`, and the organisation scope's `user_id IN (…)` is
a filter, never an index condition), and every event paid for it.

Reversible: the way back rebuilds the old table (Django's own operations) and copies
the rows back.
"""

import django.db.models.deletion
from django.db import migrations, models

OLD = "audit_auditeventperson"
NEW = "audit_auditeventpersonnew"


def _quote(schema_editor, name: str) -> str:
    return schema_editor.connection.ops.quote_name(name)


def _copy(schema_editor, source: str, target: str) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # No event (and so no link row) may be written while the rows are copied.
            cursor.execute(f"LOCK TABLE {_quote(schema_editor, source)} IN EXCLUSIVE MODE")
        cursor.execute(
            f"SELECT person_id, event_id FROM {_quote(schema_editor, source)} "  # noqa: S608
            "GROUP BY person_id, event_id HAVING COUNT(*) > 1 LIMIT 5"
        )
        duplicates = cursor.fetchall()
        if duplicates:
            listed = ", ".join(f"personne {p} / événement {e}" for p, e in duplicates)
            raise RuntimeError(
                "Index des personnes du journal d'audit : lignes en double "
                f"({listed}…). Elles ne viennent pas de l'application : lancez "
                "`opendui audit verify`, puis traitez-les avant de migrer."
            )
        cursor.execute(
            f"INSERT INTO {_quote(schema_editor, target)} (person_id, event_id) "  # noqa: S608
            f"SELECT person_id, event_id FROM {_quote(schema_editor, source)} "
            "ORDER BY person_id, event_id"
        )


def copy_forward(apps, schema_editor):
    _copy(schema_editor, OLD, NEW)


def copy_backward(apps, schema_editor):
    _copy(schema_editor, NEW, OLD)


def rename_primary_key(apps, schema_editor):
    """PostgreSQL keeps the constraint's name through a table rename: give it the usual one."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {NEW}_pkey TO {OLD}_pkey")


def rename_primary_key_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {OLD}_pkey TO {NEW}_pkey")


def add_triggers(apps, schema_editor):
    from opendui.audit.triggers import create_triggers

    create_triggers(schema_editor.connection)


def drop_link_triggers(apps, schema_editor):
    """On the way back: SQLite trigger names are global, and they follow a renamed table;
    the old table gets its triggers again at the end."""
    from opendui.audit.triggers import drop_triggers

    drop_triggers(schema_editor.connection, tables=(OLD,))


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_keyed_seals")]

    operations = [
        migrations.RemoveIndex(model_name="auditevent", name="audit_user_seq"),
        migrations.RunPython(migrations.RunPython.noop, add_triggers),
        migrations.CreateModel(
            name="AuditEventPersonNew",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "person_id",
                        "event",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("person_id", models.BigIntegerField()),
                (
                    "event",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="audit.auditevent",
                    ),
                ),
            ],
        ),
        migrations.RunPython(copy_forward, copy_backward),
        migrations.DeleteModel(name="AuditEventPerson"),
        migrations.RenameModel(old_name="AuditEventPersonNew", new_name="AuditEventPerson"),
        migrations.RunPython(rename_primary_key, rename_primary_key_back),
        migrations.RunPython(add_triggers, drop_link_triggers),
    ]
