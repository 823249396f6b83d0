"""A real tracker server and a real Chromium for the admin's browser tests.

The server is the tracker as a user starts it: migrated, seeded by the fixture loader,
with an analyst login, served by gunicorn on a free loopback port.  It runs on its own
SQLite file, so the browser never shares a database with the test transactions.
"""

import os
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


def start_server(workdir):
    env = server_environment(workdir)
    for command in (
        ["migrate", "--noinput"],
        ["load_tracker_fixtures"],
        ["ensure_logins"],
        ["collectstatic", "--noinput"],
    ):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    process = subprocess.Popen(
        [gunicorn, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/admin/login/", timeout=2)  # noqa: S310 - loopback only
            return process, url
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the tracker server did not answer within 30 s")
