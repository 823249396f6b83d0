"""Everything the report names is in the tracker, cited to the report in its own words."""

import pytest

from tests.report_text import LOCATOR, paragraphs, report_available
from tracker.models import (
    Indicator,
    IndicatorCitation,
    InstrumentCitation,
    Jurisdiction,
    Organization,
    PolicyInstrument,
)

pytestmark = pytest.mark.django_db

REPORT = "ilr-full-stack-zh-2025"

# What the report names, by kind, as the tracker's natural keys.  The comment on each
# group quotes the report's words for it.
REPORT_INSTRUMENTS = {
    # 為了到2030年成為人工智慧領域的全球領導者 / 到2030年,中國的目標是...
    "cn-new-generation-ai-development-plan": "plan",
    # 一項 82 億美元的人工智慧初創企業基金
    "cn-national-ai-industry-investment-fund": "investment_fund",
    # 正在建設的國家積體電路網路,能夠彙集公共和私人資料中心的計算資源
    "cn-national-integrated-computing-network": "compute_infrastructure",
    # 計算補貼
    "cn-sh-compute-vouchers": "subsidy",
    "cn-gd-shenzhen-compute-vouchers": "subsidy",
    # 從上海到深圳,地方政府都設立了國家支援的人工智慧實驗室和人工智慧試驗區
    "cn-shanghai-ai-laboratory": "state_lab",
    "cn-peng-cheng-laboratory": "state_lab",
    "cn-ai-pilot-zone-programme": "pilot_zone_programme",
    "cn-ai-pilot-zone-shanghai": "pilot_zone",
    "cn-ai-pilot-zone-shenzhen": "pilot_zone",
    # 2025年4月舉行的中央政治局人工智慧會議上,中國強調"自力更生"
    "cn-politburo-ai-study-session-2025": "guidance",
    # 支援開發輝達GPU的國產替代產品,例如華為的昇騰系列
    "cn-domestic-ai-chip-support": "indigenisation",
    # 開發輝達 CUDA 軟體的替代品
    "cn-cuda-alternative-development": "indigenisation",
    # 支援採用華為的 MindSpore 和百度的 PaddlePaddle
    "cn-domestic-ai-framework-support": "indigenisation",
    # 要求它們使用不太先進的本土替代品來替代全球平台
    "cn-domestic-platform-substitution-pressure": "indigenisation",
    # 美國主導的對人工智慧晶片以及生產此類晶片所需的半導體製造裝置的出口管制
    "us-bis-2022-advanced-computing-semiconductor-rule": "export_control",
    "us-bis-2023-semiconductor-manufacturing-equipment-rule": "export_control",
    "us-bis-2023-advanced-computing-rule": "export_control",
    # 德克薩斯州、紐約州和弗吉尼亞州等州以及國防部、商務部和美國國家航空航天局等聯邦機構
    # 已禁止在政府裝置上使用 DeepSeek
    "us-tx-deepseek-ban": "ban",
    "us-ny-deepseek-ban": "ban",
    "us-va-deepseek-ban": "ban",
    "us-dod-deepseek-ban": "ban",
    "us-doc-deepseek-ban": "ban",
    "us-nasa-deepseek-ban": "ban",
    # 尤其是通過對研究、人才、計算補貼和應用的支援
    "cn-ai-research-support": "subsidy",
    "cn-ai-talent-support": "talent",
    "cn-compute-subsidies": "subsidy",
    # 這一目標包括利用人工智慧升級醫療保健、製造業和農業等傳統行業 / 利用人工智慧賦能新興產業 ...
    # 例如機器人、自動駕駛汽車和無人系統
    "cn-ai-application-goal-traditional-industries": "plan",
    "cn-ai-application-goal-emerging-industries": "plan",
    # 中國必須迅速擴大能源生產規模,以滿足預計到 2030 年資料中心需求增長三倍的預期
    "cn-energy-build-out-for-data-centres": "compute_infrastructure",
    # 如果稀缺的人工智慧晶片不能得到有效配置
    "cn-ai-chip-allocation": "compute_infrastructure",
    # DeepSeek 的突然崛起已促使美國官員和機構限制其獲取美國技術
    "us-deepseek-us-technology-restrictions": "export_control",
    # 包括晶片囤積以及在從墨西哥到馬來西亞的世界各地建立資料中心: what companies do, not measures
    "cn-ai-chip-stockpiling": "compute_infrastructure",
    "cn-ai-overseas-data-centres": "compute_infrastructure",
}

