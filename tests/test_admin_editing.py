"""Editing in the admin's change forms: a new measure with its detail in one form, errors beside
their field, amounts read as money, currencies by code, lower-case slugs, definitions in place."""

import datetime
import json
import re
from decimal import Decimal
from html import unescape

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelMultipleChoiceField
from django.test import RequestFactory
from django.urls import reverse
from django.utils.html import escape

from tests.test_admin import change_form_data
from tracker.admin.forms import CURRENCY_CHOICES, add_service_errors
from tracker.choices import DEFINITIONS, InstrumentKind, StackLayerCode
from tracker.iso4217 import CURRENCIES
from tracker.models import Ban, Fund, Jurisdiction, PolicyInstrument, Product, Scope
from tracker.models.base import SlugKeyedModel
from tracker.services import Actor, save_record
from tracker.templatetags.tracker_money import money, short_amount

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/tracker/policyinstrument/add/"


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


def add_form_data(client):
    """The empty add page as a browser would post it: the management forms, nothing filled in."""
    page = client.get(ADD_URL)
    form = page.context["adminform"].form
    data = {name: "" if form[name].value() is None else form[name].value() for name in form.fields}
    for name, field in form.fields.items():
        if isinstance(field, ModelMultipleChoiceField):
            data[name] = []
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
    return data


def new_measure(data, slug, kind, **fields):
    data.update(
        slug=slug,
        title_en=f"Test measure {slug}",
        kind=kind,
        status="in_force",
        jurisdiction=str(Jurisdiction.objects.get(code="US-TX").pk),
        **fields,
    )
    return data


def ban_section(data, wording="DeepSeek apps"):
    data.update(
        {
            "ban-0-legal_form": "directive",
            "ban-0-scopes": [str(Scope.objects.get(code="government_devices").pk)],
            "ban-0-banned_product": wording,
        }
    )
    return data


# --- a new measure and its detail in one form -----------------------------------------------------


def test_the_add_page_holds_every_kinds_detail_section_and_the_script_that_picks_one(analyst_client):
    page = analyst_client.get(ADD_URL)
    prefixes = {formset.formset.prefix for formset in page.context["inline_admin_formsets"]}
    assert {"fund", "subsidy", "lab", "pilot_zone", "export_control", "ban", "events", "citations"} <= prefixes
    html = page.content.decode()
    assert "tracker/admin/kind_details.js" in html
    groups = json.loads(unescape(re.search(r"data-detail-groups=\"([^\"]+)\"", html).group(1)))
    assert groups["ban"] == "ban" and groups["investment_fund"] == "fund"
    assert groups["export_control"] == groups["entity_listing"] == "export_control"


def test_an_analyst_adds_a_ban_with_its_detail_in_one_form(analyst_client):
    data = ban_section(new_measure(add_form_data(analyst_client), "us-tx-test-ban", "ban"))
    data["products"] = [str(Product.objects.get(slug="deepseek-app").pk)]

    response = analyst_client.post(ADD_URL, data)

    assert response.status_code == 302, response.context["errors"] if response.context else response
    measure = PolicyInstrument.objects.get(slug="us-tx-test-ban")
    ban = Ban.objects.get(instrument=measure)
    assert ban.legal_form == "directive" and ban.banned_product == "DeepSeek apps"
    assert list(ban.scopes.values_list("code", flat=True)) == ["government_devices"]
    assert measure.history.count() == 1 and ban.history.count() == 1  # through the services, with history
    assert not Fund.objects.filter(instrument=measure).exists()


def test_a_detail_section_filled_for_another_kind_is_refused_by_name_and_nothing_is_saved(analyst_client):
    data = ban_section(new_measure(add_form_data(analyst_client), "us-tx-test-plan", "plan"))

    response = analyst_client.post(ADD_URL, data)

    assert response.status_code == 200
    ban_formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "ban")
    message = " ".join(ban_formset.non_form_errors())
    assert "the ban section is filled in, but the kind chosen is “plan or strategy”" in message
    assert "choose the kind “procurement or use ban”" in message
    assert "us-tx-test-plan" in message
    assert not PolicyInstrument.objects.filter(slug="us-tx-test-plan").exists()


def test_a_measure_of_a_kind_without_detail_ignores_the_untouched_sections(analyst_client):
    data = new_measure(add_form_data(analyst_client), "us-tx-test-guidance", "guidance")

    assert analyst_client.post(ADD_URL, data).status_code == 302

    measure = PolicyInstrument.objects.get(slug="us-tx-test-guidance")
    assert measure.existing_detail() is None


# --- errors beside their field --------------------------------------------------------------------


