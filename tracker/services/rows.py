"""Many rows of one table at once: new ones by ``COPY`` on PostgreSQL (``bulk_create``
elsewhere), changed ones by one ``UPDATE … FROM (VALUES …)`` (``update_rows``).

Django's ``bulk_create`` on PostgreSQL sends one ``INSERT … SELECT * FROM UNNEST(…)`` per
batch; with psycopg's client-side binding each array element is quoted in Python, which made
the history rows alone a fifth of a fixture sync into an empty database.  ``COPY … FROM
STDIN`` streams the same values through psycopg's C dumpers instead.  It returns no ids, so
the ids are drawn from the table's sequence first (``nextval`` once per row, in one query) and
written explicitly — the same ids an ``INSERT`` would have taken, and the sequence stays ahead
of them.  Values go through each field's ``pre_save`` and ``get_db_prep_save`` as in
``bulk_create``, so a row reads back as it would have been saved.

No library does this for Django models: django-postgres-copy copies from CSV files, and
psycopg's ``Copy`` knows nothing of fields.
"""

from django.db import connections, models
from psycopg import sql

# Below this many rows an INSERT costs no more than COPY plus the query for the ids.
COPY_FROM = 20
# Rows changed by one UPDATE statement (``update_rows``).
UPDATE_BATCH = 500

# Fields whose stored value is the attribute itself (a str, an int, a bool): a row has a dozen
# of them, and their ``pre_save``/``get_db_prep_save`` calls were a third of the COPY's time.
# Exact types only: a subclass may convert.
_AS_IS = {
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.EmailField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SlugField,
    models.SmallIntegerField,
    models.TextField,
    models.URLField,
}


def _as_is(field):
    if isinstance(field, models.ForeignKey) and type(field) in (models.ForeignKey, models.OneToOneField):
        return _as_is(field.target_field)
    return type(field) in _AS_IS


def _converter(field, connection):
    """The function giving ``field``'s value to store from an instance."""
    if _as_is(field):
        attname = field.attname
        return lambda obj: getattr(obj, attname)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


def insert_rows(model, objs):
    """Insert ``objs`` (unsaved instances of ``model``, ``pk`` unset) and set their ``pk``.

    Database errors (a unique or check constraint) are raised as Django's, as from
    ``bulk_create``; run it in a savepoint to recover from one."""
    objs = list(objs)
    if not objs:
        return objs
    manager = model._base_manager
    connection = connections[manager.db]
    if connection.vendor != "postgresql" or len(objs) < COPY_FROM:
        manager.bulk_create(objs)
        return objs
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.local_concrete_fields if f.generated is False]
    converters = [_converter(f, connection) for f in fields]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for obj, pk_value in zip(objs, _next_ids(cursor, meta, len(objs)), strict=True):
            setattr(obj, pk.attname, pk_value)
        _copy(cursor, meta, fields, ([convert(obj) for convert in converters] for obj in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = manager.db
    return objs


def insert_values(model, rows):
    """Insert ``rows`` of ``model`` given as ``{attname: value}`` (a field left out takes its
    default) and return their ids, in order.

    For rows nobody reads back as instances (history rows, link rows): on PostgreSQL no model
    instance is built for them — a third of the cost of copying a history row was Django's
    ``Model.__init__``.  Elsewhere the instances are built and inserted by ``insert_rows``.
    """
    rows = list(rows)
    manager = model._base_manager
    connection = connections[manager.db]
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        return [obj.pk for obj in insert_rows(model, [model(**row) for row in rows])]
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.local_concrete_fields if f.generated is False and f is not pk]
    columns = [(f.attname, f.get_default(), None if _as_is(f) else f) for f in fields]

    def values(row):
        for attname, default, convert in columns:
            value = row.get(attname, default)
            yield value if convert is None else convert.get_db_prep_save(value, connection)

    with connection.cursor() as cursor, connection.wrap_database_errors:
        ids = _next_ids(cursor, meta, len(rows))
        _copy(cursor, meta, [pk, *fields], ([pk_value, *values(row)] for pk_value, row in zip(ids, rows, strict=True)))
    return ids


def _next_ids(cursor, meta, count):
    """``count`` ids drawn from the table's sequence, as ``count`` inserts would take them."""
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [meta.db_table, meta.pk.column, count],
    )
    return [pk_value for (pk_value,) in cursor.fetchall()]


def _copy(cursor, meta, fields, rows):
    """``COPY`` the ``rows`` (values in the order of ``fields``) into the table."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(meta.db_table), sql.SQL(", ").join(sql.Identifier(f.column) for f in fields)
    )
    with cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def update_rows(model, objs, names):
    """Write the fields ``names`` of ``objs`` (stored instances of ``model``) to their rows.

    Django's ``bulk_update`` writes each field as ``CASE WHEN id = … THEN … END`` with a branch
    per record, so its SQL, its compiling and the server's work per row all grow with the
    batch: for 52 changed measures it was most of a re-sync's writing.  On PostgreSQL the
    values go as one ``VALUES`` list joined on the primary key, each cast to its column's
    type; elsewhere through ``bulk_update``.  Values go through ``get_db_prep_save``, as in
    ``bulk_update``.
    """
    objs = list(objs)
    if not objs:
        return
    manager = model._base_manager
    connection = connections[manager.db]
    if connection.vendor != "postgresql":
        manager.bulk_update(objs, names, batch_size=UPDATE_BATCH)
        return
    meta = model._meta
    pk = meta.pk
    fields = [meta.get_field(name) for name in names]
    assignments = sql.SQL(", ").join(
        sql.SQL("{column} = v.{column}::{type}").format(
            column=sql.Identifier(f.column), type=sql.SQL(f.cast_db_type(connection))
        )
        for f in fields
    )
    row = sql.SQL("({})").format(sql.SQL(", ").join([sql.Placeholder()] * (len(fields) + 1)))
    for start in range(0, len(objs), UPDATE_BATCH):
        batch = objs[start : start + UPDATE_BATCH]
        params = []
        for obj in batch:
            params.append(obj.pk)
            params.extend(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
        statement = sql.SQL(
            "UPDATE {table} AS t SET {assignments} FROM (VALUES {rows}) AS v ({columns}) WHERE t.{pk} = v.{pk}"
        ).format(
            table=sql.Identifier(meta.db_table),
            assignments=assignments,
            rows=sql.SQL(", ").join([row] * len(batch)),
            columns=sql.SQL(", ").join(sql.Identifier(f.column) for f in [pk, *fields]),
            pk=sql.Identifier(pk.column),
        )
        with connection.cursor() as cursor:
            cursor.execute(statement.as_string(cursor.cursor), params)
