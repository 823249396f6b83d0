"""Review before publishing: draft → in review → published, and back to draft.

Analysts create and edit; reviewers publish; nobody publishes a change they made
themselves.  Each step is a history row in a change set of kind "review" carrying its
comment.  Readers see the published version, which stays visible while a revision is
drafted or reviewed (``published_state``).
"""

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.choices import ChangeKind, EditorialState
from tracker.models.base import ReviewedModel
from tracker.services.context import changeset
from tracker.services.records import _lock, _record_history, _write, child_relations, describe, history_model

PUBLISH_PERMISSION = "tracker.publish_records"


def _require_reviewed(record):
    if not isinstance(record, ReviewedModel):
        raise ValidationError(
            _("%(record)s is reviewed as part of the record it belongs to.") % {"record": describe(record).capitalize()}
        )


def _can_change(user, record):
    opts = record._meta
    return user is not None and user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


def authors_since_publication(record):
    """Ids of the logins that changed the record or its parts since its last publication."""
    since = {"history_date__gt": record.published_at} if record.published_at else {}
    rows = record.history.filter(**since).exclude(changeset__kind=ChangeKind.REVIEW)
    authors = set(rows.exclude(history_user__isnull=True).values_list("history_user_id", flat=True))
    for child_model, parent_field in child_relations(type(record)):
        child_rows = history_model(child_model).objects.filter(**{f"{parent_field}_id": record.pk}, **since)
        authors.update(child_rows.exclude(history_user__isnull=True).values_list("history_user_id", flat=True))
        # A fund's participants roll up through the fund.
        for grandchild_model, grandparent_field in child_relations(child_model):
            child_ids = child_rows.values_list("id", flat=True)
            authors.update(
                history_model(grandchild_model)
                .objects.filter(**{f"{grandparent_field}_id__in": child_ids}, **since)
                .exclude(history_user__isnull=True)
                .values_list("history_user_id", flat=True)
            )
    return authors


@contextmanager
def _transition(record, actor, to_state, comment, allowed_from):
    model = type(record)
    with changeset(actor, kind=ChangeKind.REVIEW, message=comment) as open_set:
        current = _lock(model, record.pk)
        if current.editorial_state not in allowed_from:
            raise ValidationError(
                _("%(record)s is %(state)s; it cannot go to %(target)s from there.")
                % {
                    "record": describe(current).capitalize(),
                    "state": current.get_editorial_state_display(),
                    "target": EditorialState(to_state).label,
                }
            )
        yield current
        current.editorial_state = to_state
        _write(current)
        _record_history(current, "~")
        open_set.touched.add((model, current.pk))
    record.refresh_from_db()


def submit_for_review(*, record, actor, comment=""):
    """Ask a reviewer to publish the record's latest version."""
    _require_reviewed(record)
    if not _can_change(actor.user, record):
        raise PermissionDenied(_("Only someone who may edit this record can submit it for review."))
    with _transition(record, actor, EditorialState.IN_REVIEW, comment, {EditorialState.DRAFT}):
        pass
    return record


def publish(*, record, actor, comment=""):
    """Make the record's latest version the one readers see.  A reviewer's step, never the author's."""
    _require_reviewed(record)
    user = actor.user
    if user is None or not user.has_perm(PUBLISH_PERMISSION):
        raise PermissionDenied(_("Only a reviewer can publish."))
    with _transition(record, actor, EditorialState.PUBLISHED, comment, {EditorialState.IN_REVIEW}) as current:
        if user.pk in authors_since_publication(current):
            raise PermissionDenied(
                _("You changed %(record)s since it was last published: another reviewer publishes it.")
                % {"record": describe(current)}
            )
        current.published_version = current.version
        current.published_at = timezone.now()
    return record


def return_to_draft(*, record, actor, comment):
    """Send a record in review (or a published one, for revision) back to draft, saying why."""
    _require_reviewed(record)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the record goes back to draft: the comment is required.")})
    if not _can_change(actor.user, record):
        raise PermissionDenied(_("Only someone who may edit this record can send it back to draft."))
    with _transition(
        record, actor, EditorialState.DRAFT, comment, {EditorialState.IN_REVIEW, EditorialState.PUBLISHED}
    ):
        pass
    return record


def withdraw(*, record, actor, comment):
    """Take a record out of what readers see: back to draft with no published version.

    The record and its history are kept, for a reviewer to publish again or delete.  The
    fixture sync withdraws a record its files no longer hold (``sync_fixtures --prune``):
    files are reviewed as pull requests, so a file's actor needs no login; a person needs
    the right to edit the record.
    """
    _require_reviewed(record)
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Say why the record is withdrawn: the comment is required.")})
    if actor.user is not None and not _can_change(actor.user, record):
        raise PermissionDenied(_("Only someone who may edit this record can withdraw it."))
    every_state = {EditorialState.DRAFT, EditorialState.IN_REVIEW, EditorialState.PUBLISHED}
    with _transition(record, actor, EditorialState.DRAFT, comment, every_state) as current:
        current.published_version = None
        current.published_at = None
    return record


def published_state(record):
    """The record as readers see it: its published version, or None if never published."""
    if record.published_at is None:
        return None
    if record.editorial_state == EditorialState.PUBLISHED:
        return record
    return record.history.as_of(record.published_at)


def published_parts(record, child_model):
    """The parts of ``child_model`` (citations, aliases ...) of the record's published version."""
    if record.published_at is None:
        return child_model._base_manager.none()
    parent_field = dict(child_relations(type(record)))[child_model]
    if record.editorial_state == EditorialState.PUBLISHED:
        return child_model._base_manager.filter(**{parent_field: record})
    return child_model.history.as_of(record.published_at).filter(**{f"{parent_field}_id": record.pk})
