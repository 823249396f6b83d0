"""The bulk forms of ``save_record``: many new records of one model at once
(``create_records``), and many changed ones (``update_records``).

A fixture sync into an empty database creates hundreds of thousands of records; saved one by
one, each costs a few dozen queries (a lock, a query per foreign key and per constraint to
validate it, savepoints, one insert per row, link and history row).  ``create_records``
writes the same rows as ``save_record`` would — the records published by a fixture actor,
their links, one history row per record with its links, stamped with the open change set,
the measures' dates derived from their events when the change set closes, a parent's version
moved when a part is added to it — in a fixed number of queries per batch:

- every record is validated in memory as ``full_clean`` does (each field, the model's
  ``clean()``, its many-to-many rules), with the foreign keys' targets checked to exist by one
  query per field and batch instead of one per record;
- uniqueness and the check constraints are checked by the database itself, for the whole batch,
  inside a savepoint.  A batch it refuses is rolled back and written again record by record
  through ``save_record``, whose own checks then name the record and field of each error — so
  the bulk form never reports less than the per-record one, and costs more only when something
  is wrong.

``update_records`` does for changed records what ``save_record`` does for one: the stored rows
locked and their versions compared with the versions the caller read (a record changed since is
refused as a conflict, as one by one), the system fields kept, every record validated in memory
as above, a record whose fields and links are as stored left alone, the others written with
their new version in one ``UPDATE`` per batch, their links changed (rows deleted and added in one
statement each), one "~" history row each with its links, parents' versions moved.

No library does this: Django's ``bulk_create`` skips validation, history and links, and
django-simple-history's ``bulk_create_with_history`` writes no many-to-many history and no
change set.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracker.models.base import RECORDER, ReviewedModel, now
from tracker.services.context import current_changeset
from tracker.services.records import (
    SYSTEM_FIELDS,
    ConflictError,
    _after_change,
    _check_version,
    _mark_for_derivation,
    _take_parent_ids,
    content_fields,
    describe,
    link_fields,
    save_record,
)
from tracker.services.rows import insert_rows, insert_values, update_rows

BATCH_SIZE = 500


@dataclass
class NewRecord:
    """A record to create: an unsaved instance and its many-to-many links.

    ``relations`` maps link names to target ids.  ``related`` may give, per link name, the
    target records themselves (for the model's ``validate_relations``); links not given there
    are read in one query per link and batch.  Foreign keys may carry their target's instance
    in the field's cache (``field.set_cached_value``), so ``clean()`` reads no row.
    ``fields_cleaned`` says the caller has run ``clean_fields`` on this very instance, foreign
    keys and the services' own fields aside, and changed none of those fields since (the
    fixture sync checks each record so before writing any): it is not run again.
    """

    record: object
    relations: dict = field(default_factory=dict)
    related: dict = field(default_factory=dict)
    fields_cleaned: bool = False


@dataclass
class BulkResult:
    created: list = field(default_factory=list)  # the NewRecords written, in order
    errors: dict = field(default_factory=dict)  # index in the input -> ValidationError
    one_by_one: int = 0  # records written by save_record after the database refused their batch


def create_records(model, items, *, actor):
    """Create ``items`` (``NewRecord``s of ``model``) in the open change set; see the module.

    Returns a ``BulkResult``: the records created (their ``pk`` set) and, by position, the
    ``ValidationError`` of each record refused.  Records refused write nothing; the others are
    written whatever the refused ones were.  Must run inside a change set (``changeset`` or
    ``ChangeSetGroup.use``) for ``actor``.
    """
    open_set = current_changeset()
    if open_set is None or open_set.actor != actor:
        raise RuntimeError("create_records runs inside a change set opened for its actor")
    result = BulkResult()
    items = list(items)
    for start in range(0, len(items), BATCH_SIZE):
        batch = list(enumerate(items[start : start + BATCH_SIZE], start))
        for index, error in _validate(model, batch):
            result.errors[index] = error
        valid = [(index, item) for index, item in batch if index not in result.errors]
        if not valid:
            continue
        try:
            with transaction.atomic():
                _insert(model, [item for _, item in valid], open_set)
        except IntegrityError:
            for _, item in valid:
                item.record.pk = None
                item.record._state.adding = True
            _one_by_one(valid, actor, result, result.created)
            continue
        result.created.extend(item for _, item in valid)
    open_set.settle_published()
    return result


def _one_by_one(batch, actor, result, written):
    """The database refused something in a batch (a duplicate, a check constraint): its records
    are written again one by one through ``save_record``, so each error names record and field."""
    for index, item in batch:
        try:
            with transaction.atomic():
                save_record(
                    record=item.record,
                    actor=actor,
                    relations=item.relations,
                    expected_version=getattr(item, "expected_version", None),
                )
        except (ValidationError, ConflictError) as error:
            result.errors[index] = error
        else:
            written.append(item)
            result.one_by_one += 1


@dataclass
class ChangedRecord:
    """A stored record to write with new values: an instance with its ``pk`` and every field set
    (as ``save_record`` takes it), its links by name (links not named are kept), and the version
    the caller read it at (``None``: do not compare)."""

    record: object
    relations: dict = field(default_factory=dict)
    related: dict = field(default_factory=dict)
    expected_version: int = None


@dataclass
class UpdateResult:
    changed: list = field(default_factory=list)  # the ChangedRecords written
    unchanged: list = field(default_factory=list)  # those equal to the stored record: not written
    errors: dict = field(default_factory=dict)  # index in the input -> ValidationError or ConflictError
    one_by_one: int = 0


def can_update_in_bulk(model):
    """Whether ``update_records`` can write ``model``: not when a link is symmetrical (an
    indicator compared with another), whose reverse rows only the related manager keeps."""
    return not any(
        link.related_model is model and getattr(link.remote_field, "symmetrical", False)
        for link in model._meta.many_to_many
    )


def update_records(model, items, *, actor):
    """Write ``items`` (``ChangedRecord``s of ``model``) in the open change set; see the module.

    Returns an ``UpdateResult``.  A record refused (``ValidationError``, or ``ConflictError``
    when it changed after ``expected_version``) writes nothing; the others are written.
    """
    open_set = current_changeset()
    if open_set is None or open_set.actor != actor:
        raise RuntimeError("update_records runs inside a change set opened for its actor")
    if not can_update_in_bulk(model):
        raise ValueError(f"{model._meta.label}: a symmetrical link is written one record at a time (save_record)")
    result = UpdateResult()
    items = list(items)
    for start in range(0, len(items), BATCH_SIZE):
        batch = list(enumerate(items[start : start + BATCH_SIZE], start))
        stored = _lock_and_compare(model, batch, result)
        batch = [(index, item) for index, item in batch if index not in result.errors]
        for index, error in _validate(model, batch):
            result.errors[index] = error
        changed = []
        for index, item in batch:
            if index in result.errors:
                continue
            row, links = stored[item.record.pk]
            if _content(model, item.record, item.relations) == _content(model, row, links):
                result.unchanged.append(item)
            else:
                changed.append((index, item))
        if not changed:
            continue
        try:
            with transaction.atomic():
                _update(model, [item for _, item in changed], stored, open_set)
        except IntegrityError:
            _one_by_one(changed, actor, result, result.changed)
            continue
        result.changed.extend(item for _, item in changed)
    open_set.settle_published()
    return result


def _lock_and_compare(model, batch, result):
    """Lock the batch's stored rows (in id order, as one by one); refuse a record gone or changed
    since its expected version; give each record the stored system fields and every link.
    Returns {pk: (stored row, {link name: {target id: through row id}})}."""
    pks = sorted({item.record.pk for _, item in batch})
    rows = {row.pk: row for row in model._base_manager.select_for_update().filter(pk__in=pks).order_by("pk")}
    links = {pk: {} for pk in rows}
    for link in model._meta.many_to_many:
        through = link.remote_field.through
        source, target = f"{link.m2m_field_name()}_id", f"{link.m2m_reverse_field_name()}_id"
        for pk in rows:
            links[pk][link.name] = {}
        for row_id, source_pk, target_pk in through._base_manager.filter(**{f"{source}__in": pks}).values_list(
            "pk", source, target
        ):
            links[source_pk][link.name][target_pk] = row_id
    for index, item in batch:
        record = item.record
        row = rows.get(record.pk)
        if row is None:
            result.errors[index] = ValidationError(f"{describe(record).capitalize()} no longer exists.")
            continue
        try:
            _check_version(row, item.expected_version)
        except ConflictError as error:
            result.errors[index] = error
            continue
        for model_field in model._meta.concrete_fields:
            if model_field.name in SYSTEM_FIELDS - {"id"}:
                setattr(record, model_field.attname, getattr(row, model_field.attname))
        _take_parent_ids(record)
        record._state.adding = False
        item.relations = {
            **{name: list(targets) for name, targets in links[record.pk].items()},
            **{name: list(dict.fromkeys(pks)) for name, pks in item.relations.items()},
        }
    return {pk: (row, links[pk]) for pk, row in rows.items()}


def _content(model, record, links):
    """What a record holds, comparable: its content fields and its links in history (as ``snapshot``)."""
    values = {f.name: getattr(record, f.attname) for f in content_fields(model)}
    for link in link_fields(model):
        values[link.name] = frozenset(links.get(link.name, ()))
    return values


def _update(model, items, stored, open_set):
    """Write the changed records: the rows in one UPDATE, the links' changes, the history rows."""
    stamp = now()
    records = [item.record for item in items]
    for record in records:
        record.version = stored[record.pk][0].version + 1
        record.updated = stamp
        _after_change(record, open_set)
    names = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    update_rows(model, records, names)
    through_rows = {}
    for link in model._meta.many_to_many:
        through = link.remote_field.through
        source, target = f"{link.m2m_field_name()}_id", f"{link.m2m_reverse_field_name()}_id"
        removed, added = [], []
        for item in items:
            before = stored[item.record.pk][1][link.name]
            after = item.relations[link.name]
            removed.extend(row_id for target_pk, row_id in before.items() if target_pk not in after)
            added.extend(
                through(**{source: item.record.pk, target: target_pk}) for target_pk in after if target_pk not in before
            )
        if removed:
            through._base_manager.filter(pk__in=removed).delete()
        insert_rows(through, added)
        if link.name in model._history_m2m_fields:
            pks = [record.pk for record in records]
            through_rows[link.name] = list(through._base_manager.filter(**{f"{source}__in": pks}).order_by("pk"))
    _write_history(model, records, through_rows, open_set, history_type="~")
    _after_writing(model, records, open_set)


