"""Synthetic measures at scale, for benchmarks: ``generate(measures, seed=...)``.

Builds ``measures`` synthetic ``PolicyInstrument`` rows (slugs ``synthetic-000001`` …) on top
of the records the shipped fixtures load: each measure is in a loaded jurisdiction, links to
stack layers and sometimes to target organizations (a ban to a banned product), and has one ``InstrumentCitation`` of a
loaded source, the lifecycle events its dates come from (each citing that citation; status
and dates then follow from the events by ``PolicyInstrument.derive_from_events``, as a save
derives them) and, for the kinds that have one, its kind's detail (``DETAIL_MODELS``: fund,
subsidy, lab, pilot zone with its place, export control, ban with its scopes).  Every row
has its baseline history row (with its many-to-many links, as
``create_historical_record`` would write them), all in one ``ChangeSet`` (via "command",
source "bench.synthetic"), and enters published at version 1, as a fixture record does.

The rows are written set-based, not through ``tracker.services.save_record``: going
through the services costs a few dozen queries per record, which at a million records is
hours; the services are what the benchmarks measure, on top of this data.

Rows are made batch by batch from a generator, so memory stays flat whatever the size.
Each batch has its own random stream derived from the seed and its position, so a run
stopped part way resumes (``generate`` continues after the highest synthetic slug) and
produces the same rows as one uninterrupted run.
"""

import datetime
import random
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models.functions import Length
from django.utils import timezone

from tracker.choices import (
    BanLegalForm,
    ChangeKind,
    ChangeVia,
    Confidence,
    DateKind,
    EventKind,
    ExportControlForm,
    InstrumentKind,
    InstrumentStatus,
)
from tracker.models import (
    DETAIL_MODELS,
    Ban,
    ChangeSet,
    ExportControl,
    Fund,
    InstrumentCitation,
    InstrumentEvent,
    Jurisdiction,
    Lab,
    Organization,
    PilotZone,
    PolicyInstrument,
    Product,
    Scope,
    Source,
    StackLayer,
    Subsidy,
)

SLUG_PREFIX = "synthetic-"
SOURCE = "bench.synthetic"
BATCH_SIZE = 5_000
# The organization that many synthetic measures target, for the deletion-plan benchmark.
HEAVY_TARGET = "deepseek"
HEAVY_TARGET_SHARE = 0.01

# Roughly the mix of the report: many plans, pilot zones and controls, few labs.
KIND_WEIGHTS = {
    InstrumentKind.PLAN: 18,
    InstrumentKind.INVESTMENT_FUND: 6,
    InstrumentKind.SUBSIDY: 8,
    InstrumentKind.COMPUTE_INFRASTRUCTURE: 7,
    InstrumentKind.STATE_LAB: 4,
    InstrumentKind.PILOT_ZONE: 12,
    InstrumentKind.PILOT_ZONE_PROGRAMME: 1,
    InstrumentKind.TALENT: 6,
    InstrumentKind.INDIGENISATION: 6,
    InstrumentKind.BAN: 8,
    InstrumentKind.EXPORT_CONTROL: 10,
    InstrumentKind.ENTITY_LISTING: 5,
    InstrumentKind.LEGISLATION: 5,
    InstrumentKind.GUIDANCE: 4,
}
# Kinds that name organizations they hit.
TARGETING_KINDS = {InstrumentKind.BAN, InstrumentKind.EXPORT_CONTROL, InstrumentKind.ENTITY_LISTING}

