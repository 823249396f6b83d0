"""Writes of a person's own settings, which are not records: no review, no journal."""

from django.db import transaction

from tracker.models import LanguagePreference


def choose_language(*, user, language):
    """Keep ``language`` as the language the admin speaks to ``user`` in, from now on and
    on every browser they log in from.  A language the tracker does not offer is refused
    with a ``ValidationError`` naming the field."""
    with transaction.atomic():
        preference = LanguagePreference.objects.select_for_update().filter(user=user).first()
        preference = preference or LanguagePreference(user=user)
        preference.language = language
        preference.full_clean()
        preference.save()
    return preference
