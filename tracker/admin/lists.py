"""What the admin's lists show and filter by, and how they stay quick with 100,000 measures.

A list page costs a fixed number of queries whatever its length: columns read from the
list's own query (``select_related``, annotations, one prefetch per link), filters whose
choices are small vocabularies, and a count that stops at ``COUNT_LIMIT`` rows instead of
counting a table of a hundred thousand (``CappedCountPaginator``).  The sortable columns
have indexes (migration 0014), each ending with the id that breaks ties.
"""

import datetime
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR, SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy
from rangefilter.filters import DateRangeFilter

from tracker.admin.caching import cached_choices
from tracker.admin.rows import TrackerChangeList, choice_label
from tracker.models import InstrumentCitation, InstrumentEvent, Jurisdiction, PolicyInstrument, Source, StackLayer
from tracker.models.sources import CitationBase
from tracker.querysets import in_force_conditions

# A filtered list counts at most this many rows and then says "1,000+" (20 pages): counting
# every match of a broad filter reads most of the table on each page.  At 10,000, filters
# whose condition is not an index's (a layer, "not in force") cost 60–150 ms to count with
# 100,000 measures; at 1,000 a tenth of that.
COUNT_LIMIT = 1_000
# The records' times of creation, change and publication (``TimeStampedModel``, ``ReviewedModel``).
TIMESTAMPS = ("created", "updated", "published_at")


class CappedCountPaginator(Paginator):
    """A list's pages without counting a table of a hundred thousand rows.

    The count stops at ``COUNT_LIMIT`` + 1 rows; past that the list says "10,000+", or, for a
    whole table on PostgreSQL, "about 100,000" from the planner's row estimate
    (``pg_class.reltuples``, kept fresh by autovacuum's ANALYZE).  A searched list is not
    counted at all: matching a word costs more per row than reading it, so the page's ids
    are read with one more row, which says whether a next page exists ("50+ results").

    A page is read in two steps: the ids of its rows (in the list's order, from the sorted
    column's index), then those rows with their columns.  Columns computed by subqueries
    (a measure's citations) are thus computed for the page's rows only, not for every row
    an OFFSET skips.  ``count`` stays a number (the admin compares and pages with it);
    ``count_text`` is what the page shows.
    """

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, page=1, searched=False):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.requested_page = page
        self.searched = searched
        self._window = None

    count_text = None

    @cached_property
    def count(self):
        if self.searched:
            return self._count_from_window()
        counted = self.object_list.order_by().values("pk")[: COUNT_LIMIT + 1].count()
        if counted <= COUNT_LIMIT:
            self.count_text = number_format(counted, force_grouping=True)
            return counted
        estimate = self._estimate(self.object_list)
        if estimate is not None and estimate > COUNT_LIMIT:
            self.count_text = f"about {number_format(estimate, force_grouping=True)}"
            return estimate
        self.count_text = f"{number_format(COUNT_LIMIT, force_grouping=True)}+"
        return counted

    def _ids(self, bottom, size):
        return list(self.object_list.values_list("pk", flat=True)[bottom : bottom + size])

    def _count_from_window(self):
        bottom = (self.requested_page - 1) * self.per_page
        self._window = (self.requested_page, self._ids(bottom, self.per_page + 1))
        found = len(self._window[1])
        if found > self.per_page:
            self.count_text = f"{number_format(bottom + self.per_page, force_grouping=True)}+"
            return bottom + found
        self.count_text = number_format(bottom + found, force_grouping=True)
        if bottom == 0 and found:
            # Every match is in the window: the list is this one page, read by these ids.
            self.page_ids = self._window[1]
        return bottom + found

    def page(self, number):
        number = self.validate_number(number)
        if self._window is not None and self._window[0] == number:
            ids = self._window[1][: self.per_page]
        else:
            ids = self._ids((number - 1) * self.per_page, self.per_page)
        self.page_ids = ids
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)

    # The ids of the page last read, in the list's order (``QuickChangeList`` reads its rows by them).
    page_ids = None

    @staticmethod
    def _estimate(queryset):
        """The planner's estimate of the table's rows, for an unfiltered list on PostgreSQL."""
        connection = connections[queryset.db]
        if connection.vendor != "postgresql" or queryset.query.has_filters():
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [queryset.model._meta.db_table]
            )
            row = cursor.fetchone()
        # -1 until the table is first analyzed.
        return row[0] if row and row[0] >= 0 else None


