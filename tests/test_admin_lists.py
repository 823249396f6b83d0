"""The admin's lists: what they show, how they filter, and that their cost does not grow with the page."""

import datetime
import itertools

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tracker.admin import lists
from tracker.choices import InstrumentKind
from tracker.models import (
    Ban,
    ChangeSet,
    ExportControl,
    Fund,
    Indicator,
    IndicatorCitation,
    InstrumentCitation,
    InstrumentEvent,
    Jurisdiction,
    Lab,
    Organization,
    PilotZone,
    PolicyInstrument,
    Product,
    Scope,
    Source,
    StackLayer,
    StackLayerCitation,
)

pytestmark = pytest.mark.django_db

D = datetime.date
MEASURES = reverse("admin:tracker_policyinstrument_changelist")
_numbers = itertools.count()


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def changelist(model):
    return reverse(f"admin:tracker_{model._meta.model_name}_changelist")


# --- records for the lists, each named with a word the list's search finds ------------------------


def _measure(word, kind="plan", **fields):
    number = next(_numbers)
    values = {
        "title_en": f"{word} measure {number}",
        "title_zh": f"{word} 措施 {number}",
        "kind": kind,
        "issuing_body": Organization.objects.get(slug="cn-miit"),
        "announced": D(2020, 1, 1) + datetime.timedelta(days=number % 1000),
        "announced_precision": "day",
        **fields,
    }
    measure = factories.instrument(**values)
    measure.save()
    measure.layers.add(StackLayer.objects.first())
    citation = InstrumentCitation.objects.create(
        instrument=measure,
        source=Source.objects.first(),
        locator=f"p. {number}",
        quote="A passage.",
        quote_language="en",
    )
    if measure.announced:
        InstrumentEvent.objects.create(
            instrument=measure, kind="announced", date=measure.announced, date_precision="day", citation=citation
        )
    return measure


def _source(word):
    factories.source(title=f"{word} source {next(_numbers)}").save()


def _jurisdiction(word):
    factories.jurisdiction(name_en=f"{word} place {next(_numbers)}", parent=Jurisdiction.objects.get(code="CN")).save()


def _organization(word):
    factories.organization(name_en=f"{word} body {next(_numbers)}").save()


def _indicator(word):
    factories.indicator(subject_en=f"{word} subject {next(_numbers)}").save()


def _product(word):
    number = next(_numbers)
    Product.objects.create(slug=f"product-{number}", name_en=f"{word} chip {number}", kind="chip")


def _changeset(word):
    ChangeSet.objects.create(via="command", source="tests", message=f"{word} change {next(_numbers)}")


def _fund(word):
    Fund.objects.create(instrument=_measure(word, "investment_fund"), amount=1000, currency="CNY")


def _lab(word):
    Lab.objects.create(instrument=_measure(word, "state_lab"), host_city=Jurisdiction.objects.get(code="CN-SH"))


def _pilot_zone(word):
    zone = PilotZone.objects.create(instrument=_measure(word, "pilot_zone"))
    zone.places.add(Jurisdiction.objects.get(code="CN-SH"))


def _export_control(word):
    ExportControl.objects.create(instrument=_measure(word, "export_control"), legal_form="")


def _ban(word):
    ban = Ban.objects.create(instrument=_measure(word, "ban"), legal_form="directive")
    ban.scopes.add(Scope.objects.first())


BUILDERS = {
    PolicyInstrument: lambda word: _measure(word),
    Fund: _fund,
    Lab: _lab,
    PilotZone: _pilot_zone,
    ExportControl: _export_control,
    Ban: _ban,
    Source: _source,
    Jurisdiction: _jurisdiction,
    Organization: _organization,
    Indicator: _indicator,
    Product: _product,
    ChangeSet: _changeset,
}
# The layers of the AI stack are a fixed vocabulary: there cannot be 50 of them.
FIXED = {StackLayer}
TRACKER_LISTS = [model for model in admin.site._registry if model._meta.app_label == "tracker"]


