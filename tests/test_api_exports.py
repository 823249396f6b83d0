"""The bulk downloads: what each reader gets, in which shape, and at what cost."""

import csv
import io
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from followthemoney import model as ftm_model
from rest_framework.throttling import AnonRateThrottle

from tests.factories import organization
from tracker.api import exports
from tracker.api.exports import CSV_NAMES, csv_downloads, root_chain
from tracker.models import (
    Ban,
    FundParticipant,
    InstrumentCitation,
    Jurisdiction,
    Organization,
    OrganizationAlias,
    PolicyInstrument,
    Scope,
    Source,
    record_models,
)
from tracker.models.base import format_partial_date
from tracker.services import Actor, save_record

pytestmark = pytest.mark.django_db

BASE = "/api/v1/exports/"


def get(client, name, **headers):
    response = client.get(BASE + name, **headers)
    assert response.status_code == 200, response.content
    assert response.streaming
    return response, b"".join(response.streaming_content)


def json_records(client):
    _, body = get(client, "all.json")
    return json.loads(body)["records"]


def csv_table(client, name):
    response, body = get(client, f"{name}.csv")
    assert not body.startswith(b"\xef\xbb\xbf")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="ai-policy-tracker-{name}.csv"'
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def ftm_entities(client):
    response, body = get(client, "ftm.jsonl")
    assert response["Content-Type"] == "application/x-ndjson"
    return [json.loads(line) for line in body.decode("utf-8").splitlines()]


def published_rows(model):
    """The rows readers see: published records, and the parts of published records."""
    chain, _ = root_chain(model)
    return model._base_manager.filter(**{"__".join((*chain, "published_version__isnull")): False})


def key(instance):
    parts = list(instance.natural_key())
    return parts[0] if len(parts) == 1 else parts


@pytest.fixture
def draft_organization(analyst):
    """A new organization an analyst saved and nobody published, with an alias."""
    draft = organization(slug="draft-only-body", name_en="Draft-only body", kind="company")
    save_record(record=draft, actor=Actor.admin(analyst))
    save_record(record=OrganizationAlias(organization=draft, name="Draft alias"), actor=Actor.admin(analyst))
    draft.refresh_from_db()
    assert draft.editorial_state == "draft" and draft.published_version is None
    return draft


@pytest.fixture
def revised_ban(analyst):
    """A published ban whose title, targets and a citation an analyst revised, unpublished."""
    ban = PolicyInstrument.objects.get(slug="us-va-deepseek-ban")
    published = {
        "title_en": ban.title_en,
        "targets": sorted(ban.targets.values_list("slug", flat=True)),
        "note": ban.citations.order_by("id").first().note,
    }
    ban.title_en = "Revised title, not yet reviewed"
    save_record(
        record=ban,
        actor=Actor.admin(analyst),
        relations={"targets": [*ban.targets.all(), Organization.objects.get(slug="xiaohongshu")]},
    )
    citation = ban.citations.order_by("id").first()
    citation.note = "A revised note, not yet reviewed."
    save_record(record=citation, actor=Actor.admin(analyst))
    ban.refresh_from_db()
    assert ban.editorial_state == "draft" and ban.published_version < ban.version
    return ban, published


# --- the index -----------------------------------------------------------------------------------


def test_the_index_lists_every_download_with_its_absolute_url(client):
    response = client.get(BASE)
    assert response.status_code == 200
    downloads = {entry["name"]: entry for entry in response.json()["downloads"]}
    assert set(downloads) == {"all", "ftm", *CSV_NAMES.values()}
    assert downloads["all"]["url"] == "http://testserver/api/v1/exports/all.json"
    assert downloads["ftm"]["url"] == "http://testserver/api/v1/exports/ftm.jsonl"
    assert downloads["instruments"]["url"] == "http://testserver" + reverse(
        "api:exports-csv", kwargs={"resource": "instruments"}
    )
    assert downloads["instruments"]["model"] == "tracker.policyinstrument"


def test_every_record_model_has_one_csv_download_by_its_own_name():
    downloads = csv_downloads()
    assert sorted(downloads.values(), key=str) == sorted(record_models(), key=str)
    assert set(CSV_NAMES) == set(record_models())  # none named only by the fallback


def test_an_unknown_download_is_not_found(client):
    assert client.get(BASE + "nothing.csv").status_code == 404


# --- the JSON document ---------------------------------------------------------------------------


