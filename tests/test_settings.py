"""Settings come from the environment with safe defaults."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_value(expression, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print({expression})"],
        cwd=ROOT,
        env={"DJANGO_SECRET_KEY_FILE": "/nonexistent/secret_key", **clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result


def test_debug_is_off_and_a_secret_key_is_required_by_default():
    refused = settings_value("s.DEBUG")
    assert refused.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in refused.stderr
    assert settings_value("s.DEBUG", DJANGO_SECRET_KEY="x" * 50).stdout.strip() == "False"


def test_the_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 50 + "\n")
    assert settings_value("s.SECRET_KEY", DJANGO_SECRET_KEY_FILE=str(key_file)).stdout.strip() == "k" * 50


def test_sqlite_is_the_embedded_default():
    out = settings_value("s.DATABASES['default']['ENGINE']", DJANGO_SECRET_KEY="k").stdout
    assert out.strip() == "django.db.backends.sqlite3"


def test_postgres_keeps_connections_and_checks_their_health():
    out = settings_value(
        "(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['CONN_MAX_AGE'], "
        "s.DATABASES['default']['CONN_HEALTH_CHECKS'])",
        DJANGO_SECRET_KEY="k",
        DATABASE_URL="postgres://tracker:pw@db:5432/tracker",
    ).stdout
    assert out.strip() == "('django.db.backends.postgresql', 600, True)"


def test_a_bad_boolean_is_refused_by_name():
    refused = settings_value("s.DEBUG", DJANGO_DEBUG="maybe")
    assert "DJANGO_DEBUG must be a boolean" in refused.stderr
