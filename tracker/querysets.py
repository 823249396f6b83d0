"""Read vocabulary of the tracker: the questions analysts ask of measures."""

import datetime

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce


class PolicyInstrumentQuerySet(models.QuerySet):
    def of_kind(self, *kinds):
        return self.filter(kind__in=kinds)

    def in_force(self, on=None):
        """Measures in effect on a day: started on or before it, not ended or rescinded by it.

        A measure whose effective date is unknown counts from its announcement (a plan
        takes effect when it is issued); one with neither date is never listed, since
        nothing says it had begun.  A date known only to the month or year is stored as
        the period's first day, so a measure effective "2019-08" counts from 1 August 2019.
        """
        on = on or datetime.date.today()
        return self.alias(starts=Coalesce("effective_from", "announced")).filter(
            Q(starts__lte=on),
            Q(effective_until__isnull=True) | Q(effective_until__gte=on),
            Q(rescinded__isnull=True) | Q(rescinded__gt=on),
        )

    def search(self, text):
        """Case-insensitive match on titles, summaries, document numbers and the issuer's names."""
        text = (text or "").strip()
        if not text:
            return self
        return self.filter(
            Q(title_en__icontains=text)
            | Q(title_zh__icontains=text)
            | Q(summary_en__icontains=text)
            | Q(summary_zh__icontains=text)
            | Q(document_number__icontains=text)
            | Q(slug__icontains=text)
            | Q(issuing_body__name_en__icontains=text)
            | Q(issuing_body__abbreviation__iexact=text)
            | Q(targets__name_en__icontains=text)
        ).distinct()

    def with_related(self):
        """What a list of measures shows, fetched in a fixed number of queries."""
        return self.select_related(
            "jurisdiction", "issuing_body", "part_of", "fund", "lab", "pilot_zone", "export_control", "ban"
        ).prefetch_related("layers", "targets", "affected_jurisdictions")