# --- validation --------------------------------------------------------------------------------


def _validate(model, batch):
    """(index, ValidationError) for each record of ``batch`` that ``full_clean`` would refuse,
    but for uniqueness and the check constraints, which the database checks on insert."""
    foreign_keys = [f for f in model._meta.concrete_fields if f.is_relation and f.name not in SYSTEM_FIELDS]
    missing = _missing_targets(foreign_keys, [item.record for _, item in batch])
    related = _related_records(model, [item for _, item in batch])
    _cache_parts(model, [item.record for _, item in batch if item.record.pk is not None])
    for index, item in batch:
        record = item.record
        errors = {}
        try:
            if not getattr(item, "fields_cleaned", False):
                record.clean_fields(exclude={f.name for f in foreign_keys} | SYSTEM_FIELDS)
        except ValidationError as error:
            errors.update(error.message_dict)
        for foreign_key in foreign_keys:
            value = getattr(record, foreign_key.attname)
            if value is None and not (foreign_key.null and foreign_key.blank):
                message = foreign_key.error_messages["blank" if foreign_key.null else "null"]
                errors.setdefault(foreign_key.name, []).append(str(message))
            elif value is not None and value in missing[foreign_key.name]:
                errors.setdefault(foreign_key.name, []).append(
                    str(foreign_key.error_messages["invalid"])
                    % {
                        "model": foreign_key.related_model._meta.verbose_name,
                        "pk": value,
                        "field": foreign_key.remote_field.field_name,
                        "value": value,
                    }
                )
        if not errors:
            try:
                record.clean()
                names = getattr(model, "validated_relations", ())
                if names:
                    proposed = {
                        name: item.related.get(name)
                        if name in item.related
                        else [related[name][pk] for pk in item.relations.get(name, ()) if pk in related[name]]
                        for name in names
                    }
                    record.validate_relations(**proposed)
            except ValidationError as error:
                errors.update(error.update_error_dict({}))
        if errors:
            yield index, ValidationError(errors)


