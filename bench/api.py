"""Benchmark of the REST API's measure list against a raw psycopg + orjson baseline.

    .venv/bin/python -m bench.api [--full | --measures N] [--requests N] [--seconds S]

On a scratch PostgreSQL database (``postgres://postgres@127.0.0.1:5432/tracker_bench_api``
unless ``--database-url`` names another; ``DATABASE_URL`` from the environment is ignored)
it migrates, loads the shipped fixtures, generates synthetic measures (``bench.synthetic``:
100,000, or 1,000,000 with ``--full``, each published with its links, citation, events and
kind's detail), and runs ``VACUUM ANALYZE``.  The database is created for the run and
dropped at its end, on failure and on Ctrl-C too (``--keep`` keeps it; ``--reuse`` runs on
one kept before, generating only what is missing).

Then it starts two servers under the same gunicorn settings on free loopback ports, with
``DEBUG`` off and persistent database connections (``DATABASE_CONN_MAX_AGE``):

- the tracker (``config.wsgi``), whose ``GET /api/v1/instruments/`` anonymous readers see;
- the baseline (``bench.api:baseline_app``, below): a plain WSGI function that answers the
  same list from the same SQL with psycopg 3 and orjson, no Django.

For each scenario (the first page of 50, ``kind=ban``, ``jurisdiction=US``, ``q=DeepSeek``,
the second page through the first page's ``next`` cursor) it first checks that both
servers return the same JSON document (equal once each server's own address is replaced
by a placeholder) and stops with the first difference if not; then it loads each server
with concurrent keep-alive requests (``wrk``, installed from Debian when missing and run
as root; else a Python client on ``http.client``) and reports requests a second, median and
95th-percentile latency, and the API's share of the baseline's throughput.

Last it profiles the API in this process (``DEBUG`` still off): where a request's time
goes (database, ORM, rendering, JSON, framework), its SQL statements and the slowest of
them, and cProfile files of each scenario under ``var/bench-api/``.  ``--markdown FILE``
writes the figures as the tables of ``docs/performance.md``.
"""

# The baseline's SQL is put together from this module's own table and column names; every
# value (ids, codes, words, cursors) is a query parameter.
# ruff: noqa: S608

import argparse
import base64
import binascii
import contextlib
import datetime
import decimal
import hashlib
import io
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import orjson
import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/tracker_bench_api"
DEFAULT_MEASURES = 100_000
FULL_MEASURES = 1_000_000
LIST_PATH = "/api/v1/instruments/"
# Two sync-style workers for two cores: a list request keeps a core busy in Python or
# in PostgreSQL, which runs on the same two cores; more processes only queue for them.
# gthread rather than sync because only it keeps HTTP connections alive.
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 1
SCENARIOS = (
    ("first page", "page_size=50"),
    ("kind=ban", "page_size=50&kind=ban"),
    ("jurisdiction=US", "page_size=50&jurisdiction=US"),
    ("q=DeepSeek", "page_size=50&q=DeepSeek"),
    ("second page (cursor)", None),  # the first page's ``next``
)
PROFILE_REQUESTS = 10


# =============================================================================================
# The baseline: the measure list of anonymous readers from raw psycopg and orjson.
#
# It answers ``GET /api/v1/instruments/`` with ``page_size``, ``cursor``, ``kind``,
# ``jurisdiction`` and ``q`` exactly as ``tracker.api`` does for published measures: the same
# statements (page, four facet counts, one per link and part, one per linked model's
# summaries), the same keys in the same order, the same cursors and links.  What it leaves
# out is what the benchmark does not ask for (other filters and orderings, ``expand``,
# ``as_of``, signed-in readers); it refuses those with 400 rather than answer differently.
# A published measure whose draft revision is newer would be shown in its published version
# by the API; the baseline answers 500 instead (the synthetic data have none).
# =============================================================================================

PAGE_SIZE, MAX_PAGE_SIZE = 50, 500
SUPPORTED = {"page_size", "cursor", "kind", "jurisdiction", "q"}
INSTRUMENT_FIELDS = (
    "kind",
    "title_en",
    "title_zh",
    "summary_en",
    "summary_zh",
    "status",
    "document_number",
    "url",
    "announced",
    "announced_precision",
    "effective_from",
    "effective_from_precision",
    "effective_until",
    "effective_until_precision",
    "rescinded",
    "rescinded_precision",
)
RECORD_FIELDS = ("version", "editorial_state", "published_version", "published_at", "created", "updated")
PAGE_COLUMNS = ", ".join(
    f"p.{name}"
    for name in (
        "id",
        "slug",
        *INSTRUMENT_FIELDS,
        "jurisdiction_id",
        "issuing_body_id",
        "part_of_id",
        *RECORD_FIELDS,
    )
)
# (API name, through table, owner column, target column, target) of the measure's links, in order.
MANY = {
    "co_issuers": ("tracker_policyinstrument_co_issuers", "policyinstrument_id", "organization_id", "organization"),
    "layers": ("tracker_policyinstrument_layers", "policyinstrument_id", "stacklayer_id", "layer"),
    "products": ("tracker_policyinstrument_products", "policyinstrument_id", "product_id", "product"),
    "targets": ("tracker_policyinstrument_targets", "policyinstrument_id", "organization_id", "organization"),
    "affected_jurisdictions": (
        "tracker_policyinstrument_affected_jurisdictions",
        "policyinstrument_id",
        "jurisdiction_id",
        "jurisdiction",
    ),
    "amends": ("tracker_policyinstrument_amends", "from_policyinstrument_id", "to_policyinstrument_id", "instrument"),
}
LINKS = (
    ("jurisdiction", "jurisdiction_id", "jurisdiction"),
    ("issuing_body", "issuing_body_id", "organization"),
    ("co_issuers", None, None),
    ("part_of", "part_of_id", "instrument"),
    ("layers", None, None),
    ("products", None, None),
    ("targets", None, None),
    ("affected_jurisdictions", None, None),
    ("amends", None, None),
)
# Linked records' summaries: (table, key column, label column, API path or None, published only).
SUMMARIES = {
    "jurisdiction": ("tracker_jurisdiction", "code", "name_en", "jurisdictions", True),
    "organization": ("tracker_organization", "slug", "name_en", "organizations", True),
    "instrument": ("tracker_policyinstrument", "slug", "title_en", "instruments", True),
    "layer": ("tracker_stacklayer", "code", "name_en", "layers", True),
    "product": ("tracker_product", "slug", "name_en", "products", True),
    "source": ("tracker_source", "slug", "title", "sources", True),
    "scope": ("tracker_scope", "code", "name_en", None, False),
}


