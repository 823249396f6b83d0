"""The admin's front page: what the tracker holds, what changed lately and by whom, what
waits for review, and when the measures were taken, China beside the United States.

Every panel is read in a fixed number of queries, whatever the number of records: the
counts in one grouped query, the recent changes in three, the review queue in one (a
UNION over the reviewed models) and the timeline in two.  With more than
``TIMELINE_MARK_LIMIT`` dated measures the timeline shows one mark per country and
quarter, sized by its count, instead of one mark per measure.
"""

import datetime
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.db.models import CharField, Count, F, IntegerField, Value, Window
from django.db.models.functions import Cast, Coalesce, RowNumber, Substr, TruncQuarter
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from tracker.choices import ChangeVia, EditorialState, InstrumentKind, InstrumentStatus
from tracker.models import ChangeSet, PolicyInstrument, StackLayer, record_models
from tracker.models.base import ReviewedModel
from tracker.services.records import history_model

RECENT_DAYS = 7
RECENT_LIMIT = 15
MEASURES_PER_CHANGE = 3
QUEUE_LIMIT = 20
TIMELINE_MARK_LIMIT = 300
COUNTRIES = (("CN", gettext_lazy("China")), ("US", gettext_lazy("United States")))

# The field that names a reviewed record in the review queue, per model.
QUEUE_LABELS = {
    "jurisdiction": "name_en",
    "organization": "name_en",
    "source": "title",
    "product": "name_en",
    "stacklayer": "name_en",
    "policyinstrument": "title_en",
    "indicator": "subject_en",
}


def _changelist(model, **filters):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def _change_page(model_name, pk):
    return reverse(f"admin:tracker_{model_name}_change", args=[pk])


def _may_view(request, model):
    model_admin = admin.site._registry.get(model)
    return model_admin is not None and model_admin.has_view_permission(request)


def in_language(english, chinese):
    """A record's Chinese name on a page in Chinese (when it has one), else its English name."""
    return chinese if chinese and (get_language() or "").startswith("zh") else english


def timeline_date():
    """A measure's place on the timeline: its announcement, else the day it took effect."""
    return Coalesce("announced", "effective_from")


def country_of_jurisdiction():
    """The country part of a jurisdiction code (``US-TX`` → ``US``)."""
    return Substr("jurisdiction__code", 1, 2)


# --- counts ---------------------------------------------------------------------------


@dataclass
class Tally:
    label: str
    count: int
    url: str


def measure_counts():
    """Measures by kind, by status and by editorial state, from one grouped query."""
    by_kind, by_status, by_state = Counter(), Counter(), Counter()
    rows = PolicyInstrument.objects.values_list("kind", "status", "editorial_state").annotate(n=Count("pk")).order_by()
    for kind, status, state, number in rows:
        by_kind[kind] += number
        by_status[status] += number
        by_state[state] += number

    def tallies(choices, counts, parameter):
        return [
            Tally(choice.label, counts.get(choice.value, 0), _changelist(PolicyInstrument, **{parameter: choice.value}))
            for choice in choices
        ]

    return {
        "total": sum(by_kind.values()),
        "url": _changelist(PolicyInstrument),
        "groups": [
            (_("by kind"), tallies(InstrumentKind, by_kind, "kind__exact")),
            (_("by status"), tallies(InstrumentStatus, by_status, "status__exact")),
            (_("by editorial state"), tallies(EditorialState, by_state, "editorial_state__exact")),
        ],
    }


# --- recent changes ---------------------------------------------------------------------


@dataclass
class RecentChange:
    changeset: ChangeSet
    url: str
    measures: list = field(default_factory=list)
    more: int = 0  # measures written besides those listed


