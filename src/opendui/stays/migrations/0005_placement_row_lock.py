"""The placement triggers lock the persons' rows instead of taking one advisory lock per
person, and run once per statement on PostgreSQL (stays/placements.py): a transaction
inserting thousands of stays ran out of the server's shared lock table."""

from django.db import migrations


def replace_triggers(apps, schema_editor):
    from opendui.stays.placements import create_triggers

    create_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("stays", "0004_placement_lock")]

    operations = [migrations.RunPython(replace_triggers, migrations.RunPython.noop)]