@dataclass(frozen=True)
class Detail:
    """A kind's detail table as the API shows it: links first (in this order), then fields."""

    type: str
    table: str
    fields: tuple
    links: tuple = ()  # (name, column or None for many, target, (through, owner, target column) for many)
    participants: bool = False


DETAILS = (
    Detail(
        "fund",
        "tracker_fund",
        (
            "amount",
            "currency",
            "usd_equivalent",
            "usd_rate_date",
            "stated_equivalent",
            "stated_equivalent_currency",
            "term_years",
            "focus",
        ),
        (
            ("vehicle", "vehicle_id", "organization", None),
            ("stated_equivalent_citation", "stated_equivalent_citation_id", "citation", None),
        ),
        participants=True,
    ),
    Detail(
        "subsidy",
        "tracker_subsidy",
        ("pays_for", "rate", "amount", "currency", "eligible"),
        (
            (
                "eligible_organizations",
                None,
                "organization",
                ("tracker_subsidy_eligible_organizations", "subsidy_id", "organization_id"),
            ),
        ),
    ),
    Detail(
        "lab",
        "tracker_lab",
        ("focus",),
        (
            ("organization", "organization_id", "organization", None),
            ("host_city", "host_city_id", "jurisdiction", None),
            ("sponsors", None, "organization", ("tracker_lab_sponsors", "lab_id", "organization_id")),
        ),
    ),
    Detail(
        "pilot_zone",
        "tracker_pilotzone",
        ("focus",),
        (("places", None, "jurisdiction", ("tracker_pilotzone_places", "pilotzone_id", "jurisdiction_id")),),
    ),
    Detail(
        "export_control", "tracker_exportcontrol", ("legal_form", "legal_citation", "published_on", "controlled_items")
    ),
    Detail(
        "ban",
        "tracker_ban",
        ("banned_product", "legal_form", "scope_detail"),
        (("scopes", None, "scope", ("tracker_ban_scopes", "ban_id", "scope_id")),),
    ),
)

# The search, as ``PolicyInstrumentQuerySet.search`` writes it (tracker/querysets.py): where a
# word is found and its points there, in this order; a match by name of an issuer or target
# is "named".
SEARCH_TIERS = (
    ("title_en", "4.0"),
    ("title_zh", "4.0"),
    ("slug", "3.0"),
    ("document_number", "3.0"),
    ("named", "2.0"),
    ("summary_en", "1.0"),
    ("summary_zh", "1.0"),
    ("english words", "0.5"),
)
# The English title and summary as a full-text document, as migration 0013 indexes it.
ENGLISH_MATCH = (
    "to_tsvector('english'::regconfig, COALESCE(p.title_en, '') || ' ' || COALESCE(p.summary_en, '')) "
    "@@ plainto_tsquery('english'::regconfig, %s)"
)
SEARCH_COLUMNS = ("slug", "title_en", "title_zh", "summary_en", "summary_zh", "document_number")
SHARE_POINTS = 0.9
RESEMBLANCE_MIN_LENGTH = 4
TARGETED_LIMIT = 5000


class BadRequest(Exception):
    pass


def plain(value):
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _like(word):
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class Search:
    """One word of ``q``: the organizations it names, and SQL for its match and its rank."""

    def __init__(self, cursor, word):
        self.word = word
        caseless = word.lower() == word.upper()
        if caseless:
            self.operator, self.pattern = "LIKE", _like(word)
        else:
            self.operator = "~*"
            self.pattern = "".join(c if c.isalnum() else f"\\{c}" for c in word)
        resemblance = len(word) >= RESEMBLANCE_MIN_LENGTH and not any(
            unicodedata.east_asian_width(c) in {"W", "F"} for c in word
        )
        names = [self.contained(f"o.{column}") for column in ("name_en", "name_zh", "abbreviation")]
        alias = [self.contained("a.name")]
        params = [self.pattern] * 3
        alias_params = [self.pattern]
        if resemblance:
            names += ["o.name_en %%> %s", "o.name_zh %%> %s"]
            params += [word, word]
            alias.append("a.name %%> %s")
            alias_params.append(word)
        sql = (
            f"SELECT o.id FROM tracker_organization o WHERE ({' OR '.join(names)} OR o.id IN "
            f"(SELECT a.organization_id FROM tracker_organizationalias a WHERE ({' OR '.join(alias)}))) ORDER BY 1"
        )
        self.organizations = [row[0] for row in cursor.execute(sql, params + alias_params)]
        self.targeted = []
        if self.organizations:
            self.targeted = [
                row[0]
                for row in cursor.execute(
                    "SELECT DISTINCT policyinstrument_id FROM tracker_policyinstrument_targets "
                    "WHERE organization_id = ANY(%s) ORDER BY 1 LIMIT %s",
                    [self.organizations, TARGETED_LIMIT + 1],
                )
            ]
            if len(self.targeted) > TARGETED_LIMIT:
                self.targeted = None

    def contained(self, column):
        return f"{column}::text {self.operator} %s"

    def named(self):
        if self.targeted is None:
            targeted = (
                "p.id IN (SELECT policyinstrument_id FROM tracker_policyinstrument_targets "
                "WHERE organization_id = ANY(%s))"
            )
            return f"(p.issuing_body_id = ANY(%s) OR {targeted})", [self.organizations, self.organizations]
        return "(p.issuing_body_id = ANY(%s) OR p.id = ANY(%s))", [self.organizations, self.targeted]

    def matches(self):
        parts = [self.contained(f"p.{column}") for column in SEARCH_COLUMNS]
        params = [self.pattern] * len(parts)
        if self.organizations:
            sql, named = self.named()
            parts.append(sql)
            params += named
        if not any(c.isspace() for c in self.word):
            parts.append(ENGLISH_MATCH)
            params.append(self.word)
        return f"({' OR '.join(parts)})", params

    def rank(self):
        # The share is a numeric literal, as Django's client-side binding sends it: computed
        # in numeric, the rank then has exactly the API's value (and the cursor its digits).
        share = repr(SHARE_POINTS * len(self.word))
        whens, params = [], []
        for column, points in SEARCH_TIERS:
            if column == "named":
                if self.organizations:
                    sql, named = self.named()
                    whens.append(f"WHEN {sql} THEN {points}")
                    params += named
                continue
            if column == "english words":
                if not any(c.isspace() for c in self.word):
                    whens.append(f"WHEN {ENGLISH_MATCH} THEN {points}")
                    params.append(self.word)
                continue
            whens.append(f"WHEN {self.contained(f'p.{column}')} THEN ({points} + ({share} / LENGTH(p.{column})))")
            params.append(self.pattern)
        return f"CASE {' '.join(whens)} ELSE 0.0 END", params


