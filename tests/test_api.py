"""The read side of the REST API (/api/v1/): filters, kind lists, details, summaries and
expansion, facets, cursor pages, time axes, the change feed, ETags, visibility and throttling.

Every filter is compared with the equivalent ORM query, so a result is exact, not merely
plausible.  Records are changed through ``tracker.services`` (as the admin and the API do).
"""

import datetime
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from tracker.api.shapes import INSTRUMENTS, RESOURCES, plain
from tracker.api.views import KIND_LISTS
from tracker.models import (
    DETAIL_MODELS,
    Fund,
    Indicator,
    InstrumentCitation,
    Jurisdiction,
    Organization,
    PolicyInstrument,
    Product,
    Source,
    StackLayer,
)
from tracker.services import (
    Actor,
    ChildChange,
    delete_record,
    publish,
    save_record,
    submit_for_review,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
BASE = "http://testserver"


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def as_analyst(analyst):
    client = APIClient()
    client.force_authenticate(analyst)
    return client


def fixtures_actor():
    """Writes as a reviewed fixture file makes them: published at once, as the seed data is."""
    return Actor.fixtures("tests/test_api.py")


def get_json(client, url, params=None, status=200):
    response = client.get(url, params)
    assert response.status_code == status, f"GET {url} {params}: {response.status_code} {response.content[:500]!r}"
    return response.json()


def walk(client, url, params=None, direction="next", limit=200):
    """Every page from ``url`` following ``direction`` links, as a list of page bodies."""
    pages = [get_json(client, url, params)]
    while pages[-1][direction] is not None:
        assert len(pages) < limit, "the pages never end"
        pages.append(get_json(client, pages[-1][direction]))
    return pages


def keys(items, key="slug"):
    return [item[key] for item in items]


def all_items(client, url, params=None):
    return [item for page in walk(client, url, {"page_size": 500, **(params or {})}) for item in page["results"]]


def slugs(queryset):
    return list(queryset.order_by("slug").values_list("slug", flat=True).distinct())


def pause():
    """Let the clock move on, so that a moment falls strictly between two writes (``updated``
    is kept to the millisecond)."""
    time.sleep(0.005)


def moment_between():
    pause()
    moment = timezone.now()
    pause()
    return moment


def under(path, code):
    """A jurisdiction and everything under it, by the parent links (not by the code's prefix)."""
    return (
        Q(**{f"{path}__code": code})
        | Q(**{f"{path}__parent__code": code})
        | Q(**{f"{path}__parent__parent__code": code})
    )


def edit(record, actor, **values):
    for name, value in values.items():
        setattr(record, name, value)
    save_record(record=record, actor=actor)
    return record


# --- instrument filters ----------------------------------------------------------------------

INSTRUMENT_FILTERS = [
    ({"kind": "ban"}, Q(kind="ban")),
    ({"kind": ["ban", "export_control", "entity_listing"]}, Q(kind__in=["ban", "export_control", "entity_listing"])),
    ({"status": "rescinded"}, Q(status="rescinded")),
    ({"status": ["proposed", "unknown"]}, Q(status__in=["proposed", "unknown"])),
    ({"layer": "chips"}, Q(layers__code="chips")),
    ({"layer": "capital"}, Q(layers__code="capital")),
    ({"jurisdiction": "US"}, under("jurisdiction", "US")),
    ({"jurisdiction": "US-TX"}, under("jurisdiction", "US-TX")),
    ({"jurisdiction": "CN"}, under("jurisdiction", "CN")),
    ({"jurisdiction": "CN-GD"}, under("jurisdiction", "CN-GD")),
    ({"jurisdiction": "CN-SH"}, under("jurisdiction", "CN-SH")),
    ({"affected_jurisdiction": "CN"}, under("affected_jurisdictions", "CN")),
    ({"affected_jurisdiction": "MY"}, under("affected_jurisdictions", "MY")),
    (
        {"issuing_body": "cn-national-data-administration"},
        Q(issuing_body__slug="cn-national-data-administration") | Q(co_issuers__slug="cn-national-data-administration"),
    ),
    ({"issuing_body": "cn-ndrc"}, Q(issuing_body__slug="cn-ndrc") | Q(co_issuers__slug="cn-ndrc")),
    ({"issuing_body": "us-bis"}, Q(issuing_body__slug="us-bis") | Q(co_issuers__slug="us-bis")),
    ({"target": "deepseek"}, Q(targets__slug="deepseek")),
    ({"target": "huawei"}, Q(targets__slug="huawei")),
    ({"product": "deepseek-app"}, Q(products__slug="deepseek-app")),
    ({"product": "webull"}, Q(products__slug="webull")),
    ({"announced_after": "2025-02-01"}, Q(announced__gte=datetime.date(2025, 2, 1))),
    ({"announced_before": "2025-01-31"}, Q(announced__lte=datetime.date(2025, 1, 31))),
    (
        {"announced_after": "2025-01-01", "announced_before": "2025-01-31"},
        Q(announced__gte=datetime.date(2025, 1, 1), announced__lte=datetime.date(2025, 1, 31)),
    ),
    ({"effective_after": "2021-01-01"}, Q(effective_from__gte=datetime.date(2021, 1, 1))),
    ({"effective_before": "2019-12-31"}, Q(effective_from__lte=datetime.date(2019, 12, 31))),
    (
        {"jurisdiction": "US", "kind": "ban", "target": "deepseek", "announced_after": "2025-02-01"},
        under("jurisdiction", "US") & Q(kind="ban", targets__slug="deepseek", announced__gte=datetime.date(2025, 2, 1)),
    ),
]


@pytest.mark.parametrize(("params", "condition"), INSTRUMENT_FILTERS, ids=lambda value: str(value)[:60])
def test_each_instrument_filter_returns_exactly_what_the_orm_query_returns(anon, params, condition):
    expected = slugs(PolicyInstrument.objects.filter(condition))
    assert expected, "the seed data should hold a measure for this filter, or the test proves nothing"
    assert keys(all_items(anon, f"{API}/instruments/", params)) == expected


def test_a_country_includes_its_states_and_cities(anon):
    us = keys(all_items(anon, f"{API}/instruments/", {"jurisdiction": "US"}))
    assert {"us-tx-deepseek-ban", "us-ny-deepseek-ban", "us-dod-deepseek-ban"} <= set(us)
    assert not any(slug.startswith("cn-") for slug in us)
    china = keys(all_items(anon, f"{API}/instruments/", {"jurisdiction": "CN"}))
    assert {"cn-ai-pilot-zone-shenzhen", "cn-ai-application-pilot-zone-shanghai-pudong", "cn-big-fund-iii"} <= set(
        china
    )
    texas = keys(all_items(anon, f"{API}/instruments/", {"jurisdiction": "US-TX"}))
    assert texas == ["us-tx-deepseek-ban"]


def test_issuing_body_finds_a_co_issuer_as_well_as_the_lead(anon):
    found = keys(all_items(anon, f"{API}/instruments/", {"issuing_body": "cn-national-data-administration"}))
    assert "cn-national-integrated-computing-network" in found  # the NDA is its co-issuer, the NDRC its lead
    assert "cn-national-integrated-computing-network" in keys(
        all_items(anon, f"{API}/instruments/", {"issuing_body": "cn-ndrc"})
    )


@pytest.mark.parametrize("day", ["2019-06-01", "2025-03-01", "2025-06-01", "2025-09-28", "2025-09-29"])
def test_in_force_on_returns_the_measures_in_force_that_day(anon, day):
    expected = slugs(PolicyInstrument.objects.in_force(on=datetime.date.fromisoformat(day)))
    assert keys(all_items(anon, f"{API}/instruments/", {"in_force_on": day})) == expected


def test_in_force_on_leaves_out_rescinded_and_later_measures(anon):
    before = keys(all_items(anon, f"{API}/instruments/", {"in_force_on": "2025-03-01"}))
    after = keys(all_items(anon, f"{API}/instruments/", {"in_force_on": "2025-06-01"}))
    assert "us-bis-2025-ai-diffusion-rule" in before and "us-bis-2025-ai-diffusion-rule" not in after
    assert "us-la-deepseek-ban" not in before and "us-la-deepseek-ban" not in after  # from 29 September 2025


@pytest.fixture
def funds_in_dollars():
    """Funds with a US-dollar size: two Chinese funds given equivalents, and one fund in dollars."""
    actor = fixtures_actor()
    for slug, usd in (("cn-national-ai-industry-investment-fund", "8200000000"), ("cn-big-fund-iii", "47500000000")):
        fund = Fund.objects.get(instrument__slug=slug)
        fund.usd_equivalent = Decimal(usd)
        fund.usd_rate_date = datetime.date(2025, 1, 2)
        save_record(record=fund, actor=actor)
    measure = PolicyInstrument(
        slug="us-test-dollar-fund",
        kind="investment_fund",
        title_en="A fund sized in dollars",
        jurisdiction=Jurisdiction.objects.get(code="US"),
    )
    fund = Fund(instrument=measure, amount=Decimal("500000000000"), currency="USD")
    save_record(record=measure, actor=actor, children=[ChildChange(record=fund)])


@pytest.mark.parametrize(
    ("params", "condition"),
    [
        (
            {"min_usd": "10000000000"},
            Q(fund__usd_equivalent__gte=10**10) | Q(fund__currency="USD", fund__amount__gte=10**10),
        ),
        (
            {"max_usd": "10000000000"},
            Q(fund__usd_equivalent__lte=10**10) | Q(fund__currency="USD", fund__amount__lte=10**10),
        ),
        (
            {"min_usd": "1000000000", "max_usd": "50000000000"},
            (Q(fund__usd_equivalent__gte=10**9) | Q(fund__currency="USD", fund__amount__gte=10**9))
            & (Q(fund__usd_equivalent__lte=5 * 10**10) | Q(fund__currency="USD", fund__amount__lte=5 * 10**10)),
        ),
        ({"min_usd": "400000000000"}, Q(fund__currency="USD", fund__amount__gte=4 * 10**11)),
    ],
    ids=["min", "max", "range", "dollar-amount"],
)
def test_min_and_max_usd_select_funds_by_their_dollar_size(anon, funds_in_dollars, params, condition):
    expected = slugs(PolicyInstrument.objects.filter(condition))
    assert expected
    assert keys(all_items(anon, f"{API}/instruments/", params)) == expected
    assert keys(all_items(anon, f"{API}/funds/", params)) == expected


def test_min_usd_reads_the_dollar_figure_a_source_states_when_none_is_computed(anon):
    # Neither seed fund has a computed usd_equivalent; the national AI fund's source states
    # US$8.2 bn for its CNY 60.06 bn, and the filter reads that figure.
    found = keys(all_items(anon, f"{API}/instruments/", {"min_usd": "8000000000"}))
    assert found == ["cn-national-ai-industry-investment-fund"]
    assert keys(all_items(anon, f"{API}/instruments/", {"min_usd": "9000000000"})) == []
    assert keys(all_items(anon, f"{API}/funds/", {"max_usd": "8200000000"})) == found


@pytest.mark.parametrize("text", ["DeepSeek", "deepseek ban", "Texas", "深度求索", "人工智能", "EO 46", '"pilot zone"'])
def test_q_finds_what_the_search_queryset_finds_in_the_same_order(anon, text):
    expected = list(
        PolicyInstrument.objects.search(text).order_by("-search_rank", "-id").values_list("slug", flat=True)
    )
    found = keys(all_items(anon, f"{API}/instruments/", {"q": text}))
    assert found == expected
    if text not in {"EO 46"}:
        assert found, f"{text!r} should find something in the seed data"


def test_q_in_chinese_finds_the_deepseek_bans_by_the_company_name(anon):
    found = set(keys(all_items(anon, f"{API}/instruments/", {"q": "深度求索"})))
    deepseek_bans = set(slugs(PolicyInstrument.objects.filter(kind="ban", targets__slug="deepseek")))
    assert len(deepseek_bans) >= 10
    assert deepseek_bans <= found
    assert deepseek_bans <= set(keys(all_items(anon, f"{API}/instruments/", {"q": "DeepSeek"})))
    assert found == set(PolicyInstrument.objects.search("深度求索").values_list("slug", flat=True))


def test_q_narrows_with_every_word(anon):
    both = keys(all_items(anon, f"{API}/instruments/", {"q": "DeepSeek Virginia"}))
    assert both == ["us-va-deepseek-ban"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("kind", "spaceship"),
        ("status", "imaginary"),
        ("layer", "quantum"),
        ("announced_after", "yesterday"),
        ("announced_before", "2025-02-30"),
        ("effective_after", "2025/01/01"),
        ("effective_before", "soon"),
        ("min_usd", "lots"),
        ("max_usd", "1e"),
        ("in_force_on", "2025-13-01"),
        ("updated_since", "last week"),
        ("as_of", "the day before"),
        ("page_size", "0"),
        ("page_size", "501"),
        ("page_size", "ten"),
        ("ordering", "price"),
        ("ordering", "-kind"),
        ("expand", "everything"),
        ("cursor", "not-a-cursor"),
    ],
)
def test_an_invalid_parameter_is_a_400_naming_it(anon, param, value):
    body = get_json(anon, f"{API}/instruments/", {param: value}, status=400)
    assert param in body, f"the error should name {param!r}: {body}"


