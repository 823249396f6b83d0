"""sync_fixtures and export_fixtures: bad files change nothing and every problem is named, the
three-way merge keeps both sides' work, prune withdraws, a dry run writes nothing, and
export → sync → export is the identity."""

import json
import shutil
import string
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.choices import ChangeVia, EditorialState
from tracker.importers.diff import FieldConflict, merge
from tracker.importers.export import export_fixtures
from tracker.importers.fixtures import dumps, fixture_paths
from tracker.importers.sync import DatabaseState, SyncRefused, reference_models, sync_fixtures
from tracker.models import (
    ChangeSet,
    InstrumentCitation,
    Jurisdiction,
    Organization,
    PolicyInstrument,
    StackLayer,
    SyncBase,
)
from tracker.services import Actor, delete_record, save_record

pytestmark = pytest.mark.django_db


# --- helpers ---------------------------------------------------------------------------------


def database_snapshot():
    """Every row of every table of the tracker (records, history, journal, tombstones, bases)."""
    return {
        model._meta.label_lower: list(model._base_manager.order_by("pk").values())
        for model in apps.get_app_config("tracker").get_models()
    }


def write(directory, records, name="test.json"):
    path = Path(directory) / name
    path.write_text(dumps(records), encoding="utf-8")
    return path


def measure(slug, **fields):
    return {
        "model": "tracker.policyinstrument",
        "fields": {
            "slug": slug,
            "title_en": "A test measure",
            "kind": "plan",
            "status": "in_force",
            "jurisdiction": ["CN"],
            **fields,
        },
    }


def citation(slug, locator="p. 1", **fields):
    return {
        "model": "tracker.instrumentcitation",
        "fields": {
            "instrument": [slug],
            "source": ["ilr-full-stack-zh-2025"],
            "locator": locator,
            "quote": "a quote",
            "quote_language": "en",
            "verbatim": False,
            "confidence": "reported",
            **fields,
        },
    }


def as_in_files(record):
    """A stored record as the files write it."""
    state = DatabaseState(reference_models())
    return {"model": record._meta.label_lower, "fields": state.values(type(record)._base_manager.get(pk=record.pk))}


def refused(*paths, **options):
    """Sync ``paths``, expecting a refusal that leaves the database exactly as it was."""
    before = database_snapshot()
    with pytest.raises(SyncRefused) as refusal:
        sync_fixtures(list(paths), **options)
    assert database_snapshot() == before
    return str(refusal.value)


@pytest.fixture
def analyst_actor(analyst):
    return Actor.admin(analyst)


def organization_record(slug="test-body", **fields):
    return {
        "model": "tracker.organization",
        "fields": {"slug": slug, "name_en": "Test body", "kind": "government_body", **fields},
    }


# --- bad input: each names file, line, record and field, and changes nothing -------------------


def test_malformed_json_names_file_line_and_column(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"model": "tracker.organization",\n   "fields": {"slug": "x",}}\n]\n', encoding="utf-8")
    message = refused(path)
    assert "broken.json:3:" in message and "malformed JSON" in message


def test_a_file_that_is_not_a_list_and_a_trailing_comma_are_malformed(tmp_path):
    scalar = tmp_path / "scalar.json"
    scalar.write_text('{"model": "tracker.organization"}\n', encoding="utf-8")
    trailing = tmp_path / "trailing.json"
    trailing.write_text(dumps([organization_record()]).replace("}\n]", "},\n]"), encoding="utf-8")
    message = refused(scalar, trailing)
    assert "scalar.json:1:1: malformed JSON: a fixture file holds a JSON list" in message
    assert "trailing.json:" in message and "a comma before the end of the list" in message


