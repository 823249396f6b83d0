import copy
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tracker.admin.base import CitationInline, PartInline, RelationRulesForm, TrackerAdmin, VersionedForm
from tracker.admin.dashboard import COUNTRIES, TimelinePeriodFilter
from tracker.admin.forms import DetailFormSet, kind_help, layers_help, mark_kind_select, status_help
from tracker.admin.lists import (
    CitedSourceFilter,
    CountryFilter,
    DateRange,
    InForceNowFilter,
    InForceOnFilter,
    LayerFilter,
    MeasureDetailList,
    QuickListMixin,
    listed_events,
    listed_links,
    with_citation_columns,
)
from tracker.admin.search import MeasureSearchMixin
from tracker.choices import InstrumentKind
from tracker.models import (
    DETAIL_MODELS,
    Ban,
    ExportControl,
    Fund,
    FundParticipant,
    InstrumentCitation,
    InstrumentEvent,
    Lab,
    PilotZone,
    PolicyInstrument,
    StackLayer,
    StackLayerCitation,
    Subsidy,
)
from tracker.services.records import LIFECYCLE_FIELDS
from tracker.templatetags.tracker_money import money


class InstrumentCitationInline(CitationInline):
    model = InstrumentCitation


class EventFormSet(BaseInlineFormSet):
    """Refuses events that would give the measure impossible dates, beside the events."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form.instance
            for form in self.forms
            if form.cleaned_data and not (self.can_delete and self._should_delete_form(form))
        ]
        measure = copy.copy(self.instance)
        if not measure.derive_from_events(kept):
            return
        try:
            measure.full_clean(validate_unique=False)
        except ValidationError as error:
            message = " ".join(error.messages)
            raise ValidationError(
                _("These events would give the measure impossible dates: %(errors)s") % {"errors": message}
            ) from error


class InstrumentEventInline(admin.TabularInline):
    """The measure's life as dated events; its status and dates follow from them."""

    model = InstrumentEvent
    form = RelationRulesForm  # a row's date errors beside the date they concern
    formset = EventFormSet
    extra = 0
    fields = ("kind", "sequence", "date_kind", "date", "date_precision", "date_end", "reported_on", "citation", "note")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "citation":
            object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = InstrumentCitation.objects.filter(instrument__pk=object_id).select_related("source")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DetailInline(PartInline):
    """A kind's detail section.  A new measure's page holds one, empty, of every kind; the page's
    script shows the one that fits the kind chosen, and the server keeps only that one."""

    formset = DetailFormSet
    max_num = 1
    can_delete = True

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "scopes":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Per-model options of the detail inlines; the set of detail models comes from DETAIL_MODELS.
DETAIL_INLINE_OPTIONS = {
    Fund: {"autocomplete_fields": ("vehicle",), "show_change_link": True},  # participants on the fund's page
    Lab: {"autocomplete_fields": ("organization", "host_city", "sponsors")},
    PilotZone: {"autocomplete_fields": ("places",)},
    Subsidy: {"autocomplete_fields": ("eligible_organizations",)},
}

_INLINE_BY_MODEL = {
    model: type(f"{model.__name__}Inline", (DetailInline,), {"model": model, **DETAIL_INLINE_OPTIONS.get(model, {})})
    for model in dict.fromkeys(DETAIL_MODELS.values())
}

# Which detail a measure's page shows, by kind.
DETAIL_INLINES = {kind: _INLINE_BY_MODEL[model] for kind, model in DETAIL_MODELS.items()}


