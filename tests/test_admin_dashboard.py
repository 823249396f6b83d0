"""The admin's front page and Figure 1: every number on them is the number of records its link lists."""

import datetime
import re
from collections import Counter
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from tests import factories
from tracker.admin import dashboard
from tracker.choices import EditorialState, InstrumentKind, InstrumentStatus
from tracker.models import ChangeSet, Jurisdiction, PolicyInstrument, StackLayer
from tracker.services import Actor, publish, save_record, submit_for_review
from tracker.services.records import history_model

pytestmark = pytest.mark.django_db

INDEX = "/admin/"
MARK = re.compile(r'<a href="([^"]+)" class="timeline-mark"><circle [^>]*><title>([^<]*)</title>')


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def listed(client, url):
    """The number of measures the changelist at ``url`` lists."""
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def dated_measures():
    """The measures the timeline places: of China or the US (states and cities included), with a date."""
    measures = PolicyInstrument.objects.annotate(on=Coalesce("announced", "effective_from")).filter(on__isnull=False)
    return measures.in_country("CN") | measures.in_country("US")


def add_measures(number, country="CN", **fields):
    jurisdiction = Jurisdiction.objects.get(code=country)
    start = datetime.date(2015, 1, 1)
    PolicyInstrument.objects.bulk_create(
        factories.instrument(
            jurisdiction=jurisdiction,
            announced=start + datetime.timedelta(days=37 * index),
            announced_precision="day",
            **fields,
        )
        for index in range(number)
    )


def test_the_counts_are_the_databases_and_each_opens_a_list_of_that_many(analyst_client):
    response = analyst_client.get(INDEX)
    counts = response.context["counts"]
    assert counts["total"] == PolicyInstrument.objects.count() > 50
    groups = dict(counts["groups"])
    by_field = {"by kind": ("kind", InstrumentKind), "by status": ("status", InstrumentStatus)}
    by_field["by editorial state"] = ("editorial_state", EditorialState)
    for title, (name, choices) in by_field.items():
        tallies = groups[title]
        assert [tally.label for tally in tallies] == [choice.label for choice in choices]
        for tally, choice in zip(tallies, choices, strict=True):
            assert tally.count == PolicyInstrument.objects.filter(**{name: choice.value}).count(), (name, choice)
            if tally.count:
                assert listed(analyst_client, tally.url) == tally.count, tally.url
    # The page says so too, and links every count that is not zero.
    body = response.content.decode()
    bans = PolicyInstrument.objects.filter(kind="ban").count()
    assert f'<a href="/admin/tracker/policyinstrument/?kind__exact=ban">{bans}</a>' in body
    assert 'href="/admin/tracker/stacklayer/matrix/"' in body
    assert 'id="app-list-heading"' in body and "app-tracker" in body  # the list of models stays


def test_an_edit_shows_in_the_last_seven_days_with_its_editor_and_an_eight_day_old_one_does_not(
    analyst_client, analyst, reviewer
):
    fresh = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    fresh.summary_en = "Edited for the front page."
    save_record(record=fresh, actor=Actor.admin(analyst), message="Front-page edit")
    old = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    old.summary_en = "Edited long ago."
    save_record(record=old, actor=Actor.admin(reviewer), message="Old edit")
    old_set = ChangeSet.objects.filter(message="Old edit").get()
    ChangeSet.objects.filter(pk=old_set.pk).update(created=timezone.now() - datetime.timedelta(days=8))

    response = analyst_client.get(INDEX)
    recent = response.context["recent"]
    newest = recent["changes"][0]
    assert newest.changeset.message == "Front-page edit" and newest.changeset.author == "analyst"
    assert newest.measures == [(fresh.title_en, reverse("admin:tracker_policyinstrument_change", args=[fresh.pk]))]
    assert old_set.pk not in {change.changeset.pk for change in recent["changes"]}
    assert newest.more == 0
    # A fixture file's sync wrote many measures in one change set: three are named, the rest counted.
    synced = next(change for change in recent["changes"] if change.more)
    written = history_model(PolicyInstrument).objects.filter(changeset=synced.changeset)
    assert len(synced.measures) == dashboard.MEASURES_PER_CHANGE
    assert synced.more + len(synced.measures) == written.values("id").distinct().count() > 3
    assert "reviewer" not in dict(recent["authors"])
    assert dict(recent["authors"])["analyst"] == 1
    created = [change.changeset.created for change in recent["changes"]]
    assert created == sorted(created, reverse=True)

    body = response.content.decode()
    row = re.search(r'<tr class="recent-change">.*?</tr>', body, re.S).group(0)
    assert f'href="{reverse("admin:tracker_changeset_change", args=[newest.changeset.pk])}"' in row
    assert '<td class="recent-author">analyst</td>' in row and unescape(fresh.title_en) in unescape(row)
    assert analyst_client.get(newest.url).status_code == 200


