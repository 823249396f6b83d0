from tracker.management.commands import sync_fixtures


class Command(sync_fixtures.Command):
    help = "The former name of sync_fixtures, kept for scripts that call it: " + sync_fixtures.Command.help

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--update-existing",
            action="store_true",
            help="The former option for --prefer files: conflicts are settled in favour of the files.",
        )

    def handle(self, *args, update_existing=False, prefer=None, **options):
        return super().handle(*args, prefer="files" if update_existing else prefer, **options)