@pytest.mark.parametrize(
    ("path", "param", "value"),
    [
        ("organizations", "kind", "alien"),
        ("jurisdictions", "level", "galaxy"),
        ("sources", "kind", "rumour"),
        ("indicators", "year", "soon"),
        ("products", "kind", "gadget"),
        ("layers", "updated_since", "whenever"),
    ],
)
def test_an_invalid_filter_of_another_resource_is_a_400_naming_it(anon, path, param, value):
    body = get_json(anon, f"{API}/{path}/", {param: value}, status=400)
    assert param in body, body


# --- the other resources' filters -----------------------------------------------------------

OTHER_FILTERS = [
    ("organizations", {"kind": "company"}, Organization, Q(kind="company")),
    ("organizations", {"kind": ["lab", "fund"]}, Organization, Q(kind__in=["lab", "fund"])),
    ("organizations", {"jurisdiction": "US"}, Organization, under("jurisdiction", "US")),
    ("organizations", {"jurisdiction": "CN-SH"}, Organization, under("jurisdiction", "CN-SH")),
    ("organizations", {"parent": "us-department-of-defense"}, Organization, Q(parent__slug="us-department-of-defense")),
    ("organizations", {"q": "深度求索"}, Organization, Q(slug="deepseek")),
    ("organizations", {"q": "Hangzhou"}, Organization, Q(aliases__name__icontains="Hangzhou")),
    (
        "organizations",
        {"q": "ministry"},
        Organization,
        Q(name_en__icontains="ministry") | Q(name_zh__icontains="ministry") | Q(aliases__name__icontains="ministry"),
    ),
    ("sources", {"kind": "law"}, Source, Q(kind="law")),
    ("sources", {"language": "zh-Hans"}, Source, Q(language="zh-Hans")),
    ("sources", {"publisher": "us-bis"}, Source, Q(publisher_organization__slug="us-bis")),
    ("sources", {"q": "DeepSeek"}, Source, Q(title__icontains="DeepSeek") | Q(title_en__icontains="DeepSeek")),
    ("indicators", {"kind": "target"}, Indicator, Q(kind="target")),
    ("indicators", {"year": "2030"}, Indicator, Q(year=2030)),
    ("indicators", {"layer": "capital"}, Indicator, Q(layers__code="capital")),
    (
        "indicators",
        {"instrument": "cn-new-generation-ai-development-plan"},
        Indicator,
        Q(instrument__slug="cn-new-generation-ai-development-plan"),
    ),
    ("indicators", {"q": "Stargate"}, Indicator, Q(slug__icontains="stargate") | Q(subject_en__icontains="Stargate")),
    ("products", {"kind": "chip"}, Product, Q(kind="chip")),
    ("products", {"maker": "huawei"}, Product, Q(maker__slug="huawei")),
    ("products", {"layer": "chips"}, Product, Q(layer__code="chips")),
    ("products", {"q": "Ascend"}, Product, Q(name_en__icontains="Ascend")),
]


