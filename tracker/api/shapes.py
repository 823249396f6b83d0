"""What each record looks like in the API, and how a page of records is rendered.

Written by hand rather than with DRF's ``ModelSerializer``: a page is rendered from
plain attribute reads and a fixed set of bulk queries (one per kind of link or part),
whether its rows are today's records, the published version readers see, or history
rows as of a past moment.  The same declaration (``Resource``) gives the OpenAPI schema
(``tracker.api.schema``), the filters' field names and the write path's field list, so
the three cannot drift apart.  Stock serializers spend most of a list request building
field objects per value; this spends it in the database and in ``orjson``.
"""

import datetime
import decimal
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.cache import cache
from django.db.models import Max, Q
from django.urls import reverse

from tracker.choices import EditorialState
from tracker.models import (
    DETAIL_MODELS,
    ChangeSet,
    Fund,
    FundParticipant,
    Indicator,
    IndicatorCitation,
    IndicatorSubject,
    InstrumentCitation,
    InstrumentEvent,
    Jurisdiction,
    Organization,
    OrganizationAlias,
    PolicyInstrument,
    Product,
    Scope,
    Source,
    StackLayer,
    StackLayerCitation,
)
from tracker.models.base import ReviewedModel

# --- declarations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """Rows that belong to a record and are always embedded in it (events, aliases, details)."""

    name: str
    model: type
    parent_field: str
    fields: tuple
    links: tuple = ()  # foreign keys and many-to-many links to records, shown as summaries
    parts: tuple = ()
    one: bool = False  # a one-to-one detail: an object (or null), not a list
    compact: tuple = ()  # the fields shown unless the part is expanded (empty: always in full)


@dataclass(frozen=True)
class Resource:
    """A record type of the API: its endpoint, natural key, fields, links and parts."""

    name: str  # the URL segment: "instruments"
    model: type
    key: str  # the natural key's field: "slug" or "code"
    label: str  # the field that names it in a summary
    fields: tuple
    links: tuple = ()
    parts: tuple = ()
    # Model fields renamed in the API: the measure's ``url`` is its document's address,
    # since ``url`` in the API is always the record's own API address.
    renamed: dict = field(default_factory=dict)
    ordering: tuple = ()

    @property
    def reviewed(self):
        return issubclass(self.model, ReviewedModel)

    def api_name(self, name):
        return self.renamed.get(name, name)

    def expandable(self):
        return tuple(self.links) + tuple(part.name for part in self.parts if part.compact)


RECORD_FIELDS = ("version", "editorial_state", "published_version", "published_at", "created", "updated")

CITATION_FIELDS = ("locator", "role", "quote", "quote_language", "verbatim", "confidence", "note")


def citations(model, parent_field):
    return Part(
        "citations", model, parent_field, CITATION_FIELDS, links=("source",), compact=("source", "locator", "role")
    )


EVENTS = Part(
    "events",
    InstrumentEvent,
    "instrument",
    ("kind", "sequence", "date_kind", "date", "date_precision", "date_end", "reported_on", "note"),
    links=("citation",),
)

DETAIL_PARTS = {
    Fund: Part(
        "fund",
        Fund,
        "instrument",
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
        links=("vehicle", "stated_equivalent_citation"),
        parts=(Part("participants", FundParticipant, "fund", ("role", "share_percent"), links=("organization",)),),
        one=True,
    ),
}


def _detail_part(model):
    if model in DETAIL_PARTS:
        return DETAIL_PARTS[model]
    names, links = [], []
    for model_field in model._meta.get_fields():
        if model_field.auto_created and not model_field.concrete:
            continue
        if model_field.name in {"id", "instrument", *RECORD_FIELDS}:
            continue
        (links if model_field.is_relation else names).append(model_field.name)
    return Part(model.accessor_name(), model, "instrument", tuple(names), links=tuple(links), one=True)


def detail_parts():
    return tuple(_detail_part(model) for model in dict.fromkeys(DETAIL_MODELS.values()))


