"""Exports from the admin's lists: the records chosen, or the whole list as filtered and searched.

Two formats:

- CSV, as the API's bulk download of the model writes it (``tracker.api.exports``): a header
  row of field names, links as natural keys;
- fixture JSON, as ``export_fixtures`` writes the files of ``fixtures/``: each record with its
  parts (a measure's detail, events and citations; a fund's participants), natural keys, in the
  order an export places new records, so a maintainer can put the file in git and
  ``sync_fixtures`` reads it back unchanged.

Both are streamed.  The fixture export reads the tables once, as the whole export does, to
write every link as its natural key.
"""

import json

from django.contrib import admin
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.api.exports import Visibility, buffered, csv_rows
from tracker.importers.sync import DatabaseState, dependency_order, reference_models
from tracker.models import record_models

CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def _file_name(model, extension):
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"{model._meta.model_name}-{stamp}.{extension}"


def _attachment(pieces, content_type, filename):
    response = StreamingHttpResponse(pieces, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _chosen(queryset):
    """The records of ``queryset`` as a condition on their ids (its order and annotations dropped)."""
    return Q(pk__in=queryset.order_by().values("pk"))


def csv_response(model, queryset, user):
    pieces = buffered(csv_rows(model, Visibility(user), where=_chosen(queryset)))
    return _attachment(pieces, CSV_TYPE, _file_name(model, "csv"))


# --- fixture JSON --------------------------------------------------------------------------------


def _parts_of(model):
    """The record models whose rows belong to a record of ``model`` (through ``version_parent``),
    each with its depth below it: a measure's details, citations, events; a fund's participants."""
    parts = []
    for candidate in record_models():
        depth, current = 0, candidate
        while current is not model and getattr(current, "version_parent", None):
            current = current._meta.get_field(current.version_parent).related_model
            depth += 1
        if current is model and candidate is not model:
            parts.append((candidate, depth))
    return parts


def _owner(state, model, row, owner_model):
    """The id of the ``owner_model`` record a part belongs to."""
    while model is not owner_model:
        parent = model._meta.get_field(model.version_parent)
        row = state.rows[parent.related_model].get(getattr(row, parent.attname))
        model = parent.related_model
        if row is None:
            return None
    return row.pk


def _key_text(key):
    return json.dumps(list(key), ensure_ascii=False)


def fixture_records(model, pks):
    """The records ``pks`` of ``model`` with their parts, as fixture records in a new file's order:
    each record, then its parts (by depth, then in the models' write order), by natural key."""
    state = DatabaseState(reference_models())
    chosen = set(pks)
    rank = {candidate: number for number, candidate in enumerate(dependency_order(record_models()))}
    placed = []
    for pk in chosen:
        row = state.rows[model].get(pk)
        if row is not None:
            key = _key_text(state.keys[model][pk])
            placed.append(((key, 0, rank[model], key), model, row))
    for part, depth in _parts_of(model):
        for pk, row in state.rows[part].items():
            owner = _owner(state, part, row, model)
            if owner in chosen:
                order = (_key_text(state.keys[model][owner]), depth, rank[part], _key_text(state.keys[part][pk]))
                placed.append((order, part, row))
    placed.sort(key=lambda item: item[0])
    return ({"model": part._meta.label_lower, "fields": state.values(row)} for _, part, row in placed)


def fixture_text(records):
    """``tracker.importers.fixtures.dumps`` of the records, piece by piece: the same bytes."""
    first = True
    for record in records:
        text = json.dumps(record, indent=2, ensure_ascii=False)
        yield ("[\n" if first else ",\n") + "\n".join(f"  {line}" for line in text.splitlines())
        first = False
    yield "[]\n" if first else "\n]\n"


def fixture_response(model, queryset):
    pks = list(queryset.order_by().values_list("pk", flat=True))
    pieces = (piece.encode() for piece in fixture_text(fixture_records(model, pks)))
    return _attachment(buffered(pieces), JSON_TYPE, _file_name(model, "json"))


# --- the actions ---------------------------------------------------------------------------------


@admin.action(description=_("Export selected as CSV"), permissions=["view"])
def export_csv(modeladmin, request, queryset):
    return csv_response(modeladmin.model, queryset, request.user)


@admin.action(description=_("Export selected as fixture JSON"), permissions=["view"])
def export_fixture_json(modeladmin, request, queryset):
    return fixture_response(modeladmin.model, queryset)


EXPORT_ACTIONS = (export_csv, export_fixture_json)

# The whole list's exports, by the name in their address, with their links' labels.
EXPORT_FORMATS = {"csv": _("Export this list as CSV"), "json": _("Export this list as fixture JSON")}


def export_response(export_format, model, queryset, user):
    if export_format == "csv":
        return csv_response(model, queryset, user)
    return fixture_response(model, queryset)
