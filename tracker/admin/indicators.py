from django.contrib import admin

from tracker.admin.base import CitationInline, TrackerAdmin
from tracker.models import Indicator, IndicatorCitation


class IndicatorCitationInline(CitationInline):
    model = IndicatorCitation


@admin.register(Indicator)
class IndicatorAdmin(TrackerAdmin):
    list_display = (
        "slug",
        "subject_en",
        "metric",
        "kind",
        "qualifier",
        "value",
        "value_max",
        "unit",
        "currency",
        "year",
    )
    list_filter = ("kind", "unit", "year")
    search_fields = ("slug", "subject_en", "subject_zh", "metric")
    autocomplete_fields = ("jurisdiction", "organization", "instrument", "compares_with")
    prepopulated_fields = {"slug": ("subject_en",)}
    inlines = [IndicatorCitationInline]
