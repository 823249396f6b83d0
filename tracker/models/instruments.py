import datetime

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tracker.choices import DateKind, EventKind, InstrumentKind, InstrumentStatus, IssuerRole, StackLayerCode
from tracker.models.base import (
    ReviewedModel,
    SlugKeyedModel,
    SlugManager,
    TimeStampedModel,
    format_partial_date,
    localized_name,
    partial_date_constraint,
    partial_date_fields,
    raise_if,
    validate_partial_date,
)
from tracker.models.rules import cycle_error, in_vocabulary, not_own_parent
from tracker.models.sources import CitationBase, CitationManager
from tracker.querysets import PolicyInstrumentQuerySet, ReviewedQuerySet


class StackLayerManager(models.Manager.from_queryset(ReviewedQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class StackLayer(ReviewedModel, TimeStampedModel):
    """A layer of the AI technology stack a measure acts on (chips, compute, models ...)."""

    code = models.CharField(verbose_name=_("code"), max_length=20, unique=True, choices=StackLayerCode.choices)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    definition = models.CharField(verbose_name=_("definition"), max_length=300)
    position = models.PositiveSmallIntegerField(
        verbose_name=_("position"), help_text=_("Order from hardware up to applications.")
    )

    objects = StackLayerManager()

    class Meta:
        verbose_name = _("stack layer")
        verbose_name_plural = _("stack layers")
        ordering = ["position"]
        constraints = [
            in_vocabulary("stack_layer_code_known", "code", StackLayerCode, _("stack layer")),
            *ReviewedModel.editorial_constraints("stack_layer"),
        ]

    def __str__(self):
        return localized_name(self)

    def natural_key(self):
        return (self.code,)


LIFECYCLE_DATES = ("announced", "effective_from", "effective_until", "rescinded")


class PolicyInstrument(ReviewedModel, SlugKeyedModel):
    """A government measure of any kind: a plan, fund, lab, pilot zone, export control, ban ...

    Every measure is one row here, so one query lists, searches and date-filters all of
    them.  Kind-specific facts live in a one-to-one detail (``fund``, ``lab``,
    ``pilot_zone``, ``export_control``, ``ban``).
    """

    title_en = models.CharField(_("title (English)"), max_length=400)
    title_zh = models.CharField(_("title (Chinese)"), max_length=400, blank=True)
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=24,
        choices=InstrumentKind.choices,
        help_text=_(
            "What sort of measure it is: a plan, a fund, a ban, an export control …, each defined where it is chosen."
        ),
    )
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_zh = models.TextField(_("summary (Chinese)"), blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=12, choices=InstrumentStatus.choices, default=InstrumentStatus.UNKNOWN
    )
    layers = models.ManyToManyField(
        StackLayer,
        verbose_name=_("layers"),
        blank=True,
        related_name="instruments",
        help_text=_("Layers of the AI stack it acts on."),
    )
    jurisdiction = models.ForeignKey(
        "tracker.Jurisdiction",
        verbose_name=_("jurisdiction"),
        # Measures are the tracker's substance: a jurisdiction with measures is kept.
        on_delete=models.PROTECT,
        related_name="instruments",
        help_text=_("The jurisdiction that implements the measure."),
    )
    issuing_body = models.ForeignKey(
        "tracker.Organization",
        verbose_name=_("issuing body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_instruments",
        help_text=_("The body that issued or imposes it."),
    )
    co_issuers = models.ManyToManyField(
        "tracker.Organization",
        verbose_name=_("co-issuers"),
        blank=True,
        related_name="co_issued_instruments",
        help_text=_("Bodies that issued it jointly with the lead issuer (the issuing body)."),
    )
    products = models.ManyToManyField(
        "tracker.Product",
        verbose_name=_("products"),
        blank=True,
        related_name="instruments",
        help_text=_("Products the measure names, supports or hits: for a ban, what is banned."),
    )
    affected_jurisdictions = models.ManyToManyField(
        "tracker.Jurisdiction",
        verbose_name=_("affected jurisdictions"),
        blank=True,
        related_name="affected_by",
        help_text=_("Jurisdictions the measure is aimed at or applies to, besides its own."),
    )
    targets = models.ManyToManyField(
        "tracker.Organization",
        verbose_name=_("targets"),
        blank=True,
        related_name="targeted_by",
        help_text=_("Organizations the measure names or hits (a banned company, a listed entity)."),
    )
    part_of = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        null=True,
        blank=True,
        # Removing a programme must not silently orphan its members.
        on_delete=models.PROTECT,
        related_name="members",
        help_text=_("The larger programme this measure belongs to (a pilot zone's national programme)."),
    )
    amends = models.ManyToManyField(
        "self",
        verbose_name=_("amends"),
        symmetrical=False,
        blank=True,
        related_name="amended_by",
        help_text=_("Earlier measures this one amends, clarifies or rescinds."),
    )
    document_number = models.CharField(
        verbose_name=_("document number"),
        max_length=120,
        blank=True,
        help_text=_("The issuer's own number: 国发〔2017〕35号, Executive Order 46, FR Doc 2022-21658."),
    )
    url = models.URLField(_("URL"), max_length=1000, blank=True, help_text=_("The measure's own text, where public."))
    announced, announced_precision = partial_date_fields(
        pgettext_lazy("date", "announced"), _("When it was announced or issued.")
    )
    effective_from, effective_from_precision = partial_date_fields(
        pgettext_lazy("date", "effective from"),
        _("When it took or takes effect (for a lab or zone: founded or designated)."),
    )
    effective_until, effective_until_precision = partial_date_fields(
        pgettext_lazy("date", "effective until"), _("When it stops or stopped having effect, if it has an end.")
    )
    rescinded, rescinded_precision = partial_date_fields(
        pgettext_lazy("date", "rescinded"), _("When it was withdrawn before its end.")
    )

    objects = SlugManager.from_queryset(PolicyInstrumentQuerySet)()

    _history_m2m_fields = ("layers", "co_issuers", "products", "affected_jurisdictions", "targets", "amends")
    # Links that are a measure's substance: the organization a ban hits cannot be deleted
    # from under it (``tracker.services.records.deletion_plan``).
    substantive_links = ("layers", "affected_jurisdictions", "targets")

    class Meta:
        verbose_name = _("policy instrument")
        verbose_name_plural = _("policy instruments")
        ordering = ["slug"]
        indexes = [
            models.Index(fields=["kind"], name="instrument_kind_idx"),
            models.Index(fields=["effective_from", "effective_until"], name="instrument_in_force_idx"),
        ]
        constraints = [
            *(partial_date_constraint("instrument", name) for name in LIFECYCLE_DATES),
            in_vocabulary("instrument_kind_known", "kind", InstrumentKind, _("instrument kind")),
            in_vocabulary("instrument_status_known", "status", InstrumentStatus, _("instrument status")),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_from__isnull=True)
                | Q(effective_until__gte=F("effective_from")),
                name="instrument_ends_after_start",
                violation_error_message=_("A measure cannot stop having effect before it takes effect."),
            ),
            models.CheckConstraint(
                condition=Q(rescinded__isnull=True) | Q(announced__isnull=True) | Q(rescinded__gte=F("announced")),
                name="instrument_rescinded_after_announced",
                violation_error_message=_("A measure cannot be rescinded before it was announced."),
            ),
            models.CheckConstraint(
                condition=Q(rescinded__isnull=True) | Q(status=InstrumentStatus.RESCINDED),
                name="instrument_rescinded_has_status",
                violation_error_message=_("A measure with a rescission date has the status 'rescinded'."),
            ),
            not_own_parent("instrument_not_own_programme", "part_of", _("A measure cannot be part of itself.")),
            *ReviewedModel.editorial_constraints("instrument"),
        ]

    def __str__(self):
        return self.title_en

    def clean(self):
        errors = {}
        for name in LIFECYCLE_DATES:
            errors.update(validate_partial_date(self, name))
        detail = self.existing_detail() if self.pk else None
        if detail is not None and self.kind not in detail.instrument_kinds:
            kind = InstrumentKind(self.kind).label if self.kind in InstrumentKind.values else repr(self.kind)
            errors["kind"] = _(
                "This measure has %(detail)s details, which a %(kind)s cannot have: "
                "remove them before changing its kind."
            ) % {"detail": detail._meta.verbose_name, "kind": kind}
        if cycle := cycle_error(self, "part_of"):
            errors["part_of"] = cycle
        raise_if(errors)

    validated_relations = ("amends", "co_issuers", "products")

    def validate_relations(self, *, amends, co_issuers, products):
        """Rules on many-to-many links, which ``clean()`` cannot see before they are saved.

        Called by the services with the proposed links (and the admin's form with its own).
        """
        errors = {}
        if self.pk is not None and any(other.pk == self.pk for other in amends):
            errors["amends"] = _("A measure cannot amend itself.")
        if co_issuers and self.issuing_body_id is None:
            errors["co_issuers"] = _("Name the lead issuer (the issuing body) before its co-issuers.")
        elif any(other.pk == self.issuing_body_id for other in co_issuers):
            errors["co_issuers"] = _("%(issuer)s is the lead issuer; it is not also a co-issuer.") % {
                "issuer": self.issuing_body
            }
        if self.kind == InstrumentKind.BAN and not products:
            errors["products"] = _("Say what the ban covers: choose the banned products.")
        raise_if(errors)

    def issuers(self):
        """The issuers with their roles: the lead first, then the co-issuers."""
        lead = [(self.issuing_body, IssuerRole.LEAD)] if self.issuing_body_id else []
        return lead + [(body, IssuerRole.CO_ISSUER) for body in self.co_issuers.all()]

    # Which events give each lifecycle date: the earliest dated one of these kinds.
    LIFECYCLE_EVENTS = {
        "announced": (EventKind.ANNOUNCED, EventKind.INTRODUCED),
        "effective_from": (EventKind.TOOK_EFFECT,),
        "effective_until": (EventKind.EXPIRED,),
        "rescinded": (EventKind.RESCINDED,),
    }

    def derive_from_events(self, events, today=None):
        """Set the lifecycle dates and the status from the measure's events; False if it has none.

        A date counts only where the source gives the day (exactly, about, or a range's
        start); one known only from a report's date leaves the measure's date empty.
        """
        events = list(events)
        if not events:
            return False
        today = today or datetime.date.today()

        def first(*kinds):
            dated = [event for event in events if event.kind in kinds and event.date is not None]
            return min(dated, key=lambda event: event.date) if dated else None

        def happened(kind):
            return any(event.kind == kind and (event.date is None or event.date <= today) for event in events)

        for name, kinds in self.LIFECYCLE_EVENTS.items():
            event = first(*kinds)
            setattr(self, name, event.date if event else None)
            setattr(self, f"{name}_precision", (event.date_precision or "day") if event else "")
        suspended = sorted(e.sort_date for e in events if e.kind == EventKind.SUSPENDED and e.sort_date)
        resumed = sorted(e.sort_date for e in events if e.kind == EventKind.RESUMED and e.sort_date)
        if any(event.kind == EventKind.RESCINDED for event in events):
            self.status = InstrumentStatus.RESCINDED
        elif happened(EventKind.SUPERSEDED):
            self.status = InstrumentStatus.SUPERSEDED
        elif happened(EventKind.EXPIRED):
            self.status = InstrumentStatus.EXPIRED
        elif suspended and suspended[-1] <= today and (not resumed or resumed[-1] < suspended[-1]):
            self.status = InstrumentStatus.SUSPENDED
        elif any(event.kind == EventKind.TOOK_EFFECT for event in events):
            self.status = InstrumentStatus.IN_FORCE if happened(EventKind.TOOK_EFFECT) else InstrumentStatus.ANNOUNCED
        elif happened(EventKind.ANNOUNCED):
            # A measure whose effect is not dated takes effect when issued (as ``in_force`` counts it).
            self.status = InstrumentStatus.IN_FORCE
        elif happened(EventKind.INTRODUCED):
            self.status = InstrumentStatus.PROPOSED
        else:
            self.status = InstrumentStatus.ANNOUNCED
        return True

    def lifecycle_text(self, name):
        """A lifecycle date as the sources give it ("about 2025-01-30", "date unknown, reported
        2025-03-17"), from the measure's first event of that kind; else the stored date."""
        kinds = self.LIFECYCLE_EVENTS[name]
        events = [event for event in self.events.all() if event.kind in kinds]
        if events:
            dated = [event for event in events if event.sort_date is not None]
            first = min(dated, key=lambda event: event.sort_date) if dated else events[0]
            return first.date_text()
        return self.date_display(name)

    def date_display(self, name):
        return format_partial_date(getattr(self, name), getattr(self, f"{name}_precision"))

    @property
    def detail(self):
        """The detail record of this measure's kind (``DETAIL_MODELS``), or None."""
        from tracker.models.details import DETAIL_MODELS

        model = DETAIL_MODELS.get(self.kind)
        return _detail_or_none(self, model) if model else None

    def existing_detail(self):
        """Whichever detail links here, of this kind or another (before a change of kind)."""
        from tracker.models.details import DETAIL_MODELS

        for model in dict.fromkeys(DETAIL_MODELS.values()):
            if (detail := _detail_or_none(self, model)) is not None:
                return detail
        return None


