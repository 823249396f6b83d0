"""Create the analyst and reviewer logins when they are missing.

An existing login is left as it is: its password, groups and flags may have been changed
in the admin since, and a restart must not undo that.  The groups and their permissions
belong to the migrations.  A generated password goes only where its reader is: to a
terminal, or else to a file readable by this user alone, never into a log.
"""

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


@dataclass(frozen=True)
class Login:
    group: str
    username_variable: str
    password_variable: str


LOGINS = (
    Login("analyst", "TRACKER_ANALYST_USERNAME", "TRACKER_ANALYST_PASSWORD"),
    Login("reviewer", "TRACKER_REVIEWER_USERNAME", "TRACKER_REVIEWER_PASSWORD"),
)


@dataclass
class Plan:
    login: Login
    username: str
    user: object = None  # the unsaved user to create, or None when the login exists
    password: str = ""
    generated: bool = False


def plan_logins(environ):
    """What to create, every password checked before anything is saved."""
    groups = {group.name: group for group in Group.objects.filter(name__in=[login.group for login in LOGINS])}
    absent = [login.group for login in LOGINS if login.group not in groups]
    if absent:
        raise CommandError(
            f"The group(s) {', '.join(absent)} do not exist; run `manage.py migrate` first, which creates them."
        )
    User = get_user_model()
    usernames = [environ.get(login.username_variable) or login.group for login in LOGINS]
    if len(set(usernames)) < len(usernames):
        raise CommandError("The analyst and reviewer logins must have different usernames.")
    plans = []
    for login, username in zip(LOGINS, usernames, strict=True):
        plan = Plan(login, username)
        plans.append(plan)
        if User.objects.filter(**{User.USERNAME_FIELD: username}).exists():
            continue
        plan.user = User(**{User.USERNAME_FIELD: username}, is_staff=True, is_superuser=False)
        try:
            plan.user.full_clean(exclude=["password"])
        except ValidationError as error:
            raise CommandError(f"{login.username_variable} is refused: {' '.join(error.messages)}") from None
        plan.password = environ.get(login.password_variable, "")
        if plan.password:
            try:
                validate_password(plan.password, user=plan.user)
            except ValidationError as error:
                raise CommandError(f"{login.password_variable} is refused: {' '.join(error.messages)}") from None
        else:
            plan.password, plan.generated = secrets.token_urlsafe(18), True
    return plans


def create_logins(plans):
    for plan in plans:
        if plan.user is not None:
            plan.user.set_password(plan.password)
            plan.user.save()
            plan.user.groups.add(Group.objects.get(name=plan.login.group))


def write_passwords_file(path, plans):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)  # an older file may have been readable by others
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for plan in plans:
            file.write(f"{now} {plan.username} {plan.password}\n")


def report(plans, stdout, passwords_file):
    on_terminal = stdout.isatty()
    generated = [plan for plan in plans if plan.generated]
    if generated and not on_terminal:
        write_passwords_file(passwords_file, generated)
    for plan in plans:
        name = f"The {plan.login.group} login {plan.username!r}"
        if plan.user is None:
            stdout.write(f"{name} exists; it is left as it is, its password unchanged.")
        elif not plan.generated:
            stdout.write(f"{name} was created with the password from {plan.login.password_variable}.")
        elif on_terminal:
            stdout.write(
                f"{name} was created with the password: {plan.password}\n"
                f"It is shown only this once; set {plan.login.password_variable} to choose it instead."
            )
        else:
            stdout.write(
                f"{name} was created with a generated password, written to {passwords_file} "
                "(readable by this user only) rather than to this log."
            )


class Command(BaseCommand):
    help = (
        "Create the analyst and reviewer logins if they are missing, with the passwords from "
        "TRACKER_ANALYST_PASSWORD and TRACKER_REVIEWER_PASSWORD or generated ones. Never resets a password."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            plans = plan_logins(os.environ)
            create_logins(plans)
            report(plans, self.stdout, settings.TRACKER_INITIAL_PASSWORDS_FILE)
