"""The admin's "Sync a fixture file": upload, dry-run preview (writes nothing), apply."""

import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.test_sync import as_in_files, database_snapshot, edit
from tracker.choices import ChangeVia
from tracker.importers.fixtures import dumps
from tracker.models import ChangeSet, Organization, SyncBase
from tracker.services import Actor
from tracker.services.preferences import choose_language

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:tracker_changeset_sync")


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.TRACKER_FIXTURE_UPLOAD_DIR = tmp_path / "uploads"
    return settings.TRACKER_FIXTURE_UPLOAD_DIR


def client_for(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def csrf_post(client, url, data, page=UPLOAD):
    """POST as a browser does: with the CSRF token of the page the form came from."""
    response = client.get(page)
    assert response.status_code == 200
    token = client.cookies["csrftoken"].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token})


def upload(client, content, name="02_organizations.json"):
    if not isinstance(content, bytes):
        content = dumps(content).encode()
    return csrf_post(client, UPLOAD, {"fixture_file": SimpleUploadedFile(name, content, "application/json")})


def stored_files(upload_dir):
    return sorted(path for path in upload_dir.rglob("*") if path.is_file()) if upload_dir.exists() else []


@pytest.fixture
def body():
    return Organization.objects.get(slug="us-bis")


def test_analysts_are_refused(analyst, body):
    client = client_for(analyst)
    assert client.get(UPLOAD).status_code == 403
    assert client.post(UPLOAD, {}).status_code == 403
    journal = client.get(reverse("admin:tracker_changeset_changelist"))
    assert journal.status_code == 200 and b"sync-fixture-link" not in journal.content


def test_the_journal_and_the_index_link_to_it(reviewer):
    client = client_for(reviewer)
    assert b'id="sync-fixture-link"' in client.get(reverse("admin:tracker_changeset_changelist")).content
    assert b'id="sync-fixture-index"' in client.get(reverse("admin:index")).content


def test_preview_shows_the_diff_and_writes_nothing_then_apply_writes_it(reviewer, body, upload_dir):
    client = client_for(reviewer)
    record = as_in_files(body)
    record["fields"]["description"] = "Changed in an uploaded file."
    before = database_snapshot()

    response = upload(client, [record])
    assert response.status_code == 302
    preview_url = response["Location"]
    preview = client.get(preview_url)

    text = preview.content.decode()
    assert preview.status_code == 200
    assert "Dry run of <strong>02_organizations.json</strong>" in text
    assert "us-bis" in text and "description" in text and "Changed in an uploaded file." in text
    assert 'id="fixture-apply"' in text and 'id="sync-errors"' not in text
    assert database_snapshot() == before
    assert len(stored_files(upload_dir)) == 1

    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    applied = csrf_post(
        client, reverse("admin:tracker_changeset_sync_apply", args=[token]), {"prefer": ""}, page=preview_url
    )

    assert applied.status_code == 200
    body.refresh_from_db()
    assert body.description == "Changed in an uploaded file."
    changeset = body.history.latest().changeset
    assert changeset.via == ChangeVia.FIXTURES
    assert changeset.source.endswith("/uploaded-by-reviewer/02_organizations.json")
    assert changeset.user == reviewer and changeset.username == "reviewer"
    assert reverse("admin:tracker_changeset_change", args=[changeset.pk]) in applied.content.decode()
    base = SyncBase.objects.get(model="tracker.organization", natural_key='["us-bis"]')
    assert base.file == "02_organizations.json"
    assert stored_files(upload_dir) == []  # deleted once applied
    # The token is spent: applying again finds nothing and writes nothing.
    again = csrf_post(client, reverse("admin:tracker_changeset_sync_apply", args=[token]), {}, page=UPLOAD)
    assert again.status_code == 404


def test_apply_needs_the_csrf_token_and_the_uploaders_session(reviewer, second_reviewer, body):
    client = client_for(reviewer)
    record = as_in_files(body)
    record["fields"]["description"] = "Never applied."
    preview_url = upload(client, [record])["Location"]
    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    apply_url = reverse("admin:tracker_changeset_sync_apply", args=[token])

    assert client.post(apply_url, {}).status_code == 403  # no CSRF token
    assert csrf_post(client_for(second_reviewer), apply_url, {}).status_code == 404  # not their upload
    body.refresh_from_db()
    assert body.description != "Never applied."


def test_a_malformed_file_shows_the_error_with_line_and_column_and_no_apply(reviewer):
    client = client_for(reviewer)
    before = database_snapshot()
    broken = b'[\n  {"model": "tracker.organization",\n   "fields": {"slug": "x",}}\n]\n'

    preview = client.get(upload(client, broken, "broken.json")["Location"])

    text = preview.content.decode()
    assert 'id="sync-errors"' in text
    assert "broken.json:3:" in text and "malformed JSON" in text
    assert 'id="fixture-apply"' not in text and 'id="no-apply"' in text
    assert database_snapshot() == before


