from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from tracker.views import choose_admin_language

admin.site.site_header = _("AI Policy Tracker")
admin.site.site_title = _("AI Policy Tracker")
admin.site.index_title = _("Records")
# "View site" opens the API's browsable root: what readers and scripts see of the records.
admin.site.site_url = "/api/v1/"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/language/", admin.site.admin_view(choose_admin_language), name="admin_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("tracker.api.urls")),
]
