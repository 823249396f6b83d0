"""Records stored before history and review existed: published, with a first history row.

They came from the fixture files, which enter as published; the first history row lets
``as_of`` and the history pages start from what was there, attributed to this migration.
"""

from django.db import migrations
from django.utils import timezone

ROOTS = ["Jurisdiction", "Organization", "Source", "StackLayer", "PolicyInstrument", "Indicator"]
TRACKED = [
    *ROOTS,
    "OrganizationAlias",
    "InstrumentCitation",
    "IndicatorCitation",
    "Fund",
    "FundParticipant",
    "Lab",
    "PilotZone",
    "ExportControl",
    "Ban",
]
M2M = {
    "PolicyInstrument": ["layers", "affected_jurisdictions", "targets", "amends"],
    "Lab": ["sponsors"],
    "Indicator": ["compares_with"],
}


def forwards(apps, schema_editor):
    ChangeSet = apps.get_model("tracker", "ChangeSet")
    if not any(apps.get_model("tracker", name).objects.exists() for name in ROOTS):
        return
    changeset = ChangeSet.objects.create(
        created=timezone.now(),
        via="migration",
        kind="edit",
        source="tracker.0004",
        message="Records stored before history was kept, published as they were.",
    )
    for name in ROOTS:
        model = apps.get_model("tracker", name)
        for record in model.objects.all():
            model.objects.filter(pk=record.pk).update(
                editorial_state="published", published_version=record.version, published_at=record.updated
            )
    for name in TRACKED:
        model = apps.get_model("tracker", name)
        historical = apps.get_model("tracker", f"Historical{name}")
        fields = [field.attname for field in model._meta.concrete_fields]
        for record in model.objects.all().iterator():
            row = historical.objects.create(
                **{attname: getattr(record, attname) for attname in fields},
                history_date=record.updated,
                history_type="+",
                history_change_reason=changeset.message,
                changeset=changeset,
            )
            for field_name in M2M.get(name, []):
                through = getattr(model, field_name).through
                historical_links = apps.get_model("tracker", f"Historical{name}_{field_name}")
                link_fields = [field.attname for field in through._meta.concrete_fields]
                source_field = next(
                    field.attname
                    for field in through._meta.concrete_fields
                    if field.is_relation and field.related_model._meta.model_name == model._meta.model_name
                )
                historical_links.objects.bulk_create(
                    historical_links(history=row, **{attname: getattr(link, attname) for attname in link_fields})
                    for link in through.objects.filter(**{source_field: record.pk})
                )


class Migration(migrations.Migration):
    dependencies = [("tracker", "0003_history_versions_review")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
