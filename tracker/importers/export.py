"""The database written back to the fixture files, deterministically.

Each record goes to the file it was last synced from, at its place there (``SyncBase``
knows both).  A record the files never held (created in the admin) is placed by one rule:

- a part (a citation, alias, kind detail, fund participant, event, indicator subject) goes
  into the file of the record it belongs to;
- any other record goes into the file that holds most records of its model (the first by
  name on a tie), or ``<model name>.json`` when no file holds its model yet;

and, in its file, after the records already there, in the order of the natural key of the
record it belongs to (a new measure, then its details and citations), then its own.

The text is the canonical form (``tracker.importers.fixtures``): every field in a fixed
order, references and links by natural key, links sorted, two-space indents, UTF-8 as is,
no ids, no timestamps, no versions.  So exporting twice writes the same bytes, ``sync``
after an export changes nothing, and an export after a sync reproduces the files.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from tracker.importers.fixtures import dumps, encode_key
from tracker.importers.sync import DatabaseState, dependency_order, reference_models
from tracker.models import SyncBase, record_models


@dataclass
class ExportResult:
    directory: Path
    records: Counter = field(default_factory=Counter)  # per file
    changed: list = field(default_factory=list)  # files whose text changed
    emptied: list = field(default_factory=list)  # files whose records are all gone from the database

    def summary(self):
        files = len(self.records) + len(self.emptied)
        lines = [
            f"Wrote {sum(self.records.values())} records to {files} files in {self.directory}: "
            f"{len(self.changed)} changed, {files - len(self.changed)} unchanged."
        ]
        lines.extend(f"  changed: {name}" for name in self.changed)
        lines.extend(f"  emptied (its records were deleted in the database): {name}" for name in self.emptied)
        return "\n".join(lines)


def export_fixtures(output=None):
    """Write every record of the database into ``output`` (default: the fixture directory)."""
    directory = Path(output or settings.TRACKER_FIXTURE_DIR)
    state = DatabaseState(reference_models())
    bases = {(base.model, base.natural_key): base for base in SyncBase.objects.all()}
    models = dependency_order(record_models())
    rank = {model: number for number, model in enumerate(models)}
    usual_file = _usual_files(bases)

    placed = {}  # (model, pk) -> file name

    def root(model, pk, depth=0):
        """The record a part belongs to, through every level (a fund participant's measure)."""
        if not model.version_parent:
            return model, pk, depth
        parent_field = model._meta.get_field(model.version_parent)
        return root(parent_field.related_model, getattr(state.rows[model][pk], parent_field.attname), depth + 1)

    def place(model, pk):
        """The file a record goes to, and its place among that file's records."""
        key = state.keys[model][pk]
        base = bases.get((model._meta.label_lower, encode_key(key)))
        if base is not None:
            return base.file, (0, base.position, "", 0, 0, _json(key))
        root_model, root_pk, depth = root(model, pk)
        root_key = _json(state.keys[root_model][root_pk])
        if depth:
            name = file_of(root_model, root_pk)
        else:
            label = model._meta.label_lower
            name = usual_file.get(label) or f"{model._meta.model_name}.json"
        return name, (1, 0, root_key, depth, rank[model], _json(key))

    def file_of(model, pk):
        if (model, pk) not in placed:
            placed[model, pk] = place(model, pk)[0]
        return placed[model, pk]

    files = defaultdict(list)
    for model in models:
        for pk in state.rows[model]:
            name, order = place(model, pk)
            files[name].append((order, model, state.rows[model][pk]))

    result = ExportResult(directory=directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in sorted(files):
        records = [
            {"model": model._meta.label_lower, "fields": state.values(row)}
            for _, model, row in sorted(files[name], key=lambda item: item[0])
        ]
        result.records[name] = len(records)
        if _write(directory / name, dumps(records)):
            result.changed.append(name)
    for name in sorted({base.file for base in bases.values()} - set(files)):
        if (directory / name).exists():
            result.emptied.append(name)
            if _write(directory / name, dumps([])):
                result.changed.append(name)
    return result


def _usual_files(bases):
    """Per model, the file that holds most of its records (the first by name on a tie)."""
    counts = defaultdict(Counter)
    for base in bases.values():
        counts[base.model][base.file] += 1
    return {label: min(files, key=lambda name: (-files[name], name)) for label, files in counts.items()}


def _json(value):
    return json.dumps(list(value), ensure_ascii=False)


def _write(path, text):
    """Write ``text`` to ``path`` unless it already holds exactly that; True if it changed."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    with path.open("w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
    return True
