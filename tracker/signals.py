"""Stamps every history row with the change set it was written in, and who made it."""

from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from tracker.services.context import current_changeset


@receiver(pre_create_historical_record)
def stamp_history_row(sender, history_instance, **kwargs):
    open_set = current_changeset()
    if open_set is None:
        return
    history_instance.changeset = open_set.record
    if open_set.actor.user_id:
        history_instance.history_user_id = open_set.actor.user_id
    if open_set.record.message and not history_instance.history_change_reason:
        history_instance.history_change_reason = open_set.record.message
