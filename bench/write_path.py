"""Benchmark of the write path and the history with many measures.

    .venv/bin/python -m bench.write_path [--measures N | --full] [--database-url URL] [--keep | --drop]

Runs on PostgreSQL, at ``postgres://postgres@127.0.0.1:5432/tracker_bench`` unless
``--database-url`` names another database; the database is created when missing.  It must
be a scratch database: the benchmark migrates it, loads the shipped fixtures, adds
synthetic measures (``bench.synthetic``) and writes to them.  ``DATABASE_URL`` from the
environment is ignored, so it never runs against the tracker's own database by accident.

Reuse: the database is kept by default (``--keep`` says so explicitly), and a rerun
reuses it: migrations and fixtures already there are kept, and synthetic measures are
generated only up to ``--measures`` (default 100,000; ``--full`` is 1,000,000), continuing
after the highest synthetic slug stored.  A rerun at a smaller size measures the larger
database as it is.  Each run leaves its writes behind (a few thousand versions of
synthetic measures and their change sets), which adds well under 1% to the history
tables.  ``--drop`` drops the database at the end.

Measured, each with ``time.perf_counter`` around the service call only (loading the
record to edit, as an opened form has, is outside the timing): median and 95th
percentile in milliseconds, and the number of SQL queries of one call.  The records are
picked at random among the synthetic ones with a fixed seed (``--seed``).
"""

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench"
DEFAULT_MEASURES = 100_000
FULL_MEASURES = 1_000_000
SINGLE_REPETITIONS = 200
HEAVY_REPETITIONS = 20
DELETE_REPETITIONS = 50
FIXTURE_REPETITIONS = 3


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.write_path", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--measures", type=int, default=DEFAULT_MEASURES, help="synthetic measures (default 100,000)")
    size.add_argument("--full", action="store_true", help=f"{FULL_MEASURES:,} synthetic measures")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="a scratch PostgreSQL database")
    after = parser.add_mutually_exclusive_group()
    after.add_argument("--keep", action="store_true", help="keep the database for reruns (the default)")
    after.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--seed", type=int, default=20250131, help="seed of the synthetic data and of the picks")
    parser.add_argument("--queries", action="store_true", help="also print the slowest SQL of one call of each")
    args = parser.parse_args(argv)
    if args.full:
        args.measures = FULL_MEASURES
    if args.measures < 1000:
        parser.error("--measures must be at least 1,000 (the benchmarks pick among them).")
    if urlsplit(args.database_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        parser.error("--database-url must name a PostgreSQL database (postgres://…).")
    return args


# --- the scratch database ---------------------------------------------------------------------


def _maintenance(url):
    """The server's ``postgres`` database, from which another database is created or dropped."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def ensure_database(url):
    import psycopg
    from psycopg import sql

    maintenance, name = _maintenance(url)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def prepare_scratch_database(url, measures, seed):
    """The scratch database of the admin's benchmarks: created or reused, Django set up on it
    for the test client, migrated, with the shipped fixtures and ``measures`` synthetic measures."""
    created = ensure_database(url)
    print(f"{'Created' if created else 'Reusing'} {urlsplit(url).path.lstrip('/')}.")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"  # the test client's host
    setup_django(url)

    from django.core.management import call_command

    from bench.synthetic import generate, highest_index
    from tracker.importers.fixtures import load_fixtures

    call_command("migrate", interactive=False, verbosity=0)
    if not highest_index():
        # A database with synthetic measures has had its fixtures loaded before them.
        load_fixtures()
    generate(measures, seed=seed)


def drop_database(url):
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    maintenance, name = _maintenance(url)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def code_version():
    """The commit measured, and whether the working tree differs from it: figures belong to code."""
    import subprocess

    try:
        return subprocess.run(  # noqa: S603
            ["git", "describe", "--always", "--dirty", "--exclude=*"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"


def setup_django(url):
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Figure:
    operation: str
    times: list
    queries: int | None = None
    note: str = ""

    @property
    def n(self):
        return len(self.times)

    @property
    def median_ms(self):
        return statistics.median(self.times) * 1000

    @property
    def p95_ms(self):
        if len(self.times) < 2:
            return self.times[0] * 1000
        return statistics.quantiles(self.times, n=20, method="inclusive")[18] * 1000


class Bench:
    def __init__(self, seed, show_queries):
        from tracker.services import Actor

        self.rng = random.Random(seed)  # noqa: S311 - reproducible picks, not security
        self.actor = Actor.command("bench.write_path")
        self.show_queries = show_queries
        self.figures = []

    def run(self, operation, repetitions, prepare, action, warmup=3, note=""):
        """Time ``action(prepare())`` ``repetitions`` times, then count the queries of one more call."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        times = []
        for index in range(warmup + repetitions):
            argument = prepare()
            began = time.perf_counter()
            action(argument)
            elapsed = time.perf_counter() - began
            if index >= warmup:
                times.append(elapsed)
        argument = prepare()
        with CaptureQueriesContext(connection) as captured:
            action(argument)
        figure = Figure(operation, times, len(captured.captured_queries), note)
        self.figures.append(figure)
        print(
            f"  {operation}: median {figure.median_ms:,.1f} ms, p95 {figure.p95_ms:,.1f} ms, {figure.queries} queries"
        )
        if self.show_queries:
            slowest = sorted(captured.captured_queries, key=lambda query: float(query["time"]), reverse=True)[:3]
            for query in slowest:
                print(f"      {float(query['time']) * 1000:8.1f} ms  {query['sql'][:400]}")
        return figure


def print_table(figures):
    width = max(len(figure.operation) for figure in figures)
    print()
    print(f"{'operation':<{width}}  {'n':>4}  {'median ms':>10}  {'p95 ms':>10}  {'queries':>7}  note")
    print(f"{'-' * width}  {'-' * 4}  {'-' * 10}  {'-' * 10}  {'-' * 7}  ----")
    for figure in figures:
        queries = "" if figure.queries is None else figure.queries
        print(
            f"{figure.operation:<{width}}  {figure.n:>4}  {figure.median_ms:>10,.1f}  {figure.p95_ms:>10,.1f}  "
            f"{queries:>7}  {figure.note}"
        )


# --- the benchmarks ---------------------------------------------------------------------------


class Picker:
    """Random synthetic measures, by id; the ids of one generation run are contiguous."""

    def __init__(self, rng):
        from django.db.models import Max, Min

        from bench.synthetic import synthetic_measures

        bounds = synthetic_measures().aggregate(low=Min("pk"), high=Max("pk"))
        self.low, self.high, self.rng = bounds["low"], bounds["high"], rng
        self.edited = []

    def measure(self):
        from bench.synthetic import SLUG_PREFIX
        from tracker.models import PolicyInstrument

        while True:
            pk = self.rng.randint(self.low, self.high)
            found = PolicyInstrument.objects.filter(pk=pk, slug__startswith=SLUG_PREFIX).first()
            if found is not None:
                return found


def _toggle(text, suffix):
    return text.removesuffix(suffix) if text.endswith(suffix) else text + suffix


def benchmark_saves(bench, picker):
    from tracker.services import ChildChange, ConflictError, save_record

    def edited_measure():
        measure = picker.measure()
        measure.summary_en = _toggle(measure.summary_en, " Revised.")
        return measure

    def save(measure):
        save_record(record=measure, actor=bench.actor, expected_version=measure.version)
        picker.edited.append(measure.pk)

    bench.run("save_record: one field changed", SINGLE_REPETITIONS, edited_measure, save)

    def stale_measure():
        from tracker.models import PolicyInstrument

        measure = PolicyInstrument.objects.get(pk=bench.rng.choice(picker.edited))
        measure.summary_en = _toggle(measure.summary_en, " Revised.")
        return measure

    def refused(measure):
        try:
            save_record(record=measure, actor=bench.actor, expected_version=measure.version - 1)
        except ConflictError as error:
            if not error.changes:
                raise AssertionError("A refused save lists what changed in between.") from error
        else:
            raise AssertionError("A save naming an older version was not refused.")

    bench.run("save_record: refused as stale (ConflictError)", SINGLE_REPETITIONS, stale_measure, refused)

    def measure_and_citation():
        measure = picker.measure()
        citation = measure.citations.get()
        citation.note = _toggle(citation.note, " Checked.")
        return measure, citation

    def save_with_citation(argument):
        measure, citation = argument
        save_record(
            record=measure, actor=bench.actor, children=[ChildChange(record=citation)], expected_version=measure.version
        )

    bench.run(
        "save_record: citation changed (ChildChange)", SINGLE_REPETITIONS, measure_and_citation, save_with_citation
    )


def benchmark_as_of(bench, picker, moment):
    from tracker.choices import InstrumentKind
    from tracker.models import PolicyInstrument

    bench.run("record.history.as_of(T)", SINGLE_REPETITIONS, picker.measure, lambda m: m.history.as_of(moment))
    kinds = iter(InstrumentKind.values * 100)
    bench.run(
        "PolicyInstrument.history.as_of(T).filter(kind=…).count()",
        HEAVY_REPETITIONS,
        lambda: next(kinds),
        lambda kind: PolicyInstrument.history.as_of(moment).filter(kind=kind).count(),
        warmup=1,
    )


def benchmark_deletion_plan(bench):
    from bench.synthetic import HEAVY_TARGET
    from tracker.models import Organization
    from tracker.services import deletion_plan

    organization = Organization.objects.get(slug=HEAVY_TARGET)
    targeted = organization.targeted_by.count()
    plan = deletion_plan(organization)
    bench.run(
        f"deletion_plan(organization {HEAVY_TARGET})",
        HEAVY_REPETITIONS,
        lambda: Organization.objects.get(slug=HEAVY_TARGET),
        deletion_plan,
        warmup=1,
        note=f"targeted by {targeted:,} measures; {len(plan.blocked):,} blocking links",
    )


def benchmark_delete_undelete(bench, picker):
    from tracker.models import Tombstone
    from tracker.services import delete_record, undelete

    deletions = []

    def delete(measure):
        delete_record(record=measure, actor=bench.actor, expected_version=measure.version)
        deletions.append(measure.pk)

    bench.run("delete_record: measure with its citation", DELETE_REPETITIONS, picker.measure, delete, warmup=2)

    def deletion():
        pk = deletions.pop()
        return Tombstone.objects.get(model="tracker.policyinstrument", object_id=pk).changeset

    bench.run(
        "undelete: measure with its citation",
        DELETE_REPETITIONS,
        deletion,
        lambda change: undelete(deletion=change, actor=bench.actor),
        warmup=2,
    )


def benchmark_fixture_reload(bench):
    from tracker.importers.fixtures import load_fixtures

    totals = []

    def load(_):
        result = load_fixtures()
        if sum(result.created.values()) or sum(result.updated.values()):
            raise AssertionError("A second load of the fixtures changed records.")
        totals.append(result.total)

    figure = bench.run("load_fixtures() again (all kept)", FIXTURE_REPETITIONS, lambda: None, load, warmup=0)
    figure.note = f"{totals[0]:,} records, {totals[0] / (figure.median_ms / 1000):,.0f} records a second"


# --- sizes ------------------------------------------------------------------------------------


def table_report():
    from django.db import connection

    from tracker.models import ChangeSet, InstrumentCitation, PolicyInstrument

    history = PolicyInstrument.history.model
    tables = [
        PolicyInstrument._meta.db_table,
        history._meta.db_table,
        InstrumentCitation._meta.db_table,
        InstrumentCitation.history.model._meta.db_table,
        PolicyInstrument.layers.through._meta.db_table,
        PolicyInstrument.targets.through._meta.db_table,
        *(
            rel.related_model._meta.db_table
            for rel in history._meta.related_objects
            if rel.name.endswith(("layers", "targets"))
        ),
        ChangeSet._meta.db_table,
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), pg_size_pretty(pg_database_size(current_database()))")
        version, size = cursor.fetchone()
        print()
        print(version)
        print(f"database size: {size}")
        print(f"{'table':<58}  {'rows':>12}  {'size':>10}")
        for table in tables:
            cursor.execute(
                f'SELECT count(*), pg_size_pretty(pg_total_relation_size(%s)) FROM "{table}"',  # noqa: S608
                [table],
            )
            rows, table_size = cursor.fetchone()
            print(f"{table:<58}  {rows:>12,}  {table_size:>10}")


# --- main -------------------------------------------------------------------------------------


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(f"Code: {code_version()}")
    created = ensure_database(args.database_url)
    print(f"{'Created' if created else 'Reusing'} {urlsplit(args.database_url).path.lstrip('/')}.")
    setup_django(args.database_url)

    from django.core.management import call_command
    from django.utils import timezone

    from bench.synthetic import generate
    from tracker.importers.fixtures import load_fixtures

    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Migrated in {time.perf_counter() - began:,.1f} s.")
    began = time.perf_counter()
    result = load_fixtures()
    print(
        f"Fixtures: {sum(result.created.values())} created, {sum(result.kept.values())} kept, "
        f"in {time.perf_counter() - began:,.1f} s."
    )
    generate(args.measures, seed=args.seed)

    bench = Bench(args.seed, args.queries)
    picker = Picker(bench.rng)
    moment = timezone.now()
    print("Measuring:")
    benchmark_saves(bench, picker)
    benchmark_as_of(bench, picker, moment)
    benchmark_deletion_plan(bench)
    benchmark_delete_undelete(bench, picker)
    benchmark_fixture_reload(bench)
    print_table(bench.figures)
    table_report()

    if args.drop:
        drop_database(args.database_url)
        print("Dropped the database.")


if __name__ == "__main__":
    main()
