from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

admin.site.site_header = "AI Policy Tracker"
admin.site.site_title = "AI Policy Tracker"
admin.site.index_title = "Records"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
]
