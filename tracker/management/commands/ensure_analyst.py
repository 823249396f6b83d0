import os
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

ANALYSTS_GROUP = "Analysts"


class Command(BaseCommand):
    help = (
        "Create the analysts' group and an analyst login. The password comes from "
        "TRACKER_ANALYST_PASSWORD, or is generated and printed once when the login is created."
    )

    def handle(self, *args, **options):
        username = os.environ.get("TRACKER_ANALYST_USERNAME", "analyst")
        password = os.environ.get("TRACKER_ANALYST_PASSWORD", "")
        generated = False
        with transaction.atomic():
            group, _ = Group.objects.get_or_create(name=ANALYSTS_GROUP)
            group.permissions.set(Permission.objects.filter(content_type__app_label="tracker"))
            user, created = get_user_model().objects.get_or_create(username=username, defaults={"is_staff": True})
            user.groups.add(group)
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            if created and not password:
                password, generated = secrets.token_urlsafe(18), True
            if password:
                user.set_password(password)
                user.save()
        if generated:
            self.stdout.write(
                f"Created the analyst login {username!r} with the password: {password}\n"
                "It is shown only this once; set TRACKER_ANALYST_PASSWORD to choose another."
            )
        elif created:
            self.stdout.write(
                f"Created the analyst login {username!r} with the password from TRACKER_ANALYST_PASSWORD."
            )
        elif password:
            self.stdout.write(
                f"The analyst login {username!r} exists; its password was set from TRACKER_ANALYST_PASSWORD."
            )
        else:
            self.stdout.write(f"The analyst login {username!r} exists; its password is unchanged.")
