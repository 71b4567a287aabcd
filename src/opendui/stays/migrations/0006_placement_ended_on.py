"""The day each placement ended (stays.Placement.ended_on), kept by the triggers of
stays/placement_ends.py: the scope archives a record for a facility once it ended more
than OPENDUI_ACCESS_AFTER_DISCHARGE_DAYS ago (stays/archiving.py). The end joins the
placement and unit-stay indexes so that the scope's EXISTS still reads indexes only."""

from django.db import migrations, models


def add_triggers(apps, schema_editor):
    from opendui.stays.placement_ends import create_triggers, fill

    create_triggers(schema_editor.connection)
    fill(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    from opendui.stays.placement_ends import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("stays", "0005_placement_row_lock")]

    operations = [
        migrations.RemoveIndex(model_name="placement", name="placement_facility_person"),
        migrations.AddField(
            model_name="placement",
            name="ended_on",
            field=models.DateField(blank=True, null=True, verbose_name="fin du rattachement"),
        ),
        migrations.AddIndex(
            model_name="placement",
            index=models.Index(
                fields=["facility", "person", "ended_on"], name="placement_facility_person_end"
            ),
        ),
        migrations.RemoveIndex(model_name="stay", name="stay_unit_person"),
        migrations.AddIndex(
            model_name="stay",
            index=models.Index(fields=["unit", "person", "end_date"], name="stay_unit_person_end"),
        ),
        migrations.RunPython(add_triggers, remove_triggers),
    ]
