"""Each measure's English full-text document, stored and indexed, on PostgreSQL (``search``).

The column ``english_document`` is computed by PostgreSQL from the title and summary
(``GENERATED ALWAYS AS … STORED``), exactly as ``tracker.querysets.english_text()`` computes
it, and has a GIN index.  The search compares a word with it (``EnglishDocument``), where it
computed ``to_tsvector`` of each row it tested (about 0.1 ms a row): migration 0013's index
on that expression is read by nothing any more and is dropped.

Django's models do not know the column (their state is unchanged): Django never names it in
an INSERT or UPDATE, so saves, ``bulk_create`` and the history tables (which copy the
model's fields) work as before, and PostgreSQL keeps the document in step with the text.
Adding it rewrites the table (seconds for 100,000 measures, the table locked meanwhile) and
leaves its visibility map empty, so the migration ends with ``VACUUM ANALYZE`` of the table:
without it, the index-only scans below read every row from the table until autovacuum
(which a rewrite does not prompt) came by.  That is why the migration is not atomic; each
step can be run again.

With it, an index on the measures' (jurisdiction, id): a kind's list filtered by country
(bans of the US) reads its measures' ids from this index alone, where it read the whole
table of measures to join the country's to its details.

Nothing on SQLite, where the search matches substrings only (and where the foreign key's
index on the jurisdiction already holds each row's id).
"""

from django.db import migrations

TABLE = "tracker_policyinstrument"
COLUMN = "english_document"
INDEX = "instrument_english_document"
# What ``english_text()`` compiles to (``SearchVector("title_en", "summary_en", config="english")``).
EXPRESSION = "to_tsvector('english'::regconfig, COALESCE(\"title_en\", '') || ' ' || COALESCE(\"summary_en\", ''))"
# Migration 0013's index, on the same expression computed on each row.
EXPRESSION_INDEX = "instrument_english_text"
JURISDICTION_INDEX = "instrument_jurisdiction_ids"


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector GENERATED ALWAYS AS ({EXPRESSION}) STORED"
    )
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({COLUMN})")
    schema_editor.execute(f"DROP INDEX IF EXISTS {EXPRESSION_INDEX}")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {JURISDICTION_INDEX} ON {TABLE} (jurisdiction_id, id)")
    schema_editor.execute(f"VACUUM ANALYZE {TABLE}")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {JURISDICTION_INDEX}")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {EXPRESSION_INDEX} ON {TABLE} USING gin (({EXPRESSION}))")
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN}")


class Migration(migrations.Migration):
    # VACUUM cannot run in a transaction.
    atomic = False

    dependencies = [("tracker", "0017_labels")]

    operations = [migrations.RunPython(add, remove, elidable=False)]
