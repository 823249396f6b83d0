"""The fixtures load cleanly, idempotently, through Django's own loaddata too, and a bad
fixture is refused whole with an error naming the file, record and field."""

import json

import pytest
from django.core.management import call_command

from tracker.importers.fixtures import FixtureError, fixture_paths, load_fixtures
from tracker.models import Fund, PolicyInstrument, record_models

pytestmark = pytest.mark.django_db


def tracker_counts():
    return {model._meta.label_lower: model.objects.count() for model in record_models()}


def test_every_model_has_fixture_data():
    empty = [label for label, count in tracker_counts().items() if count == 0]
    assert empty == []


def test_loading_again_creates_nothing_and_keeps_what_is_there():
    before = tracker_counts()

    result = load_fixtures()

    assert sum(result.created.values()) == 0
    assert result.total == sum(result.kept.values()) > 0
    assert tracker_counts() == before


def test_an_analysts_edit_survives_a_reload_unless_the_files_are_asked_to_win():
    instrument = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    seeded_title, seeded_created = instrument.title_en, instrument.created
    instrument.title_en = "Texas bans DeepSeek (edited by an analyst)"
    instrument.save()

    load_fixtures()
    instrument.refresh_from_db()
    assert instrument.title_en == "Texas bans DeepSeek (edited by an analyst)"

    before = tracker_counts()
    result = load_fixtures(update_existing=True)
    instrument.refresh_from_db()
    assert instrument.title_en == seeded_title
    assert instrument.created == seeded_created
    # Only the record that differs from its file is written; the rest are unchanged.
    assert dict(result.updated) == {"tracker.policyinstrument": 1}
    assert sum(result.kept.values()) == result.total - 1
    assert tracker_counts() == before


def test_djangos_own_loaddata_reads_the_fixtures_without_duplicating():
    before = tracker_counts()
    call_command("loaddata", *fixture_paths(), verbosity=0)
    assert tracker_counts() == before


def test_fixtures_carry_no_numeric_ids():
    for path in fixture_paths():
        for record in json.loads(path.read_text(encoding="utf-8")):
            assert "pk" not in record, f"{path.name}: {record['model']} has a numeric pk"
            for name, value in record["fields"].items():
                assert type(value) is not int or name in NUMERIC_FIELDS, f"{path.name}: {name}={value}"


NUMERIC_FIELDS = {"position", "term_years", "year", "value", "value_max", "sequence"}


def write_fixture(tmp_path, records, name="bad.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def measure(slug, **fields):
    base = {
        "slug": slug,
        "title_en": "A test fund",
        "kind": "investment_fund",
        "status": "in_force",
        "jurisdiction": ["CN"],
    }
    return {"model": "tracker.policyinstrument", "fields": {**base, **fields}}


def test_a_bad_value_is_refused_naming_file_record_and_field_and_nothing_is_kept(tmp_path):
    existing = PolicyInstrument.objects.order_by("slug").first()
    before = tracker_counts()
    path = write_fixture(
        tmp_path,
        [
            {
                "model": "tracker.policyinstrument",
                "fields": {
                    "slug": existing.slug,
                    "title_en": "Overwritten",
                    "kind": existing.kind,
                    "jurisdiction": ["CN"],
                },
            },
            measure("test-new-fund"),
            {"model": "tracker.fund", "fields": {"instrument": ["test-new-fund"], "amount": "-5", "currency": "CNY"}},
        ],
    )
    with pytest.raises(FixtureError) as refused:
        load_fixtures([path], update_existing=True)
    message = str(refused.value)
    assert "bad.json, record 3" in message
    assert "tracker.fund test-new-fund" in message
    assert "amount cannot be negative" in message
    assert tracker_counts() == before
    existing.refresh_from_db()
    assert existing.title_en != "Overwritten"


def test_an_unknown_currency_is_refused_in_the_validation_words(tmp_path):
    path = write_fixture(
        tmp_path,
        [
            measure("test-fund-xyz"),
            {"model": "tracker.fund", "fields": {"instrument": ["test-fund-xyz"], "amount": "5", "currency": "XYZ"}},
        ],
    )
    with pytest.raises(FixtureError, match=r"record 2 \(tracker.fund test-fund-xyz\): currency: .*XYZ"):
        load_fixtures([path])
    assert not Fund.objects.filter(instrument__slug="test-fund-xyz").exists()


def test_a_reference_to_a_missing_record_is_named(tmp_path):
    path = write_fixture(tmp_path, [measure("test-nowhere", jurisdiction=["ZZ-NOWHERE"])])
    with pytest.raises(
        FixtureError, match=r"record 1 .*jurisdiction: no tracker.jurisdiction has the natural key \['ZZ-NOWHERE'\]"
    ):
        load_fixtures([path])
    assert not PolicyInstrument.objects.filter(slug="test-nowhere").exists()


def test_a_forward_reference_to_a_missing_optional_record_is_named(tmp_path):
    path = write_fixture(tmp_path, [measure("test-orphan", part_of=["no-such-programme"])])
    with pytest.raises(FixtureError, match=r"part_of: no tracker.policyinstrument has the natural key"):
        load_fixtures([path])
    assert not PolicyInstrument.objects.filter(slug="test-orphan").exists()


def test_a_forward_reference_within_the_load_is_resolved(tmp_path):
    path = write_fixture(
        tmp_path,
        [
            measure("test-zone", kind="pilot_zone", part_of=["test-programme"]),
            measure("test-programme", kind="pilot_zone_programme"),
        ],
    )
    result = load_fixtures([path])
    assert result.created["tracker.policyinstrument"] == 2
    assert PolicyInstrument.objects.get(slug="test-zone").part_of.slug == "test-programme"


def test_malformed_json_is_named(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"model": "tracker.policyinstrument", "fields": ', encoding="utf-8")
    with pytest.raises(FixtureError, match="broken.json"):
        load_fixtures([path])


def test_the_command_reports_counts_and_refuses_bad_files(tmp_path, capsys):
    call_command("load_tracker_fixtures")
    assert "0 created" in capsys.readouterr().out
    from django.core.management.base import CommandError

    bad = write_fixture(tmp_path, [measure("test-bad-kind", kind="nonsense")])
    with pytest.raises(CommandError, match=r"Nothing was loaded\. bad.json, record 1 .*kind"):
        call_command("load_tracker_fixtures", str(bad))


def test_stack_layers_are_defined_as_in_the_typology():
    from tracker.choices import DEFINITIONS, StackLayerCode
    from tracker.models import StackLayer

    assert dict(StackLayer.objects.values_list("code", "definition")) == DEFINITIONS[StackLayerCode]


def test_a_measure_amending_itself_is_refused(tmp_path):
    path = write_fixture(tmp_path, [measure("test-self-amending", kind="plan", amends=[["test-self-amending"]])])
    with pytest.raises(
        FixtureError, match=r"record 1 \(tracker.policyinstrument test-self-amending\): amends: .*amend itself"
    ):
        load_fixtures([path])
    assert not PolicyInstrument.objects.filter(slug="test-self-amending").exists()
