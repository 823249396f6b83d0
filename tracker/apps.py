from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "AI Policy Tracker"

    def connect_signals(self):
        from tracker import signals  # noqa: F401 - registers receivers

    def ready(self):
        self.connect_signals()
