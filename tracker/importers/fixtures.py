"""Loads the fixture files into the database, all or nothing, and validates every record.

Django's ``loaddata`` reads the same files, but it saves rows raw: it never runs the
models' ``clean()`` and reports a failure without saying which record of which file
caused it.  This loader keeps the file format and Django's deserializer, and adds what
the tracker needs: one transaction for all files, every record checked by the same
model validation the admin uses, and errors that name the file, the record and the
field.
"""

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction


class FixtureError(Exception):
    """A fixture could not be loaded; nothing from this load was kept."""


@dataclass
class LoadResult:
    files: list = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)

    @property
    def total(self):
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.kept.values())

    def summary(self):
        models = sorted(set(self.created) | set(self.updated) | set(self.kept))
        lines = [
            f"{label}: {self.created[label]} created, {self.updated[label]} updated, "
            f"{self.kept[label]} already in the database and kept as they are"
            for label in models
        ]
        lines.append(
            f"{self.total} records from {len(self.files)} files: {sum(self.created.values())} created, "
            f"{sum(self.updated.values())} updated, {sum(self.kept.values())} kept."
        )
        return "\n".join(lines)


def fixture_paths(directory=None):
    directory = Path(directory or settings.TRACKER_FIXTURE_DIR)
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise FixtureError(f"No fixture files (*.json) in {directory}.")
    return paths


def describe(instance):
    """How a record is named in an error: its model and natural key."""
    label = instance._meta.label_lower
    try:
        key = instance.natural_key()
    except (AttributeError, ObjectDoesNotExist):
        return label
    return f"{label} {'/'.join(str(part) for part in key)}"


def format_validation_error(error):
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{'record' if name == '__all__' else name}: {' '.join(messages)}"
            for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def load_fixtures(paths=None, using=DEFAULT_DB_ALIAS, update_existing=False):
    """Load ``paths`` (default: every file in ``fixtures/``) in one transaction.

    Records are matched on their natural keys, so loading twice never duplicates.  A
    record already in the database is kept as it is, since analysts may have edited it
    since it was seeded, unless ``update_existing`` asks for the files to win.

    Raises ``FixtureError`` naming the file, record and field of the first problem; the
    database is then left exactly as it was.
    """
    paths = [Path(path) for path in (paths or fixture_paths())]
    result = LoadResult(files=[str(path) for path in paths])
    loaded = []
    with transaction.atomic(using=using):
        for path in paths:
            loaded.extend(_load_file(path, using, result, update_existing))
        for where, record in loaded:
            if record.deferred_fields:
                for model_field, key in record.deferred_fields.items():
                    if not _exists(model_field.remote_field.model, key, using, many=model_field.many_to_many):
                        raise FixtureError(_missing_reference(where, record, model_field, key))
                record.save_deferred_fields(using=using)
                _validate(where, record)
        for where, record in loaded:
            names = getattr(type(record.object), "validated_relations", ())
            if names:
                _validate(where, record, relations=names)
    return result


def _validate(where, record, relations=()):
    """Run the model's own validation: its fields, or (after saving) its many-to-many links."""
    instance = record.object
    try:
        if relations:
            instance.validate_relations(**{name: getattr(instance, name).all() for name in relations})
        else:
            instance.full_clean()
    except ValidationError as error:
        raise FixtureError(f"{where} ({describe(instance)}): {format_validation_error(error)}") from error


def _exists(model, key, using, many):
    manager = model._default_manager.db_manager(using)
    for natural_key in key if many else [key]:
        try:
            manager.get_by_natural_key(*natural_key)
        except model.DoesNotExist:
            return False
    return True


def _missing_reference(where, record, model_field, key):
    return (
        f"{where} ({describe(record.object)}): {model_field.name}: "
        f"no {model_field.remote_field.model._meta.label_lower} has the natural key {key!r}, "
        "neither in the database nor in any fixture."
    )


def _refuse_missing_required_references(where, record):
    """A required foreign key cannot wait for a later record: the row cannot be saved without it."""
    for model_field, key in record.deferred_fields.items():
        if not model_field.many_to_many and not model_field.null:
            raise FixtureError(
                _missing_reference(where, record, model_field, key)
                + " A required reference must name a record loaded before it."
            )


def _load_file(path, using, result, update_existing):
    records = []
    index = 0
    try:
        with path.open(encoding="utf-8") as stream:
            for index, record in enumerate(
                serializers.deserialize("json", stream, using=using, handle_forward_references=True), start=1
            ):
                where = f"{path.name}, record {index}"
                existed = record.object.pk is not None
                if existed and not update_existing:
                    result.kept[record.object._meta.label_lower] += 1
                    continue
                # Matched by natural key: an update of that row, not a second one.
                record.object._state.adding = not existed
                _refuse_missing_required_references(where, record)
                if not record.deferred_fields:
                    # Validated before saving, so a bad value is reported in the admin's
                    # own words; a record with forward references is validated once they
                    # are resolved.
                    _validate(where, record)
                try:
                    # A savepoint per record: after a database error PostgreSQL refuses
                    # every query of the failed transaction, and naming the record may query.
                    with transaction.atomic(using=using):
                        record.save(using=using)
                except DatabaseError as error:
                    raise FixtureError(f"{where} ({describe(record.object)}): {error}".strip()) from error
                (result.updated if existed else result.created)[record.object._meta.label_lower] += 1
                records.append((where, record))
    except DeserializationError as error:
        raise FixtureError(f"{path.name}, record {index + 1}: {error}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise FixtureError(f"{path}: cannot be read: {error}") from error
    return records
