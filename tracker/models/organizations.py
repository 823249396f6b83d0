from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.choices import OrganizationKind
from tracker.models.base import ReviewedModel, SlugKeyedModel, TimeStampedModel
from tracker.models.rules import cycle_error, in_vocabulary, not_own_parent


class Organization(ReviewedModel, SlugKeyedModel):
    """A body that issues, backs, runs or is hit by measures: an agency, party organ,
    company, state-owned enterprise, lab, university, fund or fund manager."""

    name_en = models.CharField(_("name (English)"), max_length=300)
    name_zh = models.CharField(_("name (Chinese)"), max_length=300, blank=True)
    abbreviation = models.CharField(
        verbose_name=_("abbreviation"),
        max_length=40,
        blank=True,
        help_text=_("The short name people use: BIS, DISA, MIIT."),
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=OrganizationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        # An agency's sub-units are kept if someone tries to delete the agency.
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("The body this one belongs to (BIS under Commerce, DISA under DoD)."),
    )
    jurisdiction = models.ForeignKey(
        "tracker.Jurisdiction",
        verbose_name=_("jurisdiction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organizations",
        help_text=_("Home jurisdiction: where the body sits or is incorporated."),
    )
    website = models.URLField(verbose_name=_("website"), blank=True)
    description = models.TextField(
        verbose_name=_("description"), blank=True, help_text=_("One or two sentences on what it is.")
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name_en"]
        constraints = [
            not_own_parent("organization_not_own_parent", "parent", _("An organization cannot be its own parent.")),
            in_vocabulary("organization_kind_known", "kind", OrganizationKind, _("organization kind")),
            *ReviewedModel.editorial_constraints("organization"),
        ]

    def __str__(self):
        return f"{self.name_en} ({self.abbreviation})" if self.abbreviation else self.name_en

    def clean(self):
        if cycle := cycle_error(self, "parent"):
            raise ValidationError({"parent": cycle})


class OrganizationAliasManager(models.Manager):
    def get_by_natural_key(self, organization_slug, name):
        return self.get(organization__slug=organization_slug, name=name)


class OrganizationAlias(TimeStampedModel):
    """Another name an organization is known by, in any language."""

    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(verbose_name=_("name"), max_length=300)
    language = models.CharField(
        verbose_name=_("language"),
        max_length=16,
        blank=True,
        help_text=_("BCP 47 language tag of the alias: en, zh-Hans, zh-Hant."),
    )

    objects = OrganizationAliasManager()
    version_parent = "organization"

    class Meta:
        verbose_name = _("organization alias")
        verbose_name_plural = _("organization aliases")
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="organization_alias_unique",
                violation_error_message=_("This organization already has that alias."),
            )
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (*self.organization.natural_key(), self.name)

    natural_key.dependencies = ["tracker.organization"]
