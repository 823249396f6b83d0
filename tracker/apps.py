from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("AI Policy Tracker")

    def connect_signals(self):
        from tracker import signals  # noqa: F401 - registers receivers

    def ready(self):
        self.connect_signals()
