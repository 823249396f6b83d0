from django.contrib import admin

from tracker.admin.base import TrackerAdmin
from tracker.models import Jurisdiction


@admin.register(Jurisdiction)
class JurisdictionAdmin(TrackerAdmin):
    list_display = ("code", "name_en", "name_zh", "level", "parent", "iso_code")
    list_filter = ("level",)
    search_fields = ("code", "name_en", "name_zh", "iso_code")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
