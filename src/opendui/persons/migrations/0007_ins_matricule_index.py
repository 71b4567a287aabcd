"""An index on the INS matricule, for the search by INS (persons.selectors.search_persons).

Without it, typing a matricule in the person list scanned the whole table (about 70 ms
at 100 000 persons on PostgreSQL: see docs/benchmarks.md). Written as SQL rather than in
Person.Meta.indexes so that it stays beside the other search-only indexes (0005) and out
of the model, which other apps' migrations copy. A plain, not partial, index: SQLite
cannot prove that `ins_matricule = '…'` implies `ins_matricule <> ''` and would not use
a partial one.
"""

from django.db import migrations

NAME = "person_ins_matricule"


def create(apps, schema_editor):
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON persons_person (ins_matricule)")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("persons", "0006_person_merge")]

    operations = [migrations.RunPython(create, drop)]
