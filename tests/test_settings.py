"""Settings come from the environment with safe defaults."""

import os
import re
import secrets
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


def compose_defaults():
    """The web service's environment as docker-compose.yml sets it when nothing overrides it."""
    compose = (ROOT / "docker-compose.yml").read_text()
    return dict(re.findall(r"^\s+(DJANGO_\w+): \$\{\1:-([^}]*)\}$", compose, flags=re.MULTILINE))


def test_the_production_settings_pass_the_deploy_check():
    environment = compose_defaults()
    assert environment["DJANGO_BEHIND_TLS_PROXY"] == "1"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **clean,
            **environment,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "tracker.example.org",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://tracker.example.org",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr + result.stdout


def test_behind_the_proxy_the_tracker_is_https_only():
    out = settings_value(
        "(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)",
        DJANGO_SECRET_KEY="k",
        DJANGO_BEHIND_TLS_PROXY="1",
    ).stdout
    assert out.strip() == "(('HTTP_X_FORWARDED_PROTO', 'https'), True, 31536000, False, True, True)"


def test_without_the_proxy_plain_http_stays_usable_locally():
    out = settings_value(
        "(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.AXES_CLIENT_IP_CALLABLE)",
        DJANGO_SECRET_KEY="k",
    ).stdout
    assert out.strip() == "(None, False, 0, False, False, None)"


def test_hsts_and_cookies_can_be_chosen():
    out = settings_value(
        "(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD, s.SILENCED_SYSTEM_CHECKS, s.SESSION_COOKIE_SECURE)",
        DJANGO_SECRET_KEY="k",
        DJANGO_BEHIND_TLS_PROXY="1",
        DJANGO_HSTS_SECONDS="3600",
        DJANGO_HSTS_PRELOAD="1",
        DJANGO_SECURE_COOKIES="0",
    ).stdout
    assert out.strip() == "(3600, True, [], False)"


def test_the_lockout_can_be_tuned_and_a_bad_number_is_refused_by_name():
    out = settings_value(
        "(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds(), s.AXES_COOLOFF_MESSAGE)",
        DJANGO_SECRET_KEY="k",
        TRACKER_LOGIN_FAILURE_LIMIT="3",
        TRACKER_LOGIN_COOLOFF_MINUTES="60",
    ).stdout
    assert out.strip().startswith("(3, 3600.0, ") and "try again in 60 minutes" in out
    refused = settings_value("s.AXES_FAILURE_LIMIT", DJANGO_SECRET_KEY="k", TRACKER_LOGIN_FAILURE_LIMIT="five")
    assert "TRACKER_LOGIN_FAILURE_LIMIT must be a whole number" in refused.stderr
