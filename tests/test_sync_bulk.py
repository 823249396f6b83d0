"""The fast paths of the fixture sync.  The bulk path (``tracker.services.bulk.create_records``) writes exactly
what saving the records one by one writes, in a number of queries that does not grow with the
number of records, and still names every record and field the database refuses; and a file unchanged since its last
sync is not read at all, yet counted, and never hides a duplicate key."""

import datetime
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tracker.importers.fixtures import display_path, dumps, fixture_paths
from tracker.importers.sync import FileRecord, Sync, SyncRefused, reference_models, sync_fixtures
from tracker.models import (
    ChangeSet,
    Organization,
    OrganizationAlias,
    PolicyInstrument,
    SyncBase,
    SyncedFile,
    record_models,
)
from tracker.services import bulk, save_record

pytestmark = pytest.mark.django_db

# Copied: the measures of these files (at most this many of each) with their parts, and these
# files' organizations with their aliases.
MEASURE_FILES = {"11_cn_funds.json": 5, "13_cn_labs.json": 5, "14_cn_pilot_zones.json": 6, "17_bans.json": 6}
ORGANIZATION_FILES = {"02_organizations_cn.json"}


def copies_of_the_shipped_records():
    """Shipped measures and organizations under new slugs, with all their parts: new records
    with links, details, citations, events, programmes (``part_of``) and parent organizations
    referring to other new records of their own model."""
    files = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in fixture_paths()}
    everything = [record for records in files.values() for record in records]
    by_slug = {r["fields"]["slug"]: r for r in everything if r["model"] == "tracker.policyinstrument"}
    measures = set()
    for name, limit in MEASURE_FILES.items():
        measures.update([r["fields"]["slug"] for r in files[name] if r["model"] == "tracker.policyinstrument"][:limit])
    for slug in list(measures):  # a programme comes with the measures under it
        while (parent := by_slug[slug]["fields"]["part_of"]) is not None:
            measures.add(slug := parent[0])
    organizations = {
        r["fields"]["slug"] for name in ORGANIZATION_FILES for r in files[name] if r["model"] == "tracker.organization"
    }

    def renamed(value, slugs):
        if isinstance(value, list):
            return [renamed(part, slugs) for part in value]
        return f"copy-{value}" if isinstance(value, str) and value in slugs else value

    copies = []
    for record in everything:
        model = apps.get_model(record["model"])
        fields = dict(record["fields"])
        if model is PolicyInstrument:
            keep = fields["slug"] in measures
        elif model is Organization:
            keep = fields["slug"] in organizations
        elif model is OrganizationAlias:
            keep = fields["organization"][0] in organizations
        else:
            keep = model.version_parent is not None and renamed(model_key(record), measures) != model_key(record)
        if not keep:
            continue
        for name, value in fields.items():
            model_field = model._meta.get_field(name)
            if name == "slug" or model_field.is_relation:
                target = model if name == "slug" else model_field.related_model
                if target is Organization:
                    fields[name] = renamed(value, organizations)
                elif target is not None and (target is PolicyInstrument or getattr(target, "version_parent", None)):
                    fields[name] = renamed(value, measures)
        copies.append({"model": record["model"], "fields": fields})
    return copies


def model_key(record):
    """The reference to the measure a part belongs to (its first reference field), as written."""
    model = apps.get_model(record["model"])
    parent = model._meta.get_field(model.version_parent)
    return record["fields"].get(parent.name)


def what_the_sync_wrote(sources):
    """The records and history rows the change sets of ``sources`` wrote, by natural key, with
    every field but ids and timestamps; the change sets' kinds and messages."""
    keys = {
        model: {row.pk: tuple(row.natural_key()) for row in model._base_manager.all()} for model in reference_models()
    }

    def key(model, pk):
        return keys[model].get(pk, pk) if pk is not None else None

    skipped = {"id", "created", "updated", "published_at"}
    written = {}
    changesets = ChangeSet.objects.filter(source__in=sources)
    for model in record_models():
        history_model = model.history.model
        rows = history_model.objects.filter(changeset__in=changesets).order_by("history_date", "history_id")
        for row in rows:
            values = {"history_type": row.history_type, "reason": row.history_change_reason}
            for model_field in history_model.tracked_fields:
                if model_field.name in skipped:
                    continue
                value = getattr(row, model_field.attname)
                values[model_field.name] = key(model_field.related_model, value) if model_field.is_relation else value
            for link in history_model._history_m2m_fields:
                target = f"{link.m2m_reverse_field_name()}_id"
                values[link.name] = sorted(
                    key(link.related_model, getattr(entry, target)) for entry in getattr(row, link.name).all()
                )
            written.setdefault((model._meta.label_lower, key(model, row.id)), []).append(values)
    for versions in written.values():
        versions.sort(key=lambda values: values["version"])
    journal = sorted((c.via, c.kind, c.source, c.message, c.username) for c in changesets)
    return written, journal


