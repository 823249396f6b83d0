"""What the fixture files said when they were last synced: the base of the next three-way merge."""

import json

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SyncBase(models.Model):
    """One record as its fixture file gave it at the last ``sync_fixtures``, by natural key.

    The sync compares the file's record, the database's record and this base field by field:
    a field that differs from the base only in the file was changed by a maintainer, one that
    differs only in the database by an analyst, one that differs on both sides is a conflict.
    The file name and the record's place in it tell ``export_fixtures`` where to write it back.
    Written only by the sync (``tracker.importers.sync``), in the transaction of its writes.
    """

    model = models.CharField(
        verbose_name=_("model"), max_length=100, help_text=_("The record's model, as app_label.model_name.")
    )
    natural_key = models.CharField(
        verbose_name=_("natural key"),
        max_length=1000,
        help_text=_("The record's natural key, as a JSON list of strings."),
    )
    file = models.CharField(
        verbose_name=_("file"), max_length=300, help_text=_("The name of the fixture file the record was synced from.")
    )
    position = models.PositiveIntegerField(
        verbose_name=_("position"), help_text=_("The record's place in that file, counted from 0.")
    )
    values = models.TextField(
        verbose_name=_("values"),
        help_text=_("The record's fields as the file gave them, as canonical JSON (references by natural key)."),
    )
    synced_at = models.DateTimeField(
        verbose_name=_("synced at"), default=timezone.now, help_text=_("When these values were last synced.")
    )

    class Meta:
        verbose_name_plural = _("fixture sync bases")
        ordering = ["file", "position"]
        verbose_name = _("fixture sync base")
        constraints = [
            models.UniqueConstraint(
                fields=["model", "natural_key"],
                name="sync_base_unique",
                violation_error_message=_("This record already has a sync base."),
            ),
            models.CheckConstraint(condition=~Q(natural_key=""), name="sync_base_has_key"),
            models.CheckConstraint(condition=~Q(file=""), name="sync_base_has_file"),
        ]

    def __str__(self):
        return f"{self.model} {'/'.join(json.loads(self.natural_key))} ({self.file})"

    @property
    def field_values(self):
        return json.loads(self.values)


class SyncedFile(models.Model):
    """A fixture file as the last ``sync_fixtures`` that read it found it: its bytes' digest.

    A file whose bytes have not changed since then holds exactly what the bases of its
    records say, so the three-way merge could only keep the database's values: the sync
    counts its records unchanged without reading it (an unchanged re-sync reads no record).
    The digest counts only while the tracker's schema is the one it was checked under
    (``rules``: the latest migration) and the file's bases are all there (``bases``).
    """

    name = models.CharField(
        verbose_name=_("file"), max_length=300, unique=True, help_text=_("The fixture file's name.")
    )
    digest = models.CharField(
        verbose_name=_("digest"), max_length=64, help_text=_("SHA-256 of the file's bytes when it was last synced.")
    )
    rules = models.CharField(
        verbose_name=_("rules"),
        max_length=200,
        help_text=_("The tracker's latest migration when the file's records were last checked."),
    )
    bases = models.PositiveIntegerField(
        verbose_name=_("bases"), help_text=_("How many sync bases name this file after that sync.")
    )
    records = models.TextField(
        verbose_name=_("records"), help_text=_("How many records of each model the file holds, as JSON.")
    )
    synced_at = models.DateTimeField(verbose_name=_("synced at"), default=timezone.now)

    class Meta:
        verbose_name = _("synced fixture file")
        verbose_name_plural = _("synced fixture files")
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="synced_file_has_name")]

    def __str__(self):
        return self.name