def test_a_date_error_is_shown_beside_the_date_in_the_dates_fieldset(analyst_client):
    measure = PolicyInstrument.objects.filter(events__isnull=True, kind="plan").first()
    url = reverse("admin:tracker_policyinstrument_change", args=[measure.pk])
    data = change_form_data(analyst_client, url)
    data.update(
        effective_from="2020-06-01",
        effective_from_precision="day",
        effective_until="2020-01-01",
        effective_until_precision="day",
    )

    response = analyst_client.post(url, data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["effective_until"] == ["A measure cannot stop having effect before it takes effect."]
    assert not form.non_field_errors()
    html = response.content.decode()
    dates = html[html.index(">Dates<") :]
    field_row = dates[dates.index("field-effective_until") :]
    assert field_row.index("cannot stop having effect") < field_row.index("</fieldset>")


def test_an_events_date_error_is_shown_beside_that_events_date(analyst_client):
    measure = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    url = reverse("admin:tracker_policyinstrument_change", args=[measure.pk])
    data = change_form_data(analyst_client, url)
    new = int(data["events-TOTAL_FORMS"])
    data.update(
        {
            "events-TOTAL_FORMS": str(new + 1),
            f"events-{new}-kind": "amended",
            f"events-{new}-sequence": "7",
            f"events-{new}-date_kind": "range",
            f"events-{new}-date": "2025-02-06",
            f"events-{new}-date_precision": "day",
            f"events-{new}-date_end": "2025-02-04",
            f"events-{new}-instrument": str(measure.pk),
        }
    )

    response = analyst_client.post(url, data)

    assert response.status_code == 200
    events = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == "events")
    row = events.forms[new]
    assert row.errors["date_end"] == ["A range has an end on or after its start; other dates have no end."]
    assert not row.non_field_errors()
    assert not measure.events.filter(sequence=7).exists()


def admin_form(model, record, user):
    request = RequestFactory().get("/")
    request.user = user
    form_class = admin.site._registry[model].get_form(request, obj=record, change=True)
    return form_class(instance=record, data={})


def test_a_refusal_of_the_services_lands_beside_its_field(analyst):
    fund = Fund.objects.get(instrument__slug="cn-big-fund-iii")
    fund.usd_equivalent = Decimal("47000000000")
    with pytest.raises(ValidationError) as refused:
        save_record(record=fund, actor=Actor.command("test"))
    form = admin_form(Fund, Fund.objects.get(pk=fund.pk), analyst)

    form.is_valid()
    add_service_errors(form, refused.value)

    assert "Give the date of the exchange rate" in " ".join(form.errors["usd_rate_date"])


def test_a_constraints_message_from_the_services_goes_to_its_date(analyst):
    measure = PolicyInstrument.objects.filter(events__isnull=True, kind="plan").first()
    measure.announced, measure.announced_precision = datetime.date(2020, 3, 1), "day"
    measure.rescinded, measure.rescinded_precision = datetime.date(2021, 3, 1), "day"
    measure.status = "in_force"
    with pytest.raises(ValidationError) as refused:
        save_record(record=measure, actor=Actor.command("test"))
    form = admin_form(PolicyInstrument, measure, analyst)
    form.is_valid()
    add_service_errors(form, refused.value)

    assert "has the status 'rescinded'" in " ".join(form.errors["rescinded"])


# --- money and currencies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "short"),
    [
        (Decimal("344000000000.00"), "344 bn"),
        (Decimal("1250000000"), "1.25 bn"),
        (Decimal("60060000000.00"), "60.1 bn"),
        (Decimal("8200000000.00"), "8.2 bn"),
        (Decimal("999950"), "1 m"),
        (Decimal("1500"), "1.5 k"),
        (Decimal("2000000000000"), "2 tn"),
        (Decimal("12.5"), "12.5"),
        (Decimal("0"), "0"),
    ],
)
def test_amounts_keep_three_significant_figures_in_k_m_bn_tn(amount, short):
    assert short_amount(amount) == short


def test_an_amount_reads_as_money_with_the_exact_figure_on_hover():
    assert money(Decimal("344000000000.00"), "CNY") == '<span title="CNY 344,000,000,000">CNY 344 bn</span>'
    assert money(Decimal("1250000.50"), "USD") == '<span title="USD 1,250,000.50">USD 1.25 m</span>'
    assert money(None, "USD") == ""


def test_the_funds_and_indicators_lists_show_amounts_as_money(analyst_client):
    funds = analyst_client.get(reverse("admin:tracker_fund_changelist")).content.decode()
    assert '<span title="CNY 344,000,000,000">CNY 344 bn</span>' in funds
    assert '<span title="USD 8,200,000,000">USD 8.2 bn</span>' in funds
    indicators = analyst_client.get(reverse("admin:tracker_indicator_changelist")).content.decode()
    assert '<span title="CNY 1,000,000,000,000">CNY 1 tn</span>' in indicators