def recent_changes(request, now=None):
    """Change sets of the last ``RECENT_DAYS`` days, newest first, with the measures each touched."""
    since = (now or timezone.now()) - datetime.timedelta(days=RECENT_DAYS)
    recent = ChangeSet.objects.filter(created__gte=since)
    authors = Counter()
    by_author = recent.values_list("username", "source", "via").annotate(n=Count("pk")).order_by()
    for username, source, via, number in by_author:
        authors[username or source or ChangeVia(via).label] += number
    changes = [
        RecentChange(changeset, reverse("admin:tracker_changeset_change", args=[changeset.pk]))
        for changeset in recent.order_by("-created", "-id")[:RECENT_LIMIT]
    ]
    if changes and _may_view(request, PolicyInstrument):
        by_changeset = {change.changeset.pk: change for change in changes}
        # The first few measures of each change set, and how many it wrote: a fixture file's
        # sync writes hundreds in one change set.
        touched = (
            history_model(PolicyInstrument)
            .objects.filter(changeset_id__in=by_changeset)
            .annotate(
                # Unordered within the change set, so the rows come as the changeset index gives
                # them, unsorted: any three of a sync's hundred thousand.
                place=Window(RowNumber(), partition_by=[F("changeset_id")]),
                written=Window(Count("*"), partition_by=[F("changeset_id")]),
            )
            .filter(place__lte=MEASURES_PER_CHANGE)
            .values_list("changeset_id", "id", "title_en", "title_zh", "written")
            .order_by()
        )
        for changeset_id, pk, title_en, title_zh, written in touched:
            change = by_changeset[changeset_id]
            link = (in_language(title_en, title_zh), _change_page("policyinstrument", pk))
            if link not in change.measures:
                change.measures.append(link)
            change.more = written - len(change.measures)
    return {
        "days": RECENT_DAYS,
        "total": sum(authors.values()),
        "authors": sorted(authors.items(), key=lambda item: (-item[1], item[0])),
        "changes": changes,
    }


# --- review queue -------------------------------------------------------------------------


def reviewed_models():
    return [model for model in record_models() if issubclass(model, ReviewedModel)]


def review_queue(request):
    """Records waiting for review, of every reviewed model the user may view, in one query."""
    parts = []
    for model in reviewed_models():
        name = model._meta.model_name
        if name not in QUEUE_LABELS or not _may_view(request, model):
            continue
        parts.append(
            model.objects.filter(editorial_state=EditorialState.IN_REVIEW)
            .annotate(
                record_id=Cast("pk", IntegerField()),
                label=Cast(QUEUE_LABELS[name], CharField()),
                model_name=Value(name, output_field=CharField()),
                changed=F("updated"),
            )
            .values_list("record_id", "label", "model_name", "changed")
            .order_by()
        )
    if not parts:
        return None
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    rows = list(union.order_by("-changed", "model_name", "record_id")[: QUEUE_LIMIT + 1])
    verbose = {model._meta.model_name: model._meta.verbose_name for model in reviewed_models()}
    return {
        "records": [
            {"label": label, "model": verbose[name], "changed": changed, "url": _change_page(name, pk)}
            for pk, label, name, changed in rows[:QUEUE_LIMIT]
        ],
        "more": len(rows) > QUEUE_LIMIT,
    }


# --- timeline -------------------------------------------------------------------------------