def test_anonymous_readers_get_exactly_the_published_rows_of_every_model(client, draft_organization):
    records = json_records(client)
    assert list(records) == [model._meta.label_lower for model in record_models()]
    for model in record_models():
        assert len(records[model._meta.label_lower]) == published_rows(model).count(), model
    slugs = {record["slug"] for record in records["tracker.organization"]}
    assert "draft-only-body" not in slugs
    assert "Draft alias" not in {alias["name"] for alias in records["tracker.organizationalias"]}
    assert {record["editorial_state"] for record in records["tracker.organization"]} == {"published"}


def test_an_analyst_gets_every_row_drafts_included(client, analyst, draft_organization):
    client.force_login(analyst)
    records = json_records(client)
    for model in record_models():
        assert len(records[model._meta.label_lower]) == model._base_manager.count(), model
    draft = next(record for record in records["tracker.organization"] if record["slug"] == "draft-only-body")
    assert draft["editorial_state"] == "draft" and draft["published_version"] is None
    assert {"organization": "draft-only-body", "name": "Draft alias"}.items() <= next(
        alias for alias in records["tracker.organizationalias"] if alias["name"] == "Draft alias"
    ).items()


def test_a_record_under_revision_is_given_to_readers_in_its_published_version(client, analyst, revised_ban):
    ban, published = revised_ban
    citation_key = [ban.slug, *ban.citations.order_by("id").values_list("source__slug", "locator").first()]

    def find(records):
        measure = next(r for r in records["tracker.policyinstrument"] if r["slug"] == ban.slug)
        citation = next(
            r
            for r in records["tracker.instrumentcitation"]
            if [r["instrument"], r["source"], r["locator"]] == citation_key
        )
        return measure, citation

    measure, citation = find(json_records(client))
    assert measure["title_en"] == published["title_en"]
    assert measure["targets"] == published["targets"]
    assert measure["version"] == ban.published_version and measure["editorial_state"] == "published"
    assert citation["note"] == published["note"]

    client.force_login(analyst)
    measure, citation = find(json_records(client))
    assert measure["title_en"] == "Revised title, not yet reviewed"
    assert measure["targets"] == sorted([*published["targets"], "xiaohongshu"])
    assert measure["editorial_state"] == "draft"
    assert citation["note"] == "A revised note, not yet reviewed."


def test_links_are_the_linked_records_natural_keys(client):
    records = json_records(client)
    checked = 0
    for model in record_models():
        rows = records[model._meta.label_lower]
        for field in model._meta.concrete_fields:
            if not field.is_relation:
                continue
            instance = published_rows(model).filter(**{f"{field.name}__isnull": False}).first()
            if instance is None or getattr(instance, field.name) is None:
                continue
            related = getattr(instance, field.name)
            assert key(related) in [row[field.name] for row in rows], (model, field.name)
            checked += 1
        for field in model._meta.many_to_many:
            instance = published_rows(model).filter(**{f"{field.name}__isnull": False}).first()
            if instance is not None:
                keys = sorted(key(related) for related in getattr(instance, field.name).all())
                assert keys in [row[field.name] for row in rows], (model, field.name)
                checked += 1
    assert checked > 30
    event = next(r for r in records["tracker.instrumentevent"] if r["citation"] is not None)
    assert len(event["citation"]) == 3  # a citation's key: measure, source, locator


# --- CSV ---------------------------------------------------------------------------------------------


def expected_header(model):
    header = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.is_relation and field.related_model is InstrumentCitation:
            header += [f"{field.name}_instrument", f"{field.name}_source", f"{field.name}_locator"]
        else:
            header.append(field.name)
    return header + [field.name for field in model._meta.many_to_many]


@pytest.mark.parametrize("name", list(CSV_NAMES.values()))
def test_every_csv_has_a_header_of_field_names_and_one_line_per_published_row(client, name, draft_organization):
    model = csv_downloads()[name]
    header, rows = csv_table(client, name)
    assert header == expected_header(model)
    assert len(rows) == published_rows(model).count()


def test_many_to_many_links_are_joined_with_bars(client):
    _, rows = csv_table(client, "instruments")
    texas = next(row for row in rows if row["slug"] == "us-tx-deepseek-ban")
    measure = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    assert texas["targets"] == "|".join(sorted(measure.targets.values_list("slug", flat=True)))
    assert texas["targets"].count("|") >= 5
    _, bans = csv_table(client, "bans")
    assert next(row for row in bans if row["instrument"] == "us-tx-deepseek-ban")["scopes"] == "|".join(
        sorted(measure.ban.scopes.values_list("code", flat=True))
    )


