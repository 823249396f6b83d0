"""The in-force rule (``PolicyInstrumentQuerySet.in_force``): what counts as in force on a day,
the same through the queryset, the API's ``in_force_on`` and the admin's list filter.

On the report's data (loaded for the session) and on measures made here; the same tests run
on SQLite and on PostgreSQL.
"""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from tracker.models import PolicyInstrument
from tracker.querysets import in_force_conditions

pytestmark = pytest.mark.django_db

D = datetime.date
API = "/api/v1"
HR_1121 = "us-hr-1121-no-deepseek-on-government-devices-act"


def measure(precision="day", **fields):
    """A measure with the given lifecycle dates, each known to ``precision`` unless its own
    ``<date>_precision`` says otherwise, validated as the services would."""
    for name in ("announced", "effective_from", "effective_until", "rescinded"):
        if fields.get(name):
            fields.setdefault(f"{name}_precision", precision)
    instrument = factories.instrument(**fields)
    instrument.full_clean()
    instrument.save()
    return instrument


def in_force(record, on):
    return PolicyInstrument.objects.filter(pk=record.pk).in_force(on=on).exists()


def days_in_force(record, *days):
    """Of ``days``, those on which ``record`` is in force."""
    return [day for day in days if in_force(record, day)]


def api_slugs(params):
    client = APIClient()
    found, url = [], f"{API}/instruments/"
    page = client.get(url, {"page_size": 500, **params})
    while True:
        assert page.status_code == 200, page.content[:300]
        body = page.json()
        found += [item["slug"] for item in body["results"]]
        if not body["next"]:
            return found
        page = client.get(body["next"])


def test_a_proposed_bill_is_never_in_force_whatever_its_dates():
    # H.R. 1121 was introduced on 7 February 2025 and never enacted.
    bill = PolicyInstrument.objects.get(slug=HR_1121)
    assert (bill.status, bill.announced, bill.effective_from) == ("proposed", D(2025, 2, 7), None)
    for day in (D(2025, 2, 7), D(2025, 6, 1), datetime.date.today()):
        assert not PolicyInstrument.objects.in_force(on=day).filter(slug=HR_1121).exists()
        assert HR_1121 not in api_slugs({"in_force_on": day.isoformat()})
    # Even a bill that names a day it would take effect.
    dated_bill = measure(status="proposed", kind="legislation", announced=D(2024, 1, 1), effective_from=D(2024, 6, 1))
    assert days_in_force(dated_bill, D(2024, 6, 1), D(2025, 1, 1), D(2040, 1, 1)) == []
    # The same dates on an enacted law are in force.
    law = measure(kind="legislation", announced=D(2024, 1, 1), effective_from=D(2024, 6, 1))
    assert days_in_force(law, D(2024, 5, 31), D(2024, 6, 1), D(2040, 1, 1)) == [D(2024, 6, 1), D(2040, 1, 1)]


def test_a_measure_without_an_effective_date_counts_from_its_announcement():
    plan = measure(announced=D(2021, 1, 1))
    assert days_in_force(plan, D(2020, 12, 31), D(2021, 1, 1), D(2030, 1, 1)) == [D(2021, 1, 1), D(2030, 1, 1)]


def test_an_ended_measure_is_in_force_through_its_last_day_only():
    ended = measure(effective_from=D(2020, 1, 1), effective_until=D(2021, 12, 31))
    assert days_in_force(ended, D(2019, 12, 31), D(2020, 1, 1), D(2021, 12, 31), D(2022, 1, 1)) == [
        D(2020, 1, 1),
        D(2021, 12, 31),
    ]


def test_a_rescinded_measure_is_not_in_force_from_its_rescission_on():
    rescinded = measure(
        status="rescinded", announced=D(2020, 1, 1), effective_from=D(2020, 1, 1), rescinded=D(2022, 6, 1)
    )
    assert days_in_force(rescinded, D(2020, 1, 1), D(2022, 5, 31), D(2022, 6, 1), D(2030, 1, 1)) == [
        D(2020, 1, 1),
        D(2022, 5, 31),
    ]
    # The AI diffusion rule, in force from 13 January 2025, rescinded on 13 May 2025.
    rule = "us-bis-2025-ai-diffusion-rule"
    assert PolicyInstrument.objects.in_force(on=D(2025, 5, 12)).filter(slug=rule).exists()
    assert not PolicyInstrument.objects.in_force(on=D(2025, 5, 13)).filter(slug=rule).exists()
    assert rule in api_slugs({"in_force_on": "2025-05-12"})
    assert rule not in api_slugs({"in_force_on": "2025-05-13"})


@pytest.mark.parametrize("status", ["rescinded", "expired", "superseded", "suspended"])
def test_a_measure_whose_status_says_it_stopped_is_not_in_force_today_even_undated(status):
    # The sources say it stopped but not when: it was in force by its dates, it is not now.
    today = datetime.date.today()
    stopped = measure(status=status, announced=D(2020, 1, 1), effective_from=D(2020, 3, 1))
    assert days_in_force(stopped, D(2020, 3, 1), today - datetime.timedelta(days=1)) == [
        D(2020, 3, 1),
        today - datetime.timedelta(days=1),
    ]
    assert days_in_force(stopped, today, D(2100, 1, 1)) == []
    assert stopped.slug not in api_slugs({"in_force_on": today.isoformat()})
    assert not PolicyInstrument.objects.in_force().filter(pk=stopped.pk).exists()


