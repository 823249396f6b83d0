"""The admin in Traditional Chinese: a complete catalogue, Chinese pages and messages, and
each person's language kept across logins."""

import datetime
import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests import factories
from tests.conftest import login
from tracker.models import LanguagePreference, PolicyInstrument
from tracker.services import Actor, save_record
from tracker.services.preferences import choose_language

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "tracker" / "locale" / "zh_Hant" / "LC_MESSAGES"
# What makemessages reads: the tracker's code and templates and the project's settings and URLs.
SOURCES = ("manage.py", "config", "tracker")


def require_gettext():
    missing = [tool for tool in ("xgettext", "msgmerge", "msgfmt") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("TRACKER_REQUIRE_GETTEXT"):
            pytest.fail(f"TRACKER_REQUIRE_GETTEXT is set but {', '.join(missing)} is missing")
        pytest.skip(f"{', '.join(missing)} missing (apt-get install gettext)")


@pytest.fixture(scope="module")
def collected_catalogue(tmp_path_factory):
    """The zh_Hant catalogue as makemessages makes it today from the code, merged with the
    committed translations: run in a copy of the project, so the working tree is untouched."""
    require_gettext()
    copy = tmp_path_factory.mktemp("project")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        else:
            shutil.copy2(source, copy / name)
    env = {**os.environ, "DJANGO_SECRET_KEY": "catalogue-check-only"}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hant", "--no-obsolete", "--no-location"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return polib.pofile(str(copy / "tracker" / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"))


def entry_name(entry):
    return f"{entry.msgctxt}|{entry.msgid}" if entry.msgctxt else entry.msgid


def test_every_string_of_the_tracker_is_translated(collected_catalogue):
    untranslated = [
        entry_name(entry)
        for entry in collected_catalogue
        if not (entry.msgstr or (entry.msgstr_plural and all(entry.msgstr_plural.values())))
    ]
    fuzzy = [entry_name(entry) for entry in collected_catalogue if "fuzzy" in entry.flags]
    assert not untranslated, f"untranslated in tracker/locale/zh_Hant: {untranslated}"
    assert not fuzzy, f"fuzzy (check and confirm the translation) in tracker/locale/zh_Hant: {fuzzy}"
    assert len(collected_catalogue) > 400  # the whole tracker, not a stray file


def test_the_committed_catalogue_is_the_collected_one(collected_catalogue):
    """A string added to the code (or a translation changed) is in the committed .po."""
    committed = {entry_name(entry): entry for entry in polib.pofile(str(CATALOGUE / "django.po"))}
    stale = [
        entry_name(entry)
        for entry in collected_catalogue
        if entry_name(entry) not in committed
        or committed[entry_name(entry)].msgstr != entry.msgstr
        or committed[entry_name(entry)].msgstr_plural != entry.msgstr_plural
    ]
    assert not stale, f"run makemessages -l zh_Hant and translate: {stale}"


def test_the_committed_mo_is_compiled_from_the_committed_po(tmp_path):
    require_gettext()
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(CATALOGUE / "django.po")], check=True)
    with compiled.open("rb") as fresh, (CATALOGUE / "django.mo").open("rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(fresh)._catalog, (
            "tracker/locale/zh_Hant/LC_MESSAGES/django.mo is out of date: run compilemessages"
        )


def test_the_catalogue_speaks_taiwan_usage():
    """人工智慧, 資料, 軟體, 晶片 — not the mainland's 人工智能, 数据/數據, 软件/軟件, 芯片."""
    text = "".join(
        entry.msgstr + "".join(entry.msgstr_plural.values()) for entry in polib.pofile(str(CATALOGUE / "django.po"))
    )
    for mainland in ("人工智能", "數據", "軟件", "芯片", "信息", "默認"):
        assert mainland not in text, mainland
    for taiwan in ("人工智慧", "資料", "軟體", "晶片"):
        assert taiwan in text, taiwan


# --- pages and messages ---------------------------------------------------------------------------


@pytest.fixture
def chinese_client(db):
    user = login("zh-analyst", "analyst")
    choose_language(user=user, language="zh-hant")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_admin_index_is_in_chinese(chinese_client):
    page = chinese_client.get(reverse("admin:index")).content.decode()
    assert '<html lang="zh-hant"' in page
    for text in ("人工智慧政策追蹤資料庫", "政策措施", "轄區", "組織", "登出"):
        assert text in page, text
    assert "Policy instruments" not in page


