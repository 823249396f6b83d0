"""Keeps a record's ``created`` time when a fixture reloads it.

Fixture loading saves rows raw, with every field taken from the file; a row that
already exists would otherwise get a new ``created`` each time the fixtures load.
"""

from django.db.models.signals import pre_save
from django.dispatch import receiver

from tracker.models.base import TimeStampedModel


@receiver(pre_save)
def keep_created_on_raw_save(sender, instance, raw, **kwargs):
    if not raw or not isinstance(instance, TimeStampedModel) or instance.pk is None:
        return
    created = sender._base_manager.filter(pk=instance.pk).values_list("created", flat=True).first()
    if created is not None:
        instance.created = created
