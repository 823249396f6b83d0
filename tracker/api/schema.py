"""The OpenAPI description of the API, derived from the resources' declarations.

The API renders records with ``tracker.api.shapes``, not with serializers; this module
builds DRF serializer classes from the same declarations only so that drf-spectacular
can describe every response, request body, filter, parameter and error.  A field added
to a ``Resource`` appears in the responses, the schema and the write path at once.
"""

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers

from tracker.api import shapes
from tracker.models import InstrumentCitation

_cache = {}


def _name(*parts):
    return "".join(part.replace("_", " ").replace("-", " ").title().replace(" ", "") for part in parts)


def scalar(model_field, *, required=False, read_only=False):
    """The DRF field describing one stored value as the API writes it."""
    options = {"required": required, "read_only": read_only, "help_text": str(model_field.help_text or "") or None}
    nullable = model_field.null
    if model_field.choices:
        choices = [(value, str(label)) for value, label in model_field.flatchoices if value != ""]
        return serializers.ChoiceField(choices=choices, allow_blank=model_field.blank, allow_null=nullable, **options)
    if isinstance(model_field, models.DecimalField):
        return serializers.DecimalField(
            max_digits=model_field.max_digits,
            decimal_places=model_field.decimal_places,
            coerce_to_string=True,
            allow_null=nullable,
            **options,
        )
    if isinstance(model_field, models.DateTimeField):
        return serializers.DateTimeField(allow_null=nullable, **options)
    if isinstance(model_field, models.DateField):
        return serializers.DateField(allow_null=nullable, **options)
    if isinstance(model_field, models.BooleanField):
        return serializers.BooleanField(**options)
    if isinstance(model_field, models.IntegerField | models.PositiveIntegerField | models.PositiveSmallIntegerField):
        return serializers.IntegerField(allow_null=nullable, **options)
    if isinstance(model_field, models.URLField):
        return serializers.CharField(allow_blank=True, allow_null=nullable, **options)
    return serializers.CharField(allow_blank=model_field.blank, allow_null=nullable, **options)


def summary(model):
    """The compact form of a linked record: natural key, name, API address."""
    name = f"{_name(model._meta.object_name)}Summary"
    if name in _cache:
        return _cache[name]
    if model in shapes.RESOURCES:
        resource = shapes.RESOURCES[model]
        fields = {
            resource.key: scalar(model._meta.get_field(resource.key), required=True),
            "name": serializers.CharField(required=True, help_text="What it is called."),
            "url": serializers.URLField(required=True, help_text="Its address in the API."),
        }
    elif model in shapes.PLAIN_SUMMARIES:
        key, _ = shapes.PLAIN_SUMMARIES[model]
        fields = {key: serializers.CharField(required=True), "name": serializers.CharField(required=True)}
    elif model is InstrumentCitation:
        fields = {"source": serializers.CharField(required=True), "locator": serializers.CharField(required=True)}
    else:
        raise KeyError(model)
    _cache[name] = type(name, (serializers.Serializer,), fields)
    return _cache[name]


def reference(model_field, *, many=False):
    """How a request names a linked record: its natural key."""
    target = model_field.related_model
    if target is InstrumentCitation:
        field = summary(target)(required=False, allow_null=model_field.null)
        return field
    if target in shapes.RESOURCES:
        help_text = f"The {shapes.RESOURCES[target].key} of a {target._meta.verbose_name}."
    else:
        help_text = f"The {shapes.PLAIN_SUMMARIES[target][0]} of a {target._meta.verbose_name}."
    if many:
        return serializers.ListField(child=serializers.CharField(), required=False, help_text=help_text)
    return serializers.CharField(required=False, allow_null=model_field.null, help_text=help_text)


def link_field(model, name, *, request):
    model_field = model._meta.get_field(name)
    many = model_field.many_to_many
    if request:
        return reference(model_field, many=many)
    target = summary(model_field.related_model)
    if many:
        return target(many=True, required=True)
    return target(required=True, allow_null=model_field.null)


