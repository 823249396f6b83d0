"""Fixture sync: the files and the database merged both ways, all or nothing.

``sync_fixtures`` reads every record of the fixture files, checks each field and every
natural key (against the database and the files themselves), merges each record three ways
with the database (``tracker.importers.diff``; the base is what the file said at the last
sync, kept in ``SyncBase``) and writes the result through the services, as the admin does:
every record validated by ``save_record``, every change in the history as made by its file.
Everything happens in one transaction; any problem, or a conflict ``--prefer`` did not settle,
rolls it all back, and every problem of the run is reported together.

The files are read once and their records put aside on disk by model; then each model's
records are checked, merged and written a chunk at a time, and let go (``Sync``); the natural
keys of every record met are kept on disk (``tracker.importers.keys``), so the memory a sync
needs is a chunk's records, however long the files and however large the database.
The database is read a query per model and chunk (its records' keys once, the stored
records of a chunk, the records a chunk refers to), so reading, checking and merging cost no
query per record.  New records are created and changed ones written in bulk
(``tracker.services.bulk``: the same rows, links and history as ``save_record``, a few
queries per batch).
"""

import dataclasses
import functools
import gc
import hashlib
import itertools
import json
import pickle
import tempfile
from array import array
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.choices import ChangeKind, ChangeVia, EditorialState
from tracker.importers.diff import PREFER_DATABASE, PREFER_FILES, changed_fields, merge
from tracker.importers.fixtures import (
    Entry,
    FixtureError,
    FixtureSyntaxError,
    Problem,
    display_path,
    encode_key,
    fixture_paths,
    json_value,
    key_text,
    parse_value,
    read_entries,
    record_fields,
    sorted_keys,
)
from tracker.importers.keys import DELETED, FAILED, STORED, KeyStore
from tracker.models import SyncBase, SyncedFile, Tombstone, record_models
from tracker.models.base import ReviewedModel
from tracker.querysets import AnyOf
from tracker.services import Actor, ConflictError, DeletionRefused, delete_record, save_record
from tracker.services.bulk import ChangedRecord, NewRecord, can_update_in_bulk, create_records, update_records
from tracker.services.context import ChangeSetGroup
from tracker.services.records import SYSTEM_FIELDS, _depth
from tracker.services.review import withdraw
from tracker.services.rows import insert_values, update_rows

__all__ = ["PREFER_DATABASE", "PREFER_FILES", "SyncRefused", "SyncResult", "sync_fixtures"]


class SyncRefused(FixtureError):
    """The files could not be synced: problems in them, or unsettled conflicts. Nothing was written."""

    def __init__(self, result):
        self.result = result
        super().__init__(result.refusal())


# --- the models, in the order their records can be written -----------------------------------


def _relations(model):
    """(field, many?) for each reference a record of ``model`` makes to another record."""
    for model_field in model._meta.concrete_fields:
        if model_field.is_relation:
            yield model_field, False
    for model_field in model._meta.many_to_many:
        yield model_field, True


def dependency_order(models):
    """``models`` ordered so each comes after the models its records refer to (itself aside)."""
    models = list(models)
    ordered, placed = [], set()
    while len(ordered) < len(models):
        ready = [
            model
            for model in models
            if model not in placed
            and all(
                target is model or target not in models or target in placed
                for target in (f.related_model for f, _ in _relations(model))
            )
        ]
        if not ready:
            raise RuntimeError(f"The tracker's models refer to each other in a cycle: {set(models) - placed}")
        ordered.extend(ready)
        placed.update(ready)
    return ordered


def reference_models():
    """The models the files' records live in, and those they may refer to (a ban's scopes)."""
    models = record_models()
    extra = [f.related_model for model in models for f, _ in _relations(model) if f.related_model not in models]
    return dependency_order(dict.fromkeys([*models, *extra]))


# --- the database, read once -------------------------------------------------------------------


class DatabaseState:
    """The records as stored when the sync began, read in bulk: one query per model and link."""

    def __init__(self, models):
        self.rows = {}  # model -> {pk: record}
        self.keys = {}  # model -> {pk: natural key}
        self.by_key = {}  # model -> {encoded natural key: record}
        self.links = {}  # (model, link name) -> {pk: [target pks]}
        for model in models:
            rows = {row.pk: row for row in model._base_manager.all()}
            self.rows[model] = rows
            for model_field, many in _relations(model):
                if many:
                    self.links[model, model_field.name] = self._read_links(model_field)
                    continue
                targets = rows if model_field.related_model is model else self.rows.get(model_field.related_model)
                for row in rows.values():
                    target = targets.get(getattr(row, model_field.attname)) if targets is not None else None
                    if target is not None:
                        model_field.set_cached_value(row, target)
            self.keys[model] = {pk: tuple(row.natural_key()) for pk, row in rows.items()}
            self.by_key[model] = {encode_key(key): rows[pk] for pk, key in self.keys[model].items()}

    @staticmethod
    def _read_links(link):
        through = link.remote_field.through
        source, target = f"{link.m2m_field_name()}_id", f"{link.m2m_reverse_field_name()}_id"
        links = defaultdict(list)
        for source_pk, target_pk in through._base_manager.values_list(source, target):
            links[source_pk].append(target_pk)
        return links

    def find(self, model, encoded):
        return self.by_key.get(model, {}).get(encoded)

    def values(self, row):
        """A stored record's canonical field values: what the files would say of it."""
        return canonical_values(row, lambda model, pk: self.keys[model][pk], self.links)


def canonical_values(row, key_of, links):
    """``row``'s field values as the files write them: references as natural keys
    (``key_of(model, pk)``), links from ``links`` ((model, link) -> {pk: [target pks]})."""
    model = type(row)
    values = {}
    for model_field in record_fields(model):
        target = model_field.related_model
        if model_field.many_to_many:
            pks = links[model, model_field.name].get(row.pk, [])
            values[model_field.name] = sorted_keys(key_of(target, pk) for pk in pks)
        elif model_field.is_relation:
            pk = getattr(row, model_field.attname)
            values[model_field.name] = list(key_of(target, pk)) if pk is not None else None
        else:
            values[model_field.name] = json_value(model_field, getattr(row, model_field.attname))
    return values


class StoredKeys:
    """What a sync holds of the database for its whole run: the natural key and id of every
    stored record, read once (one query per model) into the run's ``KeyStore`` on disk.  The
    records themselves are read a chunk at a time, when the files' records with their keys come
    (``read``); ``DatabaseState``, which holds them all in memory, serves the export."""

    def __init__(self, models, store):
        self.store = store
        self.links = {}  # (model, link name) -> {pk: [target pks]}, of the records last read
        for model in models:
            # The references a record's natural key is made of (a citation's measure): given as
            # stand-ins that only know their key, so no stored record is read twice.
            dependencies = set(getattr(model.natural_key, "dependencies", ()))
            keyed_by = [
                model_field
                for model_field, many in _relations(model)
                if not many and model_field.related_model._meta.label_lower in dependencies
            ]
            rows = model._base_manager.order_by().iterator(chunk_size=WRITE_CHUNK)
            while batch := list(itertools.islice(rows, WRITE_CHUNK)):
                for model_field in keyed_by:
                    target = model_field.related_model
                    keys = store.stored_keys(target, {getattr(row, model_field.attname) for row in batch} - {None})
                    for row in batch:
                        pk = getattr(row, model_field.attname)
                        if pk is not None:
                            model_field.set_cached_value(row, key_stub(target, keys[pk], pk))
                keyed = []
                for row in batch:
                    key = tuple(row.natural_key())
                    keyed.append((row.pk, key, encode_key(key)))
                store.add_stored(model, keyed)

    def find(self, model, encoded):
        """The id of the stored record with this natural key, or None."""
        return self.store.stored_pk(model, encoded)

    def key_of(self, model, pk):
        """The natural key of the stored record ``pk`` (None if the run did not find it)."""
        return self.store.stored_key(model, pk)

    def read(self, model, pks):
        """The stored records ``pks`` of ``model`` ({pk: record}), their links kept for ``values``."""
        rows = {row.pk: row for row in rows_by_id(model, pks)} if pks else {}
        self.links = {}
        for model_field in model._meta.many_to_many:
            through = model_field.remote_field.through
            source = f"{model_field.m2m_field_name()}_id"
            target = f"{model_field.m2m_reverse_field_name()}_id"
            links = self.links[model, model_field.name] = defaultdict(list)
            if rows:
                linked = through._base_manager.filter(**{f"{source}__in": list(rows)}).values_list(source, target)
                for source_pk, target_pk in linked:
                    links[source_pk].append(target_pk)
        return rows

    def values(self, row):
        return canonical_values(row, self.key_of, self.links)


