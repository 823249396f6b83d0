"""A schema-driven fuzz run: schemathesis generates requests from the API's own OpenAPI
schema and checks that no response is a server error or breaks the schema.

It runs against a real server of its own (gunicorn on a seeded SQLite file), anonymously
and with an analyst's token so the write paths are fuzzed too, bounded in time.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import ROOT, server_environment, start_server

# Seconds of generation per run; CI keeps the default, a longer hunt sets TRACKER_FUZZ_SECONDS.
FUZZ_SECONDS = int(os.environ.get("TRACKER_FUZZ_SECONDS", "90"))
CHECKS = "not_a_server_error,response_schema_conformance"


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz-server")
    # The fuzz run sends thousands of requests: the throttles would answer most with 429.
    rates = {"TRACKER_API_ANON_RATE": "1000000/min", "TRACKER_API_USER_RATE": "1000000/min"}
    process, url = start_server(workdir, **rates)
    created = subprocess.run(
        [sys.executable, "manage.py", "drf_create_token", "analyst"],
        cwd=ROOT,
        env={**server_environment(workdir), **rates},
        check=True,
        capture_output=True,
        text=True,
    )
    token = re.search(r"token (\w+) for user", created.stdout).group(1)
    yield url, token
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def schemathesis(url, *arguments, workdir):
    executable = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    command = [
        executable,
        "run",
        f"{url}/api/v1/schema/",
        "--checks",
        CHECKS,
        "--max-time",
        str(FUZZ_SECONDS),
        "--seed",
        "20251130",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        *arguments,
    ]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=FUZZ_SECONDS * 4 + 120)


@pytest.mark.skipif(
    "postgres" in os.environ.get("DATABASE_URL", ""),
    reason="the fuzzed server runs on its own SQLite file: the SQLite pass of the suite runs it",
)
@pytest.mark.parametrize("who", ["anonymous", "analyst"])
def test_fuzzing_the_schema_finds_no_server_error_and_no_response_outside_the_schema(fuzz_server, who, tmp_path):
    url, token = fuzz_server
    headers = ["-H", f"Authorization: Token {token}"] if who == "analyst" else []
    result = schemathesis(url, *headers, workdir=tmp_path)
    assert result.returncode == 0, (
        f"schemathesis ({who}) found problems:\n{result.stdout[-12000:]}\n{result.stderr[-2000:]}"
    )
    assert "Tested:" in result.stdout, result.stdout[-4000:]


def test_the_openapi_schema_validates_without_a_warning(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", file=str(target), validate=True, fail_on_warn=True)
    text = target.read_text(encoding="utf-8")
    for parameter in ("in_force_on", "as_of", "updated_since", "affected_jurisdiction", "min_usd", "expand", "cursor"):
        assert f"name: {parameter}" in text, parameter
    for status in ("'412'", "'428'", "'429'", "'304'"):
        assert status in text, status


@pytest.mark.django_db
def test_swagger_ui_and_redoc_load_their_scripts_from_the_tracker_itself(client):
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        html = client.get(page).content.decode()
        scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
        assert scripts, page
        assert all(src.startswith("/") for src in scripts), scripts
        assert "cdn" not in html.lower(), page