TOPICS_EN = [
    "artificial intelligence",
    "computing power",
    "semiconductors",
    "large models",
    "data centres",
    "AI talent",
    "advanced chips",
    "the data economy",
    "intelligent manufacturing",
    "open-source frameworks",
]
TOPICS_ZH = [
    "人工智能",
    "算力",
    "半導體",
    "大模型",
    "數據中心",
    "人工智能人才",
    "先進晶片",
    "數據經濟",
    "智能製造",
    "開源框架",
]
FORMS_EN = {
    InstrumentKind.PLAN: "Action plan for {topic}",
    InstrumentKind.INVESTMENT_FUND: "Industrial investment fund for {topic}",
    InstrumentKind.SUBSIDY: "Vouchers for {topic}",
    InstrumentKind.COMPUTE_INFRASTRUCTURE: "Public compute platform for {topic}",
    InstrumentKind.STATE_LAB: "State key laboratory of {topic}",
    InstrumentKind.PILOT_ZONE: "Pilot zone for {topic}",
    InstrumentKind.PILOT_ZONE_PROGRAMME: "National pilot-zone programme for {topic}",
    InstrumentKind.TALENT: "Talent programme in {topic}",
    InstrumentKind.INDIGENISATION: "Domestic substitution support for {topic}",
    InstrumentKind.BAN: "Ban on foreign {topic} services on government devices",
    InstrumentKind.EXPORT_CONTROL: "Export controls on {topic}",
    InstrumentKind.ENTITY_LISTING: "Entity List additions related to {topic}",
    InstrumentKind.LEGISLATION: "Act on {topic}",
    InstrumentKind.GUIDANCE: "Guidance on {topic}",
}
FORMS_ZH = {
    InstrumentKind.PLAN: "{topic}發展行動計劃",
    InstrumentKind.INVESTMENT_FUND: "{topic}產業投資基金",
    InstrumentKind.SUBSIDY: "{topic}券補貼辦法",
    InstrumentKind.COMPUTE_INFRASTRUCTURE: "{topic}公共算力平台",
    InstrumentKind.STATE_LAB: "{topic}國家重點實驗室",
    InstrumentKind.PILOT_ZONE: "{topic}創新試驗區",
    InstrumentKind.PILOT_ZONE_PROGRAMME: "國家{topic}試驗區計劃",
    InstrumentKind.TALENT: "{topic}人才計劃",
    InstrumentKind.INDIGENISATION: "{topic}國產替代支持措施",
    InstrumentKind.BAN: "禁止在政府裝置上使用境外{topic}服務",
    InstrumentKind.EXPORT_CONTROL: "{topic}出口管制",
    InstrumentKind.ENTITY_LISTING: "與{topic}相關的實體清單",
    InstrumentKind.LEGISLATION: "{topic}法",
    InstrumentKind.GUIDANCE: "關於{topic}的指導意見",
}
FIRST_DAY = datetime.date(2015, 1, 1)
DAYS = (datetime.date(2025, 12, 31) - FIRST_DAY).days


@dataclass(frozen=True)
class Context:
    """The loaded records synthetic rows refer to, by id."""

    jurisdictions: list
    zh_jurisdictions: set
    issuers: list
    companies: list
    heavy_target: int | None
    sources: list
    layers: list
    scopes: list
    products: list


def load_context():
    jurisdictions = list(Jurisdiction.objects.order_by("code").values_list("pk", "code"))
    companies = list(
        Organization.objects.filter(kind__in=["company", "soe"])
        .exclude(slug=HEAVY_TARGET)
        .order_by("slug")
        .values_list("pk", flat=True)
    )
    context = Context(
        jurisdictions=[pk for pk, _ in jurisdictions],
        zh_jurisdictions={pk for pk, code in jurisdictions if code.startswith(("CN", "TW", "HK", "MO"))},
        issuers=list(
            Organization.objects.filter(kind__in=["government_body", "legislature", "executive_office", "party_organ"])
            .order_by("slug")
            .values_list("pk", flat=True)
        ),
        companies=companies,
        heavy_target=Organization.objects.filter(slug=HEAVY_TARGET).values_list("pk", flat=True).first(),
        sources=list(Source.objects.order_by("slug").values_list("pk", flat=True)),
        layers=list(StackLayer.objects.order_by("position").values_list("pk", flat=True)),
        scopes=list(Scope.objects.order_by("code").values_list("pk", flat=True)),
        products=list(Product.objects.order_by("slug").values_list("pk", flat=True)),
    )
    if not (context.jurisdictions and context.sources and context.layers and context.scopes and context.products):
        raise RuntimeError(
            "Load the fixtures first: synthetic measures refer to their jurisdictions, sources and layers."
        )
    return context


def slug(index):
    return f"{SLUG_PREFIX}{index:06d}"


def synthetic_measures():
    return PolicyInstrument.objects.filter(slug__startswith=SLUG_PREFIX)


def highest_index():
    """The index of the highest synthetic slug stored, 0 if none."""
    last = (
        synthetic_measures()
        .annotate(length=Length("slug"))
        .order_by("-length", "-slug")
        .values_list("slug", flat=True)
        .first()
    )
    return int(last.removeprefix(SLUG_PREFIX)) if last else 0


def _day(rng, after=None, within=None):
    if after is None:
        return FIRST_DAY + datetime.timedelta(days=rng.randrange(DAYS))
    return after + datetime.timedelta(days=rng.randrange(1, within))


