"""The shapes of rule the schema repeats, written once.

Each helper returns the database half of a rule (a constraint) or the message half
(what ``clean()`` tells a person), so a model states its rules in one line each.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


def in_vocabulary(name, field, choices, label, *, blank=False):
    """A CHECK that ``field`` holds one of ``choices`` (or is empty, when ``blank``)."""
    condition = Q(**{f"{field}__in": choices.values})
    if blank:
        condition = Q(**{field: ""}) | condition
    return models.CheckConstraint(
        condition=condition, name=name, violation_error_message=format_lazy(_("Unknown {label}."), label=label)
    )


def not_own_parent(name, field, message):
    """A CHECK that a self-reference does not point at its own row."""
    return models.CheckConstraint(condition=~Q(**{field: F("id")}), name=name, violation_error_message=message)


def cycle_error(instance, field):
    """The message for a self-reference that would close a loop, or None.

    Follows ``field`` upwards from the proposed parent; reaching ``instance`` again (or any
    record twice) is a cycle.  The database cannot check this, so ``clean()`` does.
    """
    parent = getattr(instance, field) if getattr(instance, f"{field}_id") is not None else None
    seen = {instance.pk}
    ancestor = parent
    while ancestor is not None:
        if ancestor.pk in seen:
            return _("Choosing %(parent)s here would make a cycle: it already lies under this record.") % {
                "parent": parent
            }
        seen.add(ancestor.pk)
        ancestor = getattr(ancestor, field) if getattr(ancestor, f"{field}_id") is not None else None
    return None