class QuickChangeList(TrackerChangeList):
    """A changelist whose tie-breaking id runs in the sorted column's direction, so a sort by
    any column is read from its (column, id) index in one direction, never re-sorted: the
    admin's own ``-pk`` after an ascending column made PostgreSQL sort every tie (all the
    measures without a Chinese title, of one status or kind) before the first page."""

    def _get_deterministic_ordering(self, ordering):
        ordering = super()._get_deterministic_ordering(ordering)
        if len(ordering) > 1 and ordering[-1] == "-pk" and not _descending(ordering[0]):
            ordering[-1] = "pk"
        return ordering

    def get_results(self, request):
        """A page's rows are read by their ids alone, once the page's ids are known: the
        list's filters and search (a word's conditions, its rank, the ids of the organizations
        it names) are not compiled and sent a second time for the 50 rows they chose."""
        super().get_results(request)
        ids = getattr(self.paginator, "page_ids", None)
        if ids is not None and not (self.show_all and self.can_show_all):
            self.result_list = self.rows_by_id(ids)

    def rows_by_id(self, ids):
        """The records of ``ids``, in that order, with the list's columns: the admin's queryset
        (its annotations and prefetches) and the list's related records, as the list reads them."""
        rows = self.root_queryset
        if not rows.query.select_related:
            rows = self.apply_select_related(rows)
        rows = rows.defer(*self.unshown_timestamps(rows))
        lookups = rows._prefetch_related_lookups
        listed = [lookup for lookup in lookups if isinstance(lookup, ListedPrefetch)]
        if listed:
            others = [lookup for lookup in lookups if not isinstance(lookup, ListedPrefetch)]
            rows = rows.prefetch_related(None).prefetch_related(*others)
        found = {row.pk: row for row in rows.filter(pk__in=ids).order_by()}
        page = [found[pk] for pk in ids if pk in found]
        for prefetch in listed:
            attach(page, prefetch)
        return page

    def unshown_timestamps(self, rows):
        """The timestamps (``TIMESTAMPS``) of the rows and of the records read with them
        (``select_related``) that no column is: left unread, for they are what costs most to
        read of a record (a date and time parsed each), and a list of measures read some 450
        of them a page, of its measures, jurisdictions and issuers, to show none."""
        shown = {name for name in self.list_display if isinstance(name, str)}
        records = [("", self.model)]
        related = rows.query.select_related
        branches = [("", self.model, related)] if isinstance(related, dict) else []
        while branches:
            prefix, model, tree = branches.pop()
            for name, below in tree.items():
                target = model._meta.get_field(name).related_model
                records.append((f"{prefix}{name}__", target))
                branches.append((f"{prefix}{name}__", target, below))
        return [
            f"{prefix}{name}"
            for prefix, model in records
            for name in TIMESTAMPS
            if f"{prefix}{name}" not in shown and _has_field(model, name)
        ]


def _has_field(model, name):
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _descending(term):
    if isinstance(term, str):
        return term.startswith("-")
    return bool(getattr(term, "descending", False))


