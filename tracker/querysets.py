"""Read vocabulary of the tracker: the questions analysts ask of measures."""

import datetime
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import Coalesce, Substr
from django.utils.text import smart_split, unescape_string_literal


class ReviewedQuerySet(models.QuerySet):
    """Reads shared by every reviewed record."""

    def published(self):
        """Records readers may see: published at least once (a revision in review keeps them visible)."""
        return self.filter(published_version__isnull=False)


class PolicyInstrumentQuerySet(ReviewedQuerySet):
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

    # Where ``search`` looks: the measure's own text, and the names of the bodies that
    # issued it or that it targets, in English, Chinese, abbreviations and aliases.
    SEARCH_FIELDS = (
        "slug",
        "title_en",
        "title_zh",
        "summary_en",
        "summary_zh",
        "document_number",
        "issuing_body__name_en",
        "issuing_body__name_zh",
        "issuing_body__abbreviation",
        "issuing_body__aliases__name",
        "targets__name_en",
        "targets__name_zh",
        "targets__abbreviation",
        "targets__aliases__name",
    )

    def search(self, text):
        """Measures matching every word of ``text`` in any of ``SEARCH_FIELDS``, case-insensitively.

        The one search of the tracker: the admin's search box and the API call it.  Each
        word narrows the result (as in Django's admin); a word in quotes is kept whole.
        """
        words = smart_split((text or "").strip())
        matches = Q()
        for word in words:
            word = unescape_string_literal(word) if word[:1] in {'"', "'"} and word[-1:] == word[:1] else word
            if not word:
                continue
            matches &= Q(
                pk__in=self.model._base_manager.filter(
                    reduce(or_, (Q(**{f"{name}__icontains": word}) for name in self.SEARCH_FIELDS))
                ).values("pk")
            )
        return self.filter(matches) if matches else self

    def in_country(self, code):
        """Measures of a country and of its states, provinces and cities (codes start with the country's)."""
        return self.filter(Q(jurisdiction__code=code) | Q(jurisdiction__code__startswith=f"{code}-"))

    def layer_kind_matrix(self, countries=("CN", "US")):
        """The report's Figure 1 as data: {(layer code, kind, country): number of measures}.

        One grouped query; a measure on several layers counts once in each.
        """
        country = Substr("jurisdiction__code", 1, 2)
        rows = (
            self.filter(layers__isnull=False)
            .annotate(country=country)
            .filter(country__in=countries)
            .values("layers__code", "kind", "country")
            .annotate(measures=Count("pk", distinct=True))
            .order_by()
        )
        return {(row["layers__code"], row["kind"], row["country"]): row["measures"] for row in rows}

    def with_related(self):
        """What a list of measures shows, fetched in a fixed number of queries."""
        from tracker.models.details import DETAIL_MODELS

        details = [model.accessor_name() for model in dict.fromkeys(DETAIL_MODELS.values())]
        return self.select_related("jurisdiction", "issuing_body", "part_of", *details).prefetch_related(
            "layers", "co_issuers", "products", "targets", "affected_jurisdictions"
        )
