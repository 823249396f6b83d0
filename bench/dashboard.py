"""Benchmark of the admin's front page and Figure 1 with many measures: server time and queries.

    .venv/bin/python -m bench.dashboard [--measures N] [--database-url URL] [--drop] [--explain]

Runs on PostgreSQL, at ``postgres://postgres@127.0.0.1:5432/tracker_bench_dashboard`` unless
``--database-url`` names another; the database is created when missing, migrated, given the
shipped fixtures and synthetic measures up to ``--measures`` (default 100,000) by
``bench.synthetic``, and kept for reruns (``--drop`` drops it at the end).  Each page is
requested through Django's test client as a logged-in analyst (as in ``bench.admin``): one
request warms it up, the median of ``--repetitions`` (5) is reported with the number of SQL
queries and the slowest query of one more request.

Figures at 100,078 measures (PostgreSQL 15, two shared cores, load average about 3):

| page | median ms | queries | slowest query |
|---|---:|---:|---|
| front page | 582 | 14 | timeline by country and quarter, 212 ms |
| Figure 1 | 778 | 8 | ``layer_kind_matrix``, 667 ms (its COUNT(DISTINCT) sorts; without DISTINCT about half) |

The 14 queries include the session, the user and the permissions; tests/test_admin_dashboard.py
checks that their number does not grow with the records.  Before the change sets' measures were
read unsorted, the front page took 1.9 s: the synthetic data's one change set of 100,000
measures was sorted on disk.
"""

import argparse
import sys
from urllib.parse import urlsplit

from bench.admin import analyst_client, explain, measure_case
from bench.write_path import code_version, drop_database, prepare_scratch_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench_dashboard"
DEFAULT_MEASURES = 100_000
PAGES = (("front page", "/admin/"), ("Figure 1", "/admin/tracker/stacklayer/matrix/"))


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.split("\n\n")[0])
    parser.add_argument("--measures", type=int, default=DEFAULT_MEASURES, help="synthetic measures (default 100,000)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="a scratch PostgreSQL database")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--seed", type=int, default=20250131, help="seed of the synthetic data")
    parser.add_argument("--repetitions", type=int, default=5, help="timed requests per page (default 5)")
    parser.add_argument("--explain", action="store_true", help="print the slowest query's plan of every page")
    args = parser.parse_args(argv)
    if urlsplit(args.database_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        parser.error("--database-url must name a PostgreSQL database (postgres://…).")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(f"Code: {code_version()}")
    prepare_scratch_database(args.database_url, args.measures, args.seed)
    from django.conf import settings
    from django.test.utils import override_settings

    from tracker.models import PolicyInstrument

    print(f"{PolicyInstrument.objects.count():,} measures.")
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    storages = {**settings.STORAGES, "staticfiles": static}
    with override_settings(STORAGES=storages):
        client = analyst_client()
        print(f"{'page':<16} {'median ms':>9} {'queries':>7}")
        for name, path in PAGES:
            figure, slowest = measure_case(client, path, args.repetitions)
            print(f"{name:<16} {figure.wall_ms:>9.1f} {figure.queries:>7}")
            print(f"    slowest query ({float(slowest['time']) * 1000:.1f} ms): {slowest['sql'][:300]}")
            if args.explain:
                print("    " + explain(slowest["sql"]).replace("\n", "\n    "))
    if args.drop:
        drop_database(args.database_url)
        print("Dropped the database.")


if __name__ == "__main__":
    main()
