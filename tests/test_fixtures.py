"""The shipped fixtures: they sync cleanly and idempotently, read through Django's own loaddata
too, and are written in the canonical form, so an export reproduces them byte for byte.

The sync's behaviour on edited and bad files is tested in test_sync.py."""

import json

import pytest
from django.core.management import call_command

from tracker.importers.export import export_fixtures
from tracker.importers.fixtures import fixture_paths
from tracker.importers.sync import sync_fixtures
from tracker.models import ChangeSet, SyncBase, record_models

pytestmark = pytest.mark.django_db


def tracker_counts():
    return {model._meta.label_lower: model.objects.count() for model in record_models()}


def test_every_model_has_fixture_data():
    empty = [label for label, count in tracker_counts().items() if count == 0]
    assert empty == []


def test_syncing_again_changes_nothing_and_reports_every_record_unchanged():
    before, journal = tracker_counts(), ChangeSet.objects.count()

    result = sync_fixtures()

    assert sum(result.created.values()) == sum(result.updated.values()) == 0
    assert result.total == sum(result.unchanged.values()) == sum(tracker_counts().values())
    assert tracker_counts() == before
    assert ChangeSet.objects.count() == journal
    assert SyncBase.objects.count() == result.total


def test_the_old_command_name_still_syncs(capsys):
    call_command("load_tracker_fixtures")
    assert "0 created, 0 updated" in capsys.readouterr().out


def test_djangos_own_loaddata_reads_the_fixtures_without_duplicating():
    before = tracker_counts()
    call_command("loaddata", *fixture_paths(), verbosity=0)
    assert tracker_counts() == before


NUMERIC_FIELDS = {"position", "term_years", "year", "sequence"}


def test_fixtures_carry_no_numeric_ids():
    for path in fixture_paths():
        for record in json.loads(path.read_text(encoding="utf-8")):
            assert "pk" not in record, f"{path.name}: {record['model']} has a numeric pk"
            for name, value in record["fields"].items():
                assert type(value) is not int or name in NUMERIC_FIELDS, f"{path.name}: {name}={value}"


def test_an_export_after_the_sync_reproduces_the_shipped_files_byte_for_byte(tmp_path):
    result = export_fixtures(tmp_path)

    shipped = {path.name: path.read_bytes() for path in fixture_paths()}
    exported = {path.name: path.read_bytes() for path in sorted(tmp_path.glob("*.json"))}
    assert sorted(exported) == sorted(shipped)
    assert [name for name in shipped if exported[name] != shipped[name]] == []
    assert sum(result.records.values()) == sum(tracker_counts().values())


def test_stack_layers_are_defined_as_in_the_typology():
    from tracker.choices import DEFINITIONS, StackLayerCode
    from tracker.models import StackLayer

    assert dict(StackLayer.objects.values_list("code", "definition")) == DEFINITIONS[StackLayerCode]