def rows_by_id(model, pks):
    """The stored records ``pks`` of ``model``, in one query (their ids one array on PostgreSQL:
    five thousand ids as as many parameters cost psycopg and the server some 15 ms more)."""
    manager = model._base_manager.using(DEFAULT_DB_ALIAS)
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        return manager.filter(AnyOf(F("pk"), list(pks)))
    return manager.filter(pk__in=list(pks))


def key_stub(model, key, pk):
    """A ``model`` record that only knows its id and natural key (and, for a key of one part,
    the slug or code it is): what the ``natural_key()`` of a record referring to it reads."""
    stub = model.__new__(model)
    stub.__dict__[model._meta.pk.attname] = pk
    stub.__dict__["natural_key"] = lambda: key
    if len(key) == 1:
        for name in ("slug", "code"):
            if name in _field_names(model):
                stub.__dict__[name] = key[0]
    return stub


def _field_names(model):
    return {model_field.name for model_field in model._meta.concrete_fields}


@functools.cache
def _relation_names(model):
    return {model_field.name for model_field, _ in _relations(model)}


@functools.cache
def _key_paths(model):
    """The references a ``model`` record's natural key is made of, as ``select_related`` paths
    (a fund participant's: its fund and the fund's measure, its organization)."""
    dependencies = set(getattr(model.natural_key, "dependencies", ()))
    paths = []
    for model_field, many in _relations(model):
        if many or model_field.related_model._meta.label_lower not in dependencies:
            continue
        deeper = _key_paths(model_field.related_model)
        paths.extend(f"{model_field.name}__{path}" for path in deeper)
        if not deeper:
            paths.append(model_field.name)
    return tuple(paths)


# --- one record of the files -------------------------------------------------------------------

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass(frozen=True)
class Target:
    """A record a file's record refers to: another record of the files (``record``: of the
    chunk being synced, or ``Known``), or one only the database holds (``stored``: its id)."""

    model: type
    key: tuple
    record: object = None  # FileRecord or Known
    stored: int = None

    @property
    def pk(self):
        """The id of the record named, once it is written (None before)."""
        return self.record.pk if self.record is not None else self.stored


class Known:
    """A record of the files that is not in memory: one of a chunk already synced (written,
    or refused), or one whose key was read ahead of its turn (``Sync.read_ahead``), as the
    run's ``KeyStore`` keeps it (``RecordIndex``).  What records naming it need of it: its key,
    its id once written, whether it failed."""

    __slots__ = ("key", "pk", "failed", "deleted", "stored", "entry")
    instance = stand_in = None
    deferred = False

    def __init__(self, key, pk, *, failed, deleted, stored, entry):
        self.key, self.pk, self.failed, self.deleted, self.stored = key, pk, failed, deleted, stored
        self.entry = entry

    @property
    def where(self):
        return f"{self.entry.path}:{self.entry.line}"

    @property
    def spot(self):
        return self.entry.name, self.entry.index


class RecordIndex:
    """The records of the files by (model, encoded natural key): those of the chunk being synced
    in memory (``FileRecord``), the others in the run's ``KeyStore`` on disk, given back as
    ``Known``.  ``let_go`` moves a synced chunk's records to disk."""

    def __init__(self, store, files):
        self.store = store
        self.files = files  # [(as displayed, name)] of the files read, by number
        self.numbers = {}  # file as displayed -> number
        self.live = {}  # (model, encoded) -> FileRecord of the chunk being synced

    def file_number(self, entry):
        if not self.numbers:
            self.numbers = {shown: number for number, (shown, _name) in enumerate(self.files)}
        return self.numbers[entry.path]

    def get(self, item, default=None):
        record = self.live.get(item)
        if record is not None:
            return record
        model, encoded = item
        found = self.store.filed(model, encoded)
        if found is None:
            return default
        key, pk, flags, file, line, place = found
        shown, name = self.files[file]
        return Known(
            key,
            pk,
            failed=bool(flags & FAILED),
            deleted=bool(flags & DELETED),
            stored=bool(flags & STORED),
            entry=Entry(path=shown, name=name, line=line, index=place, data=None),
        )

    def __contains__(self, item):
        return item in self.live or self.store.has_filed(*item)

    def __setitem__(self, item, record):
        self.live[item] = record

    def __delitem__(self, item):
        self.live.pop(item, None)
        self.store.drop_filed(*item)

    def ahead(self, model, encoded, key, pk, entry, position):
        """A record whose key is read ahead of its chunk (``Sync.read_ahead``), at ``position``
        among its model's records."""
        flags = STORED if pk is not None else 0
        row = (encoded, key, pk, flags, self.file_number(entry), entry.line, entry.index, position)
        self.store.put_filed(model, [row])

    def let_go(self):
        """Keep on disk only what ``Known`` gives of the records of the chunk just synced."""
        by_model = defaultdict(list)
        for (model, encoded), record in self.live.items():
            flags = (FAILED if record.failed else 0) | (DELETED if record.deleted else 0)
            flags |= STORED if record.stored else 0
            entry = record.entry
            row = (encoded, record.key, record.pk, flags, self.file_number(entry), entry.line, entry.index, None)
            by_model[model].append(row)
        for model, rows in by_model.items():
            self.store.put_filed(model, rows)
        self.live = {}


@dataclass(eq=False)
class FileRecord:
    """A record as its file gives it, then as identified, checked and merged."""

    entry: object
    model: type = None
    values: dict = field(default_factory=dict)  # plain fields, as Python values
    references: dict = field(default_factory=dict)  # reference fields, as written (natural keys)
    unreadable: set = field(default_factory=set)  # fields whose value could not be read
    stand_in: object = None  # an unsaved instance, to compute the natural key and check fields
    targets: dict = field(default_factory=dict)  # reference field -> Target or [Target]
    key: tuple = None
    existing: object = None  # the stored record with the same natural key
    failed: bool = False
    deleted: bool = False  # deleted in the database (or refers to a deleted record): not brought back
    file_text: str = None  # the record in canonical form (``file_values``) as JSON: what its base keeps
    base: object = None  # SyncBase
    merged: object = None  # diff.Merge
    action: str = ""
    saved_pk: int = None
    instance: object = None  # the record as written
    deferred: bool = False  # saved before some of the records it refers to: saved again at the end

    @property
    def label(self):
        if self.model is not None:
            return self.model._meta.label_lower
        return str(self.entry.data.get("model", "record")) if isinstance(self.entry.data, dict) else "record"

    @cached_property
    def encoded(self):  # read only once the key is known
        return encode_key(self.key)

    @property
    def where(self):
        return f"{self.entry.path}:{self.entry.line}"

    @property
    def name(self):
        if self.key is not None:
            return f"{self.label} {key_text(self.key)}"
        fields = self.entry.data.get("fields") if isinstance(self.entry.data, dict) else None
        hint = next((fields[name] for name in ("slug", "code") if isinstance(fields, dict) and fields.get(name)), None)
        if isinstance(hint, str):
            return f"{self.label} {hint}"
        return _("%(model)s (record %(number)d)") % {"model": self.label, "number": self.entry.index + 1}

    @property
    def pk(self):
        if self.saved_pk:
            return self.saved_pk
        existing = self.existing  # an id until its chunk reads the stored record (``Sync.read_stored``)
        return existing if isinstance(existing, int) or existing is None else existing.pk

    @property
    def stored(self):
        """Whether the database holds the record (it was there before the sync)."""
        return self.existing is not None

    @property
    def file_values(self):
        """The record in canonical form: what ``export_fixtures`` writes for it (kept as text: a
        third of the memory of the values themselves)."""
        return json.loads(self.file_text)

    def lighten(self):
        """Let go of what only reading and checking needed: the values as read, and the stand-in
        of a record already stored (a new record's becomes the record written: ``Sync.build``)."""
        self.values = self.references = self.unreadable = None
        if self.action != CREATE:
            self.stand_in = None
        if self.action in (UNCHANGED, ""):
            self.targets, self.merged = {}, None