def _detail_or_none(instrument, model):
    try:
        return getattr(instrument, model.accessor_name())
    except model.DoesNotExist:
        return None


class InstrumentCitation(CitationBase):
    """A citation supporting a policy instrument."""

    instrument = models.ForeignKey(
        PolicyInstrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="citations"
    )

    subject_field = version_parent = "instrument"
    objects = CitationManager()

    class Meta:
        verbose_name = _("instrument citation")
        verbose_name_plural = _("instrument citations")
        ordering = ["instrument", "source", "locator"]
        constraints = CitationBase.citation_constraints("instrument", "instrument")

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["tracker.policyinstrument", "tracker.source"]


class StackLayerCitationManager(models.Manager):
    def get_by_natural_key(self, layer_code, source_slug, locator):
        return self.get(layer__code=layer_code, source__slug=source_slug, locator=locator)


class StackLayerCitation(CitationBase):
    """Where the framework's layers come from: the report's own account of the AI stack."""

    layer = models.ForeignKey(StackLayer, verbose_name=_("layer"), on_delete=models.CASCADE, related_name="citations")

    subject_field = version_parent = "layer"
    objects = StackLayerCitationManager()

    class Meta:
        verbose_name = _("stack layer citation")
        verbose_name_plural = _("stack layer citations")
        ordering = ["layer", "source", "locator"]
        constraints = CitationBase.citation_constraints("stack_layer", "layer")

    def natural_key(self):
        return super().natural_key()

    natural_key.dependencies = ["tracker.stacklayer", "tracker.source"]