class InstrumentForm(VersionedForm):
    """A measure's form: the kinds, statuses and layers defined where they are chosen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        mark_kind_select(self)
        for name, help_text in (("kind", kind_help), ("status", status_help), ("layers", layers_help)):
            if name in self.fields:
                self.fields[name].help_text = help_text()


@admin.register(PolicyInstrument)
class PolicyInstrumentAdmin(QuickListMixin, TrackerAdmin):
    form = InstrumentForm
    list_display = (
        "title_en",
        "title_zh",
        "kind",
        "status",
        "jurisdiction",
        "issuer",
        "announced_display",
        "effective_from_display",
        "citation_count",
        "lead_source",
    )
    list_filter = (
        "kind",
        "status",
        InForceNowFilter,
        InForceOnFilter,
        ("announced", DateRange),
        ("effective_from", DateRange),
        ("rescinded", DateRange),
        LayerFilter,
        CountryFilter,
        "jurisdiction",
        TimelinePeriodFilter,
        CitedSourceFilter,
    )
    # The search box shows when search_fields is set; the search itself is the queryset's.
    search_fields = PolicyInstrument.objects.none().SEARCH_FIELDS
    autocomplete_fields = (
        "jurisdiction",
        "issuing_body",
        "co_issuers",
        "affected_jurisdictions",
        "targets",
        "products",
        "part_of",
        "amends",
    )
    prepopulated_fields = {"slug": ("title_en",)}
    list_select_related = ("jurisdiction", "issuing_body")
    fieldsets = (
        (
            None,
            {"fields": ("slug", ("title_en", "title_zh"), ("kind", "status"), "layers", ("summary_en", "summary_zh"))},
        ),
        (
            gettext_lazy("Who and whom"),
            {"fields": ("jurisdiction", "issuing_body", "co_issuers", "affected_jurisdictions", "targets", "products")},
        ),
        (gettext_lazy("Relations"), {"fields": ("part_of", "amends", "document_number", "url")}),
        (
            gettext_lazy("Dates"),
            {
                "description": gettext_lazy(
                    "A date known only to the month is written as its first day, "
                    "one known only to the year as 1 January; the precision says which."
                ),
                "fields": (
                    ("announced", "announced_precision"),
                    ("effective_from", "effective_from_precision"),
                    ("effective_until", "effective_until_precision"),
                    ("rescinded", "rescinded_precision"),
                ),
            },
        ),
        (gettext_lazy("Record"), {"fields": ("created", "updated"), "classes": ("collapse",)}),
    )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("layers", "scopes"):
            # A handful of fixed terms: tick boxes read better than a two-pane selector.
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        """The tracker's one search (``PolicyInstrumentQuerySet.search``), as the API's, without
        its rank, by which the list is never sorted."""
        return queryset.search(search_term, ranked=False), False

    class Media:
        js = ("tracker/admin/kind_details.js",)

    def get_inlines(self, request, obj):
        """The detail that fits the measure's kind (on a new measure's page, one of every kind, for
        the kind about to be chosen), then its events and citations."""
        parts = [InstrumentEventInline, InstrumentCitationInline]
        if obj is None:
            return [*dict.fromkeys(DETAIL_INLINES.values()), *parts]
        detail = DETAIL_INLINES.get(obj.kind)
        return [detail, *parts] if detail else parts

    def get_readonly_fields(self, request, obj=None):
        """Where a measure has events, its status and dates follow from them and are not typed in."""
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.events.exists():
            return (*fields, *LIFECYCLE_FIELDS)
        return fields

    def get_queryset(self, request):
        return with_citation_columns(super().get_queryset(request).prefetch_related(listed_events()))

    @admin.display(description=pgettext_lazy("date", "announced"), ordering="announced")
    def announced_display(self, obj):
        return obj.lifecycle_text("announced")

    @admin.display(description=pgettext_lazy("date", "effective from"), ordering="effective_from")
    def effective_from_display(self, obj):
        return obj.lifecycle_text("effective_from")

    @admin.display(description=gettext_lazy("issuing body"))
    def issuer(self, obj):
        """Not sortable: sorting by the issuer's name sorts every measure (a join no index serves)."""
        return obj.issuing_body

    @admin.display(description=gettext_lazy("citations"))
    def citation_count(self, obj):
        return obj.citation_count

    @admin.display(description=gettext_lazy("lead source"))
    def lead_source(self, obj):
        return obj.lead_source


class FundParticipantInline(admin.TabularInline):
    model = FundParticipant
    extra = 0
    autocomplete_fields = ("organization",)


