"""Two people saving the same record at the same moment: one save wins, the other is refused.

Real concurrency needs committed rows seen by several connections.  The test's own
connection stays in its per-test transaction and writes nothing; every write runs in a
thread of its own, with its own connection committing, on a record the test creates and
removes again.
On SQLite the database file serializes writers whole; the refusal of a stale version
on both databases is tested in test_services and test_admin_writes.
"""

import threading

import pytest
from django.db import connection, connections

from tracker.choices import ChangeKind
from tracker.models import ChangeSet, Organization, Tombstone
from tracker.services import Actor, ConflictError, delete_record, save_record

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]

EDITORS = 4
ROUNDS = 5


def in_thread(function):
    """Run ``function`` on a connection of its own, committing, and return its result."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as error:  # noqa: BLE001 - handed back to the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def shared_record(db):
    def create():
        first = ChangeSet.objects.order_by("-id").values_list("id", flat=True).first() or 0
        record = Organization(slug="concurrency-test-body", name_en="Concurrency test body", kind="other")
        save_record(record=record, actor=Actor.command("test_concurrency"))
        return record, first

    def remove():
        delete_record(record=Organization.objects.get(pk=record.pk), actor=Actor.command("test_concurrency"))
        Organization.history.filter(id=record.pk).delete()
        Tombstone.objects.filter(changeset_id__gt=first).delete()
        ChangeSet.objects.filter(id__gt=first).delete()

    record, first = in_thread(create)
    yield record
    in_thread(remove)


def race(record_pk, opened, round_number):
    """``EDITORS`` threads save the record from the same version at the same moment."""
    start = threading.Barrier(EDITORS)
    outcomes = {}

    def edit(editor):
        try:
            record = Organization.objects.get(pk=record_pk)
            record.description = f"round {round_number}, editor {editor}"
            start.wait(timeout=10)
            save_record(record=record, actor=Actor.command(f"editor-{editor}"), expected_version=opened)
            outcomes[editor] = "saved"
        except ConflictError:
            outcomes[editor] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(editor,)) for editor in range(EDITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def stored_state(record_pk, version):
    stored = Organization.objects.get(pk=record_pk)
    row = stored.history.latest()
    return stored, row.description, row.changeset.source, stored.history.filter(version=version).count()


def test_concurrent_saves_of_one_version_keep_exactly_one_and_lose_none(shared_record):
    for round_number in range(ROUNDS):
        opened = in_thread(lambda: Organization.objects.get(pk=shared_record.pk).version)

        outcomes = race(shared_record.pk, opened, round_number)

        winners = [editor for editor, outcome in outcomes.items() if outcome == "saved"]
        assert len(outcomes) == EDITORS and len(winners) == 1, outcomes
        stored, described, source, rows = in_thread(lambda opened=opened: stored_state(shared_record.pk, opened + 1))
        assert stored.version == opened + 1
        assert stored.description == f"round {round_number}, editor {winners[0]}"
        # The history holds the winner's change and nothing from the refused saves.
        assert described == stored.description and source == f"editor-{winners[0]}" and rows == 1
    edits = in_thread(lambda: ChangeSet.objects.filter(kind=ChangeKind.EDIT, source__startswith="editor-").count())
    assert edits == ROUNDS
