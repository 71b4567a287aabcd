"""Keyed sealing of the audit trail: seal tables, the writer's transaction id, event numbers.

- `AuditSeal` (append-only, triggers) and `AuditSealHead`: the keyed chain, written by the
  sealer. Its first seal links to the legacy chain's head (`AuditChainHead`), which no
  writer moves any more: the legacy chain stays verifiable as before and is held by the
  keyed one from then on.
- `AuditEvent.txid`: added without default (no rewrite of a large table; old rows stay
  NULL), then given its default, the writing transaction's id on PostgreSQL.
- PostgreSQL: event numbers now come from a sequence (writers no longer lock a head row),
  starting after the newest number.
- SQLite rebuilds a table to add a column and drops its triggers with it: they are
  created again at the end.
"""

import django.db.models.deletion
from django.db import migrations, models

import opendui.audit.models

SEQUENCE = "audit_auditevent_number"


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} AS bigint")
        cursor.execute(
            "SELECT setval(%s, COALESCE((SELECT max(seq) FROM audit_auditevent), 0) + 1, false)",
            [SEQUENCE],
        )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


def add_triggers(apps, schema_editor):
    from opendui.audit.triggers import create_triggers

    create_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_search_indexes")]

    operations = [
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(unique=True)),
                ("event_seq", models.BigIntegerField()),
                ("event_digest", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
                (
                    "event",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="seal",
                        to="audit.auditevent",
                    ),
                ),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.CreateModel(
            name="AuditSealHead",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(max_length=64)),
                ("low_txid", models.BigIntegerField(default=0)),
                ("last_event_id", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="txid",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="txid",
            field=models.BigIntegerField(
                db_default=opendui.audit.models.CurrentTransactionId(), editable=False, null=True
            ),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["txid"], name="audit_event_txid"),
        ),
        migrations.RunPython(create_sequence, drop_sequence),
        migrations.RunPython(add_triggers, migrations.RunPython.noop),
    ]