@pytest.mark.parametrize(("path", "params", "model", "condition"), OTHER_FILTERS, ids=lambda v: str(v)[:40])
def test_other_resources_filter_exactly_as_the_orm_does(anon, path, params, model, condition):
    expected = slugs(model.objects.filter(condition))
    assert expected
    assert keys(all_items(anon, f"{API}/{path}/", params)) == expected


@pytest.mark.parametrize(
    ("params", "condition"),
    [
        ({"within": "CN-GD"}, Q(code="CN-GD") | Q(parent__code="CN-GD")),
        ({"within": "US"}, Q(code="US") | Q(parent__code="US")),
        ({"level": "state"}, Q(level="state")),
        ({"parent": "CN-SD"}, Q(parent__code="CN-SD")),
        ({"q": "Texas"}, Q(name_en__icontains="Texas")),
    ],
    ids=str,
)
def test_jurisdiction_filters_including_within(anon, params, condition):
    expected = list(Jurisdiction.objects.filter(condition).order_by("code").values_list("code", flat=True))
    assert expected
    assert keys(all_items(anon, f"{API}/jurisdictions/", params), "code") == expected


def test_within_a_country_reaches_its_cities(anon):
    codes = keys(all_items(anon, f"{API}/jurisdictions/", {"within": "CN"}), "code")
    expected = list(
        Jurisdiction.objects.filter(Q(code="CN") | Q(parent__code="CN") | Q(parent__parent__code="CN"))
        .order_by("code")
        .values_list("code", flat=True)
    )
    assert codes == expected and "CN-GD-SHENZHEN" in codes


# --- kind lists -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(KIND_LISTS))
def test_a_kind_list_holds_only_its_kinds_each_with_details_of_its_kind(anon, name):
    kinds = KIND_LISTS[name]
    items = all_items(anon, f"{API}/{name}/")
    assert keys(items) == slugs(PolicyInstrument.objects.filter(kind__in=kinds))
    assert items
    for item in items:
        assert item["kind"] in kinds
        expected_type = DETAIL_MODELS[item["kind"]].accessor_name()
        assert item["details"] is not None, f"{item['slug']} has no {expected_type} details"
        assert item["details"]["type"] == expected_type
        assert item["url"] == f"{BASE}{API}/instruments/{item['slug']}/"


def test_a_kind_list_detail_is_only_for_its_kind(anon):
    assert get_json(anon, f"{API}/bans/us-tx-deepseek-ban/")["details"]["type"] == "ban"
    get_json(anon, f"{API}/bans/cn-big-fund-iii/", status=404)
    assert get_json(anon, f"{API}/funds/cn-big-fund-iii/")["details"]["type"] == "fund"
    assert get_json(anon, f"{API}/export-controls/us-entity-list-iflytek-2019/")["kind"] == "entity_listing"


def test_fund_details_carry_their_participants_and_amounts_as_exact_strings(anon):
    fund = get_json(anon, f"{API}/funds/cn-big-fund-iii/")["details"]
    assert fund["type"] == "fund"
    assert fund["amount"] == "344000000000.00" and fund["currency"] == "CNY"
    assert fund["vehicle"]["slug"] == "cn-big-fund-iii"
    assert {(p["organization"]["slug"], p["role"]) for p in fund["participants"]} == {
        (p.organization.slug, p.role) for p in Fund.objects.get(instrument__slug="cn-big-fund-iii").participants.all()
    }


# --- details by natural key -------------------------------------------------------------------

DETAILS = [
    ("instruments", "slug", "us-tx-deepseek-ban"),
    ("organizations", "slug", "deepseek"),
    ("jurisdictions", "code", "US-TX"),
    ("sources", "slug", "ilr-full-stack-zh-2025"),
    ("indicators", "slug", "cn-ai-fund-size-report"),
    ("layers", "code", "chips"),
    ("products", "slug", "deepseek-app"),
]


@pytest.mark.parametrize(("path", "key_name", "key"), DETAILS)
def test_every_resource_has_a_detail_by_natural_key_equal_to_its_list_item(anon, path, key_name, key):
    response = anon.get(f"{API}/{path}/{key}/")
    assert response.status_code == 200
    assert response["ETag"]
    detail = response.json()
    assert detail[key_name] == key
    assert detail["url"] == f"{BASE}{API}/{path}/{key}/"
    listed = [item for item in all_items(anon, f"{API}/{path}/") if item[key_name] == key]
    assert listed == [detail]


@pytest.mark.parametrize(("path", "key_name", "key"), DETAILS)
def test_an_unknown_key_is_a_404(anon, path, key_name, key):
    get_json(anon, f"{API}/{path}/no-such-{key.lower()}/", status=404)