def test_every_tracker_list_has_a_query_count_test():
    assert set(TRACKER_LISTS) - FIXED == set(BUILDERS), "add a builder for the new list below"


def _list_queries(client, model, word):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(changelist(model), {"q": word})
    assert response.status_code == 200
    return len(queries), len(response.context["cl"].result_list)


def _cold_and_kept_queries(client, model, word):
    """The queries of a list page when nothing is kept (its filters' choices read), then of the
    next one (kept: ``tracker.admin.caching``), and the rows the page shows."""
    cache.clear()
    cold, shown = _list_queries(client, model, word)
    kept, _ = _list_queries(client, model, word)
    return cold, kept, shown


@pytest.mark.parametrize("model", BUILDERS, ids=lambda model: model._meta.model_name)
def test_a_list_costs_the_same_queries_for_5_and_for_50_records(analyst_client, model):
    word = f"zq{model._meta.model_name}"
    for _ in range(5):
        BUILDERS[model](word)
    analyst_client.get(changelist(model))  # the session and permissions, loaded once
    few_cold, few, shown = _cold_and_kept_queries(analyst_client, model, word)
    assert shown == 5
    for _ in range(45):
        BUILDERS[model](word)
    many_cold, many, shown = _cold_and_kept_queries(analyst_client, model, word)
    assert shown == 50
    name = model._meta.verbose_name
    assert many == few, f"the {name} list runs queries per row: {few} for 5, {many} for 50"
    assert many_cold == few_cold, f"the {name} list runs queries per row: {few_cold} for 5, {many_cold} for 50"
    expected = LIST_QUERIES[model._meta.model_name]
    if connection.vendor == "postgresql" and model in MEASURE_SEARCHES:
        expected = tuple(count + 1 for count in expected)
    assert (few_cold, few) == expected, f"the {name} list's queries changed"


# What each list costs (a searched page of a logged-in analyst, with the session, the user and
# the permissions, in the tests' transaction): when nothing is kept, and with its filters'
# choices kept. A list with filters whose choices come from tables with history reads those
# tables' data versions (``tracker.admin.caching.data_versions``): one query more than before
# when nothing is kept, and one fewer for each such filter once their choices are kept.
LIST_QUERIES = {
    "policyinstrument": (14, 11),
    "fund": (14, 11),
    "lab": (14, 11),
    "pilotzone": (15, 12),
    "exportcontrol": (13, 11),
    "ban": (15, 13),
    "source": (10, 9),
    "jurisdiction": (9, 9),
    "organization": (11, 10),
    "indicator": (11, 10),
    "product": (11, 10),
    "changeset": (11, 11),
}
# Lists searched through the measures' search, which on PostgreSQL asks the planner first
# whether a word is rare (``SearchTerm.found``): one query more there.
MEASURE_SEARCHES = {PolicyInstrument, Fund, Lab, PilotZone, ExportControl, Ban}


def test_the_stack_layer_list_costs_a_fixed_number_of_queries(analyst_client):
    analyst_client.get(changelist(StackLayer))
    with CaptureQueriesContext(connection) as queries:
        assert analyst_client.get(changelist(StackLayer)).status_code == 200
    assert len(queries) <= 12


# --- the list of measures -----------------------------------------------------------------------


def _listed(client, **params):
    response = client.get(MEASURES, params)
    assert response.status_code == 200
    return response, set(response.context["cl"].queryset.values_list("pk", flat=True))


def _ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_in_force_now_lists_what_in_force_lists_and_no_is_the_rest_but_the_undated(analyst_client):
    _measure("zqundated", announced=None, announced_precision="")
    _, today = _listed(analyst_client, in_force="today")
    assert today == _ids(PolicyInstrument.objects.in_force()) and today
    _, undated = _listed(analyst_client, in_force="dates_unknown")
    assert undated == _ids(PolicyInstrument.objects.dates_unknown()) and undated
    _, not_in_force = _listed(analyst_client, in_force="no")
    assert not_in_force == _ids(PolicyInstrument.objects.all()) - today - undated and not_in_force


