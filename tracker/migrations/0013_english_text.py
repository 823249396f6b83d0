"""PostgreSQL full-text search on the English title and summary of measures (``search``).

A GIN index on exactly the expression ``tracker.querysets.english_text()`` compiles to, so
the planner serves ``@@`` from it.  Nothing on SQLite, where the search matches substrings.
"""

from django.db import migrations

EXPRESSION = (
    "to_tsvector('english'::regconfig, COALESCE(\"title_en\", '') || ' ' || COALESCE(\"summary_en\", ''))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS instrument_english_text ON tracker_policyinstrument USING gin (({EXPRESSION}))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS instrument_english_text")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0012_search_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