def check_summary(client, summary, path, key_name):
    assert set(summary) == {key_name, "name", "url"}, summary
    assert summary["url"] == f"{BASE}{API}/{path}/{summary[key_name]}/"
    target = get_json(client, summary["url"])
    assert (target[key_name], target["name"]) == (summary[key_name], summary["name"])


LINK_PATHS = {model: (resource.name, resource.key) for model, resource in RESOURCES.items()}


@pytest.mark.parametrize(("path", "key_name", "key"), DETAILS)
def test_linked_records_are_summaries_with_key_name_and_url(anon, path, key_name, key):
    resource = next(r for r in RESOURCES.values() if r.name == path)
    detail = get_json(anon, f"{API}/{path}/{key}/")
    seen = 0
    for name in resource.links:
        target_path, target_key = LINK_PATHS[resource.model._meta.get_field(name).related_model]
        value = detail[name]
        for summary in value if isinstance(value, list) else [value] if value else []:
            check_summary(anon, summary, target_path, target_key)
            seen += 1
    for part in resource.parts:
        if "source" in part.links and not part.one:
            for citation in detail[part.name]:
                check_summary(anon, citation["source"], "sources", "slug")
                seen += 1
    assert seen, f"{path}/{key} should link to something"


def test_an_instruments_summaries_match_its_stored_links(anon):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    detail = get_json(anon, f"{API}/instruments/{ban.slug}/")
    assert detail["jurisdiction"] == {"code": "US-TX", "name": "Texas", "url": f"{BASE}{API}/jurisdictions/US-TX/"}
    assert detail["issuing_body"]["slug"] == ban.issuing_body.slug
    assert {t["slug"] for t in detail["targets"]} == set(ban.targets.values_list("slug", flat=True))
    assert {p["slug"] for p in detail["products"]} == set(ban.products.values_list("slug", flat=True))
    assert {layer["code"] for layer in detail["layers"]} == set(ban.layers.values_list("code", flat=True))
    assert {(c["source"]["slug"], c["locator"]) for c in detail["citations"]} == set(
        ban.citations.values_list("source__slug", "locator")
    )
    # compact citations: where, not what
    assert set(detail["citations"][0]) == {"source", "locator", "role"}
    assert detail["document_url"] == ban.url, "the measure's own address is renamed: url is the API's"


def test_expand_embeds_full_citations_and_full_target_records(anon):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    detail = get_json(anon, f"{API}/instruments/{ban.slug}/", {"expand": "citations,targets"})
    for citation in detail["citations"]:
        stored = ban.citations.get(source__slug=citation["source"]["slug"], locator=citation["locator"])
        assert citation["quote"] == stored.quote and citation["quote_language"] == stored.quote_language
        assert {"verbatim", "confidence", "note", "role"} <= set(citation)
    assert {t["slug"] for t in detail["targets"]} == set(ban.targets.values_list("slug", flat=True))
    for target in detail["targets"]:
        assert target == get_json(anon, target["url"]), "an expanded target is its full record"
    # links not named stay summaries
    assert set(detail["issuing_body"]) == {"slug", "name", "url"}
    assert all(set(product) == {"slug", "name", "url"} for product in detail["products"])
    listed = get_json(anon, f"{API}/instruments/", {"expand": "targets", "target": "deepseek", "page_size": 3})
    assert all("aliases" in target for item in listed["results"] for target in item["targets"])


def test_expand_on_indicators_embeds_the_measure(anon):
    detail = get_json(anon, f"{API}/indicators/cn-ai-fund-size-report/", {"expand": "instrument"})
    assert detail["instrument"] == get_json(anon, f"{API}/instruments/cn-national-ai-industry-investment-fund/")


@pytest.mark.parametrize("expand", ["everything", "citations,nonsense", "quote", "events"])
def test_an_unknown_expansion_is_a_400(anon, expand):
    body = get_json(anon, f"{API}/instruments/us-tx-deepseek-ban/", {"expand": expand}, status=400)
    assert "expand" in body
    assert "expand" in get_json(anon, f"{API}/instruments/", {"expand": expand}, status=400)


# --- facets -----------------------------------------------------------------------------------


def orm_facets(queryset):
    ids = queryset.values("id")
    instruments = PolicyInstrument.objects.filter(id__in=ids)
    layers = PolicyInstrument.layers.through.objects.filter(policyinstrument_id__in=ids)
    return {
        "kind": dict(Counter(instruments.values_list("kind", flat=True))),
        "status": dict(Counter(instruments.values_list("status", flat=True))),
        "jurisdiction": dict(Counter(instruments.values_list("jurisdiction__code", flat=True))),
        "layer": dict(Counter(layers.values_list("stacklayer__code", flat=True))),
    }


@pytest.mark.parametrize(
    ("params", "condition"),
    [
        ({}, Q()),
        ({"jurisdiction": "US"}, under("jurisdiction", "US")),
        ({"target": "deepseek"}, Q(targets__slug="deepseek")),
        ({"kind": "pilot_zone"}, Q(kind="pilot_zone")),
        ({"layer": "chips", "status": "in_force"}, Q(layers__code="chips", status="in_force")),
    ],
    ids=str,
)
def test_facets_count_the_whole_filtered_set(anon, params, condition):
    body = get_json(anon, f"{API}/instruments/", {**params, "page_size": 2})
    assert body["facets"] == orm_facets(PolicyInstrument.objects.filter(condition).distinct())
    counts = list(body["facets"]["jurisdiction"].values())
    assert counts == sorted(counts, reverse=True), "facets come most frequent first"


def test_facets_of_a_search_count_what_it_found(anon):
    body = get_json(anon, f"{API}/instruments/", {"q": "DeepSeek", "page_size": 1})
    assert body["facets"] == orm_facets(PolicyInstrument.objects.search("DeepSeek"))


def test_facets_of_organizations_count_kinds_of_the_filtered_set(anon):
    body = get_json(anon, f"{API}/organizations/", {"jurisdiction": "CN", "page_size": 1})
    expected = Counter(Organization.objects.filter(under("jurisdiction", "CN")).values_list("kind", flat=True))
    assert body["facets"] == {"kind": dict(expected)}


# --- cursor pages -----------------------------------------------------------------------------


