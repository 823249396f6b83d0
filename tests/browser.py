"""A real tracker server and a real Chromium for the admin's browser tests.

The server is the tracker as a user starts it: migrated, seeded by the fixture sync,
with an analyst login, served by gunicorn on a free loopback port.  It runs on its own
SQLite file, so the browser never shares a database with the test transactions.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
ANALYST_PASSWORD = "rq7-Vd2k-Pm4h-Lw9xTs4e"
REVIEWER_PASSWORD = "Hc3m-Jf5u-8pZt-Qy6wNb"


def chromium_missing():
    return not Path(CHROMIUM).exists()


def require_chromium():
    if chromium_missing():
        if os.environ.get("TRACKER_REQUIRE_BROWSER"):
            pytest.fail(f"TRACKER_REQUIRE_BROWSER is set but there is no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(workdir):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{workdir / 'tracker.sqlite3'}",
        DJANGO_SECRET_KEY="browser-tests-only",
        DJANGO_STATIC_ROOT=str(workdir / "static"),
        TRACKER_ANALYST_PASSWORD=ANALYST_PASSWORD,
        TRACKER_REVIEWER_PASSWORD=REVIEWER_PASSWORD,
    )
    return env


def start_server(workdir, **extra_env):
    env = {**server_environment(workdir), **extra_env}
    for command in (
        ["migrate", "--noinput"],
        ["sync_fixtures"],
        ["ensure_logins"],
        ["collectstatic", "--noinput"],
    ):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    # The server's log goes to a file: a pipe nobody reads fills up after a few thousand
    # logged requests (every 403 and 404 is a log line) and then blocks the workers.
    log = workdir / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/admin/login/", timeout=2)  # noqa: S310 - loopback only
            return process, url
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace")) from None
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the tracker server did not answer within 30 s")


@pytest.fixture(scope="session")
def tracker_url(tmp_path_factory):
    """One real tracker server per test session (per xdist worker), shared by every browser test."""
    require_chromium()
    process, url = start_server(tmp_path_factory.mktemp("browser-server"))
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test session; each test opens its own context (its own cookies)."""
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


def logged_in_page(browser, tracker_url, username, password):
    """A new browser context logged in as ``username``: a person at their own browser."""
    context = browser.new_context(base_url=tracker_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    return page