class QuickListMixin:
    """List options shared by the big lists: a capped count, no full-table count beside it, no
    facet counts (each would count the whole table once per filter choice), and ties broken in
    the sort's direction."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_changelist(self, request, **kwargs):
        return QuickChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = max(int(request.GET.get(PAGE_VAR, 1)), 1)
        except ValueError:
            page = 1
        searched = bool(request.GET.get(SEARCH_VAR, "").strip())
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page, page=page, searched=searched)


def other_parameters(changelist, own):
    """The list's current query parameters but ``own`` and the page: kept by a filter's form."""
    return [(name, value) for name, value in changelist.params.items() if name not in own and name != PAGE_VAR]


# --- Filters ---------------------------------------------------------------------------------


class CountryFilter(admin.SimpleListFilter):
    """Records of a country, its states and its cities (a jurisdiction code starts with its country's)."""

    title = gettext_lazy("country")
    parameter_name = "country"
    # Where the record's jurisdiction is, from the listed model.
    jurisdiction_path = "jurisdiction"

    def lookups(self, request, model_admin):
        countries = Jurisdiction.objects.filter(level="country").order_by("code").values_list("code", "name_en")
        return cached_choices(request, [Jurisdiction], "countries", lambda: countries)

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        if self.jurisdiction_path == "jurisdiction" and hasattr(queryset, "in_country"):
            return queryset.in_country(code)
        path = f"{self.jurisdiction_path}__code"
        return queryset.filter(Q(**{path: code}) | Q(**{f"{path}__startswith": f"{code}-"}))


class MeasureCountryFilter(CountryFilter):
    jurisdiction_path = "instrument__jurisdiction"


def in_force_condition(on, prefix=""):
    """``in_force(on)`` as a condition on the listed row (its measure through ``prefix``): the
    queryset's own rule, applied with EXISTS so each row's measure is read by its primary key."""
    return Exists(PolicyInstrument.objects.in_force(on=on).filter(pk=OuterRef(f"{prefix}pk")))


def dates_unknown_condition(prefix=""):
    """``dates_unknown()`` as a condition on the listed row (its measure through ``prefix``)."""
    return Exists(PolicyInstrument.objects.dates_unknown().filter(pk=OuterRef(f"{prefix}pk")))


class InForceNowFilter(admin.SimpleListFilter):
    """In force today (``in_force()``), not in force, or undated (``dates_unknown()``: nothing
    says when it began, so ``in_force`` cannot place it).  "no" is neither of the others."""

    title = gettext_lazy("in force now")
    # The parameter and the values "today" and "dates_unknown" are those links already use.
    parameter_name = "in_force"
    prefix = ""

    def lookups(self, request, model_admin):
        return [("today", gettext("yes")), ("no", gettext("no")), ("dates_unknown", gettext("dates unknown"))]

    def queryset(self, request, queryset):
        value, today = self.value(), datetime.date.today()
        if value == "today":
            if not self.prefix:
                return queryset.in_force()
            return queryset.filter(in_force_condition(today, self.prefix))
        if value == "no" and not self.prefix:
            # The rule negated on the row itself: an anti-join would read every measure in force.
            return queryset.exclude(in_force_conditions(today)).exclude(dates_unknown_condition())
        if value == "no":
            return queryset.exclude(in_force_condition(today, self.prefix)).exclude(
                dates_unknown_condition(self.prefix)
            )
        if value == "dates_unknown":
            if not self.prefix:
                return queryset.dates_unknown()
            return queryset.filter(dates_unknown_condition(self.prefix))
        return queryset


class LayerFilter(admin.SimpleListFilter):
    """Measures acting on a layer of the AI stack.  As a condition on the measure's own row
    (EXISTS on the link table), so no measure comes back twice and nothing needs DISTINCT;
    the parameter is the one Figure 1's cells link with."""

    title = gettext_lazy("layer")
    parameter_name = "layers__id__exact"

    def lookups(self, request, model_admin):
        return cached_choices(
            request,
            [StackLayer],
            "layers",
            lambda: [(str(layer.pk), str(layer)) for layer in StackLayer.objects.order_by("position")],
        )

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            messages.error(
                request,
                gettext("Layer: %(value)r is not a layer's id. The list is not filtered by it.") % {"value": value},
            )
            return queryset
        links = PolicyInstrument.layers.through.objects.filter(policyinstrument=OuterRef("pk"), stacklayer=value)
        return queryset.filter(Exists(links))


class MeasureInForceNowFilter(InForceNowFilter):
    prefix = "instrument__"


class InForceOnFilter(admin.ListFilter):
    """Measures in force on a day typed into a date box (today's date until one is chosen)."""

    title = gettext_lazy("in force on")
    parameter_name = "in_force_on"
    template = "admin/tracker/filters/date_box.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        raw = params.pop(self.parameter_name, None)
        value = (raw[-1] if isinstance(raw, list) else raw) or ""
        self.used_parameters = {self.parameter_name: value} if value else {}
        self.day = None
        if value:
            try:
                self.day = datetime.date.fromisoformat(value.strip())
            except ValueError:
                messages.error(
                    request,
                    gettext(
                        "In force on: %(value)r is not a date; write it as YYYY-MM-DD. The list is not filtered by it."
                    )
                    % {"value": value},
                )

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name]

    def queryset(self, request, queryset):
        if self.day is None:
            return queryset
        return queryset.in_force(on=self.day)

    def choices(self, changelist):
        yield {
            "name": self.parameter_name,
            "value": (self.day or datetime.date.today()).isoformat(),
            "selected": self.day is not None,
            "hidden": other_parameters(changelist, self.expected_parameters()),
            "clear": changelist.get_query_string(remove=self.expected_parameters()),
        }