def _encode_cursor(direction, value, pk):
    return base64.urlsafe_b64encode(orjson.dumps([direction, value, pk])).decode().rstrip("=")


def _decode_cursor(raw):
    try:
        direction, value, pk = orjson.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        if direction not in ("n", "p") or not isinstance(pk, int):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadRequest("cursor") from None
    return direction, value, pk


def _replace_query_param(url, key, value):
    scheme, netloc, path, query, fragment = urlsplit(url)
    params = parse_qs(query, keep_blank_values=True)
    params[key] = [value]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(params.items()), doseq=True), fragment))


class Lister:
    """One request's list: the statements it runs and the document it builds."""

    def __init__(self, cursor, base, full_url, params):
        self.cursor = cursor
        self.base = base
        self.full_url = full_url
        self.params = params
        self.wanted = {name: set() for name in (*SUMMARIES, "citation")}

    def rows(self, sql, params=()):
        return self.cursor.execute(sql, params).fetchall()

    def where(self):
        conditions, params, join = ["p.published_version IS NOT NULL"], [], ""
        kinds = self.params.get("kind")
        if kinds:
            conditions.append("p.kind = ANY(%s)")
            params.append(kinds)
        code = self.params.get("jurisdiction", [""])[-1]
        if code:
            join = " JOIN tracker_jurisdiction j ON j.id = p.jurisdiction_id"
            conditions.append("(j.code = %s OR j.code LIKE %s)")
            params += [code, code.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "-%"]
        self.terms = []
        text = self.params.get("q", [""])[-1]
        if text.strip():
            if any(quote in text for quote in "\"'"):
                raise BadRequest("q with quotes")
            self.terms = [Search(self.cursor, word) for word in text.split()]
            for term in self.terms:
                sql, term_params = term.matches()
                conditions.append(sql)
                params += term_params
        return join, " AND ".join(conditions), params

    def page(self, join, where, params, size):
        if self.terms:
            ranks = [term.rank() for term in self.terms]
            rank = " + ".join(sql for sql, _ in ranks)
            rank_params = [p for _, term_params in ranks for p in term_params]
            select, select_params = f", {rank}", rank_params
            sort, sort_params, descending = f"COALESCE({rank}, '-Infinity'::float8)", rank_params, True
        else:
            select, select_params, sort, sort_params, descending = "", [], "p.slug", [], False
        raw = self.params.get("cursor", [None])[-1]
        after, after_params, reverse = "", [], False
        if raw is not None:
            direction, value, pk = _decode_cursor(raw)
            reverse = direction == "p"
            smaller = descending != reverse
            op = "<" if smaller else ">"
            after = f" AND ({sort} {op} %s OR ({sort} = %s AND p.id {op} %s))"
            after_params = [*sort_params, value, *sort_params, value, pk]
        order_descending = descending != reverse
        order = f"{sort} {'DESC' if order_descending else 'ASC'}, p.id {'DESC' if order_descending else 'ASC'}"
        sql = (
            f"SELECT {PAGE_COLUMNS}{select} FROM tracker_policyinstrument p{join} "
            f"WHERE {where}{after} ORDER BY {order} LIMIT %s"
        )
        found = self.rows(sql, [*select_params, *params, *after_params, *sort_params, size + 1])
        more = len(found) > size
        found = found[:size]
        if reverse:
            found.reverse()

        def position(row):
            return float(row[-1]) if self.terms else row[1]

        previous = following = None
        if raw is None:
            following = _encode_cursor("n", position(found[-1]), found[-1][0]) if more else None
        elif found and reverse:
            following = _encode_cursor("n", position(found[-1]), found[-1][0])
            previous = _encode_cursor("p", position(found[0]), found[0][0]) if more else None
        elif found:
            previous = _encode_cursor("p", position(found[0]), found[0][0])
            following = _encode_cursor("n", position(found[-1]), found[-1][0]) if more else None
        return found, previous, following

    def facets(self, join, where, params):
        facets = {}
        for name, column in (("kind", "p.kind"), ("status", "p.status"), ("jurisdiction", "j.code")):
            joined = join or (
                " JOIN tracker_jurisdiction j ON j.id = p.jurisdiction_id" if name == "jurisdiction" else ""
            )
            rows = self.rows(
                f"SELECT {column}, COUNT(p.id) FROM tracker_policyinstrument p{joined} WHERE {where} GROUP BY 1", params
            )
            facets[name] = {str(v): n for v, n in sorted(rows, key=lambda r: (-r[1], str(r[0]))) if v}
        rows = self.rows(
            "SELECT s.code, COUNT(l.id) FROM tracker_policyinstrument_layers l "
            "JOIN tracker_stacklayer s ON s.id = l.stacklayer_id WHERE l.policyinstrument_id IN "
            f"(SELECT p.id FROM tracker_policyinstrument p{join} WHERE {where}) GROUP BY 1",
            params,
        )
        facets["layer"] = dict(sorted(rows, key=lambda r: (-r[1], r[0])))
        return facets

    def many(self, through, owner, target, owners, wanted):
        result = {pk: [] for pk in owners}
        if owners:
            for own, other in self.rows(
                f"SELECT {owner}, {target} FROM {through} WHERE {owner} = ANY(%s) ORDER BY 2", [list(owners)]
            ):
                result[own].append(other)
                self.wanted[wanted].add(other)
        return result

    def children(self, table, columns, parent, parents):
        result = {pk: [] for pk in parents}
        if parents:
            sql = f"SELECT id, {parent}, {', '.join(columns)} FROM {table} WHERE {parent} = ANY(%s) ORDER BY id"
            for row in self.rows(sql, [list(parents)]):
                result[row[1]].append(row)
        return result

    def summaries(self):
        found = {}
        for name, ids in self.wanted.items():
            ids.discard(None)
            if not ids:
                found[name] = {}
            elif name == "citation":
                found[name] = {
                    pk: {"source": slug, "locator": locator}
                    for pk, slug, locator in self.rows(
                        "SELECT c.id, s.slug, c.locator FROM tracker_instrumentcitation c "
                        "JOIN tracker_source s ON s.id = c.source_id WHERE c.id = ANY(%s)",
                        [list(ids)],
                    )
                }
            else:
                table, key, label, path, reviewed = SUMMARIES[name]
                visible = " AND published_version IS NOT NULL" if reviewed else ""
                rows = self.rows(f"SELECT id, {key}, {label} FROM {table} WHERE id = ANY(%s){visible}", [list(ids)])
                if path:
                    prefix = f"{self.base}/api/v1/{path}/"
                    found[name] = {pk: {key: k, "name": n, "url": f"{prefix}{k}/"} for pk, k, n in rows}
                else:
                    found[name] = {pk: {key: k, "name": n} for pk, k, n in rows}
        return found

    def document(self):
        try:
            size = int(self.params.get("page_size", [PAGE_SIZE])[-1])
        except ValueError:
            raise BadRequest("page_size") from None
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise BadRequest("page_size")
        join, where, params = self.where()
        found, previous, following = self.page(join, where, params, size)
        first_link = 2 + len(INSTRUMENT_FIELDS)
        version, state, published = first_link + 3, first_link + 4, first_link + 5
        for row in found:
            if row[state] != "published" and row[published] is not None and row[version] != row[published]:
                raise RuntimeError(f"{row[1]}: a draft revision of a published measure (not in the baseline)")
        facets = self.facets(join, where, params)

        ids = [row[0] for row in found]
        for row in found:
            self.wanted["jurisdiction"].add(row[first_link])
            self.wanted["organization"].add(row[first_link + 1])
            self.wanted["instrument"].add(row[first_link + 2])
        many = {name: self.many(*spec[:3], ids, spec[3]) for name, spec in MANY.items()}
        events = self.children(
            "tracker_instrumentevent",
            (
                "kind",
                "sequence",
                "date_kind",
                "date",
                "date_precision",
                "date_end",
                "reported_on",
                "citation_id",
                "note",
            ),
            "instrument_id",
            ids,
        )
        for group in events.values():
            self.wanted["citation"].update(row[9] for row in group)
        citations = self.children("tracker_instrumentcitation", ("source_id", "locator", "role"), "instrument_id", ids)
        for group in citations.values():
            self.wanted["source"].update(row[2] for row in group)
        details = []
        for detail in DETAILS:
            columns = [link[1] for link in detail.links if link[1]] + list(detail.fields)
            rows = self.children(detail.table, columns, "instrument_id", ids)
            owners = [row[0] for group in rows.values() for row in group]
            links = {}
            for name, column, target, through in detail.links:
                if column:
                    self.wanted[target].update(
                        row[2 + columns.index(column)] for group in rows.values() for row in group
                    )
                else:
                    links[name] = self.many(*through, owners, target)
            participants = {}
            if detail.participants:
                participants = self.children(
                    "tracker_fundparticipant", ("organization_id", "role", "share_percent"), "fund_id", owners
                )
                for group in participants.values():
                    self.wanted["organization"].update(row[2] for row in group)
            details.append((detail, columns, rows, links, participants))
        summaries = self.summaries()

        prefix = f"{self.base}/api/v1/instruments/"
        results = []
        for row in found:
            pk, slug = row[0], row[1]
            item = {"slug": slug, "name": row[3], "url": f"{prefix}{slug}/"}
            for index, name in enumerate(INSTRUMENT_FIELDS):
                item["document_url" if name == "url" else name] = plain(row[2 + index])
            for name, column, target in LINKS:
                if column is None:
                    lookup = summaries[MANY[name][3]]
                    item[name] = [lookup[i] for i in many[name][pk] if i in lookup]
                else:
                    value = row[first_link + ("jurisdiction_id", "issuing_body_id", "part_of_id").index(column)]
                    item[name] = summaries[target].get(value) if value is not None else None
            citation_of = summaries["citation"]
            item["events"] = [
                {
                    "citation": citation_of.get(e[9]) if e[9] is not None else None,
                    "kind": e[2],
                    "sequence": e[3],
                    "date_kind": e[4],
                    "date": plain(e[5]),
                    "date_precision": e[6],
                    "date_end": plain(e[7]),
                    "reported_on": plain(e[8]),
                    "note": e[10],
                }
                for e in events[pk]
            ]
            sources = summaries["source"]
            item["citations"] = [
                {"source": sources.get(c[2]) if c[2] is not None else None, "locator": c[3], "role": c[4]}
                for c in citations[pk]
            ]
            item["details"] = None
            for detail, columns, rows, links, participants in details:
                if rows[pk]:
                    item["details"] = self.detail(detail, columns, rows[pk][0], links, participants, summaries)
                    break
            for index, name in enumerate(RECORD_FIELDS):
                item[name] = plain(row[first_link + 3 + index])
            results.append(item)
        return {
            "next": _replace_query_param(self.full_url, "cursor", following) if following else None,
            "previous": _replace_query_param(self.full_url, "cursor", previous) if previous else None,
            "facets": facets,
            "results": results,
        }

    def detail(self, detail, columns, row, links, participants, summaries):
        item = {"type": detail.type}
        for name, column, target, _ in detail.links:
            if column:
                value = row[2 + columns.index(column)]
                item[name] = summaries[target].get(value) if value is not None else None
            else:
                lookup = summaries[target]
                item[name] = [lookup[i] for i in links[name][row[0]] if i in lookup]
        for name in detail.fields:
            item[name] = plain(row[2 + columns.index(name)])
        if detail.participants:
            organizations = summaries["organization"]
            item["participants"] = [
                {
                    "organization": organizations.get(p[2]) if p[2] is not None else None,
                    "role": p[3],
                    "share_percent": plain(p[4]),
                }
                for p in participants[row[0]]
            ]
        return item


