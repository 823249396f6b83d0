"""The one write path: every change validated, versioned, recorded, reversible."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tracker.choices import ChangeKind, ChangeVia
from tracker.importers.sync import sync_fixtures
from tracker.models import (
    Ban,
    ChangeSet,
    InstrumentCitation,
    Organization,
    OrganizationAlias,
    PolicyInstrument,
    Source,
    StackLayer,
    Tombstone,
)
from tracker.services import (
    Actor,
    ChildChange,
    ConflictError,
    DeletionRefused,
    delete_record,
    deletion_plan,
    restore_version,
    save_record,
    undelete,
)
from tracker.services.records import diff, snapshot

pytestmark = pytest.mark.django_db


def edit(record, actor, expected_version=None, relations=None, **fields):
    for name, value in fields.items():
        setattr(record, name, value)
    return save_record(record=record, actor=actor, relations=relations, expected_version=expected_version)


def test_fixture_data_enter_published_and_attributed_to_their_file():
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    first = ban.history.earliest()
    assert first.changeset.via == ChangeVia.FIXTURES
    assert first.changeset.source == "fixtures/17_bans.json"
    assert ban.editorial_state == "published" and ban.published_version == ban.version
    assert ban.history.latest().history_date <= ban.published_at


def test_a_save_is_one_history_row_with_who_when_path_and_message(analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    version, rows = ban.version, ban.history.count()
    layers = list(StackLayer.objects.filter(code__in=["chips", "compute"]))

    result = save_record(
        record=ban,
        actor=Actor.admin(analyst),
        relations={"layers": layers},
        message="Layer corrected after reading the order.",
    )

    assert result.changed and ban.version == version + 1
    assert ban.history.count() == rows + 1
    row = ban.history.latest()
    assert row.history_user == analyst and row.version == ban.version
    assert row.changeset.via == ChangeVia.ADMIN and row.changeset.user == analyst
    assert row.changeset.message == "Layer corrected after reading the order."
    assert {link.stacklayer.code for link in row.layers.all()} == {"chips", "compute"}
    assert [change.field for change in diff(PolicyInstrument, snapshot(row.prev_record), snapshot(row))] == ["layers"]


def test_a_save_that_changes_nothing_writes_nothing(analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    before = (ban.version, ban.history.count(), ChangeSet.objects.count())
    assert not save_record(record=ban, actor=Actor.admin(analyst)).changed
    assert (ban.version, ban.history.count(), ChangeSet.objects.count()) == before


def test_an_edit_of_a_published_record_is_a_draft_and_readers_keep_the_published_version(analyst):
    from tracker.services import published_parts, published_state

    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    title, published = ban.title_en, ban.version
    edit(ban, Actor.admin(analyst), title_en="Texas bans DeepSeek (draft wording)")

    assert ban.editorial_state == "draft" and ban.published_version == published
    assert published_state(ban).title_en == title
    assert PolicyInstrument.objects.published().filter(pk=ban.pk).exists()
    citations = published_parts(ban, InstrumentCitation)
    assert citations.count() == ban.citations.count() > 0


def test_a_stale_version_is_refused_and_says_what_changed_in_between(analyst, second_analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    opened = ban.version
    first = PolicyInstrument.objects.get(pk=ban.pk)
    edit(first, Actor.admin(analyst), expected_version=opened, title_en="Title saved first")

    second = PolicyInstrument.objects.get(pk=ban.pk)
    second.title_en = "Texas ban on DeepSeek"
    with pytest.raises(ConflictError) as refused:
        edit(second, Actor.admin(second_analyst), expected_version=opened, summary_en="Saved second, from a stale form")

    assert refused.value.authors == ["analyst"]
    assert [(change.field, change.after) for change in refused.value.changes] == [("title_en", "Title saved first")]
    ban.refresh_from_db()
    assert ban.title_en == "Title saved first" and ban.summary_en != "Saved second, from a stale form"
    assert ban.version == opened + 1


def test_a_changed_part_moves_its_records_version_so_stale_inline_forms_are_refused(analyst, second_analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    opened = ban.version
    citation = ban.citations.first()
    edit(citation, Actor.admin(analyst), note="Checked against the order's text.")

    ban.refresh_from_db()
    assert ban.version == opened + 1
    with pytest.raises(ConflictError) as refused:
        save_record(
            record=PolicyInstrument.objects.get(pk=ban.pk),
            actor=Actor.admin(second_analyst),
            children=[ChildChange(record=InstrumentCitation.objects.get(pk=citation.pk))],
            expected_version=opened,
        )
    assert any("changed" in change.after for change in refused.value.changes)


def test_kind_details_are_recorded_and_move_the_measure(analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    version = ban.version
    detail = Ban.objects.get(instrument=ban)
    edit(detail, Actor.admin(analyst), scope_detail="State agencies' devices and networks.")

    assert detail.history.latest().scope_detail == "State agencies' devices and networks."
    ban.refresh_from_db()
    assert ban.version == version + 1 and ban.editorial_state == "draft"


def test_an_invalid_change_names_the_field_and_writes_nothing(analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    rows = ban.history.count()
    with pytest.raises(ValidationError) as refused:
        edit(ban, Actor.admin(analyst), effective_until=datetime.date(2000, 1, 1), effective_until_precision="day")
    assert "effective_until" in refused.value.message_dict or "__all__" in refused.value.message_dict
    assert PolicyInstrument.objects.get(pk=ban.pk).effective_until is None
    assert ban.history.count() == rows


def test_a_measure_cannot_amend_itself_through_the_services(analyst):
    rule = PolicyInstrument.objects.get(slug="us-bis-2023-advanced-computing-rule")
    with pytest.raises(ValidationError, match="cannot amend itself"):
        save_record(record=rule, actor=Actor.admin(analyst), relations={"amends": [rule.pk]})


def test_a_record_others_depend_on_is_refused_naming_them(reviewer):
    deepseek = Organization.objects.get(slug="deepseek")
    with pytest.raises(DeletionRefused) as refused:
        delete_record(record=deepseek, actor=Actor.admin(reviewer))
    assert "Texas" in str(refused.value) and len(refused.value.blocked) >= 13
    assert Organization.objects.filter(slug="deepseek").exists()
    assert PolicyInstrument.objects.filter(targets__slug="deepseek").count() >= 13


def test_a_delete_removes_links_and_undelete_puts_record_parts_and_links_back(reviewer):
    rand = Organization.objects.get(slug="rand")
    report = Source.objects.get(publisher_organization=rand)
    aliases = set(rand.aliases.values_list("name", flat=True))
    plan = deletion_plan(rand)
    assert [link.record for link in plan.detached] == [report]
    assert {type(part) for part in plan.cascaded} == {OrganizationAlias}

    delete_record(record=rand, actor=Actor.admin(reviewer), message="Duplicate of another record.")

    report.refresh_from_db()
    assert report.publisher_organization is None
    deletion = ChangeSet.objects.get(kind=ChangeKind.DELETE)
    assert deletion.message == "Duplicate of another record."
    assert report.history.latest().changeset == deletion
    assert Tombstone.objects.filter(changeset=deletion, model="tracker.organization").exists()

    undelete(deletion=deletion, actor=Actor.admin(reviewer))

    rand = Organization.objects.get(slug="rand")
    report.refresh_from_db()
    assert report.publisher_organization == rand
    assert set(rand.aliases.values_list("name", flat=True)) == aliases
    assert not Tombstone.objects.exists()
    deletion.refresh_from_db()
    assert deletion.undone_by.kind == ChangeKind.UNDELETE
    with pytest.raises(ValidationError, match="already undone"):
        undelete(deletion=deletion, actor=Actor.admin(reviewer))


def test_a_restart_never_brings_back_a_deleted_record_nor_its_parts(reviewer):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    citations = ban.citations.count()
    delete_record(record=ban, actor=Actor.admin(reviewer))

    result = sync_fixtures()

    assert not PolicyInstrument.objects.filter(slug="us-tx-deepseek-ban").exists()
    assert not Ban.objects.filter(instrument__slug="us-tx-deepseek-ban").exists()
    assert result.deleted["tracker.policyinstrument"] == 1
    assert result.deleted["tracker.instrumentcitation"] == citations
    assert sum(result.created.values()) == 0

    undelete(deletion=ChangeSet.objects.get(kind=ChangeKind.DELETE), actor=Actor.admin(reviewer))
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    assert ban.citations.count() == citations and ban.ban.scopes.exists()
    assert ban.targets.filter(slug="deepseek").exists()


def test_the_history_answers_what_a_record_looked_like_at_a_time(analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    title = ban.title_en
    moment = timezone.now()
    edit(ban, Actor.admin(analyst), title_en="A later title")

    assert ban.history.as_of(moment).title_en == title
    assert PolicyInstrument.history.as_of(moment).get(slug="us-tx-deepseek-ban").title_en == title
    assert PolicyInstrument.history.as_of(timezone.now()).get(slug="us-tx-deepseek-ban").title_en == "A later title"


def test_restoring_a_version_is_a_new_recorded_change_with_links_and_parts(analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    original = ban.history.earliest()
    citation = ban.citations.first()
    targets = set(ban.targets.values_list("pk", flat=True))
    edit(ban, Actor.admin(analyst), relations={"targets": []}, title_en="Wrong title")
    save_record(record=citation, actor=Actor.admin(analyst), children=[])
    delete_record(record=InstrumentCitation.objects.get(pk=citation.pk), actor=Actor.admin(analyst))

    restore_version(record=ban, history_id=original.history_id, actor=Actor.admin(analyst))

    ban.refresh_from_db()
    assert ban.title_en == original.title_en
    assert set(ban.targets.values_list("pk", flat=True)) == targets
    assert ban.citations.filter(pk=citation.pk).exists()
    latest = ban.history.latest()
    assert latest.changeset.kind == ChangeKind.RESTORE and "Restored version" in latest.changeset.message


def test_a_save_outside_the_services_still_moves_the_version_and_makes_a_draft(analyst):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    opened = ban.version
    shell = PolicyInstrument.objects.get(pk=ban.pk)
    shell.summary_en = "Changed in a shell."
    shell.save()

    stored = PolicyInstrument.objects.get(pk=ban.pk)
    assert stored.version == opened + 1 and stored.editorial_state == "draft"
    assert stored.history.latest().summary_en == "Changed in a shell."  # recorded, without a change set
    with pytest.raises(ConflictError):
        edit(ban, Actor.admin(analyst), expected_version=opened, title_en="From a form opened before")
