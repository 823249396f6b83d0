from django import forms
from django.contrib import admin

from tracker.admin.base import CitationInline, TrackerAdmin
from tracker.models import Indicator, IndicatorCitation, IndicatorSubject


class IndicatorCitationInline(CitationInline):
    model = IndicatorCitation


class IndicatorSubjectInline(admin.TabularInline):
    model = IndicatorSubject
    extra = 0
    autocomplete_fields = ("jurisdiction", "organization")
    fields = ("jurisdiction", "organization", "role")


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
    autocomplete_fields = ("instrument", "compares_with")
    prepopulated_fields = {"slug": ("subject_en",)}
    inlines = [IndicatorSubjectInline, IndicatorCitationInline]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "layers":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)