def sync_and_read(paths, *, one_by_one, monkeypatch):
    """Sync ``paths``, read what it wrote, and roll it all back."""
    with monkeypatch.context() as patch:
        if one_by_one:
            patch.setattr(Sync, "bulk_levels", lambda self, records: {})
        with transaction.atomic():
            result = sync_fixtures(paths)
            wrote = what_the_sync_wrote([display_path(path) for path in paths])
            transaction.set_rollback(True)
    return result, wrote


def test_the_bulk_path_writes_what_saving_one_by_one_writes(tmp_path, monkeypatch):
    copies = copies_of_the_shipped_records()
    # The parts in a file of their own: their change set moves their measures' versions too.
    records, parts = tmp_path / "copies.json", tmp_path / "copies-parts.json"
    roots = ("tracker.policyinstrument", "tracker.organization", "tracker.organizationalias")
    records.write_text(dumps([record for record in copies if record["model"] in roots]), encoding="utf-8")
    parts.write_text(dumps([record for record in copies if record["model"] not in roots]), encoding="utf-8")

    bulk, (bulk_rows, bulk_journal) = sync_and_read([records, parts], one_by_one=False, monkeypatch=monkeypatch)
    single, (single_rows, single_journal) = sync_and_read([records, parts], one_by_one=True, monkeypatch=monkeypatch)

    assert sum(bulk.created.values()) == len(copies) == sum(single.created.values())
    assert bulk.created == single.created
    assert bulk_journal == single_journal and len(bulk_journal) == 2
    assert len(bulk_rows) == len(copies)
    assert bulk_rows == single_rows
    measures = [rows for (label, _), rows in bulk_rows.items() if label == "tracker.policyinstrument"]
    # Created by one file, moved by the other's parts: two versions, both published.
    assert measures and all([row["version"] for row in rows] == [1, 2] for rows in measures)
    assert all(rows[-1]["editorial_state"] == "published" for rows in measures)


def test_the_bulk_path_costs_the_same_queries_for_five_or_fifty_measures(tmp_path):
    def queries_for(count):
        records = []
        for number in range(count):
            slug = f"bulk-test-{count}-{number}"
            records.append(
                {
                    "model": "tracker.policyinstrument",
                    "fields": {
                        "slug": slug,
                        "title_en": f"Measure {number}",
                        "kind": "plan",
                        "status": "in_force",
                        "jurisdiction": ["CN"],
                        "issuing_body": ["cn-state-council"],
                        "co_issuers": [["cn-most"]],
                        "layers": [["data"], ["talent"]],
                        "announced": "2024-01-02",
                        "announced_precision": "day",
                    },
                }
            )
            records.append(
                {
                    "model": "tracker.instrumentcitation",
                    "fields": {
                        "instrument": [slug],
                        "source": ["ilr-full-stack-zh-2025"],
                        "locator": "p. 1",
                        "quote": "a quote",
                        "quote_language": "en",
                        "confidence": "reported",
                    },
                }
            )
        path = tmp_path / f"measures-{count}.json"
        path.write_text(dumps(records), encoding="utf-8")
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            result = sync_fixtures([path])
            transaction.set_rollback(True)
        assert result.created["tracker.policyinstrument"] == count
        assert result.created["tracker.instrumentcitation"] == count
        return len(queries.captured_queries)

    few, many = queries_for(5), queries_for(50)
    # Ten times the records, the same queries but for SQLite splitting a long insert in parts
    # (it takes at most 999 values a statement): never a query per record.
    assert few <= many <= few + 4


