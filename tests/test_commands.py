import io
import logging
import stat

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db

STRONG_ANALYST_PASSWORD = "t4Rk-9qLm-Wz2v-Ep7n"
STRONG_REVIEWER_PASSWORD = "Jx8c-Nb3r-Yh6s-Ku1d"
VARIABLES = (
    "TRACKER_ANALYST_USERNAME",
    "TRACKER_ANALYST_PASSWORD",
    "TRACKER_REVIEWER_USERNAME",
    "TRACKER_REVIEWER_PASSWORD",
)


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def roles(db):
    """The groups the roles migration creates, whether or not it has run on this database."""
    return {name: Group.objects.get_or_create(name=name)[0] for name in ("analyst", "reviewer", "admin")}


@pytest.fixture(autouse=True)
def environment(monkeypatch, settings, tmp_path):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    settings.TRACKER_INITIAL_PASSWORDS_FILE = tmp_path / "var" / "initial-passwords"
    return settings.TRACKER_INITIAL_PASSWORDS_FILE


def run(*args, stdout=None):
    out = stdout or io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def login(username):
    return get_user_model().objects.get(username=username)


def test_creates_both_logins_once_as_staff_in_their_groups_never_superusers(monkeypatch):
    monkeypatch.setenv("TRACKER_ANALYST_PASSWORD", STRONG_ANALYST_PASSWORD)
    monkeypatch.setenv("TRACKER_REVIEWER_PASSWORD", STRONG_REVIEWER_PASSWORD)
    first = run("ensure_logins")
    second = run("ensure_logins")

    for username in ("analyst", "reviewer"):
        user = login(username)
        assert user.is_staff and not user.is_superuser
        assert list(user.groups.values_list("name", flat=True)) == [username]
        assert get_user_model().objects.filter(username=username).count() == 1
    assert "created with the password from TRACKER_ANALYST_PASSWORD" in first
    assert STRONG_ANALYST_PASSWORD not in first and STRONG_REVIEWER_PASSWORD not in first
    assert "created" not in second and second.count("unchanged") == 2


def test_usernames_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRACKER_ANALYST_USERNAME", "ana")
    monkeypatch.setenv("TRACKER_REVIEWER_USERNAME", "rev")
    run("ensure_logins")
    assert login("ana").groups.filter(name="analyst").exists()
    assert login("rev").groups.filter(name="reviewer").exists()


def test_a_rerun_never_resets_a_password_even_when_the_environment_changes(monkeypatch):
    monkeypatch.setenv("TRACKER_ANALYST_PASSWORD", STRONG_ANALYST_PASSWORD)
    run("ensure_logins")
    monkeypatch.setenv("TRACKER_ANALYST_PASSWORD", "a-Different-0ne-Qv5z-Hk2")
    output = run("ensure_logins")
    assert login("analyst").check_password(STRONG_ANALYST_PASSWORD)
    assert "'analyst' exists" in output


def test_an_existing_login_is_left_as_it_is(monkeypatch):
    existing = get_user_model().objects.create_user("analyst", password="edited-in-the-admin-7Qz")
    monkeypatch.setenv("TRACKER_ANALYST_PASSWORD", STRONG_ANALYST_PASSWORD)
    run("ensure_logins")
    existing.refresh_from_db()
    assert existing.check_password("edited-in-the-admin-7Qz")
    assert not existing.is_staff and not existing.groups.exists()


@pytest.mark.parametrize(
    ("variable", "password", "message"),
    [
        ("TRACKER_ANALYST_PASSWORD", "password", "too common"),
        ("TRACKER_REVIEWER_PASSWORD", "short", "too short"),
        ("TRACKER_REVIEWER_PASSWORD", "reviewer1", "too similar to the username"),
    ],
)
def test_a_weak_password_from_the_environment_is_refused_by_name_and_nothing_is_created(
    monkeypatch, variable, password, message
):
    monkeypatch.setenv("TRACKER_ANALYST_PASSWORD", STRONG_ANALYST_PASSWORD)
    monkeypatch.setenv(variable, password)
    with pytest.raises(CommandError) as refused:
        run("ensure_logins")
    assert variable in str(refused.value) and message in str(refused.value)
    assert not get_user_model().objects.filter(username__in=["analyst", "reviewer"]).exists()


def test_a_missing_group_stops_the_command_and_asks_for_the_migration(roles):
    roles["reviewer"].delete()
    with pytest.raises(CommandError, match=r"reviewer.*manage\.py migrate"):
        run("ensure_logins")
    assert not get_user_model().objects.filter(username__in=["analyst", "reviewer"]).exists()
    assert not Group.objects.filter(name="reviewer").exists()


def test_the_groups_permissions_are_never_touched(roles):
    roles["analyst"].permissions.set(Permission.objects.filter(codename="view_source"))
    before = {name: set(group.permissions.all()) for name, group in roles.items()}
    run("ensure_logins")
    assert {name: set(group.permissions.all()) for name, group in roles.items()} == before


def test_a_generated_password_is_shown_on_a_terminal_and_written_nowhere(environment, caplog):
    caplog.set_level(logging.DEBUG)
    output = run("ensure_logins", stdout=Terminal())
    passwords = [line.split("password: ")[1] for line in output.splitlines() if "password: " in line]
    assert len(passwords) == 2 and passwords[0] != passwords[1]
    assert all(len(password) >= 20 for password in passwords)
    assert login("analyst").check_password(passwords[0])
    assert login("reviewer").check_password(passwords[1])
    assert not environment.exists()
    assert not any(password in caplog.text for password in passwords)


def test_without_a_terminal_a_generated_password_goes_to_a_private_file_not_the_output(environment, caplog):
    caplog.set_level(logging.DEBUG)
    environment.parent.mkdir(parents=True)
    environment.write_text("an earlier line\n")
    environment.chmod(0o644)
    output = run("ensure_logins")

    lines = environment.read_text().splitlines()
    assert lines[0] == "an earlier line"
    passwords = {line.split()[1]: line.split()[2] for line in lines[1:]}
    assert login("analyst").check_password(passwords["analyst"])
    assert login("reviewer").check_password(passwords["reviewer"])
    assert stat.S_IMODE(environment.stat().st_mode) == 0o600
    assert str(environment) in output
    assert not any(password in output or password in caplog.text for password in passwords.values())


def test_a_password_given_for_one_login_and_generated_for_the_other(monkeypatch, environment):
    monkeypatch.setenv("TRACKER_REVIEWER_PASSWORD", STRONG_REVIEWER_PASSWORD)
    run("ensure_logins")
    lines = environment.read_text().splitlines()
    assert [line.split()[1] for line in lines] == ["analyst"]
    assert login("reviewer").check_password(STRONG_REVIEWER_PASSWORD)


def test_setup_sequence_runs_twice_without_duplicating():
    from django.apps import apps

    def counts():
        return {m._meta.label_lower: m.objects.count() for m in apps.get_app_config("tracker").get_models()}

    before = counts()
    for _ in range(2):
        run("migrate", "--noinput")
        run("load_tracker_fixtures")
        run("ensure_logins")
    assert counts() == before
    assert get_user_model().objects.filter(username__in=["analyst", "reviewer"]).count() == 2
    assert Group.objects.filter(name__in=["analyst", "reviewer", "admin"]).count() == 3
