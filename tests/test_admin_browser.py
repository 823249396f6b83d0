"""The analysts' admin in a real Chromium against a real tracker server."""

import re

import pytest

from tests.browser import ANALYST_PASSWORD, CHROMIUM, require_chromium, start_server


@pytest.fixture(scope="module")
def tracker_url(tmp_path_factory):
    require_chromium()
    process, url = start_server(tmp_path_factory.mktemp("browser-server"))
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, tracker_url, tmp_path):
    context = browser.new_context(base_url=tracker_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/admin/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", ANALYST_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    yield page
    context.close()


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
    page.fill("#id_effective_until", "2000-01-01")
    page.select_option("#id_effective_until_precision", "day")
    page.click("input[name=_save]")

    assert page.locator(".errornote").is_visible()
    assert "cannot stop having effect before it takes effect" in page.content()

    page.goto(change_url)
    assert page.input_value("#id_title_en") != "Edited title that must not be saved"
    assert page.input_value("#id_effective_until") == ""


def test_a_valid_edit_is_saved_and_shown_in_the_list(page):
    page.goto("/admin/tracker/policyinstrument/?q=cn-ai-pilot-zone-shanghai")
    page.click("text=Shanghai")
    page.fill("#id_summary_en", "Edited in the browser test.")
    page.click("input[name=_save]")
    assert page.locator(".messagelist .success").is_visible()
    page.goto("/admin/tracker/policyinstrument/?q=cn-ai-pilot-zone-shanghai")
    page.click("text=Shanghai")
    assert page.input_value("#id_summary_en") == "Edited in the browser test."