@pytest.mark.django_db
def test_the_measures_list_is_in_chinese(chinese_client):
    page = chinese_client.get(reverse("admin:tracker_policyinstrument_changelist"), {"kind__exact": "ban"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "選擇 政策措施 來修改" in text  # Django's own "Select policy instrument to change"
    assert "採購或使用禁令" in text  # the kind's label
    assert "種類" in text and "狀態" in text  # field names in the filters and columns


@pytest.mark.django_db
def test_a_measure_change_form_is_in_chinese(chinese_client):
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    text = chinese_client.get(reverse("admin:tracker_policyinstrument_change", args=[ban.pk])).content.decode()
    for label in ("標題（英文）", "標題（中文）", "發布機關", "受影響轄區", "生效日", "宣布日期精確度", "儲存"):
        assert label in text, label
    assert "實施此措施的轄區。" in text  # a help text
    assert "採購或使用禁令" in text  # a choice's label
    assert 'value="ban"' in text  # the stored value stays English
    assert "政府裝置" in text and "晶片" in text  # the scopes' and layers' own Chinese names


def test_a_vocabulary_term_is_named_in_the_language_of_the_page(db):
    from tracker.models import Scope, StackLayer

    chips, devices = StackLayer.objects.get(code="chips"), Scope.objects.get(code="government_devices")
    with translation.override("zh-hant"):
        assert (str(chips), str(devices)) == ("晶片", "政府裝置")
    with translation.override("en"):
        assert (str(chips), str(devices)) == (chips.name_en, devices.name_en)


@pytest.mark.django_db
def test_a_validation_error_comes_in_chinese(analyst):
    ban = factories.instrument(kind="ban")
    with translation.override("zh-hant"):
        with pytest.raises(ValidationError) as refused:
            save_record(record=ban, actor=Actor.admin(analyst), relations={"products": []})
        # Messages are lazy: they speak the language active where they are shown.
        assert refused.value.message_dict == {"products": ["請說明禁令涵蓋的內容：選擇被禁止的產品。"]}
    with translation.override("en"), pytest.raises(ValidationError, match="choose the banned products"):
        save_record(record=ban, actor=Actor.admin(analyst), relations={"products": []})


@pytest.mark.django_db
def test_a_refused_review_step_is_explained_in_chinese_on_the_page(chinese_client):
    measure = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    review = reverse("admin:tracker_policyinstrument_review", args=[measure.pk])
    page = chinese_client.post(review, {"action": "return", "comment": ""}, follow=True).content.decode()
    assert "請說明退回草稿的原因：意見為必填。" in page
    assert "退回草稿" in page and "審核" in page  # the review page's own buttons and title
    measure.refresh_from_db()
    assert measure.editorial_state == "published"


@pytest.mark.django_db
def test_a_rule_of_the_database_is_explained_in_chinese():
    measure = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    measure.effective_from, measure.effective_from_precision = datetime.date(2025, 2, 1), "day"
    measure.effective_until, measure.effective_until_precision = datetime.date(2020, 1, 1), "day"
    with translation.override("zh-hant"):
        with pytest.raises(ValidationError) as refused:
            measure.full_clean()
        assert "措施不能在生效前就失效。" in refused.value.messages
    measure.effective_until, measure.effective_until_precision = datetime.date(2026, 3, 5), "month"
    with translation.override("zh-hant"), pytest.raises(ValidationError) as refused:
        measure.full_clean()
    assert refused.value.message_dict["effective_until"] == [
        "只知道月份的失效日應寫成該月第一天（2026-03-01），而不是 2026-03-05。"
    ]


# --- each person's language -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_chosen_language_follows_the_person_to_a_new_browser_and_no_one_else():
    chooser, other = login("chooser", "analyst"), login("other", "analyst")
    first_browser = Client()
    first_browser.force_login(chooser)
    answer = first_browser.post(
        reverse("admin_language"),
        {"language": "zh-hant", "next": reverse("admin:tracker_policyinstrument_changelist")},
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("admin:tracker_policyinstrument_changelist")
    assert LanguagePreference.objects.get(user=chooser).language == "zh-hant"
    assert "政策措施" in first_browser.get(reverse("admin:index")).content.decode()

    new_browser = Client()  # another device: no session, no cookie, an English browser
    new_browser.force_login(chooser)
    page = new_browser.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "政策措施" in page and "Policy instruments" not in page

    someone_else = Client()
    someone_else.force_login(other)
    page = someone_else.get(reverse("admin:index")).content.decode()
    assert "Policy instruments" in page and "政策措施" not in page

    first_browser.post(reverse("admin_language"), {"language": "en", "next": reverse("admin:index")})
    assert "Policy instruments" in first_browser.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_the_header_offers_both_languages_and_marks_the_current_one(chinese_client):
    page = chinese_client.get(reverse("admin:index")).content.decode()
    assert 'id="language-switch"' in page
    assert 'value="en" lang="en" aria-pressed="false"' in page
    assert 'value="zh-hant" lang="zh-hant" aria-pressed="true" disabled' in page


@pytest.mark.django_db
def test_anonymous_visitors_get_their_browsers_language():
    login_url = reverse("admin:login")
    assert "登入" in Client().get(login_url, HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9").content.decode()
    assert "Log in" in Client().get(login_url, HTTP_ACCEPT_LANGUAGE="en-US").content.decode()


@pytest.mark.django_db
def test_a_language_the_tracker_does_not_offer_is_refused_naming_the_field(analyst):
    client = Client()
    client.force_login(analyst)
    answer = client.post(reverse("admin_language"), {"language": "klingon", "next": "/admin/"})
    assert answer.status_code == 400
    assert "language" in answer.content.decode() and "klingon" in answer.content.decode()
    assert not LanguagePreference.objects.filter(user=analyst).exists()
    with pytest.raises(ValidationError) as refused:
        choose_language(user=analyst, language="fr")
    assert set(refused.value.message_dict) == {"language"}


@pytest.mark.django_db
def test_the_switch_never_sends_anyone_to_another_site(analyst):
    client = Client()
    client.force_login(analyst)
    answer = client.post(reverse("admin_language"), {"language": "en", "next": "https://elsewhere.example/"})
    assert answer.status_code == 302 and answer["Location"] == reverse("admin:index")


@pytest.mark.django_db
def test_the_switch_needs_a_login():
    answer = Client().post(reverse("admin_language"), {"language": "zh-hant"})
    assert answer.status_code == 302 and reverse("admin:login") in answer["Location"]
