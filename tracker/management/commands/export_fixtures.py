from django.core.management.base import BaseCommand

from tracker.importers.export import export_fixtures


class Command(BaseCommand):
    help = (
        "Write the database back to the fixture files: each record into the file it was synced from, new "
        "records by the placement rule of docs/fixtures.md, deterministically (natural keys, no timestamps)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", help="The directory to write to; the fixture directory when not given.")

    def handle(self, *args, output, **options):
        self.stdout.write(export_fixtures(output).summary())