# Where no cited source names the issuer, none is recorded: the report's general measures,
# the behaviours the controls respond to, and measures whose sources name no body.
NO_ISSUER = [
    "cn-sh-compute-vouchers",
    "cn-gd-shenzhen-compute-vouchers",
    "cn-sc-chengdu-compute-vouchers",
    "cn-east-data-west-computing",
    "us-2025-nvidia-h20-licence-requirement",
    "cn-ai-research-support",
    "cn-ai-talent-support",
    "cn-compute-subsidies",
    "cn-ai-application-goal-traditional-industries",
    "cn-ai-application-goal-emerging-industries",
    "cn-energy-build-out-for-data-centres",
    "cn-ai-chip-allocation",
    "us-deepseek-us-technology-restrictions",
    "cn-ai-chip-stockpiling",
    "cn-ai-overseas-data-centres",
]

# Where no cited source gives the status, it is unknown.
STATUS_KNOWN = {"cn-east-data-west-computing", "us-2025-nvidia-h20-licence-requirement"}
STATUS_UNKNOWN = [slug for slug in NO_ISSUER if slug not in STATUS_KNOWN]

REPORT_INDICATORS = [
    "cn-2030-ai-industry-target-report",  # 價值1000億美元的產業
    "cn-2030-ai-added-value-target-report",  # 超過1兆美元的附加值
    "cn-ai-fund-size-report",  # 82 億美元
    "cn-tech-private-ai-investment-report",  # 數百億美元私人人工智慧投資
    "us-stargate-investment-report",  # 星際之門項目投資 1000 億至 5000 億美元
    "cn-models-trained-on-huawei-hardware-report",  # 在華為硬體上訓練的模型不足十個
    "cn-data-centre-demand-2030-report",  # 到 2030 年資料中心需求增長三倍
    "iflytek-ascend-switch-delay-report",  # 導致開發時間延遲了三個月
    "ai-private-market-value-report",  # 其市值已達7500億美元
    "us-cn-private-ai-investment-gap-report",  # 私人投資是中國公司的十倍以上
]

REPORT_ORGANIZATIONS = [
    "alibaba",
    "bytedance",
    "baidu",
    "huawei",
    "iflytek",
    "deepseek",
    "nvidia",
    "openai",
    "meta",
    "google",
    "cn-ccp-politburo",
    "us-department-of-defense",
    "us-department-of-commerce",
    "us-nasa",
]

# 德克薩斯州、紐約州和弗吉尼亞州; 從墨西哥到馬來西亞; 從上海到深圳
REPORT_JURISDICTIONS = ["CN", "US", "US-TX", "US-NY", "US-VA", "MX", "MY", "CN-SH", "CN-GD-SHENZHEN"]

# Bans, US export controls: what the tracker adds from second sources must cite them.
SECOND_SOURCE_PAIRS = {
    "cn-national-ai-industry-investment-fund": "the report's US$8.2 bn fund and the registered CNY 60.06 bn",
    "cn-compute-subsidies": "the report's compute subsidies and the city vouchers reported in September 2025",
}


@pytest.mark.parametrize(("slug", "kind"), REPORT_INSTRUMENTS.items())
def test_each_measure_the_report_names_is_recorded_and_cites_it(slug, kind):
    instrument = PolicyInstrument.objects.get(slug=slug)
    assert instrument.kind == kind
    assert instrument.title_en and instrument.title_zh, "bilingual title"
    assert instrument.citations.filter(source__slug=REPORT).exists(), f"{slug} does not cite the report"


@pytest.mark.parametrize("slug", REPORT_INDICATORS)
def test_each_figure_the_report_gives_is_recorded_and_cites_it(slug):
    indicator = Indicator.objects.get(slug=slug)
    assert indicator.subject_en and indicator.subject_zh
    assert indicator.citations.filter(source__slug=REPORT).exists()


@pytest.mark.parametrize("slug", REPORT_ORGANIZATIONS)
def test_each_organization_the_report_names_is_recorded_in_both_languages(slug):
    organization = Organization.objects.get(slug=slug)
    assert organization.name_en and organization.name_zh


@pytest.mark.parametrize("code", REPORT_JURISDICTIONS)
def test_each_place_the_report_names_is_recorded(code):
    place = Jurisdiction.objects.get(code=code)
    assert place.name_zh


def test_every_measure_and_every_claim_has_a_citation():
    uncited = list(PolicyInstrument.objects.filter(citations__isnull=True).values_list("slug", flat=True))
    uncited += list(Indicator.objects.filter(citations__isnull=True).values_list("slug", flat=True))
    assert uncited == []