def test_a_batch_the_database_refuses_is_written_one_by_one_and_each_error_named(tmp_path, monkeypatch):
    copies = copies_of_the_shipped_records()
    one_by_one = []
    monkeypatch.setattr(bulk, "save_record", lambda **kwargs: one_by_one.append(kwargs) or save_record(**kwargs))
    funds = [record for record in copies if record["model"] == "tracker.fund"]
    assert len(funds) >= 2
    funds[0]["fields"]["amount"] = "-1.00"  # a check constraint only the database checks in bulk
    path = tmp_path / "copies.json"
    path.write_text(dumps(copies), encoding="utf-8")
    with pytest.raises(SyncRefused) as refusal:
        sync_fixtures([path])
    message = str(refusal.value)
    assert f"tracker.fund {funds[0]['fields']['instrument'][0]}: amount: A fund's amount cannot be negative." in message
    assert message.count("tracker.fund ") == 1
    assert [kwargs["record"]._meta.label_lower for kwargs in one_by_one] == ["tracker.fund"] * len(funds)


# --- an unchanged file is not read ---------------------------------------------------------------


def shipped_counts():
    counts = Counter()
    for path in fixture_paths():
        counts.update(record["model"] for record in json.loads(path.read_text(encoding="utf-8")))
    return counts


def test_an_unchanged_resync_reads_no_file_and_counts_every_record_unchanged(monkeypatch):
    read = []
    original = Sync.read
    monkeypatch.setattr(Sync, "read", lambda self, path: read.append(path.name) or original(self, path))
    with CaptureQueriesContext(connection) as queries:
        result = sync_fixtures()
    assert read == []
    assert result.unchanged == shipped_counts()
    assert not result.created and not result.updated and not result.problems
    assert len(queries.captured_queries) <= 12


def test_a_changed_file_is_read_and_the_others_are_not(tmp_path, monkeypatch):
    for path in fixture_paths():
        shutil.copy(path, tmp_path / path.name)
    plans = tmp_path / "10_cn_plans.json"
    records = json.loads(plans.read_text(encoding="utf-8"))
    records[0]["fields"]["title_en"] += " (revised)"
    plans.write_text(dumps(records), encoding="utf-8")
    read = []
    original = Sync.read
    monkeypatch.setattr(Sync, "read", lambda self, path: read.append(path.name) or original(self, path))

    result = sync_fixtures(sorted(tmp_path.glob("*.json")))

    assert read == ["10_cn_plans.json"]
    assert result.updated == Counter({"tracker.policyinstrument": 1})
    assert sum(result.unchanged.values()) == sum(shipped_counts().values()) - 1
    read.clear()
    assert sum(sync_fixtures(sorted(tmp_path.glob("*.json"))).unchanged.values()) == sum(shipped_counts().values())
    assert read == []  # the new bytes are remembered


def test_a_file_is_read_again_when_its_bases_or_the_schema_changed(monkeypatch):
    read = []
    original = Sync.read
    monkeypatch.setattr(Sync, "read", lambda self, path: read.append(path.name) or original(self, path))
    SyncBase.objects.filter(file="17_bans.json").first().delete()
    SyncedFile.objects.filter(name="13_cn_labs.json").update(rules="0001_initial")
    result = sync_fixtures()
    assert sorted(read) == ["13_cn_labs.json", "17_bans.json"]
    assert result.unchanged == shipped_counts() and not result.updated


def test_a_key_in_a_new_file_that_an_unread_file_holds_is_a_duplicate(tmp_path):
    plans = json.loads((Path(settings.TRACKER_FIXTURE_DIR) / "10_cn_plans.json").read_text(encoding="utf-8"))
    extra = tmp_path / "extra.json"
    extra.write_text(dumps([plans[0]]), encoding="utf-8")
    with pytest.raises(SyncRefused) as refusal:
        sync_fixtures([*fixture_paths(), extra])
    assert (
        f"extra.json:2: tracker.policyinstrument {plans[0]['fields']['slug']}: duplicate natural key: "
        "10_cn_plans.json holds the same tracker.policyinstrument"
    ) in str(refusal.value)


