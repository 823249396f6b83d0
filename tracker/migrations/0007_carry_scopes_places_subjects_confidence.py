"""Carry the data across to the model that holds what the sources say.

- a ban's one scope becomes its list of scopes ("government devices and networks" is two);
- a pilot zone's city becomes its list of places;
- an indicator's jurisdiction and organization become its subjects (role "subject");
- a citation marked confirmed whose source text was not read (not verbatim) is lowered to
  reported, saying so in its note, before the database refuses that combination.
"""

from django.db import migrations, models
from django.utils import timezone

SCOPES = {
    "government_devices": ("government devices", "政府裝置"),
    "government_networks": ("government networks", "政府網路"),
    "government_data": ("government data", "政府資料"),
    "personnel_any_use": ("any use by personnel", "人員的任何使用"),
    "state_agencies": ("state or government agencies", "州或政府機關"),
    "schools": ("public schools and universities", "公立學校與大學"),
    "public_sector": ("the whole public sector", "整個公部門"),
    "nationwide": ("the whole country", "全國"),
}
OLD_SCOPES = {"devices_and_networks": ["government_devices", "government_networks"]}
LOWERED = "Lowered from confirmed: the source's own text was not read."


def forwards(apps, schema_editor):
    Scope = apps.get_model("tracker", "Scope")
    scopes = {}
    for code, (name_en, name_zh) in SCOPES.items():
        scopes[code], _ = Scope.objects.get_or_create(code=code, defaults={"name_en": name_en, "name_zh": name_zh})
    for ban in apps.get_model("tracker", "Ban").objects.all():
        ban.scopes.set([scopes[code] for code in OLD_SCOPES.get(ban.scope, [ban.scope]) if code in scopes])
    for zone in apps.get_model("tracker", "PilotZone").objects.all():
        zone.places.set([zone.city_id])
    Subject = apps.get_model("tracker", "IndicatorSubject")
    now = timezone.now()
    for indicator in apps.get_model("tracker", "Indicator").objects.all():
        for field in ("jurisdiction", "organization"):
            if getattr(indicator, f"{field}_id"):
                Subject.objects.create(
                    indicator=indicator,
                    role="subject",
                    created=now,
                    updated=now,
                    **{f"{field}_id": getattr(indicator, f"{field}_id")},
                )
    for name in ("InstrumentCitation", "IndicatorCitation"):
        citations = apps.get_model("tracker", name).objects.filter(confidence="confirmed", verbatim=False)
        for citation in citations:
            citation.confidence = "reported"
            citation.note = f"{citation.note} {LOWERED}".strip()
            citation.save(update_fields=["confidence", "note"])


class Migration(migrations.Migration):
    dependencies = [("tracker", "0006_products_scopes_places_subjects_subsidies")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="ban",
            name="ban_scope_known",
        ),
        migrations.RemoveConstraint(
            model_name="ban",
            name="ban_names_product",
        ),
        migrations.RemoveField(
            model_name="ban",
            name="scope",
        ),
        migrations.RemoveField(
            model_name="historicalban",
            name="scope",
        ),
        migrations.RemoveField(
            model_name="historicalindicator",
            name="jurisdiction",
        ),
        migrations.RemoveField(
            model_name="historicalindicator",
            name="organization",
        ),
        migrations.RemoveField(
            model_name="historicalpilotzone",
            name="city",
        ),
        migrations.RemoveField(
            model_name="indicator",
            name="jurisdiction",
        ),
        migrations.RemoveField(
            model_name="indicator",
            name="organization",
        ),
        migrations.RemoveField(
            model_name="pilotzone",
            name="city",
        ),
        migrations.AddConstraint(
            model_name="indicatorcitation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("confidence", "confirmed"), _negated=True), ("verbatim", True), _connector="OR"
                ),
                name="indicator_citation_confirmed_is_read",
                violation_error_message="A fact is confirmed only from the source's own text, quoted word for word: a summary of a source whose text was not read is at most reported.",
            ),
        ),
        migrations.AddConstraint(
            model_name="instrumentcitation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("confidence", "confirmed"), _negated=True), ("verbatim", True), _connector="OR"
                ),
                name="instrument_citation_confirmed_is_read",
                violation_error_message="A fact is confirmed only from the source's own text, quoted word for word: a summary of a source whose text was not read is at most reported.",
            ),
        ),
        migrations.AddConstraint(
            model_name="stacklayercitation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("confidence", "confirmed"), _negated=True), ("verbatim", True), _connector="OR"
                ),
                name="stack_layer_citation_confirmed_is_read",
                violation_error_message="A fact is confirmed only from the source's own text, quoted word for word: a summary of a source whose text was not read is at most reported.",
            ),
        ),
    ]
