"""Small builders for valid records; each test changes one thing to make it invalid."""

import itertools

from tracker.models import Indicator, Jurisdiction, Organization, PolicyInstrument, Source

_counter = itertools.count()


def unique(prefix):
    return f"{prefix}-{next(_counter)}"


def jurisdiction(**fields):
    values = {"code": f"CN-ZZ{next(_counter)}", "name_en": "Test place", "level": "city", **fields}
    return Jurisdiction(**values)


def organization(**fields):
    values = {"slug": unique("org"), "name_en": "Test body", "kind": "government_body", **fields}
    return Organization(**values)


def instrument(**fields):
    values = {
        "slug": unique("measure"),
        "title_en": "Test measure",
        "kind": "plan",
        "status": "in_force",
        "jurisdiction": Jurisdiction.objects.get(code="CN"),
        **fields,
    }
    return PolicyInstrument(**values)


def source(**fields):
    values = {"slug": unique("source"), "title": "A source", "kind": "news", "language": "en", **fields}
    return Source(**values)


def indicator(**fields):
    values = {
        "slug": unique("claim"),
        "subject_en": "Test subject",
        "metric": "output",
        "kind": "target",
        "value": 1,
        "unit": "count",
        **fields,
    }
    return Indicator(**values)