_local = threading.local()


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(os.environ["BENCH_BASELINE_DATABASE_URL"], options="-c TimeZone=UTC")
    return conn


def baseline_app(environ, start_response):
    """WSGI: the measure list of anonymous readers, from psycopg and orjson alone."""
    if environ["PATH_INFO"] != LIST_PATH or environ["REQUEST_METHOD"] != "GET":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"Only GET /api/v1/instruments/ here."]
    query = environ.get("QUERY_STRING", "")
    params = parse_qs(query, keep_blank_values=True)
    base = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}"
    conn = _connection()
    try:
        if set(params) - SUPPORTED:
            raise BadRequest(", ".join(sorted(set(params) - SUPPORTED)))
        with conn.cursor() as cursor:
            data = Lister(cursor, base, f"{base}{LIST_PATH}{'?' + query if query else ''}", params).document()
        conn.commit()
    except BadRequest as error:
        conn.rollback()
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [f"Not supported by the baseline: {error}".encode()]
    except Exception as error:
        with contextlib.suppress(psycopg.Error):
            conn.rollback()
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [f"{type(error).__name__}: {error}".encode()]
    body = orjson.dumps(data)
    tag = hashlib.blake2b(body, digest_size=12).hexdigest()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("ETag", f'"{tag}"')]
    )
    return [body]


