"""Benchmark of the in-force rule and of the two-script Chinese search, with their plans.

    .venv/bin/python -m bench.in_force [--measures N] [--repeat N] [--keep | --reuse]

On a scratch PostgreSQL database (``postgres://postgres@127.0.0.1:5432/tracker_bench_in_force``
unless ``--database-url`` names another) it migrates, loads the shipped fixtures,
generates ``--measures`` synthetic measures (``bench.synthetic``, 100,000 by default) and
runs ``VACUUM ANALYZE``; the database is dropped at the end unless ``--keep``.

Then, for each day, it counts the measures in force through ``in_force_conditions`` and
through the rule as it was written on ``COALESCE(effective_from, announced)`` (begun by
whichever is known, no status considered), and for each Chinese word it counts the search's
matches with the word's forms in both scripts (``script_variants``) and with the word as
typed alone.  Each figure is the median of ``--repeat`` runs, with the plan's scans.
"""

import argparse
import datetime
import statistics
import sys
import time

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench_in_force"
DAYS = ("2015-03-01", "2020-06-01", "2025-03-01")
WORDS = ("人工智能", "人工智慧", "华为", "深度求索", "芯片")


# An index the rule's second branch (undated, begun by its announcement) could be read from.
UNDATED_INDEX = "instrument_announced_undated_idx"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--measures", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=20250131)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="run on a database kept before")
    parser.add_argument(
        "--then-index",
        action="store_true",
        help=f"then add {UNDATED_INDEX} (announcement of measures without an effective date) and run again",
    )
    return parser.parse_args(argv)


def timed(queryset, repeat):
    """The count and the median milliseconds of ``repeat`` counts."""
    times, count = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        count = queryset.count()
        times.append((time.perf_counter() - began) * 1000)
    return count, statistics.median(times)


def scans(queryset):
    """The plan's scans, one line each (``Index Scan using …``, ``Seq Scan on …``)."""
    from django.db import connection

    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        lines = [row[0].strip().lstrip("-> ").strip() for row in cursor.fetchall()]
    wanted = ("Scan", "Bitmap")
    return sorted({line.split("  (")[0] for line in lines if any(word in line for word in wanted)})


def coalesce_rule(on):
    """The rule as it was: begun by COALESCE(effective_from, announced), not ended, not rescinded."""
    from django.db.models import Q
    from django.db.models.functions import Coalesce

    from tracker.models import PolicyInstrument

    begun = PolicyInstrument.objects.alias(began=Coalesce("effective_from", "announced")).filter(began__lte=on)
    return begun.filter(Q(effective_until__isnull=True) | Q(effective_until__gte=on)).filter(
        Q(rescinded__isnull=True) | Q(rescinded__gt=on)
    )


def run(args):
    from tracker import querysets
    from tracker.models import PolicyInstrument

    print(f"{PolicyInstrument.objects.count():,} measures.\n")
    print("| in force on | measures (rule) | ms | measures (COALESCE, as before) | ms | plan of the rule |")
    print("|---|---|---|---|---|---|")
    for day in DAYS:
        on = datetime.date.fromisoformat(day)
        rule = PolicyInstrument.objects.filter(querysets.in_force_conditions(on))
        count, ms = timed(rule, args.repeat)
        old_count, old_ms = timed(coalesce_rule(on), args.repeat)
        print(f"| {day} | {count:,} | {ms:.1f} | {old_count:,} | {old_ms:.1f} | {'; '.join(scans(rule))} |")

    print("\n| word | forms | measures | ms | measures (as typed only) | ms | plan |")
    print("|---|---|---|---|---|---|---|")
    original = querysets.script_variants
    for word in WORDS:
        folded = PolicyInstrument.objects.search(word)
        count, ms = timed(folded, args.repeat)
        plan = "; ".join(scans(folded))
        querysets.script_variants = lambda word: (word,)
        try:
            typed_count, typed_ms = timed(PolicyInstrument.objects.search(word), args.repeat)
        finally:
            querysets.script_variants = original
        forms = "/".join(original(word))
        print(f"| {word} | {forms} | {count:,} | {ms:.1f} | {typed_count:,} | {typed_ms:.1f} | {plan} |")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from bench.api import create_database, prepare_data
    from bench.write_path import drop_database, setup_django

    created = create_database(args.database_url, args.reuse)
    setup_django(args.database_url)
    try:
        if created:
            print(prepare_data(args))
        run(args)
        if args.then_index:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {UNDATED_INDEX} ON tracker_policyinstrument (announced) "
                    "WHERE effective_from IS NULL"
                )
                cursor.execute("ANALYZE tracker_policyinstrument")
            print(f"\nWith {UNDATED_INDEX}:\n")
            run(args)
    finally:
        if not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    main()