def test_a_submitted_record_waits_for_review_until_it_is_published(analyst_client, analyst, reviewer):
    ban = PolicyInstrument.objects.get(slug="us-nasa-deepseek-ban")
    ban.summary_en = "Ready for review."
    save_record(record=ban, actor=Actor.admin(analyst))
    layer = StackLayer.objects.get(code="chips")
    layer.definition = layer.definition + " (revised)"
    save_record(record=layer, actor=Actor.admin(analyst))
    url = reverse("admin:tracker_policyinstrument_change", args=[ban.pk])
    layer_url = reverse("admin:tracker_stacklayer_change", args=[layer.pk])

    def queued():
        return [record["url"] for record in analyst_client.get(INDEX).context["queue"]["records"]]

    assert url not in queued()
    submit_for_review(record=ban, actor=Actor.admin(analyst))
    submit_for_review(record=layer, actor=Actor.admin(analyst))
    assert set(queued()) >= {url, layer_url}
    assert analyst_client.get(url).status_code == 200 and analyst_client.get(layer_url).status_code == 200

    publish(record=ban, actor=Actor.admin(reviewer))
    assert url not in queued() and layer_url in queued()


def test_the_timeline_has_one_link_per_dated_measure_and_each_opens_it(analyst_client):
    response = analyst_client.get(INDEX)
    timeline = response.context["timeline"]
    assert timeline["individual"]
    marks = MARK.findall(response.content.decode())
    expected = set(dated_measures().values_list("pk", flat=True))
    assert len(marks) == len(expected) == timeline["total"] > 30
    linked = set()
    for url, title in marks:
        match = resolve(unescape(url))
        assert match.url_name == "tracker_policyinstrument_change"
        linked.add(int(match.kwargs["object_id"]))
        measure = PolicyInstrument.objects.get(pk=match.kwargs["object_id"])
        assert unescape(title).startswith(measure.title_en)
    assert linked == expected
    for url, _title in marks[:3]:
        assert analyst_client.get(unescape(url)).status_code == 200
    body = response.content.decode()
    years = {date.year for date in dated_measures().values_list("on", flat=True)}
    assert f">{min(years)}</text>" in body and f">{max(years)}</text>" in body
    assert ">China</text>" in body and ">United States</text>" in body


def test_many_measures_are_drawn_as_quarters_each_opening_a_list_of_that_many(analyst_client, monkeypatch):
    add_measures(40, "US", kind="subsidy")
    monkeypatch.setattr(dashboard, "TIMELINE_MARK_LIMIT", 20)
    response = analyst_client.get(INDEX)
    timeline = response.context["timeline"]
    assert not timeline["individual"]
    marks = MARK.findall(response.content.decode())
    assert marks and len(marks) == len(timeline["marks"]) < timeline["total"]
    total = 0
    for url, title in marks:
        count = int(re.search(r": (\d+) measures$", unescape(title)).group(1))
        total += count
        assert "dated=" in url and "country=" in url
        assert listed(analyst_client, unescape(url)) == count, url
    assert total == timeline["total"] == dated_measures().count()


