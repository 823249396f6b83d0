import pycountry
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.choices import JURISDICTION_LEVEL_RANK, JurisdictionLevel
from tracker.models.base import ReviewedModel, TimeStampedModel, code_validator
from tracker.models.rules import cycle_error, in_vocabulary, not_own_parent
from tracker.querysets import ReviewedQuerySet


class JurisdictionManager(models.Manager.from_queryset(ReviewedQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


def iso_3166_exists(code):
    if "-" in code:
        return pycountry.subdivisions.get(code=code) is not None
    return pycountry.countries.get(alpha_2=code) is not None


class Jurisdiction(ReviewedModel, TimeStampedModel):
    """A place with a government: a supranational body, country, state or province, city."""

    code = models.CharField(
        verbose_name=_("code"),
        max_length=40,
        unique=True,
        validators=[code_validator],
        help_text=_(
            "Natural key: the ISO 3166 code where one exists (US, US-TX, CN-SH), "
            "else the parent's code extended (CN-GD-SHENZHEN)."
        ),
    )
    iso_code = models.CharField(
        _("ISO 3166 code"),
        max_length=6,
        null=True,
        blank=True,
        unique=True,
        help_text=_("ISO 3166-1 alpha-2 or ISO 3166-2 code, only where the standard has one."),
    )
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    level = models.CharField(verbose_name=_("level"), max_length=16, choices=JurisdictionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        # A jurisdiction with children is not deleted by accident: its children would
        # lose their place in the hierarchy.
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_("The jurisdiction this one lies in (US-TX in US, Shanghai in CN)."),
    )

    objects = JurisdictionManager()

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]
        constraints = [
            not_own_parent("jurisdiction_not_own_parent", "parent", _("A jurisdiction cannot be its own parent.")),
            in_vocabulary("jurisdiction_level_known", "level", JurisdictionLevel, _("jurisdiction level")),
            *ReviewedModel.editorial_constraints("jurisdiction"),
        ]

    def __str__(self):
        return f"{self.name_en} ({self.code})"

    def natural_key(self):
        return (self.code,)

    def clean(self):
        errors = {}
        if self.iso_code == "":
            self.iso_code = None
        if self.iso_code and not iso_3166_exists(self.iso_code):
            errors["iso_code"] = _("%(code)r is not an ISO 3166-1 or ISO 3166-2 code.") % {"code": self.iso_code}
        if self.parent_id is not None:
            parent = self.parent
            if self.level == JurisdictionLevel.SUPRANATIONAL:
                errors["parent"] = _("A supranational body has no parent jurisdiction.")
            elif JURISDICTION_LEVEL_RANK.get(parent.level, 0) >= JURISDICTION_LEVEL_RANK.get(self.level, 99) and not (
                parent.level == JurisdictionLevel.SUPRANATIONAL and self.level == JurisdictionLevel.COUNTRY
            ):
                errors["parent"] = _("A %(level)s cannot lie in %(parent)s, which is a %(parent_level)s.") % {
                    "level": self.get_level_display(),
                    "parent": parent,
                    "parent_level": parent.get_level_display(),
                }
            if cycle := cycle_error(self, "parent"):
                errors["parent"] = cycle
        if errors:
            raise ValidationError(errors)