# --- the result ----------------------------------------------------------------------------------


@dataclass
class SyncResult:
    files: list = field(default_factory=list)
    dry_run: bool = False
    prefer: str = None
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    conflicted: Counter = field(default_factory=Counter)  # records with a field changed on both sides
    pruned: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)  # deleted in the database, not brought back
    gone: Counter = field(default_factory=Counter)  # no longer in the files, left as they are (no --prune)
    problems: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)  # (FileRecord, FieldConflict)
    changes: list = field(default_factory=list)  # (sign, name, where, [(field, before, after)]) for --dry-run
    not_brought_back: list = field(default_factory=list)  # FileRecord

    COLUMNS = ("created", "updated", "unchanged", "conflicted", "pruned")

    @property
    def kept(self):
        """Records already in the database as the files have them (the old loader's word)."""
        return self.unchanged

    @property
    def total(self):
        return sum(sum(getattr(self, name).values()) for name in ("created", "updated", "unchanged", "deleted"))

    @property
    def unsettled(self):
        return [(record, conflict) for record, conflict in self.conflicts if not conflict.settled]

    def _line(self, counts, label=None):
        def get(name):
            counter = getattr(self, name)
            return counts(counter) if label is None else counter[label]

        text = _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(conflicted)d conflicts, "
            "%(pruned)d pruned"
        ) % {name: get(name) for name in self.COLUMNS}
        if get("deleted"):
            text += _(", %(count)d deleted in the database and not brought back") % {"count": get("deleted")}
        if get("gone"):
            text += _(", %(count)d no longer in the files (kept; --prune withdraws them)") % {"count": get("gone")}
        return text

    def summary(self):
        names = ("created", "updated", "unchanged", "conflicted", "pruned", "deleted", "gone")
        labels = sorted(set().union(*(getattr(self, name) for name in names)))
        lines = [f"{label}: {self._line(None, label)}" for label in labels]
        lines.extend(
            _("  not brought back (deleted in the database): %(record)s (%(where)s)")
            % {"record": record.name, "where": record.where}
            for record in self.not_brought_back[:20]
        )
        lines.append(
            _("%(total)d records from %(files)d files: %(counts)s.")
            % {"total": self.total, "files": len(self.files), "counts": self._line(lambda c: sum(c.values()))}
        )
        if self.conflicts and self.prefer:
            settled = {
                PREFER_FILES: _("%(count)d conflicting field(s) settled in favour of the files."),
                PREFER_DATABASE: _("%(count)d conflicting field(s) settled in favour of the database."),
            }[self.prefer]
            lines.append(settled % {"count": len(self.conflicts)})
        if self.dry_run:
            lines.append(_("Dry run: nothing was written."))
        return "\n".join(lines)

    def diff_text(self):
        """What the sync writes (or would write), field by field."""
        lines = []
        for sign, name, where, fields in self.changes:
            lines.append(f"{sign} {name} ({where})")
            lines.extend(f"    {field_name}: {_show(before)} → {_show(after)}" for field_name, before, after in fields)
        return "\n".join(lines) if lines else _("No changes.")

    def conflict_text(self, conflicts=None):
        lines = []
        for record, conflict in self.conflicts if conflicts is None else conflicts:
            values = {
                "where": record.where,
                "record": record.name,
                "field": conflict.field,
                "base": _show(conflict.base),
                "file": _show(conflict.file),
                "database": _show(conflict.database),
            }
            text = _("%(where)s: %(record)s: %(field)s: base %(base)s, file %(file)s, database %(database)s") % values
            settled = {
                PREFER_FILES: _(" (settled: the file's value)"),
                PREFER_DATABASE: _(" (settled: the database's value)"),
            }.get(conflict.settled, "")
            lines.append(text + settled)
        return "\n".join(lines)

    def refusal(self):
        parts = [_("Nothing was written.")]
        if self.problems:
            parts.append(_("%(count)d problem(s) in the fixture files:") % {"count": len(self.problems)})
            parts.extend(f"  {problem}" for problem in self.problems)
        if self.unsettled:
            parts.append(
                _(
                    "%(count)d conflict(s): fields changed both in the files and in the database since the last "
                    "sync (or, for a record never synced, different on the two sides). Edit the file or the "
                    "record, or choose a side with --prefer files or --prefer database:"
                )
                % {"count": len(self.unsettled)}
            )
            parts.extend(f"  {line}" for line in self.conflict_text(self.unsettled).splitlines())
        return "\n".join(parts)


def _show(value, limit=160):
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the sync ----------------------------------------------------------------------------------


def sync_fixtures(paths=None, *, prefer=None, dry_run=False, prune=False, user=None, diff=None):
    """Sync ``paths`` (default: every file of ``settings.TRACKER_FIXTURE_DIR``) with the database.

    ``user`` is the login that applies the files (a reviewer uploading one in the admin); the
    change sets then name that login beside the file.  ``diff`` (by default: on a dry run) keeps
    what each record written changes, field by field, for ``SyncResult.diff_text``: a second
    copy of every new record's values, so a plain run does without it.

    Returns a ``SyncResult``; raises ``SyncRefused`` (naming every problem and conflict) when
    nothing could be written.  ``dry_run`` does everything, reports it, and rolls it back.
    """
    whole_directory = not paths
    paths = [Path(path) for path in paths] if paths else fixture_paths()
    sync = Sync(
        paths,
        prefer=prefer,
        prune=prune,
        whole_directory=whole_directory,
        dry_run=dry_run,
        user=user,
        diff=dry_run if diff is None else diff,
    )
    with transaction.atomic(), _kept_from_collection():
        result = sync.run()
        if result.problems or result.unsettled or dry_run:
            transaction.set_rollback(True)
    if result.problems or result.unsettled:
        raise SyncRefused(result)
    return result


@contextmanager
def _kept_from_collection():
    """Within: ``_settled()`` takes what is already allocated out of the garbage collector's
    sweeps, until the end.

    What a sync keeps alive to the end (the models' metadata, Django's caches, the
    counters) would be swept again by Python's collector each time the younger objects have
    grown by a quarter: 15 % of a sync of 5,000 records, when it held the records themselves,
    growing with the records.  Frozen (``gc.freeze``), they are still freed when their last
    reference goes; what the freeze keeps from the collector is only cycles, and it ends with
    the sync.
    """
    try:
        yield
    finally:
        gc.unfreeze()


def _settled():
    gc.freeze()


