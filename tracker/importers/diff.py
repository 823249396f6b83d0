"""The three-way merge of one record: its fixture file, the database and the base between them.

Values are a record's canonical field values (``tracker.importers.fixtures.canonical_values``):
JSON values with references written as natural keys, so the file, the database and the base
compare directly.  Nothing here reads or writes the database.
"""

from dataclasses import dataclass, field

PREFER_FILES = "files"
PREFER_DATABASE = "database"
PREFERENCES = (PREFER_FILES, PREFER_DATABASE)


@dataclass(frozen=True)
class FieldConflict:
    """A field changed on both sides, differently: what the base, the file and the database say."""

    field: str
    base: object
    file: object
    database: object
    settled: str = ""  # PREFER_FILES or PREFER_DATABASE when ``--prefer`` settled it, else ""


@dataclass
class Merge:
    """The merged values of a record, and how each field was decided."""

    values: dict
    from_file: list = field(default_factory=list)  # fields the file changed, taken from it
    kept: list = field(default_factory=list)  # fields changed in the database only, kept
    conflicts: list = field(default_factory=list)

    @property
    def unsettled(self):
        return [conflict for conflict in self.conflicts if not conflict.settled]


def merge(*, base, file, database, prefer=None):
    """Merge ``file`` into ``database`` field by field, with ``base`` their common ancestor.

    ``base`` is None when the record was never synced: then a field on which the two sides
    differ is a conflict, since nothing says which side changed it.  A conflict takes the
    side ``prefer`` names; unsettled, it keeps the database's value (and the caller writes
    nothing).
    """
    if prefer not in (None, *PREFERENCES):
        raise ValueError(f"prefer is one of {PREFERENCES}, not {prefer!r}")
    result = Merge(values={})
    for name, theirs in file.items():
        ours = database.get(name)
        if theirs == ours:
            result.values[name] = ours
            continue
        before = base.get(name) if base is not None else None
        if base is not None and name in base and before == ours:
            result.values[name] = theirs
            result.from_file.append(name)
        elif base is not None and name in base and before == theirs:
            result.values[name] = ours
            result.kept.append(name)
        else:
            settled = prefer or ""
            result.conflicts.append(FieldConflict(name, before, theirs, ours, settled))
            result.values[name] = theirs if prefer == PREFER_FILES else ours
    return result


def changed_fields(before, after):
    """(field, before, after) for every field whose value differs."""
    return [(name, before.get(name), value) for name, value in after.items() if before.get(name) != value]
