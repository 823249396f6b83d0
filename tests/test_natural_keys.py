"""Every record is found by its natural key, and a dump reloads to the same data."""

import json

import pytest
from django.apps import apps
from django.core.management import call_command

from tracker.importers.fixtures import load_fixtures
from tracker.models import (
    Indicator,
    Jurisdiction,
    Organization,
    PolicyInstrument,
    Source,
    record_models,
)
from tracker.services.records import SYSTEM_FIELDS

pytestmark = pytest.mark.django_db


def tracker_models():
    return record_models()


@pytest.mark.parametrize("model", tracker_models(), ids=lambda model: model._meta.label_lower)
def test_natural_key_finds_the_same_record(model):
    records = list(model.objects.all()[:25])
    assert records, f"no {model._meta.label_lower} in the fixtures"
    for record in records:
        assert model.objects.get_by_natural_key(*record.natural_key()) == record


def dump(path):
    """The records' content as dumped; versions, review state and timestamps belong to the services."""
    labels = [model._meta.label for model in record_models()]
    call_command(
        "dumpdata", *labels, natural_foreign=True, natural_primary=True, indent=1, output=str(path), verbosity=0
    )
    records = json.loads(path.read_text(encoding="utf-8"))
    for record in records:
        for name in SYSTEM_FIELDS:
            record["fields"].pop(name, None)
    return sorted(json.dumps(record, sort_keys=True, ensure_ascii=False) for record in records)


def wipe_tracker_data():
    """Delete every tracker row, children first, breaking self-references that protect parents."""
    PolicyInstrument.objects.update(part_of=None)
    Organization.objects.update(parent=None)
    Jurisdiction.objects.update(parent=None)
    Source.objects.update(translation_of=None)
    Indicator.objects.update(instrument=None)
    order = [
        "instrumentevent",
        "indicatorsubject",
        "stacklayercitation",
        "subsidy",
        "indicatorcitation",
        "instrumentcitation",
        "fundparticipant",
        "fund",
        "lab",
        "pilotzone",
        "exportcontrol",
        "ban",
        "indicator",
        "policyinstrument",
        "product",
        "source",
        "organizationalias",
        "organization",
        "jurisdiction",
        "stacklayer",
    ]
    assert set(order) == {model._meta.model_name for model in tracker_models()}
    for name in order:
        apps.get_model("tracker", name).objects.all().delete()


def test_dump_and_reload_gives_the_same_data(tmp_path):
    first = dump(tmp_path / "first.json")
    wipe_tracker_data()
    assert PolicyInstrument.objects.count() == 0

    result = load_fixtures([tmp_path / "first.json"])

    assert sum(result.updated.values()) == 0
    assert dump(tmp_path / "second.json") == first
