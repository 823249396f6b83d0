"""Amounts of money as people read them: ``CNY 344 bn``, the exact figure on hover.

``money(amount, currency)`` is the one place an amount is shortened; the admin's lists and
read-only displays call it, and templates use it as ``{{ fund.amount|money:fund.currency }}``.
"""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Largest first: an amount takes the first scale it reaches, after rounding.
SCALES = ((12, _("tn")), (9, _("bn")), (6, _("m")), (3, _("k")))
SIGNIFICANT = 3


def _plain(value):
    """A decimal without exponent or trailing zeros: 344, 1.25, 0.5."""
    text = format(value.normalize(), "f")
    return text


def short_amount(amount):
    """``amount`` to three significant figures in thousands, millions, billions or trillions."""
    value = Decimal(amount)
    if not value:
        return "0"
    rounded = Decimal(f"{value:.{SIGNIFICANT}g}")
    for exponent, suffix in SCALES:
        if abs(rounded) >= Decimal(10) ** exponent:
            return f"{_plain(rounded.scaleb(-exponent))} {suffix}"
    return _plain(rounded)


def exact_amount(amount):
    """Every digit, grouped in thousands; cents only where there are some."""
    value = Decimal(amount)
    places = 0 if value == value.to_integral_value() else 2
    return f"{value:,.{places}f}"


@register.filter
def money(amount, currency=""):
    """``CNY 344 bn``, with ``CNY 344,000,000,000`` as its title; empty for no amount."""
    if amount is None or amount == "":
        return ""
    prefix = f"{currency} " if currency else ""
    return format_html('<span title="{}{}">{}{}</span>', prefix, exact_amount(amount), prefix, short_amount(amount))