def test_a_stored_amount_reads_as_money_under_its_field(analyst_client):
    fund = Fund.objects.get(instrument__slug="cn-national-ai-industry-investment-fund")
    reading = '<span title="CNY 60,060,000,000">CNY 60.1 bn</span>'
    fund_page = analyst_client.get(reverse("admin:tracker_fund_change", args=[fund.pk])).content.decode()
    assert f"Reads: {reading}" in fund_page
    assert 'Reads: <span title="USD 8,200,000,000">USD 8.2 bn</span>' in fund_page
    measure_page = analyst_client.get(
        reverse("admin:tracker_policyinstrument_change", args=[fund.instrument_id])
    ).content.decode()
    assert f"Reads: {reading}" in measure_page


def test_currency_choices_show_their_iso_code_and_no_two_read_alike(analyst_client):
    labels = [label for code, label in CURRENCY_CHOICES if code]
    assert len(labels) == len(set(labels)) == len(CURRENCIES)
    assert all(label.startswith(f"{code} — ") for (code, _), label in zip(CURRENCIES, labels, strict=True))
    assert "CNY — Yuan Renminbi" in labels
    page = analyst_client.get(ADD_URL).content.decode()
    assert '<option value="CNY">CNY — Yuan Renminbi</option>' in page
    fund_page = analyst_client.get(reverse("admin:tracker_fund_add")).content.decode()
    assert '<option value="VED">VED — Bolívar Soberano</option>' in fund_page
    assert '<option value="VES">VES — Bolívar Soberano</option>' in fund_page


# --- slugs ----------------------------------------------------------------------------------------


def test_every_slug_field_refuses_capitals_naming_the_slug():
    for model in apps.get_app_config("tracker").get_models():
        if not issubclass(model, SlugKeyedModel):
            continue
        record = model.objects.first()
        record.slug = record.slug.replace(record.slug[0], record.slug[0].upper(), 1)
        with pytest.raises(ValidationError) as refused:
            record.full_clean()
        assert "The slug must be lower case" in " ".join(refused.value.message_dict["slug"]), model


def test_every_stored_slug_is_already_lower_case():
    for model in apps.get_app_config("tracker").get_models():
        if issubclass(model, SlugKeyedModel):
            slugs = list(model.objects.values_list("slug", flat=True))
            assert slugs and all(slug == slug.lower() for slug in slugs), model


def test_a_capitalised_slug_is_refused_beside_the_slug_in_the_admin(analyst_client):
    data = new_measure(add_form_data(analyst_client), "US-TX-Mixed-Case", "guidance")

    response = analyst_client.post(ADD_URL, data)

    assert response.status_code == 200
    assert "The slug must be lower case: write “us-tx-mixed-case”" in " ".join(
        response.context["adminform"].form.errors["slug"]
    )
    assert not PolicyInstrument.objects.filter(slug__iexact="us-tx-mixed-case").exists()


def test_the_slug_is_prepopulated_from_the_title_in_lower_case(analyst_client):
    page = analyst_client.get(ADD_URL).content.decode()
    # Django's prepopulate script (URLify) writes the slug in lower case as the title is typed.
    assert 'data-prepopulated-fields="' in page and "admin/js/urlify.js" in page
    assert "&quot;dependency_ids&quot;: [&quot;#id_title_en&quot;]" in page


# --- definitions where they are chosen --------------------------------------------------------------


def test_the_kinds_layers_and_statuses_are_defined_under_their_fields(analyst_client):
    html = analyst_client.get(ADD_URL).content.decode()
    for kind in InstrumentKind:
        definition = escape(str(DEFINITIONS[InstrumentKind][kind.value]))
        assert f"<dt>{escape(str(kind.label))}</dt><dd>{definition}</dd>" in html
    for code in StackLayerCode:
        assert escape(str(DEFINITIONS[StackLayerCode][code.value])) in html
    assert "Withdrawn by its issuer" in html


def test_the_editorial_states_are_defined_on_a_records_page(analyst_client):
    measure = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    html = analyst_client.get(reverse("admin:tracker_policyinstrument_change", args=[measure.pk])).content.decode()
    for words in ("Draft: edited, not yet reviewed", "a reviewer publishes it or returns it to", "readers see it"):
        assert words in html


def test_no_help_text_sends_the_reader_to_a_file_of_the_repository():
    for model in apps.get_app_config("tracker").get_models():
        for field in model._meta.get_fields():
            help_text = str(getattr(field, "help_text", ""))
            assert not re.search(r"docs/|\.md\b|\.py\b|fixtures/", help_text), (model, field.name, help_text)


def test_view_site_opens_the_api(analyst_client):
    html = analyst_client.get("/admin/").content.decode()
    assert 'href="/api/v1/"' in html
