from django.core.management.base import BaseCommand, CommandError

from tracker.importers.fixtures import FixtureError, load_fixtures


class Command(BaseCommand):
    help = "Load fixture files (default: every file in fixtures/) in one transaction, validating every record."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", help="Fixture files; all of fixtures/ when none are given.")
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--update-existing",
            action="store_true",
            help="Overwrite records already in the database with the files' values. Without it, "
            "existing records are kept as they are and only missing ones are created.",
        )

    def handle(self, *args, paths, database, update_existing, **options):
        try:
            result = load_fixtures(paths or None, using=database, update_existing=update_existing)
        except FixtureError as error:
            raise CommandError(f"Nothing was loaded. {error}") from error
        self.stdout.write(result.summary())
