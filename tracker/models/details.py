"""Kind-specific details of a policy instrument, one-to-one with it.

Why a one-to-one detail and not Django's multi-table inheritance: a child model's
primary key is its parent link, which Django's serializers leave out of fixtures
written with natural keys, so a fund could not be loaded back from git.  A detail
with its own id and a unique link to the instrument round-trips cleanly.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from tracker.choices import BanLegalForm, BanScope, ExportControlForm, FundRole, InstrumentKind
from tracker.iso4217 import CURRENCIES, CURRENCY_CODES
from tracker.models.base import TimeStampedModel, localized_name
from tracker.models.instruments import PolicyInstrument
from tracker.models.rules import in_vocabulary


class DetailManager(models.Manager):
    def get_by_natural_key(self, instrument_slug):
        return self.get(instrument__slug=instrument_slug)


class InstrumentDetail(TimeStampedModel):
    """Base of the details: one per instrument, of the instrument's kind."""

    instrument_kinds = ()  # the instrument kinds this detail may be attached to
    version_parent = "instrument"

    objects = DetailManager()

    class Meta:
        abstract = True

    def __str__(self):
        return str(self.instrument)

    def natural_key(self):
        return self.instrument.natural_key()

    natural_key.dependencies = ["tracker.policyinstrument"]

    @classmethod
    def accessor_name(cls):
        """The attribute of a measure that holds this detail (``instrument.fund``)."""
        return cls._meta.get_field("instrument").related_query_name()

    def clean(self):
        if self.instrument_id is not None and self.instrument.kind not in self.instrument_kinds:
            allowed = _(" or ").join(str(InstrumentKind(kind).label) for kind in self.instrument_kinds)
            raise ValidationError(
                {
                    "instrument": _(
                        "%(detail)s details belong to a measure of kind %(allowed)s; %(slug)r is a %(kind)s."
                    )
                    % {
                        "detail": capfirst(self._meta.verbose_name),
                        "allowed": allowed,
                        "slug": self.instrument.slug,
                        "kind": self.instrument.get_kind_display(),
                    }
                }
            )


def instrument_link(related_name):
    return models.OneToOneField(
        PolicyInstrument,
        verbose_name=_("instrument"),
        # The detail has no meaning without its instrument.
        on_delete=models.CASCADE,
        related_name=related_name,
    )


