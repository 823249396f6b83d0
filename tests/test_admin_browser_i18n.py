"""The admin in Traditional Chinese, chosen from the header in a real Chromium."""

import re

import pytest

from tests.browser import ANALYST_PASSWORD, logged_in_page


@pytest.fixture
def page(browser, tracker_url):
    """The analyst's browser; the language goes back to English afterwards, since the server
    (and so the analyst's choice) is shared by every browser test of the session."""
    page = logged_in_page(browser, tracker_url, "analyst", ANALYST_PASSWORD)
    yield page
    back_to_english(page)
    page.context.close()


def back_to_english(page):
    from playwright.sync_api import expect

    page.goto("/admin/")
    english = page.locator("#language-switch button[value=en]")
    if english.is_enabled():
        english.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_an_analyst_switches_to_chinese_and_finds_a_ban_by_its_simplified_name(page, browser, tracker_url):
    from playwright.sync_api import expect

    expect(page.locator("#site-name")).to_have_text("AI Policy Tracker")
    page.locator("#language-switch button[value=zh-hant]").click()

    expect(page.locator("html")).to_have_attribute("lang", "zh-hant")
    expect(page.locator("#site-name")).to_have_text("人工智慧政策追蹤資料庫")
    expect(page.locator("#language-switch button[value=zh-hant]")).to_be_disabled()
    expect(page.locator("#logout-form button")).to_have_text("登出")

    page.locator("#content-main .app-tracker").get_by_role("link", name="政策措施", exact=True).click()
    expect(page.locator("#content h1")).to_have_text("選擇 政策措施 來修改")
    # The report writes 德克薩斯州; a mainland reader types the simplified 德克萨斯州.
    page.fill("#searchbar", "德克萨斯州")
    page.press("#searchbar", "Enter")
    results = page.locator("#result_list tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Texas ban on DeepSeek")
    results.get_by_role("link", name=re.compile("Texas ban on DeepSeek")).click()

    expect(page.locator("label[for=id_title_en]")).to_contain_text("標題（英文）")
    expect(page.locator("label[for=id_issuing_body]")).to_contain_text("發布機關")
    expect(page.locator("#id_kind option:checked")).to_have_text("採購或使用禁令")
    expect(page.locator("#id_title_zh")).to_have_value(re.compile("^德克薩斯州"))

    # The choice is the analyst's, not this browser's: another browser logs in to Chinese.
    elsewhere = logged_in_page(browser, tracker_url, "analyst", ANALYST_PASSWORD)
    try:
        expect(elsewhere.locator("#site-name")).to_have_text("人工智慧政策追蹤資料庫")
    finally:
        elsewhere.context.close()

    page.locator("#language-switch button[value=en]").click()
    expect(page.locator("label[for=id_title_en]")).to_contain_text("Title (English)")
