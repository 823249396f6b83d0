from django.contrib import admin
from django.db import models

# Addresses typed without a scheme are taken as https, Django 6's default.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class TrackerAdmin(admin.ModelAdmin):
    """Shared defaults: timestamps shown but never edited, sensible paging."""

    readonly_fields = ("created", "updated")
    formfield_overrides = URL_FIELDS
    list_per_page = 50
    save_on_top = True


class CitationInline(admin.StackedInline):
    extra = 0
    autocomplete_fields = ("source",)
    fields = (("source", "locator", "confidence"), "quote", ("quote_language", "verbatim"), "note")
