"""The analysts' admin in a real Chromium against a real tracker server."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import ANALYST_PASSWORD, REVIEWER_PASSWORD, logged_in_page


@pytest.fixture
def page(browser, tracker_url):
    page = logged_in_page(browser, tracker_url, "analyst", ANALYST_PASSWORD)
    yield page
    page.context.close()


@pytest.fixture
def reviewer_page(browser, tracker_url):
    page = logged_in_page(browser, tracker_url, "reviewer", REVIEWER_PASSWORD)
    yield page
    page.context.close()


def test_an_analyst_finds_a_ban_and_reads_its_sources(page, tmp_path):
    page.click("text=Policy instruments")
    page.fill("#searchbar", "DeepSeek")
    page.press("#searchbar", "Enter")
    page.click("text=Texas ban on DeepSeek")

    assert page.input_value("#id_title_zh").startswith("德克薩斯州")
    expect(page.locator("#ban-group")).to_be_visible()
    assert page.locator("#fund-group").count() == 0
    quotes = page.locator("#citations-group textarea[name$='-quote']")
    assert any("德克薩斯州" in quotes.nth(i).input_value() for i in range(quotes.count()))
    page.screenshot(path=str(tmp_path / "ban.png"), full_page=True)


def test_an_impossible_date_is_refused_on_the_page_and_nothing_is_saved(page):
    change_url = open_ban(page, "us-tx-deepseek-ban", "Texas ban on DeepSeek")
    page.fill("#id_title_en", "Edited title that must not be saved")
    # The inline script has set up the events (its "add" link); the row added is the next form.
    add_event = page.locator("#events-group .add-row a")
    expect(add_event).to_be_visible()
    total = page.locator("#id_events-TOTAL_FORMS")
    rows = int(total.input_value())
    add_event.click()
    expect(total).to_have_value(str(rows + 1))
    row = f"#id_events-{rows}"
    page.select_option(f"{row}-kind", "expired")
    page.fill(f"{row}-date", "2000-01-01")
    page.select_option(f"{row}-date_precision", "day")
    page.click("input[name=_save]")

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#events-group .errorlist")).to_contain_text("cannot stop having effect before it takes effect")

    page.goto(change_url)
    expect(page.locator("#id_title_en")).not_to_have_value("Edited title that must not be saved")
    expect(page.locator("#events-group")).not_to_contain_text("2000-01-01")


def choose_in_autocomplete(page, field, typed, option):
    """Pick ``option`` in an autocomplete (select2) field after typing ``typed``, as a person does."""
    page.click(f".field-{field} .select2-selection")
    search = page.locator(".select2-container--open .select2-search__field")
    search.fill(typed)
    page.locator(".select2-results__option", has_text=option).click()
    expect(page.locator(f".field-{field} .select2-selection")).to_contain_text(option)


def test_an_analyst_adds_a_ban_with_its_detail_in_one_form(page, tmp_path):
    page.goto("/admin/tracker/policyinstrument/add/")
    page.locator("#id_title_en").press_sequentially("Browser Test Ban on DeepSeek")
    # The slug is filled in from the title as it is typed, in lower case.
    expect(page.locator("#id_slug")).to_have_value("browser-test-ban-on-deepseek")
    for prefix in ("ban", "fund", "lab", "pilot_zone", "export_control", "subsidy"):
        expect(page.locator(f"#{prefix}-group")).to_be_hidden()

    page.select_option("#id_kind", "ban")
    expect(page.locator("#ban-group")).to_be_visible()
    expect(page.locator("#fund-group")).to_be_hidden()
    page.select_option("#id_status", "in_force")
    choose_in_autocomplete(page, "jurisdiction", "US-TX", "Texas (US-TX)")
    choose_in_autocomplete(page, "products", "DeepSeek", "DeepSeek app and website")
    ban = page.locator("#ban-group")
    ban.locator("#id_ban-0-legal_form").select_option("directive")
    ban.locator(".inline-related:not(.empty-form)").get_by_label("government devices").check()
    ban.locator("#id_ban-0-banned_product").fill("the DeepSeek app")
    page.screenshot(path=str(tmp_path / "add-ban.png"), full_page=True)
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_be_visible()
    open_ban(page, "browser-test-ban-on-deepseek", "Browser Test Ban on DeepSeek")
    expect(page.locator("#id_kind")).to_have_value("ban")
    expect(page.locator("#ban-group")).to_be_visible()
    expect(page.locator("#fund-group")).to_have_count(0)
    expect(page.locator("#id_ban-0-legal_form")).to_have_value("directive")
    expect(page.locator("#id_ban-0-banned_product")).to_have_value("the DeepSeek app")
    saved = page.locator("#ban-group .inline-related:not(.empty-form)")
    expect(saved.get_by_label("government devices")).to_be_checked()


def test_a_valid_edit_is_saved_and_shown_in_the_list(page):
    page.goto("/admin/tracker/policyinstrument/?q=cn-ai-pilot-zone-shanghai")
    page.click("text=Shanghai")
    page.fill("#id_summary_en", "Edited in the browser test.")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    page.goto("/admin/tracker/policyinstrument/?q=cn-ai-pilot-zone-shanghai")
    page.click("text=Shanghai")
    assert page.input_value("#id_summary_en") == "Edited in the browser test."


def open_ban(page, slug, title):
    page.goto(f"/admin/tracker/policyinstrument/?q={slug}")
    page.click(f"text={title}")
    page.wait_for_url(re.compile(r"/change/"))
    page.locator("#id_title_en").wait_for()
    return page.url.split("?")[0]


def test_two_people_edit_the_same_ban_and_the_second_sees_what_changed(page, reviewer_page, tmp_path):
    first, second = page, reviewer_page
    url = open_ban(first, "us-va-deepseek-ban", "Virginia")
    second.goto(url)

    first.fill("#id_title_en", "Virginia bans DeepSeek on state devices (first editor)")
    first.click("input[name=_save]")
    first.locator(".messagelist .success").wait_for()

    second.fill("#id_summary_en", "The second editor's summary.")
    second.click("input[name=_save]")

    conflict = second.locator("#conflict")
    conflict.wait_for()
    assert "first editor" in conflict.inner_text()
    assert second.input_value("#id_title_en") == "Virginia bans DeepSeek on state devices (first editor)"
    assert second.input_value("#id_summary_en") == "The second editor's summary."
    second.screenshot(path=str(tmp_path / "conflict.png"), full_page=True)

    second.click("input[name=_save]")
    second.locator(".messagelist .success").wait_for()
    second.goto(url)
    assert second.input_value("#id_title_en") == "Virginia bans DeepSeek on state devices (first editor)"
    assert second.input_value("#id_summary_en") == "The second editor's summary."


def test_an_analyst_submits_a_reviewer_publishes_and_the_history_shows_both(page, reviewer_page):
    url = open_ban(page, "us-nasa-deepseek-ban", "NASA")
    page.fill("#id_summary_en", "Edited for review in the browser.")
    page.click("input[name=_save]")
    page.locator(".messagelist .success").wait_for()

    page.goto(url)
    page.click("#review-link")
    page.fill("#id_comment", "Ready for a second pair of eyes.")
    page.click("button[value=submit]")
    page.locator("#editorial-state", has_text="in review").wait_for()

    reviewer_page.goto(url.replace("/change/", "/review/"))
    assert "Changes since the published version" in reviewer_page.content()
    reviewer_page.fill("#id_comment", "Checked against NASA's memo.")
    reviewer_page.click("button[value=publish]")
    reviewer_page.locator("#editorial-state", has_text="published").wait_for()

    reviewer_page.goto(url.replace("/change/", "/history/"))
    table = reviewer_page.locator("#history-table").inner_text()
    assert "Ready for a second pair of eyes." in table and "Checked against NASA's memo." in table
    assert "analyst" in table and "reviewer" in table
