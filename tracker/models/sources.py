from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tracker.choices import CitationRole, Confidence, SourceKind
from tracker.models.base import (
    ReviewedModel,
    SlugKeyedModel,
    TimeStampedModel,
    format_partial_date,
    partial_date_constraint,
    partial_date_fields,
    raise_if,
    validate_partial_date,
)
from tracker.models.rules import cycle_error, in_vocabulary, not_own_parent


class Source(ReviewedModel, SlugKeyedModel):
    """A document facts are taken from: a report, a law, a notice, a news article."""

    title = models.CharField(
        verbose_name=_("title"), max_length=500, help_text=_("Title in the document's own language.")
    )
    title_en = models.CharField(
        _("title (English)"), max_length=500, blank=True, help_text=_("English title, if the original is not English.")
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=SourceKind.choices)
    publisher = models.CharField(
        verbose_name=_("publisher"), max_length=300, blank=True, help_text=_("Who published it, as printed.")
    )
    publisher_organization = models.ForeignKey(
        "tracker.Organization",
        verbose_name=_("publisher organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_sources",
        help_text=_("The publisher as a tracked organization, where it is one."),
    )
    authors = models.CharField(verbose_name=_("authors"), max_length=500, blank=True)
    published, published_precision = partial_date_fields(
        pgettext_lazy("date", "published"), _("When it was published.")
    )
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    language = models.CharField(
        verbose_name=_("language"), max_length=16, help_text=_("BCP 47 tag of the text: en, zh-Hant, zh-Hans.")
    )
    identifier = models.CharField(
        verbose_name=_("identifier"),
        max_length=200,
        blank=True,
        help_text=_("The publisher's own number: PE-A4012-1, FR Doc 2022-21658."),
    )
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("translation of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="translations",
        help_text=_("The original this document translates."),
    )
    is_secondary = models.BooleanField(
        verbose_name=_("is secondary"),
        default=False,
        help_text=_("A reprint or news report, not the issuing body's own text."),
    )

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["slug"]
        constraints = [
            partial_date_constraint("source", "published"),
            not_own_parent(
                "source_not_own_translation", "translation_of", _("A source cannot be a translation of itself.")
            ),
            in_vocabulary("source_kind_known", "kind", SourceKind, _("source kind")),
            *ReviewedModel.editorial_constraints("source"),
        ]

    def __str__(self):
        date = format_partial_date(self.published, self.published_precision)
        return f"{self.title_en or self.title} ({self.publisher or 'n.p.'}{', ' + date if date else ''})"

    def clean(self):
        errors = validate_partial_date(self, "published")
        if cycle := cycle_error(self, "translation_of"):
            errors["translation_of"] = cycle
        raise_if(errors)


class CitationBase(TimeStampedModel):
    """Where one record's facts come from: a source, a place in it, and its words.

    Concrete citations hang off the record they support, so a citation can never point
    at a record that does not exist.  Two sources that disagree are two citations.
    """

    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        # A source still cited is never deleted from under its citations.
        on_delete=models.PROTECT,
        related_name="+",
    )
    locator = models.CharField(
        verbose_name=_("locator"),
        max_length=200,
        help_text=_('Where in the source: section, page or paragraph ("§3 ¶4", "p. 12", "table 2").'),
    )
    quote = models.TextField(verbose_name=_("quote"), help_text=_("The passage, in the source's original language."))
    quote_language = models.CharField(
        verbose_name=_("quote language"), max_length=16, help_text=_("BCP 47 tag of the quote: zh-Hant, en.")
    )
    verbatim = models.BooleanField(
        verbose_name=_("verbatim"),
        default=True,
        help_text=_(
            "Whether the quote is the source's own words; off for a summary of a source whose text could not be read."
        ),
    )
    confidence = models.CharField(
        verbose_name=_("confidence"),
        max_length=12,
        choices=Confidence.choices,
        default=Confidence.REPORTED,
        help_text=_("Confirmed only from the source's own text, read and quoted word for word."),
    )
    role = models.CharField(
        verbose_name=_("role"),
        max_length=8,
        choices=CitationRole.choices,
        default=CitationRole.SUPPORT,
        help_text=_(
            "Support: the passage states this record's facts. Context: a general passage "
            "that bears on the record without stating its facts."
        ),
    )
    note = models.TextField(
        verbose_name=_("note"), blank=True, help_text=_("How the source bears on the record, or what it disagrees on.")
    )

    subject_field = None  # name of the foreign key to the cited record, set by subclasses

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.source.slug} {self.locator}"

    def natural_key(self):
        return (*getattr(self, self.subject_field).natural_key(), self.source.slug, self.locator)

    @classmethod
    def citation_constraints(cls, prefix, subject_field):
        return [
            models.UniqueConstraint(
                fields=[subject_field, "source", "locator"],
                name=f"{prefix}_citation_unique",
                violation_error_message=_("This record already cites that place in that source."),
            ),
            models.CheckConstraint(
                condition=~Q(locator=""),
                name=f"{prefix}_citation_has_locator",
                violation_error_message=_("Say where in the source the passage is (section, page or paragraph)."),
            ),
            models.CheckConstraint(
                condition=~Q(quote=""),
                name=f"{prefix}_citation_has_quote",
                violation_error_message=_("Quote the passage the record rests on."),
            ),
            in_vocabulary(f"{prefix}_citation_confidence_known", "confidence", Confidence, _("confidence")),
            in_vocabulary(f"{prefix}_citation_role_known", "role", CitationRole, _("citation role")),
            models.CheckConstraint(
                condition=~Q(confidence=Confidence.CONFIRMED) | Q(verbatim=True),
                name=f"{prefix}_citation_confirmed_is_read",
                violation_error_message=_(
                    "A fact is confirmed only from the source's own text, quoted word for word: "
                    "a summary of a source whose text was not read is at most reported."
                ),
            ),
        ]


class CitationManager(models.Manager):
    """Finds a citation by (subject slug, source slug, locator)."""

    def get_by_natural_key(self, subject_slug, source_slug, locator):
        subject_field = self.model.subject_field
        return self.get(**{f"{subject_field}__slug": subject_slug, "source__slug": source_slug, "locator": locator})