class Sync:
    """One run of the sync: read every record, then, model by model and a chunk at a time,
    check, merge and write them; withdraw what left the files; remember the bases.

    The records are read twice: once as the files give them, each put aside on disk with its
    model's (``Spool``), and once per model in the order the models refer to each other, a
    chunk (``WRITE_CHUNK``) at a time.  A chunk is checked, merged and written, then let go:
    what stays of it is each record's key and id, on disk (``RecordIndex``, given back as
    ``Known``), beside the key of every stored record (``StoredKeys``) — so its memory is
    bounded by the chunk, not by the files or the database.  A record is checked against the
    records it refers to as written by then (read back for its chunk), never against a copy
    kept from the files.

    Each record is checked to the end even after a problem, so one run reports them all; the
    writes then run too (each in a savepoint), so the services' own checks are reported as
    well, and the caller rolls everything back.
    """

    def __init__(self, paths, *, prefer, prune, whole_directory, dry_run, user=None, diff=True):
        self.user = user
        self.diff = diff
        if prefer not in (None, PREFER_FILES, PREFER_DATABASE):
            raise ValueError(f"prefer is 'files' or 'database', not {prefer!r}")
        self.paths = paths
        self.prefer = prefer
        self.prune = prune
        self.whole_directory = whole_directory
        self.result = SyncResult(files=[display_path(path) for path in paths], dry_run=dry_run, prefer=prefer)
        self.spools = {}  # model -> Spool of its records, as read
        self.counts = defaultdict(Counter)  # file name -> records per model
        self.files = []  # (as displayed, name) of each file read
        self.keys = KeyStore()  # every natural key met, on disk: of the database (``StoredKeys``) and the files
        self.index = RecordIndex(self.keys, self.files)  # (model, encoded key) -> FileRecord or Known
        self.deferred = []  # records written again at the end (``write``)
        self.placeholders = itertools.count(1)
        self.digests = {}  # name -> SHA-256 of each file read
        self.skipped = {}  # name -> SyncedFile of each file not read, unchanged since its last sync
        self.syntax_errors = False
        self.quiet = False  # reading ahead: problems are reported in the record's turn
        self.fetched = {}  # (model, pk) -> a record the chunk's records refer to, as stored now

    # -- reading and checking --

    def problem(self, record, message, field_name=""):
        record.failed = True
        if self.quiet:
            return
        self.result.problems.append(
            Problem(file=record.entry.path, line=record.entry.line, message=message, record=record, field=field_name)
        )

    def run(self):
        self.syncable = set(record_models())
        try:
            self.skipped = self.unchanged_files()
            for path in self.paths:
                if path.name in self.skipped:
                    for label, count in json.loads(self.skipped[path.name].records).items():
                        self.result.unchanged[label] += count
                    continue
                self.digests[path.name] = file_digest(path)
                self.read(path)
            if not self.spools and not self.prune:
                return self.result  # every file as it was last synced: nothing to read, merge or write
            _settled()
            self.state = StoredKeys(reference_models(), self.keys)
            self.group = ChangeSetGroup(message=lambda actor: f"Synced from {actor.source}.")
            for model in [model for model in dependency_order(self.syncable) if model in self.spools]:
                self.sync_model(model)
            for record in self.deferred:
                if not record.failed:
                    self.write(record, again=True)
            self.withdraw_gone()
            try:
                self.group.close()
            except ValidationError as error:
                self.result.problems.append(Problem(file="", line=None, message=" ".join(error.messages)))
            if not self.result.problems and not self.result.unsettled:
                self.forget_gone_bases()
                self.remember_files(timezone.now())
        finally:
            for spool in self.spools.values():
                spool.close()
            self.keys.close()
        return self.result

    def sync_model(self, model):
        """Check, merge and write the records of ``model``, a chunk at a time."""
        spool = self.spools[model]
        order = self.read_ahead(model, spool) if any(f.related_model is model for f, _ in _relations(model)) else None
        entries = map(self.entry, spool.read(order))
        while chunk := list(itertools.islice(entries, WRITE_CHUNK)):
            records = [FileRecord(entry=entry) for entry in chunk]
            del chunk
            for record in records:
                self.parse(record)
            self.check(model, records)
            self.apply(model, records)
            self.let_go(model, records)
            _settled()
        spool.close()

    def check(self, model, records):
        """Identify, check and merge a chunk's records (every one to the end, failed or not)."""
        for record in records:
            self.identify(record)
        self.read_stored(model, records)
        readable = [record for record in records if record.stand_in is not None and not record.deleted]
        for record in readable:
            self.resolve_links(record)
        for record in readable:
            if not record.deleted:
                self.check_fields(record)
        for record in readable:
            if not record.deleted and not record.failed:
                self.merge(record)
        for record in records:
            record.lighten()
        self.fetch_targets([record for record in records if record.action in (CREATE, UPDATE) and not record.failed])

    def let_go(self, model, records):
        """Keep only the key and id of a chunk's records (records kept by a problem, a conflict
        or a second write at the end stay with them)."""
        self.index.let_go()
        self.fetched = {}
        self.state.links = {}

    def unchanged_files(self):
        """The files (by name) whose bytes are those their last sync checked, under today's schema,
        with all the bases it left: their records are as the bases say, so the merge can only keep
        the database's values, and they need not be read (``SyncedFile``)."""
        paths = {path.name: path for path in self.paths}
        stored = {synced.name: synced for synced in SyncedFile.objects.filter(name__in=list(paths), rules=self.rules)}
        if not stored:
            return {}
        bases = Counter(
            dict(SyncBase.objects.filter(file__in=list(stored)).values_list("file").annotate(Count("id")).order_by())
        )
        # A record of the file a person deleted since is reported at every sync: such a file is read.
        reporting = {
            name
            for label, encoded, name in SyncBase.objects.filter(
                file__in=list(stored), natural_key__in={encoded for _, encoded in self.tombstones}
            ).values_list("model", "natural_key", "file")
            if (label, encoded) in self.tombstones
        }
        return {
            name: synced
            for name, synced in stored.items()
            if name not in reporting and bases[name] == synced.bases and file_digest(paths[name]) == synced.digest
        }

    @cached_property
    def tombstones(self):
        """(model, natural key) of each record a person deleted: the files do not bring it back."""
        return set(Tombstone.objects.exclude(changeset__via=ChangeVia.FIXTURES).values_list("model", "natural_key"))

    @cached_property
    def rules(self):
        """The tracker's schema the files are checked under: its latest migration."""
        applied = MigrationRecorder.Migration.objects.filter(app="tracker").order_by("-applied", "-id")
        return applied.values_list("name", flat=True).first() or ""

    def read(self, path):
        """Read a file's records, each put aside with its model's (``Spool``)."""
        file_number = len(self.files)
        self.files.append((display_path(path), path.name))
        try:
            for entry in read_entries(path):
                model = self.model_of(FileRecord(entry=entry))
                if model is None:
                    continue
                spool = self.spools.get(model)
                if spool is None:
                    spool = self.spools[model] = Spool()
                spool.add((file_number, entry.line, entry.index, entry.data))
                self.counts[entry.name][model._meta.label_lower] += 1
        except FixtureSyntaxError as error:
            self.result.problems.append(error.problem)
            self.syntax_errors = True

    def entry(self, item):
        """A record put aside (``Spool``) as the file gave it."""
        file_number, line, index, data = item
        shown, name = self.files[file_number]
        return Entry(path=shown, name=name, line=line, index=index, data=data)

    def model_of(self, record):
        """The model a record read names, or None (reported)."""
        data = record.entry.data
        if not isinstance(data, dict):
            return self.problem(record, _('a record is a JSON object with "model" and "fields".'))
        label = data.get("model")
        try:
            model = apps.get_model(label) if isinstance(label, str) else None
        except (LookupError, ValueError):
            model = None
        if model is None:
            return self.problem(record, _("unknown model %(model)r.") % {"model": label})
        if model not in self.syncable:
            return self.problem(
                record,
                _("%(model)s is not one of the records the fixture files hold.") % {"model": model._meta.label_lower},
            )
        return model

    def parse(self, record):
        data = record.entry.data
        record.model = apps.get_model(data["model"])
        if "pk" in data:
            self.problem(
                record,
                _('"pk": %(pk)r: records are matched by their natural keys, never by a numeric id; remove "pk".')
                % {"pk": data["pk"]},
            )
        for name in sorted(set(data) - {"model", "fields", "pk"}):
            self.problem(record, _('unknown key %(key)r: a record has "model" and "fields" only.') % {"key": name})
        fields = data.get("fields")
        if not isinstance(fields, dict):
            return self.problem(record, _('"fields" must be a JSON object of field names and values.'))
        for name, raw in fields.items():
            self.parse_field(record, name, raw)
        return None

    def parse_field(self, record, name, raw):
        model = record.model
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            model_field = None
        if (
            model_field is None
            or not (model_field.concrete or model_field.many_to_many)
            or (model_field.auto_created and not model_field.primary_key)
        ):
            return self.problem(
                record,
                _("unknown field: %(model)s has no field %(field)r.")
                % {"model": model._meta.label_lower, "field": name},
                name,
            )
        if name in SYSTEM_FIELDS:
            if name == "id":
                self.problem(record, _("records are matched by their natural keys, never by a numeric id."), name)
            return None  # kept by the services (timestamps, versions, review state): a dump's are ignored
        if model_field.many_to_many:
            if not isinstance(raw, list) or not all(_is_key(item) for item in raw):
                record.unreadable.add(name)
                return self.problem(
                    record, _('links are written as a list of natural keys, each a list: [["US"], ["CN"]].'), name
                )
            record.references[name] = raw
        elif model_field.is_relation:
            if raw is not None and not _is_key(raw):
                record.unreadable.add(name)
                related = model_field.related_model._meta.label_lower
                return self.problem(
                    record,
                    _("a reference is written as the %(model)s's natural key in a list, not %(value)r.")
                    % {"model": related, "value": raw},
                    name,
                )
            record.references[name] = raw
        else:
            try:
                record.values[name] = parse_value(model_field, raw)
            except ValidationError as error:
                record.unreadable.add(name)
                self.problem(record, " ".join(error.messages), name)
        return None

    # -- natural keys --

    def find(self, model, key, record=None, field_name=""):
        """The record ``key`` names (a Target), or None: reported missing, or deleted (``record.deleted``)."""
        encoded = encode_key(key)
        other = self.index.get((model, encoded))
        if other is not None and not other.deleted:
            return Target(model, other.key, record=other)
        pk = self.state.find(model, encoded)
        if pk is not None:
            return Target(model, self.state.key_of(model, pk), stored=pk)
        if other is not None or (model._meta.label_lower, encoded) in self.tombstones:
            return None  # deleted in the database; the caller decides what that means for its record
        if record is not None:
            if self.syntax_errors:
                message = _(
                    "no %(model)s has the natural key %(key)r, neither in the database nor in any fixture file "
                    "that could be read."
                )
            else:
                message = _(
                    "no %(model)s has the natural key %(key)r, neither in the database nor in any fixture file."
                )
            self.problem(record, message % {"model": model._meta.label_lower, "key": list(key)}, field_name)
        return None

    def read_ahead(self, model, spool):
        """For a model whose records refer to each other (a pilot zone's programme): every record's
        key, known before the first chunk (``Known``, not written yet), so that a reference to one
        further on is found; and the order to sync them in (positions in ``spool``), each after
        those of its model it refers to.  A cycle is broken where it closes: ``write`` saves the
        reference to the record not written yet at the end.  Problems are reported in each
        record's turn."""
        refers = {}
        self.quiet = True
        try:
            for position, item in enumerate(spool.read()):
                record = FileRecord(entry=self.entry(item))
                self.glance(record)
                key = self.key_ahead(record)
                if key is None:
                    continue
                encoded = encode_key(key)
                if (model, encoded) in self.index:
                    continue  # a duplicate: reported in its turn
                self.index.ahead(model, encoded, key, self.state.find(model, encoded), record.entry, position)
                same = []
                for model_field, many in _relations(model):
                    written = record.references.get(model_field.name) if model_field.related_model is model else None
                    if written:
                        same.extend(encode_key(key) for key in (written if many else [written]))
                if same:
                    refers[position] = same
        finally:
            self.quiet = False
        order, placed = array("q"), bytearray(len(spool))

        def place(position):
            # Iterative depth-first walk: a chain of references is as long as the files make it.
            stack = [(position, iter(refers.get(position, ())))]
            placed[position] = 1
            while stack:
                current, pending = stack[-1]
                for encoded in pending:
                    other = self.keys.position(model, encoded)
                    if other is not None and not placed[other]:
                        placed[other] = 1
                        stack.append((other, iter(refers.get(other, ()))))
                        break
                else:
                    stack.pop()
                    order.append(current)

        for position in range(len(spool)):
            if not placed[position]:
                place(position)
        return order

    @staticmethod
    def glance(record):
        """A record's fields as written, unchecked (``parse`` checks them in the record's turn):
        enough to read its key ahead."""
        model = record.model = apps.get_model(record.entry.data["model"])
        fields = record.entry.data.get("fields")
        if not isinstance(fields, dict):
            record.values = None
            return
        names = _relation_names(model)
        for name, raw in fields.items():
            if name in names:
                record.references[name] = raw
            elif name not in SYSTEM_FIELDS:
                record.values[name] = raw

    def key_ahead(self, record):
        """A record's natural key from its values and the keys its references are written as,
        reading nothing (``read_ahead``); None when it has none."""
        if record.model is None or record.values is None:
            return None
        if not _key_paths(record.model):  # a key of its own fields (a slug): read off its values
            try:
                key = tuple(record.model.natural_key(SimpleNamespace(**record.values)))
            except AttributeError:
                pass
            else:
                return None if any(part in (None, "") for part in key) else key
        try:
            stand_in = record.model(**record.values)
            for model_field, many in _relations(record.model):
                written = record.references.get(model_field.name)
                if not many and written is not None and model_field.related_model is not record.model:
                    model_field.set_cached_value(stand_in, key_stub(model_field.related_model, tuple(written), None))
            key = tuple(stand_in.natural_key())
        except (AttributeError, ObjectDoesNotExist, TypeError, ValueError):
            return None
        return None if any(part in (None, "") for part in key) else key

    def fetch_targets(self, records):
        """Read the records of other chunks that the records to write refer to, as stored now
        (written by this sync, or as it found them), to check them against: one query per
        model.  A record left unchanged reads none."""
        wanted = defaultdict(set)
        for record in records:
            for targets in record.targets.values():
                for target in targets if isinstance(targets, list) else [targets]:
                    if isinstance(target.record, FileRecord):
                        continue  # of this chunk: in memory
                    pk = target.pk
                    if pk is not None and (target.model, pk) not in self.fetched:
                        wanted[target.model].add(pk)
        for target_model, pks in wanted.items():
            for row in rows_by_id(target_model, pks):
                self.fetched[target_model, row.pk] = row

    def identify(self, record):
        """Build the record's stand-in with its references to other models, and find its natural key."""
        model = record.model
        stand_in = model(**record.values)
        stand_in.pk = -next(self.placeholders)  # never saved: lets parts computed through it name it
        record.stand_in, record.values = stand_in, None
        refers_to_deleted = False
        for model_field, many in _relations(model):
            key = record.references.get(model_field.name)
            if many or key is None or model_field.related_model is model:
                continue
            target = self.find(model_field.related_model, key, record, model_field.name)
            if target is None:
                refers_to_deleted = True  # unless find() reported it missing: then the record failed
                continue
            # The key is read off the keys the references name; the records themselves are read
            # for the records to write (``fetch_targets``), to check them against.
            pk = target.pk if target.pk is not None else -1
            setattr(stand_in, model_field.attname, pk)
            model_field.set_cached_value(stand_in, key_stub(target.model, target.key, pk))
            record.targets[model_field.name] = target
        try:
            key = tuple(stand_in.natural_key())
        except (AttributeError, ObjectDoesNotExist, TypeError):
            key = None
        if key is None or any(part in (None, "") for part in key):
            if refers_to_deleted and not record.failed:
                self._not_brought_back(record)  # a part of a deleted record: its key went with it
            elif not record.failed:
                self.problem(record, _("its natural key is incomplete: give every field the key is made of."))
            return
        record.key = key
        # Named by its key from now on: the decoded JSON, read into values, is let go (a quarter
        # of what a record holds while the files are checked).
        record.entry = dataclasses.replace(record.entry, data=None)
        other = self.index.get((model, record.encoded))
        if other is not None and not (
            isinstance(other, Known) and other.spot == (record.entry.name, record.entry.index)
        ):
            return self.problem(
                record,
                _("duplicate natural key: %(where)s is the same %(model)s; each record appears once in the files.")
                % {"where": other.where, "model": model._meta.label_lower},
            )
        # Registered even when it failed: records referring to it are then not told it exists nowhere.
        self.index[model, record.encoded] = record
        record.existing = self.state.find(model, record.encoded)  # its id: read with its chunk (``read_stored``)
        if record.failed:
            return
        if refers_to_deleted or (record.existing is None and (record.label, record.encoded) in self.tombstones):
            self._not_brought_back(record)

    def read_stored(self, model, records):
        """The stored records of a chunk (one query, and one per link), and their bases; a record
        a file this sync did not read holds is a duplicate."""
        keyed = [
            record for record in records if record.key is not None and self.index.get((model, record.encoded)) is record
        ]
        rows = self.state.read(model, [record.existing for record in keyed if record.existing is not None])
        for record in keyed:
            if record.existing is not None:
                record.existing = rows[record.existing]
        if not keyed:
            return
        label = model._meta.label_lower
        bases = {
            base.natural_key: base
            for base in SyncBase.objects.filter(model=label, natural_key__in=[record.encoded for record in keyed])
        }
        for record in keyed:
            base = bases.get(record.encoded)
            if base is not None and base.file in self.skipped:
                del self.index[model, record.encoded]
                self.problem(
                    record,
                    _(
                        "duplicate natural key: %(file)s holds the same %(model)s; each record appears once in the "
                        "files."
                    )
                    % {"file": base.file, "model": label},
                )
            else:
                record.base = base

    def resolve_links(self, record):
        """References within a model (a measure's programme, the measures it amends) and every link."""
        model = record.model
        for model_field, many in _relations(model):
            written = record.references.get(model_field.name)
            if written is None or (not many and model_field.related_model is not model):
                continue
            if not many:
                target = self.find(model, written, record, model_field.name)
                if target is not None:
                    record.targets[model_field.name] = target
                elif not record.failed and record.key is not None:
                    self._not_brought_back(record)
                continue
            targets = []
            for key in written:
                target = self.find(model_field.related_model, key, record, model_field.name)
                if target is not None:
                    targets.append(target)
                # A link to a record deleted in the database is dropped, as the deletion dropped it.
            record.targets[model_field.name] = targets

    def _not_brought_back(self, record):
        record.deleted = True
        self.result.deleted[record.label] += 1
        self.result.not_brought_back.append(record)

    def check_fields(self, record):
        """Each field as the admin's form checks it: type, length, choices, required."""
        model = record.model
        for model_field, many in _relations(model):
            written = record.references.get(model_field.name)
            if not (many or model_field.null or written is not None or model_field.name in record.unreadable):
                self.problem(
                    record,
                    _("required: name the %(model)s by its natural key.")
                    % {"model": model_field.related_model._meta.verbose_name},
                    model_field.name,
                )
        exclude = {f.name for f, _ in _relations(model)} | SYSTEM_FIELDS | record.unreadable
        try:
            record.stand_in.clean_fields(exclude=exclude)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.problem(record, " ".join(messages), name)

    # -- merging --

    def canonical(self, record):
        """The file's record in canonical form: what ``export_fixtures`` writes for it."""
        values = {}
        for model_field in record_fields(record.model):
            if model_field.many_to_many:
                values[model_field.name] = sorted_keys(t.key for t in record.targets.get(model_field.name, []))
            elif model_field.is_relation:
                target = record.targets.get(model_field.name)
                values[model_field.name] = list(target.key) if target is not None else None
            else:
                values[model_field.name] = json_value(model_field, getattr(record.stand_in, model_field.attname))
        return values

    def merge(self, record):
        if record.failed:
            return
        file_values = self.canonical(record)
        record.file_text = _TEXT_ENCODER.encode(file_values)
        if record.existing is None:
            record.action = CREATE
            return
        database = self.state.values(record.existing)
        base = record.base.field_values if record.base is not None else None
        record.merged = merge(base=base, file=file_values, database=database, prefer=self.prefer)
        if record.merged.conflicts:
            self.result.conflicted[record.label] += 1
            self.result.conflicts.extend((record, conflict) for conflict in record.merged.conflicts)
        record.action = UPDATE if record.merged.values != database else UNCHANGED

    # -- writing --

    def actor(self, path):
        return Actor.fixtures(path, user=self.user)

    def apply(self, model, records):
        """Write a chunk's new and changed records: in bulk where the records they refer to are
        written, else one by one; then remember what the files said of them (the bases)."""
        ordered = self.write_order(records)
        levels = self.bulk_levels(ordered)
        for level in sorted(set(levels.values())):
            self.write_many(model, [record for record in ordered if levels.get(record) == level])
        written = self.update_many(model, [record for record in ordered if record.action == UPDATE])
        for record in ordered:
            if record not in levels and record not in written:
                self.write(record)
            if record.deferred and not record.failed:
                self.deferred.append(record)
        self.update_bases(records)

    def write_order(self, records):
        """Records to write, each after the records of its own model it refers to (a programme before
        its pilot zones); a cycle is broken by saving one side's reference at the end."""
        ordered, state = [], {}

        def visit(record):
            if state.get(record) is not None:
                return
            state[record] = "visiting"
            for targets in record.targets.values():
                for target in targets if isinstance(targets, list) else [targets]:
                    if isinstance(target.record, FileRecord) and target.model is record.model:
                        visit(target.record)
            state[record] = "done"
            ordered.append(record)

        for record in records:
            if record.action == UNCHANGED:
                self.result.unchanged[record.label] += 1
            elif record.action in (CREATE, UPDATE) and not record.failed:
                visit(record)
        return [record for record in ordered if record.action in (CREATE, UPDATE) and not record.failed]

    def pk_of(self, target_model, key):
        other = self.index.get((target_model, encode_key(key)))
        if other is not None:
            return other.pk
        return self.state.find(target_model, encode_key(key))

    def build(self, record, again):
        """The record to save (the stored one, or a new one, with the merged values) and its links;
        and whether some record it refers to is not written yet."""
        model = record.model
        if record.pk is None and record.stand_in is not None:
            return self.new_instance(record)
        values = record.file_values if record.action == CREATE else record.merged.values
        if record.pk is not None:
            source = model._base_manager.get(pk=record.pk) if again else record.existing
            instance = model(**{f.attname: getattr(source, f.attname) for f in model._meta.concrete_fields})
            instance._state.adding = False
            instance._state.db = DEFAULT_DB_ALIAS
        else:
            instance = model()
        relations, incomplete = {}, False
        for model_field in record_fields(model):
            value = values[model_field.name]
            if model_field.many_to_many:
                pks = [self.pk_of(model_field.related_model, key) for key in value]
                incomplete |= None in pks
                relations[model_field.name] = [pk for pk in pks if pk is not None]
            elif model_field.is_relation:
                pk = self.pk_of(model_field.related_model, value) if value is not None else None
                incomplete |= value is not None and pk is None
                setattr(instance, model_field.attname, pk)
            else:
                setattr(instance, model_field.attname, model_field.to_python(value))
        return instance, relations, incomplete

    def new_instance(self, record):
        """A new record to write: its stand-in, which holds its values as read and checked,
        pointed at the records its references name (as written: ``record.targets``, what its
        canonical values name).  Building it again from those values cost a tenth of a sync."""
        instance = record.stand_in
        instance.pk = None
        relations, incomplete = {}, False
        for model_field, many in _relations(record.model):
            targets = record.targets.get(model_field.name)
            if many:
                pks = [target.pk for target in targets or ()]
                incomplete |= None in pks
                relations[model_field.name] = [pk for pk in pks if pk is not None]
            elif model_field.name not in SYSTEM_FIELDS:
                pk = targets.pk if targets is not None else None
                incomplete |= targets is not None and pk is None
                setattr(instance, model_field.attname, pk)
                # Pointed at the record itself (its key stood in for it until now), or, not read,
                # left for Django to read if a check asks for it.
                target = self.instance_of(targets) if targets is not None and pk is not None else None
                if target is not None:
                    model_field.set_cached_value(instance, target)
                elif model_field.is_cached(instance):
                    model_field.delete_cached_value(instance)
        return instance, relations, incomplete

    def depends_on_failed(self, record):
        for targets in record.targets.values():
            for target in targets if isinstance(targets, list) else [targets]:
                if target.record is not None and target.record.failed and not target.record.stored:
                    return True
        return False

    def bulk_levels(self, records):
        """The new records that can be created together (``create_records``), by level: a record
        referring to another new record of its model comes one level after it.  The others
        (updates, records referring to one not written yet) are saved one by one."""
        levels = {}
        for record in records:  # in write order: a record after those of its model it refers to
            if record.action != CREATE or self.depends_on_failed(record):
                continue
            level, ready = 0, True
            for targets in record.targets.values():
                for target in targets if isinstance(targets, list) else [targets]:
                    other = target.record
                    if other is None:
                        continue
                    if other in levels:
                        level = max(level, levels[other] + 1)
                    elif other.pk is None:
                        ready = False  # written later (one by one) or not at all
            if ready:
                levels[record] = level
        return levels

    def write_many(self, model, records):
        """Create ``records`` (new, of ``model``, referring only to records already written) in
        bulk through the services, each file's in its change set."""
        by_file = defaultdict(list)
        for record in records:
            by_file[record.entry.path].append(record)
        for path, of_file in by_file.items():
            actor = self.actor(path)
            for chunk in _chunks(of_file):
                items = [self.new_record(record) for record in chunk]
                with self.group.use(actor):
                    outcome = create_records(model, items, actor=actor)
                for index, error in outcome.errors.items():
                    self.report(chunk[index], error)
                created = {id(item) for item in outcome.created}
                for record, item in zip(chunk, items, strict=True):
                    if id(item) in created:
                        self.created(record, item.record)

    def update_many(self, model, records):
        """Write changed records in bulk through the services (``update_records``), each file's in
        its change set; returns those written or refused.  A record referring to one not written
        yet, or of a model with a symmetrical link, is left to ``write`` (one by one)."""
        if not can_update_in_bulk(model):
            return set()
        by_file = defaultdict(list)
        for record in records:
            if not self.depends_on_failed(record):
                by_file[record.entry.path].append(record)
        handled = set()
        for path, of_file in by_file.items():
            actor = self.actor(path)
            for chunk in _chunks(of_file):
                items = []
                for record in chunk:
                    item, incomplete = self.changed_record(record)
                    if not incomplete:
                        items.append((record, item))
                with self.group.use(actor):
                    outcome = update_records(model, [item for _, item in items], actor=actor)
                for index, error in outcome.errors.items():
                    self.refused(items[index][0], error)
                changed = {id(item) for item in outcome.changed}
                unchanged = {id(item) for item in outcome.unchanged}
                for record, item in items:
                    handled.add(record)
                    if id(item) in changed:
                        self.updated(record, item.record)
                    elif id(item) in unchanged:
                        self.kept(record, item.record)
        return handled

    def changed_record(self, record):
        """A stored record to write in bulk, with the merged values; and whether a record it
        refers to is not written yet."""
        instance, relations, incomplete = self.build(record, again=False)
        related = self.related_instances(record, instance)
        return ChangedRecord(instance, relations, related, expected_version=record.existing.version), incomplete

    def related_instances(self, record, instance):
        """The instances ``record`` refers to, for its validation: links by name (returned), and
        each foreign key's in ``instance``'s cache."""
        related = {}
        for model_field, many in _relations(record.model):
            targets = record.targets.get(model_field.name)
            if targets is None:
                continue
            if many:
                related[model_field.name] = [self.instance_of(target) for target in targets]
            else:
                model_field.set_cached_value(instance, self.instance_of(targets))
        return related

    def new_record(self, record):
        """A new record to create in bulk, its references' instances cached for its validation
        (its own fields were checked on its stand-in, the instance written: ``check_fields``)."""
        checked = record.stand_in is not None
        instance, relations, _ = self.build(record, again=False)
        related = self.related_instances(record, instance)
        return NewRecord(record=instance, relations=relations, related=related, fields_cleaned=checked)

    def instance_of(self, target):
        """The written or stored record a reference names, for a record's validation."""
        record = target.record
        if isinstance(record, FileRecord) and (record.instance is not None or record.existing is not None):
            return record.instance or record.existing
        return self.fetched.get((target.model, target.pk))

    def report(self, record, error):
        for name, messages in _messages(error):
            if name != "__all__":
                self.problem(record, " ".join(messages), name)
                continue
            for message in messages:
                self.problem(record, message, ", ".join(constraint_fields(record.model, message)))

    def created(self, record, instance):
        record.saved_pk = instance.pk
        record.instance = instance
        self.result.created[record.label] += 1
        self.note_change(
            "+",
            record.name,
            record.where,
            lambda: [(name, None, value) for name, value in record.file_values.items() if value not in (None, "", [])],
        )

    def write(self, record, again=False):
        if self.depends_on_failed(record):
            record.failed = True  # its own problems would only repeat the other record's
            return
        instance, relations, incomplete = self.build(record, again)
        actor = self.actor(record.entry.path)
        expected = record.existing.version if record.existing is not None and not again else None
        try:
            with transaction.atomic(), self.group.use(actor):
                saved = save_record(record=instance, actor=actor, relations=relations, expected_version=expected)
        except (ValidationError, ConflictError) as error:
            self.refused(record, error)
            return
        if again:
            return
        record.deferred = incomplete
        if record.action == CREATE:
            self.created(record, instance)
        elif saved.changed:
            self.updated(record, instance)
        else:
            self.kept(record, instance)

    def refused(self, record, error):
        if isinstance(error, ConflictError):
            self.problem(
                record,
                _("changed in the database while the sync ran (%(error)s); run the sync again.") % {"error": error},
            )
        else:
            self.report(record, error)

    def updated(self, record, instance):
        record.saved_pk = instance.pk
        record.instance = instance
        self.result.updated[record.label] += 1
        merged = record.merged.values
        self.note_change(
            "~", record.name, record.where, lambda: changed_fields(self.state.values(record.existing), merged)
        )

    def note_change(self, sign, name, where, fields):
        """What a record written changes, for ``SyncResult.diff_text``: ``fields`` gives the
        [(field, before, after)], worked out only when the run keeps its diff."""
        if self.diff:
            self.result.changes.append((sign, name, where, fields()))

    def kept(self, record, instance):
        record.saved_pk = instance.pk
        self.result.unchanged[record.label] += 1

    # -- records no longer in the files --

    def withdraw_gone(self):
        """Records whose base names a file of this sync but which that file no longer holds.

        Without ``--prune`` they are counted and kept.  With it, a record readers see is
        withdrawn (back to draft, no published version: kept with its history, for a reviewer
        to delete or publish again); a part (citation, alias, detail) of a record still in the
        files is deleted through the services, in the history as made by the file, and can be
        undone from the journal.  Either way the record no longer comes from the files.
        """
        names = {path.name for path in self.paths}
        gone = {}
        bases = SyncBase.objects.exclude(file__in=list(self.skipped)).values_list("pk", "model", "natural_key", "file")
        for base_pk, label, encoded, file in bases.iterator(chunk_size=WRITE_CHUNK):
            model = apps.get_model(label)
            if (model, encoded) in self.index:
                continue  # read in this run
            if not (self.whole_directory or file in names):
                continue
            gone[label, encoded] = (model, self.state.find(model, encoded), base_pk, file)
        if not self.prune:
            for (label, _key), (_model, pk, _base, _file) in gone.items():  # "_" is the messages' gettext
                if pk is not None:
                    self.result.gone[label] += 1
            return
        self.gone_bases = [base_pk for _, _, base_pk, _ in gone.values()]
        for (label, encoded), (model, pk, _base, file) in sorted(gone.items(), key=lambda item: _depth(item[1][0])):
            if pk is None or self._ancestor_gone(model, pk, gone):
                continue  # deleted already, or goes with the record it belongs to
            row = model._base_manager.get(pk=pk)
            actor = self.actor(self._display(file))
            comment = f"No longer in {actor.source}: withdrawn by sync_fixtures --prune."
            name = f"{label} {key_text(json.loads(encoded))}"
            try:
                if issubclass(model, ReviewedModel):
                    if row.editorial_state == EditorialState.DRAFT and row.published_version is None:
                        continue
                    with transaction.atomic(), self.group.use(actor, kind=ChangeKind.REVIEW, message=comment):
                        withdraw(record=model(pk=row.pk), actor=actor, comment=comment)
                    self.note_change("-", name, actor.source, lambda: [("withdrawn", False, True)])
                else:
                    with transaction.atomic(), self.group.use(actor, kind=ChangeKind.DELETE, message=comment):
                        delete_record(record=model._base_manager.get(pk=row.pk), actor=actor, message=comment)
                    self.note_change("-", name, actor.source, lambda: [("deleted", False, True)])
                self.result.pruned[label] += 1
            except (ValidationError, DeletionRefused) as error:
                self.result.problems.append(
                    Problem(
                        file=actor.source,
                        line=None,
                        record=name,
                        message=_("cannot be pruned: %(error)s") % {"error": error},
                    )
                )

    def _ancestor_gone(self, model, pk, gone):
        """Whether the record this part belongs to also left the files: the part goes with it."""
        while model.version_parent:
            parent_field = model._meta.get_field(model.version_parent)
            pk = model._base_manager.filter(pk=pk).values_list(parent_field.attname, flat=True).first()
            model = parent_field.related_model
            key = self.state.key_of(model, pk) if pk is not None else None
            if key is None:
                return False
            if (model._meta.label_lower, encode_key(key)) in gone:
                return True
        return False

    def _display(self, name):
        for path in self.paths:
            if path.name == name:
                return display_path(path)
        directory = self.paths[0].parent if self.paths else Path(settings.TRACKER_FIXTURE_DIR)
        return display_path(directory / name)

    # -- the bases --

    def update_bases(self, records):
        """Remember what each file said of a chunk's records, for the next sync's merge (nothing
        when that is unchanged).  Not worth writing once the run is refused: it is rolled back."""
        if self.result.problems or self.result.unsettled:
            return
        now = timezone.now()
        create, update = [], []
        for record in records:
            if record.failed or record.deleted or record.key is None or record.file_text is None:
                continue
            values = record.file_text
            base = record.base
            if base is None:
                create.append(
                    {
                        "model": record.label,
                        "natural_key": record.encoded,
                        "file": record.entry.name,
                        "position": record.entry.index,
                        "values": values,
                        "synced_at": now,
                    }
                )
            elif (base.file, base.position, base.values) != (record.entry.name, record.entry.index, values):
                base.file, base.position, base.values, base.synced_at = (
                    record.entry.name,
                    record.entry.index,
                    values,
                    now,
                )
                update.append(base)
        insert_values(SyncBase, create)
        update_rows(SyncBase, update, ["file", "position", "values", "synced_at"])

    def forget_gone_bases(self):
        """With ``--prune``: the bases of the records withdrawn or deleted."""
        if self.prune:
            SyncBase.objects.filter(pk__in=getattr(self, "gone_bases", [])).delete()

    def remember_files(self, now):
        """Each file read, as checked: its digest, its records per model, the bases naming it."""
        records = self.counts
        bases = Counter(SyncBase.objects.filter(file__in=list(self.digests)).values_list("file", flat=True).iterator())
        for name, digest in self.digests.items():
            SyncedFile.objects.update_or_create(
                name=name,
                defaults={
                    "digest": digest,
                    "rules": self.rules,
                    "bases": bases[name],
                    "records": json.dumps(dict(sorted(records[name].items()))),
                    "synced_at": now,
                },
            )


