"""The roles, as Django groups with exactly the permissions each needs.

- analyst: reads everything, creates and edits every record, removes the parts of a
  record edited on its page (citations, aliases, kind details, fund participants),
  reads the journal of changes.  Does not delete whole records and does not publish.
- reviewer: what an analyst may, plus publishing others' changes, deleting whole
  records and restoring deleted ones.
- admin: every permission of the tracker, plus managing logins and groups.

Permissions are created here, before Django's post-migrate step would, so the groups
can be given them on a fresh database.  A group's permissions are set only when the
group is created: an operator's later change is never undone by a migration.  The
earlier single "Analysts" group, which held every tracker permission, is replaced:
its members become analysts.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT = [
    "jurisdiction",
    "organization",
    "organizationalias",
    "source",
    "stacklayer",
    "policyinstrument",
    "instrumentcitation",
    "fund",
    "fundparticipant",
    "lab",
    "pilotzone",
    "exportcontrol",
    "ban",
    "indicator",
    "indicatorcitation",
]
PARTS = [
    "organizationalias",
    "instrumentcitation",
    "fund",
    "fundparticipant",
    "lab",
    "pilotzone",
    "exportcontrol",
    "ban",
    "indicatorcitation",
]
WHOLE = sorted(set(CONTENT) - set(PARTS))

ANALYST = [
    *(f"{action}_{model}" for model in CONTENT for action in ("view", "add", "change")),
    *(f"delete_{model}" for model in PARTS),
    "view_changeset",
]
REVIEWER = [*ANALYST, *(f"delete_{model}" for model in WHOLE), "publish_records", "restore_records"]


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    tracker = Permission.objects.filter(content_type__app_label="tracker")
    roles = {
        "analyst": tracker.filter(codename__in=ANALYST),
        "reviewer": tracker.filter(codename__in=REVIEWER),
        "admin": Permission.objects.filter(content_type__app_label__in=["tracker", "auth", "axes"]).exclude(
            content_type__model__startswith="historical"
        ),
    }
    for name, permissions in roles.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(permissions)
    # Before roles, every analyst login was put in one group holding every tracker
    # permission: its members become analysts, and the all-powerful group goes.
    legacy = Group.objects.filter(name="Analysts").first()
    if legacy is not None:
        analyst = Group.objects.get(name="analyst")
        for user in legacy.user_set.all():
            user.groups.add(analyst)
        legacy.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0004_existing_records_published_with_history"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
