"""The API's filters: one django-filter FilterSet per record type.

Every list runs on today's table or, with ``as_of``, on the history table at that
moment; a filter that crosses a many-to-many link names the link's path on whichever
table it is given (``via``), so one FilterSet serves both.
"""

import django_filters as filters
from django.db.models import Q

from tracker.api.shapes import history_link
from tracker.choices import (
    IndicatorKind,
    InstrumentKind,
    InstrumentStatus,
    JurisdictionLevel,
    OrganizationKind,
    ProductKind,
    SourceKind,
    StackLayerCode,
)
from tracker.models import (
    Fund,
    Indicator,
    Jurisdiction,
    Organization,
    PolicyInstrument,
    Product,
    Source,
    StackLayer,
)
from tracker.querysets import PolicyInstrumentQuerySet, in_force_conditions, script_variants, search_words


def is_history(queryset):
    return hasattr(queryset.model, "instance_type")


def via(queryset, link, rest):
    """The lookup path across a many-to-many ``link`` to a field of the linked record.

    On today's table it is ``targets__slug``; on a history table the link is a table of
    its own, keyed by the history row (``targets__organization__slug``).
    """
    if not is_history(queryset):
        return f"{link}__{rest}"
    model = queryset.model.instance_type
    target = model._meta.get_field(link).m2m_reverse_field_name()
    return f"{history_link(model, link)[1]}__{target}__{rest}"


def code_and_below(path, code):
    """A jurisdiction and every jurisdiction under it: "US" includes "US-TX" and its cities."""
    return Q(**{path: code}) | Q(**{f"{path}__startswith": f"{code}-"})


def every_word_in(fields, text):
    """Every word of ``text`` (a phrase in quotes one word, as in ``search``) is in one of ``fields``,
    in either Chinese script (``script_variants``, as in ``search``)."""
    condition = Q()
    for word in search_words(text):
        forms = script_variants(word)
        condition &= Q.create([(f"{name}__icontains", form) for name in fields for form in forms], connector=Q.OR)
    return condition


class RecordFilter(filters.FilterSet):
    """Filters every list has."""

    updated_since = filters.IsoDateTimeFilter(
        field_name="updated",
        lookup_expr="gte",
        label="Records changed at or after this moment (ISO 8601), for keeping a copy in step.",
    )

    def where(self, queryset, condition):
        """Rows meeting a condition across a link, without duplicates and without DISTINCT."""
        return queryset.filter(pk__in=queryset.model._base_manager.filter(condition).values("pk"))

    def linked(self, queryset, link, rest, value):
        return self.where(queryset, Q(**{via(queryset, link, rest): value}))

    def search_names(self, queryset, fields, value):
        return queryset.filter(every_word_in(fields, value))


class InstrumentFilter(RecordFilter):
    kind = filters.MultipleChoiceFilter(
        distinct=False, choices=InstrumentKind.choices, label="Kind of measure (repeat for several)."
    )
    status = filters.MultipleChoiceFilter(
        distinct=False, choices=InstrumentStatus.choices, label="Status (repeat for several)."
    )
    layer = filters.ChoiceFilter(method="filter_layer", choices=StackLayerCode.choices, label="Stack layer code.")
    jurisdiction = filters.CharFilter(
        method="filter_jurisdiction",
        label="Jurisdiction code of the implementer; a country includes its states, provinces and cities.",
    )
    affected_jurisdiction = filters.CharFilter(
        method="filter_affected", label="Code of a jurisdiction the measure is aimed at (a country includes its parts)."
    )
    issuing_body = filters.CharFilter(
        method="filter_issuer", label="Slug of an organization that issued the measure, as lead or co-issuer."
    )
    target = filters.CharFilter(method="filter_target", label="Slug of an organization the measure names or hits.")
    product = filters.CharFilter(method="filter_product", label="Slug of a product the measure names.")
    announced_after = filters.DateFilter(field_name="announced", lookup_expr="gte", label="Announced on or after.")
    announced_before = filters.DateFilter(field_name="announced", lookup_expr="lte", label="Announced on or before.")
    effective_after = filters.DateFilter(
        field_name="effective_from", lookup_expr="gte", label="Took effect on or after."
    )
    effective_before = filters.DateFilter(
        field_name="effective_from", lookup_expr="lte", label="Took effect on or before."
    )
    min_usd = filters.NumberFilter(method="filter_min_usd", label="Funds of at least this many US dollars.")
    max_usd = filters.NumberFilter(method="filter_max_usd", label="Funds of at most this many US dollars.")
    in_force_on = filters.DateFilter(method="filter_in_force", label="Measures in force on this day (YYYY-MM-DD).")
    q = filters.CharFilter(
        method="filter_search",
        label="Words to find in English or Chinese titles, summaries, document numbers, and issuers' and "
        "targets' names and aliases; every word must match.",
    )

    class Meta:
        model = PolicyInstrument
        fields = []

    def filter_layer(self, queryset, name, value):
        return self.linked(queryset, "layers", "code", value)

    def filter_jurisdiction(self, queryset, name, value):
        return queryset.filter(code_and_below("jurisdiction__code", value))

    def filter_affected(self, queryset, name, value):
        return self.where(queryset, code_and_below(via(queryset, "affected_jurisdictions", "code"), value))

    def filter_issuer(self, queryset, name, value):
        return self.where(queryset, Q(issuing_body__slug=value) | Q(**{via(queryset, "co_issuers", "slug"): value}))

    def filter_target(self, queryset, name, value):
        return self.linked(queryset, "targets", "slug", value)

    def filter_product(self, queryset, name, value):
        return self.linked(queryset, "products", "slug", value)

    def _usd(self, queryset, lookup, value):
        # The computed equivalent, else the amount when in dollars, else the dollar figure a source states.
        funds = Fund.objects.filter(
            Q(**{f"usd_equivalent__{lookup}": value})
            | Q(usd_equivalent__isnull=True, currency="USD", **{f"amount__{lookup}": value})
            | Q(
                usd_equivalent__isnull=True,
                stated_equivalent_currency="USD",
                **{f"stated_equivalent__{lookup}": value},
            )
        )
        return queryset.filter(id__in=funds.values("instrument_id"))

    def filter_min_usd(self, queryset, name, value):
        return self._usd(queryset, "gte", value)

    def filter_max_usd(self, queryset, name, value):
        return self._usd(queryset, "lte", value)

    def filter_in_force(self, queryset, name, value):
        return queryset.filter(in_force_conditions(value))

    def filter_search(self, queryset, name, value):
        if not is_history(queryset):
            return queryset.search(value)
        # A version in the history is found by its own text (substrings, unranked), in the
        # search's own fields; the targets are a link of the history row's own.
        fields = [
            via(queryset, "targets", name.removeprefix("targets__")) if name.startswith("targets__") else name
            for name in PolicyInstrumentQuerySet.SEARCH_FIELDS
        ]
        return self.where(queryset, every_word_in(fields, value))


