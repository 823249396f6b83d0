"""The admin's front page and Figure 1 in a real Chromium against a real tracker server."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import ANALYST_PASSWORD, logged_in_page


@pytest.fixture
def page(browser, tracker_url):
    page = logged_in_page(browser, tracker_url, "analyst", ANALYST_PASSWORD)
    yield page
    page.context.close()


def test_an_analyst_reads_the_front_page_opens_figure_1_and_a_cell_lists_its_measures(page):
    # The front page: the number of measures, counted by kind, and the timeline's two lanes.
    total = page.locator("#measure-total")
    expect(total).to_have_text(re.compile(r"^\d+ measures$"))
    measures = int(total.inner_text().split()[0])
    assert measures > 50
    by_kind = page.locator("#counts-1 td")
    assert sum(int(by_kind.nth(i).inner_text()) for i in range(by_kind.count())) == measures

    timeline = page.locator("#timeline-svg")
    expect(timeline).to_be_visible()
    expect(timeline.locator("text", has_text="China")).to_have_count(1)
    expect(timeline.locator("text", has_text="United States")).to_have_count(1)
    marks = timeline.locator("a.timeline-mark")
    assert 30 < marks.count() <= measures
    expect(timeline.locator("text.timeline-year").first).to_have_text(re.compile(r"^(19|20)\d\d$"))
    expect(page.locator("#app-list-heading")).to_be_visible()

    # A mark opens its measure.
    title = marks.first.locator("title").text_content()
    marks.first.click()
    expect(page.locator("#id_title_en")).to_have_value(title.split(" — ")[0])
    page.go_back()

    # Figure 1, and the cell with the most measures: its list holds that many rows.
    page.click("#dashboard-matrix-link")
    expect(page.locator("#matrix")).to_be_visible()
    links = page.locator("#matrix td a")
    counts = [int(text) for text in links.all_inner_texts()]
    assert counts and all(count > 0 for count in counts)
    busiest = counts.index(max(counts))
    cell = links.nth(busiest)
    cell.click()
    page.wait_for_url(re.compile(r"/admin/tracker/policyinstrument/\?.*layers__id__exact="))
    expect(page.locator("#result_list tbody tr")).to_have_count(max(counts))