INSTRUMENTS = Resource(
    "instruments",
    PolicyInstrument,
    key="slug",
    label="title_en",
    fields=(
        "slug",
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
    ),
    links=(
        "jurisdiction",
        "issuing_body",
        "co_issuers",
        "part_of",
        "layers",
        "products",
        "targets",
        "affected_jurisdictions",
        "amends",
    ),
    parts=(EVENTS, citations(InstrumentCitation, "instrument"), *detail_parts()),
    renamed={"url": "document_url"},
    ordering=("slug", "title_en", "announced", "effective_from", "updated", "created"),
)

ORGANIZATIONS = Resource(
    "organizations",
    Organization,
    key="slug",
    label="name_en",
    fields=("slug", "name_en", "name_zh", "abbreviation", "kind", "website", "description"),
    links=("parent", "jurisdiction"),
    parts=(Part("aliases", OrganizationAlias, "organization", ("name", "language")),),
    ordering=("slug", "name_en", "updated", "created"),
)

JURISDICTIONS = Resource(
    "jurisdictions",
    Jurisdiction,
    key="code",
    label="name_en",
    fields=("code", "iso_code", "name_en", "name_zh", "level"),
    links=("parent",),
    ordering=("code", "name_en", "updated", "created"),
)

SOURCES = Resource(
    "sources",
    Source,
    key="slug",
    label="title",
    fields=(
        "slug",
        "title",
        "title_en",
        "kind",
        "publisher",
        "authors",
        "published",
        "published_precision",
        "url",
        "language",
        "identifier",
        "is_secondary",
    ),
    links=("publisher_organization", "translation_of"),
    renamed={"url": "web_url"},
    ordering=("slug", "title", "published", "updated", "created"),
)

INDICATORS = Resource(
    "indicators",
    Indicator,
    key="slug",
    label="subject_en",
    fields=(
        "slug",
        "subject_en",
        "subject_zh",
        "metric",
        "kind",
        "value",
        "value_max",
        "qualifier",
        "unit",
        "currency",
        "year",
    ),
    links=("instrument", "layers", "compares_with"),
    parts=(
        Part("subjects", IndicatorSubject, "indicator", ("role",), links=("jurisdiction", "organization")),
        citations(IndicatorCitation, "indicator"),
    ),
    ordering=("slug", "year", "updated", "created"),
)

LAYERS = Resource(
    "layers",
    StackLayer,
    key="code",
    label="name_en",
    fields=("code", "name_en", "name_zh", "definition", "position"),
    parts=(citations(StackLayerCitation, "layer"),),
    ordering=("position", "code", "updated"),
)

PRODUCTS = Resource(
    "products",
    Product,
    key="slug",
    label="name_en",
    fields=("slug", "name_en", "name_zh", "kind", "description"),
    links=("maker", "layer"),
    ordering=("slug", "name_en", "updated", "created"),
)

RESOURCES = {
    resource.model: resource
    for resource in (INSTRUMENTS, ORGANIZATIONS, JURISDICTIONS, SOURCES, INDICATORS, LAYERS, PRODUCTS)
}

# Records linked to that have no endpoint of their own: summarized by these fields.
PLAIN_SUMMARIES = {
    Scope: ("code", "name_en"),
}


def citation_summary_fields():
    return ("source", "locator")


# --- values ----------------------------------------------------------------------------------


def plain(value):
    """A stored value as JSON: dates in ISO 8601, amounts as exact decimal strings."""
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def model_field(model, name):
    return model._meta.get_field(name)


def history_link(model, name):
    """(table, query name) of a many-to-many link as django-simple-history records it:
    a table of its own whose rows point at the history row (``history``)."""
    query_name = f"{model.history.model._meta.model_name}_{name}"
    return model.history.model._meta.get_field(query_name).related_model, query_name


def is_many(model, name):
    return model_field(model, name).many_to_many


def data_version(model):
    """A token that changes whenever the model's rows or their links change: its newest
    history row (every save writes one, through the services or not) and change set."""
    newest = model.history.model.objects.aggregate(newest=Max("history_id"))["newest"]
    return f"{newest}.{ChangeSet.objects.aggregate(newest=Max('id'))['newest']}"


