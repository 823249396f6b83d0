"""The README's first command, run as a user would on a fresh checkout, twice."""

import os
import shutil
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import free_port

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="scripts/serve runs on the embedded SQLite database; checked in the SQLite run",
)


def fresh_checkout(tmp_path):
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    checkout = tmp_path / "tracker"
    for name in files.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    return checkout


def serve_until_up(checkout, port):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "TRACKER_", "VIRTUAL_ENV"))}
    env.update(PORT=str(port))
    process = subprocess.Popen(
        ["bash", "scripts/serve"], cwd=checkout, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"scripts/serve stopped: {process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2) as page:  # noqa: S310
                assert page.status == 200
            break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        raise AssertionError("scripts/serve did not answer within 300 s")
    process.terminate()
    output, _ = process.communicate(timeout=30)
    return output


def counts(checkout):
    with sqlite3.connect(checkout / "var" / "tracker.sqlite3") as db:
        return {
            table: db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608 - table names from sqlite_master
            for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'tracker_%'")
        }


def test_serve_sets_up_everything_and_a_second_run_duplicates_nothing(tmp_path):
    checkout = fresh_checkout(tmp_path)

    first = serve_until_up(checkout, free_port())
    seeded = counts(checkout)
    second = serve_until_up(checkout, free_port())

    # Not a terminal: the generated passwords go to a file only this user can read, not to the log.
    assert "initial-passwords" in first and "was created" not in second
    passwords = checkout / "var" / "initial-passwords"
    assert passwords.stat().st_mode & 0o077 == 0 and len(passwords.read_text().splitlines()) == 2
    assert "password:" not in first
    assert seeded["tracker_policyinstrument"] > 50 and seeded["tracker_instrumentcitation"] > 50
    assert counts(checkout) == seeded
    assert "0 created" in second
    assert (checkout / "var" / "secret_key").stat().st_mode & 0o077 == 0
