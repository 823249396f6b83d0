"""The fixture files' format: reading them record by record, and the canonical form of a record.

A fixture file is a JSON list of records in the format of Django's ``loaddata``, with natural
keys only: ``{"model": "tracker.policyinstrument", "fields": {...}}``, every reference written
as the other record's natural key in a list.  ``read_entries`` decodes one record at a time
(``json.JSONDecoder.raw_decode``) and keeps the line each starts on, so every problem names
``file:line``; it reads the file a chunk at a time, so a long file is never held whole.
``record_fields`` and ``json_value`` define the canonical form that the sync
compares and the export writes: every field, in a fixed order, references by natural key,
links sorted, decimals with their field's places.

The sync itself (three-way merge with the database, all or nothing) is ``tracker.importers.sync``;
the way back, database to files, is ``tracker.importers.export``.
"""

import contextlib
import datetime
import decimal
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.models import Tombstone
from tracker.services.records import SYSTEM_FIELDS


class FixtureError(Exception):
    """Fixture files could not be synced or written; nothing was changed."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the fixture files: where (file, line), which record, which field, what."""

    file: str
    line: int | None
    message: str
    record: object = ""  # a name, or a record of the sync (its name is known once its key is)
    field: str = ""
    column: int | None = None

    def __str__(self):
        where = self.file + "".join(f":{number}" for number in (self.line, self.column) if number)
        record = getattr(self.record, "name", self.record)
        return ": ".join(part for part in (where, record, self.field, self.message) if part)


class FixtureSyntaxError(FixtureError):
    """A file is not a JSON list of records; ``problem`` says where."""

    def __init__(self, problem):
        self.problem = problem
        super().__init__(str(problem))


def fixture_paths(directory=None):
    directory = Path(directory or settings.TRACKER_FIXTURE_DIR)
    paths = sorted(directory.glob("*.json"))
    if not paths:
        raise FixtureError(_("No fixture files (*.json) in %(directory)s.") % {"directory": directory})
    return paths


def display_path(path):
    """A file as messages and the journal name it: relative to the project when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One record of a file, as decoded: where it is, and its JSON."""

    path: str  # as displayed
    name: str  # the file's name
    line: int
    index: int  # its place in the file, from 0
    data: object


_WHITESPACE = " \t\n\r"

# The JSON decoder's own messages, in the language of the run that reports them.
_JSON_MESSAGES = {
    "Expecting value": gettext_lazy("Expecting value"),
    "Expecting property name enclosed in double quotes": gettext_lazy(
        "Expecting property name enclosed in double quotes"
    ),
    "Expecting ':' delimiter": gettext_lazy("Expecting ':' delimiter"),
    "Expecting ',' delimiter": gettext_lazy("Expecting ',' delimiter"),
    "Unterminated string starting at": gettext_lazy("Unterminated string starting at"),
    "Invalid control character at": gettext_lazy("Invalid control character at"),
    "Invalid \\escape": gettext_lazy("Invalid \\escape"),
    "Invalid \\uXXXX escape": gettext_lazy("Invalid \\uXXXX escape"),
    "Illegal trailing comma before end of object": gettext_lazy("Illegal trailing comma before end of object"),
    "Illegal trailing comma before end of array": gettext_lazy("Illegal trailing comma before end of array"),
}


def read_entries(path):
    """Yield the records of the fixture file at ``path`` one at a time, each with its line.

    The file is read a chunk at a time (``_Window``): what the reader holds is the record being
    decoded and the rest of its chunk, not the whole text, however long the file.  Raises
    ``FixtureSyntaxError`` (file, line and column) where the file stops being a JSON list of
    values; the records before that point have been yielded.
    """
    path = Path(path)
    shown = display_path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise FixtureSyntaxError(Problem(shown, None, _("cannot be read: %(error)s") % {"error": error})) from error
    with handle:
        yield from _entries(_Window(handle, shown), path.name, shown)


def _entries(window, name, shown):
    def malformed(position, message):
        line, column = window.at(position)
        return FixtureSyntaxError(
            Problem(shown, line, _("malformed JSON: %(message)s.") % {"message": message}, column=column)
        )

    position = window.skip(0)
    if not window.startswith("[", position):
        raise malformed(position, _("a fixture file holds a JSON list of records, [ ... ]"))
    position = window.skip(position + 1)
    index = 0
    if not window.startswith("]", position):
        while True:
            try:
                data, end = window.decode(position)
            except json.JSONDecodeError as error:
                raise malformed(error.pos, _JSON_MESSAGES.get(error.msg, error.msg)) from error
            yield Entry(path=shown, name=name, line=window.at(position)[0], index=index, data=data)
            index += 1
            position = window.release(window.skip(end))
            if window.startswith(",", position):
                position = window.skip(position + 1)
                if window.startswith("]", position) or window.ends_at(position):
                    raise malformed(position, _("Expecting value (a comma before the end of the list)"))
                continue
            if window.startswith("]", position):
                break
            raise malformed(
                position, _("the list is not closed") if window.ends_at(position) else _("Expecting ',' delimiter")
            )
    after = window.skip(position + 1)
    if not window.ends_at(after):
        raise malformed(after, _("Extra data after the list"))


