"""REST API v1: every record type, read and written through the services.

Reads: lists (filters, facets, cursor pages) and details by natural key, on today's
data, the published data (anonymous readers), or the data ``as_of`` a past moment.
Writes: create, update and delete with ``If-Match`` (the record's ETag), and the review
steps as actions; each calls ``tracker.services`` exactly as the admin does.
"""

import base64
import datetime
import hashlib

import orjson
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import parse_etags, quote_etag
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from tracker.api import schema, shapes
from tracker.api.filters import FILTERS
from tracker.api.pagination import KeysetPage, page_size
from tracker.api.writes import BodyErrors, read_record
from tracker.choices import EditorialState, InstrumentKind
from tracker.models import PolicyInstrument
from tracker.models.base import ReviewedModel
from tracker.services import (
    Actor,
    ConflictError,
    DeletionRefused,
    delete_record,
    publish,
    return_to_draft,
    save_record,
    submit_for_review,
)
from tracker.services.records import describe

# --- responses -------------------------------------------------------------------------------


class OrjsonRenderer(JSONRenderer):
    """JSON by orjson: several times faster than the standard library on large pages."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, default=str)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it."
    default_code = "precondition_failed"


class PreconditionRequired(APIException):
    status_code = 428
    default_detail = "Send If-Match with the record's ETag (read it first) to change or delete it."
    default_code = "precondition_required"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def service_errors(error):
    """A ValidationError of the services as the API's error body: messages by field."""
    return getattr(error, "message_dict", None) or {"non_field_errors": error.messages}


def body_tag(data):
    return hashlib.blake2b(orjson.dumps(data, default=str), digest_size=12).hexdigest()


def record_tag(row, data):
    """A record's ETag: its version (what ``If-Match`` checks) and a digest of the representation."""
    return quote_etag(f"v{row.version}.{body_tag(data)}")


def version_in_tag(tag):
    """The version an ETag names (``"v12.…"`` → 12), or None for a tag this API did not give."""
    tag = tag.strip().removeprefix("W/").strip('"')
    head = tag.split(".", 1)[0]
    if head.startswith("v") and head[1:].isdigit():
        return int(head[1:])
    return None


def not_modified(request, tag):
    sent = request.META.get("HTTP_IF_NONE_MATCH")
    if not sent:
        return False
    # Weak comparison (RFC 9110, 13.1.2): a proxy that compresses the body makes the tag weak.
    tags = {sent_tag.removeprefix("W/") for sent_tag in parse_etags(sent)}
    return "*" in tags or tag.removeprefix("W/") in tags


def conditional(request, data, tag):
    """The response, or 304 when the reader already has it; the tag names the representation
    (the browsable API's HTML page is another one than the JSON)."""
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is not None and renderer.format != "json":
        tag = f'{tag[:-1]}.{renderer.format}"'
    response = Response(status=status.HTTP_304_NOT_MODIFIED) if not_modified(request, tag) else Response(data)
    response["ETag"] = tag
    patch_vary_headers(response, ["Accept"])
    return response


