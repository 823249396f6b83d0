import os

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

# Playwright's sync API keeps an event loop on the main thread for the whole session, which
# Django's guard against database calls from async code would take for one.  The tests are
# synchronous; the guard is for real async views.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.browser import browser, tracker_url  # noqa: F401 - session fixtures shared by the browser tests
from tracker.importers.sync import sync_fixtures


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the report's data, synced once per session (so the
    sync bases are there too, as after ``scripts/serve``)."""
    with django_db_blocker.unblock():
        sync_fixtures()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache (facets, throttles): a rolled-back test's rows can
    leave behind a cached answer that the next test's rows, reusing its ids, would match."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _language_restored():
    """Each test ends in the language it began in: a request from someone who chose Chinese
    activates it for the whole thread (the locale middleware), and what a later test builds
    outside a request (the sync's messages) would otherwise come out in Chinese."""
    from django.utils import translation

    with translation.override(translation.get_language()):
        yield


def login(username, *groups):
    """A staff login in the named role groups (created by the roles migration)."""
    user = get_user_model().objects.create_user(username=username, password=f"{username}-test-password", is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    assert user.groups.count() == len(groups), f"missing role group among {groups}"
    return user


@pytest.fixture
def analyst(db):
    return login("analyst", "analyst")


@pytest.fixture
def second_analyst(db):
    return login("second-analyst", "analyst")


@pytest.fixture
def reviewer(db):
    return login("reviewer", "reviewer")


@pytest.fixture
def second_reviewer(db):
    return login("second-reviewer", "reviewer")
