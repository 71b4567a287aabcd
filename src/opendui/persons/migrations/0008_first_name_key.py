"""Person.first_name_key: the first names' search key, filled for the persons already
there, with a pg_trgm index on PostgreSQL (as the name keys, migration 0005)."""

from django.db import migrations, models

BATCH = 2000
INDEX = "person_first_name_trgm"


def fill(apps, schema_editor):
    from opendui.persons.models import first_name_key

    person_model = apps.get_model("persons", "Person")
    batch = []
    persons = person_model.objects.only("id", "first_name", "used_first_name").order_by("id")
    for person in persons.iterator(chunk_size=BATCH):
        person.first_name_key = first_name_key(person.first_name, person.used_first_name)
        batch.append(person)
        if len(batch) == BATCH:
            person_model.objects.bulk_update(batch, ["first_name_key"])
            batch = []
    person_model.objects.bulk_update(batch, ["first_name_key"])


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON persons_person "
        "USING gin (first_name_key gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("persons", "0007_ins_matricule_index")]

    operations = [
        migrations.AddField(
            model_name="person",
            name="first_name_key",
            field=models.CharField(blank=True, editable=False, max_length=201),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
