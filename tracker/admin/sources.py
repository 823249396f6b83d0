from django.contrib import admin

from tracker.admin.base import TrackerAdmin
from tracker.models import Source


@admin.register(Source)
class SourceAdmin(TrackerAdmin):
    list_display = ("slug", "title", "kind", "publisher", "published", "language", "is_secondary")
    list_filter = ("kind", "language", "is_secondary")
    search_fields = ("slug", "title", "title_en", "publisher", "identifier", "url")
    autocomplete_fields = ("publisher_organization", "translation_of")