class InstrumentEventManager(models.Manager):
    def get_by_natural_key(self, instrument_slug, kind, sequence):
        return self.get(instrument__slug=instrument_slug, kind=kind, sequence=sequence)


class InstrumentEvent(TimeStampedModel):
    """A dated step in a measure's life — announced, took effect, amended, suspended,
    rescinded — with the date as the source gives it and the citation that gives it.

    When a measure has events, its status and lifecycle dates follow from them
    (``PolicyInstrument.derive_from_events``): a rescission is an event on the rescinded
    rule, and a date only reported is never stored as the event's own.
    """

    instrument = models.ForeignKey(
        PolicyInstrument, verbose_name=_("instrument"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=12, choices=EventKind.choices)
    sequence = models.PositiveSmallIntegerField(
        verbose_name=_("sequence"),
        default=1,
        help_text=_("1 for the first event of this kind on the measure, 2 for the second …"),
    )
    date_kind = models.CharField(_("the date is"), max_length=12, choices=DateKind.choices, default=DateKind.EXACT)
    date, date_precision = partial_date_fields(
        pgettext_lazy("date", "event"), _("When it happened: the day, or the start of a range.")
    )
    date_end = models.DateField(
        _("until"), null=True, blank=True, help_text=_("The last day of a range (4–6 February).")
    )
    reported_on = models.DateField(
        verbose_name=_("reported on"),
        null=True,
        blank=True,
        help_text=_("The day a report of it appeared, when that is all the sources give."),
    )
    citation = models.ForeignKey(
        InstrumentCitation,
        verbose_name=_("citation"),
        null=True,
        blank=True,
        # The event stays if its citation is removed; the measure's other citations remain.
        on_delete=models.SET_NULL,
        related_name="events",
        help_text=_("The citation that gives this date."),
    )
    note = models.TextField(verbose_name=_("note"), blank=True)

    objects = InstrumentEventManager()
    version_parent = "instrument"

    class Meta:
        verbose_name = _("instrument event")
        verbose_name_plural = _("instrument events")
        ordering = ["instrument", "date", "reported_on", "kind", "sequence"]
        constraints = [
            in_vocabulary("instrument_event_kind_known", "kind", EventKind, _("kind of event")),
            in_vocabulary("instrument_event_date_kind_known", "date_kind", DateKind, _("kind of date")),
            partial_date_constraint("instrument_event", "date"),
            models.UniqueConstraint(
                fields=["instrument", "kind", "sequence"],
                name="instrument_event_unique",
                violation_error_message=_("This measure already has an event of that kind with that number."),
            ),
            models.CheckConstraint(
                condition=(Q(date_kind__in=[DateKind.REPORTED, DateKind.UNKNOWN]) & Q(date__isnull=True))
                | (~Q(date_kind__in=[DateKind.REPORTED, DateKind.UNKNOWN]) & Q(date__isnull=False)),
                name="instrument_event_date_as_given",
                violation_error_message=_(
                    "An exact, approximate or range date has its day; an unknown or only "
                    "reported one has none (the report's date is not the event's)."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(date_kind=DateKind.REPORTED) | Q(reported_on__isnull=False),
                name="instrument_event_reported_has_report_date",
                violation_error_message=_("Give the day the report appeared."),
            ),
            models.CheckConstraint(
                condition=(Q(date_kind=DateKind.RANGE) & Q(date_end__gte=F("date")))
                | (~Q(date_kind=DateKind.RANGE) & Q(date_end__isnull=True)),
                name="instrument_event_range_ordered",
                violation_error_message=_("A range has an end on or after its start; other dates have no end."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.date_text()}"

    def natural_key(self):
        return (*self.instrument.natural_key(), self.kind, self.sequence)

    natural_key.dependencies = ["tracker.policyinstrument", "tracker.instrumentcitation"]

    def clean(self):
        errors = validate_partial_date(self, "date")
        same_measure = self.citation_id is None or self.instrument_id is None
        if not same_measure and self.citation.instrument_id != self.instrument_id:
            errors["citation"] = _("Choose a citation of this measure.")
        raise_if(errors)

    def date_text(self):
        """The date as the source gives it: "2025-02-04", "about 2025-01-30", "2025-02-04 – 2025-02-06"."""
        exact = format_partial_date(self.date, self.date_precision)
        if self.date_kind == DateKind.APPROXIMATE:
            return _("about %(date)s") % {"date": exact}
        if self.date_kind == DateKind.RANGE:
            return f"{exact} – {self.date_end.isoformat()}"
        if self.date_kind == DateKind.REPORTED:
            return _("date unknown, reported %(date)s") % {"date": self.reported_on.isoformat()}
        if self.date_kind == DateKind.UNKNOWN:
            return str(_("date unknown"))
        return exact

    @property
    def sort_date(self):
        """Where the event stands in time for ordering: its date, or the latest it can have been."""
        return self.date or self.reported_on
