"""Bulk downloads: every record as one JSON document, each record type as CSV, and the
organizations and the measures that hit them as FollowTheMoney entities.

Every download is streamed and reads in constant memory: each table is read by one query
per stream through ``.iterator(chunk_size=CHUNK)``, and what a chunk of rows links to
(many-to-many keys, aliases, details, citations) is fetched in one query per chunk and per
kind of link, or read from a second stream sorted the same way and merged as it goes.  The
number of queries depends on the number of chunks, never on the number of rows.

Links are written as natural keys: a slug or a code, or a list of key parts for a record
whose key has several (a citation: measure, source, locator).  A CSV spreads such a key
over one column per part (``citation_instrument``, ``citation_source``, ``citation_locator``)
and joins many-to-many keys with ``|``.

Who sees what
    A user who may view a model (``tracker.view_<model>``, and for a part such as a
    citation also its record's model) sees its rows as they stand, drafts included.
    Everyone else, anonymous readers first, sees what readers see on the site:

    - a reviewed record (``ReviewedModel``) only once published, and in its *published
      version*: a record whose latest revision is a draft or in review is read from its
      history row of ``version == published_version`` (the latest such row);
    - a part (citation, event, detail, alias, participant, subject) only of a published
      record, and as it stood in that record's published version: read from the part's
      history as of the record's ``published_at`` (as ``tracker.services.published_parts``);
    - a link only to a record they may see (a hidden record's key is written as null and
      left out of many-to-many lists).

    The published version is found set-based (one history query per table, filtered by a
    subquery), never with a query per row.  Links of a published version read from
    history are the links its history row recorded; the keys they resolve to are the
    linked records' current keys.  Scopes, a fixed vocabulary, are always visible.

Caching
    Each download has a weak ``ETag`` computed from the data's state without reading its
    rows: per record model, the number of rows and the latest ``updated`` (every write,
    publication and link change moves the ``updated`` of the record it touches), plus the
    reader's visibility class.  ``If-None-Match`` with that tag answers 304 before anything
    is streamed.  The tag is weak because the JSON document carries its ``generated_at``.

Throttling and authentication are DRF's (``REST_FRAMEWORK`` settings): the views are
``APIView`` subclasses whose ``get`` returns a ``StreamingHttpResponse``.  On PostgreSQL a
download outside a transaction is read in one ``REPEATABLE READ`` snapshot, so its tables
agree with each other however long the client takes to read it.
"""

import csv
import datetime
import decimal
import hashlib
import heapq
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice

import orjson
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import CharField, Count, F, Max, OuterRef, Q, Subquery, Value
from django.http import Http404, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker.choices import (
    EditorialState,
    ExportControlForm,
    InstrumentKind,
    InstrumentStatus,
    OrganizationKind,
)
from tracker.models import (
    Ban,
    ExportControl,
    Fund,
    FundParticipant,
    Indicator,
    IndicatorCitation,
    IndicatorSubject,
    InstrumentCitation,
    InstrumentEvent,
    Jurisdiction,
    Lab,
    Organization,
    OrganizationAlias,
    PilotZone,
    PolicyInstrument,
    Product,
    Source,
    StackLayer,
    StackLayerCitation,
    Subsidy,
    record_models,
)
from tracker.models.base import ReviewedModel, format_partial_date

CHUNK = 2000  # rows fetched at a time, and rows whose links are fetched together
BUFFER = 64 * 1024  # bytes gathered before a piece of the response is sent
FORMAT_VERSION = "1"  # part of every ETag: change it when the downloads' shape changes

# The CSV download of each record model, by URL name; listed in the index in this order.
CSV_NAMES = {
    PolicyInstrument: "instruments",
    Organization: "organizations",
    Jurisdiction: "jurisdictions",
    Source: "sources",
    Indicator: "indicators",
    StackLayer: "layers",
    Product: "products",
    InstrumentCitation: "instrument-citations",
    InstrumentEvent: "events",
    Fund: "funds",
    FundParticipant: "fund-participants",
    Lab: "labs",
    Subsidy: "subsidies",
    PilotZone: "pilot-zones",
    ExportControl: "export-controls",
    Ban: "bans",
    OrganizationAlias: "organization-aliases",
    IndicatorCitation: "indicator-citations",
    IndicatorSubject: "indicator-subjects",
    StackLayerCitation: "layer-citations",
}


