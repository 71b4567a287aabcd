"""The first letters of the name keys' words, GIN-indexed (persons/name_words.py),
PostgreSQL only: a search of several short words ('le g') finds the persons holding all
of them at once. SQLite tests the words with LIKE, which is fine at demo size."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION opendui_name_word_starts(birth text, used text, first text)
RETURNS tsvector IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql AS $$
    SELECT array_to_tsvector(ARRAY(
        SELECT left(word, letters)
        FROM unnest(string_to_array(birth || ' ' || used || ' ' || first, ' ')) AS word,
             generate_series(1, 2) AS letters
        WHERE word <> ''
        UNION
        SELECT ' ' || left(name, letters)
        FROM unnest(ARRAY[birth, used]) AS name, generate_series(1, 2) AS letters
        WHERE name <> ''
    ))
$$
"""
INDEX = (
    "CREATE INDEX IF NOT EXISTS person_name_word_starts ON persons_person USING gin "
    "(opendui_name_word_starts(birth_name_key, used_name_key, first_name_key))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS person_name_word_starts")
    schema_editor.execute("DROP FUNCTION IF EXISTS opendui_name_word_starts(text, text, text)")


class Migration(migrations.Migration):
    dependencies = [("persons", "0008_first_name_key")]

    operations = [migrations.RunPython(create, drop)]