def parse_moment(request):
    raw = request.query_params.get("as_of")
    if raw is None:
        return None
    moment = None
    if len(raw) == 10:
        # A day means the data as they stood at its end.
        try:
            moment = datetime.datetime.combine(datetime.date.fromisoformat(raw), datetime.time.max)
        except ValueError:
            moment = None
    if moment is None and raw:
        try:
            moment = parse_datetime(raw.replace(" ", "+"))
        except ValueError:
            moment = None
    if moment is None:
        raise ValidationError({"as_of": [f"An ISO 8601 date or timestamp (2025-03-01T12:00:00Z), not {raw!r}."]})
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def parse_expand(request, resource):
    raw = request.query_params.get("expand", "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    allowed = resource.expandable()
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ValidationError({"expand": [f"Expand any of {', '.join(allowed)}; not {', '.join(unknown)}."]})
    return names


# --- facets ----------------------------------------------------------------------------------

FACETS = {
    PolicyInstrument: ("kind", "status", "jurisdiction", "layer"),
}


# Which query parameters choose the filtered set (not the page, its order or its form).
NOT_FILTERS = frozenset({"cursor", "page_size", "ordering", "expand", "format"})


def cached_facets(request, reader, queryset, resource, kinds=()):
    """The facets of a filtered set, computed once per data version and filter set.

    They are the costly part of a list (grouped counts over the whole filtered set) and do
    not depend on the page, so every page of a walk and every reader of the same view share
    them, from the configured cache (``CACHES``: per process by default, Redis or Memcached
    to share them between servers).
    """
    if reader.as_of is not None:
        return facet_counts(queryset, resource)  # the past does not change, but its moments are many
    filters = sorted(
        (key, value) for key, values in request.query_params.lists() for value in values if key not in NOT_FILTERS
    )
    key_material = orjson.dumps(
        [resource.name, reader.public, list(kinds), filters, shapes.data_version(resource.model)]
    )
    key = "tracker-facets:" + hashlib.blake2b(key_material, digest_size=16).hexdigest()
    facets = cache.get(key)
    if facets is None:
        facets = facet_counts(queryset, resource)
        cache.set(key, facets, timeout=FACETS_TTL)
    return facets


FACETS_TTL = 600


def facet_counts(queryset, resource):
    """Counts by kind, status, jurisdiction and layer of the filtered set: one grouped query each."""
    names = FACETS.get(resource.model, ("kind",) if _has_field(resource.model, "kind") else ())
    facets = {}
    base = queryset.order_by()
    for name in names:
        if name == "layer":
            facets[name] = _layer_facet(queryset)
        else:
            path = "jurisdiction__code" if name == "jurisdiction" else name
            rows = base.values_list(path).annotate(n=Count("pk")).order_by()
            facets[name] = {str(value): n for value, n in sorted(rows, key=lambda r: (-r[1], str(r[0]))) if value}
    return facets


def _has_field(model, name):
    return any(f.name == name for f in model._meta.concrete_fields)


def _layer_facet(queryset):
    if hasattr(queryset.model, "instance_type"):
        through = shapes.history_link(PolicyInstrument, "layers")[0]
        rows = through.objects.filter(history_id__in=queryset.order_by().values("history_id"))
    else:
        through = PolicyInstrument.layers.through
        rows = through.objects.filter(policyinstrument_id__in=queryset.order_by().values("id"))
    counts = rows.values_list("stacklayer__code").annotate(n=Count("pk")).order_by()
    return dict(sorted(counts, key=lambda r: (-r[1], r[0])))


# --- records ---------------------------------------------------------------------------------


class RecordViewSet(viewsets.GenericViewSet):
    """Lists, details and writes of one record type, looked up by natural key."""

    resource = None
    kinds = ()  # a list of one kind of measure
    lookup_field = "key"
    lookup_value_regex = "[^/]+"
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]

    # DRF and the schema generator read these.
    def get_queryset(self):
        return self.resource.model._base_manager.all()

    def get_serializer_class(self):
        """The request body's description (for OPTIONS and the browsable API's form)."""
        return schema.record_serializer(self.resource, request=True)

    @property
    def filterset_class(self):
        return FILTERS[self.resource.model]

    def reader(self):
        model = self.resource.model
        public = not self.request.user.has_perm(f"tracker.view_{model._meta.model_name}")
        return shapes.Reader(public=public, as_of=parse_moment(self.request))

    def rows_queryset(self, reader):
        """Today's or history's rows, the reader's view, filtered by the query."""
        model = self.resource.model
        queryset = reader.base_queryset(model)
        revised = reader.revised_ids(model)
        if not revised:
            return self.filtered(queryset)
        # Anonymous readers see a record under revision in its published version: the filters
        # (search included) read that version from the history, never the draft's values.
        published = self.filtered(queryset.exclude(id__in=revised))
        under_revision = self.filtered(reader.published_versions(model, revised))
        return queryset.filter(Q(pk__in=published.values("pk")) | Q(pk__in=under_revision.values("id")))

    def filtered(self, queryset):
        if self.kinds:
            queryset = queryset.filter(kind__in=self.kinds)
        filterset = self.filterset_class(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs

    def list(self, request, *args, **kwargs):
        reader = self.reader()
        expand = parse_expand(request, self.resource)
        queryset = self.rows_queryset(reader)
        if reader.as_of is None and self.resource.model is PolicyInstrument:
            queryset = queryset.select_related(None)
        default = self.resource.ordering[0]
        if request.query_params.get("q") and "search_rank" in queryset.query.annotations:
            default = "-search_rank"
        allowed = set(self.resource.ordering) | (
            {"search_rank"} if "search_rank" in queryset.query.annotations else set()
        )
        page = KeysetPage(request, queryset, default, allowed)
        rows = reader.rows(self.resource.model, page.rows())
        data = {
            "next": page.link(page.next_cursor),
            "previous": page.link(page.previous_cursor),
            "facets": cached_facets(request, reader, queryset, self.resource, self.kinds),
            "results": shapes.Renderer(request, reader, expand).render(self.resource, rows),
        }
        return conditional(request, data, quote_etag(body_tag(data)))

    def get_row(self, reader):
        queryset = self.rows_queryset(reader).filter(**{self.resource.key: self.kwargs["key"]})
        rows = reader.rows(self.resource.model, queryset[:1])
        if not rows:
            raise Http404(f"No {self.resource.model._meta.verbose_name} {self.kwargs['key']!r} here.")
        return rows[0]

    def retrieve(self, request, *args, **kwargs):
        reader = self.reader()
        expand = parse_expand(request, self.resource)
        row = self.get_row(reader)
        data = shapes.Renderer(request, reader, expand).render(self.resource, [row])[0]
        return conditional(request, data, record_tag(row, data))

    # writes

    def actor(self):
        return Actor.api(self.request.user)

    def stored(self):
        model = self.resource.model
        queryset = model._base_manager.filter(**{self.resource.key: self.kwargs["key"]})
        if self.kinds:
            queryset = queryset.filter(kind__in=self.kinds)
        record = queryset.first()
        if record is None:
            raise Http404(f"No {model._meta.verbose_name} {self.kwargs['key']!r}.")
        return record

    def get_object(self):
        """The stored record the URL names (DRF's OPTIONS and permission checks ask for it)."""
        record = self.stored()
        self.check_object_permissions(self.request, record)
        return record

    def expected_version(self, record):
        sent = self.request.META.get("HTTP_IF_MATCH")
        if not sent:
            raise PreconditionRequired()
        versions = {version_in_tag(tag) for tag in parse_etags(sent)} if sent.strip() != "*" else {record.version}
        if record.version not in versions:
            raise PreconditionFailed(
                f"{describe(record).capitalize()} is at version {record.version}; your If-Match names "
                f"{', '.join(str(v) for v in sorted(v for v in versions if v is not None)) or 'another tag'}. "
                "Read it again, then apply your change."
            )
        return record.version

    def written(self, record, code=status.HTTP_200_OK):
        reader = shapes.Reader(public=False)
        row = reader.rows(self.resource.model, [type(record)._base_manager.get(pk=record.pk)])[0]
        data = shapes.Renderer(self.request, reader).render(self.resource, [row])[0]
        response = Response(data, status=code)
        response["ETag"] = record_tag(row, data)
        if code == status.HTTP_201_CREATED:
            response["Location"] = data["url"]
        return response

    def save(self, data, instance=None, partial=False, expected_version=None):
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": ["Expected a JSON object."]})
        if self.kinds and instance is None and "kind" not in data:
            data = {**data, "kind": self.kinds[0]}
        try:
            record, relations, children = read_record(self.resource, data, instance, partial)
            if self.kinds and record.kind not in self.kinds:
                raise ValidationError({"kind": [f"This list holds measures of kind {', '.join(self.kinds)}."]})
            save_record(
                record=record,
                actor=self.actor(),
                relations=relations,
                children=children,
                expected_version=expected_version,
                message=str(self.request.headers.get("X-Change-Message", ""))[:2000],
            )
        except BodyErrors as error:
            raise ValidationError(error.errors) from None
        except DjangoValidationError as error:
            raise ValidationError(
                getattr(error, "message_dict", None) or {"non_field_errors": error.messages}
            ) from None
        except ConflictError as error:
            raise PreconditionFailed(str(error)) from None
        return record

    def create(self, request, *args, **kwargs):
        record = self.save(request.data)
        return self.written(record, status.HTTP_201_CREATED)

    def update(self, request, *args, partial=False, **kwargs):
        record = self.stored()
        version = self.expected_version(record)
        record = self.save(request.data, instance=record, partial=partial, expected_version=version)
        return self.written(record)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        record = self.stored()
        version = self.expected_version(record)
        try:
            delete_record(record=record, actor=self.actor(), expected_version=version)
        except DeletionRefused as error:
            raise Conflict(str(error)) from None
        except ConflictError as error:
            raise PreconditionFailed(str(error)) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    # review

    def review_step(self, step):
        record = self.stored()
        if not isinstance(record, ReviewedModel):
            raise Http404
        comment = self.request.data.get("comment", "") if isinstance(self.request.data, dict) else ""
        try:
            step(record=record, actor=self.actor(), comment=comment)
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from None
        except DjangoValidationError as error:
            raise ValidationError(
                getattr(error, "message_dict", None) or {"non_field_errors": error.messages}
            ) from None
        return self.written(record)

    @action(detail=True, methods=["post"])
    def submit(self, request, *args, **kwargs):
        """Ask a reviewer to publish the record's latest version."""
        return self.review_step(submit_for_review)

    @action(detail=True, methods=["post"])
    def publish(self, request, *args, **kwargs):
        """Publish the latest version (a reviewer who did not change it since its last publication)."""
        return self.review_step(publish)

    @action(detail=True, methods=["post"], url_path="return-to-draft")
    def return_to_draft(self, request, *args, **kwargs):
        """Send the record back to draft; ``comment`` says why and is required."""
        return self.review_step(return_to_draft)


def viewset(resource, kinds=(), name=None):
    """The viewset of a record type (or of some kinds of measure), with its OpenAPI description."""
    labels = [str(InstrumentKind(kind).label) for kind in kinds]
    what = ", ".join(labels) if kinds else str(resource.model._meta.verbose_name_plural)
    cls = type(
        f"{(name or resource.name).title().replace('-', '')}ViewSet",
        (RecordViewSet,),
        {"resource": resource, "kinds": tuple(kinds), "__doc__": f"{what.capitalize()}.", "schema_tag": name},
    )
    return schema.describe(cls)


KIND_LISTS = {
    "funds": (InstrumentKind.INVESTMENT_FUND,),
    "labs": (InstrumentKind.STATE_LAB,),
    "pilot-zones": (InstrumentKind.PILOT_ZONE,),
    "export-controls": (InstrumentKind.EXPORT_CONTROL, InstrumentKind.ENTITY_LISTING),
    "bans": (InstrumentKind.BAN,),
}


# --- the change feed -------------------------------------------------------------------------


class ChangesView(APIView):
    """Created, updated and deleted records in the order they were recorded, for mirrors.

    Start with ``since`` (an ISO timestamp); follow ``next`` (always given: at the end of
    the feed it names where to poll from).  Each entry names the record type, its key and
    its API address; fetch the record, or drop it on ``deleted``.
    """

    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]
    permission_classes = [AllowAny]  # read only: it has no write method
    ACTIONS = {"+": "created", "~": "updated", "-": "deleted"}

    @schema.CHANGES
    def get(self, request):
        limit = page_size(request)
        cursor = request.query_params.get("cursor")
        if cursor:
            at, type_name, history_id = _decode_changes(cursor)
        else:
            at = parse_moment_param(request, "since") or datetime.datetime(1, 1, 2, tzinfo=datetime.UTC)
            type_name, history_id = "", 0
        entries = []
        renderer = shapes.Renderer(request, shapes.Reader(public=True))
        for resource in shapes.RESOURCES.values():
            model = resource.model
            public = not request.user.has_perm(f"tracker.view_{model._meta.model_name}")
            rows = model.history.model.objects.all()
            if public and issubclass(model, ReviewedModel):
                rows = rows.filter(
                    Q(history_type="-", published_version__isnull=False) | Q(editorial_state=EditorialState.PUBLISHED)
                )
            if resource.name < type_name:
                rows = rows.filter(history_date__gt=at)
            elif resource.name == type_name:
                rows = rows.filter(Q(history_date__gt=at) | Q(history_date=at, history_id__gt=history_id))
            else:
                rows = rows.filter(history_date__gte=at)
            rows = rows.order_by("history_date", "history_id").values_list(
                "history_date", "history_id", "history_type", resource.key, "version", "changeset_id"
            )[: limit + 1]
            for when, hid, kind, key, version, changeset in rows:
                entries.append((when, resource.name, hid, kind, key, version, changeset, resource))
        entries.sort(key=lambda entry: entry[:3])
        entries = entries[:limit]
        results = [
            {
                "at": shapes.plain(when),
                "action": self.ACTIONS[kind],
                "type": name,
                "key": key,
                "url": None if kind == "-" else renderer.url(resource, key),
                "version": version,
                "changeset": changeset,
            }
            for when, name, hid, kind, key, version, changeset, resource in entries
        ]
        if entries:
            last = entries[-1]
            next_cursor = _encode_changes(last[0], last[1], last[2])
        else:
            next_cursor = _encode_changes(at, type_name, history_id)
        url = request.build_absolute_uri(request.path)
        data = {"next": f"{url}?cursor={next_cursor}&page_size={limit}", "results": results}
        return conditional(request, data, quote_etag(body_tag(data)))