def part_serializer(owner, part, *, request, prefix=""):
    name = f"{_name(prefix, part.name)}{'Request' if request else ''}"
    if name in _cache:
        return _cache[name]
    fields = {}
    for field_name in part.links:
        fields[field_name] = link_field(part.model, field_name, request=request)
        if not request and field_name not in part.compact and part.compact:
            fields[field_name].required = False
    for field_name in part.fields:
        compact = not part.compact or field_name in part.compact
        fields[field_name] = scalar(part.model._meta.get_field(field_name), required=compact and not request)
    for inner in part.parts:
        fields[inner.name] = part_serializer(owner, inner, request=request, prefix=f"{prefix}{part.name}_")(
            many=True, required=not request
        )
    if part.one and not request:
        fields["type"] = serializers.ChoiceField(choices=[part.name], required=True, help_text="The kind of detail.")
    _cache[name] = type(name, (serializers.Serializer,), fields)
    return _cache[name]


def details_field(resource, *, request):
    details = [part for part in resource.parts if part.one]
    kinds = {part.name: part_serializer(resource, part, request=request, prefix="detail_") for part in details}
    return PolymorphicProxySerializer(
        component_name=f"Details{'Request' if request else ''}",
        serializers=kinds,
        resource_type_field_name="type" if not request else None,
        many=False,
        required=False,
        allow_null=True,
    )


def record_serializer(resource, *, request=False):
    name = f"{_name(resource.model._meta.object_name)}{'Request' if request else ''}"
    if name in _cache:
        return _cache[name]
    model = resource.model
    fields = {}
    if not request:
        fields[resource.key] = scalar(model._meta.get_field(resource.key), required=True)
        fields["name"] = serializers.CharField(read_only=True, help_text="What it is called.")
        fields["url"] = serializers.URLField(read_only=True, help_text="Its address in the API.")
    for field_name in resource.fields:
        model_field = model._meta.get_field(field_name)
        required = request and field_name == resource.key
        fields[resource.api_name(field_name)] = scalar(model_field, required=required or not request)
    for field_name in resource.links:
        fields[field_name] = link_field(model, field_name, request=request)
    for part in resource.parts:
        if part.one:
            continue
        fields[part.name] = part_serializer(resource, part, request=request, prefix=resource.name)(
            many=True, required=not request
        )
    if any(part.one for part in resource.parts):
        fields["details"] = details_field(resource, request=request)
    if not request:
        for field_name in shapes.RECORD_FIELDS:
            if any(f.name == field_name for f in model._meta.concrete_fields):
                fields[field_name] = scalar(model._meta.get_field(field_name), required=True)
    _cache[name] = type(name, (serializers.Serializer,), fields)
    return _cache[name]


def list_serializer(resource):
    name = f"{_name(resource.model._meta.object_name)}Page"
    if name in _cache:
        return _cache[name]
    counts = serializers.DictField(child=serializers.IntegerField())
    # A page is one object (not a list of records): drf-spectacular must not wrap it in an array.
    _cache[name] = extend_schema_serializer(many=False)(
        type(
            name,
            (serializers.Serializer,),
            {
                "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last."),
                "previous": serializers.URLField(allow_null=True, help_text="The previous page, or null on the first."),
                "facets": serializers.DictField(
                    child=counts, help_text="Counts of the filtered set by kind, status, jurisdiction and layer."
                ),
                "results": record_serializer(resource)(many=True),
            },
        )
    )
    return _cache[name]


ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="What is wrong, as {field: [messages]} (nested for parts: details.legal_form, "
    "citations.0.source) or {detail: message}.",
)
READ_ERRORS = {
    400: ERROR,
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="No such record (or not in this view of the data)."),
    429: OpenApiResponse(OpenApiTypes.OBJECT, description="Too many requests; Retry-After says when to retry."),
}
WRITE_ERRORS = {
    **READ_ERRORS,
    401: OpenApiResponse(OpenApiTypes.OBJECT, description="Log in or send a token."),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="Your role does not allow this."),
}
CHANGE_ERRORS = {
    **WRITE_ERRORS,
    412: OpenApiResponse(OpenApiTypes.OBJECT, description="If-Match names an older version: someone saved since."),
    428: OpenApiResponse(OpenApiTypes.OBJECT, description="Send If-Match with the ETag you read."),
}

TIME_PARAMETERS = [
    OpenApiParameter(
        "as_of",
        OpenApiTypes.DATETIME,
        description="The data as they were recorded at this moment (ISO 8601 timestamp or date), from the history.",
    ),
]
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The record's ETag as last read; a stale one gets 412 and nothing is written.",
)


