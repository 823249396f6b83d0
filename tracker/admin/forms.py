"""What the admin's change forms add to the models' own fields: errors placed beside the field
they concern, currency choices that show their codes, the typology's definitions, and the
detail sections of a new measure."""

import json

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.forms.formsets import INITIAL_FORM_COUNT, TOTAL_FORM_COUNT
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from tracker.choices import DEFINITIONS, InstrumentKind, InstrumentStatus, StackLayerCode
from tracker.iso4217 import CURRENCIES, CURRENCY_CODES
from tracker.models import DETAIL_MODELS
from tracker.templatetags.tracker_money import money

# --- errors beside their field -----------------------------------------------------------------


def constraint_field(model, message, form_fields):
    """The form field a record-wide message is about: the last date (else the last field) of the
    constraint whose message it is, among the fields the form shows; None if there is none."""
    for constraint in model._meta.constraints:
        if str(constraint.get_violation_error_message()) != str(message):
            continue
        if isinstance(constraint, models.CheckConstraint):
            names = constraint.condition.referenced_base_fields
        else:
            names = set(getattr(constraint, "fields", ()))
        shown = [f.name for f in model._meta.concrete_fields if f.name in names and f.name in form_fields]
        dates = [name for name in shown if isinstance(model._meta.get_field(name), models.DateField)]
        return (dates or shown or [None])[-1]
    return None


def placed_errors(model, error, form_fields):
    """``error`` as ``{field or None: [ValidationError, …]}``: messages keyed by a field the form
    shows stay there, and record-wide ones that a constraint raises go beside its field."""
    placed = {}
    error_dict = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
    for name, errors in error_dict.items():
        for item in errors:
            target = name if name in form_fields else None
            if target is None:
                target = constraint_field(model, " ".join(item.messages), form_fields)
            placed.setdefault(target, []).append(item)
    return placed


class FieldErrorsMixin:
    """Record-wide errors of a model form's constraints shown beside the field they concern."""

    def _update_errors(self, errors):
        placed = placed_errors(self._meta.model, errors, self.fields)
        record_wide = placed.pop(None, [])
        if placed:
            super()._update_errors(ValidationError(placed))
        if record_wide:
            super()._update_errors(ValidationError(record_wide))


def add_service_errors(form, error):
    """A ``ValidationError`` the services raised on save, on the form: beside its field where the
    form shows that field, else at the top of the form."""
    for name, errors in placed_errors(form._meta.model, error, form.fields).items():
        form.add_error(name, errors)


# --- currencies and amounts ---------------------------------------------------------------------

# The amounts of money a record holds, each with the field that gives its currency (or the currency).
MONEY_FIELDS = {
    "tracker.fund": (
        ("amount", "currency"),
        ("stated_equivalent", "stated_equivalent_currency"),
        ("usd_equivalent", "USD"),
    ),
    "tracker.subsidy": (("amount", "currency"),),
    "tracker.indicator": (("value", "currency"), ("value_max", "currency")),
}


def show_stored_amounts(form):
    """Under each stored amount, how it reads: ``Reads: CNY 344 bn``, the exact figure on hover."""
    record = form.instance
    if record.pk is None:
        return
    for name, currency in MONEY_FIELDS.get(record._meta.label_lower, ()):
        value = getattr(record, name, None)
        code = currency if currency.isupper() else getattr(record, currency, "")
        if name in form.fields and value is not None and code:
            reading = format_html(_("Reads: {}"), money(value, code))
            help_text = form.fields[name].help_text
            form.fields[name].help_text = format_html("{} {}", help_text, reading) if help_text else reading


# "CNY — Yuan Renminbi": the ISO code first, so each choice is found by its code and no two read alike.
CURRENCY_CHOICES = [("", "---------"), *((code, f"{code} — {name}") for code, name in CURRENCIES)]


def is_currency_field(db_field):
    return bool(db_field.choices) and {code for code, _ in db_field.flatchoices if code} == CURRENCY_CODES