def _cache_parts(model, records):
    """The one-to-one parts of stored records (a measure's fund or lab details), read in one query
    per kind of part and cached on the records, for a ``clean()`` that looks at them."""
    if not records:
        return
    by_pk = {record.pk: record for record in records}
    for relation in model._meta.related_objects:
        if not relation.one_to_one:
            continue
        found = {
            getattr(part, relation.field.attname): part
            for part in relation.related_model._base_manager.filter(**{f"{relation.field.attname}__in": list(by_pk)})
        }
        for pk, record in by_pk.items():
            relation.set_cached_value(record, found.get(pk))


def _missing_targets(foreign_keys, records):
    """Per foreign key, the ids the records name that no row has: one query per key."""
    missing = {}
    for foreign_key in foreign_keys:
        wanted = {getattr(record, foreign_key.attname) for record in records} - {None}
        target = foreign_key.related_model
        found = set(target._base_manager.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
        missing[foreign_key.name] = wanted - found
    return missing


def _related_records(model, items):
    """The link targets ``validate_relations`` needs and the items do not give: one query per link."""
    related = {}
    for name in getattr(model, "validated_relations", ()):
        wanted = {pk for item in items if name not in item.related for pk in item.relations.get(name, ())}
        target = model._meta.get_field(name).related_model
        related[name] = target._base_manager.in_bulk(wanted) if wanted else {}
    return related


# --- writing -----------------------------------------------------------------------------------


def _insert(model, items, open_set):
    """The rows, their links, their history rows and the links' history rows: a query each
    per batch (per link for the links).  Then what ``save_record`` does after a write."""
    stamp = now()
    records = [item.record for item in items]
    for record in records:
        record.version = 1
        record.updated = stamp
        _after_change(record, open_set)
    insert_rows(model, records)
    if any(record.pk is None for record in records):
        raise RuntimeError(f"{model._meta.label}: the database did not return the new rows' ids")
    through_rows = {}
    for link in model._meta.many_to_many:
        through = link.remote_field.through
        source, target = f"{link.m2m_field_name()}_id", f"{link.m2m_reverse_field_name()}_id"
        rows = [
            {source: record.pk, target: target_pk}
            for item, record in zip(items, records, strict=True)
            for target_pk in dict.fromkeys(item.relations.get(link.name, ()))
        ]
        ids = insert_values(through, rows)
        # What the history rows copy of each link row: its id and both ends.
        through_rows[link.name] = [SimpleNamespace(id=pk, **row) for pk, row in zip(ids, rows, strict=True)]
    _write_history(model, records, through_rows, open_set)
    _after_writing(model, records, open_set)


def _after_writing(model, records, open_set):
    """What ``save_record`` does after a write: the records are in the change set, measures'
    dates are derived at its close, and the records they are parts of move their version."""
    for record in records:
        open_set.touched.add((model, record.pk))
        _mark_for_derivation(record, open_set)
    if model.version_parent:
        parent_field = model._meta.get_field(model.version_parent)
        _touch_parents(
            parent_field.related_model, [getattr(record, parent_field.attname) for record in records], open_set
        )


def _touch_parents(model, pks, open_set):
    """``_touch`` for many parents of one model: each parent a part was added to moves its version
    once per change set, with a history row, and so does its own parent, in bulk."""
    pks = sorted({pk for pk in pks if (model, pk) not in open_set.touched})
    if not pks:
        return
    parents = list(model._base_manager.select_for_update().filter(pk__in=pks).order_by("pk"))
    stamp = now()
    for parent in parents:
        parent.version += 1
        parent.updated = stamp
        open_set.touched.add((model, parent.pk))
        _after_change(parent, open_set)
    changed = ["version", "updated"]
    if parents and isinstance(parents[0], ReviewedModel):
        changed += ["editorial_state", "published_version", "published_at"]
    update_rows(model, parents, changed)
    through_rows = {}
    for link in model.history.model._history_m2m_fields:
        through = link.remote_field.through
        source = f"{link.m2m_field_name()}_id"
        through_rows[link.name] = list(through._base_manager.filter(**{f"{source}__in": pks}).order_by("pk"))
    _write_history(model, parents, through_rows, open_set, history_type="~")
    for parent in parents:
        _mark_for_derivation(parent, open_set)
    if model.version_parent:
        parent_field = model._meta.get_field(model.version_parent)
        _touch_parents(parent_field.related_model, [getattr(p, parent_field.attname) for p in parents], open_set)


def _write_history(model, records, through_rows, open_set, history_type="+"):
    """One history row per record, with its links, as ``RECORDER.create_historical_record``
    writes them (and ``tracker.signals`` stamps them), in bulk."""
    history_model = model.history.model
    changeset = open_set.record
    moment = timezone.now()
    stamp = {
        "history_date": moment,
        "history_type": history_type,
        "history_user_id": open_set.actor.user_id,
        "history_change_reason": changeset.message or None,
        "changeset_id": changeset.pk,
    }
    tracked = [f.attname for f in history_model.tracked_fields]
    ids = insert_values(
        history_model, [{**stamp, **{name: getattr(record, name) for name in tracked}} for record in records]
    )
    history_by_record = {record.pk: history_id for record, history_id in zip(records, ids, strict=True)}
    for link in history_model._history_m2m_fields:
        m2m_history = RECORDER.m2m_models[link]
        through = link.remote_field.through
        source = f"{link.m2m_field_name()}_id"
        columns = [f.attname for f in through._meta.fields]
        insert_values(
            m2m_history,
            [
                {"history_id": history_by_record[getattr(row, source)], **{c: getattr(row, c) for c in columns}}
                for row in through_rows.get(link.name, ())
            ],
        )
