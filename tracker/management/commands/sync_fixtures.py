from django.core.management.base import BaseCommand, CommandError

from tracker.importers.diff import PREFERENCES
from tracker.importers.fixtures import FixtureError
from tracker.importers.sync import SyncRefused, sync_fixtures


class Command(BaseCommand):
    help = (
        "Sync the fixture files (default: every file in fixtures/) with the database: a three-way merge per "
        "record and field, validated through the services, written in one transaction or not at all."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Fixture files; all of fixtures/ when none are given.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Show field by field what would change, and write nothing."
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="Withdraw the records the files no longer hold (unpublished, kept with their history); the parts "
            "of records still in the files (citations, aliases, details) are deleted, undoably.",
        )
        parser.add_argument(
            "--prefer",
            choices=PREFERENCES,
            help="Settle conflicts (a field changed both in the files and in the database) in favour of this side. "
            "Without it, a conflict stops the sync and nothing is written.",
        )

    def handle(self, *args, paths, dry_run, prune, prefer, **options):
        try:
            result = sync_fixtures(paths or None, prefer=prefer, dry_run=dry_run, prune=prune)
        except SyncRefused as refused:
            if dry_run:
                self.stdout.write(refused.result.diff_text())
            raise CommandError(str(refused)) from refused
        except FixtureError as error:
            raise CommandError(str(error)) from error
        if dry_run:
            self.stdout.write(result.diff_text())
        if result.conflicts:
            self.stdout.write(result.conflict_text())
        self.stdout.write(result.summary())
