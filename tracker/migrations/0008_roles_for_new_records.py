"""The roles' permissions on the records added with products, subjects, subsidies and layer
citations: added to the groups, never removing what an operator gave or took before."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

NEW_PARTS = ["subsidy", "indicatorsubject", "stacklayercitation"]
NEW_WHOLE = ["product"]


def forwards(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    tracker = Permission.objects.filter(content_type__app_label="tracker")
    analyst = [
        *(f"{action}_{model}" for model in NEW_PARTS + NEW_WHOLE for action in ("view", "add", "change")),
        *(f"delete_{model}" for model in NEW_PARTS),
        "view_scope",
    ]
    reviewer = [*analyst, *(f"delete_{model}" for model in NEW_WHOLE)]
    grants = {
        "analyst": analyst,
        "reviewer": reviewer,
        "admin": [
            f"{action}_{model}"
            for model in [*NEW_PARTS, *NEW_WHOLE, "scope"]
            for action in ("view", "add", "change", "delete")
        ],
    }
    for name, codenames in grants.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.add(*tracker.filter(codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("tracker", "0007_carry_scopes_places_subjects_confidence")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
