"""The admin writes through the services: history, versions, conflicts, deletes, restore, review."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_admin import change_form_data
from tracker.choices import ChangeKind, ChangeVia
from tracker.models import ChangeSet, Organization, PolicyInstrument, Source

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def change_url(record):
    return reverse(f"admin:tracker_{record._meta.model_name}_change", args=[record.pk])


def test_an_admin_save_is_recorded_as_the_analysts_through_the_admin(analyst):
    ban = PolicyInstrument.objects.get(slug="us-ny-deepseek-ban")
    client = client_for(analyst)
    data = change_form_data(client, change_url(ban))
    data["summary_en"] = "Edited in the admin."

    response = client.post(change_url(ban), data)

    assert response.status_code == 302
    row = PolicyInstrument.objects.get(pk=ban.pk).history.latest()
    assert row.summary_en == "Edited in the admin."
    assert row.changeset.via == ChangeVia.ADMIN and row.history_user == analyst
    assert PolicyInstrument.objects.get(pk=ban.pk).editorial_state == "draft"


def test_the_second_of_two_saves_from_the_same_version_is_refused_with_the_changes(analyst, second_analyst):
    ban = PolicyInstrument.objects.get(slug="us-ny-deepseek-ban")
    first, second = client_for(analyst), client_for(second_analyst)
    form_a = change_form_data(first, change_url(ban))
    form_b = change_form_data(second, change_url(ban))

    form_a["title_en"] = "New York bans DeepSeek (A's title)"
    assert first.post(change_url(ban), form_a).status_code == 302
    form_b["summary_en"] = "B's summary."
    refused = second.post(change_url(ban), form_b)

    assert refused.status_code == 200
    page = refused.content.decode()
    assert 'id="conflict"' in page and "A&#x27;s title" in page and "since you opened it" in page
    stored = PolicyInstrument.objects.get(pk=ban.pk)
    assert stored.title_en == "New York bans DeepSeek (A's title)" and stored.summary_en != "B's summary."
    # The form now holds A's title (B had not touched it) and B's own summary, at the new version.
    form = refused.context["adminform"].form
    assert form.data["title_en"] == "New York bans DeepSeek (A's title)"
    assert form.data["summary_en"] == "B's summary."
    assert form.data["expected_version"] == str(stored.version)

    resubmitted = second.post(change_url(ban), form.data)
    assert resubmitted.status_code == 302
    stored.refresh_from_db()
    assert stored.title_en == "New York bans DeepSeek (A's title)" and stored.summary_en == "B's summary."


def test_an_inline_edit_in_between_refuses_a_stale_form(analyst, second_analyst):
    ban = PolicyInstrument.objects.get(slug="us-ny-deepseek-ban")
    first, second = client_for(analyst), client_for(second_analyst)
    form_a = change_form_data(first, change_url(ban))
    form_b = change_form_data(second, change_url(ban))
    form_a["citations-0-note"] = "A's note on the citation."
    assert first.post(change_url(ban), form_a).status_code == 302

    form_b["citations-0-note"] = "B's note on the citation."
    refused = second.post(change_url(ban), form_b)

    assert refused.status_code == 200 and 'id="conflict"' in refused.content.decode()
    assert ban.citations.filter(note="A's note on the citation.").exists()
    assert not ban.citations.filter(note="B's note on the citation.").exists()


def test_a_new_ban_and_its_details_are_one_save(analyst):
    from tracker.models import Jurisdiction

    client = client_for(analyst)
    add = reverse("admin:tracker_policyinstrument_add")
    page = client.get(add)
    data = dict.fromkeys(page.context["adminform"].form.fields, "")
    data.update(
        slug="test-admin-added-measure",
        title_en="A measure added in the admin",
        kind="plan",
        status="in_force",
        jurisdiction=str(Jurisdiction.objects.get(code="CN").pk),
        layers=[],
        co_issuers=[],
        products=[],
        affected_jurisdictions=[],
        targets=[],
        amends=[],
        **{"citations-TOTAL_FORMS": "0", "citations-INITIAL_FORMS": "0"},
        **{"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0"},
    )
    response = client.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = PolicyInstrument.objects.get(slug="test-admin-added-measure")
    row = created.history.get()
    assert row.history_type == "+" and row.changeset.user == analyst and created.editorial_state == "draft"


def test_the_delete_page_names_the_links_that_go_and_what_refuses_it(reviewer):
    client = client_for(reviewer)
    rand = Organization.objects.get(slug="rand")
    page = client.get(reverse("admin:tracker_organization_delete", args=[rand.pk])).content.decode()
    assert "link removed" in page and "publisher organization" in page

    deepseek = Organization.objects.get(slug="deepseek")
    refused = client.get(reverse("admin:tracker_organization_delete", args=[deepseek.pk])).content.decode()
    assert "Texas ban on DeepSeek" in refused and "(targets)" in refused
    client.post(reverse("admin:tracker_organization_delete", args=[deepseek.pk]), {"post": "yes"})
    assert Organization.objects.filter(slug="deepseek").exists()


def test_an_analyst_cannot_delete_a_whole_record(analyst):
    rand = Organization.objects.get(slug="rand")
    response = client_for(analyst).post(reverse("admin:tracker_organization_delete", args=[rand.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Organization.objects.filter(slug="rand").exists()


def test_a_deleted_record_is_found_in_the_journal_and_restored_with_its_links(reviewer):
    client = client_for(reviewer)
    rand = Organization.objects.get(slug="rand")
    report = Source.objects.get(publisher_organization=rand)
    assert client.post(reverse("admin:tracker_organization_delete", args=[rand.pk]), {"post": "yes"}).status_code == 302
    assert not Organization.objects.filter(slug="rand").exists()

    deletions = client.get(reverse("admin:tracker_changeset_changelist") + "?kind=delete&undone=no")
    assert "deletion" in deletions.content.decode()
    deletion = ChangeSet.objects.get(kind=ChangeKind.DELETE)
    detail = client.get(reverse("admin:tracker_changeset_change", args=[deletion.pk])).content.decode()
    assert "RAND" in detail and 'id="undo-deletion"' in detail

    client.post(reverse("admin:tracker_changeset_undo", args=[deletion.pk]))

    assert Source.objects.get(pk=report.pk).publisher_organization.slug == "rand"


def test_the_history_page_compares_two_versions_and_restores_one(analyst):
    client = client_for(analyst)
    ban = PolicyInstrument.objects.get(slug="us-ny-deepseek-ban")
    original = ban.history.earliest()
    data = change_form_data(client, change_url(ban))
    data["title_en"] = "A title to undo"
    client.post(change_url(ban), data)
    latest = PolicyInstrument.objects.get(pk=ban.pk).history.latest()

    history = reverse("admin:tracker_policyinstrument_history", args=[ban.pk])
    page = client.get(history, {"from": original.history_id, "to": latest.history_id}).content.decode()
    assert 'id="comparison"' in page and "A title to undo" in page and original.title_en in page
    assert "Restore this version" in page

    restore = reverse("admin:tracker_policyinstrument_restore", args=[ban.pk, original.history_id])
    client.post(restore, {"expected_version": PolicyInstrument.objects.get(pk=ban.pk).version})

    restored = PolicyInstrument.objects.get(pk=ban.pk)
    assert restored.title_en == original.title_en
    assert restored.history.latest().changeset.kind == ChangeKind.RESTORE


def test_review_in_the_admin_analyst_submits_reviewer_publishes(analyst, reviewer):
    ban = PolicyInstrument.objects.get(slug="us-ny-deepseek-ban")
    writer, checker = client_for(analyst), client_for(reviewer)
    data = change_form_data(writer, change_url(ban))
    data["summary_en"] = "For review."
    writer.post(change_url(ban), data)
    review = reverse("admin:tracker_policyinstrument_review", args=[ban.pk])

    page = writer.get(review).content.decode()
    assert "Submit for review" in page and "Publish" not in page.split('id="review-form"')[1]
    writer.post(review, {"action": "submit", "comment": "Please check."})
    refused = writer.post(review, {"action": "publish"}, follow=True).content.decode()
    assert "Only a reviewer can publish" in refused
    assert PolicyInstrument.objects.get(pk=ban.pk).editorial_state == "in_review"

    checker.post(review, {"action": "publish", "comment": "Checked."})
    assert PolicyInstrument.objects.get(pk=ban.pk).editorial_state == "published"
    history = checker.get(reverse("admin:tracker_policyinstrument_history", args=[ban.pk])).content.decode()
    assert "Please check." in history and "Checked." in history


@pytest.mark.parametrize("term", ["DeepSeek", "算力", "BIS", "深度求索"])
def test_the_admin_search_box_finds_what_the_querysets_search_finds(analyst, term):
    response = client_for(analyst).get(reverse("admin:tracker_policyinstrument_changelist"), {"q": term})
    found = {obj.pk for obj in response.context["cl"].result_list}
    expected = set(PolicyInstrument.objects.search(term).values_list("pk", flat=True))
    assert found == expected
    if term != "深度求索":
        assert found


@pytest.mark.parametrize(
    "model_name", ["policyinstrument", "organization", "source", "jurisdiction", "indicator", "fund", "ban"]
)
def test_every_change_form_carries_its_version(analyst, model_name):
    from django.apps import apps

    record = apps.get_model("tracker", model_name).objects.first()
    page = client_for(analyst).get(change_url(record)).content.decode()
    assert f'name="expected_version" value="{record.version}"' in page


def test_a_change_without_its_version_is_refused(analyst):
    ban = PolicyInstrument.objects.get(slug="us-ny-deepseek-ban")
    client = client_for(analyst)
    data = change_form_data(client, change_url(ban))
    del data["expected_version"]
    data["summary_en"] = "Saved without a version."
    assert client.post(change_url(ban), data).status_code == 200
    assert PolicyInstrument.objects.get(pk=ban.pk).summary_en != "Saved without a version."


def test_a_review_or_history_page_of_no_record_is_not_found(reviewer):
    client = client_for(reviewer)
    assert client.get("/admin/tracker/policyinstrument/60/change/review/").status_code == 404
    assert client.get("/admin/tracker/policyinstrument/999999/history/").status_code in (302, 404)