# Records are checked, merged and written this many at a time (``Sync.sync_model``): the
# records they refer to are read for each chunk (``Sync.fetch_targets``).
WRITE_CHUNK = 5000

_TEXT_ENCODER = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False), built once


class Spool:
    """The records of one model as read from the files, put aside on disk until their model's
    turn (``Sync.sync_model``): what a sync holds while it reads is the record being read."""

    def __init__(self):
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 — closed by ``close``, at the end of the run
        self.offsets = array("q")

    def __len__(self):
        return len(self.offsets)

    def add(self, item):
        self.offsets.append(self.file.tell())
        pickle.dump(item, self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def read(self, order=None):
        """The items, as added or in ``order`` (their positions)."""
        self.file.flush()
        if order is None:
            self.file.seek(0)
            for _ in range(len(self.offsets)):
                yield pickle.load(self.file)  # noqa: S301 — the sync's own file, written just before
            return
        for position in order:
            self.file.seek(self.offsets[position])
            yield pickle.load(self.file)  # noqa: S301

    def close(self):
        self.file.close()


def _chunks(records):
    for start in range(0, len(records), WRITE_CHUNK):
        yield records[start : start + WRITE_CHUNK]


def file_digest(path):
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_key(value):
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(part, str | int) and not isinstance(part, bool) for part in value)
    )


def constraint_fields(model, message):
    """The fields a record-wide error is about: those of the constraint whose message it is."""
    for constraint in model._meta.constraints:
        if str(constraint.get_violation_error_message()) != message:
            continue
        if isinstance(constraint, models.CheckConstraint):
            names = constraint.condition.referenced_base_fields
        else:
            names = set(getattr(constraint, "fields", ()))
        return [f.name for f in record_fields(model) if f.name in names]
    return []


def _messages(error):
    if hasattr(error, "error_dict"):
        return error.message_dict.items()
    return [("__all__", error.messages)]