def test_walking_next_with_page_size_7_yields_every_measure_once_in_order(anon):
    pages = walk(anon, f"{API}/instruments/", {"page_size": 7})
    expected = slugs(PolicyInstrument.objects.all())
    assert [len(page["results"]) for page in pages[:-1]] == [7] * (len(pages) - 1)
    assert len(pages) == -(-len(expected) // 7)
    assert [slug for page in pages for slug in keys(page["results"])] == expected
    assert pages[0]["previous"] is None and pages[-1]["next"] is None
    # ... and every page's facets are the whole list's
    assert all(page["facets"] == pages[0]["facets"] for page in pages)


def test_previous_from_the_second_page_returns_the_first(anon):
    first = get_json(anon, f"{API}/instruments/", {"page_size": 7})
    second = get_json(anon, first["next"])
    back = get_json(anon, second["previous"])
    assert keys(back["results"]) == keys(first["results"])
    assert back["previous"] is None
    assert keys(get_json(anon, back["next"])["results"]) == keys(second["results"])


def test_walking_back_from_the_last_page_yields_everything_in_order(anon):
    forward = walk(anon, f"{API}/instruments/", {"page_size": 7})
    last_cursor_page = get_json(anon, forward[-2]["next"])
    assert keys(last_cursor_page["results"]) == keys(forward[-1]["results"])
    backward = [last_cursor_page]
    while backward[-1]["previous"]:
        backward.append(get_json(anon, backward[-1]["previous"]))
        assert len(backward) <= len(forward)
    walked = [slug for page in reversed(backward) for slug in keys(page["results"])]
    assert walked == slugs(PolicyInstrument.objects.all())


def orm_order(queryset, ordering):
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    first = F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
    return list(queryset.order_by(first, "-id" if descending else "id").values_list("slug", flat=True))


@pytest.mark.parametrize(
    "ordering",
    ["announced", "-announced", "effective_from", "-effective_from", "title_en", "-title_en", "-updated", "created"],
)
def test_ordering_walks_in_order_with_empty_values_last(anon, ordering):
    pages = walk(anon, f"{API}/instruments/", {"page_size": 7, "ordering": ordering})
    walked = [slug for page in pages for slug in keys(page["results"])]
    assert walked == orm_order(PolicyInstrument.objects.all(), ordering)


def test_ordering_of_a_search_by_rank_pages_through_every_match(anon):
    pages = walk(anon, f"{API}/instruments/", {"page_size": 3, "q": "DeepSeek"})
    walked = [slug for page in pages for slug in keys(page["results"])]
    assert walked == list(
        PolicyInstrument.objects.search("DeepSeek").order_by("-search_rank", "-id").values_list("slug", flat=True)
    )
    by_title = walk(anon, f"{API}/instruments/", {"page_size": 3, "q": "DeepSeek", "ordering": "title_en"})
    assert [s for page in by_title for s in keys(page["results"])] == orm_order(
        PolicyInstrument.objects.search("DeepSeek"), "title_en"
    )


def test_ordering_other_resources(anon):
    layers = keys(all_items(anon, f"{API}/layers/"), "code")
    assert layers == list(StackLayer.objects.order_by("position").values_list("code", flat=True))
    names = keys(walk(anon, f"{API}/organizations/", {"ordering": "-name_en", "page_size": 500})[0]["results"])
    assert names == list(Organization.objects.order_by("-name_en", "-id").values_list("slug", flat=True))


@pytest.mark.parametrize("ordering", ["kind", "-status", "search_rank", "id", "slug,title_en"])
def test_ordering_by_a_field_not_offered_is_a_400(anon, ordering):
    body = get_json(anon, f"{API}/instruments/", {"ordering": ordering}, status=400)
    assert "ordering" in body


def test_page_size_is_limited_to_500(anon):
    assert len(get_json(anon, f"{API}/instruments/", {"page_size": 500})["results"]) == PolicyInstrument.objects.count()
    assert "page_size" in get_json(anon, f"{API}/instruments/", {"page_size": 501}, status=400)
    assert "page_size" in get_json(anon, f"{API}/changes/", {"page_size": 1000}, status=400)


# --- time: in force on a day, as of a moment ----------------------------------------------------


def test_in_force_on_a_detail_is_404_on_a_day_the_measure_was_not_in_force(anon):
    url = f"{API}/instruments/us-bis-2025-ai-diffusion-rule/"
    assert get_json(anon, url, {"in_force_on": "2025-03-01"})["slug"] == "us-bis-2025-ai-diffusion-rule"
    get_json(anon, url, {"in_force_on": "2025-06-01"}, status=404)  # rescinded on 13 May 2025
    get_json(anon, f"{API}/instruments/us-la-deepseek-ban/", {"in_force_on": "2025-09-28"}, status=404)
    get_json(anon, f"{API}/instruments/us-la-deepseek-ban/", {"in_force_on": "2025-09-29"})


def test_as_of_a_moment_before_a_change_shows_the_old_title(analyst, as_analyst, anon):
    ban = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    old_title = ban.title_en
    moment = moment_between()
    edit(ban, Actor.api(analyst), title_en="Virginia's ban, retitled")
    as_of = {"as_of": moment.isoformat()}

    assert get_json(as_analyst, f"{API}/instruments/{ban.slug}/")["title_en"] == "Virginia's ban, retitled"
    assert get_json(as_analyst, f"{API}/instruments/{ban.slug}/", as_of)["title_en"] == old_title
    listed = {item["slug"]: item for item in all_items(as_analyst, f"{API}/instruments/", as_of)}
    assert listed[ban.slug]["title_en"] == old_title
    assert len(listed) == PolicyInstrument.objects.count()
    # anonymous readers see the published title either way
    assert get_json(anon, f"{API}/instruments/{ban.slug}/", as_of)["title_en"] == old_title
    assert get_json(anon, f"{API}/instruments/{ban.slug}/")["title_en"] == old_title


def test_as_of_a_date_means_the_end_of_that_day(as_analyst):
    today = timezone.now().date().isoformat()
    response = as_analyst.get(f"{API}/instruments/us-va-deepseek-ban/", {"as_of": today})
    assert response.status_code == 200, (
        "BUG (views.parse_moment): as_of=YYYY-MM-DD is read as midnight at the start of the day, not its end: "
        "Django's parse_datetime accepts a bare date, so the date branch is never reached"
    )
    get_json(as_analyst, f"{API}/instruments/us-va-deepseek-ban/", {"as_of": "2000-01-01"}, status=404)
    assert get_json(as_analyst, f"{API}/instruments/", {"as_of": "2000-01-01"})["results"] == []


def test_as_of_leaves_out_a_record_created_later_and_keeps_one_deleted_later(analyst, reviewer, as_analyst):
    moment = moment_between()
    created = PolicyInstrument(
        slug="cn-test-later-plan",
        kind="plan",
        title_en="A later plan",
        jurisdiction=Jurisdiction.objects.get(code="CN"),
    )
    save_record(record=created, actor=Actor.api(analyst))
    doomed = PolicyInstrument.objects.get(slug="us-house-deepseek-notice")
    delete_record(record=doomed, actor=Actor.api(reviewer))
    as_of = {"as_of": moment.isoformat()}

    then = keys(all_items(as_analyst, f"{API}/instruments/", as_of))
    assert "cn-test-later-plan" not in then
    assert "us-house-deepseek-notice" in then
    get_json(as_analyst, f"{API}/instruments/cn-test-later-plan/", as_of, status=404)
    old = get_json(as_analyst, f"{API}/instruments/us-house-deepseek-notice/", as_of)
    assert old["targets"] and old["citations"], "a deleted measure as of before comes back with its links and parts"

    now = keys(all_items(as_analyst, f"{API}/instruments/"))
    assert "cn-test-later-plan" in now and "us-house-deepseek-notice" not in now
    get_json(as_analyst, f"{API}/instruments/us-house-deepseek-notice/", status=404)


def test_as_of_shows_the_links_and_parts_as_they_were(analyst, as_analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    targets_before = sorted(ban.targets.values_list("slug", flat=True))
    citations_before = sorted(ban.citations.values_list("source__slug", "locator"))
    moment = moment_between()
    save_record(
        record=ban, actor=Actor.api(analyst), relations={"targets": [Organization.objects.get(slug="deepseek")]}
    )
    citation = InstrumentCitation(
        instrument=ban,
        source=Source.objects.get(slug="rand-full-stack-2025"),
        locator="p. 99",
        quote="An added passage.",
        quote_language="en",
    )
    save_record(record=citation, actor=Actor.api(analyst))
    as_of = {"as_of": moment.isoformat()}

    then = get_json(as_analyst, f"{API}/instruments/{ban.slug}/", as_of)
    assert sorted(t["slug"] for t in then["targets"]) == targets_before
    assert sorted((c["source"]["slug"], c["locator"]) for c in then["citations"]) == citations_before
    listed = {item["slug"]: item for item in all_items(as_analyst, f"{API}/instruments/", as_of)}
    assert sorted(t["slug"] for t in listed[ban.slug]["targets"]) == targets_before
    assert keys(all_items(as_analyst, f"{API}/instruments/", {**as_of, "target": "webull"})) == [ban.slug]

    now = get_json(as_analyst, f"{API}/instruments/{ban.slug}/")
    assert [t["slug"] for t in now["targets"]] == ["deepseek"]
    assert ("rand-full-stack-2025", "p. 99") in {(c["source"]["slug"], c["locator"]) for c in now["citations"]}
    assert keys(all_items(as_analyst, f"{API}/instruments/", {"target": "webull"})) == []


def test_as_of_keeps_a_linked_record_deleted_since(analyst, reviewer, as_analyst):
    """As of a past moment, a measure's co-issuer is listed even if it was deleted afterwards."""
    measure = "cn-national-integrated-computing-network"
    moment = moment_between()
    delete_record(record=Organization.objects.get(slug="cn-national-data-administration"), actor=Actor.api(reviewer))
    then = get_json(as_analyst, f"{API}/instruments/{measure}/", {"as_of": moment.isoformat()})
    assert [body["slug"] for body in then["co_issuers"]] == ["cn-national-data-administration"], (
        "summaries of linked records must be read as of the moment, not from today's table"
    )


def test_as_of_shows_a_linked_records_name_as_it_was(analyst, as_analyst):
    moment = moment_between()
    edit(Organization.objects.get(slug="deepseek"), Actor.api(analyst), name_en="DeepSeek (renamed later)")
    then = get_json(as_analyst, f"{API}/instruments/us-va-deepseek-ban/", {"as_of": moment.isoformat()})
    assert [t["name"] for t in then["targets"]] == ["DeepSeek"], "as_of shows a linked record's name as it was"


def test_as_of_lists_count_queries_and_facets_from_history(as_analyst):
    moment = moment_between()
    body = get_json(
        as_analyst, f"{API}/instruments/", {"as_of": moment.isoformat(), "jurisdiction": "US", "page_size": 2}
    )
    assert body["facets"] == orm_facets(PolicyInstrument.objects.filter(under("jurisdiction", "US")).distinct())


# --- keeping a copy in step ---------------------------------------------------------------------


def test_updated_since_lists_only_records_changed_at_or_after_it(analyst, as_analyst):
    moment = moment_between()
    edit(PolicyInstrument.objects.get(slug="us-va-deepseek-ban"), Actor.api(analyst), summary_en="Changed.")
    edit(Organization.objects.get(slug="huawei"), Actor.api(analyst), description="Changed.")
    since = {"updated_since": moment.isoformat()}
    assert keys(all_items(as_analyst, f"{API}/instruments/", since)) == slugs(
        PolicyInstrument.objects.filter(updated__gte=moment)
    )
    assert keys(all_items(as_analyst, f"{API}/instruments/", since)) == ["us-va-deepseek-ban"]
    assert keys(all_items(as_analyst, f"{API}/organizations/", since)) == ["huawei"]
    assert keys(all_items(as_analyst, f"{API}/sources/", since)) == []


ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}


def orm_feed(since):
    rows = []
    for resource in RESOURCES.values():
        for row in resource.model.history.filter(history_date__gte=since):
            rows.append((row.history_date, resource.name, row.history_id, row.history_type, row))
    rows.sort(key=lambda row: row[:3])
    return [
        (plain(when), ACTIONS[kind], name, getattr(row, RESOURCES_BY_NAME[name].key), row.version)
        for when, name, _, kind, row in rows
    ]


RESOURCES_BY_NAME = {resource.name: resource for resource in RESOURCES.values()}


def feed_entries(pages):
    return [(e["at"], e["action"], e["type"], e["key"], e["version"]) for page in pages for e in page["results"]]


def walk_feed(client, params, limit=50):
    pages = [get_json(client, f"{API}/changes/", params)]
    while pages[-1]["results"]:
        assert len(pages) < limit
        pages.append(get_json(client, pages[-1]["next"]))
    return pages


@pytest.fixture
def changes_since(analyst, reviewer):
    """A moment, then several changes to several record types through the services."""
    moment = moment_between()
    actor = Actor.api(analyst)
    org = Organization(slug="api-feed-org", name_en="Feed test body", kind="company")
    save_record(record=org, actor=actor)
    edit(PolicyInstrument.objects.get(slug="us-va-deepseek-ban"), actor, title_en="Virginia, changed")
    edit(org, actor, name_en="Feed test body, renamed")
    product = Product(slug="api-feed-product", name_en="Feed product", kind="app", maker=org)
    save_record(record=product, actor=actor)
    edit(Jurisdiction.objects.get(code="US-TX"), actor, name_zh="德克萨斯州")
    edit(Source.objects.get(slug="fr-2022-21658"), actor, identifier="FR 2022-21658")
    delete_record(record=Product.objects.get(slug="api-feed-product"), actor=Actor.api(reviewer))
    edit(StackLayer.objects.get(code="chips"), actor, name_zh="晶片(改)")
    return moment


def test_the_change_feed_lists_every_change_in_order_across_pages_of_3(as_analyst, changes_since):
    pages = walk_feed(as_analyst, {"since": changes_since.isoformat(), "page_size": 3})
    entries = feed_entries(pages)
    expected = orm_feed(changes_since)
    assert len(expected) >= 8
    assert entries == expected, "the feed's pages repeat or skip an entry"
    assert len(set(entries)) == len(entries)
    assert all(len(page["results"]) == 3 for page in pages[:-2])
    actions = {(e["type"], e["key"], e["action"]) for page in pages for e in page["results"]}
    assert {
        ("organizations", "api-feed-org", "created"),
        ("organizations", "api-feed-org", "updated"),
        ("instruments", "us-va-deepseek-ban", "updated"),
        ("products", "api-feed-product", "created"),
        ("products", "api-feed-product", "deleted"),
        ("jurisdictions", "US-TX", "updated"),
        ("sources", "fr-2022-21658", "updated"),
        ("layers", "chips", "updated"),
    } <= actions


def test_the_change_feed_names_addresses_and_a_deletion_has_none(as_analyst, changes_since):
    results = [e for page in walk_feed(as_analyst, {"since": changes_since.isoformat()}) for e in page["results"]]
    for entry in results:
        if entry["action"] == "deleted":
            assert entry["url"] is None
        else:
            assert entry["url"] == f"{BASE}{API}/{entry['type']}/{entry['key']}/"
    deleted = [e for e in results if e["action"] == "deleted"]
    assert [(e["type"], e["key"]) for e in deleted] == [("products", "api-feed-product")]


def test_the_change_feeds_next_at_the_end_waits_for_the_next_change(analyst, as_analyst, changes_since):
    pages = walk_feed(as_analyst, {"since": changes_since.isoformat(), "page_size": 3})
    resume = pages[-1]["next"]
    assert get_json(as_analyst, resume)["results"] == []
    pause()
    edit(Organization.objects.get(slug="nvidia"), Actor.api(analyst), description="Polled.")
    later = get_json(as_analyst, resume)["results"]
    assert [(e["type"], e["key"], e["action"]) for e in later] == [("organizations", "nvidia", "updated")]


def test_the_public_change_feed_shows_published_changes_only(anon, analyst, reviewer, changes_since):
    assert feed_entries(walk_feed(anon, {"since": changes_since.isoformat()})) == [], (
        "drafts never reach the public feed"
    )
    ban = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    submit_for_review(record=ban, actor=Actor.api(analyst))
    publish(record=ban, actor=Actor.api(reviewer))
    public = feed_entries(walk_feed(anon, {"since": changes_since.isoformat()}))
    assert [(action, kind, key) for _, action, kind, key, _ in public] == [
        ("updated", "instruments", "us-va-deepseek-ban")
    ]


def test_the_change_feed_refuses_a_bad_since_or_cursor(anon):
    assert "since" in get_json(anon, f"{API}/changes/", {"since": "last tuesday"}, status=400)
    assert "cursor" in get_json(anon, f"{API}/changes/", {"cursor": "bm9wZQ"}, status=400)


# --- ETags ----------------------------------------------------------------------------------------

READS = [
    f"{API}/",
    f"{API}/instruments/",
    f"{API}/instruments/us-tx-deepseek-ban/",
    f"{API}/bans/",
    f"{API}/organizations/deepseek/",
    f"{API}/jurisdictions/",
    f"{API}/sources/fr-2022-21658/",
    f"{API}/indicators/",
    f"{API}/layers/chips/",
    f"{API}/products/",
    f"{API}/changes/",
]


@pytest.mark.parametrize("url", READS)
def test_every_read_has_an_etag_and_if_none_match_gives_304(anon, url):
    response = anon.get(url)
    assert response.status_code == 200
    tag = response["ETag"]
    assert tag.startswith('"') and tag.endswith('"')
    again = anon.get(url, HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == tag
    assert anon.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_if_none_match_with_the_weak_form_of_the_tag_gives_304(anon):
    url = f"{API}/instruments/us-tx-deepseek-ban/"
    tag = anon.get(url)["ETag"]
    # Proxies that compress a response (nginx's gzip) turn its ETag weak; If-None-Match compares weakly.
    assert anon.get(url, HTTP_IF_NONE_MATCH=f"W/{tag}").status_code == 304, (
        'BUG (views.not_modified): a weak If-None-Match (W/"…") never matches; RFC 9110 §13.1.2 '
        "says If-None-Match uses the weak comparison"
    )


def test_the_etag_changes_after_a_write(analyst, as_analyst):
    detail_url = f"{API}/instruments/us-va-deepseek-ban/"
    list_url = f"{API}/instruments/?kind=ban"
    detail_tag = as_analyst.get(detail_url)["ETag"]
    list_tag = as_analyst.get(list_url)["ETag"]
    edit(PolicyInstrument.objects.get(slug="us-va-deepseek-ban"), Actor.api(analyst), summary_en="New words.")
    assert as_analyst.get(detail_url, HTTP_IF_NONE_MATCH=detail_tag).status_code == 200
    assert as_analyst.get(list_url, HTTP_IF_NONE_MATCH=list_tag).status_code == 200
    assert as_analyst.get(detail_url)["ETag"] != detail_tag
    assert as_analyst.get(list_url)["ETag"] != list_tag


def test_a_detail_etag_names_the_version(anon):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    assert anon.get(f"{API}/instruments/{ban.slug}/")["ETag"].startswith(f'"v{ban.version}.')


# --- visibility and permissions ------------------------------------------------------------------


def test_anonymous_readers_see_the_published_version_of_a_record_being_revised(analyst, anon, as_analyst):
    ban = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    published_title = ban.title_en
    edit(ban, Actor.api(analyst), title_en="A draft title")
    ban.refresh_from_db()
    assert ban.editorial_state == "draft" and ban.published_version < ban.version

    public = get_json(anon, f"{API}/instruments/{ban.slug}/")
    assert public["title_en"] == published_title
    assert public["version"] == ban.published_version and public["editorial_state"] == "published"
    listed = {item["slug"]: item for item in all_items(anon, f"{API}/bans/")}
    assert listed[ban.slug]["title_en"] == published_title
    assert get_json(as_analyst, f"{API}/instruments/{ban.slug}/")["title_en"] == "A draft title"


@pytest.mark.parametrize("slug", ["us-va-deepseek-ban", "cn-big-fund-iii", "cn-ai-pilot-zone-shenzhen"])
def test_anonymous_readers_see_the_same_record_while_a_revision_is_drafted(analyst, anon, slug):
    """The published version with all its parts: its events, citations and details too."""
    url = f"{API}/instruments/{slug}/"
    response = anon.get(url)
    edit(PolicyInstrument.objects.get(slug=slug), Actor.api(analyst), title_en="A draft title")
    assert anon.get(url).json() == response.json()
    assert anon.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_a_never_published_record_is_invisible_to_anonymous_readers(analyst, anon, as_analyst):
    org = Organization(slug="api-draft-body", name_en="A body in draft", kind="government_body")
    save_record(record=org, actor=Actor.api(analyst))
    get_json(anon, f"{API}/organizations/api-draft-body/", status=404)
    assert "api-draft-body" not in keys(all_items(anon, f"{API}/organizations/"))
    assert get_json(as_analyst, f"{API}/organizations/api-draft-body/")["editorial_state"] == "draft"
    assert "api-draft-body" in keys(all_items(as_analyst, f"{API}/organizations/"))


def test_a_draft_link_to_an_unpublished_record_is_not_shown_to_anonymous_readers(analyst, anon):
    org = Organization(slug="api-draft-target", name_en="A target in draft", kind="company")
    save_record(record=org, actor=Actor.api(analyst))
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    save_record(record=ban, actor=Actor.api(analyst), relations={"targets": [*ban.targets.all(), org]})
    public = get_json(anon, f"{API}/instruments/{ban.slug}/")
    assert "api-draft-target" not in {t["slug"] for t in public["targets"]}


def test_anonymous_search_does_not_find_words_only_in_a_draft(analyst, anon):
    edit(PolicyInstrument.objects.get(slug="us-va-deepseek-ban"), Actor.api(analyst), title_en="Zanzibar draft")
    found = keys(all_items(anon, f"{API}/instruments/", {"q": "Zanzibar"}))
    assert found == [], (
        "BUG (shapes.Reader.base_queryset / views.rows_queryset): anonymous filters and search run on today's "
        "rows, drafts included, so an unpublished word finds the published record"
    )


def test_anonymous_filters_do_not_see_a_drafts_links(analyst, anon):
    ban = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    save_record(record=ban, actor=Actor.api(analyst), relations={"targets": [Organization.objects.get(slug="huawei")]})
    found = keys(all_items(anon, f"{API}/instruments/", {"target": "huawei"}))
    assert "us-va-deepseek-ban" not in found, (
        "BUG (shapes.Reader.base_queryset): anonymous filters read a draft revision's links"
    )
    assert "us-va-deepseek-ban" in keys(all_items(anon, f"{API}/instruments/", {"target": "deepseek"})), (
        "BUG (shapes.Reader.base_queryset): the published version targets DeepSeek"
    )


def test_anonymous_readers_see_a_linked_records_published_name(analyst, anon):
    edit(Organization.objects.get(slug="deepseek"), Actor.api(analyst), name_en="DeepSeek (draft name)")
    targets = get_json(anon, f"{API}/instruments/us-va-deepseek-ban/")["targets"]
    assert [t["name"] for t in targets] == ["DeepSeek"], "anonymous summaries must not show a draft name"
    assert get_json(anon, f"{API}/organizations/deepseek/")["name_en"] == "DeepSeek"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", f"{API}/instruments/"),
        ("post", f"{API}/bans/"),
        ("put", f"{API}/instruments/us-tx-deepseek-ban/"),
        ("patch", f"{API}/organizations/deepseek/"),
        ("delete", f"{API}/products/deepseek-app/"),
        ("post", f"{API}/instruments/us-tx-deepseek-ban/submit/"),
        ("post", f"{API}/instruments/us-tx-deepseek-ban/publish/"),
        ("post", f"{API}/instruments/us-tx-deepseek-ban/return-to-draft/"),
    ],
)
def test_anonymous_writes_are_refused(anon, method, url):
    before = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban").version
    response = getattr(anon, method)(url, {"title_en": "Anonymous", "comment": "x"}, format="json")
    assert response.status_code in (401, 403)
    assert PolicyInstrument.objects.get(slug="us-tx-deepseek-ban").version == before