def test_a_record_that_is_not_an_object_is_named(tmp_path):
    path = tmp_path / "scalars.json"
    path.write_text('[\n  1,\n  {"model": "tracker.organization", "fields": []}\n]\n', encoding="utf-8")
    message = refused(path)
    assert 'scalars.json:2: record (record 1): a record is a JSON object with "model" and "fields".' in message
    assert 'scalars.json:3: tracker.organization (record 2): "fields" must be a JSON object' in message


def test_an_unknown_model_is_named(tmp_path):
    path = write(tmp_path, [organization_record(), {"model": "tracker.nothing", "fields": {}}])
    assert "test.json:10: tracker.nothing (record 2): unknown model 'tracker.nothing'." in refused(path)


def test_a_model_the_files_do_not_hold_is_refused(tmp_path):
    path = write(tmp_path, [{"model": "auth.user", "fields": {"username": "mallory"}}])
    assert "auth.user is not one of the records the fixture files hold" in refused(path)


def test_an_unknown_field_is_named(tmp_path):
    path = write(tmp_path, [organization_record(colour="red")])
    assert "test.json:2: tracker.organization test-body: colour: unknown field" in refused(path)


def test_a_value_of_the_wrong_type_is_named(tmp_path):
    path = write(
        tmp_path,
        [
            organization_record(name_en=42),
            measure("test-measure"),
            citation("test-measure", verbatim="yes"),
            {"model": "tracker.stacklayer", "fields": {"code": "chips", "position": "first"}},
        ],
    )
    message = refused(path)
    assert "test.json:2: tracker.organization test-body: name_en: expected text, not 42." in message
    assert "tracker.instrumentcitation test-measure/ilr-full-stack-zh-2025/p. 1: verbatim: expected true or false" in (
        message
    )
    assert 'tracker.stacklayer chips: position: expected a whole number, not "first".' in message


def test_a_missing_required_field_is_named(tmp_path):
    untitled = measure("test-untitled")
    del untitled["fields"]["title_en"]
    nowhere = measure("test-placeless")
    del nowhere["fields"]["jurisdiction"]
    message = refused(write(tmp_path, [untitled, nowhere]))
    assert "test.json:2: tracker.policyinstrument test-untitled: title_en: This field cannot be blank." in message
    assert "tracker.policyinstrument test-placeless: jurisdiction: required" in message


def test_an_impossible_date_names_its_field(tmp_path):
    path = write(tmp_path, [measure("test-leap", announced="2025-02-30", announced_precision="day")])
    message = refused(path)
    assert "test.json:2: tracker.policyinstrument test-leap: announced:" in message
    assert "invalid date" in message


def test_a_reference_to_a_record_that_exists_nowhere_is_named(tmp_path):
    path = write(tmp_path, [measure("test-nowhere", jurisdiction=["ZZ-NOWHERE"], layers=[["no-such-layer"]])])
    message = refused(path)
    assert (
        "tracker.policyinstrument test-nowhere: jurisdiction: no tracker.jurisdiction has the natural key "
        "['ZZ-NOWHERE'], neither in the database nor in any fixture file." in message
    )
    assert "layers: no tracker.stacklayer has the natural key ['no-such-layer']" in message


def test_a_reference_to_a_record_later_in_the_files_is_resolved(tmp_path):
    first = write(tmp_path, [measure("test-zone", kind="pilot_zone", part_of=["test-programme"])], "a.json")
    second = write(tmp_path, [measure("test-programme", kind="pilot_zone_programme")], "b.json")

    result = sync_fixtures([first, second])

    assert result.created["tracker.policyinstrument"] == 2
    assert PolicyInstrument.objects.get(slug="test-zone").part_of.slug == "test-programme"


