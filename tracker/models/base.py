"""Abstract bases shared by every record: timestamps, versions, history, review, natural keys,
partial dates."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.choices import DatePrecision, EditorialState
from tracker.models.history import HistoryContext
from tracker.models.rules import in_vocabulary
from tracker.querysets import ReviewedQuerySet


def now():
    """The current time to the millisecond: what a JSON dump keeps, so a dumped record
    reloads to the very same timestamps."""
    moment = timezone.now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# One recorder for every model: each concrete model gets a ``Historical<Model>`` table
# whose rows carry the change set they were written in.  The services write one row per
# change (a record saved with its many-to-many links is one row, not one per link),
# so they switch the recorder's own save and m2m signals off while they write.
RECORDER = HistoricalRecords(
    inherit=True,
    bases=[HistoryContext],
    history_change_reason_field=models.TextField(null=True),
)


class TimeStampedModel(models.Model):
    """Adds ``created``, ``updated``, a ``version`` and a history to a record.

    ``version`` counts the record's changes; a write that names an older version than
    the stored one is refused (``tracker.services.records``), so two people editing the
    same record never overwrite each other.  A child record (a citation, an alias, a
    detail) also moves its parent's version, named by ``version_parent``.
    """

    created = models.DateTimeField(
        verbose_name=_("created"), default=now, editable=False, help_text=_("When the record was first stored.")
    )
    updated = models.DateTimeField(
        verbose_name=_("updated"), default=now, editable=False, help_text=_("When the record was last changed.")
    )
    version = models.PositiveIntegerField(
        verbose_name=_("version"), default=1, editable=False, help_text=_("How many times it has been saved.")
    )

    history = RECORDER
    version_parent = None  # name of the foreign key to the record this one is part of
    # Many-to-many links of this model kept in its history (read by django-simple-history).
    _history_m2m_fields = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.updated = now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated"}
        if not getattr(self, "_written_by_service", False) and not self._state.adding and self.pk is not None:
            self._count_direct_change(kwargs)
        super().save(*args, **kwargs)

    def _count_direct_change(self, kwargs):
        """A save that bypasses the services (a shell, a script) still moves the version, so
        an editor's form opened before it is refused, and still makes a published record a
        draft, so it is reviewed before readers see it."""
        stored = type(self)._base_manager.filter(pk=self.pk).values_list("version", flat=True).first()
        if stored is None:
            return
        self.version = stored + 1
        changed = {"version"}
        if getattr(self, "editorial_state", "draft") != "draft":
            self.editorial_state = "draft"
            changed.add("editorial_state")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *changed}


class ReviewedModel(models.Model):
    """A record readers see only once a reviewer has published it.

    ``editorial_state`` is where the latest version stands; ``published_version`` and
    ``published_at`` name the version readers see, which stays visible while a revision
    is drafted or in review.  Changed only by ``tracker.services.review``.
    """

    editorial_state = models.CharField(
        verbose_name=_("editorial state"),
        max_length=12,
        choices=EditorialState.choices,
        default=EditorialState.DRAFT,
        editable=False,
        help_text=_(
            "Where the latest version stands in review. Draft: edited, not yet reviewed; readers see the "
            "last published version, if any. In review: submitted; a reviewer publishes it or returns it to "
            "draft. Published: checked by a reviewer (or synced from the fixture files); readers see it."
        ),
    )
    published_version = models.PositiveIntegerField(
        verbose_name=_("published version"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The version readers see; empty until first published."),
    )
    published_at = models.DateTimeField(
        verbose_name=_("published at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the version readers see was published."),
    )

    class Meta:
        abstract = True

    @classmethod
    def editorial_constraints(cls, prefix):
        return [
            in_vocabulary(f"{prefix}_editorial_state_known", "editorial_state", EditorialState, _("editorial state")),
            models.CheckConstraint(
                condition=Q(published_version__isnull=True, published_at__isnull=True)
                | Q(published_version__isnull=False, published_at__isnull=False),
                name=f"{prefix}_published_version_has_time",
                violation_error_message=_("A published version has its publication time, and only then."),
            ),
            models.CheckConstraint(
                condition=~Q(editorial_state=EditorialState.PUBLISHED) | Q(published_version=F("version")),
                name=f"{prefix}_published_is_latest",
                violation_error_message=_("A record marked published shows its latest version."),
            ),
        ]


class SlugManager(models.Manager.from_queryset(ReviewedQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


def validate_lower_case_slug(value):
    """A slug is written in lower case, so one record never has two keys differing by case."""
    if value != value.lower():
        raise ValidationError(
            _("The slug must be lower case: write “%(lower)s”, not “%(value)s”."),
            code="slug_not_lower_case",
            params={"value": value, "lower": value.lower()},
        )


class SlugKeyedModel(TimeStampedModel):
    """A record whose natural key is a slug, so fixtures never carry numeric ids."""

    slug = models.SlugField(
        verbose_name=_("slug"),
        max_length=120,
        unique=True,
        validators=[validate_lower_case_slug],
        help_text=_("Stable key used in fixtures and URLs: lower-case words joined by hyphens."),
    )

    objects = SlugManager()

    class Meta:
        abstract = True

    def natural_key(self):
        return (self.slug,)


code_validator = RegexValidator(
    r"^[A-Z]{2}(-[A-Z0-9]{1,12})*$",
    _(
        "Use an ISO 3166 code (US, US-TX, CN-SH) or extend one with hyphenated parts "
        "(CN-GD-SHENZHEN): capital letters, digits and hyphens."
    ),
)


def validate_partial_date(instance, field_name):
    """Refuse a partial date that is not written on its period's first day.

    A date known only to the month is stored as the first of that month, one known
    only to the year as 1 January, so that ordering and range filters stay exact.
    Returns a dict of field errors (empty when valid).
    """
    value = getattr(instance, field_name)
    precision = getattr(instance, f"{field_name}_precision")
    label = instance._meta.get_field(field_name).verbose_name
    errors = {}
    if value is None and precision:
        errors[f"{field_name}_precision"] = _("A precision was given but no %(label)s date.") % {"label": label}
    elif value is not None and not precision:
        errors[f"{field_name}_precision"] = _("Say whether the %(label)s date is known to the day, month or year.") % {
            "label": label
        }
    elif value is not None and precision == DatePrecision.MONTH and value.day != 1:
        errors[field_name] = _(
            "A %(label)s date known only to the month is written as its first day (%(first)s), not %(value)s."
        ) % {"label": label, "first": value.replace(day=1).isoformat(), "value": value.isoformat()}
    elif value is not None and precision == DatePrecision.YEAR and (value.month, value.day) != (1, 1):
        errors[field_name] = _(
            "A %(label)s date known only to the year is written as 1 January (%(first)s), not %(value)s."
        ) % {"label": label, "first": datetime.date(value.year, 1, 1).isoformat(), "value": value.isoformat()}
    return errors


def date_name(field_name):
    """A date field's name for messages, translated as its field's label is (``pgettext("date", …)``)."""
    if field_name == "date":
        return pgettext_lazy("date", "date")
    return pgettext_lazy("date", field_name.replace("_", " "))


def partial_date_constraint(model_name, field_name):
    """The database half of the partial-date rule: a date has a precision, and only then."""
    return models.CheckConstraint(
        condition=(
            Q(**{f"{field_name}__isnull": True, f"{field_name}_precision": ""})
            | (Q(**{f"{field_name}__isnull": False}) & ~Q(**{f"{field_name}_precision": ""}))
        ),
        name=f"{model_name}_{field_name}_has_precision",
        violation_error_message=format_lazy(
            _("The {date} date and its precision go together."), date=date_name(field_name)
        ),
    )


def localized_name(record):
    """A vocabulary term's name in the language of the page: its Chinese name on a page in
    Chinese, where it has one, else its English name."""
    if record.name_zh and (get_language() or "").startswith("zh"):
        return record.name_zh
    return record.name_en


def format_partial_date(value, precision):
    if value is None:
        return ""
    if precision == DatePrecision.YEAR:
        return f"{value.year:04d}"
    if precision == DatePrecision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def raise_if(errors):
    if errors:
        raise ValidationError(errors)


def partial_date_fields(label, help_text):
    """A date and its precision, as two fields to unpack in a model body."""
    return (
        models.DateField(label, null=True, blank=True, help_text=help_text),
        models.CharField(
            format_lazy(_("{date} precision"), date=label),
            max_length=5,
            choices=DatePrecision.choices,
            blank=True,
            default="",
            help_text=format_lazy(
                _("Whether the {date} date is known to the day, the month or only the year."), date=label
            ),
        ),
    )
