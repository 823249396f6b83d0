from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tracker.choices import IndicatorKind, IndicatorUnit, SubjectRole
from tracker.iso4217 import CURRENCIES, CURRENCY_CODES
from tracker.models.base import ReviewedModel, SlugKeyedModel, TimeStampedModel
from tracker.models.rules import in_vocabulary
from tracker.models.sources import CitationBase, CitationManager


class Indicator(ReviewedModel, SlugKeyedModel):
    """A quantitative claim: a goal (target), an estimate, a projection or an observed value.

    One claim per source: where two sources give different numbers for the same
    quantity, each is its own indicator with its own citation, and ``compares_with``
    links them.
    """

    subject_en = models.CharField(
        _("subject (English)"), max_length=300, help_text=_("What is measured: China's core AI industry.")
    )
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=300, blank=True)
    metric = models.CharField(
        verbose_name=_("metric"), max_length=200, help_text=_("The quantity: output value, private investment, demand.")
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=12, choices=IndicatorKind.choices)
    value = models.DecimalField(verbose_name=_("value"), max_digits=24, decimal_places=4)
    value_max = models.DecimalField(
        _("upper value"),
        max_digits=24,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Upper end when the claim is a range (Stargate: 100 to 500 billion)."),
    )
    qualifier = models.CharField(
        verbose_name=_("qualifier"),
        max_length=20,
        blank=True,
        choices=[("at_least", "at least"), ("more_than", "more than"), ("about", "about"), ("less_than", "less than")],
        help_text=_('How the value is bounded: "over US$1 tn" is more than 1 tn.'),
    )
    unit = models.CharField(verbose_name=_("unit"), max_length=12, choices=IndicatorUnit.choices)
    currency = models.CharField(
        verbose_name=_("currency"),
        max_length=3,
        blank=True,
        choices=CURRENCIES,
        help_text=_("ISO 4217 code, for amounts of money."),
    )
    year = models.PositiveSmallIntegerField(
        verbose_name=_("year"), null=True, blank=True, help_text=_("The year the value is for, or the target year.")
    )
    layers = models.ManyToManyField(
        "tracker.StackLayer",
        verbose_name=_("layers"),
        blank=True,
        related_name="indicators",
        help_text=_("Layers of the AI stack it measures."),
    )
    instrument = models.ForeignKey(
        "tracker.PolicyInstrument",
        verbose_name=_("instrument"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicators",
        help_text=_("The measure that sets this goal or that this figure describes."),
    )
    compares_with = models.ManyToManyField(
        "self",
        verbose_name=_("compares with"),
        blank=True,
        help_text=_("Other claims about the same quantity, from other sources."),
    )

    _history_m2m_fields = ("compares_with", "layers")

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["slug"]
        constraints = [
            *ReviewedModel.editorial_constraints("indicator"),
            models.CheckConstraint(
                condition=Q(value_max__isnull=True) | Q(value_max__gte=F("value")),
                name="indicator_range_ordered",
                violation_error_message=_("The upper value of a range cannot be below its value."),
            ),
            models.CheckConstraint(
                condition=(Q(unit=IndicatorUnit.CURRENCY) & Q(currency__in=sorted(CURRENCY_CODES)))
                | (~Q(unit=IndicatorUnit.CURRENCY) & Q(currency="")),
                name="indicator_currency_iff_money",
                violation_error_message=_("An amount of money needs an ISO 4217 currency; other units take none."),
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | (Q(year__gte=1900) & Q(year__lte=2200)),
                name="indicator_year_plausible",
                violation_error_message=_("The year must be between 1900 and 2200."),
            ),
            in_vocabulary("indicator_kind_known", "kind", IndicatorKind, _("indicator kind")),
            in_vocabulary("indicator_unit_known", "unit", IndicatorUnit, _("indicator unit")),
        ]

    def __str__(self):
        return f"{self.subject_en}: {self.metric} ({self.year or 'n.d.'})"

    def clean(self):
        if self.unit == IndicatorUnit.CURRENCY and not self.currency:
            raise ValidationError({"currency": _("An amount of money needs its ISO 4217 currency.")})
        if self.unit != IndicatorUnit.CURRENCY and self.currency:
            raise ValidationError(
                {"currency": _("A value in %(unit)s takes no currency.") % {"unit": self.get_unit_display()}}
            )


class IndicatorCitation(CitationBase):
    """A citation supporting a quantitative claim."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="citations"
    )

    subject_field = version_parent = "indicator"
    objects = CitationManager()

    class Meta:
        verbose_name = _("indicator citation")
        verbose_name_plural = _("indicator citations")
        ordering = ["indicator", "source", "locator"]
        constraints = CitationBase.citation_constraints("indicator", "indicator")

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["tracker.indicator", "tracker.source"]


class IndicatorSubjectManager(models.Manager):
    def get_by_natural_key(self, indicator_slug, subject_kind, subject_key, role):
        subject = (
            {"jurisdiction__code": subject_key}
            if subject_kind == "jurisdiction"
            else {"organization__slug": subject_key}
        )
        return self.get(indicator__slug=indicator_slug, role=role, **subject)


class IndicatorSubject(TimeStampedModel):
    """A jurisdiction or organization a quantitative claim is about, with its part in it: the
    United States and China compared in an investment gap, Stargate's partners."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="subjects"
    )
    jurisdiction = models.ForeignKey(
        "tracker.Jurisdiction",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicator_subjects",
    )
    organization = models.ForeignKey(
        "tracker.Organization",
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="indicator_subjects",
    )
    role = models.CharField(
        verbose_name=_("role"), max_length=12, choices=SubjectRole.choices, default=SubjectRole.SUBJECT
    )

    objects = IndicatorSubjectManager()
    version_parent = "indicator"

    class Meta:
        verbose_name = _("indicator subject")
        verbose_name_plural = _("indicator subjects")
        ordering = ["indicator", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(jurisdiction__isnull=True, organization__isnull=False)
                | Q(jurisdiction__isnull=False, organization__isnull=True),
                name="indicator_subject_one_of",
                violation_error_message=_("A subject is a jurisdiction or an organization: choose one."),
            ),
            models.UniqueConstraint(
                fields=["indicator", "jurisdiction", "role"],
                condition=Q(jurisdiction__isnull=False),
                name="indicator_subject_jurisdiction_unique",
                violation_error_message=_("This jurisdiction already has that role in this claim."),
            ),
            models.UniqueConstraint(
                fields=["indicator", "organization", "role"],
                condition=Q(organization__isnull=False),
                name="indicator_subject_organization_unique",
                violation_error_message=_("This organization already has that role in this claim."),
            ),
            in_vocabulary("indicator_subject_role_known", "role", SubjectRole, _("subject role")),
        ]

    def __str__(self):
        return f"{self.jurisdiction or self.organization} ({self.get_role_display()})"

    @property
    def subject(self):
        return self.jurisdiction or self.organization

    def natural_key(self):
        if self.jurisdiction_id:
            return (*self.indicator.natural_key(), "jurisdiction", self.jurisdiction.code, self.role)
        return (*self.indicator.natural_key(), "organization", self.organization.slug, self.role)

    natural_key.dependencies = ["tracker.indicator", "tracker.jurisdiction", "tracker.organization"]
