"""The rows of an admin list, rendered as Django's ``result_list`` renders them, but prepared once a page.

Django's ``items_for_result`` works out, for every cell of every row, what its column is
(``lookup_field`` asks the model's options, then the admin, then the model), the column's
classes, the choices' labels (a dictionary rebuilt and its labels translated per cell), and,
for the row's link, the change page's address (``reverse``) with the list's filters added
back (``add_preserved_filters``, which ``resolve``s that address again).  With 50 rows of a
dozen columns that was most of a list page's time.

``RowRenderer`` decides all of that once per page: each column becomes a small function of
the row, the link's address is the change page's address for one id with the row's id put
in its place, and each row comes out as one piece of HTML, the same as Django's.  Lists it
does not cover (editable lists, pop-ups) are rendered by Django's own code.

The filters beside the list are drawn the same way (``TrackerChangeList``): each of Django's
plain filters as one piece of HTML instead of a template's nodes for each of its choices.
"""

import datetime
import uuid

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    items_for_result,
    result_headers,
    result_hidden_fields,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.encoding import force_str
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_noop

from tracker.admin.caching import kept_filter

# An id no list shows, put in the change page's address to find where each row's id goes.
_ID_MARK = 8_675_309_001


DJANGO_FILTER_TEMPLATE = "admin/filter.html"
QUICK_FILTER_TEMPLATE = "admin/tracker/filters/choices.html"


class TrackerChangeList(ChangeList):
    """A changelist whose filters drawn with Django's ``admin/filter.html`` are drawn with
    ``filters/choices.html`` instead: the same HTML written in one step
    (``tracker_lists.filter_html``) rather than a template's nodes for every choice; and whose
    filters of Django's on a link or a column's values keep their choices between requests
    (``tracker.admin.caching.kept_filter``)."""

    def get_filters(self, request):
        self.list_filter = [kept_filter(self.model, entry) for entry in self.list_filter]
        filter_specs, *rest = super().get_filters(request)
        for spec in filter_specs:
            if spec.template == DJANGO_FILTER_TEMPLATE:
                spec.template = QUICK_FILTER_TEMPLATE
        return (filter_specs, *rest)


