"""Who is writing, and the change set their writes are recorded in.

Every service opens a change set (or joins the one already open, so an admin save with
its inlines, or one fixture file, is one entry in the journal).  The history rows
django-simple-history writes during it are stamped with it by ``tracker.signals``.
"""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

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


@dataclass
class OpenChangeSet:
    """A change set being written.  Its row is created with the first history row, so a
    call that changes nothing leaves nothing in the journal."""

    actor: Actor
    kind: str
    message: str = ""
    touched: set = field(default_factory=set)  # (model, pk) whose version this change set already moved
    derive: set = field(default_factory=set)  # measures whose events changed: status and dates follow at the end
    published: list = field(default_factory=list)  # records this change set published (some not yet saved)
    published_ids: dict = field(default_factory=dict)  # model -> ids of published records saved since
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
                self.published_ids.setdefault(type(instance), set()).add(instance.pk)
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
    for model, pks in open_set.published_ids.items():
        model._base_manager.filter(pk__in=pks).update(published_at=now)
