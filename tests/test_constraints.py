"""Each rule refuses its bad case twice: in validation, with a message naming the field,
and in the database itself, for writes that skip validation."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests import factories
from tracker.models import (
    Fund,
    FundParticipant,
    IndicatorCitation,
    IndicatorSubject,
    InstrumentCitation,
    Jurisdiction,
    Organization,
    PolicyInstrument,
    Product,
    Source,
    Subsidy,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def fund_instrument():
    instrument = factories.instrument(kind="investment_fund")
    instrument.save()
    return instrument


def saved(obj):
    obj.save()
    return obj


# (case id, builder of an invalid unsaved record, field named in the error, words of the message,
#  whether the database itself refuses it)
CASES = [
    (
        "instrument ends before it starts",
        lambda: factories.instrument(
            effective_from=D(2024, 5, 1),
            effective_from_precision="day",
            effective_until=D(2024, 4, 1),
            effective_until_precision="day",
        ),
        "__all__",
        "cannot stop having effect before it takes effect",
        True,
    ),
    (
        "instrument rescinded before announced",
        lambda: factories.instrument(
            status="rescinded",
            announced=D(2025, 1, 13),
            announced_precision="day",
            rescinded=D(2024, 1, 1),
            rescinded_precision="day",
        ),
        "__all__",
        "cannot be rescinded before it was announced",
        True,
    ),
    (
        "rescission date without rescinded status",
        lambda: factories.instrument(status="in_force", rescinded=D(2025, 5, 13), rescinded_precision="day"),
        "__all__",
        "status 'rescinded'",
        True,
    ),
    (
        "date without precision",
        lambda: factories.instrument(announced=D(2025, 1, 1)),
        "announced_precision",
        "known to the day, month or year",
        True,
    ),
    (
        "precision without date",
        lambda: factories.instrument(announced_precision="day"),
        "announced_precision",
        "no announced date",
        True,
    ),
    (
        "month-precision date not on the first",
        lambda: factories.instrument(effective_from=D(2019, 8, 15), effective_from_precision="month"),
        "effective_from",
        "written as its first day (2019-08-01)",
        False,
    ),
    (
        "year-precision date not on 1 January",
        lambda: factories.instrument(effective_from=D(2019, 8, 1), effective_from_precision="year"),
        "effective_from",
        "written as 1 January (2019-01-01)",
        False,
    ),
    (
        "unknown instrument kind",
        lambda: factories.instrument(kind="wishful_thinking"),
        "kind",
        "not a valid choice",
        True,
    ),
    (
        "fund with a negative amount",
        lambda: Fund(instrument=fund_instrument(), amount=Decimal("-1"), currency="CNY"),
        "__all__",
        "amount cannot be negative",
        True,
    ),
    (
        "fund in an unknown currency",
        lambda: Fund(instrument=fund_instrument(), amount=Decimal("100"), currency="XYZ"),
        "currency",
        "not a valid choice",
        True,
    ),
    (
        "fund amount without currency",
        lambda: Fund(instrument=fund_instrument(), amount=Decimal("100"), currency=""),
        "__all__",
        "Give the currency",
        True,
    ),
    (
        "fund with a negative dollar equivalent",
        lambda: Fund(instrument=fund_instrument(), usd_equivalent=Decimal("-5"), usd_rate_date=D(2025, 1, 1)),
        "__all__",
        "US-dollar equivalent cannot be negative",
        True,
    ),
    (
        "fund with a zero-year term",
        lambda: Fund(instrument=fund_instrument(), term_years=0),
        "__all__",
        "term is at least one year",
        True,
    ),
    (
        "dollar equivalent without the rate's date",
        lambda: Fund(instrument=fund_instrument(), amount=Decimal("60"), currency="CNY", usd_equivalent=Decimal("8")),
        "usd_rate_date",
        "date of the exchange rate",
        False,
    ),
    (
        "fund details on a measure that is not a fund",
        lambda: Fund(instrument=saved(factories.instrument(kind="ban"))),
        "instrument",
        "belong to a measure of kind investment fund",
        False,
    ),
    (
        "citation confirmed from a source whose text was not read",
        lambda: InstrumentCitation(
            instrument=saved(factories.instrument()),
            source=Source.objects.get(slug="rand-full-stack-2025"),
            locator="p. 1",
            quote="A summary of the page.",
            quote_language="en",
            verbatim=False,
            confidence="confirmed",
        ),
        "__all__",
        "confirmed only from the source's own text",
        True,
    ),
    (
        "indicator subject that is both a place and a body",
        lambda: IndicatorSubject(
            indicator=saved(factories.indicator()),
            jurisdiction=Jurisdiction.objects.get(code="US"),
            organization=Organization.objects.get(slug="openai"),
        ),
        "__all__",
        "choose one",
        True,
    ),
    (
        "indicator subject that is neither",
        lambda: IndicatorSubject(indicator=saved(factories.indicator())),
        "__all__",
        "choose one",
        True,
    ),
    (
        "subsidy with an amount but no currency",
        lambda: Subsidy(instrument=saved(factories.instrument(kind="subsidy")), pays_for="compute rental", amount=10),
        "__all__",
        "needs its ISO 4217 currency",
        True,
    ),
    (
        "subsidy that does not say what it pays for",
        lambda: Subsidy(instrument=saved(factories.instrument(kind="subsidy")), pays_for=""),
        "pays_for",
        "cannot be blank",
        True,
    ),
    (
        "fund equivalent stated without its citation",
        lambda: Fund(instrument=fund_instrument(), stated_equivalent=Decimal("8.2"), stated_equivalent_currency="USD"),
        "stated_equivalent_citation",
        "Cite the source",
        False,
    ),
    (
        "fund equivalent stated without its currency",
        lambda: Fund(instrument=fund_instrument(), stated_equivalent=Decimal("8.2")),
        "__all__",
        "needs its ISO 4217 currency",
        True,
    ),
    (
        "product of an unknown kind",
        lambda: Product(slug="test-product", name_en="A product", kind="gadget"),
        "kind",
        "not a valid choice",
        True,
    ),
    (
        "participant share over 100 per cent",
        lambda: FundParticipant(
            fund=saved(Fund(instrument=fund_instrument())),
            organization=Organization.objects.get(slug="huawei"),
            role="shareholder",
            share_percent=Decimal("120"),
        ),
        "__all__",
        "between 0 and 100",
        True,
    ),
    (
        "jurisdiction with a made-up ISO code",
        lambda: factories.jurisdiction(iso_code="CN-QQ"),
        "iso_code",
        "not an ISO 3166-1 or ISO 3166-2 code",
        False,
    ),
    (
        "country inside a city",
        lambda: factories.jurisdiction(level="country", parent=saved(factories.jurisdiction(level="city"))),
        "parent",
        "cannot lie in",
        False,
    ),
    (
        "jurisdiction code in lower case",
        lambda: factories.jurisdiction(code="cn-sh"),
        "code",
        "ISO 3166 code",
        False,
    ),
    (
        "citation without a locator",
        lambda: InstrumentCitation(
            instrument=saved(factories.instrument()),
            source=Source.objects.get(slug="rand-full-stack-2025"),
            locator="",
            quote="text",
            quote_language="en",
        ),
        "locator",
        "cannot be blank",
        True,
    ),
    (
        "citation without a quote",
        lambda: InstrumentCitation(
            instrument=saved(factories.instrument()),
            source=Source.objects.get(slug="rand-full-stack-2025"),
            locator="p. 1",
            quote="",
            quote_language="en",
        ),
        "quote",
        "cannot be blank",
        True,
    ),
    (
        "citation with an unknown confidence",
        lambda: IndicatorCitation(
            indicator=saved(factories.indicator()),
            source=Source.objects.get(slug="rand-full-stack-2025"),
            locator="p. 1",
            quote="text",
            quote_language="en",
            confidence="certain",
        ),
        "confidence",
        "not a valid choice",
        True,
    ),
    (
        "range whose upper value is below its value",
        lambda: factories.indicator(value=500, value_max=100),
        "__all__",
        "upper value of a range cannot be below",
        True,
    ),
    (
        "money without a currency",
        lambda: factories.indicator(unit="currency", currency=""),
        "currency",
        "needs its ISO 4217 currency",
        True,
    ),
    (
        "a count with a currency",
        lambda: factories.indicator(unit="count", currency="USD"),
        "currency",
        "takes no currency",
        True,
    ),
    (
        "a target year out of range",
        lambda: factories.indicator(year=3030),
        "__all__",
        "between 1900 and 2200",
        True,
    ),
]


@pytest.mark.parametrize(
    ("build", "field", "words", "in_database"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_record_is_refused_with_a_clear_message(build, field, words, in_database):
    record = build()
    with pytest.raises(ValidationError) as refused:
        record.full_clean()
    messages = refused.value.message_dict
    assert field in messages, messages
    assert any(words in message for message in messages[field]), messages[field]

    if in_database:
        model = type(record)
        before = model.objects.count()
        with pytest.raises(IntegrityError), transaction.atomic():
            record.save()
        assert model.objects.count() == before


def test_an_instrument_cannot_be_part_of_itself():
    instrument = saved(factories.instrument())
    instrument.part_of = instrument
    with pytest.raises(IntegrityError), transaction.atomic():
        instrument.save()


def test_a_programme_cycle_is_refused_by_validation():
    outer = saved(factories.instrument(kind="pilot_zone_programme"))
    inner = saved(factories.instrument(kind="pilot_zone_programme", part_of=outer))
    outer.part_of = inner
    with pytest.raises(ValidationError, match="would make a cycle"):
        outer.full_clean()


def test_jurisdiction_and_organization_cannot_be_their_own_parent():
    place = Jurisdiction.objects.get(code="CN")
    place.parent = place
    with pytest.raises(ValidationError, match="parent"):
        place.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        place.save()

    body = Organization.objects.get(slug="huawei")
    body.parent = body
    with pytest.raises(ValidationError, match="cycle"):
        body.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        body.save()


def test_source_cannot_translate_itself():
    source = Source.objects.get(slug="rand-full-stack-2025")
    source.translation_of = source
    with pytest.raises(IntegrityError), transaction.atomic():
        source.save()


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (PolicyInstrument, lambda: factories.instrument(slug=saved(factories.instrument()).slug)),
        (Organization, lambda: factories.organization(slug="huawei")),
        (Jurisdiction, lambda: factories.jurisdiction(code="US")),
    ],
)
def test_natural_keys_are_unique(model, make):
    duplicate = make()
    with pytest.raises(ValidationError, match="already exists"):
        duplicate.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_same_passage_cannot_be_cited_twice_but_two_sources_can_disagree():
    instrument = saved(factories.instrument())
    report = Source.objects.get(slug="rand-full-stack-2025")
    other = saved(factories.source())
    first = {"instrument": instrument, "locator": "p. 3", "quote": "US$8.2 billion", "quote_language": "en"}
    InstrumentCitation.objects.create(source=report, **first)
    InstrumentCitation.objects.create(source=other, confidence="disputed", **{**first, "quote": "CNY 60 billion"})
    again = InstrumentCitation(source=report, **first)
    with pytest.raises(ValidationError, match="already cites that place"):
        again.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()
    assert instrument.citations.count() == 2


def test_a_measure_with_ban_details_cannot_become_a_plan():
    ban = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    ban.kind = "plan"
    with pytest.raises(ValidationError) as refused:
        ban.full_clean()
    assert "has ban details, which a plan or strategy cannot have" in refused.value.message_dict["kind"][0]
