"""Benchmark of the fixture sync against Django's ``loaddata``, on the same files.

    .venv/bin/python -m bench.sync [--measures N | --full] [--base-url URL] [--keep-files DIR [--reuse-files]]

Runs on PostgreSQL (``postgres://postgres@127.0.0.1:5432`` unless ``--base-url`` names another
server); it creates scratch databases named ``bench_sync_*`` and drops them at the end.
``DATABASE_URL`` from the environment is ignored.

1. Files: a scratch database gets the shipped fixtures (``sync_fixtures``) and ``N`` synthetic
   measures with their details, links, citations and events (``bench.synthetic``); then
   ``export_fixtures`` writes everything into a temporary directory in the shipped format, and
   the database is dropped.
2. Measured, each step in a child process of its own (so its peak memory, ``VmHWM``, is its
   own); migrating is done beforehand, outside the timing:
   (a) ``sync_fixtures`` of those files into an empty migrated database;
   (b) the same again, unchanged (a second run changes nothing);
   (c) again, after changing the English title of 1 % of the records' worth of measures in the
       files (``records / 100`` measures, spread evenly);
   (d) ``loaddata`` of the same files (as in (a)) into another empty migrated database.
   Printed: records, seconds, records a second, peak memory of the child, SQL queries (each
   ``execute``/``executemany`` call counts once; a ``COPY`` is not an ``execute``, the query
   drawing its rows' ids counts for it).

Default ``N`` is 1,000 measures; ``--full`` is 100,000.  ``loaddata`` takes some 16 ms a
record here, so 100,000 measures (about 530,000 records) would cost it hours: with
``--loaddata-seconds S`` (the default with ``--full``: 600) it is stopped after ``S`` seconds
and its time for all the records is extrapolated from the records it had saved by then
(counted by its ``post_save`` signals, ``raw=True``).  The extrapolation favours ``loaddata``:
it saved the small tables of the first files, and its inserts do not slow down as the tables
grow in the estimate.
"""

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DEFAULT_BASE_URL = "postgres://postgres@127.0.0.1:5432"
DEFAULT_MEASURES = 1_000
FULL_MEASURES = 100_000
PREFIX = "bench_sync_"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--measures", type=int, default=DEFAULT_MEASURES, help=f"default {DEFAULT_MEASURES:,}")
    size.add_argument("--full", action="store_true", help=f"{FULL_MEASURES:,} synthetic measures")
    parser.add_argument("--base-url", default=DEFAULT_BASE_URL, help="a PostgreSQL server (no database name)")
    parser.add_argument("--keep-files", help="write the fixture files here and keep them (default: a temp dir)")
    parser.add_argument(
        "--reuse-files",
        action="store_true",
        help="with --keep-files: sync the files already there (as a previous run left them) instead of making new ones",
    )
    parser.add_argument("--seed", type=int, default=20250131)
    parser.add_argument(
        "--loaddata-seconds",
        type=float,
        help="stop loaddata after this many seconds and extrapolate (default: not stopped; 600 with --full)",
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)  # a child process's step
    parser.add_argument("--database", help=argparse.SUPPRESS)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.full:
        args.measures = FULL_MEASURES
        if args.loaddata_seconds is None:
            args.loaddata_seconds = 600.0
    if urlsplit(args.base_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        parser.error("--base-url must name a PostgreSQL server (postgres://…).")
    return args


def database_url(base, name):
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def create_database(base, name):
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(base, name):
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


# --- the child process: one step ----------------------------------------------------------------


def setup_django(url):
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def fixture_files(directory):
    return sorted(str(path) for path in Path(directory).glob("*.json"))


def count_records(directory):
    return sum(len(json.loads(Path(path).read_text(encoding="utf-8"))) for path in fixture_files(directory))


def run_step(args):
    """One step in this process; prints one JSON line with its figures."""
    import io

    setup_django(database_url(args.base_url, args.database))
    from django.core.management import call_command
    from django.db import connection

    queries = [0]

    def counter(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    out = io.StringIO()
    figures = {}
    if args.step == "migrate":
        call_command("migrate", interactive=False, verbosity=0)
        return print(json.dumps(figures))
    if args.step == "files":
        from bench.synthetic import generate
        from tracker.importers.export import export_fixtures
        from tracker.importers.sync import sync_fixtures

        call_command("migrate", interactive=False, verbosity=0)
        began = time.perf_counter()
        sync_fixtures()
        print(f"  shipped fixtures synced in {time.perf_counter() - began:,.1f} s", file=sys.stderr)
        generate(args.measures, seed=args.seed, progress=lambda text: print(text, file=sys.stderr))
        began = time.perf_counter()
        export_fixtures(args.files)
        print(f"  exported in {time.perf_counter() - began:,.1f} s", file=sys.stderr)
        return print(json.dumps(figures))
    paths = fixture_files(args.files)
    began = time.perf_counter()
    with connection.execute_wrapper(counter):
        if args.step == "loaddata":
            figures.update(timed_loaddata(paths, args.loaddata_seconds))
        else:
            call_command("sync_fixtures", *paths, stdout=out)
    figures["seconds"] = time.perf_counter() - began
    if "saved" in figures:  # stopped: its time for every record, at the rate it had
        figures["stopped_after"] = figures["seconds"]
        figures["seconds"] *= count_records(args.files) / max(figures["saved"], 1)
    figures["queries"] = queries[0]
    figures["maxrss_mb"] = peak_memory_mb()
    figures["summary"] = out.getvalue().strip().splitlines()[-1:] if args.step != "loaddata" else []
    print(json.dumps(figures))
    return None


def peak_memory_mb():
    """This process's peak resident memory since it started (``VmHWM``).  Not ``ru_maxrss``: on
    Linux that keeps the parent's peak across ``fork`` and ``exec``, so every step would show
    the memory the benchmark's own process had when it started the step."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Stopped(Exception):
    pass


def timed_loaddata(paths, seconds):
    """``loaddata`` of ``paths``; stopped after ``seconds`` (if given), saying how many records it
    had saved by then (``{"saved": n}``; its transaction is rolled back)."""
    import signal

    from django.core.management import call_command
    from django.db.models.signals import post_save

    if not seconds:
        call_command("loaddata", *paths, verbosity=0)
        return {}
    saved = [0]
    stopped = []

    def count(sender, raw=False, **kwargs):
        if raw:
            saved[0] += 1

    def stop(signum, frame):
        stopped.append(saved[0])
        raise Stopped

    post_save.connect(count, weak=False)
    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        call_command("loaddata", *paths, verbosity=0)
    except Exception:
        # Django's deserializer wraps an exception raised while it reads a record in its own.
        if not stopped:
            raise
        return {"saved": stopped[0]}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        post_save.disconnect(count)
    return {}


def child(args, step, database, files, measures=None):
    command = [
        sys.executable,
        "-m",
        "bench.sync",
        "--step",
        step,
        "--database",
        database,
        "--files",
        str(files),
        "--base-url",
        args.base_url,
        "--seed",
        str(args.seed),
    ]
    if measures is not None:
        command += ["--measures", str(measures)]
    if args.loaddata_seconds:
        command += ["--loaddata-seconds", str(args.loaddata_seconds)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    sys.stderr.write(done.stderr if done.returncode else "")
    if done.returncode:
        raise SystemExit(f"step {step} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def change_one_percent(directory, records):
    """Change the English title of ``records / 100`` measures in the files, spread evenly."""

    def dumps(records_of_file):  # tracker.importers.fixtures.dumps, without setting Django up
        return json.dumps(records_of_file, indent=2, ensure_ascii=False) + "\n"

    wanted = max(1, records // 100)
    measures = []
    documents = {}
    for path in fixture_files(directory):
        documents[path] = json.loads(Path(path).read_text(encoding="utf-8"))
        measures.extend(record for record in documents[path] if record.get("model") == "tracker.policyinstrument")
    step = max(1, len(measures) // wanted)
    changed = 0
    for record in measures[::step][:wanted]:
        record["fields"]["title_en"] = f"{record['fields']['title_en']} (revised)"
        changed += 1
    for path, records_of_file in documents.items():
        Path(path).write_text(dumps(records_of_file), encoding="utf-8")
    return changed


def code_version():
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty", "--exclude=*"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.step:
        return run_step(args)
    print(f"Code: {code_version()}; {args.measures:,} synthetic measures.")
    source, target, other = f"{PREFIX}source", f"{PREFIX}sync", f"{PREFIX}loaddata"
    temporary = None
    if args.keep_files:
        files = Path(args.keep_files)
        files.mkdir(parents=True, exist_ok=True)
    else:
        temporary = tempfile.TemporaryDirectory(prefix="bench-sync-")
        files = Path(temporary.name)
    try:
        began = time.perf_counter()
        if args.reuse_files and fixture_files(files):
            print(f"Reusing the files in {files} (--measures is theirs, not {args.measures:,}).")
        else:
            create_database(args.base_url, source)
            child(args, "files", source, files, args.measures)
            drop_database(args.base_url, source)
        records = count_records(files)
        took = time.perf_counter() - began
        print(f"Files: {records:,} records in {len(fixture_files(files))} files ({took:,.0f} s).")
        for name in (target, other):
            create_database(args.base_url, name)
            child(args, "migrate", name, files)
        rows = []
        figure = child(args, "sync", target, files)
        rows.append(("(a) sync_fixtures, empty database", records, figure))
        figure = child(args, "sync", target, files)
        rows.append(("(b) sync_fixtures again, unchanged", records, figure))
        changed = change_one_percent(files, records)
        figure = child(args, "sync", target, files)
        rows.append((f"(c) sync_fixtures, {changed:,} measures changed (1 %)", records, figure))
        # loaddata reads the files as (a) did: export them again from the synced database would
        # differ by the titles changed, which loaddata does not care about (same sizes).
        figure = child(args, "loaddata", other, files)
        label = "(d) loaddata, empty database"
        if "saved" in figure:
            label += f" (est.: {figure['saved']:,} saved in {figure['stopped_after']:,.0f} s)"
        rows.append((label, records, figure))
        print()
        print(f"{'step':<64} {'records':>9} {'seconds':>9} {'records/s':>10} {'peak MB':>8} {'queries':>10}")
        for label, count, figure in rows:
            print(
                f"{label:<64} {count:>9,} {figure['seconds']:>9,.1f} {count / figure['seconds']:>10,.0f} "
                f"{figure['maxrss_mb']:>8,.0f} {figure['queries']:>10,}"
            )
            for line in figure.get("summary", []):
                print(f"    {line}")
        loaddata = rows[-1][2]["seconds"]
        print(f"\nsync (a) vs loaddata: {loaddata / rows[0][2]['seconds']:.2f}× the speed of loaddata.")
    finally:
        for name in (source, target, other):
            drop_database(args.base_url, name)
        if temporary is not None:
            temporary.cleanup()
    return None


if __name__ == "__main__":
    main()
