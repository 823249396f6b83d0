from django.contrib import admin

from tracker.admin.base import TrackerAdmin
from tracker.models import Product


@admin.register(Product)
class ProductAdmin(TrackerAdmin):
    list_display = ("name_en", "name_zh", "kind", "maker", "layer")
    list_filter = ("kind", "layer")
    search_fields = ("slug", "name_en", "name_zh", "maker__name_en")
    autocomplete_fields = ("maker",)
    prepopulated_fields = {"slug": ("name_en",)}
    list_select_related = ("maker", "layer")
