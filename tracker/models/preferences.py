"""What each person chose for themselves in the admin: the language it speaks to them in."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LanguagePreference(models.Model):
    """The language a person reads the admin in, kept across logins, browsers and devices.

    Applied on every request after authentication (``tracker.middleware``); a person
    without one gets the language their browser asks for.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        # A preference means nothing without the person who chose it.
        on_delete=models.CASCADE,
        related_name="language_preference",
        help_text=_("The person who chose the language."),
    )
    language = models.CharField(
        verbose_name=_("language"),
        max_length=16,
        choices=settings.LANGUAGES,
        help_text=_("The language the admin speaks to this person in."),
    )

    class Meta:
        verbose_name = _("language preference")
        verbose_name_plural = _("language preferences")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="language_preference_known",
                violation_error_message=_("Unknown language."),
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.language}"