# =============================================================================================
# The run: database, servers, checks, load, profile.
# =============================================================================================


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--measures", type=int, default=DEFAULT_MEASURES, help="synthetic measures (default 100,000)")
    size.add_argument("--full", action="store_true", help=f"{FULL_MEASURES:,} synthetic measures")
    parser.add_argument(
        "--requests",
        type=int,
        default=400,
        help="about this many requests per server and scenario (default 400): each measurement lasts as long "
        "as that takes at the warm-up's rate, within --seconds",
    )
    parser.add_argument(
        "--seconds",
        type=int,
        nargs=2,
        default=(5, 20),
        metavar=("MIN", "MAX"),
        help="shortest and longest measurement of a server in a scenario, all rounds together (default 5 20)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of API and baseline (default 2)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="gunicorn worker processes (default 2)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="threads per worker (default 1)")
    parser.add_argument("--connections", type=int, help="concurrent keep-alive connections (default 2 per thread)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL, help="a scratch PostgreSQL database")
    parser.add_argument("--reuse", action="store_true", help="run on the database if it exists (kept by --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--seed", type=int, default=20250131, help="seed of the synthetic data")
    parser.add_argument("--markdown", type=Path, help="also write the figures as Markdown tables to this file")
    args = parser.parse_args(argv)
    if args.full:
        args.measures = FULL_MEASURES
    if args.measures < 1000:
        parser.error("--measures must be at least 1,000.")
    if urlsplit(args.database_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        parser.error("--database-url must name a PostgreSQL database (postgres://…).")
    args.connections = args.connections or 2 * args.workers * args.threads
    return args


def create_database(url, reuse):
    from psycopg import sql

    from bench.write_path import _maintenance

    maintenance, name = _maintenance(url)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            if reuse:
                return False
            raise SystemExit(
                f"The database {name} exists (a run stopped by force, or kept with --keep): "
                f"pass --reuse to run on it, or drop it (DROP DATABASE {name})."
            )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def prepare_data(args):
    """Migrate, load the fixtures, generate the synthetic measures, VACUUM ANALYZE."""
    from django.core.management import call_command
    from django.db import connection

    from bench.synthetic import generate
    from tracker.importers.fixtures import load_fixtures

    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    result = load_fixtures()
    print(
        f"Migrated and loaded the fixtures ({sum(result.created.values())} created, "
        f"{sum(result.kept.values())} kept) in {time.perf_counter() - began:,.1f} s."
    )
    generated = time.perf_counter()
    generate(args.measures, seed=args.seed)
    generation = time.perf_counter() - generated
    began = time.perf_counter()
    connection.close()
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        # Set the visibility map and hint bits now: autovacuum doing it during the load
        # would be measured instead of the API.
        conn.execute("VACUUM (ANALYZE)")
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM tracker_policyinstrument WHERE published_version IS NOT NULL), "
            "(SELECT count(*) FROM tracker_instrumentevent), (SELECT count(*) FROM tracker_instrumentcitation), "
            "pg_size_pretty(pg_database_size(current_database())), version()"
        ).fetchone()
    print(f"VACUUM ANALYZE in {time.perf_counter() - began:,.1f} s.")
    return {
        "published measures": counts[0],
        "events": counts[1],
        "citations": counts[2],
        "database size": counts[3],
        "postgresql": counts[4],
        "generation seconds": generation,
    }


# --- servers ----------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    name: str
    app: str
    env: dict
    args: argparse.Namespace
    port: int = 0
    process: subprocess.Popen = None
    log: object = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-api-{self.name}-", suffix=".log", delete=False)  # noqa: SIM115
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            self.app,
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.args.workers}",
            "--worker-class=gthread",
            f"--threads={self.args.threads}",
            "--keep-alive=75",
            "--backlog=256",
            "--timeout=120",
            "--log-level=warning",
        ]
        self.process = subprocess.Popen(  # noqa: S603
            command,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches this script, which stops the server itself
        )

    def wait_ready(self, path):
        import http.client

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The {self.name} server stopped:\n{Path(self.log.name).read_text()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.request("GET", path)
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"The {self.name} server did not answer within 90 s.")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def server_environment(args):
    return {
        "DATABASE_URL": args.database_url,
        "DATABASE_CONN_MAX_AGE": "600",  # persistent connections (the default, said explicitly)
        "DJANGO_DEBUG": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        # The throttle stays in the request path, at a rate the benchmark never reaches.
        "TRACKER_API_ANON_RATE": "1000000/s",
        "TRACKER_API_USER_RATE": "1000000/s",
        "BENCH_BASELINE_DATABASE_URL": args.database_url,
    }


