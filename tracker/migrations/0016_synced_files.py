"""The fixture files' digests at their last sync (``SyncedFile``)."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tracker", "0015_language_preference")]

    operations = [
        migrations.CreateModel(
            name="SyncedFile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="The fixture file's name.", max_length=300, unique=True, verbose_name="file"
                    ),
                ),
                (
                    "digest",
                    models.CharField(
                        help_text="SHA-256 of the file's bytes when it was last synced.",
                        max_length=64,
                        verbose_name="digest",
                    ),
                ),
                (
                    "rules",
                    models.CharField(
                        help_text="The tracker's latest migration when the file's records were last checked.",
                        max_length=200,
                        verbose_name="rules",
                    ),
                ),
                (
                    "bases",
                    models.PositiveIntegerField(
                        help_text="How many sync bases name this file after that sync.", verbose_name="bases"
                    ),
                ),
                (
                    "records",
                    models.TextField(
                        help_text="How many records of each model the file holds, as JSON.", verbose_name="records"
                    ),
                ),
                (
                    "synced_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="synced at"),
                ),
            ],
            options={
                "verbose_name": "synced fixture file",
                "verbose_name_plural": "synced fixture files",
                "ordering": ["name"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("name", ""), _negated=True), name="synced_file_has_name")
                ],
            },
        ),
    ]