# --- changed records are written in bulk ---------------------------------------------------------


def test_records_written_a_few_at_a_time_are_written_as_all_at_once(tmp_path, monkeypatch):
    """Records are checked, merged and written in chunks, each reading from the database the
    records written before that it refers to (its measure, for a detail's check of the
    measure's kind), and keeping only the keys of the chunks before: with chunks of two, the
    same rows, history and journal."""
    copies = copies_of_the_shipped_records()
    records, parts = tmp_path / "copies.json", tmp_path / "copies-parts.json"
    roots = ("tracker.policyinstrument", "tracker.organization", "tracker.organizationalias")
    records.write_text(dumps([record for record in copies if record["model"] in roots]), encoding="utf-8")
    parts.write_text(dumps([record for record in copies if record["model"] not in roots]), encoding="utf-8")
    changed_directory = tmp_path / "changed"
    changed_directory.mkdir()
    changed_paths, changed = changed_in_the_files(changed_directory)

    paths = [records, parts]
    whole, (whole_rows, whole_journal) = sync_and_read(paths, one_by_one=False, monkeypatch=monkeypatch)
    whole_updates = sync_and_read(changed_paths, one_by_one=False, monkeypatch=monkeypatch)
    read_back, most = Counter(), Counter()
    original = Sync.fetch_targets

    let_go = Sync.let_go

    def counted(self, records):
        original(self, records)
        read_back.update(model._meta.label_lower for model, _ in self.fetched)

    def counted_let_go(self, model, records):
        # The chunk's records are the only ones in memory; those before are on disk (their keys).
        assert all(isinstance(record, FileRecord) for record in self.index.live.values())
        most["records"] = max(most["records"], len(self.index.live))
        most["on disk"] = max(most["on disk"], *self.keys.db.execute("SELECT count(*) FROM filed").fetchone())
        let_go(self, model, records)

    monkeypatch.setattr(Sync, "fetch_targets", counted)
    monkeypatch.setattr(Sync, "let_go", counted_let_go)
    monkeypatch.setattr("tracker.importers.sync.WRITE_CHUNK", 2)
    chunked, (chunked_rows, chunked_journal) = sync_and_read(paths, one_by_one=False, monkeypatch=monkeypatch)
    on_disk = most.pop("on disk")  # the most, before the last chunk was let go
    chunked_updates = sync_and_read(changed_paths, one_by_one=False, monkeypatch=monkeypatch)

    assert not whole.problems and not chunked.problems
    assert chunked.created == whole.created and sum(chunked.created.values()) == len(copies)
    assert chunked_rows == whole_rows and chunked_journal == whole_journal
    assert read_back["tracker.policyinstrument"] > 0  # the details' and citations' measures
    assert most["records"] == 2  # the chunks before are let go: only their keys are kept, on disk
    assert len(copies) - 2 <= on_disk < len(copies)
    assert chunked_updates[0].updated == whole_updates[0].updated == changed
    assert chunked_updates[1] == whole_updates[1]


def test_a_plain_run_keeps_no_diff_and_a_dry_run_or_the_admin_does(tmp_path):
    """The field-by-field diff (``SyncResult.changes``) is a second copy of every record written:
    kept on a dry run, or when asked for (the admin's upload shows it), not on a plain run."""
    copies = copies_of_the_shipped_records()
    path = tmp_path / "copies.json"
    path.write_text(dumps(copies), encoding="utf-8")

    dry = sync_fixtures([path], dry_run=True)
    assert len(dry.changes) == len(copies) and "+ tracker.policyinstrument copy-" in dry.diff_text()
    with transaction.atomic():
        plain = sync_fixtures([path])
        assert plain.created == dry.created and plain.changes == []
        transaction.set_rollback(True)
    asked = sync_fixtures([path], diff=True)
    assert asked.created == dry.created and asked.changes == dry.changes


def copy_of_the_fixtures(directory):
    for path in fixture_paths():
        shutil.copy(path, directory / path.name)
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))}


def write_files(directory, files):
    for name, records in files.items():
        (directory / name).write_text(dumps(records), encoding="utf-8")
    return sorted(directory.glob("*.json"))


