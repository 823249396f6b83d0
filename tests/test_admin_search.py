"""The kinds' lists (funds, labs, pilot zones, export controls, bans) search as the list of measures does.

On the report's data and on a few records made here; the same tests run on SQLite and on
PostgreSQL.
"""

import pytest
from django.urls import reverse

from tests import factories
from tracker.models import Ban, ExportControl, Fund, Lab, Organization, PilotZone, PolicyInstrument

pytestmark = pytest.mark.django_db

KINDS = {
    Fund: ("investment_fund", lambda measure: Fund.objects.create(instrument=measure, amount=1000, currency="CNY")),
    Lab: ("state_lab", lambda measure: Lab.objects.create(instrument=measure)),
    PilotZone: ("pilot_zone", lambda measure: PilotZone.objects.create(instrument=measure)),
    ExportControl: ("export_control", lambda measure: ExportControl.objects.create(instrument=measure, legal_form="")),
    Ban: ("ban", lambda measure: Ban.objects.create(instrument=measure, legal_form="directive")),
}


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def listed(client, model, text):
    response = client.get(reverse(f"admin:tracker_{model._meta.model_name}_changelist"), {"q": text})
    assert response.status_code == 200
    return {detail.pk for detail in response.context["cl"].result_list}


def searched(model, text):
    """The details whose measure the tracker's search finds."""
    measures = PolicyInstrument.objects.search(text).values("pk")
    return set(model.objects.filter(instrument__in=measures).values_list("pk", flat=True))


def detail(model, **fields):
    kind, create = KINDS[model]
    measure = factories.instrument(kind=kind, **fields)
    measure.save()
    return create(measure)


@pytest.mark.parametrize("model", KINDS, ids=lambda model: model._meta.model_name)
def test_a_kinds_list_finds_a_chinese_title_written_in_either_script(analyst_client, model):
    # Stored in traditional characters, searched in both scripts.
    found = detail(model, title_en="Emerald computing programme", title_zh="翡翠量子計算實驗計畫")
    other = detail(model, title_en="Another programme", title_zh="另一個計畫")
    for text in ("翡翠量子計算", "翡翠量子计算", "量子计算实验"):
        assert listed(analyst_client, model, text) == {found.pk}, text
    assert other.pk in listed(analyst_client, model, "計畫")


@pytest.mark.parametrize("model", KINDS, ids=lambda model: model._meta.model_name)
def test_a_kinds_list_finds_its_measures_by_the_chinese_name_of_their_issuer(analyst_client, model):
    issuer = factories.organization(name_en="Emerald Testing Bureau", name_zh="翡翠測驗實驗機構")
    issuer.save()
    found = detail(model, title_en="A measure", issuing_body=issuer)
    detail(model, title_en="A measure")
    for text in ("翡翠測驗實驗機構", "翡翠测验实验机构", "Emerald Testing"):
        assert listed(analyst_client, model, text) == {found.pk}, text


def test_the_export_control_list_finds_what_the_search_of_measures_finds(analyst_client):
    # The report's export controls: Huawei is named by their targets, in either script; "controlling"
    # is found by its stem on PostgreSQL, and by nothing on SQLite, alike on both lists.
    for text in ("华为", "華為", "Entity List", "export", "controlling"):
        assert listed(analyst_client, ExportControl, text) == searched(ExportControl, text), text
    assert listed(analyst_client, ExportControl, "华为") == listed(analyst_client, ExportControl, "華為")
    huawei = Organization.objects.get(name_zh="華為")
    targeting = set(ExportControl.objects.filter(instrument__targets=huawei).values_list("pk", flat=True))
    assert targeting and targeting <= listed(analyst_client, ExportControl, "华为")


def test_every_word_narrows_a_kinds_list_and_each_detail_comes_once(analyst_client):
    both = detail(Lab, title_en="Emerald lab", title_zh="翡翠實驗室")
    detail(Lab, title_en="Emerald fund lab")
    response = analyst_client.get(reverse("admin:tracker_lab_changelist"), {"q": "Emerald 翡翠"})
    rows = [lab.pk for lab in response.context["cl"].result_list]
    assert rows == [both.pk]


def test_an_empty_search_lists_every_detail(analyst_client):
    everything = set(Ban.objects.values_list("pk", flat=True))
    response = analyst_client.get(reverse("admin:tracker_ban_changelist"), {"q": "  "})
    assert response.status_code == 200
    assert set(response.context["cl"].queryset.values_list("pk", flat=True)) == everything
