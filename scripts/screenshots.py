"""Take the admin's screenshots (``scripts/screenshots``): the front page, Figure 1, a DeepSeek
ban's page and the list of measures, each in English and in Traditional Chinese.

The server is the browser tests' (``tests.browser.start_server``): migrated, seeded by the
fixture sync, with the analyst login, on a free loopback port and its own SQLite file.
The language is chosen the way a browser without a saved choice does, by Django's language
cookie.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import ANALYST_PASSWORD, CHROMIUM, start_server  # noqa: E402

LANGUAGES = {"en": ("en", "en-GB"), "zh-hant": ("zh-hant", "zh-TW")}
BAN = "us-tx-deepseek-ban"
PAGES = (
    ("dashboard", "/admin/"),
    ("figure-1", "/admin/tracker/stacklayer/matrix/"),
    ("deepseek-ban", None),  # found by the list's search
    ("measures", "/admin/tracker/policyinstrument/"),
)


def log_in(context):
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto("/admin/login/")
    page.fill("#id_username", "analyst")
    page.fill("#id_password", ANALYST_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    return page


def ban_url(page):
    page.goto(f"/admin/tracker/policyinstrument/?q={BAN}")
    link = page.locator("#result_list tbody tr th a").first
    return link.get_attribute("href")


def take(browser, url, language, output, width, height):
    cookie_language, locale = LANGUAGES[language]
    context = browser.new_context(
        base_url=url, locale=locale, viewport={"width": width, "height": height}, device_scale_factor=1
    )
    context.add_cookies([{"name": "django_language", "value": cookie_language, "url": url}])
    # The admin's navigation column closed, as its « button leaves it: wider pages.
    context.add_init_script("window.localStorage.setItem('django.admin.navSidebarIsOpen', 'false')")
    page = log_in(context)
    written = []
    for name, address in PAGES:
        page.goto(address or ban_url(page))
        page.wait_for_load_state("networkidle")
        path = output / f"{name}.{language}.png"
        # The front page in full (its panels run below the fold); the others as a screen shows them.
        page.screenshot(path=str(path), full_page=name == "dashboard")
        written.append(path)
    context.close()
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    options.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tracker-screenshots-") as workdir:
        print("starting a seeded tracker server …", flush=True)
        server, url = start_server(Path(workdir))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
                for language in LANGUAGES:
                    for path in take(browser, url, language, options.output, options.width, options.height):
                        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