def test_the_period_filter_refuses_a_period_it_cannot_read(analyst_client):
    url = reverse("admin:tracker_policyinstrument_changelist")
    assert listed(analyst_client, f"{url}?dated=2025") > 0
    assert listed(analyst_client, f"{url}?dated=2025-13") == 0
    refused = analyst_client.get(f"{url}?dated=2025-13")
    assert "Filter “dated”: “2025-13” is not a year" in refused.content.decode()
    assert dashboard.period_bounds("2024-Q4") == (datetime.date(2024, 10, 1), datetime.date(2025, 1, 1))
    assert dashboard.period_bounds("2024-12") == (datetime.date(2024, 12, 1), datetime.date(2025, 1, 1))
    assert dashboard.period_bounds("next year") is None


def count_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(INDEX).status_code == 200
    return len(queries)


def test_the_front_page_reads_a_fixed_number_of_queries_however_many_records(analyst_client, analyst, monkeypatch):
    analyst_client.get(INDEX)  # the session, permissions and content types are cached from here on
    before = count_queries(analyst_client)

    add_measures(60, "CN", kind="plan")
    add_measures(60, "US", kind="ban")
    for slug in ("us-va-deepseek-ban", "us-tx-deepseek-ban", "cn-ai-pilot-zone-shanghai"):
        measure = PolicyInstrument.objects.get(slug=slug)
        measure.summary_en = "One more change."
        save_record(record=measure, actor=Actor.admin(analyst))
        submit_for_review(record=measure, actor=Actor.admin(analyst))
    assert count_queries(analyst_client) == before

    monkeypatch.setattr(dashboard, "TIMELINE_MARK_LIMIT", 50)
    assert count_queries(analyst_client) == before
    assert before <= 20


def test_a_login_without_view_permission_on_measures_sees_none_of_their_numbers(client):
    user = get_user_model().objects.create_user(username="journal-reader", password="x-password-1", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_changeset", "view_organization"]))
    client.force_login(user)
    response = client.get(INDEX)
    assert response.status_code == 200
    assert response.context["counts"] is None and response.context["timeline"] is None
    assert response.context["recent"] is not None
    body = response.content.decode()
    assert 'id="measure-counts"' not in body and 'id="timeline-svg"' not in body
    assert "/admin/tracker/policyinstrument/" not in body


def test_each_figure_1_cell_counts_the_measures_its_link_lists(analyst_client):
    response = analyst_client.get(reverse("admin:tracker_stacklayer_matrix"))
    assert response.status_code == 200
    rows = response.context["rows"]
    countries = response.context["countries"]
    kinds = response.context["kinds"]
    assert len(rows) == StackLayer.objects.count()
    linked = 0
    for row in rows:
        assert len(row["cells"]) == len(kinds) * len(countries)
        for cell in row["cells"]:
            if cell["count"]:
                linked += 1
                assert listed(analyst_client, cell["url"]) == cell["count"], cell["url"]
    assert linked > 10
    table = re.search(r'<table id="matrix">.*?</table>', response.content.decode(), re.S).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", table, re.S)
    assert len(cells) == len(rows) * len(kinds) * len(countries)
    plain = [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells if "<a" not in cell]
    assert plain and set(plain) == {"0"}


def test_figure_1_counts_a_new_measure_in_its_cell():
    layer = StackLayer.objects.get(code="energy")
    before = PolicyInstrument.objects.layer_kind_matrix().get(("energy", "talent", "US"), 0)
    measure = factories.instrument(jurisdiction=Jurisdiction.objects.get(code="US"), kind="talent")
    measure.save()
    measure.layers.add(layer)
    assert PolicyInstrument.objects.layer_kind_matrix()[("energy", "talent", "US")] == before + 1
    assert Counter(PolicyInstrument.objects.layer_kind_matrix(("US",))) == Counter(
        {key: value for key, value in PolicyInstrument.objects.layer_kind_matrix().items() if key[2] == "US"}
    )
