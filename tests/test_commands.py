import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_analyst_password_is_generated_and_shown_once(monkeypatch):
    monkeypatch.delenv("TRACKER_ANALYST_PASSWORD", raising=False)
    first = run("ensure_analyst")
    password = first.split("password: ")[1].split()[0]
    user = get_user_model().objects.get(username="analyst")
    assert len(password) >= 20 and user.check_password(password)
    assert user.is_staff and not user.is_superuser
    assert user.has_perm("tracker.change_policyinstrument")

    second = run("ensure_analyst")
    assert password not in second and "unchanged" in second
    user.refresh_from_db()
    assert user.check_password(password)


def test_analyst_password_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRACKER_ANALYST_PASSWORD", "chosen-by-the-operator-42")
    output = run("ensure_analyst")
    assert "chosen-by-the-operator-42" not in output
    assert get_user_model().objects.get(username="analyst").check_password("chosen-by-the-operator-42")


def test_two_passwords_are_never_the_same(monkeypatch):
    monkeypatch.delenv("TRACKER_ANALYST_PASSWORD", raising=False)
    monkeypatch.setenv("TRACKER_ANALYST_USERNAME", "first")
    one = run("ensure_analyst").split("password: ")[1].split()[0]
    monkeypatch.setenv("TRACKER_ANALYST_USERNAME", "second")
    two = run("ensure_analyst").split("password: ")[1].split()[0]
    assert one != two


def test_setup_sequence_runs_twice_without_duplicating(django_db_blocker):
    from django.apps import apps

    def counts():
        return {m._meta.label_lower: m.objects.count() for m in apps.get_app_config("tracker").get_models()}

    before = counts()
    for _ in range(2):
        run("migrate", "--noinput")
        run("load_tracker_fixtures")
        run("ensure_analyst")
    assert counts() == before
    assert get_user_model().objects.filter(username="analyst").count() == 1