def changed_in_the_files(directory):
    """Fields, links and parts changed in several files: measures (a title, a summary, their
    layers and co-issuers), a fund's amount, citations' quotes, an organization's alias."""
    files = copy_of_the_fixtures(directory)
    changed = Counter()
    for name in ("14_cn_pilot_zones.json", "17_bans.json"):
        for number, record in enumerate(files[name]):
            fields = record["fields"]
            if record["model"] == "tracker.policyinstrument" and number % 3 == 0:
                fields["title_en"] += " (revised)"
                fields["layers"] = [["data"]] if fields.get("layers") != [["data"]] else [["talent"]]
                lead = fields.get("issuing_body")
                if lead is not None:  # a co-issuer other than the lead, added or taken away
                    other = ["cn-ndrc"] if lead != ["cn-ndrc"] else ["cn-miit"]
                    links = fields.get("co_issuers", [])
                    fields["co_issuers"] = [key for key in links if key != other] if other in links else [*links, other]
            elif record["model"] == "tracker.instrumentcitation" and number % 4 == 0:
                fields["quote"] = f"{fields.get('quote') or ''} ({number})".strip()
            else:
                continue
            changed[record["model"]] += 1
    fund = next(record for record in files["11_cn_funds.json"] if record["model"] == "tracker.fund")
    fund["fields"]["amount"] = str(int(float(fund["fields"]["amount"])) + 1000)
    alias = next(
        record for record in files["02_organizations_cn.json"] if record["model"] == "tracker.organizationalias"
    )
    alias["fields"]["language"] = "zh" if alias["fields"].get("language") != "zh" else "zh-Hans"
    changed.update(["tracker.fund", "tracker.organizationalias"])
    return write_files(directory, files), changed


def test_changed_records_written_in_bulk_are_written_as_one_by_one(tmp_path, monkeypatch):
    paths, changed = changed_in_the_files(tmp_path)
    bulk_written = []
    original = Sync.update_many

    def update_many(self, model, records):
        written = original(self, model, records)
        bulk_written.extend(written)
        return written

    monkeypatch.setattr(Sync, "update_many", update_many)
    in_bulk, (bulk_rows, bulk_journal) = sync_and_read(paths, one_by_one=False, monkeypatch=monkeypatch)
    assert {record.label for record in bulk_written} == set(changed)

    monkeypatch.setattr(Sync, "update_many", lambda self, model, records: set())
    single, (single_rows, single_journal) = sync_and_read(paths, one_by_one=True, monkeypatch=monkeypatch)

    assert in_bulk.updated == single.updated == changed
    assert not in_bulk.problems and not in_bulk.created
    assert bulk_journal == single_journal
    assert bulk_rows.keys() == single_rows.keys()
    assert bulk_rows == single_rows
    measures = [rows for (label, _), rows in bulk_rows.items() if label == "tracker.policyinstrument"]
    assert measures and all(rows[-1]["editorial_state"] == "published" for rows in measures)


