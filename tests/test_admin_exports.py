"""Exports from the admin's lists: the records chosen, or the whole list as filtered, as CSV and as
fixture JSON that ``sync_fixtures`` reads back unchanged."""

import csv
import io
import json

import pytest
from django.contrib import admin
from django.urls import reverse

from tracker.admin.actions import fixture_text
from tracker.admin.base import TrackerAdmin
from tracker.api.exports import Visibility, record_columns
from tracker.importers.fixtures import dumps
from tracker.importers.sync import sync_fixtures
from tracker.models import Ban, InstrumentCitation, InstrumentEvent, Organization, PolicyInstrument

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:tracker_policyinstrument_changelist"


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def body(response):
    assert response.status_code == 200
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def run_action(client, action, records):
    model = type(records[0])
    url = reverse(f"admin:tracker_{model._meta.model_name}_changelist")
    return client.post(url, {"action": action, "_selected_action": [str(record.pk) for record in records]})


def csv_table(text):
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def measure_headers(user):
    columns = record_columns(PolicyInstrument, Visibility(user))
    return [header for column in columns for header in column.headers()]


def test_the_selected_measures_export_as_csv_with_the_downloads_columns(analyst_client, analyst):
    chosen = list(PolicyInstrument.objects.filter(slug__in=["us-tx-deepseek-ban", "cn-big-fund-iii"]))

    response = run_action(analyst_client, "export_csv", chosen)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="policyinstrument-')
    header, rows = csv_table(body(response))
    assert header == measure_headers(analyst)
    assert "slug" in header and "title_en" in header and "kind" in header
    slug = header.index("slug")
    assert sorted(row[slug] for row in rows) == ["cn-big-fund-iii", "us-tx-deepseek-ban"]
    texas = next(row for row in rows if row[slug] == "us-tx-deepseek-ban")
    assert texas[header.index("kind")] == "ban" and texas[header.index("jurisdiction")] == "US-TX"


def test_the_selected_measures_export_as_fixture_json_with_their_parts(analyst_client):
    texas = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")

    records = json.loads(body(run_action(analyst_client, "export_fixture_json", [texas])))

    assert records[0] == {"model": "tracker.policyinstrument", "fields": records[0]["fields"]}
    assert records[0]["fields"]["slug"] == "us-tx-deepseek-ban"
    assert "id" not in records[0]["fields"] and "version" not in records[0]["fields"]
    assert records[0]["fields"]["jurisdiction"] == ["US-TX"]
    by_model = [record["model"] for record in records]
    assert by_model.count("tracker.ban") == 1
    assert by_model.count("tracker.instrumentcitation") == InstrumentCitation.objects.filter(instrument=texas).count()
    assert by_model.count("tracker.instrumentevent") == InstrumentEvent.objects.filter(instrument=texas).count()
    assert len(records) == 1 + 1 + by_model.count("tracker.instrumentcitation") + by_model.count(
        "tracker.instrumentevent"
    )
    ban = next(record for record in records if record["model"] == "tracker.ban")
    assert ban["fields"]["instrument"] == ["us-tx-deepseek-ban"]


def test_an_exported_fixture_file_syncs_back_with_everything_unchanged(analyst_client, tmp_path):
    chosen = list(PolicyInstrument.objects.filter(kind__in=["ban", "investment_fund"]).order_by("slug")[:6])
    text = body(run_action(analyst_client, "export_fixture_json", chosen))
    path = tmp_path / "exported.json"
    path.write_text(text, encoding="utf-8")
    count = len(json.loads(text))

    result = sync_fixtures([path])

    assert sum(result.created.values()) == 0 and sum(result.updated.values()) == 0
    assert sum(result.unchanged.values()) == count > len(chosen)
    assert not result.conflicts


def test_the_fixture_text_is_the_files_canonical_form():
    records = [{"model": "tracker.scope", "fields": {"code": "schools", "name_en": "schools", "name_zh": "學校"}}] * 2
    assert "".join(fixture_text(iter(records))) == dumps(records)
    assert "".join(fixture_text(iter([]))) == dumps([])


def test_the_whole_filtered_list_exports_with_its_filters_and_search(analyst_client, analyst):
    url = reverse("admin:tracker_policyinstrument_export", args=["csv"])

    header, rows = csv_table(body(analyst_client.get(url, {"kind__exact": "ban", "q": "DeepSeek"})))

    expected = PolicyInstrument.objects.filter(kind="ban").search("DeepSeek")
    slug = header.index("slug")
    assert header == measure_headers(analyst)
    assert sorted(row[slug] for row in rows) == sorted(expected.values_list("slug", flat=True))
    assert len(rows) > 5 and all(row[header.index("kind")] == "ban" for row in rows)


def test_the_whole_filtered_list_exports_as_fixture_json(analyst_client):
    url = reverse("admin:tracker_policyinstrument_export", args=["json"])

    records = json.loads(body(analyst_client.get(url, {"kind__exact": "ban"})))

    measures = [record["fields"]["slug"] for record in records if record["model"] == "tracker.policyinstrument"]
    assert sorted(measures) == sorted(PolicyInstrument.objects.filter(kind="ban").values_list("slug", flat=True))
    assert sum(record["model"] == "tracker.ban" for record in records) == Ban.objects.count()


def test_the_list_links_to_its_exports_keeping_the_filters(analyst_client):
    page = analyst_client.get(reverse(CHANGELIST), {"kind__exact": "ban", "q": "DeepSeek"}).content.decode()

    for export_format in ("csv", "json"):
        link = reverse("admin:tracker_policyinstrument_export", args=[export_format])
        assert f'href="{link}?kind__exact=ban&amp;q=DeepSeek"' in page
    assert "Export selected as CSV" in page and "Export selected as fixture JSON" in page


def test_other_lists_export_too(analyst_client):
    chosen = list(Organization.objects.order_by("slug")[:3])

    header, rows = csv_table(body(run_action(analyst_client, "export_csv", chosen)))

    assert sorted(row[header.index("slug")] for row in rows) == [organization.slug for organization in chosen]
    everything = analyst_client.get(reverse("admin:tracker_organization_export", args=["csv"]))
    assert len(csv_table(body(everything))[1]) == Organization.objects.count()


TRACKER_LISTS = [model for model, model_admin in admin.site._registry.items() if isinstance(model_admin, TrackerAdmin)]


@pytest.mark.parametrize("model", TRACKER_LISTS, ids=lambda model: model._meta.model_name)
def test_every_list_exports_its_selected_records_and_they_sync_back_unchanged(analyst_client, model, tmp_path):
    chosen = list(model.objects.order_by("pk")[:3])

    header, rows = csv_table(body(run_action(analyst_client, "export_csv", chosen)))
    text = body(run_action(analyst_client, "export_fixture_json", chosen))

    assert len(rows) == len(chosen) and all(len(row) == len(header) for row in rows)
    records = json.loads(text)
    label = model._meta.label_lower
    assert sum(record["model"] == label for record in records) == len(chosen)
    path = tmp_path / f"{model._meta.model_name}.json"
    path.write_text(text, encoding="utf-8")
    result = sync_fixtures([path])
    assert sum(result.unchanged.values()) == len(records)
    assert sum(result.created.values()) == sum(result.updated.values()) == 0 and not result.conflicts


def test_an_unknown_export_or_filter_is_refused(analyst_client):
    assert analyst_client.get("/admin/tracker/policyinstrument/export/xml/").status_code == 404
    response = analyst_client.get(reverse("admin:tracker_policyinstrument_export", args=["csv"]), {"nonsense": "1"})
    assert response.status_code == 400
