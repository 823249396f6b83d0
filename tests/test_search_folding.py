"""Search finds a Chinese word in either script: 人工智能 and 人工智慧, 华为 and 華為 find the same
measures, through the queryset, the admin's search box and the API's ``q`` alike.

On the report's data (written in traditional characters, mostly as in Taiwan) and on a few
measures made here in simplified characters; the same tests run on SQLite and on PostgreSQL.
"""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from tracker.models import Organization, PolicyInstrument
from tracker.querysets import script_variants

pytestmark = pytest.mark.django_db

API = "/api/v1"
# Each pair names one thing: in simplified characters (as on the mainland) and in traditional
# ones (as in Taiwan, whose word for artificial intelligence is 人工智慧).
PAIRS = [
    ("人工智能", "人工智慧"),
    ("华为", "華為"),
    ("深度求索", "深度求索"),  # the same characters in both scripts
    ("英伟达", "輝達"),
    ("芯片", "晶片"),
    ("试验区", "試驗區"),
    ("国务院", "國務院"),
]


def queryset_ids(text):
    return set(PolicyInstrument.objects.search(text).values_list("pk", flat=True))


def api_ids(text):
    client, ids = APIClient(), set()
    page = client.get(f"{API}/instruments/", {"q": text, "page_size": 500})
    while True:
        assert page.status_code == 200, page.content[:300]
        body = page.json()
        slugs = [item["slug"] for item in body["results"]]
        ids |= set(PolicyInstrument.objects.filter(slug__in=slugs).values_list("pk", flat=True))
        if not body["next"]:
            return ids
        page = client.get(body["next"])


@pytest.fixture
def admin_ids(analyst):
    client = Client()
    client.force_login(analyst)

    def search(text):
        response = client.get(reverse("admin:tracker_policyinstrument_changelist"), {"q": text})
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].queryset}

    return search


def test_a_chinese_word_has_its_forms_in_both_scripts():
    assert set(script_variants("人工智能")) == {"人工智能", "人工智慧"}
    assert set(script_variants("人工智慧")) == {"人工智能", "人工智慧"}
    assert {"华为", "華為"} <= set(script_variants("华为")) == set(script_variants("華為"))
    # 台湾 is written 臺灣 or 台灣 in traditional characters: both are looked for.
    assert {"台湾", "臺灣", "台灣"} <= set(script_variants("臺灣"))
    assert script_variants("人工智能")[0] == "人工智能"  # the word as typed comes first
    assert script_variants("DeepSeek") == ("DeepSeek",)
    assert script_variants("深度求索") == ("深度求索",)


@pytest.mark.parametrize(("simplified", "traditional"), PAIRS)
def test_both_scripts_find_the_same_measures_in_the_queryset_the_api_and_the_admin(simplified, traditional, admin_ids):
    found = queryset_ids(simplified)
    assert found, f"{simplified} should find measures in the report's data"
    assert queryset_ids(traditional) == found
    assert api_ids(simplified) == api_ids(traditional) == found
    assert admin_ids(simplified) == admin_ids(traditional) == found


def test_a_simplified_word_finds_text_written_only_in_traditional_characters():
    # The report's translation says 人工智慧; some titles keep a programme's own name, 人工智能.
    found = PolicyInstrument.objects.search("人工智能")
    only_traditional = found.exclude(title_zh__contains="人工智能").exclude(summary_zh__contains="人工智能")
    assert only_traditional.filter(summary_zh__contains="人工智慧").exists()
    # 华为 appears nowhere in simplified characters, yet finds every measure naming 華為.
    assert not PolicyInstrument.objects.filter(summary_zh__contains="华为").exists()
    naming = set(PolicyInstrument.objects.filter(summary_zh__contains="華為").values_list("pk", flat=True))
    assert naming and naming <= queryset_ids("华为")


def test_the_chinese_name_of_deepseek_finds_the_bans_on_it_in_either_script():
    bans = set(PolicyInstrument.objects.filter(kind="ban", targets__slug="deepseek").values_list("pk", flat=True))
    assert len(bans) >= 10
    for text in ("深度求索", "杭州深度求索人工智能基础技术研究有限公司", "杭州深度求索人工智慧基礎技術研究有限公司"):
        assert bans <= queryset_ids(text), text
        assert bans <= api_ids(text), text


def test_measures_written_in_simplified_characters_are_found_from_traditional_words():
    title = factories.instrument(title_en="Huawei chip export rule", title_zh="关于华为芯片的出口管制规定")
    title.save()
    summary = factories.instrument(title_en="Another rule", summary_zh="该规定涉及华为及其关联公司。")
    summary.save()
    for text in ("華為", "华为", "關於華為"):
        assert title.pk in queryset_ids(text), text
    assert {title.pk, summary.pk} <= queryset_ids("華為")
    # A word narrows in either script: 華為 and 规定 (simplified) and 規定 (traditional).
    assert {title.pk, summary.pk} <= queryset_ids("華為 規定") == queryset_ids("华为 规定")


def test_a_match_in_the_other_script_ranks_as_the_same_match_would():
    in_title = factories.instrument(title_en="A", title_zh="人工智慧")
    in_title.save()
    in_summary = factories.instrument(title_en="B", summary_zh="一項關於人工智能的規劃")
    in_summary.save()
    for text in ("人工智能", "人工智慧"):
        ranked = list(
            PolicyInstrument.objects.filter(pk__in=[in_title.pk, in_summary.pk])
            .search(text)
            .order_by("-search_rank", "slug")
            .values_list("pk", "search_rank")
        )
        assert [pk for pk, _ in ranked] == [in_title.pk, in_summary.pk], text
        # A title that is just the word: the title's 4 points and the whole share, in either script.
        assert ranked[0][1] == pytest.approx(4.9), text
        assert 1.0 < ranked[1][1] < 2.0, text


def test_the_apis_organization_search_finds_a_name_in_either_script():
    client = APIClient()
    huawei = set(Organization.objects.filter(name_zh="華為").values_list("slug", flat=True))
    assert huawei
    for text in ("华为", "華為"):
        response = client.get(f"{API}/organizations/", {"q": text, "page_size": 500})
        assert response.status_code == 200
        assert huawei <= {item["slug"] for item in response.json()["results"]}, text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_on_postgresql_each_form_of_a_chinese_word_is_read_from_the_trigram_indexes():
    queryset = PolicyInstrument.objects.search("人工智能").order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    assert "%人工智慧%" in params and "%人工智能%" in params
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "instrument_title_zh_trgm" in plan, plan
    assert "Seq Scan" not in plan, plan


def test_a_search_of_the_history_finds_a_word_in_either_script():
    # With as_of the API searches the recorded versions, by their own text.
    client = APIClient()
    moment = timezone.now().isoformat()

    def found(text):
        response = client.get(f"{API}/instruments/", {"q": text, "as_of": moment, "page_size": 500})
        assert response.status_code == 200, response.content[:300]
        return {item["slug"] for item in response.json()["results"]}

    naming = set(PolicyInstrument.objects.filter(summary_zh__contains="華為").values_list("slug", flat=True))
    assert naming and naming <= found("华为") == found("華為")
    assert found("人工智能") == found("人工智慧")