def test_a_conflict_is_shown_and_apply_with_prefer_file_settles_it(reviewer, analyst, body):
    edit(body, Actor.admin(analyst), description="The analyst's words.")
    record = as_in_files(body)
    record["fields"]["description"] = "The maintainer's words."
    client = client_for(reviewer)
    before = database_snapshot()

    preview_url = upload(client, [record])["Location"]
    preview = client.get(preview_url)

    text = preview.content.decode()
    assert 'id="sync-conflicts"' in text and "description" in text
    assert json.dumps("The maintainer's words.").replace('"', "&quot;").replace("'", "&#x27;") in text
    assert 'id="fixture-apply"' in text and 'name="prefer" value="files"' in text
    assert database_snapshot() == before

    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    apply_url = reverse("admin:tracker_changeset_sync_apply", args=[token])
    unresolved = csrf_post(client, apply_url, {"prefer": ""}, page=preview_url)
    assert unresolved.status_code == 200 and 'id="apply-refused"' in unresolved.content.decode()
    assert database_snapshot() == before

    applied = csrf_post(client, apply_url, {"prefer": "files"}, page=preview_url)

    assert applied.status_code == 200 and 'id="sync-applied"' in applied.content.decode()
    body.refresh_from_db()
    assert body.description == "The maintainer's words."


def test_an_oversized_upload_is_refused(reviewer, settings, upload_dir):
    client = client_for(reviewer)
    before = database_snapshot()
    response = upload(client, b"[" + b" " * (5 * 1024 * 1024) + b"]")
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert stored_files(upload_dir) == [] and database_snapshot() == before
    assert not ChangeSet.objects.filter(via=ChangeVia.FIXTURES, source__contains="uploaded-by").exists()


def a_file_with_problems(body):
    """An organizations file with a problem of each kind the sync reports, and one good change."""
    good = as_in_files(body)
    good["fields"]["description"] = "Changed beside the problems."
    new = {"slug": "new-body", "name_en": "New body", "name_zh": "新機構", "kind": "company"}
    return [
        good,
        {"model": "tracker.organization", "pk": 7, "fields": {**new, "founded": "1999"}},
        {"model": "tracker.nosuchthing", "fields": {}},
        {"model": "tracker.organization", "fields": {**new, "slug": "nowhere", "jurisdiction": ["ZZ"]}},
        {"model": "tracker.organization", "fields": {**new, "slug": "typed", "name_en": 5, "kind": "spaceship"}},
    ]


def preview_text(user, content, name="02_organizations.json"):
    client = client_for(user)
    preview = client.get(upload(client, content, name)["Location"])
    assert preview.status_code == 200
    return html.unescape(preview.content.decode())


def test_the_problems_and_the_summary_speak_the_reviewers_language(reviewer, second_reviewer, body):
    choose_language(user=reviewer, language="zh-hant")
    before = database_snapshot()

    chinese = preview_text(reviewer, a_file_with_problems(body))

    assert '<html lang="zh-hant"' in chinese and 'id="sync-errors"' in chinese
    for message in (
        '"pk": 7：紀錄一律以自然鍵比對，從不使用數字編號；請移除 "pk"。',
        "不明的欄位：tracker.organization 沒有 'founded' 欄位。",
        "tracker.nosuchthing（第 3 筆紀錄）",
        "不明的模型 'tracker.nosuchthing'。",
        "資料庫與所有資料檔中，都沒有自然鍵為 ['ZZ'] 的 tracker.jurisdiction。",
        "應為 文字，而不是 5。",
        "數值 'spaceship' 不是有效的選項。",  # Django's own message, in its own translation
    ):
        assert message in chinese, message
    summary = chinese.split('id="sync-summary">', 1)[1].split("</pre>", 1)[0]
    assert "1 個檔案，共" in summary and "筆紀錄：新增 " in summary and "未變更" in summary
    assert "試執行：沒有寫入任何資料。" in summary
    for english in ("unknown field", "natural key", "records from", "created", "Dry run", "(record 3)", "expected"):
        assert english not in chinese.split('id="sync-counts"', 1)[1], english

    english = preview_text(second_reviewer, a_file_with_problems(body))

    for message in (
        '"pk": 7: records are matched by their natural keys, never by a numeric id; remove "pk".',
        "unknown field: tracker.organization has no field 'founded'.",
        "tracker.nosuchthing (record 3)",
        "unknown model 'tracker.nosuchthing'.",
        "no tracker.jurisdiction has the natural key ['ZZ'], neither in the database nor in any fixture file.",
        "expected text, not 5.",
        "Value 'spaceship' is not a valid choice.",
        " records from 1 files: ",
        "Dry run: nothing was written.",
    ):
        assert message in english, message
    assert "紀錄" not in english and "資料檔" not in english
    assert database_snapshot() == before


def test_a_malformed_file_is_reported_in_the_reviewers_language(reviewer):
    choose_language(user=reviewer, language="zh-hant")
    broken = b'[\n  {"model": "tracker.organization", "fields": {}}\n  {"model": "tracker.organization"}\n]\n'

    text = preview_text(reviewer, broken, "broken.json")

    assert "broken.json:3:3" in text and "JSON 格式錯誤：此處應有「,」分隔符號。" in text
    assert "malformed JSON" not in text
    # The JSON decoder's own words too.
    text = preview_text(reviewer, b'[{"model": "tracker.organization", "fields": {"slug": "x",}}]', "broken.json")
    assert "broken.json:1:59" in text and "JSON 格式錯誤：此處應有以雙引號括住的屬性名稱。" in text
    assert "Expecting" not in text