def test_anonymous_requests_are_throttled_with_retry_after(anon, as_analyst, settings, monkeypatch):
    rates = {"anon": "3/min", "user": "1000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF copies the rates onto the throttle class when it is imported: the setting alone is not read again.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    cache.clear()
    for url in (f"{API}/instruments/", f"{API}/organizations/deepseek/", f"{API}/changes/"):
        assert anon.get(url, {"page_size": 1}).status_code == 200
    refused = anon.get(f"{API}/layers/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert as_analyst.get(f"{API}/layers/").status_code == 200, "a login has its own, higher rate"


# --- cost ---------------------------------------------------------------------------------------


def count_queries(client, url, params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.fixture
def every_part_recently_updated():
    """Touch one measure with each kind of link and part, so the 20 most recently updated show them all."""
    chosen = {
        PolicyInstrument.objects.filter(condition).order_by("slug").first()
        for condition in (
            *(Q(**{f"{model.accessor_name()}__isnull": False}) for model in set(DETAIL_MODELS.values())),
            Q(fund__participants__isnull=False),
            Q(fund__vehicle__isnull=False),
            Q(subsidy__eligible_organizations__isnull=False),
            Q(lab__sponsors__isnull=False),
            Q(events__citation__isnull=False),
            Q(co_issuers__isnull=False),
            Q(amends__isnull=False),
            Q(part_of__isnull=False),
            Q(products__isnull=False),
            Q(affected_jurisdictions__isnull=False),
            Q(targets__isnull=False),
        )
    } - {None}
    assert len(chosen) <= 17
    for measure in chosen:
        pause()
        edit(measure, fixtures_actor(), summary_zh=f"{measure.summary_zh} ")


@pytest.mark.parametrize("as_of", [False, True], ids=["today", "as_of"])
def test_the_instruments_list_costs_the_same_queries_for_20_or_200_rows(anon, every_part_recently_updated, as_of):
    params = {"ordering": "-updated"}
    if as_of:
        params["as_of"] = timezone.now().isoformat()
    anon.get(f"{API}/instruments/", {**params, "page_size": 1})  # warm caches (content types, URL resolvers)
    small, small_rows = count_queries(anon, f"{API}/instruments/", {**params, "page_size": 20})
    large, large_rows = count_queries(anon, f"{API}/instruments/", {**params, "page_size": 200})
    assert (small_rows, large_rows) == (20, PolicyInstrument.objects.count())
    assert small == large, f"{small} queries for 20 rows, {large} for {large_rows}"


def test_the_organizations_list_costs_the_same_queries_for_20_or_200_rows(anon):
    anon.get(f"{API}/organizations/", {"page_size": 1})
    small, _ = count_queries(anon, f"{API}/organizations/", {"page_size": 20})
    large, rows = count_queries(anon, f"{API}/organizations/", {"page_size": 200})
    assert rows == Organization.objects.count()
    assert small == large


def test_an_expanded_list_costs_no_more_queries_per_row(anon, every_part_recently_updated):
    params = {"ordering": "-updated", "expand": "citations,targets,issuing_body"}
    anon.get(f"{API}/instruments/", {**params, "page_size": 1})
    small, _ = count_queries(anon, f"{API}/instruments/", {**params, "page_size": 20})
    large, _ = count_queries(anon, f"{API}/instruments/", {**params, "page_size": 200})
    assert small == large


def test_the_instrument_resource_declares_what_the_detail_shows(anon):
    detail = get_json(anon, f"{API}/instruments/us-tx-deepseek-ban/")
    expected = {"slug", "name", "url", "details", "events", "citations", *INSTRUMENTS.links}
    expected |= {INSTRUMENTS.api_name(name) for name in INSTRUMENTS.fields}
    expected |= {"version", "editorial_state", "published_version", "published_at", "created", "updated"}
    assert set(detail) == expected


def test_the_browsable_page_and_the_json_of_a_record_have_different_etags(anon):
    url = f"{API}/instruments/{PolicyInstrument.objects.published().order_by('slug').first().slug}/"
    as_json = anon.get(url, HTTP_ACCEPT="application/json")
    as_html = anon.get(url, HTTP_ACCEPT="text/html")
    assert as_json["ETag"] != as_html["ETag"]
    assert "Accept" in as_json["Vary"]
    assert anon.get(url, HTTP_ACCEPT="text/html", HTTP_IF_NONE_MATCH=as_html["ETag"]).status_code == 304
    assert anon.get(url, HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=as_html["ETag"]).status_code == 200
