"""The admin's language: the one a person chose, else the one their browser asks for."""

from django.utils import translation

# The session keeps the chosen language with the user it belongs to, so the preference is
# read from the database once per login, not on every request.
SESSION_KEY = "tracker_language"


def preferred_language(request):
    """The language ``request.user`` chose, or None (anonymous, or never chose)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    cached = request.session.get(SESSION_KEY)
    if cached is not None and cached[0] == user.pk:
        return cached[1] or None
    from tracker.models import LanguagePreference

    language = LanguagePreference.objects.filter(user=user).values_list("language", flat=True).first()
    remember(request, language)
    return language


def remember(request, language):
    request.session[SESSION_KEY] = (request.user.pk, language or "")


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