def _measure(index, rng, context, moment):
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    jurisdiction = rng.choice(context.jurisdictions)
    topic = rng.randrange(len(TOPICS_EN))
    announced = _day(rng)
    effective_from = _day(rng, announced, 180) if rng.random() < 0.8 else None
    effective_until = _day(rng, effective_from, 3650) if effective_from and rng.random() < 0.3 else None
    rescinded = None
    roll = rng.random()
    if roll < 0.03:
        status = InstrumentStatus.RESCINDED
        rescinded = _day(rng, announced, 1000)
    elif effective_until and effective_until < datetime.date(2025, 6, 1):
        status = InstrumentStatus.EXPIRED
    elif effective_from:
        status = InstrumentStatus.IN_FORCE
    else:
        status = rng.choice([InstrumentStatus.PROPOSED, InstrumentStatus.ANNOUNCED, InstrumentStatus.UNKNOWN])
    in_chinese = jurisdiction in context.zh_jurisdictions
    return PolicyInstrument(
        slug=slug(index),
        title_en=f"{FORMS_EN[kind].format(topic=TOPICS_EN[topic])} (synthetic no. {index})",
        title_zh=f"{FORMS_ZH[kind].format(topic=TOPICS_ZH[topic])}（合成第{index}號）" if in_chinese else "",
        kind=kind,
        summary_en=f"Synthetic measure {index} for benchmarks: {TOPICS_EN[topic]}, announced {announced.isoformat()}.",
        summary_zh=f"用於基準測試的合成措施第{index}號。" if in_chinese else "",
        status=status,
        jurisdiction_id=jurisdiction,
        issuing_body_id=rng.choice(context.issuers) if context.issuers and rng.random() < 0.6 else None,
        document_number=f"SYN〔{announced.year}〕{index}號" if in_chinese else f"SYN-{announced.year}-{index}",
        url=f"https://example.org/synthetic/{index}",
        announced=announced,
        announced_precision="day",
        effective_from=effective_from,
        effective_from_precision="day" if effective_from else "",
        effective_until=effective_until,
        effective_until_precision="day" if effective_until else "",
        rescinded=rescinded,
        rescinded_precision="day" if rescinded else "",
        created=moment,
        updated=moment,
        version=1,
        editorial_state="published",
        published_version=1,
        published_at=moment,
    )


def _links(measure, rng, context):
    """(layer ids, target organization ids, product ids) of one measure; a ban names the products it bans."""
    layers = rng.sample(context.layers, rng.randint(1, min(3, len(context.layers))))
    targets = set()
    if context.companies and measure.kind in TARGETING_KINDS:
        targets.update(rng.sample(context.companies, rng.randint(1, min(3, len(context.companies)))))
    if context.heavy_target and rng.random() < HEAVY_TARGET_SHARE:
        targets.add(context.heavy_target)
    products = rng.sample(context.products, 1) if measure.kind == InstrumentKind.BAN else []
    return layers, sorted(targets), products


def _citation(measure, rng, context, moment):
    in_chinese = bool(measure.title_zh)
    verbatim = rng.random() < 0.9
    confidence = rng.choice(Confidence.values)
    if confidence == Confidence.CONFIRMED and not verbatim:
        # A fact is confirmed only from a passage quoted word for word (a check constraint).
        confidence = Confidence.REPORTED
    return InstrumentCitation(
        instrument=measure,
        source_id=rng.choice(context.sources),
        locator=f"p. {rng.randint(1, 400)}, para {rng.randint(1, 12)}",
        quote=(
            f"{measure.title_zh}自公佈之日起施行。"
            if in_chinese
            else f"{measure.title_en} takes effect on publication."
        ),
        quote_language="zh-Hant" if in_chinese else "en",
        verbatim=verbatim,
        confidence=confidence,
        note="Synthetic citation.",
        created=moment,
        updated=moment,
        version=1,
    )


def _event(measure, citation, kind, date, moment):
    return InstrumentEvent(
        instrument=measure,
        kind=kind,
        sequence=1,
        date_kind=DateKind.EXACT,
        date=date,
        date_precision="day",
        citation=citation,
        created=moment,
        updated=moment,
        version=1,
    )


def _events(measure, citation, rng, moment):
    """The events behind the measure's dates; its status and dates are then derived from them,
    as ``tracker.services`` derives them on every save, so a later save changes neither."""
    first = EventKind.INTRODUCED if measure.effective_from is None and rng.random() < 0.3 else EventKind.ANNOUNCED
    events = [_event(measure, citation, first, measure.announced, moment)]
    for kind, date in (
        (EventKind.TOOK_EFFECT, measure.effective_from),
        (EventKind.EXPIRED, measure.effective_until),
        (EventKind.RESCINDED, measure.rescinded),
    ):
        if date is not None:
            events.append(_event(measure, citation, kind, date, moment))
    measure.derive_from_events(events, today=moment.date())
    return events


