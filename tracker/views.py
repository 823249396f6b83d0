"""Views outside the records' admins: the header's language switch."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.middleware import remember
from tracker.models import LanguagePreference
from tracker.services.preferences import choose_language


def field_label(name):
    if name == NON_FIELD_ERRORS:
        return LanguagePreference._meta.verbose_name
    return LanguagePreference._meta.get_field(name).verbose_name


@require_POST
def choose_admin_language(request):
    """Keeps the language chosen in the admin's header for the logged-in person, then goes
    back to the page it was chosen on."""
    language = request.POST.get("language", "")
    try:
        choose_language(user=request.user, language=language)
    except ValidationError as error:
        messages = "; ".join(f"{field_label(field)}: {' '.join(texts)}" for field, texts in error.message_dict.items())
        return HttpResponseBadRequest(
            _("Language preference of %(user)s: %(messages)s") % {"user": request.user, "messages": messages}
        )
    remember(request, request.user, language)
    translation.activate(language)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return HttpResponseRedirect(target)
