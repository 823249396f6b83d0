"""The admin's language: the one a person chose, else the one their browser asks for."""

from django.utils import translation

# The session keeps the chosen language with the user it belongs to: read from the database
# when the person logs in (``remember_at_login``), not on every request.
SESSION_KEY = "tracker_language"


def chosen_language(user):
    """The language ``user`` chose, or "" if they never chose one."""
    from tracker.models import LanguagePreference

    return LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first() or ""


def remember(request, user, language):
    request.session[SESSION_KEY] = (user.pk, language or "")


def remember_at_login(sender, request, user, **kwargs):
    """``user_logged_in`` receiver: a new session starts in the person's own language."""
    if request is not None and hasattr(request, "session"):
        remember(request, user, chosen_language(user))


def preferred_language(request):
    """The language ``request.user`` chose, or None (anonymous, or never chose)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    cached = request.session.get(SESSION_KEY)
    if cached is None or cached[0] != user.pk:  # a session from before the preference existed
        remember(request, user, chosen_language(user))
        cached = request.session[SESSION_KEY]
    return cached[1] or None


class UserLanguageMiddleware:
    """Applies a logged-in person's chosen language on every request.

    Comes after ``AuthenticationMiddleware`` (it needs the user) and after ``LocaleMiddleware``,
    which has already activated the browser's language: that stays for anonymous visitors
    and for people who never chose one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = preferred_language(request)
        if language and translation.check_for_language(language):
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