def csv_downloads():
    """{URL name: model} for every record model; a model added later gets a name from its
    verbose name rather than going missing from the downloads."""
    models = record_models()
    ordered = [model for model in CSV_NAMES if model in models] + [m for m in models if m not in CSV_NAMES]
    return {CSV_NAMES.get(model) or slugify(model._meta.verbose_name_plural): model for model in ordered}


# --- natural keys and visibility ---------------------------------------------------------------

# Natural keys of more than one part, as lookups from the record (``natural_key()`` order).
COMPOSITE_KEYS = {
    InstrumentCitation: ("instrument__slug", "source__slug", "locator"),
    IndicatorCitation: ("indicator__slug", "source__slug", "locator"),
    StackLayerCitation: ("layer__code", "source__slug", "locator"),
    InstrumentEvent: ("instrument__slug", "kind", "sequence"),
    FundParticipant: ("fund__instrument__slug", "organization__slug", "role"),
    OrganizationAlias: ("organization__slug", "name"),
}


def key_lookups(model):
    """The lookups that give a record's natural key, as ``natural_key()`` returns it."""
    if model in COMPOSITE_KEYS:
        return COMPOSITE_KEYS[model]
    names = {field.name for field in model._meta.concrete_fields}
    for name in ("slug", "code"):
        if name in names:
            return (name,)
    if "instrument" in names:  # a measure's one-to-one detail
        return ("instrument__slug",)
    raise LookupError(f"{model._meta.label} has no natural key the exports know")


def root_chain(model):
    """The foreign keys from a part to the record it belongs to (``version_parent`` upwards),
    and that record's model: ``(("fund", "instrument"), PolicyInstrument)`` for a participant."""
    chain = []
    while getattr(model, "version_parent", None):
        chain.append(model.version_parent)
        model = model._meta.get_field(model.version_parent).related_model
    return tuple(chain), model


def lookup(*parts):
    return "__".join(part for part in parts if part)


class Visibility:
    """Which models a user sees in full; of the others, only what readers see (module docstring)."""

    def __init__(self, user):
        models = record_models()
        self.records = frozenset(models)
        may_view = {model for model in models if user is not None and user.has_perm(self.permission(model))}
        self.full = frozenset(model for model in may_view if root_chain(model)[1] in may_view)

    @staticmethod
    def permission(model):
        return f"{model._meta.app_label}.view_{model._meta.model_name}"

    def sees_all(self, model):
        return model in self.full or model not in self.records

    def guard(self, model, prefix=""):
        """A lookup (from ``prefix``) that is null when a linked ``model`` row is hidden; None
        when every row is visible."""
        if self.sees_all(model):
            return None
        chain, root = root_chain(model)
        if not issubclass(root, ReviewedModel):
            return None
        return lookup(prefix, *chain, "published_version")

    @property
    def tag(self):
        return "public" if not self.full else "full:" + ",".join(sorted(m._meta.label_lower for m in self.full))