def test_a_start_known_to_the_month_or_year_counts_from_the_periods_first_day():
    month = measure(precision="month", effective_from=D(2019, 8, 1))  # "2019-08"
    assert days_in_force(month, D(2019, 7, 31), D(2019, 8, 1), D(2019, 8, 31)) == [D(2019, 8, 1), D(2019, 8, 31)]
    year = measure(precision="year", announced=D(2019, 1, 1))  # announced "2019", no effective date
    assert days_in_force(year, D(2018, 12, 31), D(2019, 1, 1), D(2019, 7, 1)) == [D(2019, 1, 1), D(2019, 7, 1)]


def test_an_end_known_to_the_month_or_year_leaves_the_measure_in_force_through_the_period():
    start = D(2015, 1, 1)
    month = measure(
        effective_from=start, effective_from_precision="day", effective_until=D(2021, 12, 1), precision="month"
    )
    assert days_in_force(month, D(2021, 12, 1), D(2021, 12, 31), D(2022, 1, 1)) == [D(2021, 12, 1), D(2021, 12, 31)]
    year = measure(
        effective_from=start, effective_from_precision="day", effective_until=D(2021, 1, 1), precision="year"
    )
    assert days_in_force(year, D(2021, 6, 30), D(2021, 12, 31), D(2022, 1, 1)) == [D(2021, 6, 30), D(2021, 12, 31)]
    rescinded = measure(
        status="rescinded",
        announced=start,
        announced_precision="day",
        effective_from=start,
        effective_from_precision="day",
        rescinded=D(2022, 6, 1),
        precision="month",
    )
    assert days_in_force(rescinded, D(2022, 5, 31), D(2022, 6, 30), D(2022, 7, 1)) == [D(2022, 5, 31), D(2022, 6, 30)]


def test_a_measure_without_dates_is_listed_as_dates_unknown_and_never_in_force():
    undated = measure()
    announced_only = measure(announced=D(2021, 1, 1))
    undated_bill = measure(status="proposed", kind="legislation")
    assert days_in_force(undated, D(1990, 1, 1), D(2025, 1, 1), datetime.date.today(), D(2100, 1, 1)) == []
    unknown = set(PolicyInstrument.objects.dates_unknown().values_list("pk", flat=True))
    assert undated.pk in unknown
    # Dated enough for the rule to place it, or never in force anyway: not unknown.
    assert announced_only.pk not in unknown and undated_bill.pk not in unknown
    # The report's measures the sources give no date for are there, and only such measures.
    assert "cn-sh-compute-vouchers" in set(PolicyInstrument.objects.dates_unknown().values_list("slug", flat=True))
    assert not PolicyInstrument.objects.dates_unknown().filter(effective_from__isnull=False).exists()
    assert not PolicyInstrument.objects.dates_unknown().filter(announced__isnull=False).exists()
    # Every measure is in force today, or not by its dates, or of unknown dates: none is lost.
    today = datetime.date.today()
    placed = PolicyInstrument.objects.filter(effective_from__isnull=False) | PolicyInstrument.objects.filter(
        announced__isnull=False
    )
    everything = set(placed.values_list("pk", flat=True)) | unknown
    never = set(PolicyInstrument.objects.filter(status="proposed").values_list("pk", flat=True))
    assert everything | never == set(PolicyInstrument.objects.values_list("pk", flat=True))
    assert not set(PolicyInstrument.objects.in_force(on=today).values_list("pk", flat=True)) & unknown


def test_the_admin_lists_a_measure_without_dates_as_dates_unknown_and_never_a_bill_as_in_force(analyst):
    undated = measure()
    client = Client()
    client.force_login(analyst)
    url = reverse("admin:tracker_policyinstrument_changelist")

    def listed(value):
        response = client.get(url, {"in_force": value})
        assert response.status_code == 200
        return {obj.pk for obj in response.context["cl"].queryset}

    unknown, in_force_today = listed("dates_unknown"), listed("today")
    assert undated.pk in unknown and undated.pk not in in_force_today
    assert PolicyInstrument.objects.get(slug=HR_1121).pk not in in_force_today | unknown
    assert "dates unknown" in client.get(url).content.decode()


def test_in_force_on_a_recorded_version_follows_the_same_rule():
    # With as_of the API reads the history rows: the rule is the same condition on them.
    moment = timezone.now().isoformat()
    for day in ("2025-05-12", "2025-06-01"):
        expected = set(PolicyInstrument.objects.in_force(on=D.fromisoformat(day)).values_list("slug", flat=True))
        assert set(api_slugs({"in_force_on": day, "as_of": moment})) == expected
    assert HR_1121 not in api_slugs({"in_force_on": "2025-06-01", "as_of": moment})


def test_in_force_on_through_the_api_is_the_querysets_rule():
    for day in (D(2019, 8, 1), D(2025, 3, 1), D(2025, 6, 1)):
        expected = set(PolicyInstrument.objects.in_force(on=day).values_list("slug", flat=True))
        assert set(api_slugs({"in_force_on": day.isoformat()})) == expected
        assert expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_on_postgresql_the_in_force_condition_is_read_from_indexes():
    # No COALESCE: each branch (begun by its effective date, or undated and begun by its
    # announcement) is a condition on plain columns, each read from an index of its own.
    queryset = PolicyInstrument.objects.filter(in_force_conditions(D(2025, 3, 1))).order_by().values("pk")
    sql, params = queryset.query.sql_with_params()
    assert "COALESCE" not in sql.upper()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    index_conditions = [line for line in plan.splitlines() if "Index Cond:" in line]
    assert any("effective_from <=" in line for line in index_conditions), plan
    assert any("effective_from IS NULL" in line or "announced <=" in line for line in index_conditions), plan
