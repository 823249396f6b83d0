from django.contrib import admin

from tracker.admin.base import TrackerAdmin
from tracker.models import Organization, OrganizationAlias


class OrganizationAliasInline(admin.TabularInline):
    model = OrganizationAlias
    extra = 0
    fields = ("name", "language")


@admin.register(Organization)
class OrganizationAdmin(TrackerAdmin):
    list_display = ("name_en", "name_zh", "abbreviation", "kind", "parent", "jurisdiction")
    list_filter = ("kind", "jurisdiction")
    search_fields = ("slug", "name_en", "name_zh", "abbreviation", "aliases__name")
    autocomplete_fields = ("parent", "jurisdiction")
    prepopulated_fields = {"slug": ("name_en",)}
    list_select_related = ("parent", "jurisdiction")
    inlines = [OrganizationAliasInline]
