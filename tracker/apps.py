from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = _("AI Policy Tracker")

    def connect_signals(self):
        from tracker import signals  # noqa: F401 - registers receivers

    def connect_language(self):
        from django.contrib.auth.signals import user_logged_in

        from tracker.middleware import remember_at_login

        user_logged_in.connect(remember_at_login, dispatch_uid="tracker-language-at-login")

    def ready(self):
        self.connect_signals()
        self.connect_language()
