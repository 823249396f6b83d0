"""A measure's lifecycle dates become its first events, so that its status and dates
follow from events from now on.  A measure with a status but no dates (designated, date
not recorded) gets an event of unknown date that keeps its status."""

from django.db import migrations
from django.utils import timezone

DATE_EVENTS = (
    ("announced", "announced"),
    ("effective_from", "took_effect"),
    ("effective_until", "expired"),
    ("rescinded", "rescinded"),
)
UNDATED = {"in_force": "took_effect", "rescinded": "rescinded", "expired": "expired", "superseded": "superseded", "proposed": "introduced"}


def forwards(apps, schema_editor):
    Instrument = apps.get_model("tracker", "PolicyInstrument")
    Event = apps.get_model("tracker", "InstrumentEvent")
    now = timezone.now()
    for instrument in Instrument.objects.all():
        events = []
        for field, kind in DATE_EVENTS:
            date = getattr(instrument, field)
            if date is None:
                continue
            if kind == "announced" and instrument.status == "proposed":
                kind = "introduced"
            events.append(Event(instrument=instrument, kind=kind, date=date, date_precision=getattr(instrument, f"{field}_precision"), date_kind="exact"))
        kinds = {event.kind for event in events}
        undated = UNDATED.get(instrument.status)
        if undated and undated not in kinds and not (undated == "took_effect" and "announced" in kinds):
            events.append(Event(instrument=instrument, kind=undated, date=None, date_precision="", date_kind="unknown"))
        for event in events:
            event.created = event.updated = now
        Event.objects.bulk_create(events)
    grant_permissions(apps)


def grant_permissions(apps):
    """Events are edited with their measure: every role that edits measures edits them."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    event_permissions = Permission.objects.filter(content_type__app_label="tracker", content_type__model="instrumentevent")
    for name in ("analyst", "reviewer", "admin"):
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*event_permissions)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0009_lifecycle_events")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
