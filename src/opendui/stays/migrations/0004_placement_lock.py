"""The placement trigger takes a per-person lock first (stays/placements.py): two
transactions removing the last two stays of a pair at once left the pair behind."""

from django.db import migrations


def replace_function(apps, schema_editor):
    from opendui.stays.placements import create_triggers

    create_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("stays", "0003_placement")]

    operations = [migrations.RunPython(replace_function, migrations.RunPython.noop)]
