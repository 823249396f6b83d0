"""One query lists, searches and date-filters measures of every kind."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tracker.models import PolicyInstrument

pytestmark = pytest.mark.django_db

D = datetime.date


def dated(**fields):
    instrument = factories.instrument(**fields)
    for name in ("announced", "effective_from", "effective_until", "rescinded"):
        if getattr(instrument, name):
            setattr(instrument, f"{name}_precision", "day")
    instrument.full_clean()
    instrument.save()
    return instrument


def test_in_force_respects_start_end_and_rescission():
    running = dated(effective_from=D(2020, 1, 1))
    ended = dated(effective_from=D(2020, 1, 1), effective_until=D(2021, 12, 31))
    rescinded = dated(
        status="rescinded", announced=D(2020, 1, 1), effective_from=D(2020, 1, 1), rescinded=D(2022, 6, 1)
    )
    future = dated(effective_from=D(2030, 1, 1))
    undated = dated()
    announced_only = dated(announced=D(2021, 1, 1))

    def in_force(on):
        return set(
            PolicyInstrument.objects.filter(
                pk__in=[i.pk for i in (running, ended, rescinded, future, undated, announced_only)]
            )
            .in_force(on=on)
            .values_list("slug", flat=True)
        )

    assert in_force(D(2019, 12, 31)) == set()
    assert in_force(D(2021, 12, 31)) == {running.slug, ended.slug, rescinded.slug, announced_only.slug}
    assert in_force(D(2022, 6, 1)) == {running.slug, announced_only.slug}
    assert in_force(D(2030, 1, 1)) == {running.slug, future.slug, announced_only.slug}


def test_the_ai_diffusion_rule_was_in_force_only_until_its_rescission():
    rule = "us-bis-2025-ai-diffusion-rule"
    assert PolicyInstrument.objects.in_force(on=D(2025, 3, 1)).filter(slug=rule).exists()
    assert not PolicyInstrument.objects.in_force(on=D(2025, 6, 1)).filter(slug=rule).exists()


def test_one_query_lists_search_results_of_every_kind():
    deepseek = PolicyInstrument.objects.search("DeepSeek")
    kinds = set(deepseek.values_list("kind", flat=True))
    assert "ban" in kinds
    assert {"us-tx-deepseek-ban", "us-nasa-deepseek-ban"} <= set(deepseek.values_list("slug", flat=True))
    assert PolicyInstrument.objects.search("華為").exists() or PolicyInstrument.objects.search("昇騰").exists()
    assert PolicyInstrument.objects.search("BIS").filter(kind="export_control").count() >= 3


def test_all_kinds_come_back_from_one_list():
    kinds = set(PolicyInstrument.objects.values_list("kind", flat=True))
    assert {"plan", "investment_fund", "state_lab", "pilot_zone", "export_control", "ban", "subsidy"} <= kinds
    bans_in_force = PolicyInstrument.objects.of_kind("ban").in_force(on=D(2025, 3, 1))
    assert "us-va-deepseek-ban" in set(bans_in_force.values_list("slug", flat=True))
    assert set(bans_in_force.values_list("kind", flat=True)) == {"ban"}


def test_listing_with_related_costs_the_same_queries_for_any_page_size():
    def queries_for(size):
        with CaptureQueriesContext(connection) as captured:
            for instrument in PolicyInstrument.objects.with_related()[:size]:
                _ = (
                    instrument.jurisdiction.code,
                    instrument.issuing_body,
                    instrument.detail,
                    [layer.code for layer in instrument.layers.all()],
                    list(instrument.targets.all()),
                )
        return len(captured)

    assert queries_for(5) == queries_for(40)
