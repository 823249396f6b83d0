from django.contrib import admin
from django.utils.translation import gettext_lazy

from tracker.admin.base import TrackerAdmin
from tracker.admin.lists import QuickListMixin, citing_records_html
from tracker.models import Source


@admin.register(Source)
class SourceAdmin(QuickListMixin, TrackerAdmin):
    list_display = ("slug", "title", "kind", "publisher", "published", "language", "is_secondary")
    list_filter = ("kind", "language", "is_secondary")
    search_fields = ("slug", "title", "title_en", "publisher", "identifier", "url")
    autocomplete_fields = ("publisher_organization", "translation_of")
    readonly_fields = (*TrackerAdmin.readonly_fields, "cited_by")

    @admin.display(description=gettext_lazy("cited by"))
    def cited_by(self, obj):
        """Every record citing this source, by kind (measures, stack layers, indicators …), each linked."""
        if obj is None or obj.pk is None:
            return "—"
        return citing_records_html(obj)
