"""The natural keys a fixture sync meets, kept on disk for the length of the run.

A sync names every record by its natural key: each record of the files is looked for among
the records the files hold and those the database holds, each reference it makes is found by
key, and each key must appear once.  It meets every key of the files and of the database, so
keeping them in Python dictionaries made its memory grow with the data (some 0.85 KB a
record: 4 GB at a million measures with their parts) however small its chunks.

They are kept instead in an SQLite database of the run's own, through Python's ``sqlite3``
(a private temporary file, deleted when the run closes it): an index on disk, which SQLite
keeps its pages of in a cache of bounded size (``CACHE_KB``), read back a key at a time in a
few microseconds.  Not the tracker's own database: a natural key is made in Python
(``natural_key()``, across several tables), and a round trip to the server for each reference
would cost more than the whole lookup here; nor a file format of our own, which SQLite's
B-trees already are.

Two tables: ``stored``, the natural key of every record the database held when the run began
(``pk`` -> key, key -> ``pk``); ``filed``, every record of the files once its chunk is synced
(or its key was read ahead): its key, its id once written, what became of it, and where it is.
"""

import json
import sqlite3

# SQLite's page cache for the keys (in KB): what of them a sync holds in memory, at most.
CACHE_KB = 32 * 1024

# Ids and keys are sent to SQLite as one JSON array, read back with json_each: any number of
# them in one statement, without a parameter each.
_BATCH = 10_000

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

FAILED, DELETED, STORED = 1, 2, 4


def _text(key):
    """A natural key as kept here: JSON, which keeps its parts' types (a sequence number stays a
    number, as the records that name it write it)."""
    return _ENCODER.encode(key)


def _key(text):
    return tuple(json.loads(text))


class KeyStore:
    """The keys of one sync run (see the module's docstring).  Models are numbered as they come."""

    def __init__(self):
        # "" is SQLite's private temporary database: on disk, gone when the connection closes.
        self.db = sqlite3.connect("", isolation_level=None)
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{CACHE_KB}"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(
            """
            CREATE TABLE stored (
                model INTEGER NOT NULL, pk INTEGER NOT NULL, encoded TEXT NOT NULL, key TEXT NOT NULL,
                PRIMARY KEY (model, pk)
            ) WITHOUT ROWID;
            CREATE INDEX stored_by_key ON stored (model, encoded);
            CREATE TABLE filed (
                model INTEGER NOT NULL, encoded TEXT NOT NULL, key TEXT NOT NULL, pk INTEGER,
                flags INTEGER NOT NULL, file INTEGER NOT NULL, line INTEGER, place INTEGER NOT NULL,
                position INTEGER,
                PRIMARY KEY (model, encoded)
            ) WITHOUT ROWID;
            """
        )
        self.numbers = {}

    def number(self, model):
        return self.numbers.setdefault(model, len(self.numbers))

    def close(self):
        self.db.close()

    # -- the database's records --

    def add_stored(self, model, keyed):
        """Remember ``keyed``, (pk, natural key, encoded key) of stored records of ``model``."""
        number = self.number(model)
        self.db.executemany(
            "INSERT OR REPLACE INTO stored VALUES (?, ?, ?, ?)",
            ((number, pk, encoded, _text(key)) for pk, key, encoded in keyed),
        )

    def stored_pk(self, model, encoded):
        """The id of the stored record of ``model`` with this (encoded) natural key, or None."""
        row = self.db.execute(
            "SELECT pk FROM stored WHERE model = ? AND encoded = ? ORDER BY pk DESC LIMIT 1",
            (self.number(model), encoded),
        ).fetchone()
        return row[0] if row else None

    def stored_key(self, model, pk):
        """The natural key of the stored record ``pk`` of ``model``, or None."""
        row = self.db.execute("SELECT key FROM stored WHERE model = ? AND pk = ?", (self.number(model), pk)).fetchone()
        return _key(row[0]) if row else None

    def stored_keys(self, model, pks):
        """{pk: natural key} of the stored records ``pks`` of ``model``."""
        pks, number, keys = list(pks), self.number(model), {}
        for start in range(0, len(pks), _BATCH):
            rows = self.db.execute(
                "SELECT pk, key FROM stored WHERE model = ? AND pk IN (SELECT value FROM json_each(?))",
                (number, json.dumps(pks[start : start + _BATCH])),
            )
            keys.update((pk, _key(text)) for pk, text in rows)
        return keys

    # -- the files' records --

    def put_filed(self, model, rows):
        """Remember records of the files: each (encoded, key, pk, flags, file, line, place,
        position): ``place`` is its place in its file, ``position`` in its model's records as
        read (``Sync.read_ahead``'s order), or None."""
        number = self.number(model)
        self.db.executemany(
            "INSERT OR REPLACE INTO filed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((number, encoded, _text(key), *rest) for encoded, key, *rest in rows),
        )

    def filed(self, model, encoded):
        """(key, pk, flags, file, line, place) of the record of the files with this key, or None."""
        row = self.db.execute(
            "SELECT key, pk, flags, file, line, place FROM filed WHERE model = ? AND encoded = ?",
            (self.number(model), encoded),
        ).fetchone()
        return (_key(row[0]), *row[1:]) if row else None

    def position(self, model, encoded):
        """The position given with the record of the files with this key, or None."""
        row = self.db.execute(
            "SELECT position FROM filed WHERE model = ? AND encoded = ?", (self.number(model), encoded)
        ).fetchone()
        return row[0] if row else None

    def has_filed(self, model, encoded):
        row = self.db.execute(
            "SELECT 1 FROM filed WHERE model = ? AND encoded = ?", (self.number(model), encoded)
        ).fetchone()
        return row is not None

    def drop_filed(self, model, encoded):
        self.db.execute("DELETE FROM filed WHERE model = ? AND encoded = ?", (self.number(model), encoded))