def servers(args):
    common = server_environment(args)
    return (
        Server("api", "config.wsgi:application", common, args),
        Server("baseline", "bench.api:baseline_app", common, args),
    )


# --- checking that both serve the same document ----------------------------------------------


def fetch(server, path):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{server.name} {path}: HTTP {response.status}\n{body[:3000].decode(errors='replace')}")
    return body


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {a!r:.300} ≠ {b!r:.300}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} ≠ {list(b)}"
        for key in a:
            if found := first_difference(a[key], b[key], f"{path}.{key}"):
                return found
    elif isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items ≠ {len(b)}"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if found := first_difference(x, y, f"{path}[{index}]"):
                return found
    elif a != b:
        return f"{path}: {a!r:.300} ≠ {b!r:.300}"
    return None


def check_same(api, baseline, name, path):
    """Both servers' documents for ``path``, equal but for their own addresses; returns the API's."""
    bodies = {}
    for server in (api, baseline):
        text = fetch(server, path).decode()
        bodies[server.name] = json.loads(text.replace(server.base, "http://SERVER"))
    difference = first_difference(bodies["api"], bodies["baseline"])
    if difference:
        raise AssertionError(f"{name} ({path}): the API and the baseline differ (api ≠ baseline) at {difference}")
    return bodies["api"]


def scenario_paths(api, baseline):
    """[(name, path)] of the scenarios, each checked to be served alike; the cursor from the first page."""
    paths, sizes = [], {}
    first = None
    for name, query in SCENARIOS:
        if query is None:
            if not first or not first["next"]:
                raise RuntimeError("The first page has no next page: too few measures.")
            split = urlsplit(first["next"])
            path = f"{split.path}?{split.query}"
        else:
            path = f"{LIST_PATH}?{query}"
        document = check_same(api, baseline, name, path)
        if query == SCENARIOS[0][1]:
            first = document
        matched = sum(document["facets"]["kind"].values())
        sizes[name] = (len(document["results"]), matched, len(orjson.dumps(document)))
        print(f"  {name}: same document from both ({len(document['results'])} of {matched:,} measures)")
        paths.append((name, path))
    return paths, sizes


# --- load -------------------------------------------------------------------------------------

WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH %d %d %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency.max))
end
"""


@dataclass
class Load:
    server: str
    scenario: str
    requests: int
    seconds: float
    median_ms: float
    p95_ms: float
    errors: int
    tool: str

    @property
    def rate(self):
        return self.requests / self.seconds


def find_wrk():
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk (Debian's package) for the load …")
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
            subprocess.run(  # noqa: S603 - fixed commands
                command, check=False, capture_output=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            )  # noqa: S603
        return shutil.which("wrk")
    print("wrk is not installed (apt-get install wrk): loading with the Python client instead.")
    return None


def run_wrk(wrk, server, scenario, path, seconds, connections):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        result = subprocess.run(  # noqa: S603
            [
                wrk,
                "--threads=1",
                f"--connections={connections}",
                f"--duration={max(1, round(seconds))}s",
                "--timeout=60s",
                f"--script={script.name}",
                f"{server.base}{path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    requests, duration, *errors, p50, p95, _ = (int(value) for value in line.split()[1:])
    return Load(server.name, scenario, requests, duration / 1e6, p50 / 1000, p95 / 1000, sum(errors), "wrk")


def run_python_client(server, scenario, path, seconds, connections):
    """Keep-alive connections in threads, each sending requests one after another, for ``seconds``."""
    import http.client

    times, errors, lock = [], [0], threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            with lock:
                times.append(time.perf_counter() - began) if ok else None
                errors[0] += 0 if ok else 1

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    median, p95 = (statistics.quantiles(times, n=20, method="inclusive")[i] * 1000 for i in (9, 18))
    return Load(server.name, scenario, len(times), elapsed, median, p95, errors[0], "python")


def measure(args, wrk, api, baseline, scenario, path):
    """(API load, baseline load) of one scenario: a short warm-up of each gives its rate, then
    ``--rounds`` alternating rounds of each, about ``--requests`` requests in all per server.

    Alternating spreads a change in the machine's other load over both servers alike.
    """

    def run(server, seconds):
        if wrk:
            return run_wrk(wrk, server, scenario, path, seconds, args.connections)
        return run_python_client(server, scenario, path, seconds, args.connections)

    shortest, longest = args.seconds
    durations = {}
    for server in (api, baseline):
        warm = run(server, 3)
        durations[server.name] = min(longest, max(shortest, args.requests / max(warm.rate, 0.01))) / args.rounds
    rounds = {api.name: [], baseline.name: []}
    for _ in range(args.rounds):
        for server in (api, baseline):
            load = run(server, durations[server.name])
            if load.errors:
                raise RuntimeError(f"{server.name} {scenario}: {load.errors} failed requests under load.")
            rounds[server.name].append(load)
    return tuple(combined(rounds[server.name]) for server in (api, baseline))


def combined(loads):
    """One figure of several rounds: their requests over their time; latencies weighted by requests."""
    requests = sum(load.requests for load in loads)
    return Load(
        loads[0].server,
        loads[0].scenario,
        requests,
        sum(load.seconds for load in loads),
        sum(load.median_ms * load.requests for load in loads) / requests,
        sum(load.p95_ms * load.requests for load in loads) / requests,
        sum(load.errors for load in loads),
        loads[0].tool,
    )


# --- profiling in this process ----------------------------------------------------------------


class Probe:
    """Wall time of a request split by what is running: each wrapped function's time counts for
    its category, minus the time of wrapped functions it calls (which count for theirs)."""

    def __init__(self):
        self.totals = {}
        self.database_by_phase = {}
        self.queries = 0
        self.stack = []
        self.phases = []
        self.restore = []

    def wrap(self, owner, name, category, phase=None):
        original = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name, None)
        if original is None:
            print(f"    (profile: {getattr(owner, '__name__', owner)}.{name} not found; its time counts as framework)")
            return
        probe = self

        def timed(*args, **kwargs):
            probe.enter(category, phase)
            try:
                return original(*args, **kwargs)
            finally:
                probe.leave()

        setattr(owner, name, timed)
        self.restore.append((owner, name, original))

    def enter(self, category, phase):
        if phase:
            self.phases.append(phase)
        self.stack.append([category, time.perf_counter(), 0.0, bool(phase)])

    def leave(self):
        category, began, inner, phased = self.stack.pop()
        elapsed = time.perf_counter() - began
        self.totals[category] = self.totals.get(category, 0.0) + elapsed - inner
        if category == "database":
            self.queries += 1
            phase = self.phases[-1] if self.phases else "framework"
            self.database_by_phase[phase] = self.database_by_phase.get(phase, 0.0) + elapsed - inner
        if self.stack:
            self.stack[-1][2] += elapsed
        if phased:
            self.phases.pop()

    def unwrap(self):
        for owner, name, original in reversed(self.restore):
            setattr(owner, name, original)
        self.restore.clear()


def wrap_api(probe):
    from django.db.backends.utils import CursorWrapper
    from django.db.models.query import QuerySet
    from django.db.models.sql.compiler import SQLCompiler

    from tracker.api import pagination, shapes, views

    probe.wrap(CursorWrapper, "execute", "database")
    probe.wrap(CursorWrapper, "executemany", "database")
    probe.wrap(SQLCompiler, "as_sql", "ORM")
    probe.wrap(QuerySet, "_fetch_all", "ORM")
    probe.wrap(views.RecordViewSet, "rows_queryset", "ORM", phase="filters")
    probe.wrap(pagination.KeysetPage, "rows", "ORM", phase="page")
    probe.wrap(views, "facet_counts", "ORM", phase="facets")
    probe.wrap(shapes.Renderer, "render", "rendering", phase="render")
    probe.wrap(views, "body_tag", "JSON", phase="JSON")
    probe.wrap(views.OrjsonRenderer, "render", "JSON", phase="JSON")


def wsgi_get(handler, path, host):
    split = urlsplit(path)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": split.path,
        "QUERY_STRING": split.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    status = []
    body = b"".join(handler(environ, lambda s, h, exc_info=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{path}: {status[0]} {body[:500]!r}")
    return body


@dataclass
class Profile:
    scenario: str
    total_ms: float
    parts: dict  # category → ms a request
    database_by_phase: dict
    queries: int
    slowest: list = field(default_factory=list)
    baseline_ms: float = 0.0
    baseline_database_ms: float = 0.0
    baseline_queries: int = 0


def profile_baseline(path):
    """(ms a request, ms in psycopg's execute, statements) of the baseline, called in this process."""
    split = urlsplit(path)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": split.path,
        "QUERY_STRING": split.query,
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
    }
    probe = Probe()
    probe.wrap(psycopg.Cursor, "execute", "database")
    try:
        for _ in range(3):
            b"".join(baseline_app(environ, lambda *a: None))
        probe.totals.clear()
        probe.queries = 0
        began = time.perf_counter()
        for _ in range(PROFILE_REQUESTS):
            b"".join(baseline_app(environ, lambda *a: None))
        total = (time.perf_counter() - began) / PROFILE_REQUESTS
    finally:
        probe.unwrap()
    return total * 1000, probe.totals.get("database", 0.0) / PROFILE_REQUESTS * 1000, probe.queries // PROFILE_REQUESTS