def test_chinese_text_round_trips(client):
    _, rows = csv_table(client, "instruments")
    texas = next(row for row in rows if row["slug"] == "us-tx-deepseek-ban")
    title_zh = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban").title_zh
    assert "德克薩斯州" in title_zh
    assert texas["title_zh"] == title_zh
    _, organizations = csv_table(client, "organizations")
    assert {row["name_zh"] for row in organizations} >= set(
        Organization.objects.published().exclude(name_zh="").values_list("name_zh", flat=True)
    )


def test_a_citation_link_spreads_its_key_over_columns(client):
    _, rows = csv_table(client, "events")
    with_citation = [row for row in rows if row["citation_source"]]
    assert with_citation
    row = with_citation[0]
    citation = InstrumentCitation.objects.get_by_natural_key(
        row["citation_instrument"], row["citation_source"], row["citation_locator"]
    )
    assert citation.instrument.slug == row["instrument"]


def test_a_draft_is_in_an_analysts_csv_only(client, analyst, draft_organization):
    _, rows = csv_table(client, "organizations")
    assert "draft-only-body" not in {row["slug"] for row in rows}
    client.force_login(analyst)
    _, rows = csv_table(client, "organizations")
    assert next(row for row in rows if row["slug"] == "draft-only-body")["editorial_state"] == "draft"


# --- FollowTheMoney ---------------------------------------------------------------------------------


def assert_valid_ftm(entities):
    ids = [entity["id"] for entity in entities]
    assert len(ids) == len(set(ids))
    emitted = set(ids)
    for entity in entities:
        schema = ftm_model.get(entity["schema"])
        assert schema is not None, entity
        for name in schema.required:
            assert entity["properties"].get(name), (entity["id"], name)
        for name, values in entity["properties"].items():
            prop = schema.get(name)
            assert prop is not None, (entity["id"], name)
            assert values and isinstance(values, list)
            for value in values:
                assert prop.type.clean(value) is not None, (entity["id"], name, value)
                assert len(value) <= prop.max_length, (entity["id"], name)
                if prop.type.name == "entity":
                    assert value in emitted, (entity["id"], name, value)
        proxy = ftm_model.get_proxy(entity)
        assert proxy.id == entity["id"] and proxy.schema.name == entity["schema"]


def test_every_ftm_entity_is_valid_followthemoney(client):
    entities = ftm_entities(client)
    assert_valid_ftm(entities)
    schemas = {entity["schema"] for entity in entities}
    assert schemas == {"PublicBody", "Company", "Organization", "Sanction"}
    assert sum(entity["schema"] != "Sanction" for entity in entities) == Organization.objects.published().count()


def test_organizations_map_to_public_bodies_companies_and_organizations(client):
    entities = {entity["id"]: entity for entity in ftm_entities(client)}
    deepseek = entities["tracker-org-deepseek"]
    assert deepseek["schema"] == "Company"
    assert deepseek["properties"]["country"] == ["cn"]
    assert "Hangzhou DeepSeek Artificial Intelligence" in deepseek["properties"]["alias"]
    body = Organization.objects.filter(kind="government_body", parent__isnull=False).first()
    entity = entities[f"tracker-org-{body.slug}"]
    assert entity["schema"] == "PublicBody"
    assert entity["properties"]["parent"] == [f"tracker-org-{body.parent.slug}"]
    assert body.name_en in entity["properties"]["name"]
    university = Organization.objects.filter(kind="university").first()
    if university is not None:
        assert entities[f"tracker-org-{university.slug}"]["schema"] == "Organization"


def test_the_deepseek_bans_are_sanctions_on_the_deepseek_company(client):
    entities = {entity["id"]: entity for entity in ftm_entities(client)}
    deepseek = Organization.objects.get(slug__contains="deepseek", kind="company")
    company_id = f"tracker-org-{deepseek.slug}"
    assert entities[company_id]["schema"] == "Company"
    bans = PolicyInstrument.objects.published().filter(kind="ban", targets=deepseek)
    assert bans.count() >= 10
    complete = 0
    for ban in bans:
        sanction = entities[f"tracker-sanction-{ban.slug}-{deepseek.slug}"]
        props = sanction["properties"]
        assert sanction["schema"] == "Sanction"
        assert props["entity"] == [company_id]
        assert props["recordId"] == [ban.slug]
        assert props["program"][0] == ban.title_en
        assert props["country"] == [ban.jurisdiction.code[:2].lower()]
        if ban.issuing_body:
            assert props["authority"][0] == ban.issuing_body.name_en
        start = ban.effective_from or ban.announced
        if start:
            name = "effective_from" if ban.effective_from else "announced"
            assert props["startDate"] == [format_partial_date(start, getattr(ban, f"{name}_precision"))]
        urls = {ban.url} | set(ban.citations.values_list("source__url", flat=True))
        assert set(props.get("sourceUrl", [])) == urls - {""}
        assert {scope.name_en for scope in ban.ban.scopes.all()} <= set(props["provisions"])
        complete += all(props.get(name) for name in ("authority", "startDate", "sourceUrl"))
    assert complete >= bans.count() - 2
    # A bill naming DeepSeek is not a sanction.
    assert "tracker-sanction-us-hr-1121-no-deepseek-on-government-devices-act-deepseek" not in entities