# --- columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One value of a row: a field, a link's natural key, or a many-to-many list of keys.

    ``select`` are the lookups read (from the row, or from the link's target when ``many``);
    ``guard`` a lookup that is null when the linked record is hidden from the reader.
    """

    name: str
    select: tuple
    guard: str | None = None
    composite: bool = False
    many: object = None  # the many-to-many field

    def headers(self):
        if not self.composite:
            return [self.name]
        own = [part.removeprefix(f"{self.name}__") for part in self.select] if self.many is None else self.select
        return [f"{self.name}_{part.split('__')[0]}" for part in own]


def field_column(model, name, visibility):
    model_field = model._meta.get_field(name)
    if model_field.many_to_many:
        target = model_field.related_model
        keys = key_lookups(target)
        return Column(name, keys, guard=visibility.guard(target), composite=len(keys) > 1, many=model_field)
    if model_field.is_relation:
        target = model_field.related_model
        keys = tuple(lookup(name, part) for part in key_lookups(target))
        return Column(name, keys, guard=visibility.guard(target, name), composite=len(keys) > 1)
    return Column(name, (model_field.attname,))


def record_columns(model, visibility, names=None):
    """The columns of a model's download: every field but the id, then the many-to-many links."""
    if names is None:
        names = [f.name for f in model._meta.concrete_fields if not f.primary_key]
        names += [f.name for f in model._meta.many_to_many]
    return [field_column(model, name, visibility) for name in names]


# --- reading rows as a user sees them ----------------------------------------------------------


@dataclass
class Row:
    id: int
    parent_id: int | None  # the ``version_parent`` foreign key's value, for a part
    values: dict


def chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def history_through(model, many):
    """The table in which django-simple-history keeps a many-to-many link of history rows."""
    history = model.history.model
    return apps.get_model(history._meta.app_label, f"{history._meta.object_name}_{many.name}")


class Table:
    """The rows of one model as a user sees them, in order, read in chunks (module docstring).

    Records come in ``id`` order, parts in ``(parent id, id)`` order, so that a stream of
    parts can be merged with the stream of their records (``Merge``).
    """

    def __init__(self, model, visibility, columns, where=None):
        self.model = model
        self.visibility = visibility
        self.columns = columns
        self.where = where or Q()
        self.chain, self.root = root_chain(model)
        self.parent = model._meta.get_field(self.chain[0]).attname if self.chain else None
        self.order = [self.parent, "id"] if self.parent else ["id"]
        self.id_index = len(self.order) - 1
        self.reviewed_row = issubclass(model, ReviewedModel)
        self.plain = [column for column in columns if column.many is None]
        self.links = [column for column in columns if column.many is not None]
        self.selects = list(self.order)  # the sort key first: (parent id,) id
        self.positions = {}
        for column in self.plain:
            start = len(self.selects)
            self.selects.extend(column.select)
            guard = None
            if column.guard:
                guard = len(self.selects)
                self.selects.append(column.guard)
            self.positions[column.name] = (start, len(column.select), guard)

    def __iter__(self):
        for chunk in chunks(self._merged(), CHUNK):
            current = [row for row, history_id in chunk if history_id is None]
            past = [history_id for row, history_id in chunk if history_id is not None]
            ids = [row[self.id_index] for row in current]
            links = {column.name: self._links(column, ids, past) for column in self.links}
            for row, history_id in chunk:
                yield self._row(row, history_id, links)

    # the two streams: today's rows, and published versions read from history

    def _merged(self):
        width = len(self.order)
        current = ((row, None) for row in self._current())
        if self.visibility.sees_all(self.model):
            return current
        return heapq.merge(current, self._published_from_history(), key=lambda item: item[0][:width])

    def _current(self):
        queryset = self.model._base_manager.filter(self.where)
        if not self.visibility.sees_all(self.model):
            # Today's row is the published version when the record stands published.
            queryset = queryset.filter(**{lookup(*self.chain, "editorial_state"): EditorialState.PUBLISHED})
        return queryset.order_by(*self.order).values_list(*self.selects).iterator(chunk_size=CHUNK)

    def _published_from_history(self):
        history = self.model.history.model.objects
        root = lookup(*self.chain)
        swapped = Q(**{lookup(root, "published_version__isnull"): False}) & ~Q(
            **{lookup(root, "editorial_state"): EditorialState.PUBLISHED}
        )
        if not self.chain:
            # The record's own history row of its published version.
            published = self.model._base_manager.filter(swapped)
            version = published.filter(pk=OuterRef("id")).values("published_version")
            queryset = history.filter(self.where, id__in=published.values("id"), version=Subquery(version)).exclude(
                history_type="-"
            )
        else:
            # The part as it stood when its record was published.  ``published_at`` is set when
            # the publishing change set closes, after the parts it wrote (``tracker.services.
            # context``), so it, not the date of the record's own history row, is the moment.
            queryset = history.filter(self.where, swapped, history_date__lte=F(lookup(root, "published_at")))
        rows = (
            queryset.order_by(*self.order, "-history_date", "-history_id")
            .values_list(*self.selects, "history_id", "history_type")
            .iterator(chunk_size=CHUNK)
        )
        last = None
        for row in rows:
            if row[self.id_index] == last:
                continue  # an older row of a record already given
            last = row[self.id_index]
            if row[-1] != "-":  # a part deleted by then is not part of the version
                yield row[:-2], row[-2]

    # values

    def _links(self, column, ids, history_ids):
        """{("row", id) or ("history", history id): [keys]} of a many-to-many link, one query each."""
        many = column.many
        target = many.m2m_reverse_field_name()
        keys = [lookup(target, part) for part in column.select]
        guard = {lookup(target, column.guard, "isnull"): False} if column.guard else {}
        found = defaultdict(list)
        if ids:
            owner = f"{many.m2m_field_name()}_id"
            pairs = many.remote_field.through.objects.filter(**{f"{owner}__in": ids}, **guard)
            for owner_id, *key in pairs.values_list(owner, *keys).order_by(*keys):
                found["row", owner_id].append(key if column.composite else key[0])
        if history_ids:
            pairs = history_through(self.model, many).objects.filter(history_id__in=history_ids, **guard)
            for history_id, *key in pairs.values_list("history_id", *keys).order_by(*keys):
                found["history", history_id].append(key if column.composite else key[0])
        return found

    def _row(self, row, history_id, links):
        values = {}
        for column in self.columns:
            if column.many is not None:
                owner = ("row", row[self.id_index]) if history_id is None else ("history", history_id)
                values[column.name] = links[column.name].get(owner, [])
                continue
            start, width, guard = self.positions[column.name]
            if guard is not None and row[guard] is None:
                values[column.name] = None
            elif column.composite:
                parts = list(row[start : start + width])
                values[column.name] = None if all(part is None for part in parts) else parts
            else:
                values[column.name] = row[start]
        if history_id is not None and self.reviewed_row and "editorial_state" in values:
            values["editorial_state"] = EditorialState.PUBLISHED  # the version readers see
        return Row(id=row[self.id_index], parent_id=row[0] if self.parent else None, values=values)


class Merge:
    """Rows of a stream sorted by a key, taken for ascending keys: a merge join in constant memory."""

    def __init__(self, rows, key):
        self.rows = iter(rows)
        self.key = key
        self.next = next(self.rows, None)

    def take(self, value):
        found = []
        while self.next is not None and self.key(self.next) < value:
            self.next = next(self.rows, None)
        while self.next is not None and self.key(self.next) == value:
            found.append(self.next)
            self.next = next(self.rows, None)
        return found


def parent_key(row):
    return row.parent_id


# --- formats -----------------------------------------------------------------------------------


def json_default(value):
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dump(value):
    return orjson.dumps(value, default=json_default, option=orjson.OPT_UTC_Z)


def json_document(visibility):
    """``{"generated_at": ..., "records": {"<model label>": [record, ...], ...}}``, piece by piece."""
    yield b'{"generated_at":' + dump(timezone.now()) + b',"records":{'
    for number, model in enumerate(record_models()):
        yield (b"," if number else b"") + dump(model._meta.label_lower) + b":["
        separator = b""
        for row in Table(model, visibility, record_columns(model, visibility)):
            yield separator + dump(row.values)
            separator = b","
        yield b"]"
    yield b"}}"


class Echo:
    """A file-like object that hands back what is written: ``csv.writer`` over a stream."""

    def write(self, value):
        return value


def csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_rows(model, visibility, where=None):
    """A header row of field names, then one line per row (of those ``where`` selects, if given);
    UTF-8 without a byte-order mark."""
    columns = record_columns(model, visibility)
    writer = csv.writer(Echo())
    yield writer.writerow([header for column in columns for header in column.headers()]).encode()
    for row in Table(model, visibility, columns, where):
        cells = []
        for column in columns:
            value = row.values[column.name]
            if column.many is not None:
                keys = ["/".join(csv_cell(part) for part in key) if column.composite else key for key in value]
                cells.append("|".join(csv_cell(key) for key in keys))
            elif column.composite:
                cells.extend(csv_cell(part) for part in (value or [None] * len(column.select)))
            else:
                cells.append(csv_cell(value))
        yield writer.writerow(cells).encode()


# --- FollowTheMoney ----------------------------------------------------------------------------

# The FtM schema of each kind of organization; kinds not named are an ``Organization``.
FTM_SCHEMAS = {
    OrganizationKind.GOVERNMENT_BODY: "PublicBody",
    OrganizationKind.LEGISLATURE: "PublicBody",
    OrganizationKind.HEAD_OF_GOVERNMENT: "PublicBody",
    OrganizationKind.PARTY_ORGAN: "PublicBody",
    OrganizationKind.COMPANY: "Company",
    OrganizationKind.STATE_OWNED_ENTERPRISE: "Company",
}
# FtM topics (OpenSanctions' vocabulary) that follow from an organization's kind alone.
FTM_TOPICS = {
    OrganizationKind.GOVERNMENT_BODY: "gov",
    OrganizationKind.LEGISLATURE: "gov.legislative",
    OrganizationKind.HEAD_OF_GOVERNMENT: "gov.executive",
    OrganizationKind.PARTY_ORGAN: "pol.party",
    OrganizationKind.STATE_OWNED_ENTERPRISE: "gov.soe",
    OrganizationKind.INTERNATIONAL: "gov.igo",
    OrganizationKind.FUND: "fin.fund",
}
# Measures written as ``Sanction`` entities, one per (measure, target organization).
SANCTION_KINDS = (InstrumentKind.BAN, InstrumentKind.EXPORT_CONTROL, InstrumentKind.ENTITY_LISTING)
# FtM's length limits of the property types used (name, string, text).
NAME_LIMIT, STRING_LIMIT, TEXT_LIMIT = 384, 1024, 65000


def ftm_organization_id(slug):
    return f"tracker-org-{slug}"


def ftm_sanction_id(measure_slug, organization_slug):
    return f"tracker-sanction-{measure_slug}-{organization_slug}"


def ftm_country(code):
    """The FtM country of a jurisdiction: its code's ISO 3166-1 part, lower-case (CN-SH → cn)."""
    return code[:2].lower() if code else None


def clip(text, limit):
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def ftm_entity(entity_id, schema, properties, limits):
    """An entity as FtM's JSON form, with empty and repeated values left out."""
    cleaned = {}
    for name, values in properties.items():
        kept = []
        for value in values:
            if value is None or value == "":
                continue
            value = clip(str(value), limits.get(name, STRING_LIMIT))
            if value not in kept:
                kept.append(value)
        if kept:
            cleaned[name] = kept
    return {"id": entity_id, "schema": schema, "properties": cleaned}


ORGANIZATION_LIMITS = {"name": NAME_LIMIT, "alias": NAME_LIMIT, "abbreviation": NAME_LIMIT, "description": TEXT_LIMIT}
SANCTION_LIMITS = {"summary": TEXT_LIMIT}


def ftm_organizations(visibility):
    """Each organization as a ``PublicBody``, ``Company`` or ``Organization``."""
    columns = record_columns(
        Organization,
        visibility,
        ["slug", "name_en", "name_zh", "abbreviation", "kind", "website", "description", "updated", "parent"],
    ) + [Column("country", ("jurisdiction__code",), guard=visibility.guard(Jurisdiction, "jurisdiction"))]
    aliases = Merge(Table(OrganizationAlias, visibility, [Column("name", ("name",))]), parent_key)
    for row in Table(Organization, visibility, columns):
        values = row.values
        parent = values["parent"]
        yield ftm_entity(
            ftm_organization_id(values["slug"]),
            FTM_SCHEMAS.get(values["kind"], "Organization"),
            {
                "name": [values["name_en"], values["name_zh"]],
                "alias": [alias.values["name"] for alias in aliases.take(row.id)],
                "abbreviation": [values["abbreviation"]],
                "country": [ftm_country(values["country"])],
                "website": [values["website"]],
                "description": [values["description"]],
                "parent": [ftm_organization_id(parent) if parent else None],
                "topics": [FTM_TOPICS.get(values["kind"])],
                "modifiedAt": [values["updated"].strftime("%Y-%m-%dT%H:%M:%S")],
            },
            ORGANIZATION_LIMITS,
        )


def first_date(values, *names):
    for name in names:
        if values[name] is not None:
            return format_partial_date(values[name], values[f"{name}_precision"])
    return None


def ftm_sanctions(visibility):
    """Each ban, export control and entity listing as one ``Sanction`` per organization it targets."""
    names = [
        "slug",
        "title_en",
        "title_zh",
        "summary_en",
        "status",
        "url",
        *(
            f"{date}{suffix}"
            for date in ("announced", "effective_from", "effective_until", "rescinded")
            for suffix in ("", "_precision")
        ),
        "targets",
    ]
    organization_guard = visibility.guard(Organization)
    columns = record_columns(PolicyInstrument, visibility, names) + [
        Column("country", ("jurisdiction__code",), guard=visibility.guard(Jurisdiction, "jurisdiction")),
        Column("authority", ("issuing_body__name_en",), guard=visibility.guard(Organization, "issuing_body")),
        Column(
            "co_issuers",
            ("name_en",),
            guard=organization_guard,
            many=PolicyInstrument._meta.get_field("co_issuers"),
        ),
    ]
    measures = Table(PolicyInstrument, visibility, columns, where=Q(kind__in=SANCTION_KINDS))
    bans = Merge(
        Table(
            Ban,
            visibility,
            [Column("scope_detail", ("scope_detail",)), Column("scopes", ("name_en",), many=Ban.scopes.field)],
        ),
        parent_key,
    )
    controls = Merge(
        Table(ExportControl, visibility, record_columns(ExportControl, visibility, ["legal_form", "controlled_items"])),
        parent_key,
    )
    sources = Merge(
        Table(
            InstrumentCitation,
            visibility,
            [Column("url", ("source__url",), guard=visibility.guard(Source, "source"))],
        ),
        parent_key,
    )
    for row in measures:
        values = row.values
        provisions = []
        for ban in bans.take(row.id):
            provisions += [*ban.values["scopes"], ban.values["scope_detail"]]
        for control in controls.take(row.id):
            form = control.values["legal_form"]
            provisions += [ExportControlForm(form).label if form else None, control.values["controlled_items"]]
        urls = [values["url"], *(citation.values["url"] for citation in sources.take(row.id))]
        properties = {
            "authority": [values["authority"], *values["co_issuers"]],
            "program": [values["title_en"], values["title_zh"]],
            "provisions": provisions,
            "country": [ftm_country(values["country"])],
            "startDate": [first_date(values, "effective_from", "announced")],
            "endDate": [first_date(values, "effective_until", "rescinded")],
            "status": [InstrumentStatus(values["status"]).label],
            "sourceUrl": urls,
            "summary": [values["summary_en"]],
            "recordId": [values["slug"]],
        }
        for target in values["targets"]:
            yield ftm_entity(
                ftm_sanction_id(values["slug"], target),
                "Sanction",
                {"entity": [ftm_organization_id(target)], **properties},
                SANCTION_LIMITS,
            )


def ftm_lines(visibility):
    for entity in ftm_organizations(visibility):
        yield orjson.dumps(entity) + b"\n"
    for entity in ftm_sanctions(visibility):
        yield orjson.dumps(entity) + b"\n"


# --- HTTP ----------------------------------------------------------------------------------------


def data_etag(visibility, download):
    """A weak ETag from the data's state, in one query: per record model, rows and latest change."""
    queries = [
        model._base_manager.order_by()
        .annotate(model=Value(model._meta.label_lower, output_field=CharField()))
        .values("model")
        .annotate(rows=Count("pk"), last=Max("updated"))
        .values_list("model", "rows", "last")
        for model in record_models()
    ]
    state = sorted(queries[0].union(*queries[1:], all=True), key=lambda entry: entry[0])
    digest = hashlib.sha256(
        repr((FORMAT_VERSION, download, visibility.tag, [(m, n, str(last)) for m, n, last in state])).encode()
    ).hexdigest()
    return f'W/"{digest[:32]}"'


@contextmanager
def read_snapshot(using=DEFAULT_DB_ALIAS):
    """On PostgreSQL, one consistent snapshot for the whole download (none inside a transaction
    already open, as in tests; SQLite's locking would block writers for the download's length)."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def buffered(pieces):
    """The pieces gathered into blocks of about ``BUFFER`` bytes, read in one snapshot."""
    with read_snapshot():
        block = []
        size = 0
        for piece in pieces:
            block.append(piece)
            size += len(piece)
            if size >= BUFFER:
                yield b"".join(block)
                block, size = [], 0
        if block:
            yield b"".join(block)


class FirstRenderer(BaseContentNegotiation):
    """Ignore the client's ``Accept``: a download has one format, named by its URL, and an
    error (throttled, not found) is JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportView(APIView):
    """A download: DRF's authentication and throttles, read-only, any reader."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = FirstRenderer
    http_method_names = ["get", "head", "options"]


class DownloadView(ExportView):
    content_type = ""

    def download(self, **kwargs):
        """(name for the ETag, file name, pieces of the body given a ``Visibility``)."""
        raise NotImplementedError

    @extend_schema(
        summary="A bulk download, streamed",
        responses={
            200: OpenApiResponse(description="The download (JSON, CSV or FollowTheMoney JSON lines)."),
            304: OpenApiResponse(description="Unchanged since the ETag sent in If-None-Match."),
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such download."),
            429: OpenApiResponse(OpenApiTypes.OBJECT, description="Too many requests; see Retry-After."),
        },
    )
    def get(self, request, **kwargs):
        name, filename, pieces = self.download(**kwargs)
        visibility = Visibility(request.user)
        etag = data_etag(visibility, name)
        response = get_conditional_response(request, etag=etag)
        if response is None:
            response = StreamingHttpResponse(buffered(pieces(visibility)), content_type=self.content_type)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["ETag"] = etag
        response["Cache-Control"] = "private, max-age=0"
        return response


class JsonDownload(DownloadView):
    content_type = "application/json"

    def download(self):
        return "all.json", "ai-policy-tracker.json", json_document


class CsvDownload(DownloadView):
    content_type = "text/csv; charset=utf-8"

    def download(self, resource):
        model = csv_downloads().get(resource)
        if model is None:
            raise Http404(f"No download named {resource}.csv.")
        return f"{resource}.csv", f"ai-policy-tracker-{resource}.csv", lambda visibility: csv_rows(model, visibility)


class FtmDownload(DownloadView):
    content_type = "application/x-ndjson"

    def download(self):
        return "ftm.jsonl", "ai-policy-tracker.ftm.jsonl", ftm_lines


class DownloadIndex(ExportView):
    """The downloads, with their absolute URLs."""

    @extend_schema(summary="The bulk downloads", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        namespace = request.resolver_match.namespace if request.resolver_match else ""
        prefix = f"{namespace}:" if namespace else ""

        def url(name, **kwargs):
            return request.build_absolute_uri(reverse(f"{prefix}{name}", kwargs=kwargs))

        downloads = [
            {
                "name": "all",
                "format": "json",
                "media_type": JsonDownload.content_type,
                "url": url("exports-json"),
                "description": "Every record, by model, with natural keys for links.",
            },
            {
                "name": "ftm",
                "format": "ftm",
                "media_type": FtmDownload.content_type,
                "url": url("exports-ftm"),
                "description": "Organizations and the bans, export controls and entity listings that target them, "
                "as FollowTheMoney entities, one per line.",
            },
        ]
        for name, model in csv_downloads().items():
            downloads.append(
                {
                    "name": name,
                    "format": "csv",
                    "media_type": CsvDownload.content_type,
                    "model": model._meta.label_lower,
                    "url": url("exports-csv", resource=name),
                    "description": f"Every {model._meta.verbose_name}, one per line.",
                }
            )
        return Response({"downloads": downloads})


urlpatterns = [
    path("", DownloadIndex.as_view(), name="exports-index"),
    path("all.json", JsonDownload.as_view(), name="exports-json"),
    path("ftm.jsonl", FtmDownload.as_view(), name="exports-ftm"),
    path("<slug:resource>.csv", CsvDownload.as_view(), name="exports-csv"),
]
