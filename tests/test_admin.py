"""Analysts can open every page of the admin for every kind of record."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tracker.models import ChangeSet, PolicyInstrument

pytestmark = pytest.mark.django_db

TRACKER_MODELS = [model for model in admin.site._registry if model._meta.app_label == "tracker"]


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.mark.parametrize("model", TRACKER_MODELS, ids=lambda model: model._meta.model_name)
def test_list_add_and_change_pages_open(analyst_client, model):
    info = model._meta.app_label, model._meta.model_name
    assert analyst_client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    if model is not ChangeSet:  # the journal is written by the services alone
        assert analyst_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 200
    record = model.objects.first()
    assert analyst_client.get(reverse("admin:{}_{}_change".format(*info), args=[record.pk])).status_code == 200


@pytest.mark.parametrize("kind", ["investment_fund", "state_lab", "pilot_zone", "export_control", "ban"])
def test_a_measure_shows_the_details_of_its_kind(analyst_client, kind):
    instrument = PolicyInstrument.objects.filter(kind=kind).first()
    page = analyst_client.get(reverse("admin:tracker_policyinstrument_change", args=[instrument.pk]))
    assert page.status_code == 200
    inline_prefixes = {formset.formset.prefix for formset in page.context["inline_admin_formsets"]}
    assert "citations" in inline_prefixes
    assert {"citations", "events"} <= inline_prefixes and len(inline_prefixes) == 3


def change_form_data(analyst_client, url):
    """The change form's current values, as the browser would post them back."""
    page = analyst_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    for name in ("layers", "affected_jurisdictions", "targets", "amends"):
        data[name] = [str(v) for v in (form[name].value() or [])]
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for index, inline_form in enumerate(formset.formset.forms):
            for name in inline_form.fields:
                value = inline_form[name].value()
                data[f"{formset.formset.prefix}-{index}-{name}"] = "" if value is None else value
    return data


def test_an_invalid_edit_is_refused_with_the_fields_message_and_nothing_changes(analyst_client):
    instrument = PolicyInstrument.objects.get(slug="us-tx-deepseek-ban")
    url = reverse("admin:tracker_policyinstrument_change", args=[instrument.pk])
    data = change_form_data(analyst_client, url)
    # Its dates follow from its events: an expiry before it took effect is refused.
    new = int(data["events-TOTAL_FORMS"])
    data.update(
        {
            "events-TOTAL_FORMS": str(new + 1),
            f"events-{new}-kind": "expired",
            f"events-{new}-sequence": "1",
            f"events-{new}-date_kind": "exact",
            f"events-{new}-date": "2000-01-01",
            f"events-{new}-date_precision": "day",
            f"events-{new}-instrument": str(instrument.pk),
            "title_en": "Changed title",
        }
    )

    refused = analyst_client.post(url, data)

    assert refused.status_code == 200
    assert "cannot stop having effect before it takes effect" in refused.content.decode()
    instrument.refresh_from_db()
    assert instrument.title_en != "Changed title" and not instrument.events.filter(kind="expired").exists()


def test_a_measure_cannot_be_made_to_amend_itself(analyst_client):
    instrument = PolicyInstrument.objects.get(slug="us-bis-2023-advanced-computing-rule")
    url = reverse("admin:tracker_policyinstrument_change", args=[instrument.pk])
    data = change_form_data(analyst_client, url)
    data["amends"] = [*data["amends"], str(instrument.pk)]

    refused = analyst_client.post(url, data)

    assert refused.status_code == 200
    assert "A measure cannot amend itself." in refused.content.decode()
    assert not instrument.amends.filter(pk=instrument.pk).exists()
