"""The write side of the REST API: authentication, creating a measure with its parts in one
request, updates and deletions guarded by If-Match, errors by field, refused deletions, the
review steps, and atomicity.  Writes go through ``tracker.services``, as the admin's do."""

import copy

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker.models import (
    Ban,
    ChangeSet,
    InstrumentCitation,
    InstrumentEvent,
    Organization,
    PolicyInstrument,
    Tombstone,
)
from tracker.services import Actor, save_record

pytestmark = pytest.mark.django_db

API = "/api/v1"
BASE = "http://testserver"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def token_client(analyst):
    """The analyst, signed in by an API token as a script would be."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=analyst).key}")
    return client


@pytest.fixture
def as_analyst(analyst):
    return client_for(analyst)


@pytest.fixture
def as_reviewer(reviewer):
    return client_for(reviewer)


@pytest.fixture
def as_second_reviewer(second_reviewer):
    return client_for(second_reviewer)


SOURCE = "statescoop-2025-texas-deepseek"

BAN = {
    "slug": "us-tx-test-api-ban",
    "title_en": "A ban written through the API",
    "title_zh": "經由 API 寫入的禁令",
    "summary_en": "Bans DeepSeek on the devices of a test agency.",
    "jurisdiction": "US-TX",
    "issuing_body": "us-tx-governor",
    "layers": ["applications", "models"],
    "products": ["deepseek-app"],
    "targets": ["deepseek"],
    "details": {
        "legal_form": "directive",
        "scopes": ["government_devices", "government_networks"],
        "banned_product": "DeepSeek",
        "scope_detail": "Every device the agency issues.",
    },
    "citations": [
        {"source": SOURCE, "locator": "para 2", "quote": "The governor banned DeepSeek.", "quote_language": "en"},
        {"source": "rand-full-stack-2025", "locator": "p. 7", "quote": "Bans spread.", "quote_language": "en"},
    ],
    "events": [
        {
            "kind": "announced",
            "date": "2025-01-31",
            "date_precision": "day",
            "citation": {"source": SOURCE, "locator": "para 2"},
        },
        {"kind": "took_effect", "date": "2025-02-03", "date_precision": "day"},
    ],
}


def ban(**changes):
    body = copy.deepcopy(BAN)
    body.update(changes)
    return body


def error_at(body, *path):
    """The messages at ``path`` of an error body (``("details", "legal_form")``), or fail saying what came."""
    found = body
    for name in path:
        assert isinstance(found, dict) and name in found, f"no error at {'.'.join(path)}: {body}"
        found = found[name]
    assert found, body
    return found


def etag_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response["ETag"]


def counts():
    """How many measures, parts and change sets are stored: unchanged by a refused write."""
    return (
        PolicyInstrument.objects.count(),
        InstrumentCitation.objects.count(),
        InstrumentEvent.objects.count(),
        Ban.objects.count(),
        ChangeSet.objects.count(),
    )


# --- creating ---------------------------------------------------------------------------------


def test_a_token_holder_creates_a_ban_with_its_details_citations_and_events_in_one_post(token_client, analyst):
    response = token_client.post(f"{API}/bans/", BAN, format="json")
    assert response.status_code == 201, response.content
    url = f"{BASE}{API}/instruments/{BAN['slug']}/"
    assert response["Location"] == url
    assert response["ETag"].startswith('"v1.')
    body = response.json()
    assert body["kind"] == "ban" and body["editorial_state"] == "draft" and body["published_version"] is None

    measure = PolicyInstrument.objects.get(slug=BAN["slug"])
    assert measure.kind == "ban" and measure.title_zh == BAN["title_zh"]
    assert measure.jurisdiction.code == "US-TX" and measure.issuing_body.slug == "us-tx-governor"
    assert set(measure.products.values_list("slug", flat=True)) == {"deepseek-app"}
    assert set(measure.layers.values_list("code", flat=True)) == {"applications", "models"}
    assert measure.ban.legal_form == "directive"
    assert set(measure.ban.scopes.values_list("code", flat=True)) == {"government_devices", "government_networks"}
    assert set(measure.citations.values_list("source__slug", "locator")) == {
        (SOURCE, "para 2"),
        ("rand-full-stack-2025", "p. 7"),
    }
    announced = measure.events.get(kind="announced")
    assert (announced.citation.source.slug, announced.citation.locator) == (SOURCE, "para 2")
    # status and dates follow from the events
    assert (measure.status, str(measure.announced), str(measure.effective_from)) == (
        "in_force",
        "2025-01-31",
        "2025-02-03",
    )

    changesets = {row.changeset for row in measure.history.all()}
    assert len(changesets) == 1
    (changeset,) = changesets
    assert (changeset.via, changeset.user, changeset.kind) == ("api", analyst, "edit")
    assert InstrumentCitation.history.filter(instrument_id=measure.pk, changeset=changeset).count() == 2

    # what the write returned is what a read returns, ETag included
    read = token_client.get(response["Location"])
    assert read.json() == body
    assert read["ETag"] == response["ETag"]


def test_a_ban_posted_to_the_instruments_list_names_its_kind(as_analyst):
    response = as_analyst.post(f"{API}/instruments/", ban(kind="ban"), format="json")
    assert response.status_code == 201, response.content
    assert PolicyInstrument.objects.get(slug=BAN["slug"]).kind == "ban"


def test_a_kind_list_creates_only_its_kinds(as_analyst):
    before = counts()
    response = as_analyst.post(f"{API}/bans/", ban(kind="plan", details=None), format="json")
    assert response.status_code == 400
    error_at(response.json(), "kind")
    assert counts() == before


def test_a_session_login_writes_and_is_held_to_csrf(analyst):
    client = APIClient()
    client.force_login(analyst)
    body = {"slug": "api-session-body", "name_en": "Created in a session", "kind": "government_body"}
    response = client.post(f"{API}/organizations/", body, format="json")
    assert response.status_code == 201, response.content
    assert Organization.objects.get(slug="api-session-body").editorial_state == "draft"

    strict = APIClient(enforce_csrf_checks=True)
    strict.force_login(analyst)
    refused = strict.post(f"{API}/organizations/", {**body, "slug": "api-no-csrf"}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Organization.objects.filter(slug="api-no-csrf").exists()


def test_an_organization_with_aliases_is_created_and_its_aliases_replaced(as_analyst):
    body = {
        "slug": "api-test-agency",
        "name_en": "Test Agency",
        "kind": "government_body",
        "jurisdiction": "US",
        "parent": {"slug": "us-department-of-commerce"},  # a summary as the API returns it is a reference too
        "aliases": [{"name": "TA", "language": "en"}, {"name": "測試局", "language": "zh-Hant"}],
    }
    response = as_analyst.post(f"{API}/organizations/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["parent"]["slug"] == "us-department-of-commerce"
    assert {(a["name"], a["language"]) for a in response.json()["aliases"]} == {("TA", "en"), ("測試局", "zh-Hant")}
    url = response["Location"]
    replaced = as_analyst.patch(
        url, {"aliases": [{"name": "TA", "language": "en"}]}, format="json", HTTP_IF_MATCH=response["ETag"]
    )
    assert replaced.status_code == 200, replaced.content
    org = Organization.objects.get(slug="api-test-agency")
    assert list(org.aliases.values_list("name", flat=True)) == ["TA"]


def test_a_fund_is_created_with_its_participants(as_analyst):
    body = {
        "slug": "cn-test-api-fund",
        "title_en": "A fund written through the API",
        "jurisdiction": "CN",
        "details": {
            "amount": "1000000000.00",
            "currency": "CNY",
            "participants": [
                {"organization": "cn-ministry-of-finance", "role": "shareholder", "share_percent": "25.5"}
            ],
        },
    }
    response = as_analyst.post(f"{API}/funds/", body, format="json")
    assert response.status_code == 201, response.content
    details = response.json()["details"]
    assert details["type"] == "fund" and details["amount"] == "1000000000.00"
    assert [(p["organization"]["slug"], p["share_percent"]) for p in details["participants"]] == [
        ("cn-ministry-of-finance", "25.50")
    ]


# --- If-Match -----------------------------------------------------------------------------------

DETAIL = f"{API}/instruments/us-va-deepseek-ban/"


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_a_change_without_if_match_is_428_and_writes_nothing(as_reviewer, method):
    before = (counts(), PolicyInstrument.objects.get(slug="us-va-deepseek-ban").version)
    response = getattr(as_reviewer, method)(DETAIL, {"title_en": "No precondition"}, format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert (counts(), PolicyInstrument.objects.get(slug="us-va-deepseek-ban").version) == before


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_a_stale_if_match_is_412_and_writes_nothing(analyst, as_reviewer, method):
    stale = etag_of(as_reviewer, DETAIL)
    measure = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    measure.summary_en = "Someone else's change."
    save_record(record=measure, actor=Actor.api(analyst))
    before = (counts(), PolicyInstrument.objects.get(slug="us-va-deepseek-ban").version)

    response = getattr(as_reviewer, method)(DETAIL, {"title_en": "Overwrite"}, format="json", HTTP_IF_MATCH=stale)
    assert response.status_code == 412
    assert "version" in response.json()["detail"]
    after = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    assert (counts(), after.version) == before
    assert after.title_en != "Overwrite" and after.summary_en == "Someone else's change."


def test_a_current_if_match_updates_and_gives_the_new_etag(analyst, as_analyst):
    tag = etag_of(as_analyst, DETAIL)
    version = PolicyInstrument.objects.get(slug="us-va-deepseek-ban").version
    response = as_analyst.patch(
        DETAIL,
        {"title_en": "Virginia's ban, retitled"},
        format="json",
        HTTP_IF_MATCH=tag,
        HTTP_X_CHANGE_MESSAGE="Retitled.",
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] != tag and response["ETag"].startswith(f'"v{version + 1}.')
    assert response.json()["title_en"] == "Virginia's ban, retitled"
    assert etag_of(as_analyst, DETAIL) == response["ETag"]
    measure = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    assert (measure.version, measure.editorial_state) == (version + 1, "draft")
    changeset = measure.history.latest("history_date").changeset
    assert (changeset.via, changeset.user, changeset.message) == ("api", analyst, "Retitled.")
    # the old tag is now stale
    assert as_analyst.patch(DETAIL, {"title_en": "Again"}, format="json", HTTP_IF_MATCH=tag).status_code == 412


def test_if_match_star_and_a_list_of_tags_are_accepted(as_analyst):
    assert as_analyst.patch(DETAIL, {"summary_en": "One."}, format="json", HTTP_IF_MATCH="*").status_code == 200
    tag = etag_of(as_analyst, DETAIL)
    response = as_analyst.patch(DETAIL, {"summary_en": "Two."}, format="json", HTTP_IF_MATCH=f'"v1.old", {tag}')
    assert response.status_code == 200


def test_put_of_the_expanded_representation_round_trips(as_analyst):
    response = as_analyst.get(DETAIL, {"expand": "citations"})
    body = response.json()
    body["title_en"] = "Round trip"
    put = as_analyst.put(DETAIL, body, format="json", HTTP_IF_MATCH=response["ETag"])
    assert put.status_code == 200, put.content
    after = as_analyst.get(DETAIL, {"expand": "citations"}).json()
    assert after["title_en"] == "Round trip"
    unchanged = {"version", "editorial_state", "updated", "title_en", "name"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in body.items() if k not in unchanged
    }


def test_put_of_the_plain_representation_round_trips(as_analyst):
    """A client that reads a measure, changes its title and puts it back: compact citations
    (source and locator only) name the stored citations and keep their quotes."""
    response = as_analyst.get(DETAIL)
    body = response.json()
    body["title_en"] = "Round trip"
    put = as_analyst.put(DETAIL, body, format="json", HTTP_IF_MATCH=response["ETag"])
    assert put.status_code == 200, put.content
    measure = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    assert measure.title_en == "Round trip"
    assert all(citation.quote for citation in measure.citations.all())


def test_a_kind_list_refuses_to_turn_its_measure_into_another_kind(as_analyst):
    url = f"{API}/bans/us-va-deepseek-ban/"
    response = as_analyst.patch(
        url, {"kind": "plan", "details": None}, format="json", HTTP_IF_MATCH=etag_of(as_analyst, url)
    )
    assert response.status_code == 400
    error_at(response.json(), "kind")
    assert PolicyInstrument.objects.get(slug="us-va-deepseek-ban").kind == "ban"


def test_a_lifecycle_field_of_a_measure_with_events_is_refused_not_ignored(as_analyst):
    response = as_analyst.patch(
        DETAIL, {"status": "rescinded"}, format="json", HTTP_IF_MATCH=etag_of(as_analyst, DETAIL)
    )
    assert PolicyInstrument.objects.get(slug="us-va-deepseek-ban").status == "in_force"
    assert response.status_code == 400, (
        "BUG (writes.read_record): status and lifecycle dates of a measure with events are silently dropped "
        f"(200, nothing changed) instead of a 400 saying they follow from the events: {response.status_code}"
    )
    error_at(response.json(), "status")


# --- errors by field ---------------------------------------------------------------------------

INVALID = [
    ({"title_en": ""}, ("title_en",)),
    ({"jurisdiction": "XX-NOWHERE"}, ("jurisdiction",)),
    ({"issuing_body": {"slug": "no-such-body"}}, ("issuing_body",)),
    ({"targets": ["deepseek", "no-such-company"]}, ("targets",)),
    ({"products": []}, ("products",)),
    ({"issuing_body": "us-tx-governor", "co_issuers": ["us-tx-governor"]}, ("co_issuers",)),
    ({"document_url": "not a url"}, ("document_url",)),
    ({"layers": "chips"}, ("layers",)),
    ({"details": {**BAN["details"], "legal_form": "decree-by-tweet"}}, ("details", "legal_form")),
    ({"details": {**BAN["details"], "legal_form": ""}}, ("details", "legal_form")),
    ({"details": {**BAN["details"], "scopes": ["the-moon"]}}, ("details", "scopes")),
    ({"details": {**BAN["details"], "scopes": []}}, ("details", "scopes")),
    ({"details": "a ban"}, ("details",)),
    ({"citations": [{**BAN["citations"][0], "source": "no-such-source"}]}, ("citations", "0", "source")),
    ({"citations": [BAN["citations"][0], {**BAN["citations"][1], "quote": ""}]}, ("citations", "1", "quote")),
    ({"citations": [{**BAN["citations"][0], "confidence": "certain"}]}, ("citations", "0", "confidence")),
    ({"events": [{"kind": "happened", "date": "2025-01-31", "date_precision": "day"}]}, ("events", "0", "kind")),
    ({"events": [{"kind": "announced", "date": "2025-02-30", "date_precision": "day"}]}, ("events", "0", "date")),
    (
        {
            "events": [
                {
                    "kind": "announced",
                    "date": "2025-01-31",
                    "date_precision": "day",
                    "citation": {"source": SOURCE, "locator": "nowhere"},
                }
            ]
        },
        ("events", "0", "citation"),
    ),
    ({"colour": "red"}, ("colour",)),
    ({"details": {**BAN["details"], "colour": "red"}}, ("details", "colour")),
    ({"citations": [{**BAN["citations"][0], "colour": "red"}]}, ("citations", "0", "colour")),
]


@pytest.mark.parametrize(
    ("changes", "path"), INVALID, ids=lambda value: ".".join(value) if isinstance(value, tuple) else None
)
def test_an_invalid_new_ban_is_a_400_naming_the_field_and_nothing_is_written(as_analyst, changes, path):
    before = counts()
    response = as_analyst.post(f"{API}/bans/", ban(**changes), format="json")
    assert response.status_code == 400, response.content
    error_at(response.json(), *path)
    assert counts() == before
    assert not PolicyInstrument.objects.filter(slug=BAN["slug"]).exists()


@pytest.mark.parametrize(
    ("changes", "path"), INVALID, ids=lambda value: ".".join(value) if isinstance(value, tuple) else None
)
def test_an_invalid_change_is_a_400_naming_the_field_and_nothing_is_written(as_analyst, changes, path):
    before = (counts(), PolicyInstrument.objects.get(slug="us-va-deepseek-ban").version)
    response = as_analyst.patch(DETAIL, changes, format="json", HTTP_IF_MATCH=etag_of(as_analyst, DETAIL))
    assert response.status_code == 400, response.content
    error_at(response.json(), *path)
    assert (counts(), PolicyInstrument.objects.get(slug="us-va-deepseek-ban").version) == before


def test_a_body_that_is_not_an_object_is_a_400(as_analyst):
    response = as_analyst.post(f"{API}/bans/", [BAN], format="json")
    assert response.status_code == 400
    response = as_analyst.post(f"{API}/organizations/", "text", format="json")
    assert response.status_code == 400


def test_a_new_record_needs_its_key(as_analyst):
    response = as_analyst.post(f"{API}/organizations/", {"name_en": "No slug", "kind": "company"}, format="json")
    assert response.status_code == 400
    error_at(response.json(), "slug")


def test_a_second_record_with_the_same_key_is_a_400(as_analyst):
    response = as_analyst.post(
        f"{API}/organizations/", {"slug": "deepseek", "name_en": "Twin", "kind": "company"}, format="json"
    )
    assert response.status_code == 400
    error_at(response.json(), "slug")
    assert Organization.objects.get(slug="deepseek").name_en == "DeepSeek"


# --- atomicity ---------------------------------------------------------------------------------


def test_a_post_whose_details_are_invalid_writes_no_measure_no_parts_no_history(as_analyst):
    history = PolicyInstrument.history.count(), InstrumentCitation.history.count(), InstrumentEvent.history.count()
    before = counts()
    response = as_analyst.post(f"{API}/bans/", ban(details={"legal_form": "directive", "scopes": []}), format="json")
    assert response.status_code == 400
    assert counts() == before
    assert (
        PolicyInstrument.history.count(),
        InstrumentCitation.history.count(),
        InstrumentEvent.history.count(),
    ) == history
    assert not Tombstone.objects.filter(natural_key__contains=BAN["slug"]).exists()


def test_a_change_whose_citation_is_invalid_keeps_the_rest_of_it_unwritten(as_analyst):
    before = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    body = {"title_en": "Half a change", "citations": [{**BAN["citations"][0], "quote": ""}]}
    response = as_analyst.patch(DETAIL, body, format="json", HTTP_IF_MATCH=etag_of(as_analyst, DETAIL))
    assert response.status_code == 400
    after = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    assert (after.title_en, after.version) == (before.title_en, before.version)
    assert after.citations.count() == before.citations.count()


# --- deleting ----------------------------------------------------------------------------------


def test_a_reviewer_deletes_with_if_match(reviewer, as_reviewer):
    url = f"{API}/instruments/us-house-deepseek-notice/"
    response = as_reviewer.delete(url, HTTP_IF_MATCH=etag_of(as_reviewer, url))
    assert response.status_code == 204
    assert response.content == b""
    assert as_reviewer.get(url).status_code == 404
    assert not PolicyInstrument.objects.filter(slug="us-house-deepseek-notice").exists()
    deletion = ChangeSet.objects.filter(kind="delete").latest("created")
    assert (deletion.via, deletion.user) == ("api", reviewer)
    assert Tombstone.objects.filter(changeset=deletion, model="tracker.policyinstrument").exists()


def test_an_analyst_may_not_delete_a_whole_record(as_analyst):
    url = f"{API}/instruments/us-house-deepseek-notice/"
    response = as_analyst.delete(url, HTTP_IF_MATCH=etag_of(as_analyst, url))
    assert response.status_code == 403
    assert PolicyInstrument.objects.filter(slug="us-house-deepseek-notice").exists()


def test_deleting_an_organization_measures_target_is_a_409_naming_them(as_reviewer):
    url = f"{API}/organizations/deepseek/"
    before = counts()
    response = as_reviewer.delete(url, HTTP_IF_MATCH=etag_of(as_reviewer, url))
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "targets" in detail
    assert PolicyInstrument.objects.get(slug="us-tx-deepseek-ban").title_en in detail
    assert Organization.objects.filter(slug="deepseek").exists()
    assert counts() == before


def test_deleting_an_unknown_record_is_a_404(as_reviewer):
    assert as_reviewer.delete(f"{API}/organizations/no-such-body/", HTTP_IF_MATCH="*").status_code == 404


# --- review ------------------------------------------------------------------------------------


def test_an_analyst_submits_and_a_reviewer_publishes(as_analyst, as_reviewer):
    anonymous = APIClient()
    created = as_analyst.post(f"{API}/bans/", BAN, format="json")
    assert created.status_code == 201
    url = created["Location"]
    assert anonymous.get(url).status_code == 404

    submitted = as_analyst.post(f"{url}submit/", {"comment": "Ready."}, format="json")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["editorial_state"] == "in_review"
    assert submitted["ETag"]

    refused = as_analyst.post(f"{url}publish/", format="json")
    assert refused.status_code == 403
    assert PolicyInstrument.objects.get(slug=BAN["slug"]).editorial_state == "in_review"

    published = as_reviewer.post(f"{url}publish/", {"comment": "Checked."}, format="json")
    assert published.status_code == 200, published.content
    assert published.json()["editorial_state"] == "published" and published.json()["published_version"] == 1
    public = anonymous.get(url)
    assert public.status_code == 200 and public.json()["title_en"] == BAN["title_en"]
    steps = ChangeSet.objects.filter(kind="review", via="api").order_by("created")
    assert [(c.user.username, c.message) for c in steps] == [("analyst", "Ready."), ("reviewer", "Checked.")]


def test_a_reviewer_who_edited_a_record_cannot_publish_it(as_reviewer, as_second_reviewer):
    response = as_reviewer.patch(
        DETAIL, {"summary_en": "The reviewer's own words."}, format="json", HTTP_IF_MATCH=etag_of(as_reviewer, DETAIL)
    )
    assert response.status_code == 200
    assert as_reviewer.post(f"{DETAIL}submit/").status_code == 200
    refused = as_reviewer.post(f"{DETAIL}publish/")
    assert refused.status_code == 403
    assert "another reviewer" in refused.json()["detail"]
    assert as_second_reviewer.post(f"{DETAIL}publish/").status_code == 200
    assert PolicyInstrument.objects.get(slug="us-va-deepseek-ban").editorial_state == "published"


def test_returning_to_draft_needs_a_comment(as_analyst, as_reviewer):
    as_analyst.patch(DETAIL, {"summary_en": "Revised."}, format="json", HTTP_IF_MATCH=etag_of(as_analyst, DETAIL))
    assert as_analyst.post(f"{DETAIL}submit/").status_code == 200
    refused = as_reviewer.post(f"{DETAIL}return-to-draft/", {"comment": "  "}, format="json")
    assert refused.status_code == 400
    error_at(refused.json(), "comment")
    assert PolicyInstrument.objects.get(slug="us-va-deepseek-ban").editorial_state == "in_review"
    returned = as_reviewer.post(f"{DETAIL}return-to-draft/", {"comment": "Cite the order."}, format="json")
    assert returned.status_code == 200
    assert returned.json()["editorial_state"] == "draft"
    assert ChangeSet.objects.filter(kind="review", message="Cite the order.").exists()


def test_a_step_from_the_wrong_state_is_a_400(as_analyst, as_reviewer):
    # a published record is not in review: it cannot be published again, nor submitted
    assert as_reviewer.post(f"{DETAIL}publish/").status_code == 400
    assert as_analyst.post(f"{DETAIL}submit/").status_code == 400


def test_review_steps_of_an_unknown_record_are_404(as_analyst):
    assert as_analyst.post(f"{API}/instruments/no-such-measure/submit/").status_code == 404
