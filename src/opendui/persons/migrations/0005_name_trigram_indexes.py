"""Trigram indexes for partial name search on PostgreSQL.

The name keys are already accent- and case-free (`core.text.search_key`), so a
`LIKE '%...%'` on them needs no `unaccent()` call: a `gin_trgm_ops` index serves it.
SQLite has no such index and scans, which is fine at demo size; the operation does
nothing there. Creating the extension needs the CREATE privilege on the database
(the `postgres` role in development and CI; a DBA runs it once elsewhere).
"""

from django.db import migrations

INDEXES = {
    "person_birth_name_trgm": "birth_name_key",
    "person_used_name_trgm": "used_name_key",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON persons_person USING gin ({column} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("persons", "0004_entourage_consents")]

    operations = [migrations.RunPython(create, drop)]