@pytest.mark.parametrize("day", ["2017-07-20", "2019-06-01", "2024-10-01"])
def test_in_force_on_a_day_lists_what_in_force_on_that_day_lists(analyst_client, day):
    response, listed = _listed(analyst_client, in_force_on=day)
    assert listed == _ids(PolicyInstrument.objects.in_force(on=D.fromisoformat(day)))
    assert f'value="{day}"' in response.content.decode()


def test_the_in_force_date_box_shows_today_until_a_day_is_chosen(analyst_client):
    response, listed = _listed(analyst_client)
    assert f'name="in_force_on" value="{D.today().isoformat()}"' in response.content.decode()
    assert listed == _ids(PolicyInstrument.objects.all())


def test_a_bad_in_force_date_is_named_and_the_list_left_unfiltered(analyst_client):
    response, listed = _listed(analyst_client, in_force_on="2024-13-45")
    assert listed == _ids(PolicyInstrument.objects.all())
    said = [str(message) for message in response.context["messages"]]
    assert any("In force on" in message and "'2024-13-45'" in message for message in said), said


@pytest.mark.parametrize("field", ["announced", "effective_from", "rescinded"])
def test_a_date_range_lists_the_measures_dated_within_it(analyst_client, field):
    bounds = {f"{field}__range__gte": "2019-01-01", f"{field}__range__lte": "2023-12-31"}
    _, listed = _listed(analyst_client, **bounds)
    expected = PolicyInstrument.objects.filter(**{f"{field}__gte": D(2019, 1, 1), f"{field}__lte": D(2023, 12, 31)})
    assert listed == _ids(expected)
    # One bound alone is a half-open range.
    _, since = _listed(analyst_client, **{f"{field}__range__gte": "2023-01-01"})
    assert since == _ids(PolicyInstrument.objects.filter(**{f"{field}__gte": D(2023, 1, 1)}))


def test_the_date_range_keeps_the_lists_other_filters(analyst_client):
    response, listed = _listed(analyst_client, kind__exact="ban", announced__range__gte="2020-01-01")
    assert listed == _ids(PolicyInstrument.objects.filter(kind="ban", announced__gte=D(2020, 1, 1)))
    assert '<input type="hidden" name="kind__exact" value="ban">' in response.content.decode()


def test_a_bad_date_in_a_range_is_named_with_its_field(analyst_client):
    response, listed = _listed(analyst_client, announced__range__gte="someday")
    assert listed == _ids(PolicyInstrument.objects.all())
    said = [str(message) for message in response.context["messages"]]
    assert any(message.startswith("Announced from:") and "'someday'" in message for message in said), said


def test_citation_count_and_lead_source_come_from_the_measures_citations(analyst_client):
    measure = _measure("zqcited")
    second = factories.source(slug="zq-second-source")
    second.save()
    InstrumentCitation.objects.create(
        instrument=measure, source=second, locator="§2", quote="More.", quote_language="en"
    )
    first_source = measure.citations.order_by("pk").first().source
    response = analyst_client.get(MEASURES, {"q": "zqcited"})
    (row,) = response.context["cl"].result_list
    assert (row.citation_count, row.lead_source) == (2, first_source.slug)
    for shown in PolicyInstrument.objects.all()[:5]:
        listed = response.context["cl"].model_admin.get_queryset(response.wsgi_request).get(pk=shown.pk)
        assert listed.citation_count == shown.citations.count()
    html = response.content.decode()
    assert f'<td class="field-lead_source">{first_source.slug}</td>' in html
    assert '<td class="field-citation_count">2</td>' in html
    assert f'<td class="field-title_zh">{measure.title_zh}</td>' in html


def test_a_measure_without_citations_counts_none(analyst_client):
    measure = _measure("zquncited")
    measure.events.all().delete()
    measure.citations.all().delete()
    (row,) = analyst_client.get(MEASURES, {"q": "zquncited"}).context["cl"].result_list
    assert (row.citation_count, row.lead_source) == (0, None)