def test_export_controls_say_their_legal_form_and_what_they_control(client):
    entities = ftm_entities(client)
    control = PolicyInstrument.objects.published().filter(kind="export_control", targets__isnull=False).first()
    sanctions = [e for e in entities if e["properties"].get("recordId") == [control.slug]]
    assert len(sanctions) == control.targets.count()
    provisions = sanctions[0]["properties"].get("provisions", [])
    if control.export_control.legal_form:
        assert control.export_control.get_legal_form_display() in provisions


def test_ftm_follows_what_the_reader_may_see(client, analyst, draft_organization, revised_ban):
    ban, _ = revised_ban
    ids = {entity["id"] for entity in ftm_entities(client)}
    assert "tracker-org-draft-only-body" not in ids
    assert f"tracker-sanction-{ban.slug}-xiaohongshu" not in ids  # a target added in an unpublished revision
    client.force_login(analyst)
    entities = ftm_entities(client)
    assert_valid_ftm(entities)
    ids = {entity["id"] for entity in entities}
    assert {"tracker-org-draft-only-body", f"tracker-sanction-{ban.slug}-xiaohongshu"} <= ids


# --- HTTP: caching, negotiation, throttling -----------------------------------------------------------


@pytest.mark.parametrize("name", ["all.json", "ftm.jsonl", "instruments.csv", "fund-participants.csv"])
def test_a_download_answers_304_to_its_etag(client, name):
    response, _ = get(client, name)
    etag = response["ETag"]
    assert etag.startswith('W/"')
    assert response["Cache-Control"] == "private, max-age=0"
    again = client.get(BASE + name, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert not again.streaming and again.content == b""
    assert again["ETag"] == etag


def test_the_etag_changes_with_the_data_and_the_reader(client, analyst):
    first = client.get(BASE + "all.json")["ETag"]
    assert client.get(BASE + "all.json")["ETag"] == first
    assert client.get(BASE + "organizations.csv")["ETag"] != first
    save_record(record=organization(slug="another-body"), actor=Actor.admin(analyst))
    changed = client.get(BASE + "all.json")["ETag"]
    assert changed != first
    assert client.get(BASE + "all.json", HTTP_IF_NONE_MATCH=first).status_code == 200
    client.force_login(analyst)
    assert client.get(BASE + "all.json")["ETag"] != changed


def test_a_download_is_served_whatever_the_client_accepts(client):
    response = client.get(BASE + "instruments.csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    response = client.get(BASE + "ftm.jsonl", HTTP_ACCEPT="application/x-ndjson")
    assert response.status_code == 200


def test_anonymous_downloads_are_throttled_like_the_rest_of_the_api(client, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "rate", "2/min", raising=False)
    assert client.get(BASE + "layers.csv").status_code == 200
    assert client.get(BASE + "layers.csv").status_code == 200
    refused = client.get(BASE + "layers.csv", HTTP_ACCEPT="text/csv")
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"].lower()


def test_downloads_are_read_only(client):
    assert client.post(BASE + "all.json").status_code in {403, 405}


# --- cost: the number of queries does not grow with the data ---------------------------------------


def add_synthetic_records(count):
    """``count`` published companies, each with an alias and banned by a published measure with a
    citation, written in bulk (no history: today's rows are the published versions)."""
    now = timezone.now()
    published = {"editorial_state": "published", "version": 1, "published_version": 1, "published_at": now}
    organizations = Organization.objects.bulk_create(
        Organization(slug=f"synthetic-company-{n}", name_en=f"Synthetic company {n}", kind="company", **published)
        for n in range(count)
    )
    OrganizationAlias.objects.bulk_create(
        OrganizationAlias(organization=company, name=f"Alias {n}") for n, company in enumerate(organizations)
    )
    country = Jurisdiction.objects.get(code="US")
    measures = PolicyInstrument.objects.bulk_create(
        PolicyInstrument(
            slug=f"synthetic-ban-{n}",
            title_en=f"Synthetic ban {n}",
            kind="ban",
            jurisdiction=country,
            status="in_force",
            **published,
        )
        for n in range(count)
    )
    PolicyInstrument.targets.through.objects.bulk_create(
        PolicyInstrument.targets.through(policyinstrument=measure, organization=company)
        for measure, company in zip(measures, organizations, strict=True)
    )
    bans = Ban.objects.bulk_create(Ban(instrument=measure, legal_form="directive") for measure in measures)
    scope = Scope.objects.first()
    Ban.scopes.through.objects.bulk_create(Ban.scopes.through(ban=ban, scope=scope) for ban in bans)
    source = Source.objects.published().first()
    InstrumentCitation.objects.bulk_create(
        InstrumentCitation(instrument=measure, source=source, locator="p. 1", quote="A quote.", quote_language="en")
        for measure in measures
    )


def queries_for(client, name):
    with CaptureQueriesContext(connection) as queries:
        get(client, name)
    return len(queries)


@pytest.mark.parametrize(
    ("name", "bound"), [("all.json", 70), ("ftm.jsonl", 30), ("instruments.csv", 16), ("organization-aliases.csv", 10)]
)
@pytest.mark.parametrize("reader", ["anonymous", "analyst"])
def test_the_queries_do_not_grow_with_the_data(client, analyst, django_assert_max_num_queries, name, bound, reader):
    if reader == "analyst":
        client.force_login(analyst)
    with django_assert_max_num_queries(bound):
        get(client, name)
    before = queries_for(client, name)
    add_synthetic_records(60)
    cache.clear()
    after = queries_for(client, name)
    assert after == before
    if name == "ftm.jsonl":
        _, body = get(client, name)
        assert b"tracker-sanction-synthetic-ban-59-synthetic-company-59" in body


def test_the_downloads_do_not_depend_on_the_chunk_size(client, monkeypatch, draft_organization, revised_ban):
    """Rows, their links and their parts are matched across chunk boundaries, in both streams."""

    def bodies():
        records = json_records(client)
        _, ftm = get(client, "ftm.jsonl")
        _, events = get(client, "events.csv")
        return records, ftm, events

    whole = bodies()
    monkeypatch.setattr(exports, "CHUNK", 3)
    assert bodies() == whole


def test_a_part_two_levels_down_is_given_as_its_record_was_published(client, analyst):
    """A fund participant belongs to a fund, which belongs to a measure: the measure's published
    version decides which participant rows readers see."""
    participant = FundParticipant.objects.select_related("fund__instrument", "organization").first()
    measure = participant.fund.instrument
    published_share = participant.share_percent
    participant.share_percent = 42
    save_record(record=participant, actor=Actor.admin(analyst))
    measure.refresh_from_db()
    assert measure.editorial_state == "draft" and measure.published_version < measure.version

    def share(rows):
        row = next(
            row for row in rows if row["fund"] == measure.slug and row["organization"] == participant.organization.slug
        )
        return row["share_percent"]

    _, rows = csv_table(client, "fund-participants")
    assert len(rows) == FundParticipant.objects.count()
    assert share(rows) == ("" if published_share is None else format(published_share, "f"))
    client.force_login(analyst)
    _, rows = csv_table(client, "fund-participants")
    assert share(rows) == "42.00"


def test_the_data_model_document_names_every_download():
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "data-model.md").read_text(encoding="utf-8")
    section = page.split("## Bulk downloads", 1)[1]
    for name in CSV_NAMES.values():
        assert f"`{name}`" in section, name
    for kind, schema in exports.FTM_SCHEMAS.items():
        assert f"`{kind}`" in section and f"`{schema}`" in section


def test_an_organization_under_revision_keeps_its_published_aliases(client, analyst):
    """Aliases loaded in the same change set as their organization, after it, are part of the
    version published with them."""
    deepseek = Organization.objects.get(slug="deepseek")
    aliases = sorted(deepseek.aliases.values_list("name", flat=True))
    assert aliases
    deepseek.description = "A revision not yet reviewed."
    save_record(record=deepseek, actor=Actor.admin(analyst))
    save_record(record=OrganizationAlias(organization=deepseek, name="An unreviewed alias"), actor=Actor.admin(analyst))
    deepseek.refresh_from_db()
    assert deepseek.editorial_state == "draft"

    _, rows = csv_table(client, "organization-aliases")
    assert sorted(row["name"] for row in rows if row["organization"] == "deepseek") == aliases
    entity = next(entity for entity in ftm_entities(client) if entity["id"] == "tracker-org-deepseek")
    assert sorted(entity["properties"]["alias"]) == aliases
    assert entity["properties"]["description"] != ["A revision not yet reviewed."]
