from django.db import models
from django.db.models import Q

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

    title = models.CharField(max_length=500, help_text="Title in the document's own language.")
    title_en = models.CharField(
        "title (English)", max_length=500, blank=True, help_text="English title, if the original is not English."
    )
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    publisher = models.CharField(max_length=300, blank=True, help_text="Who published it, as printed.")
    publisher_organization = models.ForeignKey(
        "tracker.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_sources",
        help_text="The publisher as a tracked organization, where it is one.",
    )
    authors = models.CharField(max_length=500, blank=True)
    published, published_precision = partial_date_fields("published", "When it was published.")
    url = models.URLField("URL", max_length=1000, blank=True)
    language = models.CharField(max_length=16, help_text="BCP 47 tag of the text: en, zh-Hant, zh-Hans.")
    identifier = models.CharField(
        max_length=200, blank=True, help_text="The publisher's own number: PE-A4012-1, FR Doc 2022-21658."
    )
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="translations",
        help_text="The original this document translates.",
    )
    is_secondary = models.BooleanField(
        default=False, help_text="A reprint or news report, not the issuing body's own text."
    )

    class Meta:
        ordering = ["slug"]
        constraints = [
            partial_date_constraint("source", "published"),
            not_own_parent(
                "source_not_own_translation", "translation_of", "A source cannot be a translation of itself."
            ),
            in_vocabulary("source_kind_known", "kind", SourceKind, "source kind"),
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
        # A source still cited is never deleted from under its citations.
        on_delete=models.PROTECT,
        related_name="+",
    )
    locator = models.CharField(
        max_length=200,
        help_text='Where in the source: section, page or paragraph ("§3 ¶4", "p. 12", "table 2").',
    )
    quote = models.TextField(help_text="The passage, in the source's original language.")
    quote_language = models.CharField(max_length=16, help_text="BCP 47 tag of the quote: zh-Hant, en.")
    verbatim = models.BooleanField(
        default=True,
        help_text="Whether the quote is the source's own words; off for a summary of a source "
        "whose text could not be read.",
    )
    confidence = models.CharField(
        max_length=12,
        choices=Confidence.choices,
        default=Confidence.REPORTED,
        help_text="Confirmed only from the source's own text, read and quoted word for word.",
    )
    role = models.CharField(
        max_length=8,
        choices=CitationRole.choices,
        default=CitationRole.SUPPORT,
        help_text="Support: the passage states this record's facts. Context: a general passage "
        "that bears on the record without stating its facts.",
    )
    note = models.TextField(blank=True, help_text="How the source bears on the record, or what it disagrees on.")

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
                violation_error_message="This record already cites that place in that source.",
            ),
            models.CheckConstraint(
                condition=~Q(locator=""),
                name=f"{prefix}_citation_has_locator",
                violation_error_message="Say where in the source the passage is (section, page or paragraph).",
            ),
            models.CheckConstraint(
                condition=~Q(quote=""),
                name=f"{prefix}_citation_has_quote",
                violation_error_message="Quote the passage the record rests on.",
            ),
            in_vocabulary(f"{prefix}_citation_confidence_known", "confidence", Confidence, "confidence"),
            in_vocabulary(f"{prefix}_citation_role_known", "role", CitationRole, "citation role"),
            models.CheckConstraint(
                condition=~Q(confidence=Confidence.CONFIRMED) | Q(verbatim=True),
                name=f"{prefix}_citation_confirmed_is_read",
                violation_error_message="A fact is confirmed only from the source's own text, quoted word for word: "
                "a summary of a source whose text was not read is at most reported.",
            ),
        ]


class CitationManager(models.Manager):
    """Finds a citation by (subject slug, source slug, locator)."""

    def get_by_natural_key(self, subject_slug, source_slug, locator):
        subject_field = self.model.subject_field
        return self.get(**{f"{subject_field}__slug": subject_slug, "source__slug": source_slug, "locator": locator})
