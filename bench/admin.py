"""Benchmark of the admin's changelists with many measures: server time and queries per list page.

    .venv/bin/python -m bench.admin [--measures N | --full] [--database-url URL] [--drop] [--explain]

Runs on PostgreSQL, at ``postgres://postgres@127.0.0.1:5432/tracker_bench_admin`` unless
``--database-url`` names another; the database is created when missing, migrated, given the
shipped fixtures and synthetic measures up to ``--measures`` (default 100,000; ``--full`` is
1,000,000) by ``bench.synthetic``, and kept for reruns (``--drop`` drops it at the end).
``DATABASE_URL`` from the environment is ignored, as in ``bench.write_path``.

Each case is one list page (``CASES``: every registered list unfiltered, and the list of
measures filtered, searched in English and Chinese, and sorted by each sortable column),
requested through Django's test client as a logged-in analyst: the time is the server's,
from the request entering the middleware to the rendered page, without a network.  One
request warms each case up; the median of ``--repetitions`` (5) is reported with the number
of SQL queries of one more request.  A case over ``TARGET_MS`` (or every case, with
``--explain``) gets the plan of its slowest query (``EXPLAIN (ANALYZE, BUFFERS)``).
"""

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from bench.write_path import code_version, drop_database, prepare_scratch_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench_admin"
DEFAULT_MEASURES = 100_000
FULL_MEASURES = 1_000_000
TARGET_MS = 60.0


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.admin", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--measures", type=int, default=DEFAULT_MEASURES, help="synthetic measures (default 100,000)")
    size.add_argument("--full", action="store_true", help=f"{FULL_MEASURES:,} synthetic measures")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="a scratch PostgreSQL database")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--seed", type=int, default=20250131, help="seed of the synthetic data")
    parser.add_argument("--repetitions", type=int, default=5, help="timed requests per case (default 5)")
    parser.add_argument("--explain", action="store_true", help="print the slowest query's plan of every case")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--markdown", help="also write the figures as a Markdown table to this file")
    args = parser.parse_args(argv)
    if args.full:
        args.measures = FULL_MEASURES
    if urlsplit(args.database_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        parser.error("--database-url must name a PostgreSQL database (postgres://…).")
    return args


def cases():
    """(name, list, query parameters): what an analyst opens, filters, searches and sorts."""
    from django.contrib import admin

    measures = "policyinstrument"
    listed = [
        (f"{model._meta.verbose_name_plural}: unfiltered", model._meta.model_name, {})
        for model in admin.site._registry
        if model._meta.app_label == "tracker"
    ]
    return [
        *listed,
        ("measures: page 100", measures, {"p": "100"}),
        ("measures: kind export control", measures, {"kind__exact": "export_control"}),
        ("measures: status rescinded", measures, {"status__exact": "rescinded"}),
        ("measures: country CN", measures, {"country": "CN"}),
        ("measures: layer 1", measures, {"layers__id__exact": "1"}),
        ("measures: in force now", measures, {"in_force": "today"}),
        ("measures: not in force now", measures, {"in_force": "no"}),
        ("measures: dates unknown", measures, {"in_force": "dates_unknown"}),
        ("measures: in force on 2019-06-01", measures, {"in_force_on": "2019-06-01"}),
        ("measures: in force on 2000-01-01", measures, {"in_force_on": "2000-01-01"}),
        (
            "measures: announced in 2020",
            measures,
            {"announced__range__gte": "2020-01-01", "announced__range__lte": "2020-12-31"},
        ),
        ("measures: rescinded since 2024", measures, {"rescinded__range__gte": "2024-01-01"}),
        ("measures: search export", measures, {"q": "export"}),
        ("measures: search DeepSeek", measures, {"q": "DeepSeek"}),
        ("measures: search 人工智慧", measures, {"q": "人工智慧"}),
        ("measures: search 华为", measures, {"q": "华为"}),
        ("measures: search export, CN", measures, {"q": "export", "country": "CN"}),
        ("measures: sorted by title", measures, {"o": "1"}),
        ("measures: sorted by title, descending", measures, {"o": "-1"}),
        ("measures: sorted by Chinese title", measures, {"o": "2"}),
        ("measures: sorted by kind", measures, {"o": "3"}),
        ("measures: sorted by status", measures, {"o": "4"}),
        ("measures: sorted by jurisdiction", measures, {"o": "5"}),
        ("measures: sorted by issuer (not sortable: by slug)", measures, {"o": "6"}),
        ("measures: sorted by announced", measures, {"o": "7"}),
        ("measures: sorted by effective, descending", measures, {"o": "-8"}),
        ("measures: search export, by announced", measures, {"q": "export", "o": "-7"}),
        ("bans: country US", "ban", {"country": "US"}),
        ("bans: in force now", "ban", {"in_force": "today"}),
        ("export controls: search export", "exportcontrol", {"q": "export"}),
        ("export controls: sorted by announced", "exportcontrol", {"o": "-7"}),
        ("funds: status in force", "fund", {"instrument__status__exact": "in_force"}),
        ("pilot zones: country CN", "pilotzone", {"country": "CN"}),
        ("labs: sorted by effective", "lab", {"o": "6"}),
    ]


def analyst_client():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench-admin-analyst", defaults={"is_staff": True})
    user.groups.set(Group.objects.filter(name="analyst"))
    client = Client()
    client.force_login(user)
    return client


@dataclass
class Figure:
    """One list page: wall-clock server time (median), the Python process's CPU time in it
    (median), the SQL time of one request (the database's side, as the client waited for it),
    the time PostgreSQL itself spent executing its SELECTs (the sum of their ``EXPLAIN ANALYZE``
    execution times: what the queries cost, without the waits of a busy machine), and its
    number of queries."""

    wall_ms: float
    cpu_ms: float
    sql_ms: float
    db_ms: float
    queries: int


def measure_case(client, path, repetitions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path)  # warm-up
    if response.status_code != 200:
        # A filter this code does not have: the admin redirects to the list with ?e=1.
        return response.status_code, None
    times, cpu = [], []
    for _ in range(repetitions):
        began, began_cpu = time.perf_counter(), time.process_time()
        client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    # The slowest statement that EXPLAIN can show (not a COMMIT or SAVEPOINT).
    selects = [query for query in queries.captured_queries if query["sql"].lstrip().upper().startswith("SELECT")]
    slowest = max(selects, key=lambda query: float(query["time"]))
    sql_ms = sum(float(query["time"]) for query in queries.captured_queries) * 1000
    db_ms = sum(execution_ms(query["sql"]) for query in selects)
    return Figure(statistics.median(times), statistics.median(cpu), sql_ms, db_ms, len(queries)), slowest


def execution_ms(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        return cursor.fetchone()[0][0]["Execution Time"]


def explain(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(f"Code: {code_version()}")
    prepare_scratch_database(args.database_url, args.measures, args.seed)

    from django.conf import settings
    from django.test.utils import override_settings

    # Pages name their static files without the manifest that collectstatic would write.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        figures = run_cases(args)
    over = [name for name, figure in figures if figure.wall_ms > TARGET_MS]
    summary = f"{len(figures) - len(over)} of {len(figures)} cases under {TARGET_MS:.0f} ms"
    print(summary + (f"; over: {', '.join(over)}" if over else "."))
    # The wall-clock time waits for a core on a busy machine; the CPU time much less so.
    cpu = sorted(figure.cpu_ms for _, figure in figures)
    if cpu:
        cpu_over = [name for name, figure in figures if figure.cpu_ms > TARGET_MS]
        print(
            f"CPU per page {cpu[0]:.1f}–{cpu[-1]:.1f} ms (median {statistics.median(cpu):.1f}); "
            f"{len(figures) - len(cpu_over)} of {len(figures)} cases under {TARGET_MS:.0f} ms of CPU"
            + (f"; over: {', '.join(cpu_over)}" if cpu_over else ".")
        )
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write("| list page | wall ms | CPU ms | SQL ms | DB ms | queries |\n|---|---:|---:|---:|---:|---:|\n")
            for name, f in figures:
                out.write(
                    f"| {name} | {f.wall_ms:.1f} | {f.cpu_ms:.1f} | {f.sql_ms:.1f} | {f.db_ms:.1f} | {f.queries} |\n"
                )
    if args.drop:
        drop_database(args.database_url)
        print("Dropped the database.")


def run_cases(args):
    from django.urls import reverse

    client = analyst_client()
    figures = []
    print(f"{'case':<48} {'wall ms':>8} {'CPU ms':>8} {'SQL ms':>8} {'DB ms':>8} {'queries':>7}")
    for name, model_name, params in cases():
        if args.only and args.only not in name:
            continue
        path = reverse(f"admin:tracker_{model_name}_changelist")
        if params:
            path = f"{path}?{urlencode(params)}"
        figure, slowest = measure_case(client, path, args.repetitions)
        if slowest is None:
            print(f"{name:<48} n/a (answered {figure})")
            continue
        figures.append((name, figure))
        flag = "  over target" if figure.wall_ms > TARGET_MS else ""
        print(
            f"{name:<48} {figure.wall_ms:>8.1f} {figure.cpu_ms:>8.1f} {figure.sql_ms:>8.1f} {figure.db_ms:>8.1f} "
            f"{figure.queries:>7}{flag}"
        )
        if args.explain or figure.db_ms > TARGET_MS / 2:
            print(f"    slowest query ({float(slowest['time']) * 1000:.1f} ms): {slowest['sql'][:600]}")
            print("    " + explain(slowest["sql"]).replace("\n", "\n    "))
    return figures


if __name__ == "__main__":
    main()
