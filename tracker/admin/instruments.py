from django import forms
from django.contrib import admin

from tracker.admin.base import CitationInline, TrackerAdmin, VersionedForm
from tracker.models import (
    DETAIL_MODELS,
    Ban,
    ExportControl,
    Fund,
    FundParticipant,
    InstrumentCitation,
    Lab,
    PilotZone,
    PolicyInstrument,
    StackLayer,
)


class InstrumentCitationInline(CitationInline):
    model = InstrumentCitation


class DetailInline(admin.StackedInline):
    extra = 0
    max_num = 1
    can_delete = True


# Per-model options of the detail inlines; the set of detail models comes from DETAIL_MODELS.
DETAIL_INLINE_OPTIONS = {
    Fund: {"autocomplete_fields": ("vehicle",), "show_change_link": True},  # participants on the fund's page
    Lab: {"autocomplete_fields": ("organization", "host_city", "sponsors")},
    PilotZone: {"autocomplete_fields": ("city",)},
}

_INLINE_BY_MODEL = {
    model: type(f"{model.__name__}Inline", (DetailInline,), {"model": model, **DETAIL_INLINE_OPTIONS.get(model, {})})
    for model in dict.fromkeys(DETAIL_MODELS.values())
}

# Which detail a measure's page shows, by kind.
DETAIL_INLINES = {kind: _INLINE_BY_MODEL[model] for kind, model in DETAIL_MODELS.items()}


class PolicyInstrumentForm(VersionedForm):
    def clean(self):
        cleaned = super().clean()
        if "amends" in cleaned:
            try:
                self.instance.validate_relations(amends=cleaned["amends"])
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(PolicyInstrument)
class PolicyInstrumentAdmin(TrackerAdmin):
    form = PolicyInstrumentForm
    list_display = (
        "title_en",
        "kind",
        "status",
        "jurisdiction",
        "issuing_body",
        "announced_display",
        "effective_from_display",
    )
    list_filter = ("kind", "status", "layers", "jurisdiction")
    # The search box shows when search_fields is set; the search itself is the queryset's.
    search_fields = PolicyInstrument.objects.none().SEARCH_FIELDS
    autocomplete_fields = ("jurisdiction", "issuing_body", "affected_jurisdictions", "targets", "part_of", "amends")
    prepopulated_fields = {"slug": ("title_en",)}
    list_select_related = ("jurisdiction", "issuing_body")
    date_hierarchy = "effective_from"
    fieldsets = (
        (
            None,
            {"fields": ("slug", ("title_en", "title_zh"), ("kind", "status"), "layers", ("summary_en", "summary_zh"))},
        ),
        ("Who and whom", {"fields": ("jurisdiction", "issuing_body", "affected_jurisdictions", "targets")}),
        ("Relations", {"fields": ("part_of", "amends", "document_number", "url")}),
        (
            "Dates",
            {
                "description": "A date known only to the month is written as its first day, "
                "one known only to the year as 1 January; the precision says which.",
                "fields": (
                    ("announced", "announced_precision"),
                    ("effective_from", "effective_from_precision"),
                    ("effective_until", "effective_until_precision"),
                    ("rescinded", "rescinded_precision"),
                ),
            },
        ),
        ("Record", {"fields": ("created", "updated"), "classes": ("collapse",)}),
    )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "layers":
            # Nine layers: tick boxes read better than a two-pane selector.
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        """The tracker's one search (``PolicyInstrumentQuerySet.search``), as the API's."""
        return queryset.search(search_term), False

    def get_inlines(self, request, obj):
        """Only the detail that fits the measure's kind, then its citations."""
        detail = DETAIL_INLINES.get(obj.kind) if obj else None
        return [detail, InstrumentCitationInline] if detail else [InstrumentCitationInline]

    @admin.display(description="announced", ordering="announced")
    def announced_display(self, obj):
        return obj.date_display("announced")

    @admin.display(description="effective from", ordering="effective_from")
    def effective_from_display(self, obj):
        return obj.date_display("effective_from")


class FundParticipantInline(admin.TabularInline):
    model = FundParticipant
    extra = 0
    autocomplete_fields = ("organization",)


@admin.register(Fund)
class FundAdmin(TrackerAdmin):
    list_display = ("instrument", "amount", "currency", "usd_equivalent", "term_years")
    search_fields = ("instrument__title_en", "instrument__slug")
    autocomplete_fields = ("instrument", "vehicle")
    list_select_related = ("instrument",)
    inlines = [FundParticipantInline]


@admin.register(StackLayer)
class StackLayerAdmin(TrackerAdmin):
    list_display = ("position", "code", "name_en", "name_zh", "definition")
    list_display_links = ("code",)
    search_fields = ("code", "name_en", "name_zh")


class DetailAdmin(TrackerAdmin):
    """A kind's details listed on their own; they are edited on their measure's page too."""

    search_fields = ("instrument__title_en", "instrument__title_zh", "instrument__slug")
    autocomplete_fields = ("instrument",)
    list_select_related = ("instrument",)


@admin.register(Lab)
class LabAdmin(DetailAdmin):
    list_display = ("instrument", "host_city", "founded")
    list_select_related = ("instrument", "host_city")
    autocomplete_fields = ("instrument", "organization", "host_city", "sponsors")


@admin.register(PilotZone)
class PilotZoneAdmin(DetailAdmin):
    list_display = ("instrument", "city", "designated", "programme")
    list_select_related = ("instrument", "city", "instrument__part_of")
    autocomplete_fields = ("instrument", "city")

    @admin.display(description="programme", ordering="instrument__part_of__title_en")
    def programme(self, obj):
        return obj.instrument.part_of


@admin.register(ExportControl)
class ExportControlAdmin(DetailAdmin):
    list_display = ("instrument", "legal_form", "legal_citation", "published_on")
    list_filter = ("legal_form",)


@admin.register(Ban)
class BanAdmin(DetailAdmin):
    list_display = ("instrument", "banned_product", "scope", "legal_form")
    list_filter = ("scope", "legal_form")
