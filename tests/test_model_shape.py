"""The model holds what the sources say: several issuers, scopes, places and subjects,
products as records, subsidies, layer citations and the Figure 1 matrix."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests import factories
from tracker.models import (
    Ban,
    Indicator,
    Organization,
    PilotZone,
    PolicyInstrument,
    Product,
    Scope,
    StackLayer,
)
from tracker.services import Actor, save_record

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_a_measure_lists_its_issuers_lead_first():
    network = PolicyInstrument.objects.get(slug="cn-national-integrated-computing-network")
    network.co_issuers.set(Organization.objects.filter(slug__in=["huawei"]))
    issuers = network.issuers()
    assert issuers[0] == (network.issuing_body, "lead")
    assert [role for _, role in issuers[1:]] == ["co_issuer"]


def test_a_co_issuer_needs_a_lead_and_is_not_the_lead(analyst):
    measure = factories.instrument(issuing_body=Organization.objects.get(slug="huawei"))
    with pytest.raises(ValidationError, match="lead issuer; it is not also a co-issuer"):
        save_record(record=measure, actor=Actor.admin(analyst), relations={"co_issuers": [measure.issuing_body]})
    orphan = factories.instrument()
    with pytest.raises(ValidationError, match="Name the lead issuer"):
        save_record(record=orphan, actor=Actor.admin(analyst), relations={"co_issuers": [measure.issuing_body]})


def test_a_ban_names_its_products_as_records(analyst):
    texas = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    assert texas.products.filter(slug="deepseek-app").exists()
    h20 = Product.objects.get(slug="nvidia-h20")
    assert h20.maker.slug == "nvidia" and h20.layer.code == "chips"
    with pytest.raises(ValidationError, match="choose the banned products"):
        save_record(record=factories.instrument(kind="ban"), actor=Actor.admin(analyst), relations={"products": []})


def test_a_ban_covers_several_scopes_and_needs_one(analyst):
    nasa = Ban.objects.get(instrument__slug="us-nasa-deepseek-ban")
    assert set(nasa.scopes.values_list("code", flat=True)) == {
        "government_data",
        "government_devices",
        "government_networks",
    }
    louisiana = Ban.objects.get(instrument__slug="us-la-deepseek-ban")
    assert set(louisiana.scopes.values_list("code", flat=True)) == {"state_agencies", "schools"}
    ban = Ban(instrument=nasa.instrument, legal_form="memo")
    with pytest.raises(ValidationError, match="choose one or more scopes"):
        ban.validate_relations(scopes=[])
    assert Scope.objects.count() == 8


def test_a_pilot_zone_covers_several_places_and_needs_one():
    jinan_qingdao = PilotZone.objects.get(instrument__slug="cn-ai-application-pilot-zone-jinan-qingdao")
    places = jinan_qingdao.places.all()
    assert {place.code for place in places} == {"CN-SD-JINAN", "CN-SD-QINGDAO"}
    assert all(place.parent.code == "CN-SD" and place.level == "city" for place in places)
    with pytest.raises(ValidationError, match="Name the city or area"):
        jinan_qingdao.validate_relations(places=[])


def test_indicators_compare_subjects_with_roles_and_carry_layers():
    gap = Indicator.objects.get(slug="us-cn-private-ai-investment-gap-report")
    assert {(s.subject.code, s.role) for s in gap.subjects.all()} == {("US", "subject"), ("CN", "compared")}
    stargate = Indicator.objects.get(slug="us-stargate-investment-announcement")
    partners = {s.organization.slug for s in stargate.subjects.filter(role="partner")}
    assert partners == {"openai", "softbank", "oracle", "mgx"}
    assert set(stargate.layers.values_list("code", flat=True)) == {"compute", "capital"}


def test_the_figure_1_matrix_counts_measures_by_layer_kind_and_country():
    matrix = PolicyInstrument.objects.layer_kind_matrix(("CN", "US"))
    us_bans = PolicyInstrument.objects.in_country("US").filter(kind="ban", layers__code="applications").distinct()
    assert matrix[("applications", "ban", "US")] == us_bans.count() >= 10
    assert matrix.get(("chips", "export_control", "US"), 0) >= 2
    assert all(country in ("CN", "US") for _, _, country in matrix)
    assert PolicyInstrument.objects.in_country("US").filter(jurisdiction__code="US-TX").exists()


def test_the_matrix_page_links_each_cell_to_the_filtered_list(analyst):
    client = Client()
    client.force_login(analyst)
    page = client.get(reverse("admin:tracker_stacklayer_matrix"))
    assert page.status_code == 200
    layer = StackLayer.objects.get(code="applications")
    link = f"?layers__id__exact={layer.pk}&amp;kind__exact=ban&amp;country=US"
    assert link in page.content.decode()
    listed = client.get(reverse("admin:tracker_policyinstrument_changelist") + link.replace("&amp;", "&"))
    expected = PolicyInstrument.objects.layer_kind_matrix(("US",))[("applications", "ban", "US")]
    assert listed.context["cl"].result_count == expected


def test_every_layer_cites_the_report_in_its_own_words():
    from tests.report_text import paragraphs, report_available

    text = paragraphs() if report_available() else None
    for layer in StackLayer.objects.all():
        citation = layer.citations.get(source__slug="ilr-full-stack-zh-2025")
        if text is not None:
            assert citation.quote in text[citation.locator], layer.code


def test_compute_vouchers_are_subsidies_with_what_they_pay_for():
    voucher = PolicyInstrument.objects.get(slug="cn-gd-shenzhen-compute-vouchers")
    assert voucher.detail.pays_for.startswith("Rental of computing power")
    assert voucher.detail.currency == "CNY" and voucher.detail.amount == 500_000_000


@pytest.mark.skipif(connection.vendor != "sqlite", reason="run once, on an embedded database of its own")
def test_the_migrations_carry_old_seed_data_across(tmp_path):
    """A database holding the old shapes (one ban scope, one pilot-zone city, an indicator's
    place and body, a confirmed summary) migrates to lists and a lowered confidence."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'old.sqlite3'}",
        DJANGO_SECRET_KEY="migration-test",
        DJANGO_SETTINGS_MODULE="config.settings",
    )

    def run(*args):
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    run("manage.py", "migrate", "tracker", "0005", "--noinput")
    old_shapes = textwrap.dedent(
        """
        import datetime
        import django
        django.setup()
        from django.db import connection
        from django.db.migrations.loader import MigrationLoader
        from django.utils import timezone
        apps = MigrationLoader(connection).project_state(("tracker", "0005_roles")).apps
        get = lambda name: apps.get_model("tracker", name)
        now = timezone.now()
        stamp = dict(created=now, updated=now)
        cn = get("Jurisdiction").objects.create(code="CN", name_en="China", level="country", **stamp)
        sd = get("Jurisdiction").objects.create(code="CN-SD", name_en="Shandong", level="state", parent=cn, **stamp)
        body = get("Organization").objects.create(slug="body", name_en="Body", kind="company", **stamp)
        measure = get("PolicyInstrument").objects.create
        dated = dict(announced=datetime.date(2025, 1, 31), announced_precision="day", status="in_force")
        ban = measure(slug="old-ban", title_en="Ban", kind="ban", jurisdiction=cn, **dated, **stamp)
        old_ban = dict(banned_product="X", scope="devices_and_networks", legal_form="memo")
        get("Ban").objects.create(instrument=ban, **old_ban, **stamp)
        zone = measure(slug="old-zone", title_en="Zone", kind="pilot_zone", jurisdiction=cn, **stamp)
        get("PilotZone").objects.create(instrument=zone, city=sd, **stamp)
        get("Indicator").objects.create(slug="old-figure", subject_en="S", metric="m", kind="estimate", value=1,
                                        unit="count", jurisdiction=cn, organization=body, **stamp)
        source = get("Source").objects.create(slug="src", title="T", kind="news", language="en", **stamp)
        control = dict(kind="export_control", jurisdiction=cn)
        rule = measure(slug="old-rule", title_en="Rule", status="rescinded", **control, **stamp)
        undo = measure(slug="old-rescission", title_en="Rescission", **control,
                       announced=datetime.date(2025, 5, 13), announced_precision="day", status="in_force", **stamp)
        undo.amends.add(rule)
        get("ExportControl").objects.create(instrument=undo, legal_form="rescission", **stamp)
        get("InstrumentCitation").objects.create(instrument=undo, source=source, locator="article", quote="rescinded",
            quote_language="en", **stamp)
        get("InstrumentCitation").objects.create(instrument=ban, source=source, locator="p. 1", quote="q",
            quote_language="en", verbatim=False, confidence="confirmed", **stamp)
        """
    )
    run("-c", old_shapes)
    run("manage.py", "migrate", "--noinput")
    check = textwrap.dedent(
        """
        import django
        django.setup()
        from tracker.models import Ban, InstrumentCitation, Indicator, PilotZone
        ban = Ban.objects.get(instrument__slug="old-ban")
        print(sorted(ban.scopes.values_list("code", flat=True)))
        print(list(PilotZone.objects.get(instrument__slug="old-zone").places.values_list("code", flat=True)))
        print(sorted(str(s.subject.pk and s.role) + ":" + type(s.subject).__name__
                     for s in Indicator.objects.get(slug="old-figure").subjects.all()))
        citation = InstrumentCitation.objects.get(instrument__slug="old-ban")
        print(citation.confidence, "Lowered from confirmed" in citation.note)
        events = ban.instrument.events.all()
        print([(e.kind, str(e.date), e.date_kind) for e in events], ban.instrument.status)
        from tracker.models import PolicyInstrument
        rule = PolicyInstrument.objects.get(slug="old-rule")
        rescission = rule.events.get(kind="rescinded")
        gone = not PolicyInstrument.objects.filter(slug="old-rescission").exists()
        print(gone, rule.status, str(rule.rescinded), rescission.citation.locator)
        """
    )
    lines = run("-c", check).strip().splitlines()
    assert lines == [
        "['government_devices', 'government_networks']",
        "['CN-SD']",
        "['subject:Jurisdiction', 'subject:Organization']",
        "reported True",
        "[('announced', '2025-01-31', 'exact')] in_force",
        "True rescinded 2025-05-13 article",
    ]