class Fund(InstrumentDetail):
    """A state investment fund: its size, backers, managers and term."""

    instrument_kinds = (InstrumentKind.INVESTMENT_FUND,)

    instrument = instrument_link("fund")
    vehicle = models.ForeignKey(
        "tracker.Organization",
        verbose_name=_("vehicle"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fund_vehicle_of",
        help_text=_("The fund as a legal entity (a limited partnership), where it is one."),
    )
    amount = models.DecimalField(
        verbose_name=_("amount"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Size of the fund in its own currency."),
    )
    currency = models.CharField(
        verbose_name=_("currency"),
        max_length=3,
        blank=True,
        choices=CURRENCIES,
        help_text=_("ISO 4217 code of the amount: CNY, USD."),
    )
    usd_equivalent = models.DecimalField(
        _("US-dollar equivalent"), max_digits=20, decimal_places=2, null=True, blank=True
    )
    usd_rate_date = models.DateField(
        _("date of the US-dollar rate"),
        null=True,
        blank=True,
        help_text=_("The day whose exchange rate gave the equivalent."),
    )
    stated_equivalent = models.DecimalField(
        _("equivalent stated by a source"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The amount in another currency as a source states it (the report's US$8.2 bn for CNY 60.06 bn)."),
    )
    stated_equivalent_currency = models.CharField(
        _("currency of the stated equivalent"), max_length=3, blank=True, choices=CURRENCIES
    )
    stated_equivalent_citation = models.ForeignKey(
        "tracker.InstrumentCitation",
        verbose_name=_("stated equivalent citation"),
        null=True,
        blank=True,
        # The figure stays if its citation is removed, but it is then unsupported (clean() says so).
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The citation where the source states the equivalent."),
    )
    term_years = models.PositiveSmallIntegerField(_("term (years)"), null=True, blank=True)
    focus = models.TextField(verbose_name=_("focus"), blank=True, help_text=_("What it invests in."))

    class Meta:
        verbose_name = _("fund")
        verbose_name_plural = _("funds")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="fund_amount_not_negative",
                violation_error_message=_("A fund's amount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(usd_equivalent__isnull=True) | Q(usd_equivalent__gte=0),
                name="fund_usd_not_negative",
                violation_error_message=_("A fund's US-dollar equivalent cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(currency="") | Q(currency__in=sorted(CURRENCY_CODES)),
                name="fund_currency_iso4217",
                violation_error_message=_("The currency must be an ISO 4217 code such as CNY or USD."),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | ~Q(currency=""),
                name="fund_amount_has_currency",
                violation_error_message=_("Give the currency of the fund's amount."),
            ),
            models.CheckConstraint(
                condition=Q(term_years__isnull=True) | Q(term_years__gt=0),
                name="fund_term_positive",
                violation_error_message=_("A fund's term is at least one year."),
            ),
            models.CheckConstraint(
                condition=(Q(stated_equivalent__isnull=True) & Q(stated_equivalent_currency=""))
                | (Q(stated_equivalent__isnull=False) & Q(stated_equivalent_currency__in=sorted(CURRENCY_CODES))),
                name="fund_stated_equivalent_has_currency",
                violation_error_message=_(
                    "A stated equivalent needs its ISO 4217 currency, and a currency its amount."
                ),
            ),
        ]

    def clean(self):
        super().clean()
        errors = {}
        if self.usd_equivalent is not None and self.currency != "USD" and self.usd_rate_date is None:
            errors["usd_rate_date"] = _("Give the date of the exchange rate behind the US-dollar equivalent.")
        if self.stated_equivalent is not None and self.stated_equivalent_citation_id is None:
            errors["stated_equivalent_citation"] = _("Cite the source that states the equivalent.")
        citation = self.stated_equivalent_citation if self.stated_equivalent_citation_id else None
        if citation is not None and citation.instrument_id != self.instrument_id:
            errors["stated_equivalent_citation"] = _("Choose a citation of this fund's own measure.")
        if errors:
            raise ValidationError(errors)


class FundParticipantManager(models.Manager):
    def get_by_natural_key(self, fund_slug, organization_slug, role):
        return self.get(fund__instrument__slug=fund_slug, organization__slug=organization_slug, role=role)


class FundParticipant(TimeStampedModel):
    """An organization's part in a fund: backer (limited partner, shareholder), sponsor or manager."""

    fund = models.ForeignKey(Fund, verbose_name=_("fund"), on_delete=models.CASCADE, related_name="participants")
    organization = models.ForeignKey(
        "tracker.Organization", verbose_name=_("organization"), on_delete=models.PROTECT, related_name="fund_roles"
    )
    role = models.CharField(verbose_name=_("role"), max_length=20, choices=FundRole.choices)
    share_percent = models.DecimalField(
        _("share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Share of the capital, in per cent."),
    )

    objects = FundParticipantManager()
    version_parent = "fund"

    class Meta:
        verbose_name = _("fund participant")
        verbose_name_plural = _("fund participants")
        ordering = ["fund", "role", "organization"]
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "organization", "role"],
                name="fund_participant_unique",
                violation_error_message=_("This organization already has that role in this fund."),
            ),
            models.CheckConstraint(
                condition=Q(share_percent__isnull=True) | (Q(share_percent__gte=0) & Q(share_percent__lte=100)),
                name="fund_participant_share_range",
                violation_error_message=_("A share is between 0 and 100 per cent."),
            ),
            in_vocabulary("fund_participant_role_known", "role", FundRole, _("fund role")),
        ]

    def __str__(self):
        return f"{self.organization} — {self.get_role_display()} of {self.fund}"

    def natural_key(self):
        return (*self.fund.natural_key(), *self.organization.natural_key(), self.role)

    natural_key.dependencies = ["tracker.fund", "tracker.organization"]


class Lab(InstrumentDetail):
    """A state-backed laboratory.  Its founding date is the instrument's ``effective_from``."""

    instrument_kinds = (InstrumentKind.STATE_LAB,)

    instrument = instrument_link("lab")
    organization = models.ForeignKey(
        "tracker.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lab_records",
        help_text=_("The laboratory as an organization."),
    )
    host_city = models.ForeignKey(
        "tracker.Jurisdiction",
        verbose_name=_("host city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="labs",
    )
    sponsors = models.ManyToManyField(
        "tracker.Organization",
        verbose_name=_("sponsors"),
        blank=True,
        related_name="sponsored_labs",
        help_text=_("Governments and bodies that fund it."),
    )
    focus = models.TextField(verbose_name=_("focus"), blank=True)

    _history_m2m_fields = ("sponsors",)

    class Meta:
        verbose_name = _("lab")
        verbose_name_plural = _("labs")

    @property
    def founded(self):
        return self.instrument.date_display("effective_from")


class Subsidy(InstrumentDetail):
    """A subsidy or voucher: what it pays for, how much, and who may claim it."""

    instrument_kinds = (InstrumentKind.SUBSIDY,)

    instrument = instrument_link("subsidy")
    pays_for = models.CharField(
        verbose_name=_("pays for"), max_length=300, help_text=_("What it pays for: compute rental, model training.")
    )
    rate = models.CharField(
        verbose_name=_("rate"),
        max_length=200,
        blank=True,
        help_text=_(
            # xgettext:no-python-format
            'The rate or cap as the source gives it: "up to 50% of the rent".'
        ),
    )
    amount = models.DecimalField(
        verbose_name=_("amount"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The total budget, in its own currency."),
    )
    currency = models.CharField(
        verbose_name=_("currency"),
        max_length=3,
        blank=True,
        choices=CURRENCIES,
        help_text=_("ISO 4217 code of the amount."),
    )
    eligible = models.TextField(
        verbose_name=_("eligible"), blank=True, help_text=_("Who may claim it, in the source's words.")
    )
    eligible_organizations = models.ManyToManyField(
        "tracker.Organization",
        verbose_name=_("eligible organizations"),
        blank=True,
        related_name="eligible_for_subsidies",
        help_text=_("Named claimants."),
    )

    _history_m2m_fields = ("eligible_organizations",)

    class Meta:
        verbose_name = _("subsidy")
        verbose_name_plural = _("subsidies")
        constraints = [
            models.CheckConstraint(
                condition=~Q(pays_for=""),
                name="subsidy_says_what_it_pays_for",
                violation_error_message=_("Say what the subsidy pays for."),
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="subsidy_amount_not_negative",
                violation_error_message=_("A subsidy's amount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=(Q(amount__isnull=True) & Q(currency=""))
                | (Q(amount__isnull=False) & Q(currency__in=sorted(CURRENCY_CODES))),
                name="subsidy_amount_has_currency",
                violation_error_message=_("An amount needs its ISO 4217 currency, and a currency its amount."),
            ),
        ]


class PilotZone(InstrumentDetail):
    """A designated AI pilot zone.

    Its programme is the instrument's ``part_of``, its designating body the instrument's
    ``issuing_body`` and its designation date the instrument's ``effective_from``:
    kept once, on the instrument, so the same fact never has two values.
    """

    instrument_kinds = (InstrumentKind.PILOT_ZONE,)

    instrument = instrument_link("pilot_zone")
    places = models.ManyToManyField(
        "tracker.Jurisdiction",
        verbose_name=_("places"),
        related_name="pilot_zones",
        help_text=_("The cities or areas designated: one, or several designated together (Jinan and Qingdao)."),
    )
    focus = models.TextField(verbose_name=_("focus"), blank=True)

    _history_m2m_fields = ("places",)
    validated_relations = ("places",)

    class Meta:
        verbose_name = _("pilot zone")
        verbose_name_plural = _("pilot zones")

    def validate_relations(self, *, places):
        if not places:
            raise ValidationError({"places": _("Name the city or area designated.")})

    @property
    def designated(self):
        return self.instrument.date_display("effective_from")


class ExportControl(InstrumentDetail):
    """A sanction or export control.  Imposing authority, targets and dates are the instrument's."""

    instrument_kinds = (InstrumentKind.EXPORT_CONTROL, InstrumentKind.ENTITY_LISTING)

    instrument = instrument_link("export_control")
    legal_form = models.CharField(
        verbose_name=_("legal form"),
        max_length=24,
        choices=ExportControlForm.choices,
        blank=True,
        help_text=_("Leave empty when it is not known."),
    )
    legal_citation = models.CharField(
        verbose_name=_("legal citation"),
        max_length=200,
        blank=True,
        help_text=_("Where it is published: 87 FR 62186; a filing, if unpublished."),
    )
    published_on = models.DateField(_("published in the Federal Register"), null=True, blank=True)
    controlled_items = models.TextField(
        verbose_name=_("controlled items"), blank=True, help_text=_("What it controls: items, ECCNs, technologies.")
    )

    class Meta:
        verbose_name = _("export control")
        verbose_name_plural = _("export controls")
        constraints = [
            in_vocabulary(
                "export_control_form_known",
                "legal_form",
                ExportControlForm,
                _("legal form of export control"),
                blank=True,
            )
        ]


class Ban(InstrumentDetail):
    """A procurement or use ban.  Issuer, banned companies and dates are the instrument's."""

    instrument_kinds = (InstrumentKind.BAN,)

    instrument = instrument_link("ban")
    banned_product = models.CharField(
        _("wording"),
        max_length=300,
        blank=True,
        help_text=_("What is banned in the issuer's words; the banned products are the measure's products."),
    )
    scopes = models.ManyToManyField(
        "tracker.Scope",
        verbose_name=_("scopes"),
        related_name="bans",
        help_text=_("What the ban covers: one or several."),
    )
    legal_form = models.CharField(verbose_name=_("legal form"), max_length=20, choices=BanLegalForm.choices)
    scope_detail = models.TextField(
        verbose_name=_("scope detail"), blank=True, help_text=_("Who and what the ban covers, in the issuer's words.")
    )

    _history_m2m_fields = ("scopes",)
    validated_relations = ("scopes",)

    class Meta:
        verbose_name = _("ban")
        verbose_name_plural = _("bans")
        constraints = [
            in_vocabulary("ban_legal_form_known", "legal_form", BanLegalForm, _("legal form of ban")),
        ]

    def validate_relations(self, *, scopes):
        if not scopes:
            raise ValidationError({"scopes": _("Say what the ban covers: choose one or more scopes.")})


class ScopeManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Scope(models.Model):
    """One of the things a ban can cover (government devices, networks, data ...): a fixed vocabulary."""

    code = models.CharField(verbose_name=_("code"), max_length=24, unique=True, choices=BanScope.choices)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)

    objects = ScopeManager()

    class Meta:
        verbose_name = _("scope")
        verbose_name_plural = _("scopes")
        ordering = ["code"]
        constraints = [in_vocabulary("scope_code_known", "code", BanScope, _("ban scope"))]

    def __str__(self):
        return localized_name(self)

    def natural_key(self):
        return (self.code,)


# The one registry of kind-specific details: which detail model a measure of each kind
# has.  ``PolicyInstrument.detail``, ``with_related()``, the admin's inlines and the
# services read it; nothing else lists the detail models.
DETAIL_MODELS = {
    kind: model for model in (Fund, Subsidy, Lab, PilotZone, ExportControl, Ban) for kind in model.instrument_kinds
}