class TrackerFormFieldsMixin:
    """Form fields shared by the admin's pages and inlines: currencies by code."""

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if is_currency_field(db_field):
            kwargs["choices"] = CURRENCY_CHOICES
        return super().formfield_for_choice_field(db_field, request, **kwargs)


# --- definitions shown in the forms -------------------------------------------------------------

STATUS_DEFINITIONS = {
    InstrumentStatus.PROPOSED: _("A bill or draft not enacted or adopted."),
    InstrumentStatus.ANNOUNCED: _("Announced or issued, not yet in effect."),
    InstrumentStatus.IN_FORCE: _("Has taken effect and has not ended."),
    InstrumentStatus.SUSPENDED: _("Suspended and not yet resumed."),
    InstrumentStatus.EXPIRED: _("Reached the end of its term."),
    InstrumentStatus.SUPERSEDED: _("Replaced by a later measure."),
    InstrumentStatus.RESCINDED: _("Withdrawn by its issuer; a rescission date needs this status."),
    InstrumentStatus.UNKNOWN: _("No source says where it stands."),
}


def definitions_html(summary, choices, definitions):
    """A folded list of each choice's label and definition, for a field's help text."""
    rows = format_html_join(
        "",
        "<dt>{}</dt><dd>{}</dd>",
        ((label, definitions[value]) for value, label in choices if value in definitions),
    )
    return format_html('<details class="definitions"><summary>{}</summary><dl>{}</dl></details>', summary, rows)


def kind_help():
    return definitions_html(
        _("What sort of measure it is. The kinds:"), InstrumentKind.choices, DEFINITIONS[InstrumentKind]
    )


def status_help():
    return definitions_html(
        _("Where the measure stands in law; with events, it follows from them. The statuses:"),
        InstrumentStatus.choices,
        STATUS_DEFINITIONS,
    )


def layers_help():
    return definitions_html(
        _("Layers of the AI stack it acts on:"), StackLayerCode.choices, DEFINITIONS[StackLayerCode]
    )


# --- a new measure's detail sections ------------------------------------------------------------


def detail_groups():
    """{kind: prefix of its detail's inline section} for the page's script."""
    return {kind: model.accessor_name() for kind, model in DETAIL_MODELS.items()}


def mark_kind_select(form):
    """The kind select tells the page's script which detail section each kind shows."""
    if "kind" in form.fields:
        form.fields["kind"].widget.attrs["data-detail-groups"] = json.dumps(detail_groups(), sort_keys=True)


class DetailFormSet(BaseInlineFormSet):
    """A kind's detail section: refused when filled in for a measure of another kind, so no data
    typed in a section that does not fit the kind is lost unnoticed.  A post without the section
    at all (a client that knows only the sections of the kind it saves) has none of it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound and self.add_prefix(TOTAL_FORM_COUNT) not in self.data:
            data = self.data.copy()
            data[self.add_prefix(TOTAL_FORM_COUNT)] = "0"
            data[self.add_prefix(INITIAL_FORM_COUNT)] = "0"
            self.data = data

    def clean(self):
        super().clean()
        kind = getattr(self.instance, "kind", "")
        if not kind or kind in self.model.instrument_kinds:
            return
        filled = [
            form
            for form in self.forms
            if form.has_changed() and not (self.can_delete and self._should_delete_form(form))
        ]
        if filled:
            detail = self.model._meta.verbose_name
            chosen = InstrumentKind(kind).label if kind in InstrumentKind.values else kind
            fits = _(" or ").join(f"“{InstrumentKind(value).label}”" for value in self.model.instrument_kinds)
            raise ValidationError(
                _(
                    "%(record)s: the %(detail)s section is filled in, but the kind chosen is “%(kind)s”. "
                    "Clear the %(detail)s section, or choose the kind %(fits)s."
                ),
                code="detail_of_another_kind",
                params={
                    "record": self.instance.slug or _("the new measure"),
                    "detail": detail,
                    "kind": chosen,
                    "fits": fits,
                },
            )
