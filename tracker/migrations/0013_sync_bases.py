"""The fixture sync's bases: what each fixture file said of a record at the last sync.

A database migrated from an earlier version has no bases yet: its first ``sync_fixtures``
compares each record directly, takes the file as the base where the two agree, and lists
a conflict where they differ (``--prefer`` settles them).
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracker', '0013_english_text'),
    ]

    operations = [
        migrations.CreateModel(
            name='SyncBase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('model', models.CharField(help_text="The record's model, as app_label.model_name.", max_length=100)),
                ('natural_key', models.CharField(help_text="The record's natural key, as a JSON list of strings.", max_length=1000)),
                ('file', models.CharField(help_text='The name of the fixture file the record was synced from.', max_length=300)),
                ('position', models.PositiveIntegerField(help_text="The record's place in that file, counted from 0.")),
                ('values', models.TextField(help_text="The record's fields as the file gave them, as canonical JSON (references by natural key).")),
                ('synced_at', models.DateTimeField(default=django.utils.timezone.now, help_text='When these values were last synced.')),
            ],
            options={
                'verbose_name': 'fixture sync base',
                'ordering': ['file', 'position'],
                'constraints': [models.UniqueConstraint(fields=('model', 'natural_key'), name='sync_base_unique', violation_error_message='This record already has a sync base.'), models.CheckConstraint(condition=models.Q(('natural_key', ''), _negated=True), name='sync_base_has_key'), models.CheckConstraint(condition=models.Q(('file', ''), _negated=True), name='sync_base_has_file')],
            },
        ),
    ]
