"""A rescission is an event on the rule it rescinds, not a second measure.

Databases seeded before events hold rescissions as measures of their own (an export
control of legal form "rescission" that amends the rule).  Each becomes a "rescinded"
event on the rule it amends, dated by the rescission's announcement and cited by the
rescission's citations (copied to the rule where it lacks them); the separate measure
is then removed.  Its history rows stay in the history tables.
"""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    Instrument = apps.get_model("tracker", "PolicyInstrument")
    Citation = apps.get_model("tracker", "InstrumentCitation")
    Event = apps.get_model("tracker", "InstrumentEvent")
    now = timezone.now()
    for rescission in Instrument.objects.filter(export_control__legal_form="rescission"):
        for rule in rescission.amends.all():
            first_citation = None
            for citation in Citation.objects.filter(instrument=rescission):
                copy, _ = Citation.objects.get_or_create(
                    instrument=rule,
                    source_id=citation.source_id,
                    locator=citation.locator,
                    defaults={
                        "quote": citation.quote,
                        "quote_language": citation.quote_language,
                        "verbatim": citation.verbatim,
                        "confidence": citation.confidence,
                        "role": citation.role,
                        "note": citation.note,
                        "created": now,
                        "updated": now,
                    },
                )
                first_citation = first_citation or copy
            event = Event.objects.filter(instrument=rule, kind="rescinded").first()
            if event is None:
                dated = rescission.announced is not None
                event = Event(
                    instrument=rule,
                    kind="rescinded",
                    sequence=1,
                    date_kind="exact" if dated else "unknown",
                    date=rescission.announced,
                    date_precision=rescission.announced_precision if dated else "",
                    created=now,
                    updated=now,
                )
            if event.date is None and rescission.announced is not None:
                # An undated rescission (from the rule's status alone) takes the rescission's date.
                event.date, event.date_precision = rescission.announced, rescission.announced_precision
                event.date_kind = "exact"
            if event.citation_id is None and first_citation is not None:
                event.citation = first_citation
            event.save()
            rule.status = "rescinded"
            if rule.rescinded is None and event.date is not None:
                rule.rescinded, rule.rescinded_precision = event.date, event.date_precision
            rule.save(update_fields=["status", "rescinded", "rescinded_precision"])
        rescission.delete()


class Migration(migrations.Migration):
    dependencies = [("tracker", "0010_events_from_dates")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
