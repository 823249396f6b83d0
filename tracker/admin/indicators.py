from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tracker.admin.base import CitationInline, TrackerAdmin
from tracker.choices import IndicatorUnit
from tracker.models import Indicator, IndicatorCitation, IndicatorSubject
from tracker.templatetags.tracker_money import money


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
        "value_display",
        "value_max_display",
        "unit",
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

    def _amount(self, obj, value):
        if value is None:
            return ""
        if obj.unit == IndicatorUnit.CURRENCY:
            return money(value, obj.currency)
        return format(value.normalize(), "f")

    @admin.display(description=_("value"), ordering="value")
    def value_display(self, obj):
        return self._amount(obj, obj.value)

    @admin.display(description=_("up to"), ordering="value_max")
    def value_max_display(self, obj):
        return self._amount(obj, obj.value_max)
