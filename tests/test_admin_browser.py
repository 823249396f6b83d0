"""The analysts' admin in a real Chromium against a real tracker server."""

import pytest

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
    assert page.locator("#ban-group").is_visible()
    assert page.locator("#fund-group").count() == 0
    quotes = page.locator("#citations-group textarea[name$='-quote']")
    assert any("德克薩斯州" in quotes.nth(i).input_value() for i in range(quotes.count()))
    page.screenshot(path=str(tmp_path / "ban.png"), full_page=True)


def test_an_impossible_date_is_refused_on_the_page_and_nothing_is_saved(page):
    page.goto("/admin/tracker/policyinstrument/?q=us-tx-deepseek-ban")
    page.click("text=Texas ban on DeepSeek")
    change_url = page.url
    page.fill("#id_title_en", "Edited title that must not be saved")
    rows = page.locator("#events-group tr.form-row.has_original").count()
    page.click("#events-group .add-row a")
    row = f"#id_events-{rows}"
    page.select_option(f"{row}-kind", "expired")
    page.fill(f"{row}-date", "2000-01-01")
    page.select_option(f"{row}-date_precision", "day")
    page.click("input[name=_save]")

    page.locator(".errornote").wait_for()
    assert "cannot stop having effect before it takes effect" in page.content()

    page.goto(change_url)
    assert page.input_value("#id_title_en") != "Edited title that must not be saved"
    assert "2000-01-01" not in page.locator("#events-group").inner_text()


def test_a_valid_edit_is_saved_and_shown_in_the_list(page):
    page.goto("/admin/tracker/policyinstrument/?q=cn-ai-pilot-zone-shanghai")
    page.click("text=Shanghai")
    page.fill("#id_summary_en", "Edited in the browser test.")
    page.click("input[name=_save]")
    assert page.locator(".messagelist .success").is_visible()
    page.goto("/admin/tracker/policyinstrument/?q=cn-ai-pilot-zone-shanghai")
    page.click("text=Shanghai")
    assert page.input_value("#id_summary_en") == "Edited in the browser test."


def open_ban(page, slug, title):
    page.goto(f"/admin/tracker/policyinstrument/?q={slug}")
    page.click(f"text={title}")
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