def test_records_synced_one_at_a_time_find_the_records_they_refer_to_in_any_order(tmp_path, monkeypatch):
    """Synced a chunk at a time (here one record a chunk), a record referring to one of its own
    model further on is taken after it (the keys are read ahead), a cycle of references is
    closed at the end, a part before its record is found, and a duplicate in a later chunk is
    still named beside the first."""
    monkeypatch.setattr("tracker.importers.sync.WRITE_CHUNK", 1)
    path = write(
        tmp_path,
        [
            citation("test-zone"),
            measure("test-zone", kind="pilot_zone", part_of=["test-programme"]),
            measure("test-new-rule", amends=[["test-old-rule"]]),
            measure("test-old-rule", amends=[["test-new-rule"]]),
            measure("test-programme", kind="pilot_zone_programme"),
        ],
    )

    result = sync_fixtures([path])

    assert result.created == {"tracker.policyinstrument": 4, "tracker.instrumentcitation": 1}
    assert PolicyInstrument.objects.get(slug="test-zone").part_of.slug == "test-programme"
    new, old = (PolicyInstrument.objects.get(slug=slug) for slug in ("test-new-rule", "test-old-rule"))
    assert list(new.amends.all()) == [old] and list(old.amends.all()) == [new]
    assert sync_fixtures([path]).unchanged["tracker.policyinstrument"] == 4  # written as the file says

    twice = write(tmp_path, [measure("test-twice"), citation("test-zone", "p. 9"), measure("test-twice")], "twice.json")
    before = database_snapshot()
    with pytest.raises(SyncRefused) as refusal:
        sync_fixtures([twice])
    assert f"tracker.policyinstrument test-twice: duplicate natural key: {twice}:2 is the same" in str(refusal.value)
    assert database_snapshot() == before


def test_a_part_before_its_record_is_found(tmp_path):
    path = write(tmp_path, [citation("test-cited"), measure("test-cited")])
    result = sync_fixtures([path])
    assert result.created == {"tracker.policyinstrument": 1, "tracker.instrumentcitation": 1}


def test_a_duplicate_natural_key_in_one_file_is_refused_not_dropped(tmp_path):
    path = write(tmp_path, [measure("test-twice", title_en="First"), measure("test-twice", title_en="Second")])
    message = refused(path)
    assert f"test.json:14: tracker.policyinstrument test-twice: duplicate natural key: {tmp_path}/test.json:2 is " in (
        message
    )
    assert not PolicyInstrument.objects.filter(slug="test-twice").exists()


def test_a_duplicate_natural_key_across_files_is_refused(tmp_path):
    first = write(tmp_path, [organization_record()], "a.json")
    second = write(tmp_path, [organization_record(name_en="Another")], "b.json")
    assert "b.json:2: tracker.organization test-body: duplicate natural key: " in refused(first, second)


def test_a_constraint_violation_names_its_fields(tmp_path):
    path = write(
        tmp_path,
        [
            measure("test-fund", kind="investment_fund"),
            {"model": "tracker.fund", "fields": {"instrument": ["test-fund"], "amount": "-5", "currency": "CNY"}},
        ],
    )
    assert "test.json:14: tracker.fund test-fund: amount: A fund's amount cannot be negative." in refused(path)


def test_an_oversized_value_is_named(tmp_path):
    path = write(tmp_path, [measure("test-long", title_en="x" * 401)])
    assert "title_en: Ensure this value has at most 400 characters (it has 401)." in refused(path)


def test_an_explicit_pk_is_refused_not_skipped(tmp_path):
    record = measure("test-numbered")
    record["pk"] = 7
    message = refused(write(tmp_path, [record]))
    assert 'test.json:2: tracker.policyinstrument test-numbered: "pk": 7: records are matched by' in message


def test_an_existing_record_is_validated_too(tmp_path):
    """The old loader kept a record whose key existed without looking at it: an unknown kind and
    an end before the start passed."""
    existing = PolicyInstrument.objects.get(slug="cn-new-generation-ai-development-plan")
    changed = as_in_files(existing)
    changed["fields"].update(kind="nonsense")
    ended = as_in_files(PolicyInstrument.objects.get(slug="us-tx-deepseek-ban"))
    ended["fields"].update(effective_until="1990-01-01", effective_until_precision="day")

    message = refused(write(tmp_path, [changed, ended]))

    plan = "tracker.policyinstrument cn-new-generation-ai-development-plan"
    assert f"{plan}: kind: Value 'nonsense' is not a valid choice." in message
    assert (
        "tracker.policyinstrument us-tx-deepseek-ban: effective_from, effective_until: A measure cannot stop "
        "having effect before it takes effect." in message
    )