def test_the_seed_data_use_the_new_shapes():
    network = PolicyInstrument.objects.get(slug="cn-national-integrated-computing-network")
    assert [(body.slug, role) for body, role in network.issuers()] == [
        ("cn-ndrc", "lead"),
        ("cn-national-data-administration", "co_issuer"),
    ]
    fund = PolicyInstrument.objects.get(slug="cn-national-ai-industry-investment-fund").fund
    assert (fund.amount, fund.currency) == (60_060_000_000, "CNY")
    assert (fund.stated_equivalent, fund.stated_equivalent_currency) == (8_200_000_000, "USD")
    assert "82\u00a0億美元" in fund.stated_equivalent_citation.quote
    assert set(Product.objects.get(slug="nvidia-h20").instruments.values_list("slug", flat=True)) == {
        "us-2025-nvidia-h20-licence-requirement"
    }
    texas = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    assert {"deepseek-app", "rednote", "lemon8"} <= set(texas.products.values_list("slug", flat=True))


def test_a_general_passage_cited_for_a_specific_record_is_context():
    from tracker.models import InstrumentCitation

    voucher = InstrumentCitation.objects.get(
        instrument__slug="cn-sh-compute-vouchers", source__slug="ilr-full-stack-zh-2025"
    )
    assert voucher.role == "context"
    texas = InstrumentCitation.objects.get(instrument__slug="us-tx-deepseek-ban", source__slug="ilr-full-stack-zh-2025")
    assert texas.role == "support"
    # Every record the report names still has a citation of the report that supports it or sets its context.
    assert not InstrumentCitation.objects.filter(role="context", verbatim=False, confidence="confirmed").exists()
