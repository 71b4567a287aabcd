from django.db import migrations, models


# SQLite rebuilds the stays table to add the column, and cannot rename a table a trigger of
# another table refers to: the placement triggers are dropped around the change and
# created again, as in 0007.
def drop_triggers(apps, schema_editor):
    from opendui.stays import placement_ends, placements

    placement_ends.drop_triggers(schema_editor.connection)
    placements.drop_triggers(schema_editor.connection)


def create_triggers(apps, schema_editor):
    from opendui.stays import placement_ends, placements

    placements.create_triggers(schema_editor.connection)
    placement_ends.create_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("stays", "0007_admission_decisions"),
    ]

    operations = [
        migrations.RunPython(drop_triggers, create_triggers),
        migrations.AddField(
            model_name="stay",
            name="room",
            field=models.CharField(
                blank=True,
                default="",
                db_default="",
                max_length=30,
                verbose_name="chambre ou logement",
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
