"""Review before publishing: every step, every refusal, and the roles' permissions."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError

from tracker.choices import ChangeKind
from tracker.models import PolicyInstrument
from tracker.services import Actor, publish, return_to_draft, save_record, submit_for_review
from tracker.services.review import published_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(analyst):
    ban = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    ban.summary_en = "Revised by an analyst."
    save_record(record=ban, actor=Actor.admin(analyst))
    assert ban.editorial_state == "draft"
    return ban


def test_an_analyst_submits_and_another_reviewer_publishes(draft, analyst, reviewer):
    submit_for_review(record=draft, actor=Actor.admin(analyst), comment="Ready.")
    assert draft.editorial_state == "in_review"
    publish(record=draft, actor=Actor.admin(reviewer), comment="Checked against the order.")

    draft.refresh_from_db()
    assert draft.editorial_state == "published" and draft.published_version == draft.version
    assert published_state(draft).summary_en == "Revised by an analyst."
    steps = draft.history.filter(changeset__kind=ChangeKind.REVIEW).order_by("history_date")
    assert [(row.editorial_state, row.changeset.author, row.changeset.message) for row in steps] == [
        ("in_review", "analyst", "Ready."),
        ("published", "reviewer", "Checked against the order."),
    ]


def test_a_reviewer_cannot_publish_their_own_change(reviewer, second_reviewer):
    ban = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    ban.summary_en = "Edited by the reviewer."
    save_record(record=ban, actor=Actor.admin(reviewer))
    submit_for_review(record=ban, actor=Actor.admin(reviewer))

    with pytest.raises(PermissionDenied, match="another reviewer"):
        publish(record=ban, actor=Actor.admin(reviewer))
    assert PolicyInstrument.objects.get(pk=ban.pk).editorial_state == "in_review"

    publish(record=ban, actor=Actor.admin(second_reviewer))
    assert PolicyInstrument.objects.get(pk=ban.pk).editorial_state == "published"


def test_a_reviewer_who_only_edited_a_part_cannot_publish_either(draft, analyst, reviewer, second_reviewer):
    citation = draft.citations.first()
    citation.note = "The reviewer's own note."
    save_record(record=citation, actor=Actor.admin(reviewer))
    submit_for_review(record=draft, actor=Actor.admin(analyst))
    with pytest.raises(PermissionDenied):
        publish(record=draft, actor=Actor.admin(reviewer))
    publish(record=draft, actor=Actor.admin(second_reviewer))


def test_an_analyst_cannot_publish(draft, analyst):
    submit_for_review(record=draft, actor=Actor.admin(analyst))
    with pytest.raises(PermissionDenied, match="Only a reviewer"):
        publish(record=draft, actor=Actor.admin(analyst))
    assert PolicyInstrument.objects.get(pk=draft.pk).editorial_state == "in_review"


def test_only_a_record_in_review_is_published(draft, reviewer):
    with pytest.raises(ValidationError, match="cannot go to published"):
        publish(record=draft, actor=Actor.admin(reviewer))


def test_returning_to_draft_needs_a_comment(draft, analyst, reviewer):
    submit_for_review(record=draft, actor=Actor.admin(analyst))
    with pytest.raises(ValidationError, match="comment is required"):
        return_to_draft(record=draft, actor=Actor.admin(reviewer), comment="  ")
    assert PolicyInstrument.objects.get(pk=draft.pk).editorial_state == "in_review"

    return_to_draft(record=draft, actor=Actor.admin(reviewer), comment="Cite the order itself.")
    assert draft.editorial_state == "draft"
    assert draft.history.latest().changeset.message == "Cite the order itself."


def test_a_published_record_goes_back_to_draft_for_revision_and_stays_visible(reviewer):
    ban = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    published = ban.published_version
    return_to_draft(record=ban, actor=Actor.admin(reviewer), comment="The date is disputed.")
    assert ban.editorial_state == "draft" and ban.published_version == published
    assert PolicyInstrument.objects.published().filter(pk=ban.pk).exists()


def test_a_draft_cannot_be_returned_to_draft(draft, reviewer):
    with pytest.raises(ValidationError):
        return_to_draft(record=draft, actor=Actor.admin(reviewer), comment="Again.")


def test_an_edit_during_review_sends_the_record_back_to_draft(draft, analyst):
    submit_for_review(record=draft, actor=Actor.admin(analyst))
    draft.refresh_from_db()
    draft.title_en = "A change after submitting"
    save_record(record=draft, actor=Actor.admin(analyst))
    assert draft.editorial_state == "draft"


def test_a_new_record_is_a_draft_readers_do_not_see(analyst):
    from tests.factories import instrument

    new = instrument()
    save_record(record=new, actor=Actor.admin(analyst))
    assert new.editorial_state == "draft" and new.published_version is None
    assert not PolicyInstrument.objects.published().filter(pk=new.pk).exists()
    assert published_state(new) is None


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            "analyst",
            {"tracker.change_policyinstrument", "tracker.add_ban", "tracker.delete_instrumentcitation"},
            {"tracker.delete_policyinstrument", "tracker.publish_records", "tracker.restore_records", "auth.add_user"},
        ),
        (
            "reviewer",
            {"tracker.change_policyinstrument", "tracker.delete_organization", "tracker.publish_records"},
            {"auth.add_user", "auth.change_group"},
        ),
        ("admin", {"tracker.publish_records", "auth.add_user", "auth.change_group"}, set()),
    ],
)
def test_the_roles_have_exactly_the_permissions_they_need(django_user_model, role, allowed, refused):
    user = django_user_model.objects.create_user(username=f"{role}-user", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    assert all(user.has_perm(permission) for permission in allowed)
    assert not any(user.has_perm(permission) for permission in refused)
    assert not user.is_superuser