def test_changed_records_cost_the_same_queries_for_five_or_fifty(tmp_path):
    def queries_for(count):
        directory = tmp_path / str(count)
        directory.mkdir()
        files = copy_of_the_fixtures(directory)
        measures = [r for r in files["14_cn_pilot_zones.json"] if r["model"] == "tracker.policyinstrument"]
        citations = [r for r in files["14_cn_pilot_zones.json"] if r["model"] == "tracker.instrumentcitation"]
        for record in (measures + citations)[: count // 2] + citations[: count - count // 2]:
            field_name = "title_en" if record["model"] == "tracker.policyinstrument" else "quote"
            record["fields"][field_name] = f"{record['fields'].get(field_name) or ''} (revised)"
        paths = write_files(directory, {"14_cn_pilot_zones.json": files["14_cn_pilot_zones.json"]})
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            result = sync_fixtures(paths)
            transaction.set_rollback(True)
        assert sum(result.updated.values()) == count
        return len(queries.captured_queries)

    few, many = queries_for(5), queries_for(50)
    assert few <= many <= few + 4  # not a query per record (SQLite may split a long statement)


def test_a_record_changed_since_it_was_read_is_a_conflict_and_nothing_of_it_is_written():
    from tracker.services import Actor, ConflictError
    from tracker.services.context import changeset

    measures = list(PolicyInstrument.objects.order_by("pk")[:3])
    versions = [measure.version for measure in measures]
    actor = Actor.fixtures("bulk-test.json")
    items = []
    for measure in measures:
        measure.title_en += " (revised)"
        items.append(bulk.ChangedRecord(measure, expected_version=measure.version))
    items[1].expected_version -= 1  # someone saved it after it was read
    items[2].record.title_en = ""  # required
    with changeset(actor):
        result = bulk.update_records(PolicyInstrument, items, actor=actor)
    assert isinstance(result.errors[1], ConflictError)
    assert "title_en" in result.errors[2].message_dict
    assert result.changed == [items[0]]
    stored = {m.pk: m for m in PolicyInstrument.objects.filter(pk__in=[m.pk for m in measures])}
    assert stored[measures[0].pk].title_en.endswith("(revised)")
    assert [stored[measure.pk].version for measure in measures] == [versions[0] + 1, *versions[1:]]
    assert not stored[measures[1].pk].title_en.endswith("(revised)")
    assert stored[measures[2].pk].title_en != ""


def test_a_changed_batch_the_database_refuses_is_written_one_by_one_and_named(tmp_path, monkeypatch):
    files = copy_of_the_fixtures(tmp_path)
    funds = [record for record in files["11_cn_funds.json"] if record["model"] == "tracker.fund"]
    funds[0]["fields"]["amount"] = "-1.00"
    funds[1]["fields"]["amount"] = str(int(float(funds[1]["fields"]["amount"])) + 1)
    paths = write_files(tmp_path, {"11_cn_funds.json": files["11_cn_funds.json"]})
    one_by_one = []
    monkeypatch.setattr(bulk, "save_record", lambda **kwargs: one_by_one.append(kwargs) or save_record(**kwargs))
    with pytest.raises(SyncRefused) as refusal:
        sync_fixtures(paths)
    message = str(refusal.value)
    assert f"tracker.fund {funds[0]['fields']['instrument'][0]}: amount: A fund's amount cannot be negative." in message
    assert message.count("tracker.fund ") == 1
    assert [kwargs["record"]._meta.label_lower for kwargs in one_by_one] == ["tracker.fund", "tracker.fund"]


def test_update_rows_writes_every_kind_of_field_as_saving_does():
    """``update_rows`` (one ``UPDATE … FROM (VALUES …)`` on PostgreSQL) writes text, dates,
    amounts, references and empty values as ``save`` would, to those rows only."""
    from decimal import Decimal

    from tracker.models import Fund
    from tracker.services.rows import update_rows

    funds = list(Fund.objects.order_by("pk"))
    for number, fund in enumerate(funds):
        fund.amount = Decimal("1234567.89") * (number + 1)
        fund.usd_rate_date = None if number else datetime.date(2024, 2, 29)
        fund.currency = "USD"
    *measures, untouched = PolicyInstrument.objects.order_by("pk")[:4]
    before = PolicyInstrument.objects.values().get(pk=untouched.pk)
    issuer = Organization.objects.order_by("pk").first()
    for number, measure in enumerate(measures):
        measure.title_en = f"Rewritten title {number} — 人工智能"
        measure.summary_en = "" if number == 2 else "Quoted 'text' and %s placeholders"
        measure.issuing_body = None if number == 1 else issuer
        measure.announced = datetime.date(2020, 1, number + 1)

    update_rows(Fund, funds, ["amount", "usd_rate_date", "currency"])
    update_rows(PolicyInstrument, measures, ["title_en", "summary_en", "issuing_body", "announced"])

    assert len(funds) >= 2
    for fund in funds:
        stored = Fund.objects.get(pk=fund.pk)
        assert (stored.amount, stored.usd_rate_date, stored.currency) == (fund.amount, fund.usd_rate_date, "USD")
    for measure in measures:
        row = PolicyInstrument.objects.get(pk=measure.pk)
        assert (row.title_en, row.summary_en, row.issuing_body_id, row.announced) == (
            measure.title_en,
            measure.summary_en,
            measure.issuing_body_id,
            measure.announced,
        )
    assert PolicyInstrument.objects.values().get(pk=untouched.pk) == before