def _detail(measure, rng, context, moment):
    """(detail, {many-to-many link: ids}) of the measure's kind, or (None, {})."""
    model = DETAIL_MODELS.get(measure.kind)
    if model is None:
        return None, {}
    topic = measure.summary_en.split(": ", 1)[1].split(",", 1)[0]
    common = {"instrument": measure, "created": moment, "updated": moment, "version": 1}
    links = {}
    if model is Fund:
        currency = "USD" if measure.jurisdiction_id not in context.zh_jurisdictions else "CNY"
        detail = Fund(
            amount=rng.randrange(1, 2000) * 10_000_000,
            currency=currency,
            term_years=rng.choice([None, 5, 8, 10, 15]),
            focus=f"Investment in {topic}.",
            **common,
        )
    elif model is Subsidy:
        detail = Subsidy(
            pays_for=f"{topic} costs",
            rate=f"up to {rng.choice([20, 30, 40, 50])}% of the cost",
            eligible="Companies registered in the jurisdiction.",
            **common,
        )
    elif model is Lab:
        detail = Lab(focus=f"Research on {topic}.", **common)
    elif model is PilotZone:
        detail = PilotZone(focus=f"Pilot applications of {topic}.", **common)
        links["places"] = [measure.jurisdiction_id]
    elif model is ExportControl:
        detail = ExportControl(
            legal_form=rng.choice(ExportControlForm.values),
            legal_citation=f"{rng.randint(80, 90)} FR {rng.randint(1000, 99999)}",
            controlled_items=f"Items related to {topic}.",
            **common,
        )
    else:
        detail = Ban(
            legal_form=rng.choice(BanLegalForm.values),
            banned_product=f"foreign {topic} services",
            scope_detail="Government devices and networks.",
            **common,
        )
        links["scopes"] = rng.sample(context.scopes, rng.randint(1, 2))
    return detail, links


@dataclass
class Row:
    """One synthetic measure with everything written with it."""

    measure: PolicyInstrument
    layers: list
    targets: list
    products: list
    citation: InstrumentCitation
    events: list
    detail: object
    detail_links: dict


def batches(start, stop, seed, context, moment, batch_size=BATCH_SIZE):
    """Yield, batch by batch, the ``Row`` of each index in start..stop."""
    first_batch = (start - 1) // batch_size
    last_batch = (stop - 1) // batch_size
    for number in range(first_batch, last_batch + 1):
        rng = random.Random(f"{seed}:{number}")  # noqa: S311 - reproducible test data, not security
        rows = []
        for index in range(number * batch_size + 1, (number + 1) * batch_size + 1):
            measure = _measure(index, rng, context, moment)
            layers, targets, products = _links(measure, rng, context)
            citation = _citation(measure, rng, context, moment)
            events = _events(measure, citation, rng, moment)
            detail, detail_links = _detail(measure, rng, context, moment)
            if start <= index <= stop:
                rows.append(Row(measure, layers, targets, products, citation, events, detail, detail_links))
        yield rows


def _bulk_links(model, name, pairs):
    """Write the link rows (owner id, target id) of a many-to-many field; returns them."""
    link = model._meta.get_field(name)
    through = link.remote_field.through
    source, target = f"{link.m2m_field_name()}_id", f"{link.m2m_reverse_field_name()}_id"
    return through.objects.bulk_create([through(**{source: owner, target: other}) for owner, other in pairs])


