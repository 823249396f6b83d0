"""The one write path of the tracker: every create, change, delete and review step.

The admin, the fixture loader and the API call these and nothing else writes.
"""

from tracker.services.context import Actor, changeset, current_changeset
from tracker.services.records import (
    ChildChange,
    ConflictError,
    DeletionRefused,
    delete_record,
    deletion_plan,
    restore_version,
    save_record,
    undelete,
)
from tracker.services.review import (
    publish,
    published_parts,
    published_state,
    return_to_draft,
    submit_for_review,
    withdraw,
)

__all__ = [
    "Actor",
    "ChildChange",
    "ConflictError",
    "DeletionRefused",
    "changeset",
    "current_changeset",
    "delete_record",
    "deletion_plan",
    "publish",
    "published_parts",
    "published_state",
    "restore_version",
    "return_to_draft",
    "save_record",
    "submit_for_review",
    "undelete",
    "withdraw",
]
