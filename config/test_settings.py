"""Settings for the test suite: the real settings, with a throwaway key and a fast hasher."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-not-a-secret")

from config.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# The lockout is tested, so django-axes stays on. It needs the request passed to authenticate():
# log in with client.force_login() or a POST to /admin/login/, never client.login().
AXES_ENABLED = True

# Two suites on one PostgreSQL server at once (a developer's and CI's) each need their own
# test database: name it here (pytest-xdist adds each worker's suffix).
if os.environ.get("TRACKER_TEST_DATABASE"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["TRACKER_TEST_DATABASE"]  # noqa: F405