def _write_batch(rows, changeset, moment):
    measures = PolicyInstrument.objects.bulk_create([row.measure for row in rows])
    links = {
        name: _bulk_links(PolicyInstrument, name, [(row.measure.pk, pk) for row in rows for pk in getattr(row, name)])
        for name in ("layers", "targets", "products")
    }
    for row in rows:
        row.citation.instrument_id = row.measure.pk
    citations = InstrumentCitation.objects.bulk_create([row.citation for row in rows])
    for row in rows:
        for event in row.events:
            event.instrument_id, event.citation_id = row.measure.pk, row.citation.pk
    events = InstrumentEvent.objects.bulk_create([event for row in rows for event in row.events])
    details = {}
    for row in rows:
        if row.detail is not None:
            row.detail.instrument_id = row.measure.pk
            details.setdefault(type(row.detail), []).append(row)
    detail_links = []
    for model, owners in details.items():
        model.objects.bulk_create([row.detail for row in owners])
        for name in model._history_m2m_fields:
            pairs = [(row.detail.pk, pk) for row in owners for pk in row.detail_links.get(name, ())]
            detail_links.append((model, name, _bulk_links(model, name, pairs)))

    # The rows create_historical_record writes for records created through the services,
    # copied in SQL from the rows just written: building them as model instances took most
    # of the time.
    history_of = _copy_to_history(PolicyInstrument, [m.pk for m in measures], changeset, moment)
    _copy_to_history(InstrumentCitation, [c.pk for c in citations], changeset, moment)
    _copy_to_history(InstrumentEvent, [e.pk for e in events], changeset, moment)
    for name, created in links.items():
        _link_history(PolicyInstrument, name, created, history_of)
    for model, owners in details.items():
        detail_history = _copy_to_history(model, [row.detail.pk for row in owners], changeset, moment)
        for link_model, name, created in detail_links:
            if link_model is model:
                _link_history(model, name, created, detail_history)
    return len(measures)


def _copy_to_history(model, ids, changeset, moment):
    """Insert the baseline ("+") history row of each of ``ids``, stamped with ``changeset``.

    Returns {record id: history id}.
    """
    history = model.history.model
    tracked = {model_field.attname for model_field in history.tracked_fields}
    special = {
        "history_date": "%(moment)s",
        "history_type": "'+'",
        "history_change_reason": "%(message)s",
        "history_user_id": "NULL",
        "changeset_id": "%(changeset)s",
    }
    quote = connection.ops.quote_name
    columns, values = [], []
    for model_field in history._meta.concrete_fields:
        if model_field.attname == "history_id":
            continue
        columns.append(quote(model_field.column))
        if model_field.attname in special:
            values.append(special[model_field.attname])
        elif model_field.attname in tracked:
            values.append(quote(model._meta.get_field(model_field.name).column))
        else:
            raise RuntimeError(f"{history.__name__}.{model_field.attname}: no value for a baseline history row.")
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names from the models
        f"SELECT {', '.join(values)} FROM {quote(model._meta.db_table)} WHERE id = ANY(%(ids)s) ORDER BY id "
        "RETURNING id, history_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"moment": moment, "message": changeset.message, "changeset": changeset.pk, "ids": ids})
        return dict(cursor.fetchall())


def _link_history(model, name, links, history_of):
    """The rows of a many-to-many link kept with each baseline history row, as simple-history keeps them."""
    if not links:
        return
    link = model._meta.get_field(name)
    source, target = f"{link.m2m_field_name()}_id", f"{link.m2m_reverse_field_name()}_id"
    history = model.history.model
    m2m_history = history._meta.get_field(f"{history._meta.model_name}_{name}").related_model
    quote = connection.ops.quote_name
    columns = ["id", source, target, "history_id"]
    sql = (
        f"INSERT INTO {quote(m2m_history._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
        "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [row.pk for row in links],
                [getattr(row, source) for row in links],
                [getattr(row, target) for row in links],
                [history_of[getattr(row, source)] for row in links],
            ],
        )


def generate(measures, seed=20250131, batch_size=BATCH_SIZE, progress=print):
    """Make the database hold ``measures`` synthetic measures; returns how many were created.

    Continues after the highest synthetic slug stored, so it never duplicates and resumes
    an interrupted run.  Each batch is its own transaction.
    """
    start = highest_index() + 1
    if start > measures:
        progress(f"The database already holds synthetic measures up to {slug(start - 1)}: nothing to generate.")
        return 0
    context = load_context()
    moment = timezone.now()
    changeset = ChangeSet.objects.create(
        created=moment,
        via=ChangeVia.COMMAND,
        kind=ChangeKind.EDIT,
        source=SOURCE,
        message=f"Synthetic measures {slug(start)} to {slug(measures)} for benchmarks (seed {seed}).",
    )
    began = time.perf_counter()
    created = 0
    for rows in batches(start, measures, seed, context, moment, batch_size):
        with transaction.atomic():
            created += _write_batch(rows, changeset, moment)
        elapsed = time.perf_counter() - began
        progress(
            f"  {created:>9,} / {measures - start + 1:,} synthetic measures "
            f"({elapsed:,.0f} s, {created / elapsed:,.0f} a second)"
        )
    # Fresh planner statistics, as autovacuum would gather soon after a load this size.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    progress(f"Generated {created:,} synthetic measures in {time.perf_counter() - began:,.1f} s.")
    return created
