import io

import pytest
from django.core.management import call_command

from tracker.importers.fixtures import load_fixtures


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the report's data, loaded once per session."""
    with django_db_blocker.unblock():
        load_fixtures()


@pytest.fixture
def analyst(db):
    call_command("ensure_analyst", stdout=io.StringIO())
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="analyst")
