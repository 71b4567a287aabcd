"""The Placement table and the triggers that keep it (stays/placements.py)."""

import django.db.models.deletion
from django.db import migrations, models


def add_triggers(apps, schema_editor):
    from opendui.stays.placements import create_triggers, fill

    create_triggers(schema_editor.connection)
    fill(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    from opendui.stays.placements import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0002_load_finess_categories"),
        ("persons", "0007_ins_matricule_index"),
        ("stays", "0002_admission_contracts"),
    ]

    operations = [
        migrations.CreateModel(
            name="Placement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "facility",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="organisations.facility",
                    ),
                ),
                (
                    "person",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="persons.person",
                    ),
                ),
            ],
            options={
                "verbose_name": "rattachement à un établissement",
                "indexes": [
                    models.Index(fields=["facility", "person"], name="placement_facility_person")
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("person", "facility"), name="placement_person_facility"
                    )
                ],
            },
        ),
        migrations.RunPython(add_triggers, remove_triggers),
    ]