def profile(paths, out_dir):
    """Per scenario: the split of a request's time, the statements and the slowest, a cProfile file."""
    import cProfile

    from django.core.wsgi import get_wsgi_application
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collected static files
    handler = get_wsgi_application()
    out_dir.mkdir(parents=True, exist_ok=True)
    profiles = []
    for name, path in paths:
        for _ in range(3):
            wsgi_get(handler, path, "127.0.0.1")
        # The split: a probe around the layers, DEBUG off, statements not recorded.
        probe = Probe()
        wrap_api(probe)
        try:
            began = time.perf_counter()
            for _ in range(PROFILE_REQUESTS):
                wsgi_get(handler, path, "127.0.0.1")
            total = (time.perf_counter() - began) / PROFILE_REQUESTS
        finally:
            probe.unwrap()
        parts = {key: value / PROFILE_REQUESTS * 1000 for key, value in probe.totals.items()}
        parts["framework"] = total * 1000 - sum(parts.values())
        by_phase = {key: value / PROFILE_REQUESTS * 1000 for key, value in probe.database_by_phase.items()}
        # The statements, in a separate pass (recording them costs time of its own).
        with CaptureQueriesContext(connection) as captured:
            wsgi_get(handler, path, "127.0.0.1")
        statements = [q for q in captured.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
        slowest = sorted(statements, key=lambda q: float(q["time"]), reverse=True)[:3]
        # cProfile of a few more requests, for digging (python -m pstats FILE).
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(3):
            wsgi_get(handler, path, "127.0.0.1")
        profiler.disable()
        profiler.dump_stats(out_dir / f"{name.split()[0].replace('=', '-')}.pstats")
        baseline_ms, baseline_database_ms, baseline_queries = profile_baseline(path)
        profiles.append(
            Profile(
                name,
                total * 1000,
                parts,
                by_phase,
                round(probe.queries / PROFILE_REQUESTS),
                [(float(q["time"]) * 1000, " ".join(q["sql"].split())[:160]) for q in slowest],
                baseline_ms,
                baseline_database_ms,
                baseline_queries,
            )
        )
    return profiles


# --- report -----------------------------------------------------------------------------------

PART_ORDER = ("database", "ORM", "rendering", "JSON", "framework")


def report(args, info, sizes, loads, profiles, began_at):
    lines = []
    out = lines.append
    out(f"Measured {began_at:%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, code `{info['code']}`: ")
    out(
        f"{info['published measures']:,} published measures ({args.measures:,} synthetic), "
        f"{info['events']:,} events, {info['citations']:,} citations; database {info['database size']}; "
        f"{info['postgresql'].split(' on ')[0]}, Python {platform.python_version()}."
    )
    out(
        f"gunicorn {args.workers} workers × {args.threads} thread (gthread, keep-alive), "
        f"`DATABASE_CONN_MAX_AGE=600`, DEBUG off; load by {loads[0].tool} with {args.connections} keep-alive "
        f"connections, about {args.requests} requests (within {args.seconds[0]}–{args.seconds[1]} s) per line "
        f"in {args.rounds} alternating rounds; load average {info['load average before'][0]:.1f} before the load, "
        f"{info['load average after'][0]:.1f} after (other processes on the machine)."
    )
    out("")
    out(
        "| scenario | results / matching | body | API req/s | median ms | p95 ms "
        "| baseline req/s | median ms | p95 ms | API ÷ baseline |"
    )
    out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    by = {(load.server, load.scenario): load for load in loads}
    for name, _ in SCENARIOS:
        api, base = by[("api", name)], by[("baseline", name)]
        shown, matched, body = sizes[name]
        out(
            f"| {name} | {shown} / {matched:,} | {body / 1024:,.0f} KiB | {api.rate:,.1f} | {api.median_ms:,.0f} | "
            f"{api.p95_ms:,.0f} | {base.rate:,.1f} | {base.median_ms:,.0f} | {base.p95_ms:,.0f} | "
            f"**{api.rate / base.rate:.2f}** |"
        )
    out("")
    out(
        f"Where an API request's time goes, in this process (WSGI handler called directly, DEBUG off, "
        f"mean of {PROFILE_REQUESTS}), milliseconds:"
    )
    out("")
    out(
        "| scenario | total | database calls | ORM | rendering | JSON + ETag | framework | statements "
        "| database calls by phase | baseline: total | database calls | statements |"
    )
    out("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    for item in profiles:
        phases = ", ".join(
            f"{phase} {ms:,.1f}" for phase, ms in sorted(item.database_by_phase.items(), key=lambda kv: -kv[1])
        )
        cells = " | ".join(f"{item.parts.get(part, 0.0):,.1f}" for part in PART_ORDER)
        out(
            f"| {item.scenario} | {item.total_ms:,.1f} | {cells} | {item.queries} | {phases} "
            f"| {item.baseline_ms:,.1f} | {item.baseline_database_ms:,.1f} | {item.baseline_queries} |"
        )
    return "\n".join(lines)


def print_slowest(profiles):
    print()
    print("Slowest statements of one API request (CaptureQueriesContext):")
    for item in profiles:
        print(f"  {item.scenario}: {item.queries} statements")
        for ms, sql in item.slowest:
            print(f"    {ms:8.1f} ms  {sql}")


# --- main -------------------------------------------------------------------------------------


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    began_at = datetime.datetime.now(datetime.UTC)
    started = time.perf_counter()
    from bench.write_path import code_version, drop_database, setup_django

    code = code_version()
    print(f"Code: {code}")
    created = create_database(args.database_url, args.reuse)
    name = urlsplit(args.database_url).path.lstrip("/")
    print(f"{'Created' if created else 'Reusing'} {name}.")
    running = []
    cleaned = []

    def clean_up():
        if cleaned:
            return
        cleaned.append(True)
        for server in running:
            server.stop()
        if args.keep:
            print(f"Kept the database {name}.")
        else:
            drop_database(args.database_url)
            print(f"Dropped the database {name}.")
        print(f"The run took {(time.perf_counter() - started) / 60:,.1f} minutes.")

    def interrupted(signum, frame):
        # Cleaned up here rather than by raising KeyboardInterrupt, which Python drops when it
        # lands in a finalizer; the interrupted work is not resumed.
        print("Interrupted.", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        clean_up()
        os._exit(130)

    # SIGINT too where it was inherited ignored (a run started in the background).
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        # The profiling step runs the API in this process, under the servers' settings.
        os.environ.update(server_environment(args))
        setup_django(args.database_url)
        info = prepare_data(args)
        info["code"] = code
        api, baseline = servers(args)
        for server in (api, baseline):
            server.start()
            running.append(server)
        for server in (api, baseline):
            server.wait_ready(f"{LIST_PATH}?page_size=1")
        print(f"Servers: API {api.base}, baseline {baseline.base}.")
        print("Checking that both serve the same documents:")
        paths, sizes = scenario_paths(api, baseline)
        wrk = find_wrk()
        print("Load:")
        loads = []
        info["load average before"] = os.getloadavg()
        if info["load average before"][0] > 1.0:
            print(
                f"  The machine is busy (load average {info['load average before'][0]:.1f} before the load): "
                "other processes share the two cores, so the figures are lower and noisier than on a quiet machine."
            )
        for scenario, path in paths:
            for load in measure(args, wrk, api, baseline, scenario, path):
                loads.append(load)
                print(
                    f"  {scenario:<22} {load.server:<8} {load.rate:8.1f} req/s  median {load.median_ms:7.1f} ms  "
                    f"p95 {load.p95_ms:7.1f} ms  ({load.requests} requests in {load.seconds:.1f} s)"
                )
        info["load average after"] = os.getloadavg()
        for server in running:
            server.stop()
        print("Profiling the API in this process:")
        profiles = profile(paths, ROOT / "var" / "bench-api")
        print_slowest(profiles)
        text = report(args, info, sizes, loads, profiles, began_at)
        print()
        print(text)
        print()
        print(f"cProfile files: {ROOT / 'var' / 'bench-api'}/*.pstats (python -m pstats FILE)")
        if args.markdown:
            args.markdown.write_text(text + "\n")
            print(f"Wrote {args.markdown}.")
    finally:
        clean_up()
    return 0


if __name__ == "__main__":
    sys.exit(main())
