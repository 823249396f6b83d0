"""The journal of every write: change sets, and the tombstones of deleted records.

Each record's field-by-field history is kept by django-simple-history in a
``Historical<Model>`` table beside it (see ``tracker.models.base.RECORDER``); every row
of those tables points at the ``ChangeSet`` it was written in, which says who made the
change, when, through which path and why.  One change set is one call of a service
(``tracker.services``): an admin save with its inlines, a delete with the links it
removed, one fixture file, one review step.
"""

import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.choices import ChangeKind, ChangeVia
from tracker.models.rules import in_vocabulary


class ChangeSet(models.Model):
    """One write to the tracker: who made it, when, through which path, and why."""

    created = models.DateTimeField(
        verbose_name=_("created"), default=timezone.now, db_index=True, help_text=_("When the change was made.")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        # A login removed later must not take the journal with it; ``username`` keeps the name.
        on_delete=models.SET_NULL,
        related_name="tracker_changes",
        help_text=_("The login that made the change, for changes made by a person."),
    )
    username = models.CharField(
        verbose_name=_("username"), max_length=150, blank=True, help_text=_("The login's name, kept if it is removed.")
    )
    via = models.CharField(
        verbose_name=_("via"),
        max_length=12,
        choices=ChangeVia.choices,
        help_text=_("The path the change came through."),
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=12, choices=ChangeKind.choices, default=ChangeKind.EDIT)
    source = models.CharField(
        verbose_name=_("source"),
        max_length=300,
        blank=True,
        help_text=_("The fixture file or command the change came from, if not a person."),
    )
    message = models.TextField(
        verbose_name=_("message"), blank=True, help_text=_("Why: the editor's or reviewer's comment.")
    )
    undone_by = models.ForeignKey(
        "self",
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        # The undo is itself history; it is never deleted.
        on_delete=models.PROTECT,
        related_name="undoes",
        help_text=_("The change that undid this one (a deletion restored)."),
    )

    class Meta:
        verbose_name_plural = _("changes")
        ordering = ["-created", "-id"]
        get_latest_by = "created"
        verbose_name = _("change")
        permissions = [
            ("publish_records", "Can publish records edited by someone else"),
            ("restore_records", "Can restore deleted records"),
        ]
        constraints = [
            in_vocabulary("changeset_via_known", "via", ChangeVia, _("change path")),
            in_vocabulary("changeset_kind_known", "kind", ChangeKind, _("kind of change")),
        ]

    def __str__(self):
        who = self.username or self.source or self.get_via_display()
        return f"{self.get_kind_display()} by {who}, {self.created:%Y-%m-%d %H:%M} UTC"

    @property
    def author(self):
        return self.username or self.source or self.get_via_display()


class Tombstone(models.Model):
    """A record someone deleted, by natural key: fixture loads never bring it back.

    Removed again when the deletion is undone.
    """

    model = models.CharField(
        verbose_name=_("model"), max_length=100, help_text=_("The record's model, as app_label.model_name.")
    )
    natural_key = models.CharField(
        verbose_name=_("natural key"), max_length=1000, help_text=_("The record's natural key, as a JSON list.")
    )
    object_id = models.BigIntegerField(verbose_name=_("object id"), help_text=_("The id the record had."))
    changeset = models.ForeignKey(
        ChangeSet, verbose_name=_("changeset"), on_delete=models.PROTECT, related_name="tombstones"
    )

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        ordering = ["model", "natural_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "natural_key"],
                name="tombstone_unique",
                violation_error_message=_("This record is already recorded as deleted."),
            ),
            models.CheckConstraint(condition=~Q(natural_key=""), name="tombstone_has_key"),
        ]

    def __str__(self):
        return f"{self.model} {'/'.join(self.key)}"

    @property
    def key(self):
        return [str(part) for part in json.loads(self.natural_key)]

    @staticmethod
    def encode(natural_key):
        return _KEY_ENCODER.encode([str(part) for part in natural_key])


# ``json.dumps(..., ensure_ascii=False)`` builds an encoder at every call; a sync encodes
# several keys per record.
_KEY_ENCODER = json.JSONEncoder(ensure_ascii=False)


class HistoryContext(models.Model):
    """Fields every historical row carries besides the record's own: its change set."""

    changeset = models.ForeignKey(
        ChangeSet,
        verbose_name=_("changeset"),
        null=True,
        blank=True,
        # History is never deleted from under the journal.
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        abstract = True