class DateRange(DateRangeFilter):
    """django-admin-rangefilter's from–to filter on a date, its boxes the browser's own date inputs.

    The library's template submits with inline scripts, which the tracker's Content Security
    Policy refuses (scripts from the tracker's own files only); this one is a plain form that
    carries the list's other parameters along.  A bad date is said in a message naming the field.
    """

    template = "admin/tracker/filters/date_range.html"

    def _get_form_fields(self):
        def box(label):
            return forms.DateField(
                label=label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

        return {self.lookup_kwarg_gte: box("from"), self.lookup_kwarg_lte: box("to")}

    def _make_query_filter(self, request, validated_data):
        bounds = {}
        if validated_data.get(self.lookup_kwarg_gte):
            bounds[f"{self.field_path}__gte"] = validated_data[self.lookup_kwarg_gte]
        if validated_data.get(self.lookup_kwarg_lte):
            bounds[f"{self.field_path}__lte"] = validated_data[self.lookup_kwarg_lte]
        return bounds

    def queryset(self, request, queryset):
        if self.form.is_bound and not self.form.is_valid():
            for name, errors in self.form.errors.items():
                label = self.form.fields[name].label if name in self.form.fields else name
                messages.error(
                    request,
                    f"{self.title.capitalize()} {label}: {' '.join(errors)} "
                    f"(given {self.form.data.get(name)!r}). The list is not filtered by it.",
                )
            return queryset
        return super().queryset(request, queryset)

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "hidden": other_parameters(changelist, self.expected_parameters())}


class CitedSourceFilter(admin.SimpleListFilter):
    """The measures citing one source; shown only when in use (the link from a source's page)."""

    title = gettext_lazy("cited source")
    parameter_name = "cited_source"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value or not value.isdigit():
            return []
        source = Source.objects.filter(pk=value).values_list("slug", flat=True).first()
        return [(value, source)] if source else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(Exists(InstrumentCitation.objects.filter(instrument=OuterRef("pk"), source=value)))
        return queryset


# --- Columns -----------------------------------------------------------------------------------


def listed_events(path="events"):
    """The measures' events as a list's dates read them (``lifecycle_text``), in one prefetch:
    in each measure's order without the join the events' own ordering starts with (by the
    measure's slug, which one measure's events share), and without the times they were
    written and their notes, which no column shows."""
    events = InstrumentEvent.objects.order_by("date", "reported_on", "kind", "sequence")
    return ListedPrefetch(path, queryset=events.defer("created", "updated", "note"))


class ListedPrefetch(Prefetch):
    """A list's prefetch of a reverse foreign key or a many-to-many link (``listed_events``,
    ``listed_links``).  Wherever the admin's queryset is read it is Django's; a list page's rows
    (``QuickChangeList.rows_by_id``) get theirs by ``attach``."""


def listed_links(path):
    """The records of a many-to-many link, for a list's column (a ban's scopes, a zone's places)."""
    return ListedPrefetch(path)


def attach(rows, prefetch):
    """What ``prefetch_related(prefetch)`` does for a page's rows, without its per-record work.

    Django's prefetch makes, for each record, a related manager and a queryset filtered on that
    record to hold what it links to (some 2 ms of a page of 50 for a measure's events, as much
    for a ban's scopes).  Here they are read in one query, as Django reads them and in the same
    order, and each record holds its own as a list: iterated, as the columns read them
    (``lifecycle_text``, a ban's scopes), a list is the queryset's rows; an event knows its
    measure, as after Django's prefetch.  The records are the page's alone, drawn and dropped.
    """
    *through, name = prefetch.prefetch_through.split("__")
    owners = {}
    for row in rows:
        owner = row
        for step in through:
            owner = getattr(owner, step)
        if owner is not None:
            owners.setdefault(owner.pk, owner)
    if not owners:
        return
    relation = next(iter(owners.values()))._meta.get_field(name)
    held = {pk: [] for pk in owners}
    if relation.many_to_many and not relation.auto_created:  # a link of the owner's own
        queryset = prefetch.queryset if prefetch.queryset is not None else relation.related_model._default_manager.all()
        owner_path = f"{relation.related_query_name()}__pk"
        cache_name = relation.name
        for record in queryset.filter(**{f"{owner_path}__in": list(owners)}).annotate(_listed_owner=F(owner_path)):
            held[record.__dict__.pop("_listed_owner")].append(record)
    elif relation.one_to_many:
        key = relation.field
        cache_name = relation.cache_name
        for record in prefetch.queryset.filter(**{f"{key.attname}__in": list(owners)}):
            owner_pk = getattr(record, key.attname)
            key.set_cached_value(record, owners[owner_pk])
            held[owner_pk].append(record)
    else:
        prefetch_related_objects(rows, Prefetch(prefetch.prefetch_through, prefetch.queryset))
        return
    for pk, owner in owners.items():
        if not hasattr(owner, "_prefetched_objects_cache"):
            owner._prefetched_objects_cache = {}
        owner._prefetched_objects_cache[cache_name] = held[pk]


