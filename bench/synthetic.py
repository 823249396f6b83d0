"""Synthetic measures at scale, for benchmarks: ``generate(measures, seed=...)``.

Builds ``measures`` synthetic ``PolicyInstrument`` rows (slugs ``synthetic-000001`` …) on top
of the records the shipped fixtures load: each measure is in a loaded jurisdiction, links to
stack layers and sometimes to target organizations, and has one ``InstrumentCitation`` of a
loaded source.  Every row has its baseline history row (with its many-to-many links, as
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

from tracker.choices import ChangeKind, ChangeVia, Confidence, InstrumentKind, InstrumentStatus
from tracker.models import (
    ChangeSet,
    InstrumentCitation,
    Jurisdiction,
    Organization,
    PolicyInstrument,
    Source,
    StackLayer,
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
    )
    if not (context.jurisdictions and context.sources and context.layers):
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
    """(layer ids, target organization ids) of one measure."""
    layers = rng.sample(context.layers, rng.randint(1, min(3, len(context.layers))))
    targets = set()
    if context.companies and measure.kind in TARGETING_KINDS:
        targets.update(rng.sample(context.companies, rng.randint(1, min(3, len(context.companies)))))
    if context.heavy_target and rng.random() < HEAVY_TARGET_SHARE:
        targets.add(context.heavy_target)
    return layers, sorted(targets)


def _citation(measure, rng, context, moment):
    in_chinese = bool(measure.title_zh)
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
        verbatim=rng.random() < 0.9,
        confidence=rng.choice(Confidence.values),
        note="Synthetic citation.",
        created=moment,
        updated=moment,
        version=1,
    )


def batches(start, stop, seed, context, moment, batch_size=BATCH_SIZE):
    """Yield, batch by batch, (measure, layer ids, target ids, citation source) for indices start..stop."""
    first_batch = (start - 1) // batch_size
    last_batch = (stop - 1) // batch_size
    for number in range(first_batch, last_batch + 1):
        rng = random.Random(f"{seed}:{number}")  # noqa: S311 - reproducible test data, not security
        rows = []
        for index in range(number * batch_size + 1, (number + 1) * batch_size + 1):
            measure = _measure(index, rng, context, moment)
            layers, targets = _links(measure, rng, context)
            citation = _citation(measure, rng, context, moment)
            if start <= index <= stop:
                rows.append((measure, layers, targets, citation))
        yield rows


def _write_batch(rows, changeset, moment):
    measures = PolicyInstrument.objects.bulk_create([measure for measure, *_ in rows])
    links = {}
    for name, position in (("layers", 1), ("targets", 2)):
        link = PolicyInstrument._meta.get_field(name)
        through = link.remote_field.through
        target = f"{link.m2m_reverse_field_name()}_id"
        links[name] = through.objects.bulk_create(
            [through(policyinstrument_id=row[0].pk, **{target: pk}) for row in rows for pk in row[position]]
        )
    for _, _, _, citation in rows:
        citation.instrument_id = citation.instrument.pk
    citations = InstrumentCitation.objects.bulk_create([citation for *_, citation in rows])

    # The rows create_historical_record writes for records created through the services,
    # copied in SQL from the rows just written: building them as model instances took most
    # of the time.
    history_of = _copy_to_history(PolicyInstrument, [m.pk for m in measures], changeset, moment)
    _copy_to_history(InstrumentCitation, [c.pk for c in citations], changeset, moment)
    for name, created in links.items():
        _link_history(name, created, history_of)
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


def _link_history(name, links, history_of):
    """The rows of a many-to-many link kept with each baseline history row, as simple-history keeps them."""
    if not links:
        return
    link = PolicyInstrument._meta.get_field(name)
    target = f"{link.m2m_reverse_field_name()}_id"
    m2m_history = getattr(PolicyInstrument.history.model, f"historicalpolicyinstrument_{name}_set").rel.related_model
    quote = connection.ops.quote_name
    columns = ["id", "policyinstrument_id", target, "history_id"]
    sql = (
        f"INSERT INTO {quote(m2m_history._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
        "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[])"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [row.pk for row in links],
                [row.policyinstrument_id for row in links],
                [getattr(row, target) for row in links],
                [history_of[row.policyinstrument_id] for row in links],
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