def parse_moment_param(request, name):
    raw = request.query_params.get(name)
    if raw is None:
        return None
    moment = parse_datetime(raw.replace(" ", "+"))
    if moment is None:
        raise ValidationError({name: [f"An ISO 8601 timestamp (2025-03-01T12:00:00Z), not {raw!r}."]})
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _encode_changes(at, type_name, history_id):
    raw = orjson.dumps([at.isoformat(), type_name, history_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_changes(cursor):
    try:
        at, type_name, history_id = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.datetime.fromisoformat(at), str(type_name), int(history_id)
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise ValidationError({"cursor": ["This cursor is not one the API gave; start again with since."]}) from None


class RootView(APIView):
    """The AI Policy Tracker's data: measures, who issued them, whom they hit, and their sources."""

    renderer_classes = [OrjsonRenderer, BrowsableAPIRenderer]
    permission_classes = [AllowAny]  # read only: it has no write method

    @schema.ROOT
    def get(self, request):
        data = {
            resource.name: reverse(f"api:{resource.name}-list", request=request)
            for resource in shapes.RESOURCES.values()
        }
        data["changes"] = reverse("api:changes", request=request)
        data["exports"] = reverse("api:exports-index", request=request)
        data["schema"] = reverse("api:schema", request=request)
        data["docs"] = reverse("api:docs", request=request)
        return conditional(request, data, quote_etag(body_tag(data)))
