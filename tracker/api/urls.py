"""The API's addresses, under ``/api/v1/`` in the namespace ``api``."""

import importlib.util

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from tracker.api import views
from tracker.api.shapes import INSTRUMENTS, RESOURCES

_HAS_EXPORTS = importlib.util.find_spec("tracker.api.exports") is not None  # TEMP

app_name = "api"

router = SimpleRouter()
for resource in RESOURCES.values():
    router.register(resource.name, views.viewset(resource), basename=resource.name)
for name, kinds in views.KIND_LISTS.items():
    router.register(name, views.viewset(INSTRUMENTS, kinds, name), basename=name)

urlpatterns = [
    path("", views.RootView.as_view(), name="root"),
    path("changes/", views.ChangesView.as_view(), name="changes"),
    path("exports/", include("tracker.api.exports")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    *router.urls,
]
