"""The admin lists' rows and filters, rendered as Django's admin renders them but in fewer steps.

``{% tracker_result_list cl %}`` is Django's ``result_list`` (same template, same table), its
rows prepared once a page by ``tracker.admin.rows``.  ``{% tracker_filter_choices title choices %}``
is Django's ``admin/filter.html`` (a filter's title and a link per choice) written in one step,
without a template's per-node work for each choice (the jurisdictions' filter alone has
dozens): the lists' filters drawn with that template are given ``filters/choices.html``, which
calls it (``tracker.admin.rows.TrackerChangeList``).
``{% tracker_date_input field %}`` is a date range's box as ``{{ field }}`` renders it.
"""

from django import forms, template
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.forms.renderers import DjangoTemplates
from django.utils.encoding import iri_to_uri
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from tracker.admin.rows import result_list

register = template.Library()

_SELECTED = ' class="selected"'


@register.tag(name="tracker_result_list")
def tracker_result_list_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=result_list, template_name="change_list_results.html", takes_context=False
    )


@register.simple_tag
def tracker_filter_choices(title, choices):
    return filter_html(title, choices)


def _shown(value):
    """A value as a template's ``{{ value }}`` shows it (localized, escaped)."""
    return conditional_escape(localize(template_localtime(value)))


def filter_html(title, choices):
    """What Django's ``admin/filter.html`` renders for a filter's title and choices, character
    for character (but the last line's end, which ``filters/choices.html`` adds)."""
    heading = gettext(" By %(filter_title)s ") % {"filter_title": _shown(title)}
    items = "".join(
        [
            f"\n    <li{_SELECTED if choice['selected'] else ''}>\n"
            f'    <a href="{escape(iri_to_uri(choice["query_string"]))}">{_shown(choice["display"])}</a></li>\n  '
            for choice in choices
        ]
    )
    return mark_safe(  # noqa: S308 - built from escaped parts
        f'\n<details data-filter-title="{_shown(title)}" open>\n  <summary>\n    {heading}\n  </summary>\n'
        f"  <ul>\n  {items}\n  </ul>\n</details>"
    )


@register.simple_tag
def tracker_date_input(field):
    """A form's date box (``<input type="date">``) as ``{{ field }}`` renders it through the
    widget's templates; a box with anything more to say (an error, help, a required mark, other
    attributes) is rendered by Django."""
    widget = field.field.widget
    plain = (
        type(widget) is forms.DateInput
        and not widget.attrs
        and not field.field.required
        and not field.field.disabled
        and not field.help_text
        and type(field.form.renderer) is DjangoTemplates
        and not field.errors
    )
    if not plain:
        return str(field)
    value = widget.format_value(field.value())
    shown = "" if value is None else f' value="{escape(value)}"'
    box_id = f' id="{escape(field.auto_id)}"' if field.auto_id else ""
    return mark_safe(  # noqa: S308 - built from escaped parts
        f'<input type="{escape(widget.input_type)}" name="{escape(field.html_name)}"{shown}{box_id}>'
    )
