"""Cursor pagination on (sort field, id): stable under inserts, one query per page.

DRF's ``CursorPagination`` positions on the first ordering field alone and skips
duplicates by offset, which grows with the number of equal values (thousands of
measures share a year) and breaks on empty dates.  Here the cursor is the last row's
(sort value, id) pair, empty values sort last in either direction, and ``previous``
walks backwards with the same condition reversed.
"""

import base64
import binascii
import datetime

import orjson
from django.db.models import DateField, DateTimeField, F, FloatField, IntegerField, Q, Value
from django.db.models.functions import Coalesce
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import remove_query_param, replace_query_param

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

# What an empty value sorts as: after every real value, ascending or descending.
_LAST = {
    "asc": {
        DateField: datetime.date(9999, 12, 31),
        DateTimeField: datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC),
        IntegerField: 2**62,
        FloatField: float("inf"),
    },
    "desc": {
        DateField: datetime.date(1, 1, 1),
        DateTimeField: datetime.datetime(1, 1, 2, tzinfo=datetime.UTC),
        IntegerField: -(2**62),
        FloatField: float("-inf"),
    },
}


def page_size(request):
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise ValidationError({"page_size": [f"A whole number from 1 to {MAX_PAGE_SIZE}, not {raw!r}."]}) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"A whole number from 1 to {MAX_PAGE_SIZE}, not {size}."]})
    return size


class KeysetPage:
    def __init__(self, request, queryset, ordering, allowed):
        self.request = request
        self.size = page_size(request)
        name = request.query_params.get("ordering") or ordering
        self.descending = name.startswith("-")
        self.field = name.lstrip("-")
        if self.field not in allowed:
            choices = ", ".join(sorted(allowed))
            raise ValidationError({"ordering": [f"Order by one of {choices} (with '-' for descending), not {name!r}."]})
        self.queryset = self._sortable(queryset)

    def _sortable(self, queryset):
        if self.field in queryset.query.annotations:
            output = queryset.query.annotations[self.field].output_field
        else:
            output = queryset.model._meta.get_field(self.field)
        kind = next((k for k in _LAST["asc"] if isinstance(output, k)), None)
        if kind is None or not getattr(output, "null", True) and self.field not in queryset.query.annotations:
            expression = F(self.field)
            self._empty = None
        else:
            self._empty = _LAST["desc" if self.descending else "asc"][kind]
            expression = Coalesce(self.field, Value(self._empty, output_field=output))
        return queryset.alias(_sort=expression)

    def _order(self, reverse=False):
        descending = self.descending != reverse
        return ("-_sort", "-id") if descending else ("_sort", "id")

    def _after(self, value, pk, reverse=False):
        descending = self.descending != reverse
        if descending:
            return Q(_sort__lt=value) | Q(_sort=value, id__lt=pk)
        return Q(_sort__gt=value) | Q(_sort=value, id__gt=pk)

    def _decode(self, raw):
        try:
            padded = raw + "=" * (-len(raw) % 4)
            direction, value, pk = orjson.loads(base64.urlsafe_b64decode(padded))
            if direction not in ("n", "p") or not isinstance(pk, int):
                raise ValueError
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
            raise ValidationError(
                {"cursor": ["This cursor is not one the API gave; start again without it."]}
            ) from None
        return direction, value, pk

    def _encode(self, direction, row):
        value = getattr(row, self.field, None)
        if value is None:
            value = self._empty
        if isinstance(value, datetime.datetime | datetime.date):
            value = value.isoformat()
        raw = orjson.dumps([direction, value, row.id])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def rows(self):
        """The page's rows, and sets ``next_cursor`` / ``previous_cursor``."""
        cursor = self.request.query_params.get("cursor")
        self.next_cursor = self.previous_cursor = None
        if cursor is None:
            rows = list(self.queryset.order_by(*self._order())[: self.size + 1])
            if len(rows) > self.size:
                rows = rows[: self.size]
                self.next_cursor = self._encode("n", rows[-1])
            return rows
        direction, value, pk = self._decode(cursor)
        reverse = direction == "p"
        found = list(
            self.queryset.filter(self._after(value, pk, reverse)).order_by(*self._order(reverse))[: self.size + 1]
        )
        more = len(found) > self.size
        found = found[: self.size]
        if reverse:
            found.reverse()
        if found and reverse:
            self.next_cursor = self._encode("n", found[-1])
            self.previous_cursor = self._encode("p", found[0]) if more else None
        elif found:
            self.previous_cursor = self._encode("p", found[0])
            self.next_cursor = self._encode("n", found[-1]) if more else None
        return found

    def link(self, cursor):
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, "cursor", cursor)

    def first_link(self):
        return remove_query_param(self.request.build_absolute_uri(), "cursor")
