"""Two people saving the same record at the same moment: one save wins, the other is refused.

Real concurrency needs committed rows seen by several connections, so this test works
outside the per-test transaction, on a record of its own that it removes afterwards.
On SQLite the database file serializes writers whole; the refusal of a stale version
on both databases is tested in test_services and test_admin_writes.
"""

import threading

import pytest
from django.db import connection, connections

from tracker.choices import ChangeKind
from tracker.models import ChangeSet, Organization, Tombstone
from tracker.services import Actor, ConflictError, delete_record, save_record

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")

EDITORS = 4
ROUNDS = 5


@pytest.fixture
def shared_record(django_db_blocker):
    with django_db_blocker.unblock():
        record = Organization(slug="concurrency-test-body", name_en="Concurrency test body", kind="other")
        first = ChangeSet.objects.order_by("-id").values_list("id", flat=True).first() or 0
        save_record(record=record, actor=Actor.command("test_concurrency"))
        yield record
        delete_record(record=Organization.objects.get(pk=record.pk), actor=Actor.command("test_concurrency"))
        Organization.history.filter(id=record.pk).delete()
        Tombstone.objects.filter(changeset_id__gt=first).delete()
        ChangeSet.objects.filter(id__gt=first).delete()


def test_concurrent_saves_of_one_version_keep_exactly_one_and_lose_none(shared_record, django_db_blocker):
    with django_db_blocker.unblock():
        for round_number in range(ROUNDS):
            opened = Organization.objects.get(pk=shared_record.pk).version
            start = threading.Barrier(EDITORS)
            outcomes = {}

            def edit(editor, opened=opened, start=start, outcomes=outcomes, round_number=round_number):
                try:
                    record = Organization.objects.get(pk=shared_record.pk)
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

            winners = [editor for editor, outcome in outcomes.items() if outcome == "saved"]
            assert len(outcomes) == EDITORS and len(winners) == 1, outcomes
            stored = Organization.objects.get(pk=shared_record.pk)
            assert stored.version == opened + 1
            assert stored.description == f"round {round_number}, editor {winners[0]}"
            # The history holds the winner's change and nothing from the refused saves.
            row = stored.history.latest()
            assert row.description == stored.description and row.changeset.source == f"editor-{winners[0]}"
            assert stored.history.filter(version=opened + 1).count() == 1
        assert ChangeSet.objects.filter(kind=ChangeKind.EDIT, source__startswith="editor-").count() == ROUNDS
