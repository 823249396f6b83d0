"""The kinds' lists (funds, labs, pilot zones, export controls, bans) searched as the measures are."""

from tracker.models import PolicyInstrument
from tracker.querysets import search_words


class MeasureSearchMixin:
    """A list of a kind's details searched with the tracker's one search
    (``PolicyInstrumentQuerySet.search``) of their measures: the same words find the same
    measures here as on the list of measures and in the API (a title, summary, slug or
    document number in English or Chinese, in either script, or the name of an issuer or
    target).  Django's own search (``icontains`` on the joined title and slug) found less and
    read every measure to find it.

    The details are those whose measure is among the search's, a semi-join PostgreSQL drives
    from the side it finds smaller; each detail comes back once.  The list's ``search_fields``
    only makes the admin show its search box.
    """

    def get_search_results(self, request, queryset, search_term):
        if not search_words(search_term):
            return queryset, False
        measures = PolicyInstrument.objects.search(search_term, ranked=False).order_by().values("pk")
        return queryset.filter(instrument__in=measures), False
