"""A measure's life as dated events: status and dates follow, dates kept as sources give them."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests import factories
from tracker.models import InstrumentEvent, PolicyInstrument
from tracker.services import Actor, ChildChange, delete_record, save_record

pytestmark = pytest.mark.django_db
D = datetime.date


def DAY(*parts):  # noqa: N802 - reads as a date in the cases below
    return {"date": D(*parts), "date_precision": "day"}


def event(instrument, kind, **fields):
    return InstrumentEvent(instrument=instrument, kind=kind, **fields)


def measure_with_events(analyst, *events, **fields):
    measure = factories.instrument(**fields)
    save_record(record=measure, actor=Actor.admin(analyst))
    for built in events:
        built.instrument = measure
        save_record(record=built, actor=Actor.admin(analyst))
    measure.refresh_from_db()
    return measure


def test_status_and_dates_follow_the_events(analyst):
    measure = measure_with_events(
        analyst,
        event(None, "announced", date=D(2024, 5, 1), date_precision="day"),
        event(None, "took_effect", date=D(2024, 6, 1), date_precision="month"),
        status="unknown",
    )
    assert (measure.status, measure.announced, measure.effective_from) == ("in_force", D(2024, 5, 1), D(2024, 6, 1))
    assert measure.effective_from_precision == "month"

    save_record(
        record=event(measure, "rescinded", date=D(2025, 1, 2), date_precision="day"), actor=Actor.admin(analyst)
    )
    measure.refresh_from_db()
    assert (measure.status, measure.rescinded) == ("rescinded", D(2025, 1, 2))
    assert not PolicyInstrument.objects.in_force(on=D(2025, 3, 1)).filter(pk=measure.pk).exists()
    assert PolicyInstrument.objects.in_force(on=D(2024, 7, 1)).filter(pk=measure.pk).exists()

    delete_record(record=measure.events.get(kind="rescinded"), actor=Actor.admin(analyst))
    measure.refresh_from_db()
    assert (measure.status, measure.rescinded) == ("in_force", None)


def test_a_future_effect_is_announced_a_suspension_suspends_and_a_bill_is_proposed(analyst):
    future = measure_with_events(analyst, event(None, "took_effect", date=D(2999, 1, 1), date_precision="day"))
    assert future.status == "announced"
    suspended = measure_with_events(
        analyst,
        event(None, "took_effect", date=D(2024, 1, 1), date_precision="day"),
        event(None, "suspended", date=D(2024, 3, 1), date_precision="day"),
    )
    assert suspended.status == "suspended"
    bill = measure_with_events(
        analyst, event(None, "introduced", date=D(2025, 2, 6), date_precision="day"), kind="legislation"
    )
    assert bill.status == "proposed" and bill.announced == D(2025, 2, 6)


def test_a_date_only_reported_is_never_the_events_date():
    doc = PolicyInstrument.objects.get(slug="us-doc-deepseek-ban")
    announced = doc.events.get(kind="announced")
    assert announced.date is None and announced.reported_on == D(2025, 3, 17)
    assert announced.date_text() == "date unknown, reported 2025-03-17"
    assert doc.announced is None and doc.status == "in_force"


def test_approximate_and_range_dates_are_kept_as_such_and_still_order():
    house = PolicyInstrument.objects.get(slug="us-house-deepseek-notice").events.get(kind="announced")
    korea = PolicyInstrument.objects.get(slug="kr-deepseek-ministry-blocks").events.get(kind="announced")
    assert house.date_text() == "about 2025-01-30"
    assert korea.date_text() == "2025-02-04 – 2025-02-06"
    ordered = list(
        PolicyInstrument.objects.filter(slug__in=["us-house-deepseek-notice", "kr-deepseek-ministry-blocks"])
        .order_by("announced")
        .values_list("slug", flat=True)
    )
    assert ordered == ["us-house-deepseek-notice", "kr-deepseek-ministry-blocks"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date_kind": "reported"}, "Give the day the report appeared"),
        (
            {"date_kind": "reported", "reported_on": D(2025, 3, 17), "date": D(2025, 3, 17), "date_precision": "day"},
            "report's date is not the event's",
        ),
        (
            {"date_kind": "range", "date": D(2025, 2, 6), "date_precision": "day", "date_end": D(2025, 2, 4)},
            "end on or after its start",
        ),
        ({"date_kind": "exact"}, "has its day"),
        (
            {"date_kind": "approximate", "date": D(2025, 1, 30), "date_precision": "day", "date_end": D(2025, 2, 1)},
            "other dates have no end",
        ),
    ],
)
def test_an_event_date_that_contradicts_its_kind_is_refused(fields, message):
    measure = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    with pytest.raises(ValidationError, match=message):
        event(measure, "amended", sequence=9, **fields).full_clean()


def test_events_that_make_impossible_dates_are_refused_and_nothing_is_written(analyst):
    measure = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    before = (measure.version, measure.events.count())
    with pytest.raises(ValidationError, match="impossible dates: A measure cannot stop having effect before"):
        save_record(
            record=measure,
            actor=Actor.admin(analyst),
            children=[ChildChange(record=event(measure, "expired", date=D(2000, 1, 1), date_precision="day"))],
            message="",
        )
    measure.refresh_from_db()
    assert (measure.version, measure.events.count()) == before


def test_the_measures_list_shows_dates_as_the_sources_give_them(analyst):
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(analyst)
    page = client.get(reverse("admin:tracker_policyinstrument_changelist"), {"q": "DeepSeek"}).content.decode()
    assert "about 2025-01-30" in page
    assert "date unknown, reported 2025-03-17" in page
    assert "2025-02-04 – 2025-02-06" in page