class Timeline:
    """Measures by date, one lane per country, as coordinates for an inline SVG."""

    width = 960
    left = 130
    right = 20
    top = 10
    lane_height = 80
    axis_height = 30
    dot = 3.5

    def __init__(self, marks_limit=None):
        marks_limit = TIMELINE_MARK_LIMIT if marks_limit is None else marks_limit
        dated = PolicyInstrument.objects.annotate(on=timeline_date(), country=country_of_jurisdiction()).filter(
            on__isnull=False, country__in=[code for code, _name in COUNTRIES]
        )
        self.buckets = list(
            dated.annotate(period=TruncQuarter("on"))
            .values_list("country", "period")
            .annotate(measures=Count("pk"))
            .order_by("country", "period")
        )
        self.total = sum(number for _country, _period, number in self.buckets)
        measures = list(dated.values_list("pk", "title_en", "title_zh", "on", "country", "kind")[: marks_limit + 1])
        self.individual = len(measures) <= marks_limit
        self.measures = measures if self.individual else []

    @property
    def height(self):
        return self.top + self.lane_height * len(COUNTRIES) + self.axis_height

    def _span(self):
        periods = [_as_date(period) for _country, period, _number in self.buckets]
        first, last = min(periods).year, max(periods).year
        return datetime.date(first, 1, 1), datetime.date(last + 1, 1, 1)

    def x(self, day, start, end):
        share = (day - start).days / max((end - start).days, 1)
        return round(self.left + share * (self.width - self.left - self.right), 1)

    def lanes(self):
        lanes = []
        for index, (code, name) in enumerate(COUNTRIES):
            top = self.top + index * self.lane_height
            lanes.append({"code": code, "name": name, "top": top, "middle": top + self.lane_height / 2})
        return lanes

    def years(self, start, end):
        step = max(1, math.ceil((end.year - start.year) / 16))
        return [
            {"year": year, "x": self.x(datetime.date(year, 1, 1), start, end)}
            for year in range(start.year, end.year + 1)
            if (year - start.year) % step == 0
        ]

    def marks(self, start, end):
        lanes = {lane["code"]: lane for lane in self.lanes()}
        changelist = reverse("admin:tracker_policyinstrument_changelist")
        marks = []
        if self.individual:
            # Measures of the same month stack upwards in their lane, then beside each other.
            stacks = defaultdict(int)
            per_column = int((self.lane_height - 10) // (2 * self.dot + 1))
            for pk, title_en, title_zh, day, country, kind in sorted(self.measures, key=lambda row: (row[3], row[1])):
                title = in_language(title_en, title_zh)
                place = stacks[(country, day.year, day.month)]
                stacks[(country, day.year, day.month)] += 1
                lane = lanes[country]
                marks.append(
                    {
                        "x": self.x(day, start, end) + (place // per_column) * (2 * self.dot + 1),
                        "y": lane["top"] + self.lane_height - 6 - (place % per_column) * (2 * self.dot + 1),
                        "r": self.dot,
                        "url": _change_page("policyinstrument", pk),
                        "title": f"{title} — {day.isoformat()} ({InstrumentKind(kind).label})",
                    }
                )
            return marks
        largest = max(number for _country, _period, number in self.buckets)
        for country, period, number in self.buckets:
            period = _as_date(period)
            quarter = (period.month - 1) // 3 + 1
            middle = period + datetime.timedelta(days=45)
            lane = lanes[country]
            name = dict(COUNTRIES)[country]
            marks.append(
                {
                    "x": self.x(middle, start, end),
                    "y": lane["middle"],
                    "r": round(2 + (self.lane_height / 2 - 4) * math.sqrt(number / largest), 1),
                    "url": f"{changelist}?{urlencode({'country': country, 'dated': f'{period.year}-Q{quarter}'})}",
                    "title": _("%(country)s, %(year)s Q%(quarter)s: %(count)s measures")
                    % {"country": name, "year": period.year, "quarter": quarter, "count": number},
                }
            )
        return marks

    def as_context(self):
        if not self.buckets:
            return {"total": 0}
        start, end = self._span()
        return {
            "total": self.total,
            "individual": self.individual,
            "width": self.width,
            "height": self.height,
            "left": self.left,
            "right_edge": self.width - self.right,
            "plot_width": self.width - self.left - self.right,
            "lane_height": self.lane_height,
            "axis_y": self.top + self.lane_height * len(COUNTRIES),
            "lanes": self.lanes(),
            "years": self.years(start, end),
            "marks": self.marks(start, end),
        }


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value


PERIOD = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4])|-(?P<month>\d{2}))?$")


def period_bounds(text):
    """The first day of a period and the first day after it, from ``2020``, ``2020-Q3`` or ``2020-07``."""
    match = PERIOD.match(text or "")
    if not match:
        return None
    year = int(match["year"])
    if match["quarter"]:
        first_month, months = 3 * (int(match["quarter"]) - 1) + 1, 3
    elif match["month"]:
        first_month, months = int(match["month"]), 1
        if not 1 <= first_month <= 12:
            return None
    else:
        first_month, months = 1, 12
    start = datetime.date(year, first_month, 1)
    after = first_month - 1 + months
    return start, datetime.date(year + after // 12, after % 12 + 1, 1)


class TimelinePeriodFilter(admin.SimpleListFilter):
    """Measures whose place on the timeline (announced, else took effect) lies in a period:
    ``dated=2020``, ``2020-Q3`` or ``2020-07``; the timeline's quarter marks link here."""

    title = gettext_lazy("announced, else took effect")
    parameter_name = "dated"

    def lookups(self, request, model_admin):
        # Only the period asked for is offered: the filter is reached from the timeline.  A
        # filter without choices is not applied, so a period that cannot be read is offered
        # too, and refused in ``queryset``.
        value = self.value()
        return [(value, value)] if value else []

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        bounds = period_bounds(self.value())
        if bounds is None:
            messages.error(
                request,
                _("Filter “%(name)s”: “%(value)s” is not a year (2025), a quarter (2025-Q3) or a month (2025-07).")
                % {"name": self.parameter_name, "value": self.value()},
            )
            return queryset.none()
        start, after = bounds
        return queryset.alias(on=timeline_date()).filter(on__gte=start, on__lt=after)


# --- the page ---------------------------------------------------------------------------------


def dashboard(request):
    """Everything the front page shows the user, each panel only with the permission to view it."""
    measures_visible = _may_view(request, PolicyInstrument)
    context = {
        "counts": measure_counts() if measures_visible else None,
        "recent": recent_changes(request) if _may_view(request, ChangeSet) else None,
        "queue": review_queue(request),
        "timeline": Timeline().as_context() if measures_visible else None,
    }
    if _may_view(request, StackLayer) and measures_visible:
        context["matrix_url"] = reverse("admin:tracker_stacklayer_matrix")
    return context
