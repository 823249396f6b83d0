"""The analysts' admin, one module per domain."""

from django.contrib import admin

from tracker.admin import caching, geography, indicators, instruments, journal, organizations, products, sources  # noqa: F401

# Every admin page's sidebar is kept per set of permissions and language (``caching``).
caching.install(admin.site)