def test_every_problem_of_a_run_is_reported_together(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[\n  {]\n", encoding="utf-8")
    path = write(
        tmp_path,
        [
            measure("test-a", announced="2025-02-30", announced_precision="day"),
            measure("test-b", jurisdiction=["ZZ-NOWHERE"]),
            measure("test-c", kind="nonsense"),
            measure(
                "test-d",
                effective_from="2020-01-01",
                effective_from_precision="day",
                effective_until="2019-01-01",
                effective_until_precision="day",
            ),
        ],
    )
    message = refused(broken, path)
    for expected in ("broken.json:2:4", "test-a: announced", "test-b: jurisdiction", "test-c: kind", "test-d:"):
        assert expected in message


def test_the_command_exits_non_zero_and_writes_nothing(tmp_path):
    before = database_snapshot()
    path = write(tmp_path, [measure("test-bad-kind", kind="nonsense")])
    with pytest.raises(CommandError, match=r"(?s)Nothing was written\.\n.*test.json:2: .*test-bad-kind: kind"):
        call_command("sync_fixtures", str(path))
    assert database_snapshot() == before


# --- idempotence and history ---------------------------------------------------------------------


def test_a_second_sync_changes_nothing(tmp_path):
    path = write(tmp_path, [measure("test-once", layers=[["models"], ["chips"]]), citation("test-once")])
    first = sync_fixtures([path])
    after_first = database_snapshot()

    second = sync_fixtures([path])

    assert sum(first.created.values()) == 2
    assert sum(second.unchanged.values()) == 2 and sum(second.created.values()) == sum(second.updated.values()) == 0
    assert database_snapshot() == after_first


def test_every_change_is_in_the_history_as_made_by_its_file(tmp_path):
    path = write(tmp_path, [measure("test-journal")])
    sync_fixtures([path])
    record = PolicyInstrument.objects.get(slug="test-journal")
    row = record.history.get()
    assert row.changeset.via == ChangeVia.FIXTURES
    assert row.changeset.source == str(path) and f"Synced from {path}" in row.changeset.message
    assert record.editorial_state == EditorialState.PUBLISHED


# --- the three-way merge ------------------------------------------------------------------------


def test_merge_rules_field_by_field():
    base = {"a": 1, "b": 1, "c": 1, "d": 1}
    file = {"a": 2, "b": 1, "c": 3, "d": 4}
    database = {"a": 1, "b": 2, "c": 3, "d": 5}
    result = merge(base=base, file=file, database=database)
    assert result.values == {"a": 2, "b": 2, "c": 3, "d": 5}
    assert result.from_file == ["a"] and result.kept == ["b"]
    assert result.conflicts == [FieldConflict("d", 1, 4, 5)]
    assert merge(base=base, file=file, database=database, prefer="files").values["d"] == 4
    assert merge(base=None, file={"a": 1, "b": 2}, database={"a": 1, "b": 3}).conflicts == [
        FieldConflict("b", None, 2, 3)
    ]


@pytest.fixture
def body():
    """A shipped organization, with its base from the session's sync."""
    return Organization.objects.get(slug="us-bis")


def edit(record, actor, **fields):
    record = type(record).objects.get(pk=record.pk)
    for name, value in fields.items():
        setattr(record, name, value)
    save_record(record=record, actor=actor)
    return record


def test_a_field_changed_only_in_the_file_is_taken(tmp_path, body):
    record = as_in_files(body)
    record["fields"]["description"] = "Changed by a maintainer."
    result = sync_fixtures([write(tmp_path, [record])])
    body.refresh_from_db()
    assert body.description == "Changed by a maintainer."
    assert result.updated["tracker.organization"] == 1


def test_a_field_changed_only_in_the_database_is_kept_across_restarts(tmp_path, body, analyst_actor):
    shipped = as_in_files(body)
    edit(body, analyst_actor, description="Changed by an analyst.")
    file_edit = json.loads(json.dumps(shipped))
    file_edit["fields"]["name_zh"] = "美國商務部工業與安全局（維護者）"
    path = write(tmp_path, [file_edit])

    first = sync_fixtures([path])
    second = sync_fixtures([path])

    body.refresh_from_db()
    assert body.description == "Changed by an analyst."
    assert body.name_zh == "美國商務部工業與安全局（維護者）"
    assert first.updated["tracker.organization"] == 1 and second.unchanged["tracker.organization"] == 1


def test_a_field_changed_on_both_sides_to_the_same_value_is_no_conflict(tmp_path, body, analyst_actor):
    edit(body, analyst_actor, description="Agreed.")
    record = as_in_files(body)
    result = sync_fixtures([write(tmp_path, [record])])
    assert result.unchanged["tracker.organization"] == 1 and not result.conflicts
    assert json.loads(SyncBase.objects.get(model="tracker.organization", natural_key='["us-bis"]').values)[
        "description"
    ] == ("Agreed.")


def test_a_field_changed_on_both_sides_differently_is_a_conflict_and_nothing_is_written(tmp_path, body, analyst_actor):
    base = as_in_files(body)["fields"]["description"]
    edit(body, analyst_actor, description="The analyst's words.")
    record = as_in_files(body)
    record["fields"]["description"] = "The maintainer's words."
    other = write(tmp_path, [measure("test-not-written")], "other.json")

    message = refused(write(tmp_path, [record]), other)

    assert "1 conflict(s)" in message
    assert (
        f"test.json:2: tracker.organization us-bis: description: base {json.dumps(base, ensure_ascii=False)}, "
        'file "The maintainer\'s words.", database "The analyst\'s words."' in message
    )
    assert not PolicyInstrument.objects.filter(slug="test-not-written").exists()


@pytest.mark.parametrize(
    ("prefer", "kept"), [("files", "The maintainer's words."), ("database", "The analyst's words.")]
)
def test_prefer_settles_a_conflict_and_the_next_sync_leaves_it_settled(tmp_path, body, analyst_actor, prefer, kept):
    edit(body, analyst_actor, description="The analyst's words.")
    record = as_in_files(body)
    record["fields"]["description"] = "The maintainer's words."
    path = write(tmp_path, [record])

    result = sync_fixtures([path], prefer=prefer)
    again = sync_fixtures([path])

    body.refresh_from_db()
    assert body.description == kept
    assert result.conflicted["tracker.organization"] == 1 and result.conflicts[0][1].settled == prefer
    assert not again.conflicts and again.unchanged["tracker.organization"] == 1


def test_a_record_never_synced_is_equal_or_a_conflict(tmp_path, analyst_actor):
    body = Organization(slug="test-admin-made", name_en="Made in the admin", kind="company")
    save_record(record=body, actor=analyst_actor)
    same = as_in_files(body)
    assert sync_fixtures([write(tmp_path, [same])]).unchanged["tracker.organization"] == 1
    assert SyncBase.objects.filter(natural_key='["test-admin-made"]').exists()

    SyncBase.objects.filter(natural_key='["test-admin-made"]').delete()
    different = json.loads(json.dumps(same))
    different["fields"]["name_en"] = "Named in a file"
    assert 'name_en: base null, file "Named in a file", database "Made in the admin"' in refused(
        write(tmp_path, [different])
    )


def test_a_record_deleted_in_the_admin_is_not_brought_back_and_is_reported(reviewer):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    citations = ban.citations.count()
    delete_record(record=ban, actor=Actor.admin(reviewer))

    result = sync_fixtures()

    assert not PolicyInstrument.objects.filter(slug="us-tx-deepseek-ban").exists()
    assert result.deleted["tracker.policyinstrument"] == 1 and result.deleted["tracker.ban"] == 1
    assert result.deleted["tracker.instrumentcitation"] == citations
    assert sum(result.created.values()) == 0
    assert "not brought back (deleted in the database): tracker.policyinstrument us-tx-deepseek-ban" in (
        result.summary()
    )


# --- prune and dry run -------------------------------------------------------------------------


def test_without_prune_records_gone_from_the_files_are_kept_and_counted(tmp_path):
    path = write(tmp_path, [measure("test-kept"), citation("test-kept")])
    sync_fixtures([path])
    write(tmp_path, [citation("test-kept", locator="p. 2")])

    result = sync_fixtures([path])

    assert result.gone == {"tracker.policyinstrument": 1, "tracker.instrumentcitation": 1}
    assert PolicyInstrument.objects.get(slug="test-kept").citations.count() == 2


def test_prune_withdraws_a_record_and_deletes_a_part_undoably(tmp_path):
    path = write(tmp_path, [measure("test-stays"), citation("test-stays"), citation("test-stays", "p. 2")])
    other = write(tmp_path, [measure("test-goes"), citation("test-goes")], "other.json")
    sync_fixtures([path, other])
    write(tmp_path, [measure("test-stays"), citation("test-stays")])
    write(tmp_path, [], "other.json")

    dry = sync_fixtures([path, other], prune=True, dry_run=True)
    assert PolicyInstrument.objects.get(slug="test-goes").editorial_state == EditorialState.PUBLISHED
    result = sync_fixtures([path, other], prune=True)

    assert dry.pruned == result.pruned == {"tracker.policyinstrument": 1, "tracker.instrumentcitation": 1}
    gone = PolicyInstrument.objects.get(slug="test-goes")
    assert gone.editorial_state == EditorialState.DRAFT and gone.published_version is None
    assert gone.citations.count() == 1  # the withdrawn record keeps its parts
    withdrawal = gone.history.order_by("-history_id").first()
    assert "No longer in" in withdrawal.changeset.message and withdrawal.changeset.via == ChangeVia.FIXTURES
    assert list(PolicyInstrument.objects.get(slug="test-stays").citations.values_list("locator", flat=True)) == ["p. 1"]
    deletion = ChangeSet.objects.get(kind="delete", source=str(path))
    assert deletion.tombstones.count() == 1
    assert sum(sync_fixtures([path, other], prune=True).pruned.values()) == 0

    # A part put back into its file comes back: only a person's deletion is final for the files.
    write(tmp_path, [measure("test-stays"), citation("test-stays"), citation("test-stays", "p. 2")])
    assert sync_fixtures([path]).created["tracker.instrumentcitation"] == 1


def test_a_dry_run_shows_the_changes_field_by_field_and_writes_nothing(tmp_path, body):
    record = as_in_files(body)
    record["fields"]["abbreviation"] = "BIS!"
    path = write(tmp_path, [record, measure("test-dry")])
    before = database_snapshot()

    result = sync_fixtures([path], dry_run=True)

    assert database_snapshot() == before
    diff = result.diff_text()
    assert "~ tracker.organization us-bis (" in diff and 'abbreviation: "BIS" → "BIS!"' in diff
    assert "+ tracker.policyinstrument test-dry" in diff and 'title_en: null → "A test measure"' in diff
    assert "Dry run: nothing was written." in result.summary()
    out = call_command_output("sync_fixtures", str(path), "--dry-run")
    assert 'abbreviation: "BIS" → "BIS!"' in out and database_snapshot() == before


def call_command_output(*args):
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- export ------------------------------------------------------------------------------------


def test_export_then_sync_changes_nothing(tmp_path):
    export_fixtures(tmp_path)
    before = database_snapshot()
    result = sync_fixtures(sorted(tmp_path.glob("*.json")))
    assert sum(result.created.values()) == sum(result.updated.values()) == 0
    assert database_snapshot() == before


def test_export_places_new_records_by_the_documented_rule(tmp_path, analyst_actor):
    body = Organization(slug="aaa-new-body", name_en="A new body", kind="company")
    save_record(record=body, actor=analyst_actor)
    measure_record = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    note = InstrumentCitation(
        instrument=measure_record,
        source=InstrumentCitation.objects.filter(instrument=measure_record).first().source,
        locator="zz appendix",
        quote="new",
        quote_language="en",
        verbatim=False,
    )
    save_record(record=note, actor=analyst_actor)

    export_fixtures(tmp_path)

    files = Counter(SyncBase.objects.filter(model="tracker.organization").values_list("file", flat=True))
    usual = min(files, key=lambda name: (-files[name], name))
    organizations = json.loads((tmp_path / usual).read_text(encoding="utf-8"))
    assert organizations[-1]["fields"]["slug"] == "aaa-new-body"  # after the file's own records
    bans = json.loads((tmp_path / "17_bans.json").read_text(encoding="utf-8"))
    assert bans[-1]["fields"]["locator"] == "zz appendix"
    assert export_fixtures(tmp_path).changed == []


def test_export_empties_a_file_whose_records_were_all_deleted(tmp_path, reviewer):
    for path in fixture_paths():
        shutil.copy(path, tmp_path / path.name)
    for subsidy in apps.get_model("tracker", "subsidy").objects.all():
        delete_record(record=subsidy, actor=Actor.admin(reviewer))
    result = export_fixtures(tmp_path)
    assert result.emptied == ["19_subsidies.json"] and result.changed == ["19_subsidies.json"]
    assert (tmp_path / "19_subsidies.json").read_text(encoding="utf-8") == "[]\n"


text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=40)
slugs = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12).map(lambda s: f"gen-{s}")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bodies=st.lists(st.tuples(slugs, text, text), max_size=3, unique_by=lambda body: body[0]),
    measures=st.lists(
        st.tuples(slugs, text, text, st.sets(st.sampled_from(["chips", "models", "compute", "applications"]))),
        min_size=1,
        max_size=3,
        unique_by=lambda measure: measure[0],
    ),
)
def test_export_sync_export_gives_the_same_bytes(shipped_copy, bodies, measures):
    actor = Actor.command("hypothesis")
    with transaction.atomic():
        for slug, name_en, name_zh in bodies:
            save_record(record=Organization(slug=slug, name_en=name_en, name_zh=name_zh, kind="company"), actor=actor)
        china = Jurisdiction.objects.get(code="CN")
        layers = {layer.code: layer.pk for layer in StackLayer.objects.all()}
        for slug, title_en, title_zh, codes in measures:
            record = PolicyInstrument(
                slug=slug, title_en=title_en, title_zh=title_zh, kind="plan", status="in_force", jurisdiction=china
            )
            save_record(record=record, actor=actor, relations={"layers": [layers[code] for code in codes]})
        with tempfile.TemporaryDirectory() as directory:
            directory = Path(directory)
            for path in shipped_copy:
                shutil.copy(path, directory / path.name)
            first = export_fixtures(directory)
            written = {path.name: path.read_bytes() for path in directory.glob("*.json")}
            sync = sync_fixtures([directory / name for name in first.changed])
            second = export_fixtures(directory)
            assert sum(sync.created.values()) == sum(sync.updated.values()) == 0
            assert second.changed == []
            assert {path.name: path.read_bytes() for path in directory.glob("*.json")} == written
        transaction.set_rollback(True)


@pytest.fixture
def shipped_copy():
    return fixture_paths()