def plain_rows(queryset):
    """Rows as plain objects of their stored values (field attnames): what the renderer reads,
    without the cost of building model instances."""
    return [SimpleNamespace(**values) for values in queryset.values()]


# --- reading the rows: today's records, the published version, or a past moment --------------


class Reader:
    """Which version of the data a request sees.

    ``public``: only published records, each in its published version (a revision being
    drafted or reviewed stays invisible).  ``as_of``: the data as recorded at that moment,
    read from the history tables.  Every method runs one query whatever the number of rows.
    Rows are model instances or history rows; both carry the fields' attnames, and
    ``_moment`` (None for today's rows) says which moment their parts are read at.
    """

    def __init__(self, *, public, as_of=None):
        self.public = public
        self.as_of = as_of

    # records

    def history(self, model):
        return model.history

    def base_queryset(self, model):
        """The rows a list starts from (before filters): today's table, or history at ``as_of``."""
        if self.as_of is None:
            queryset = model._default_manager.all()
        else:
            queryset = (
                self.history(model).filter(history_date__lte=self.as_of).latest_of_each().exclude(history_type="-")
            )
        if self.public and issubclass(model, ReviewedModel):
            queryset = queryset.filter(published_version__isnull=False)
        return queryset

    def revised_ids(self, model):
        """Ids of published records whose latest version is a draft or in review, for a public
        reader of today's data (one query; usually few), else none."""
        if not (self.public and self.as_of is None and issubclass(model, ReviewedModel)):
            return []
        # Finding them reads the whole table; they change only with a write, so they are kept
        # in the cache under the table's data version.
        key = f"tracker-revised:{model._meta.label_lower}:{data_version(model)}"
        revised = cache.get(key)
        if revised is None:
            revised = list(
                model._base_manager.filter(published_version__isnull=False)
                .exclude(editorial_state=EditorialState.PUBLISHED)
                .values_list("id", flat=True)
            )
            cache.set(key, revised, timeout=3600)
        return revised

    def published_versions(self, model, ids):
        """History rows of the published versions of the records ``ids``."""
        versions = model._base_manager.filter(id__in=ids).values_list("id", "published_version")
        condition = Q()
        for pk, version in versions:
            condition |= Q(id=pk, version=version)
        return self.history(model).filter(condition) if condition else self.history(model).none()

    def rows(self, model, rows):
        """The rows as this reader sees them: a published record's draft revision is swapped
        for its published version; every row gets its ``_moment``."""
        rows = list(rows)
        moment = self.as_of
        swap = set()
        for row in rows:
            row._moment = moment
            if (
                self.public
                and issubclass(model, ReviewedModel)
                and row.editorial_state != EditorialState.PUBLISHED
                and row.published_version is not None
                and row.version != row.published_version
            ):
                swap.add(row.id)
        if not swap:
            return rows
        conditions = Q()
        for row in rows:
            if row.id in swap:
                conditions |= Q(id=row.id, version=row.published_version)
        published = self.history(model).filter(conditions)
        if moment is not None:
            published = published.filter(history_date__lte=moment)
        by_id = {}
        for version in published.order_by("history_date"):
            by_id[version.id] = version  # the latest row of that version wins
        result = []
        for row in rows:
            if row.id not in swap:
                result.append(row)
            elif (replacement := by_id.get(row.id)) is not None:
                # The version is whole at its publication (tracker.services.context._close), which
                # can follow its own history row: parts written later in that change set belong to it.
                replacement.published_at = row.published_at
                replacement._moment = max(replacement.history_date, row.published_at or replacement.history_date)
                result.append(replacement)
        return result

    def records(self, model, ids):
        """The records with these ids, as this reader sees them."""
        if not ids:
            return {}
        rows = self.base_queryset(model).filter(id__in=ids)
        if self.as_of is None:
            rows = plain_rows(rows)
        return {row.id: row for row in self.rows(model, rows)}

    # links and parts

    def links(self, model, name, rows):
        """{row id: [target ids]} for a many-to-many link, in one query."""
        link = model_field(model, name)
        result = {row.id: [] for row in rows}
        current = [row.id for row in rows if row._moment is None]
        past = {row.history_id: row.id for row in rows if row._moment is not None}
        if current:
            through = link.remote_field.through
            source, target = link.m2m_field_name(), link.m2m_reverse_field_name()
            pairs = through.objects.filter(**{f"{source}_id__in": current}).values_list(f"{source}_id", f"{target}_id")
            for owner, other in pairs.order_by(f"{target}_id"):
                result[owner].append(other)
        if past:
            history_through = history_link(model, name)[0]
            target = link.m2m_reverse_field_name()
            pairs = history_through.objects.filter(history_id__in=list(past)).values_list("history_id", f"{target}_id")
            for history_id, other in pairs.order_by(f"{target}_id"):
                result[past[history_id]].append(other)
        return result

    def children(self, model, parent_field, parents):
        """{parent id: [rows]} of a part, each parent's at its own moment, in one query."""
        result = {parent.id: [] for parent in parents}
        current = [parent.id for parent in parents if parent._moment is None]
        by_moment = {}
        for parent in parents:
            if parent._moment is not None:
                by_moment.setdefault(parent._moment, []).append(parent.id)
        found = []
        if current:
            rows = model._base_manager.filter(**{f"{parent_field}_id__in": current}).order_by("id")
            found.extend((row, None) for row in plain_rows(rows))
        if by_moment:
            conditions = Q()
            for moment, ids in by_moment.items():
                conditions |= Q(**{f"{parent_field}_id__in": ids, "history_date__lte": moment})
            past = (
                self.history(model)
                .filter(conditions)
                .latest_of_each()
                .exclude(history_type="-")
                .order_by("id", "history_date")
            )
            moments = {parent.id: parent._moment for parent in parents}
            for row in past:
                # latest_of_each is per id; a row written after its parent's moment is not the part then
                if row.history_date <= moments[getattr(row, f"{parent_field}_id")]:
                    found.append((row, moments[getattr(row, f"{parent_field}_id")]))
        for row, moment in found:
            row._moment = moment
            result[getattr(row, f"{parent_field}_id")].append(row)
        return result