class _Window:
    """The part of a file's text being read: chunks are added at the end as the reader needs
    them and the records read are let go at the start, while the line and column of every
    position are kept as in the whole file.

    Written by hand because no streaming JSON reader fits: ijson and json-stream give the
    values of a list one at a time but not the line each starts on, which every problem names.
    """

    CHUNK = 1 << 20  # characters read at a time

    def __init__(self, handle, shown):
        self.handle = handle
        self.shown = shown
        self.text = ""
        self.exhausted = False
        self.line = 1  # the line of self.text[0] in the file
        self.column = 1  # and its column
        self.counted = 0  # a position in self.text whose line is known:
        self.counted_line = 1  # that line
        self.decoder = json.JSONDecoder()

    def more(self):
        """Read one more chunk; False at the end of the file."""
        if self.exhausted:
            return False
        try:
            chunk = self.handle.read(self.CHUNK)
        except (OSError, UnicodeDecodeError) as error:
            raise FixtureSyntaxError(
                Problem(self.shown, None, _("cannot be read: %(error)s") % {"error": error})
            ) from error
        if not chunk:
            self.exhausted = True
            return False
        self.text += chunk
        return True

    def has(self, position):
        """Whether the text reaches ``position`` (reading on as needed)."""
        while position >= len(self.text):
            if not self.more():
                return False
        return True

    def ends_at(self, position):
        return not self.has(position)

    def startswith(self, prefix, position):
        return self.has(position + len(prefix) - 1) and self.text.startswith(prefix, position)

    def skip(self, position):
        while self.has(position) and self.text[position] in _WHITESPACE:
            position += 1
        return position

    def decode(self, position):
        """The JSON value at ``position`` and where it ends, reading on while it runs past the
        text read so far (a value cut by the chunk's end fails to decode, or, a number, ends
        early)."""
        while True:
            try:
                data, end = self.decoder.raw_decode(self.text, position)
            except json.JSONDecodeError:
                if self.more():
                    continue
                raise
            if end < len(self.text) or not self.more():
                return data, end

    def release(self, position):
        """Let go of the text before ``position``; returns where that position is now."""
        if position < self.CHUNK // 2:
            return position  # let go in large pieces: each costs a copy of the rest
        line, column = self.at(position)
        self.text = self.text[position:]
        self.line, self.column = line, column
        self.counted, self.counted_line = 0, line
        return 0

    def at(self, position):
        """The line and column (from 1) in the file of ``position`` in the text."""
        if position < self.counted:
            self.counted, self.counted_line = 0, self.line
        self.counted_line += self.text.count("\n", self.counted, position)
        self.counted = position
        newline = self.text.rfind("\n", 0, position)
        column = position - newline if newline >= 0 else self.column + position
        return self.counted_line, column


# --- values ------------------------------------------------------------------------------------


def record_fields(model):
    """A record's fields in the files' order: the record it belongs to first (a citation's
    measure), then its own fields in the model's order, then its many-to-many links.  The
    services' own fields (id, timestamps, version, review state) are never written."""
    own = [f for f in model._meta.concrete_fields if f.name not in SYSTEM_FIELDS]
    parent = getattr(model, "version_parent", None)
    own.sort(key=lambda f: f.name != parent)
    return own + list(model._meta.many_to_many)


_EXPECTED = [  # lazy: named in the language of the run that reports them
    (models.BooleanField, (bool,), gettext_lazy("true or false")),
    (models.IntegerField, (int,), gettext_lazy("a whole number")),
    (models.DecimalField, (str, int, float), gettext_lazy('a number, written as a string ("12.50")')),
    (models.DateField, (str,), gettext_lazy('a date, written "YYYY-MM-DD"')),
    (models.CharField, (str,), gettext_lazy("text")),
    (models.TextField, (str,), gettext_lazy("text")),
]


def parse_value(model_field, raw):
    """A file's JSON value for a plain field as a Python value; ``ValidationError`` if it is not one."""
    if raw is None:
        return None
    for kind, types, wanted in _EXPECTED:
        if isinstance(model_field, kind):
            if isinstance(raw, bool) and bool not in types or not isinstance(raw, types):
                raise ValidationError(
                    _("expected %(wanted)s, not %(value)s.")
                    % {"wanted": wanted, "value": json.dumps(raw, ensure_ascii=False)}
                )
            break
    if isinstance(model_field, models.DecimalField) and isinstance(raw, float):
        raw = repr(raw)
    return model_field.to_python(raw)


def json_value(model_field, value):
    """A plain field's value as the files write it."""
    if value is None:
        return None
    if isinstance(model_field, models.DecimalField):
        value = decimal.Decimal(value)
        # More digits than the field holds: left as written, for the field's own check to refuse.
        with contextlib.suppress(decimal.InvalidOperation):
            value = value.quantize(decimal.Decimal(1).scaleb(-model_field.decimal_places))
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def encode_key(natural_key):
    """A natural key as the tombstones and the sync bases store it."""
    return Tombstone.encode(natural_key)


def key_text(natural_key):
    return "/".join(str(part) for part in natural_key)


def sorted_keys(keys):
    """Links as the files write them: natural keys, sorted."""
    return sorted((list(key) for key in keys), key=lambda key: json.dumps(key, ensure_ascii=False))


def dumps(records):
    """A fixture file's text: indented by two, UTF-8 as is, one newline at the end."""
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


# --- the old loader's name ---------------------------------------------------------------------


def load_fixtures(paths=None, update_existing=False):
    """``sync_fixtures`` under the old loader's name, for its callers (the benchmarks).

    ``update_existing`` settles conflicts in favour of the files (``--prefer files``).
    """
    from tracker.importers.sync import PREFER_FILES, sync_fixtures

    return sync_fixtures(paths, prefer=PREFER_FILES if update_existing else None)
