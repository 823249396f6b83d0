"""The analysts' admin, one module per domain."""

from tracker.admin import geography, indicators, instruments, journal, organizations, products, sources  # noqa: F401