def with_citation_columns(queryset):
    """Each measure's number of citations and the short name (slug) of its first citation's
    source, as columns of the list's own query: two correlated subqueries, run for the
    page's rows only, each read from the citations' index on the measure."""
    citations = InstrumentCitation.objects.filter(instrument=OuterRef("pk"))
    count = citations.order_by().values("instrument").annotate(n=Count("pk")).values("n")
    lead = citations.order_by("pk").values("source__slug")[:1]
    return queryset.annotate(
        citation_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
        lead_source=Subquery(lead),
    )


class MeasureDetailList(QuickListMixin):
    """The list of a kind's details (funds, labs, pilot zones, export controls, bans) shows and
    filters by its measure's jurisdiction, issuer, dates and status, read in the list's own
    query (``MEASURE_RELATED``) and one prefetch of the measures' events."""

    MEASURE_RELATED = ("instrument", "instrument__jurisdiction", "instrument__issuing_body")
    MEASURE_COLUMNS = ("jurisdiction", "issuer", "announced", "effective_from", "status")
    MEASURE_FILTERS = (MeasureCountryFilter, "instrument__jurisdiction", "instrument__status", MeasureInForceNowFilter)
    list_select_related = MEASURE_RELATED

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(listed_events("instrument__events"))

    @admin.display(description=gettext_lazy("jurisdiction"), ordering="instrument__jurisdiction__code")
    def jurisdiction(self, obj):
        return obj.instrument.jurisdiction

    @admin.display(description=gettext_lazy("issuer"))
    def issuer(self, obj):
        return obj.instrument.issuing_body or "—"

    @admin.display(description=pgettext_lazy("date", "announced"), ordering="instrument__announced")
    def announced(self, obj):
        return obj.instrument.lifecycle_text("announced")

    @admin.display(description=pgettext_lazy("date", "effective from"), ordering="instrument__effective_from")
    def effective_from(self, obj):
        return obj.instrument.lifecycle_text("effective_from")

    @admin.display(description=gettext_lazy("status"), ordering="instrument__status")
    def status(self, obj):
        return choice_label(obj.instrument, "status")


# --- A source's citing records -------------------------------------------------------------------

# How many citing records of each kind a source's page lists; the rest are counted.
CITING_SHOWN = 50


def citation_models():
    """Every kind of citation (measures, stack layers, indicators …), found from their common base."""
    return [model for model in apps.get_app_config("tracker").get_models() if issubclass(model, CitationBase)]


def citing_records(source):
    """For each kind of citation: the records citing ``source`` (up to ``CITING_SHOWN``), with the
    locator, and how many there are.  Two queries per kind."""
    groups = []
    for model in citation_models():
        subject = model.subject_field
        citations = model.objects.filter(source=source)
        total = citations.count()
        if not total:
            continue
        rows = citations.select_related(subject).order_by(subject, "locator")[:CITING_SHOWN]
        subject_model = model._meta.get_field(subject).related_model
        groups.append(
            {
                "label": subject_model._meta.verbose_name_plural,
                "total": total,
                "rows": [(getattr(row, subject), row.locator) for row in rows],
                "all_url": _cited_list_url(subject_model, source),
            }
        )
    return groups


def _cited_list_url(model, source):
    if model is not PolicyInstrument:
        return None
    url = reverse("admin:tracker_policyinstrument_changelist")
    return f"{url}?{urlencode({CitedSourceFilter.parameter_name: source.pk})}"


def admin_link(record):
    """A link to the record's admin page, or its name where it has none."""
    opts = record._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    except NoReverseMatch:
        return format_html("{}", record)
    return format_html('<a href="{}">{}</a>', url, record)


def citing_records_html(source):
    groups = citing_records(source)
    if not groups:
        return "Nothing cites this source yet."
    parts = []
    for group in groups:
        items = format_html_join(
            "", "<li>{} — {}</li>", ((admin_link(record), locator) for record, locator in group["rows"])
        )
        more = ""
        if group["total"] > len(group["rows"]):
            rest = group["total"] - len(group["rows"])
            more = (
                format_html(' <a href="{}">and {} more: all on the list</a>', group["all_url"], rest)
                if group["all_url"]
                else format_html(" and {} more", rest)
            )
        parts.append(
            format_html(
                "<p><strong>{} ({})</strong>{}</p><ul>{}</ul>",
                group["label"].capitalize(),
                group["total"],
                more,
                items,
            )
        )
    return format_html_join("", "{}", ((part,) for part in parts))
