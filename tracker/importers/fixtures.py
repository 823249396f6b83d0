"""Loads the fixture files into the database, all or nothing, and validates every record.

Django's ``loaddata`` reads the same files, but it saves rows raw: it never runs the
models' ``clean()``, records no history and reports a failure without saying which
record of which file caused it.  This loader keeps the file format and Django's
deserializer for parsing and natural keys, and writes every record through the
services, as the admin does: one transaction for all files, every record validated,
its history attributed to its file, errors that name the file, the record and the field.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, transaction

from tracker.models import Tombstone
from tracker.services import Actor, changeset, current_changeset, save_record


class FixtureError(Exception):
    """A fixture could not be loaded; nothing from this load was kept."""


@dataclass
class LoadResult:
    files: list = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    withdrawn: Counter = field(default_factory=Counter)

    @property
    def total(self):
        return sum(sum(counter.values()) for counter in (self.created, self.updated, self.kept, self.withdrawn))

    def summary(self):
        models = sorted(set(self.created) | set(self.updated) | set(self.kept) | set(self.withdrawn))
        lines = [
            f"{label}: {self.created[label]} created, {self.updated[label]} updated, "
            f"{self.kept[label]} already in the database and kept as they are"
            + (f", {self.withdrawn[label]} deleted by an analyst and not brought back" if self.withdrawn[label] else "")
            for label in models
        ]
        lines.append(
            f"{self.total} records from {len(self.files)} files: {sum(self.created.values())} created, "
            f"{sum(self.updated.values())} updated, {sum(self.kept.values())} kept, "
            f"{sum(self.withdrawn.values())} deleted in the database and not brought back."
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

    Every record is written through ``tracker.services.save_record``, as an admin save
    is: validated, recorded in the history as made by its fixture file, and entered as
    published.  Records are matched on their natural keys, so loading twice never
    duplicates.  A record already in the database is kept as it is, since analysts may
    have edited it since it was seeded, unless ``update_existing`` asks for the files to
    win.  A record someone deleted is never brought back (nor its parts or links).

    Raises ``FixtureError`` naming the file, record and field of the first problem; the
    database is then left exactly as it was.
    """
    paths = [Path(path) for path in (paths or fixture_paths())]
    result = LoadResult(files=[str(path) for path in paths])
    pending = []
    with transaction.atomic(using=using):
        tombstones = set(Tombstone.objects.using(using).values_list("model", "natural_key"))
        for path in paths:
            actor = Actor.fixtures(_display_path(path))
            with changeset(actor, message=f"Loaded from {_display_path(path)}."):
                pending.extend(_load_file(path, using, result, update_existing, actor, tombstones))
        for where, record, actor, relations in pending:
            with changeset(actor):
                _resolve_forward_references(where, record, relations, using, result)
    return result


def _display_path(path):
    try:
        return str(path.resolve().relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)


def _save(where, instance, actor, relations):
    try:
        return save_record(record=instance, actor=actor, relations=relations)
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


def _tombstoned(model, key):
    """Whether someone deleted the record of ``model`` with natural ``key``."""
    return Tombstone.objects.filter(model=model._meta.label_lower, natural_key=Tombstone.encode(key)).exists()


def _own_key(instance):
    try:
        return instance.natural_key()
    except (AttributeError, ObjectDoesNotExist):
        return None


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


def _read_entries(path):
    try:
        with path.open(encoding="utf-8") as stream:
            entries = json.load(stream)
    except json.JSONDecodeError as error:
        raise FixtureError(
            f"{path.name}, line {error.lineno}, column {error.colno}: malformed JSON: {error.msg}."
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise FixtureError(f"{path}: cannot be read: {error}") from error
    if not isinstance(entries, list):
        raise FixtureError(f"{path.name}: a fixture file holds a JSON list of records.")
    return entries


def _entry_refers_to_deleted(entry, tombstones):
    """Whether a record names, as its own part-of reference, a record someone deleted."""
    try:
        model = apps.get_model(entry["model"])
    except (KeyError, LookupError, TypeError, ValueError):
        return False
    for name, value in (entry.get("fields") or {}).items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if (
            model_field.is_relation
            and not model_field.many_to_many
            and isinstance(value, list)
            and (model_field.related_model._meta.label_lower, Tombstone.encode(value)) in tombstones
        ):
            return True
    return False


def _load_file(path, using, result, update_existing, actor, tombstones):
    pending = []
    for index, entry in enumerate(_read_entries(path), start=1):
        where = f"{path.name}, record {index}"
        if _entry_refers_to_deleted(entry, tombstones):
            result.withdrawn[str(entry.get("model", "")).lower()] += 1
            continue
        try:
            (record,) = serializers.deserialize("python", [entry], using=using, handle_forward_references=True)
        except DeserializationError as error:
            raise FixtureError(f"{where}: {error}") from error
        instance = record.object
        label = instance._meta.label_lower
        existed = instance.pk is not None
        key = _own_key(instance)
        if key is not None and (label, Tombstone.encode(key)) in tombstones:
            result.withdrawn[label] += 1
            continue
        if existed and not update_existing:
            result.kept[label] += 1
            continue
        # Matched by natural key: an update of that row, not a second one.
        instance._state.adding = not existed
        _refuse_missing_required_references(where, record)
        relations = {name: [pk for pk in pks if pk is not None] for name, pks in (record.m2m_data or {}).items()}
        saved = _save(where, instance, actor, relations)
        if saved.created:
            result.created[label] += 1
        elif saved.changed:
            result.updated[label] += 1
        else:
            result.kept[label] += 1
        if record.deferred_fields:
            pending.append((where, record, actor, relations))
    return pending


def _resolve_forward_references(where, record, relations, using, result):
    """Set the references to records that came later in the files, through the services again."""
    instance = record.object
    current = type(instance)._base_manager.using(using).get(pk=instance.pk)
    relations = dict(relations)
    for model_field, key in record.deferred_fields.items():
        target = model_field.remote_field.model
        manager = target._default_manager.db_manager(using)
        if model_field.many_to_many:
            keys = [natural_key for natural_key in key if not _tombstoned(target, natural_key)]
            if not _exists(target, keys, using, many=True):
                raise FixtureError(_missing_reference(where, record, model_field, key))
            relations[model_field.name] = [
                *relations.get(model_field.name, []),
                *(manager.get_by_natural_key(*natural_key).pk for natural_key in keys),
            ]
        elif _tombstoned(target, key):
            continue
        elif not _exists(target, key, using, many=False):
            raise FixtureError(_missing_reference(where, record, model_field, key))
        else:
            setattr(current, model_field.attname, manager.get_by_natural_key(*key).pk)
    _save(where, current, Actor.fixtures(current_changeset().actor.source), relations)