# --- rendering -------------------------------------------------------------------------------


class Renderer:
    """Renders rows of one resource to plain dicts, ready for ``orjson``.

    ``expand`` names links and parts to embed in full; everything else linked is a summary.
    """

    def __init__(self, request, reader, expand=()):
        self.request = request
        self.reader = reader
        self.expand = frozenset(expand)
        self._base = request.build_absolute_uri("/").rstrip("/") if request is not None else ""
        self._url_prefix = {}

    def url(self, resource, key):
        prefix = self._url_prefix.get(resource.name)
        if prefix is None:
            prefix = self._url_prefix[resource.name] = self._base + reverse(
                f"api:{resource.name}-detail", kwargs={"key": "KEY"}
            ).replace("KEY/", "")
        return f"{prefix}{key}/"

    # summaries of linked records

    def summaries(self, wanted):
        """{model: {id: summary}} for every linked record, one query per model."""
        found = {}
        for model, ids in wanted.items():
            ids = {i for i in ids if i is not None}
            if not ids:
                found[model] = {}
                continue
            if model in RESOURCES:
                resource = RESOURCES[model]
                # As this reader sees them: a published record's published name, or the record as of
                # the moment (one deleted since is still linked then).
                rows = self.reader.records(model, ids).values()
                found[model] = {
                    row.id: {
                        resource.key: getattr(row, resource.key),
                        "name": getattr(row, resource.label),
                        "url": self.url(resource, getattr(row, resource.key)),
                    }
                    for row in rows
                }
            elif model in PLAIN_SUMMARIES:
                key, label = PLAIN_SUMMARIES[model]
                found[model] = {
                    pk: {key: value, "name": name}
                    for pk, value, name in model._base_manager.filter(id__in=ids).values_list("id", key, label)
                }
            elif model is InstrumentCitation:
                found[model] = {
                    pk: {"source": slug, "locator": locator}
                    for pk, slug, locator in model._base_manager.filter(id__in=ids).values_list(
                        "id", "source__slug", "locator"
                    )
                }
        return found

    def render(self, resource, rows):
        """The records as dicts, in the order given."""
        rows = list(rows)
        wanted = {}
        tree = self._load(resource.model, resource.links, resource.parts, rows, wanted)
        full = {}
        for name in resource.links:
            if name in self.expand:
                target = model_field(resource.model, name).related_model
                if target in RESOURCES:
                    ids = wanted.get(target, set())
                    inner = Renderer(self.request, self.reader)
                    records = self.reader.records(target, ids)
                    full[target] = dict(zip(records, inner.render(RESOURCES[target], records.values()), strict=True))
        summaries = self.summaries(wanted)
        for target, records in full.items():
            summaries.setdefault(target, {})
            summaries[("full", target)] = records
        return [self._build(resource, row, tree, summaries) for row in rows]

    def _load(self, model, links, parts, rows, wanted):
        """Fetch links and parts of ``rows`` (recursively), noting which records to summarize."""
        tree = {"links": {}, "parts": {}}
        for name in links:
            target = model_field(model, name).related_model
            bucket = wanted.setdefault(target, set())
            if is_many(model, name):
                found = self.reader.links(model, name, rows)
                tree["links"][name] = found
                for ids in found.values():
                    bucket.update(ids)
            else:
                attname = model_field(model, name).attname
                bucket.update(getattr(row, attname) for row in rows)
        for part in parts:
            owners = rows
            if part.one and model is PolicyInstrument:
                # A kind's detail table is read only for measures of that kind on the page.
                owners = [row for row in rows if row.kind in part.model.instrument_kinds]
            children = self.reader.children(part.model, part.parent_field, owners) if owners else {}
            child_rows = [row for group in children.values() for row in group]
            tree["parts"][part.name] = (children, self._load(part.model, part.links, part.parts, child_rows, wanted))
        return tree

    def _link(self, model, name, row, tree, summaries, embed):
        target = model_field(model, name).related_model
        lookup = summaries.get(("full", target)) if embed else None
        lookup = lookup or summaries.get(target, {})
        if is_many(model, name):
            ids = tree["links"][name].get(row.id, ())
            return [lookup[i] for i in ids if i in lookup]
        value = getattr(row, model_field(model, name).attname)
        return lookup.get(value) if value is not None else None

    def _build(self, resource, row, tree, summaries):
        key = getattr(row, resource.key)
        data = {resource.key: key, "name": getattr(row, resource.label), "url": self.url(resource, key)}
        for name in resource.fields:
            if name != resource.key:
                data[resource.api_name(name)] = plain(getattr(row, name))
        for name in resource.links:
            data[name] = self._link(resource.model, name, row, tree, summaries, name in self.expand)
        for part in resource.parts:
            if not part.one:
                data[part.name] = self._part(part, row, tree, summaries)
        if any(part.one for part in resource.parts):
            data["details"] = self._details(resource, row, tree, summaries)
        for name in RECORD_FIELDS:
            if hasattr(row, name):
                data[name] = plain(getattr(row, name))
        return data

    def _details(self, resource, row, tree, summaries):
        for part in resource.parts:
            if part.one:
                found = self._part(part, row, tree, summaries)
                if found is not None:
                    return {"type": part.name, **found}
        return None

    def _part(self, part, parent, tree, summaries):
        children, subtree = tree["parts"][part.name]
        rows = children.get(parent.id, [])
        compact = part.compact and part.name not in self.expand
        items = []
        for row in rows:
            item = {}
            if compact:
                for name in part.compact:
                    if name in part.links:
                        item[name] = self._link(part.model, name, row, subtree, summaries, False)
                    else:
                        item[name] = plain(getattr(row, name))
            else:
                for name in part.links:
                    item[name] = self._link(part.model, name, row, subtree, summaries, False)
                for name in part.fields:
                    item[name] = plain(getattr(row, name))
                for inner in part.parts:
                    item[inner.name] = self._part(inner, row, subtree, summaries)
            items.append(item)
        if part.one:
            return items[0] if items else None
        return items