class OrganizationFilter(RecordFilter):
    kind = filters.MultipleChoiceFilter(distinct=False, choices=OrganizationKind.choices)
    jurisdiction = filters.CharFilter(method="filter_jurisdiction", label="Home jurisdiction code (and below).")
    parent = filters.CharFilter(field_name="parent__slug", label="Slug of the body it belongs to.")
    q = filters.CharFilter(method="filter_search", label="Words in its names, abbreviation or aliases.")

    class Meta:
        model = Organization
        fields = []

    def filter_jurisdiction(self, queryset, name, value):
        return queryset.filter(code_and_below("jurisdiction__code", value))

    def filter_search(self, queryset, name, value):
        fields = ("slug", "name_en", "name_zh", "abbreviation")
        if is_history(queryset):
            return self.search_names(queryset, fields, value)
        matches = self.search_names(Organization._base_manager.all(), (*fields, "aliases__name"), value)
        return queryset.filter(id__in=matches.values("pk"))


class JurisdictionFilter(RecordFilter):
    level = filters.MultipleChoiceFilter(distinct=False, choices=JurisdictionLevel.choices)
    parent = filters.CharFilter(field_name="parent__code", label="Code of the jurisdiction it is part of.")
    within = filters.CharFilter(method="filter_within", label="A jurisdiction code: it and everything under it.")
    q = filters.CharFilter(method="filter_search", label="Words in its code or names.")

    class Meta:
        model = Jurisdiction
        fields = []

    def filter_within(self, queryset, name, value):
        return queryset.filter(code_and_below("code", value))

    def filter_search(self, queryset, name, value):
        return self.search_names(queryset, ("code", "name_en", "name_zh"), value)


class SourceFilter(RecordFilter):
    kind = filters.MultipleChoiceFilter(distinct=False, choices=SourceKind.choices)
    language = filters.CharFilter(label="BCP 47 language tag: en, zh-Hans, zh-Hant.")
    publisher = filters.CharFilter(field_name="publisher_organization__slug", label="Slug of the publishing body.")
    q = filters.CharFilter(method="filter_search", label="Words in its titles, publisher or authors.")

    class Meta:
        model = Source
        fields = []

    def filter_search(self, queryset, name, value):
        return self.search_names(queryset, ("slug", "title", "title_en", "publisher", "authors"), value)


class IndicatorFilter(RecordFilter):
    kind = filters.MultipleChoiceFilter(distinct=False, choices=IndicatorKind.choices)
    year = filters.NumberFilter()
    layer = filters.CharFilter(method="filter_layer", label="Stack layer code.")
    instrument = filters.CharFilter(field_name="instrument__slug", label="Slug of the measure it measures.")
    q = filters.CharFilter(method="filter_search", label="Words in its subject or metric.")

    class Meta:
        model = Indicator
        fields = []

    def filter_layer(self, queryset, name, value):
        return self.linked(queryset, "layers", "code", value)

    def filter_search(self, queryset, name, value):
        return self.search_names(queryset, ("slug", "subject_en", "subject_zh", "metric"), value)


class LayerFilter(RecordFilter):
    class Meta:
        model = StackLayer
        fields = []


class ProductFilter(RecordFilter):
    kind = filters.MultipleChoiceFilter(distinct=False, choices=ProductKind.choices)
    maker = filters.CharFilter(field_name="maker__slug", label="Slug of the maker.")
    layer = filters.CharFilter(field_name="layer__code", label="Stack layer code.")
    q = filters.CharFilter(method="filter_search", label="Words in its names.")

    class Meta:
        model = Product
        fields = []

    def filter_search(self, queryset, name, value):
        return self.search_names(queryset, ("slug", "name_en", "name_zh"), value)


FILTERS = {
    PolicyInstrument: InstrumentFilter,
    Organization: OrganizationFilter,
    Jurisdiction: JurisdictionFilter,
    Source: SourceFilter,
    Indicator: IndicatorFilter,
    StackLayer: LayerFilter,
    Product: ProductFilter,
}