def test_the_list_has_no_date_hierarchy_and_no_full_count(analyst_client):
    response = analyst_client.get(MEASURES)
    cl = response.context["cl"]
    assert cl.date_hierarchy is None and cl.full_result_count is None
    assert cl.paginator.count_text == f"{PolicyInstrument.objects.count():,}"


def test_a_count_past_the_limit_is_capped_or_estimated(analyst_client, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_LIMIT", 10)
    total = PolicyInstrument.objects.count()
    filtered = analyst_client.get(MEASURES, {"country": "CN"}).context["cl"]
    assert filtered.paginator.count_text == "10+" and filtered.result_count == 11
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tracker_policyinstrument")
        whole = analyst_client.get(MEASURES).context["cl"]
        assert whole.paginator.count_text == f"about {total:,}"
        assert whole.result_count == total
        assert f"about {total:,} policy instruments" in analyst_client.get(MEASURES).content.decode()


def test_a_searched_list_is_not_counted_but_says_whether_more_pages_follow(analyst_client):
    for _ in range(55):
        _measure("zqpaged")
    first = analyst_client.get(MEASURES, {"q": "zqpaged"})
    cl = first.context["cl"]
    assert cl.paginator.count_text == "50+" and len(cl.result_list) == 50
    assert "50+ results" in first.content.decode()
    second = analyst_client.get(MEASURES, {"q": "zqpaged", "p": 2}).context["cl"]
    assert second.paginator.count_text == "55" and len(second.result_list) == 5
    listed = {row.pk for row in cl.result_list} | {row.pk for row in second.result_list}
    assert listed == _ids(PolicyInstrument.objects.filter(title_en__startswith="zqpaged"))


def test_a_layer_lists_each_measure_on_it_once(analyst_client):
    layer = StackLayer.objects.get(position=StackLayer.objects.order_by("position").values("position")[:1])
    measure = _measure("zqlayered")
    measure.layers.add(*StackLayer.objects.all())
    response, listed = _listed(analyst_client, layers__id__exact=layer.pk)
    assert listed == _ids(PolicyInstrument.objects.filter(layers=layer))
    rows = list(response.context["cl"].queryset.values_list("pk", flat=True))
    assert len(rows) == len(set(rows))


def test_sorting_by_a_column_breaks_ties_by_id_in_the_same_direction(analyst_client):
    columns = len(analyst_client.get(MEASURES).context["cl"].list_display)
    for index in range(1, columns):
        for direction in ("", "-"):
            response = analyst_client.get(MEASURES, {"o": f"{direction}{index}"})
            assert response.status_code == 200
            cl = response.context["cl"]
            ordering = cl.get_ordering(response.wsgi_request, cl.root_queryset)
            # A column that is not sortable leaves the list in the primary key's order.
            assert ordering[-1] in {"slug", f"{direction}pk"} or ordering == ["-pk"], (index, ordering)
    by_title = analyst_client.get(MEASURES, {"o": "2"}).context["cl"]  # the Chinese title: many ties ("")
    expected = PolicyInstrument.objects.order_by("title_zh", "pk").values_list("pk", flat=True)[:50]
    assert [row.pk for row in by_title.result_list] == list(expected)
    backwards = analyst_client.get(MEASURES, {"o": "-2"}).context["cl"]
    expected = PolicyInstrument.objects.order_by("-title_zh", "-pk").values_list("pk", flat=True)[:50]
    assert [row.pk for row in backwards.result_list] == list(expected)


def test_the_measures_of_a_country_include_its_states_and_cities(analyst_client):
    _, listed = _listed(analyst_client, country="US")
    assert listed == _ids(PolicyInstrument.objects.in_country("US"))
    assert any(m.jurisdiction.code != "US" for m in PolicyInstrument.objects.filter(pk__in=listed))


# --- the kinds' detail lists ----------------------------------------------------------------------


def _detail_ids(client, model, **params):
    response = client.get(changelist(model), params)
    assert response.status_code == 200
    return response, set(response.context["cl"].queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("model", [Fund, Lab, PilotZone, ExportControl, Ban], ids=lambda m: m._meta.model_name)
def test_a_detail_list_shows_and_filters_by_its_measures_jurisdiction_issuer_dates_and_status(analyst_client, model):
    response, everything = _detail_ids(analyst_client, model)
    html = response.content.decode()
    for column in ("jurisdiction", "issuer", "announced", "effective_from", "status"):
        assert f"column-{column}" in html, column
    _, us = _detail_ids(analyst_client, model, country="US")
    assert us == _ids(model.objects.filter(instrument__in=PolicyInstrument.objects.in_country("US")))
    _, cn = _detail_ids(analyst_client, model, country="CN")
    assert cn == _ids(model.objects.filter(instrument__in=PolicyInstrument.objects.in_country("CN")))
    assert us | cn <= everything and us or cn
    status = model.objects.values_list("instrument__status", flat=True).first()
    _, by_status = _detail_ids(analyst_client, model, instrument__status__exact=status)
    assert by_status == _ids(model.objects.filter(instrument__status=status)) and by_status
    _, in_force = _detail_ids(analyst_client, model, in_force="today")
    assert in_force == _ids(model.objects.filter(instrument__in=PolicyInstrument.objects.in_force()))
    jurisdiction = model.objects.values_list("instrument__jurisdiction", flat=True).first()
    _, here = _detail_ids(analyst_client, model, instrument__jurisdiction__id__exact=jurisdiction)
    assert here == _ids(model.objects.filter(instrument__jurisdiction=jurisdiction)) and here


def test_the_ban_list_filters_by_scope_and_legal_form(analyst_client):
    scope = Scope.objects.filter(bans__isnull=False).first()
    _, listed = _detail_ids(analyst_client, Ban, scopes__id__exact=scope.pk)
    assert listed == _ids(Ban.objects.filter(scopes=scope)) and listed
    form = Ban.objects.values_list("legal_form", flat=True).first()
    _, listed = _detail_ids(analyst_client, Ban, legal_form__exact=form)
    assert listed == _ids(Ban.objects.filter(legal_form=form)) and listed


def test_the_export_control_list_filters_by_kind_and_publication_dates(analyst_client):
    _, listings = _detail_ids(analyst_client, ExportControl, instrument__kind__exact="entity_listing")
    assert listings == _ids(ExportControl.objects.filter(instrument__kind="entity_listing"))
    _, published = _detail_ids(analyst_client, ExportControl, published_on__range__gte="2022-01-01")
    assert published == _ids(ExportControl.objects.filter(published_on__gte=D(2022, 1, 1)))


def test_the_fund_list_filters_by_currency(analyst_client):
    currency = Fund.objects.exclude(currency="").values_list("currency", flat=True).first()
    _, listed = _detail_ids(analyst_client, Fund, currency=currency)
    assert listed == _ids(Fund.objects.filter(currency=currency)) and listed


def test_the_lab_and_pilot_zone_lists_filter_by_place(analyst_client):
    lab = Lab.objects.exclude(host_city=None).first()
    _, listed = _detail_ids(analyst_client, Lab, host_city__id__exact=lab.host_city_id)
    assert listed == _ids(Lab.objects.filter(host_city=lab.host_city_id)) and listed
    place = PilotZone.objects.values_list("places", flat=True).first()
    _, listed = _detail_ids(analyst_client, PilotZone, places__id__exact=place)
    assert listed == _ids(PilotZone.objects.filter(places=place)) and listed


# --- a source's page lists what cites it ----------------------------------------------------------


def test_a_source_page_lists_every_record_citing_it_each_linked(analyst_client):
    source = factories.source(slug="zq-cited-everywhere", title="Cited everywhere")
    source.save()
    measure = _measure("zqsourced")
    InstrumentCitation.objects.create(
        instrument=measure, source=source, locator="p. 3", quote="Q.", quote_language="en"
    )
    layer = StackLayer.objects.first()
    StackLayerCitation.objects.create(layer=layer, source=source, locator="fig. 1", quote="Q.", quote_language="en")
    indicator = Indicator.objects.first()
    IndicatorCitation.objects.create(
        indicator=indicator, source=source, locator="table 2", quote="Q.", quote_language="en"
    )
    html = analyst_client.get(reverse("admin:tracker_source_change", args=[source.pk])).content.decode()
    for record, locator in ((measure, "p. 3"), (layer, "fig. 1"), (indicator, "table 2")):
        url = reverse(f"admin:tracker_{record._meta.model_name}_change", args=[record.pk])
        assert f'<a href="{url}">' in html and locator in html, record


def test_a_much_cited_source_lists_the_first_and_links_to_all_on_the_list(analyst_client, monkeypatch):
    monkeypatch.setattr(lists, "CITING_SHOWN", 2)
    most_cited = InstrumentCitation.objects.values("source").annotate(n=Count("pk")).order_by("-n").first()
    source = Source.objects.get(pk=most_cited["source"])
    cited = InstrumentCitation.objects.filter(source=source).count()
    assert cited > 2
    html = analyst_client.get(reverse("admin:tracker_source_change", args=[source.pk])).content.decode()
    assert f"and {cited - 2} more" in html
    _, listed = _listed(analyst_client, cited_source=source.pk)
    assert listed == _ids(PolicyInstrument.objects.filter(citations__source=source))


def test_a_source_page_costs_the_same_queries_however_often_it_is_cited(analyst_client):
    source = factories.source(slug="zq-counted")
    source.save()
    url = reverse("admin:tracker_source_change", args=[source.pk])

    def cite(number):
        for _ in range(number):
            measure = _measure("zqcount")
            InstrumentCitation.objects.create(
                instrument=measure, source=source, locator="p. 1", quote="Q.", quote_language="en"
            )

    cite(2)
    analyst_client.get(url)
    with CaptureQueriesContext(connection) as few:
        analyst_client.get(url)
    cite(20)
    with CaptureQueriesContext(connection) as many:
        analyst_client.get(url)
    assert len(many) == len(few)


# --- the rows and filters are Django's, written in fewer steps (tracker.admin.rows) ---------------


def _rendered_list(client, model, params, language="en"):
    """A list page's changelist, after the tracker has rendered it, and the page's HTML."""
    word = f"zqrow{model._meta.model_name}"
    if model in BUILDERS:
        for _ in range(3):
            BUILDERS[model](word)
    response = client.get(changelist(model), params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.context["cl"], response.content.decode()


@pytest.mark.parametrize(
    "params, language",
    [({}, "en"), ({"q": "zqrow", "o": "-1"}, "zh-hant")],
    ids=["unfiltered", "searched-sorted-in-chinese"],
)
@pytest.mark.parametrize("model", TRACKER_LISTS, ids=lambda model: model._meta.model_name)
def test_a_lists_rows_are_the_rows_django_would_render(analyst_client, model, params, language):
    from django.contrib.admin.templatetags.admin_list import items_for_result
    from django.utils import translation

    from tracker.admin.rows import rows

    cl, html = _rendered_list(analyst_client, model, params, language)
    assert cl.result_list or params.get("q"), "a list to compare"
    with translation.override(language):
        ours = ["".join(row) for row in rows(cl)]
        django = ["".join(items_for_result(cl, result, None)) for result in cl.result_list]
    assert ours == django
    if model is not ChangeSet:  # the change sets' list keeps Django's own template
        assert all(f"<tr>{row}</tr>" in html for row in ours)


@pytest.mark.parametrize("language", ["en", "zh-hant"])
@pytest.mark.parametrize(
    "model, params",
    [
        (PolicyInstrument, {}),
        (PolicyInstrument, {"kind__exact": "plan", "status__exact": "in_force", "o": "2"}),
        (PolicyInstrument, {"jurisdiction__id__exact": "1", "in_force": "today"}),
        (Ban, {"country": "CN"}),
        (Fund, {}),
        (Indicator, {}),
        (Source, {"language": "en"}),
    ],
    ids=lambda value: getattr(value, "__name__", None) or ",".join(value) or "-",
)
def test_a_lists_filters_are_the_filters_django_would_render(analyst_client, model, params, language):
    from django.contrib.admin.templatetags.admin_list import admin_list_filter
    from django.template.loader import get_template
    from django.utils import translation

    from tracker.admin.rows import DJANGO_FILTER_TEMPLATE, QUICK_FILTER_TEMPLATE

    cl, html = _rendered_list(analyst_client, model, params, language)
    quick = [spec for spec in cl.filter_specs if spec.template == QUICK_FILTER_TEMPLATE]
    assert quick, "filters drawn in one step"
    with translation.override(language):
        for spec in quick:
            ours = admin_list_filter(cl, spec)
            django = get_template(DJANGO_FILTER_TEMPLATE).render(
                {"title": spec.title, "choices": list(spec.choices(cl)), "spec": spec}
            )
            assert ours == django, spec.title
            assert ours in html


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_choice_label_is_the_one_django_displays(language):
    from django.utils import translation

    from tracker.admin.rows import choice_label
    from tracker.choices import InstrumentStatus

    measure = PolicyInstrument(title_en="x")
    with translation.override(language):
        for status in [*InstrumentStatus.values, "not-a-status"]:
            measure.status = status
            assert choice_label(measure, "status") == measure.get_status_display()
        assert choice_label(measure, "status") == "not-a-status"


@pytest.mark.parametrize("data", [None, {"day": "2020-01-31"}, {"day": ""}, {"day": "<bad>"}, {"day": "2020-02-30"}])
def test_a_date_box_is_the_one_django_renders(data, monkeypatch):
    from django import forms
    from django.forms.boundfield import BoundField

    from tracker.templatetags.tracker_lists import tracker_date_input

    class Boxes(forms.Form):
        day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    django = str(Boxes(data)["day"])
    field = Boxes(data)["day"]
    if not field.errors:  # a plain box is written without the widget's templates
        monkeypatch.setattr(BoundField, "as_widget", lambda *args, **kwargs: pytest.fail("rendered by Django"))
    assert tracker_date_input(field) == django


@pytest.mark.parametrize(
    "model, params",
    [
        (PolicyInstrument, {"q": "zqpaged"}),
        (PolicyInstrument, {"q": "zqpaged", "kind__exact": "ban", "o": "-1"}),
        (PolicyInstrument, {"q": "zqpaged", "o": "-1", "p": "2"}),
        (PolicyInstrument, {"kind__exact": "ban", "o": "7.-2", "p": "2"}),
        (Ban, {"q": "zqpaged", "p": "2"}),
        (Ban, {"country": "CN", "o": "-4"}),
    ],
    ids=lambda value: getattr(value, "__name__", None) or ",".join(f"{k}={v}" for k, v in value.items()),
)
def test_a_pages_rows_are_read_by_id_in_the_lists_order_with_their_columns(analyst_client, monkeypatch, model, params):
    monkeypatch.setattr(type(admin.site._registry[model]), "list_per_page", 5)
    for number in range(8):
        BUILDERS[model]("zqpaged") if model is Ban else _measure("zqpaged", kind=("ban", "plan")[number % 2])
    response = analyst_client.get(changelist(model), params)
    cl = response.context["cl"]
    assert isinstance(cl.result_list, list), "the page's rows read by their ids"
    offset = (int(params.get("p", 1)) - 1) * 5
    expected = list(cl.queryset.values_list("pk", flat=True)[offset : offset + 5])
    assert expected and [row.pk for row in cl.result_list] == expected
    if model is PolicyInstrument:
        counted = dict(cl.queryset.filter(pk__in=expected).values_list("pk", "citation_count"))
        assert {row.pk: row.citation_count for row in cl.result_list} == counted


@pytest.mark.parametrize("links", [None, (), ("id", "kind")])
def test_any_kind_of_column_is_rendered_as_django_renders_it(analyst, rf, links):
    """Columns the tracker's lists do not have yet: a model's method and ``__str__``, the id, a
    callable, a yes/no method, a decimal, a missing related record, a date or time value, blank text."""
    import decimal

    from django.contrib.admin.templatetags.admin_list import items_for_result
    from django.core.exceptions import ObjectDoesNotExist

    from tracker.admin.rows import rows

    _measure("zqcolumns", title_zh=" ")
    _measure("zqcolumns", announced=None, announced_precision="")

    def missing(obj):
        raise ObjectDoesNotExist

    class Columns(admin.ModelAdmin):
        list_display = (
            "__str__",
            "id",
            "kind",
            "jurisdiction",
            "announced",
            "title_zh",
            lambda obj: obj.slug,
            "yes",
            "amount",
            "missing",
            "created",
            "existing_detail",
        )
        list_display_links = links
        search_fields = ("title_en",)

        @admin.display(boolean=True)
        def yes(self, obj):
            return obj.pk % 2 == 0

        @admin.display(empty_value="nothing")
        def amount(self, obj):
            return decimal.Decimal("1.00") if obj.pk % 2 else decimal.Decimal("1.0")

        def missing(self, obj):
            return missing(obj)

    request = rf.get(MEASURES, {"q": "zqcolumns"})
    request.user = analyst
    cl = Columns(PolicyInstrument, admin.site).get_changelist_instance(request)
    cl.formset = None  # as the list's view sets it when no column is editable
    assert len(cl.result_list) == 2
    django = ["".join(items_for_result(cl, result, None)) for result in cl.result_list]
    assert ["".join(row) for row in rows(cl)] == django


def test_a_pop_up_list_keeps_djangos_rows_and_their_opener(analyst_client):
    measure = _measure("zqpopup")
    response = analyst_client.get(MEASURES, {"_popup": "1", "_to_field": "id", "q": "zqpopup"})
    assert response.status_code == 200
    assert f'data-popup-opener="{measure.pk}"' in response.content.decode()


# --- in a real browser, under the tracker's Content Security Policy ---------------------------------


@pytest.fixture
def page(browser, tracker_url):
    from tests.browser import ANALYST_PASSWORD, logged_in_page

    page = logged_in_page(browser, tracker_url, "analyst", ANALYST_PASSWORD)
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security" in message.text else None)
    page.refused_by_policy = refused
    yield page
    page.context.close()


def test_the_date_filters_work_in_a_browser_and_keep_the_lists_other_filters(page):
    import re

    from playwright.sync_api import expect

    page.goto(f"{MEASURES}?kind__exact=ban")
    dated = page.locator("form:has(input[name=announced__range__gte])")
    dated.locator("input[name=announced__range__gte]").fill("2023-01-01")
    dated.locator("input[name=announced__range__lte]").fill("2025-12-31")
    dated.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"announced__range__gte=2023-01-01"))
    assert "kind__exact=ban" in page.url and "announced__range__lte=2025-12-31" in page.url
    kinds = page.locator("td.field-kind")
    expect(kinds.first).to_be_visible()
    assert set(kinds.all_inner_texts()) == {str(InstrumentKind.BAN.label)}
    dates = page.locator("td.field-announced_display").all_inner_texts()
    years = [int(re.search(r"\d{4}", text).group()) for text in dates]
    assert years and all(2023 <= year <= 2025 for year in years), years

    in_force = page.locator("form:has(input[name=in_force_on])")
    in_force.locator("input[type=date][name=in_force_on]").fill("2024-06-01")
    in_force.locator("input[type=submit]").click()
    expect(page).to_have_url(re.compile(r"in_force_on=2024-06-01"))
    assert "kind__exact=ban" in page.url and "announced__range__gte=2023-01-01" in page.url
    expect(page.locator("input[type=date][name=in_force_on]")).to_have_value("2024-06-01")
    # The other filters' forms and the search carry the day along.
    expect(page.locator("#changelist-search input[name=in_force_on]")).to_have_value("2024-06-01")
    assert page.refused_by_policy == []
