from django.contrib import admin


class TrackerAdmin(admin.ModelAdmin):
    """Shared defaults: timestamps shown but never edited, sensible paging."""

    readonly_fields = ("created", "updated")
    list_per_page = 50
    save_on_top = True


class CitationInline(admin.StackedInline):
    extra = 0
    autocomplete_fields = ("source",)
    fields = (("source", "locator", "confidence"), "quote", ("quote_language", "verbatim"), "note")
