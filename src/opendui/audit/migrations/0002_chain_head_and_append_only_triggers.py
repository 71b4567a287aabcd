"""Create the chain head row and make the audit tables append-only in the database itself."""

from django.db import migrations

from opendui.audit.chain import GENESIS


def create_head(apps, schema_editor):
    apps.get_model("audit", "AuditChainHead").objects.get_or_create(
        pk=1, defaults={"seq": 0, "hash": GENESIS}
    )


def add_triggers(apps, schema_editor):
    from opendui.audit.triggers import create_triggers

    create_triggers(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    from opendui.audit.triggers import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(add_triggers, remove_triggers),
    ]