def result_list(cl):
    """The context of Django's ``result_list`` tag (``change_list_results.html``), its rows
    rendered by ``RowRenderer``: each row one cell of ready HTML, the same table."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": list(rows(cl)),
    }


def rows(cl):
    if cl.formset or cl.is_popup:
        # Editable cells and the pop-up's opener: Django's own rendering, cell by cell.
        return (ResultList(form, items_for_result(cl, result, form)) for result, form in _with_forms(cl))
    renderer = RowRenderer(cl)
    return (ResultList(None, [renderer.row(result)]) for result in cl.result_list)


def _with_forms(cl):
    if cl.formset:
        return zip(cl.result_list, cl.formset.forms, strict=False)
    return ((result, None) for result in cl.result_list)


class RowRenderer:
    """One list page's columns, each worked out once; ``row(result)`` is a row's cells as HTML."""

    def __init__(self, cl):
        self.cl = cl
        self.link = _RowLink(cl)
        self.columns = []
        linked_yet = False
        for index, name in enumerate(cl.list_display):
            linked = _links(cl, name, first=not linked_yet)
            self.columns.append(_column(cl, index, name, linked, tag="th" if linked and not linked_yet else "td"))
            linked_yet = linked_yet or linked

    def row(self, result):
        return mark_safe("".join([column(result, self.link) for column in self.columns]))  # noqa: S308 - built from escaped parts


def _links(cl, name, first):
    """Django's ``link_in_col``: whether this column links to the row's change page."""
    if cl.list_display_links is None:
        return False
    if first and not cl.list_display_links:
        return True
    return name in cl.list_display_links


class _RowLink:
    """The change page's address of a row, with the list's filters, as Django writes it: worked
    out for one id, then the row's id put in its place (ids are numbers, which the address
    carries as they are); any other key is looked up row by row."""

    def __init__(self, cl):
        self.cl = cl
        self.context = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}
        self.parts = None
        if isinstance(cl.lookup_opts.pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
            try:
                marked = self._address(_ID_MARK)
            except NoReverseMatch:
                marked = None
            if marked is not None and marked.count(str(_ID_MARK)) == 1:
                before, after = marked.split(str(_ID_MARK))
                self.parts = (escape(before), escape(after))

    def _address(self, pk):
        return add_preserved_filters(self.context, self.cl.url_for_result(self.cl.model(pk=pk)))

    def html(self, result, text):
        """``<a href="…">text</a>`` (``text`` is escaped HTML), or the text alone where the record
        has no change page."""
        pk = getattr(result, self.cl.pk_attname)
        if self.parts is not None and type(pk) is int:
            return f'<a href="{self.parts[0]}{pk}{self.parts[1]}">{text}</a>'
        try:
            url = add_preserved_filters(self.context, self.cl.url_for_result(result))
        except NoReverseMatch:
            return text
        return f'<a href="{escape(url)}">{text}</a>'


def _column(cl, index, name, linked, tag):
    """A function of the row and its link giving the column's cell, as ``items_for_result`` does."""
    model_admin = cl.model_admin
    empty = model_admin.get_empty_value_display()
    classes = f"field-{_coerce_field_name(name, index)}"
    wrap = _linker(linked)
    if name == "action_checkbox" and getattr(model_admin.action_checkbox, "selection_box", False):
        return _selection_box_column()
    field = _model_field(cl, name)
    if field is not None and not field.auto_created:
        return _field_column(field, name, empty, linked, classes, tag, wrap)
    value_of = _value_getter(cl, name)
    if value_of is None:
        return _lookup_column(cl, name, empty, linked, classes, tag, wrap)
    attr = value_of.attr
    cell_empty = getattr(attr, "empty_value_display", empty)
    boolean = getattr(attr, "boolean", False)
    shown_classes = "action-checkbox" if name == "action_checkbox" else classes

    def show(value):
        if isinstance(value, str) and value.strip() == "":
            value = ""
        text = conditional_escape(display_for_value(value, cell_empty, boolean))
        return text, f"{shown_classes} nowrap" if isinstance(value, datetime.date | datetime.time) else shown_classes

    show = _once_a_value(show)

    def cell(result, link):
        try:
            value = value_of(result)
        except ObjectDoesNotExist:
            return f'<{tag} class="{classes}">{wrap(result, link, empty)}</{tag}>'
        text, cell_classes = show(value)
        return f'<{tag} class="{cell_classes}">{wrap(result, link, text)}</{tag}>'

    return cell


def _lookup_column(cl, name, empty, linked, classes, tag, wrap):
    """Any other column (a model's method or property, ``__str__``): Django's ``lookup_field``
    asked row by row."""

    def cell(result, link):
        try:
            field, attr, value = lookup_field(name, result, cl.model_admin)
        except ObjectDoesNotExist:
            return f'<{tag} class="{classes}">{wrap(result, link, empty)}</{tag}>'
        text, cell_classes = _display(name, field, attr, value, empty, linked, classes)
        return f'<{tag} class="{cell_classes}">{wrap(result, link, conditional_escape(text))}</{tag}>'

    return cell


def _linker(linked):
    if linked:
        return lambda result, link, text: link.html(result, text)
    return lambda result, link, text: text