def expand_parameter(resource):
    return OpenApiParameter(
        "expand",
        OpenApiTypes.STR,
        description=f"Comma-separated links and parts to embed in full: {', '.join(resource.expandable())}.",
    )


def describe(viewset):
    """Decorate a record viewset with its schema."""
    resource = viewset.resource
    record = record_serializer(resource)
    request = record_serializer(resource, request=True)
    list_parameters = [
        *TIME_PARAMETERS,
        expand_parameter(resource),
        OpenApiParameter(
            "ordering",
            OpenApiTypes.STR,
            enum=[f"{sign}{name}" for name in resource.ordering for sign in ("", "-")]
            + (["-search_rank", "search_rank"] if resource.model.__name__ == "PolicyInstrument" else []),
            description="Sort field, '-' for descending; empty values sort last. With q, by relevance.",
        ),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="Records per page, 1 to 500 (default 50)."),
        OpenApiParameter("cursor", OpenApiTypes.STR, description="The position the previous response's link names."),
    ]
    detail_parameters = [*TIME_PARAMETERS, expand_parameter(resource)]
    if resource.model.__name__ == "PolicyInstrument":
        detail_parameters.append(
            OpenApiParameter(
                "in_force_on", OpenApiTypes.DATE, description="Found only if the measure was in force that day."
            )
        )
    kind = resource.model._meta.verbose_name
    return extend_schema_view(
        list=extend_schema(
            summary=f"List {resource.name.replace('-', ' ')}",
            parameters=list_parameters,
            responses={200: list_serializer(resource), 304: None, **READ_ERRORS},
        ),
        retrieve=extend_schema(
            summary=f"One {kind} by its {resource.key}",
            parameters=detail_parameters,
            responses={200: record, 304: None, **READ_ERRORS},
        ),
        create=extend_schema(
            summary=f"Create a {kind}", request=request, responses={201: record, **WRITE_ERRORS, 409: ERROR}
        ),
        update=extend_schema(
            summary=f"Replace a {kind}",
            request=request,
            parameters=[IF_MATCH],
            responses={200: record, **CHANGE_ERRORS},
        ),
        partial_update=extend_schema(
            summary=f"Change some fields of a {kind}",
            request=request,
            parameters=[IF_MATCH],
            responses={200: record, **CHANGE_ERRORS},
        ),
        destroy=extend_schema(
            summary=f"Delete a {kind}",
            parameters=[IF_MATCH],
            responses={204: None, **CHANGE_ERRORS, 409: ERROR},
        ),
        submit=extend_schema(
            summary="Submit for review", request=CommentSerializer, responses={200: record, **WRITE_ERRORS}
        ),
        publish=extend_schema(summary="Publish", request=CommentSerializer, responses={200: record, **WRITE_ERRORS}),
        return_to_draft=extend_schema(
            summary="Return to draft (comment required)",
            request=CommentSerializer,
            responses={200: record, **WRITE_ERRORS},
        ),
    )(viewset)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, help_text="Why: kept in the history.")


class ChangeSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="When it was recorded.")
    action = serializers.ChoiceField(choices=["created", "updated", "deleted"])
    type = serializers.ChoiceField(choices=[resource.name for resource in shapes.RESOURCES.values()])
    key = serializers.CharField(help_text="The record's natural key.")
    url = serializers.URLField(allow_null=True, help_text="Its address; null once deleted.")
    version = serializers.IntegerField()
    changeset = serializers.IntegerField(allow_null=True, help_text="The change set it belongs to.")


@extend_schema_serializer(many=False)
class ChangesPage(serializers.Serializer):
    next = serializers.URLField(help_text="Where to continue (or poll from, at the end of the feed).")
    results = ChangeSerializer(many=True)


CHANGES = extend_schema(
    summary="Changes in the order recorded",
    parameters=[
        OpenApiParameter("since", OpenApiTypes.DATETIME, description="Start after this moment (ISO 8601)."),
        OpenApiParameter("cursor", OpenApiTypes.STR, description="Continue from a previous response's next."),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="Entries per page, 1 to 500 (default 50)."),
    ],
    responses={200: ChangesPage, 304: None, 400: ERROR, 429: READ_ERRORS[429]},
)

ROOT = extend_schema(summary="The API's entry points", responses={200: OpenApiTypes.OBJECT})