@admin.register(Fund)
class FundAdmin(MeasureSearchMixin, MeasureDetailList, TrackerAdmin):
    list_display = (
        "instrument",
        "amount_display",
        "stated_equivalent_display",
        "usd_equivalent_display",
        "term_years",
        *MeasureDetailList.MEASURE_COLUMNS,
    )
    list_filter = (("currency", admin.AllValuesFieldListFilter), *MeasureDetailList.MEASURE_FILTERS)
    search_fields = ("instrument__title_en", "instrument__slug")
    autocomplete_fields = ("instrument", "vehicle")
    inlines = [FundParticipantInline]

    @admin.display(description=gettext_lazy("amount"), ordering="amount")
    def amount_display(self, obj):
        return money(obj.amount, obj.currency)

    @admin.display(description=gettext_lazy("equivalent stated by a source"), ordering="stated_equivalent")
    def stated_equivalent_display(self, obj):
        return money(obj.stated_equivalent, obj.stated_equivalent_currency)

    @admin.display(description=gettext_lazy("US-dollar equivalent"), ordering="usd_equivalent")
    def usd_equivalent_display(self, obj):
        return money(obj.usd_equivalent, "USD")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """The stated equivalent cites one of the fund's own measure's citations."""
        if db_field.name == "stated_equivalent_citation":
            fund_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
            kwargs["queryset"] = InstrumentCitation.objects.filter(instrument__fund__pk=fund_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class StackLayerCitationInline(CitationInline):
    model = StackLayerCitation


@admin.register(StackLayer)
class StackLayerAdmin(TrackerAdmin):
    list_display = ("position", "code", "name_en", "name_zh", "definition")
    list_display_links = ("code",)
    search_fields = ("code", "name_en", "name_zh")
    inlines = [StackLayerCitationInline]
    change_list_template = "admin/tracker/stacklayer/change_list.html"

    def get_urls(self):
        return [
            path("matrix/", self.admin_site.admin_view(self.matrix_view), name="tracker_stacklayer_matrix"),
            *super().get_urls(),
        ]

    def matrix_view(self, request):
        """The report's Figure 1: the policy tools used at each layer of the stack, China beside the US."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        countries = [{"code": code, "name": name} for code, name in COUNTRIES]
        kinds = [kind for kind in InstrumentKind if kind != InstrumentKind.PILOT_ZONE_PROGRAMME]
        counts = PolicyInstrument.objects.layer_kind_matrix([country["code"] for country in countries])
        changelist = reverse("admin:tracker_policyinstrument_changelist")
        rows = []
        for layer in StackLayer.objects.order_by("position"):
            cells = []
            for kind in kinds:
                for country in countries:
                    code = country["code"]
                    query = urlencode({"layers__id__exact": layer.pk, "kind__exact": kind.value, "country": code})
                    cells.append(
                        {
                            "count": counts.get((layer.code, kind.value, code), 0),
                            "url": f"{changelist}?{query}",
                            "kind": kind.value,
                            "country": code,
                            "title": f"{layer.name_en} · {kind.label} · {country['name']}",
                        }
                    )
            rows.append({"layer": layer, "cells": cells})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Policy tools by layer of the AI stack (Figure 1)"),
            "opts": self.model._meta,
            "kinds": kinds,
            "countries": countries,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/tracker/stacklayer/matrix.html", context)


class DetailAdmin(MeasureSearchMixin, MeasureDetailList, TrackerAdmin):
    """A kind's details listed on their own; they are edited on their measure's page too."""

    search_fields = ("instrument__title_en", "instrument__title_zh", "instrument__slug")
    autocomplete_fields = ("instrument",)


@admin.register(Lab)
class LabAdmin(DetailAdmin):
    list_display = ("instrument", "host_city", *MeasureDetailList.MEASURE_COLUMNS)
    list_filter = (("host_city", admin.RelatedOnlyFieldListFilter), *MeasureDetailList.MEASURE_FILTERS)
    list_select_related = (*MeasureDetailList.MEASURE_RELATED, "host_city")
    autocomplete_fields = ("instrument", "organization", "host_city", "sponsors")


@admin.register(PilotZone)
class PilotZoneAdmin(DetailAdmin):
    list_display = ("instrument", "place_names", "programme", *MeasureDetailList.MEASURE_COLUMNS)
    # Not by programme: its choices would be found by reading every measure.
    list_filter = (("places", admin.RelatedOnlyFieldListFilter), *MeasureDetailList.MEASURE_FILTERS)
    list_select_related = (*MeasureDetailList.MEASURE_RELATED, "instrument__part_of")
    autocomplete_fields = ("instrument", "places")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(listed_links("places"))

    @admin.display(description=gettext_lazy("places"))
    def place_names(self, obj):
        return ", ".join(place.name_en for place in obj.places.all())

    @admin.display(description=gettext_lazy("programme"), ordering="instrument__part_of__title_en")
    def programme(self, obj):
        return obj.instrument.part_of


@admin.register(ExportControl)
class ExportControlAdmin(DetailAdmin):
    list_display = ("instrument", "legal_form", "legal_citation", "published_on", *MeasureDetailList.MEASURE_COLUMNS)
    list_filter = (
        "legal_form",
        "instrument__kind",
        ("published_on", DateRange),
        *MeasureDetailList.MEASURE_FILTERS,
    )


@admin.register(Ban)
class BanAdmin(DetailAdmin):
    list_display = ("instrument", "scope_names", "legal_form", *MeasureDetailList.MEASURE_COLUMNS)
    list_filter = ("scopes", "legal_form", *MeasureDetailList.MEASURE_FILTERS)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(listed_links("scopes"))

    @admin.display(description=gettext_lazy("covers"))
    def scope_names(self, obj):
        return ", ".join(scope.name_en for scope in obj.scopes.all())
