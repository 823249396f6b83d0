"""Each person's language for the admin, kept across logins."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0014_changelist_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="LanguagePreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "language",
                    models.CharField(
                        choices=[("en", "English"), ("zh-hant", "繁體中文")],
                        help_text="The language the admin speaks to this person in.",
                        max_length=16,
                        verbose_name="language",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        help_text="The person who chose the language.",
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="language_preference",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "language preference",
                "verbose_name_plural": "language preferences",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("language__in", ["en", "zh-hant"])),
                        name="language_preference_known",
                        violation_error_message="Unknown language.",
                    )
                ],
            },
        ),
    ]
