"""Trigram indexes for the tracker's search (``PolicyInstrumentQuerySet.search``), on PostgreSQL.

The search looks for each word inside the searched columns (``ILIKE '%word%'``, or
``LIKE`` for a word without case, such as Chinese) and, in organizations' names, for a
close resemblance (pg_trgm's ``<%``).  A GIN index of a column's trigrams
(``gin_trgm_ops``) serves all three, so a search reads the indexes instead of every row.
pg_trgm makes trigrams of Chinese as of English where the database's character type is
UTF-8 aware (C.UTF-8 or a language's UTF-8 locale; check with ``SELECT
show_trgm('人工智能')``); a word of fewer than three characters has no trigram to look up
and is answered by reading the table.

Nothing here changes the models' state: a ``GinIndex`` in a model's ``Meta.indexes``
would be created on SQLite too, where the tracker also runs and which has no GIN; these are
created in SQL, on PostgreSQL only.  On SQLite the migration does nothing (pg_trgm's
``TrigramExtension`` is itself a no-op there).  pg_trgm is a trusted extension: the
database's owner may create it.  A column added to ``SEARCH_FIELDS`` needs its index
here, in a new migration.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

# (index name, table, column): the columns ``PolicyInstrumentQuerySet.SEARCH_FIELDS`` reads.
SEARCH_INDEXES = [
    ("instrument_slug_trgm", "tracker_policyinstrument", "slug"),
    ("instrument_title_en_trgm", "tracker_policyinstrument", "title_en"),
    ("instrument_title_zh_trgm", "tracker_policyinstrument", "title_zh"),
    ("instrument_summary_en_trgm", "tracker_policyinstrument", "summary_en"),
    ("instrument_summary_zh_trgm", "tracker_policyinstrument", "summary_zh"),
    ("instrument_document_number_trgm", "tracker_policyinstrument", "document_number"),
    ("organization_name_en_trgm", "tracker_organization", "name_en"),
    ("organization_name_zh_trgm", "tracker_organization", "name_zh"),
    ("organization_abbreviation_trgm", "tracker_organization", "abbreviation"),
    ("organization_alias_name_trgm", "tracker_organizationalias", "name"),
]


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for name, table, column in SEARCH_INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} USING gin ({quote(column)} gin_trgm_ops)"
        )


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in SEARCH_INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0011_rescissions_become_events"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
