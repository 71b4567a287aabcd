"""The GIN index of the name keys' words (persons/name_words.py), PostgreSQL only: a
search of several short words ('le g') finds the persons holding all of them at once.
SQLite tests the words with LIKE, which is fine at demo size."""

from django.db import migrations

INDEX = "person_name_words"
EXPRESSION = (
    "array_to_tsvector(array_remove(string_to_array("
    "birth_name_key || ' ' || used_name_key || ' ' || first_name_key, ' '), ''))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON persons_person USING gin (({EXPRESSION}))"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("persons", "0008_first_name_key")]

    operations = [migrations.RunPython(create, drop)]