def test_every_kind_specific_measure_has_its_details():
    kinds = {
        "investment_fund": "fund",
        "state_lab": "lab",
        "pilot_zone": "pilot_zone",
        "export_control": "export_control",
        "ban": "ban",
    }
    missing = [
        instrument.slug
        for instrument in PolicyInstrument.objects.filter(kind__in=kinds).select_related(*kinds.values())
        if not hasattr(instrument, kinds[instrument.kind])
    ]
    assert missing == []


@pytest.mark.parametrize("slug", SECOND_SOURCE_PAIRS)
def test_a_measure_with_a_second_source_cites_both(slug):
    instrument = PolicyInstrument.objects.get(slug=slug)
    sources = set(instrument.citations.values_list("source__slug", flat=True))
    assert REPORT in sources and len(sources) >= 2, SECOND_SOURCE_PAIRS[slug]


@pytest.mark.parametrize("slug", NO_ISSUER)
def test_no_issuer_is_recorded_that_no_source_names(slug):
    assert PolicyInstrument.objects.get(slug=slug).issuing_body is None


@pytest.mark.parametrize("slug", STATUS_UNKNOWN)
def test_no_status_is_recorded_that_no_source_gives(slug):
    instrument = PolicyInstrument.objects.get(slug=slug)
    assert instrument.status == "unknown"
    assert [instrument.announced, instrument.effective_from] == [None, None], "no source dates it"


def test_no_sponsor_is_recorded_that_no_source_names():
    lab = PolicyInstrument.objects.get(slug="cn-shanghai-ai-laboratory").lab
    assert list(lab.sponsors.all()) == []


def test_a_rescission_is_an_event_on_the_rule_it_rescinds():
    """Not a second measure that contradicts the first: the rule carries its rescission, cited."""
    assert not PolicyInstrument.objects.filter(export_control__legal_form="rescission").exists()
    rule = PolicyInstrument.objects.get(slug="us-bis-2025-ai-diffusion-rule")
    rescission = rule.events.get(kind="rescinded")
    assert (rule.status, rule.rescinded) == ("rescinded", rescission.date)
    assert rescission.citation.source.slug == "alstontrade-2025-ai-diffusion-rescission"


@pytest.mark.parametrize("model", [InstrumentCitation, IndicatorCitation], ids=["instruments", "indicators"])
def test_confirmed_only_where_the_source_was_quoted_verbatim(model):
    wrong = [str(citation) for citation in model.objects.filter(confidence="confirmed", verbatim=False)]
    assert wrong == []


@pytest.mark.skipif(not report_available(), reason="the seed report text is not beside the project")
@pytest.mark.parametrize("model", [InstrumentCitation, IndicatorCitation], ids=["instruments", "indicators"])
def test_every_quote_from_the_report_stands_in_the_paragraph_its_locator_names(model):
    text = paragraphs()
    wrong = []
    for citation in model.objects.filter(source__slug=REPORT):
        if not LOCATOR.match(citation.locator):
            wrong.append(f"{citation}: locator {citation.locator!r} is not 'section S, para N'")
        elif citation.quote not in text.get(citation.locator, ""):
            wrong.append(f"{citation}: {citation.quote[:40]!r} is not in {citation.locator}")
        elif not citation.verbatim or citation.quote_language != "zh-Hant":
            wrong.append(f"{citation}: a quote from the report is verbatim zh-Hant")
    assert wrong == []


def test_every_paragraph_that_names_a_measure_is_cited_somewhere():
    """The report's passages on goals, tools, export controls and bans are all used."""
    if not report_available():
        pytest.skip("the seed report text is not beside the project")
    cited = set(InstrumentCitation.objects.filter(source__slug=REPORT).values_list("locator", flat=True))
    cited |= set(IndicatorCitation.objects.filter(source__slug=REPORT).values_list("locator", flat=True))
    for locator in [
        "introduction, para 1",
        "introduction, para 4",
        "introduction, para 5",
        "introduction, para 6",
        "section 1, para 2",
        "section 1, para 3",
        "section 2, para 2",
        "section 2, para 3",
        "section 2, para 4",
        "section 2, para 6",
        "section 3, para 4",
        "section 3, para 5",
        "section 3, para 7",
        "section 3, para 8",
        "section 3, para 9",
        "section 3, para 13",
    ]:
        assert locator in cited, f"{locator} of the report is cited by no record"


@pytest.mark.parametrize(
    ("model", "key", "parent"),
    [
        (Organization, "us-bis", "us-department-of-commerce"),
        (Organization, "us-disa", "us-department-of-defense"),
        (Jurisdiction, "US-TX", "US"),
        (Jurisdiction, "CN-SH", "CN"),
    ],
)
def test_hierarchies_the_brief_names(model, key, parent):
    record = model.objects.get_by_natural_key(key)
    assert record.parent.natural_key() == (parent,)