def _model_field(cl, name):
    try:
        return _get_non_gfk_field(cl.lookup_opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        return None


def _field_column(field, name, empty, linked, classes, tag, wrap):
    """A model field's column: its value read from the row, shown as ``display_for_field`` shows
    it (a link's target shown as its name), each distinct value worked out once a page."""
    plain = classes
    if isinstance(field, _NOWRAP_FIELDS):
        classes = f"{classes} nowrap"
    labels = _choice_labels(field)
    if labels is not None:

        def show(value):
            if isinstance(value, str) and value.strip() == "":
                value = ""
            return conditional_escape(labels.get(value, empty))

    elif isinstance(field.remote_field, models.ManyToOneRel):

        def show(value):
            return empty if value is None else conditional_escape(value)

    else:

        def show(value):
            if isinstance(value, str) and value.strip() == "":
                value = ""
            return conditional_escape(display_for_field(value, field, empty, avoid_link=linked))

    show = _once_a_value(show)

    def cell(result, link):
        try:
            value = getattr(result, name)
        except ObjectDoesNotExist:
            return f'<{tag} class="{plain}">{wrap(result, link, empty)}</{tag}>'
        return f'<{tag} class="{classes}">{wrap(result, link, show(value))}</{tag}>'

    return cell


# Values whose display is a function of the value alone (not decimals: 1.0 and 1.00 are equal
# but shown apart); a record by its type and key.
_PLAIN_VALUES = frozenset({str, int, bool, type(None), datetime.date, datetime.datetime, datetime.time, uuid.UUID})


def _once_a_value(show):
    """``show`` remembered for each value met on the page (a list repeats its kinds, statuses,
    places and dates); values it cannot key are shown each time."""
    shown = {}

    def remembered(value):
        kind = type(value)
        if kind in _PLAIN_VALUES:
            key = (kind, value)
        elif isinstance(value, models.Model) and value.pk is not None:
            key = (kind, value.pk)
        else:
            return show(value)
        try:
            return shown[key]
        except KeyError:
            text = shown[key] = show(value)
            return text

    return remembered


def _selection_box_column():
    """The row's selection box (``TrackerAdmin.action_checkbox``), its label translated once a page."""
    label = gettext(SELECTION_LABEL)

    def cell(result, link):
        return f'<td class="action-checkbox">{selection_box(result.pk, str(result), label)}</td>'

    return cell


SELECTION_LABEL = gettext_noop("Select this object for an action - {}")


def selection_box(pk, name, label):
    """The selection box Django's ``action_checkbox`` renders with a form widget's template:
    ``label`` is ``SELECTION_LABEL`` translated, ``name`` the record's name."""
    return mark_safe(  # noqa: S308 - its values escaped
        f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{escape(pk)}" class="action-select" '
        f'aria-label="{label.format(escape(name))}">'
    )


def _value_getter(cl, name):
    """``lookup_field`` for a column that is the admin's method or a callable, its questions
    answered once: a function of the row (its ``attr`` what ``lookup_field`` names), or None."""
    model_admin = cl.model_admin
    if callable(name):
        attr = name
    elif hasattr(model_admin, name) and name != "__str__":
        attr = getattr(model_admin, name)
    else:
        return None

    def value_of(result):
        return attr(result)

    value_of.attr = attr
    return value_of


def choice_label(record, name):
    """``record.get_<name>_display()``, without Django's hashing of each of the field's labels
    (a translation each) to look one up: a list shows it on every row."""
    field = record._meta.get_field(name)
    value = getattr(record, field.attname)
    try:
        label = dict(field.flatchoices).get(value, value)
    except TypeError:
        return getattr(record, f"get_{name}_display")()
    return force_str(label, strings_only=True)


def _choice_labels(field):
    choices = getattr(field, "flatchoices", None)
    if not choices:
        return None
    try:
        return {value: str(label) for value, label in choices}
    except TypeError:
        # List-like choices: Django's own lookup (``make_hashable``) handles them.
        return None


_NOWRAP_FIELDS = (models.DateField, models.TimeField, models.ForeignKey)


def _display(name, field, attr, value, empty, linked, classes):
    """The cell's text and classes from ``lookup_field``'s answer, as ``items_for_result`` has them."""
    empty = getattr(attr, "empty_value_display", empty)
    if isinstance(value, str) and value.strip() == "":
        value = ""
    if field is None or field.auto_created:
        if name == "action_checkbox":
            classes = "action-checkbox"
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        text = display_for_value(value, empty, boolean)
        if isinstance(value, datetime.date | datetime.time):
            classes = f"{classes} nowrap"
        return text, classes
    if isinstance(field.remote_field, models.ManyToOneRel):
        text = empty if value is None else value
    else:
        text = display_for_field(value, field, empty, avoid_link=linked)
    if isinstance(field, _NOWRAP_FIELDS):
        classes = f"{classes} nowrap"
    return text, classes
