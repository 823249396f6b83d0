"""Indexes serving the admin's changelists (sorting and filtering at scale).

The list of measures is sorted by one column at a time, with the id as tie-breaker (the
admin adds it when the column is not unique), and read 50 rows at a time: an index on
(column, id) gives those rows in order without sorting the table.  The announced,
effective and rescission dates' indexes also serve the lists' date-range filters.

Nothing here changes the models' state (as in 0012 and 0013): these are plain indexes,
created in SQL on SQLite and PostgreSQL alike, so a model's ``Meta.indexes`` need not list
them.  Each index is named ``instrument_<column>_sort``.
"""

from django.db import migrations

TABLE = "tracker_policyinstrument"
SORTED_COLUMNS = ("title_en", "title_zh", "kind", "status", "announced", "effective_from", "rescinded")


def create(apps, schema_editor):
    quote = schema_editor.quote_name
    for column in SORTED_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(f'instrument_{column}_sort')} "
            f"ON {quote(TABLE)} ({quote(column)}, {quote('id')})"
        )


def drop(apps, schema_editor):
    for column in SORTED_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(f'instrument_{column}_sort')}")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0013_sync_bases")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
