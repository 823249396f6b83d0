"""Who is writing, and the change set their writes are recorded in.

Every service opens a change set (or joins the one already open, so an admin save with
its inlines, or one fixture file, is one entry in the journal).  The history rows
django-simple-history writes during it are stamped with it by ``tracker.signals``.
"""

import contextvars
import itertools
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from pyroaring import BitMap64

from tracker.choices import ChangeKind, ChangeVia
from tracker.models import ChangeSet


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and through which path."""

    user: object = None
    via: str = ChangeVia.COMMAND
    source: str = ""  # the fixture file or command, for changes no person made

    @classmethod
    def admin(cls, user):
        return cls(user=user, via=ChangeVia.ADMIN)

    @classmethod
    def api(cls, user):
        return cls(user=user, via=ChangeVia.API)

    @classmethod
    def fixtures(cls, path, user=None):
        """A fixture file, applied by a command (no user) or by a reviewer in the admin."""
        return cls(user=user, via=ChangeVia.FIXTURES, source=str(path))

    @classmethod
    def command(cls, name, user=None):
        return cls(user=user, via=ChangeVia.COMMAND, source=name)

    @property
    def publishes_directly(self):
        """Fixture files are reviewed as pull requests before they are merged: they enter published."""
        return self.via == ChangeVia.FIXTURES

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)


class RecordSet:
    """A set of (model, id) pairs, kept as a compressed bitmap of ids per model.

    A change set remembers every record it wrote, published or must derive: a fixture sync
    writes hundreds of thousands in one change set, and a Python set of (model, id) tuples
    costs some 150 bytes a record, a roaring bitmap (pyroaring) a few bits for ids drawn from
    a sequence.  Anything else (an id not yet given) is kept in a plain set.
    """

    def __init__(self):
        self.ids = {}  # model -> BitMap64 of ids
        self.other = set()

    def add(self, item):
        model, pk = item
        if isinstance(pk, int) and pk >= 0:
            bitmap = self.ids.get(model)
            if bitmap is None:
                bitmap = self.ids[model] = BitMap64()
            bitmap.add(pk)
        else:
            self.other.add(item)

    def __contains__(self, item):
        model, pk = item
        if isinstance(pk, int) and pk >= 0:
            bitmap = self.ids.get(model)
            return bitmap is not None and pk in bitmap
        return item in self.other

    def __len__(self):
        return sum(len(bitmap) for bitmap in self.ids.values()) + len(self.other)

    def __iter__(self):
        for model, bitmap in self.ids.items():
            for pk in bitmap:
                yield model, pk
        yield from self.other


def batches(ids, size):
    """``ids`` (a set or bitmap, copied first: it may grow meanwhile) in sorted lists of ``size``."""
    ordered = iter(BitMap64(ids))
    while batch := list(itertools.islice(ordered, size)):
        yield batch


@dataclass
class OpenChangeSet:
    """A change set being written.  Its row is created with the first history row, so a
    call that changes nothing leaves nothing in the journal."""

    actor: Actor
    kind: str
    message: str = ""
    touched: RecordSet = field(default_factory=RecordSet)  # (model, pk) whose version this change set moved
    derive: BitMap64 = field(default_factory=BitMap64)  # measures whose events changed: status, dates follow
    published: list = field(default_factory=list)  # records this change set published (some not yet saved)
    published_ids: dict = field(default_factory=dict)  # model -> BitMap64 of published records saved since
    _record: ChangeSet = None

    @property
    def record(self):
        if self._record is None:
            self._record = ChangeSet.objects.create(
                created=timezone.now(),
                user=self.actor.user if self.actor.user_id else None,
                username=getattr(self.actor.user, "get_username", lambda: "")(),
                via=self.actor.via,
                kind=self.kind,
                source=self.actor.source,
                message=self.message,
            )
        return self._record

    def settle_published(self):
        """Keep only the model and id of each published record saved since: a fixture sync
        publishes every record it creates, hundreds of thousands, whose instances need not
        live until the change set closes."""
        waiting = []
        for instance in self.published:
            if instance.pk is None:
                waiting.append(instance)
            else:
                self.published_ids.setdefault(type(instance), BitMap64()).add(instance.pk)
        self.published = waiting

    def add_message(self, message):
        if not message or self.message:
            return
        self.message = message
        if self._record is not None:
            self._record.message = message
            self._record.save(update_fields=["message"])


_current = contextvars.ContextVar("tracker_changeset", default=None)

# Steps run when a change set has written everything, before it is committed (registered
# by tracker.services.records: a measure's status and dates follow from its events).
CLOSING_STEPS = []


def current_changeset():
    """The change set open in this thread, or None."""
    return _current.get()


@contextmanager
def changeset(actor, *, kind=ChangeKind.EDIT, message=""):
    """Open a change set for ``actor`` in a transaction, or join the one already open."""
    open_set = _current.get()
    if open_set is not None:
        with transaction.atomic():
            open_set.add_message(message)
            yield open_set
        return
    with transaction.atomic():
        open_set = OpenChangeSet(actor=actor, kind=kind, message=message)
        token = _current.set(open_set)
        try:
            yield open_set
            for step in CLOSING_STEPS:
                step(open_set)
            _close(open_set)
        finally:
            _current.reset(token)


class ChangeSetGroup:
    """Change sets kept open side by side, one per actor and kind, and closed together.

    A fixture sync writes the records of many files in the order their references need (a
    source before the citations of every file), yet each file's changes make one change set.
    ``use`` makes an actor's change set the open one for the services called inside it;
    ``close`` runs the closing steps of each (a measure's dates from its events) once
    everything is written.  The caller holds the transaction around all of it.
    """

    def __init__(self, message=None):
        self._open = {}
        self._message = message or (lambda actor: "")

    @contextmanager
    def use(self, actor, *, kind=ChangeKind.EDIT, message=None):
        open_set = self._open.get((actor, kind))
        if open_set is None:
            text = self._message(actor) if message is None else message
            open_set = self._open[actor, kind] = OpenChangeSet(actor=actor, kind=kind, message=text)
        token = _current.set(open_set)
        try:
            yield open_set
        finally:
            _current.reset(token)

    def close(self):
        for open_set in self._open.values():
            token = _current.set(open_set)
            try:
                for step in CLOSING_STEPS:
                    step(open_set)
                _close(open_set)
            finally:
                _current.reset(token)


def _close(open_set):
    """Records published by this change set show it whole: children written after the root too."""
    now = timezone.now()
    open_set.settle_published()
    for model, ids in open_set.published_ids.items():
        for pks in batches(ids, 10_000):
            model._base_manager.filter(pk__in=pks).update(published_at=now)
