"""The tracker's controlled vocabularies.

Each value carries a one-line definition in ``DEFINITIONS`` so that the admin help
texts and ``docs/data-model.md`` say the same thing.
"""

from django.db import models


class DatePrecision(models.TextChoices):
    DAY = "day", "day"
    MONTH = "month", "month"
    YEAR = "year", "year"


class JurisdictionLevel(models.TextChoices):
    SUPRANATIONAL = "supranational", "supranational body"
    COUNTRY = "country", "country or territory"
    STATE = "state", "state, province or province-level municipality"
    CITY = "city", "city"
    DISTRICT = "district", "district, county or new area"


# Order from the widest to the narrowest, used to refuse a parent narrower than its child.
JURISDICTION_LEVEL_RANK = {level: rank for rank, level in enumerate(JurisdictionLevel.values)}


class OrganizationKind(models.TextChoices):
    GOVERNMENT_BODY = "government_body", "government body or agency"
    LEGISLATURE = "legislature", "legislature or one of its offices"
    HEAD_OF_GOVERNMENT = "executive_office", "executive office (governor, president)"
    PARTY_ORGAN = "party_organ", "party organ"
    COMPANY = "company", "private company"
    STATE_OWNED_ENTERPRISE = "soe", "state-owned enterprise"
    LAB = "lab", "research laboratory"
    UNIVERSITY = "university", "university"
    FUND = "fund", "investment fund vehicle"
    FUND_MANAGER = "fund_manager", "fund manager"
    INTERNATIONAL = "international", "international organization"
    PUBLISHER = "publisher", "publisher, think tank or news outlet"
    OTHER = "other", "other"


class InstrumentKind(models.TextChoices):
    PLAN = "plan", "plan or strategy"
    INVESTMENT_FUND = "investment_fund", "investment fund"
    SUBSIDY = "subsidy", "subsidy or voucher"
    COMPUTE_INFRASTRUCTURE = "compute_infrastructure", "compute infrastructure"
    STATE_LAB = "state_lab", "state-backed laboratory"
    PILOT_ZONE = "pilot_zone", "pilot zone"
    PILOT_ZONE_PROGRAMME = "pilot_zone_programme", "pilot-zone programme"
    TALENT = "talent", "talent programme"
    INDIGENISATION = "indigenisation", "domestic-substitution support"
    BAN = "ban", "procurement or use ban"
    EXPORT_CONTROL = "export_control", "export control"
    ENTITY_LISTING = "entity_listing", "entity listing"
    LEGISLATION = "legislation", "legislation"
    GUIDANCE = "guidance", "guidance or political directive"


class StackLayerCode(models.TextChoices):
    CHIPS = "chips", "chips"
    CHIP_EQUIPMENT = "chip_equipment", "chip-making equipment"
    COMPUTE = "compute", "compute and data centres"
    DATA = "data", "data"
    MODELS = "models", "models and frameworks"
    APPLICATIONS = "applications", "applications"
    TALENT = "talent", "talent"
    ENERGY = "energy", "energy"
    CAPITAL = "capital", "capital"


class InstrumentStatus(models.TextChoices):
    PROPOSED = "proposed", "proposed"
    ANNOUNCED = "announced", "announced"
    IN_FORCE = "in_force", "in force"
    SUSPENDED = "suspended", "suspended"
    EXPIRED = "expired", "expired"
    SUPERSEDED = "superseded", "superseded"
    RESCINDED = "rescinded", "rescinded"
    UNKNOWN = "unknown", "unknown"


class Confidence(models.TextChoices):
    CONFIRMED = "confirmed", "confirmed"
    REPORTED = "reported", "reported"
    DISPUTED = "disputed", "disputed"
    UNVERIFIED = "unverified", "unverified"


class SourceKind(models.TextChoices):
    REPORT = "report", "report"
    TRANSLATION = "translation", "translation"
    LAW = "law", "law or regulation"
    OFFICIAL_NOTICE = "official_notice", "official notice"
    PRESS_RELEASE = "press_release", "press release"
    NEWS = "news", "news article"
    FILING = "filing", "corporate filing"
    DATABASE = "database", "database or reference work"
    OTHER = "other", "other"


class FundRole(models.TextChoices):
    LIMITED_PARTNER = "limited_partner", "limited partner (backer)"
    SHAREHOLDER = "shareholder", "shareholder (backer)"
    SPONSOR = "sponsor", "sponsor"
    MANAGER = "manager", "manager"
    GENERAL_PARTNER = "general_partner", "general partner"


class ExportControlForm(models.TextChoices):
    INTERIM_FINAL_RULE = "interim_final_rule", "interim final rule"
    FINAL_RULE = "final_rule", "final rule"
    GUIDANCE = "guidance", "guidance or clarification"
    LICENCE_REQUIREMENT = "licence_requirement", "licence requirement told to a company"
    RESCISSION = "rescission", "rescission"


class BanScope(models.TextChoices):
    """What a ban covers; a ban covers one or several (NASA: data, devices and networks)."""

    GOVERNMENT_DEVICES = "government_devices", "government devices"
    GOVERNMENT_NETWORKS = "government_networks", "government networks"
    GOVERNMENT_DATA = "government_data", "government data"
    PERSONNEL_ANY_USE = "personnel_any_use", "any use by personnel"
    STATE_AGENCIES = "state_agencies", "state or government agencies"
    SCHOOLS = "schools", "public schools and universities"
    PUBLIC_SECTOR = "public_sector", "the whole public sector"
    NATIONWIDE = "nationwide", "the whole country"


class EventKind(models.TextChoices):
    """A step in a measure's life; the measure's status and lifecycle dates follow from them."""

    INTRODUCED = "introduced", "introduced (a bill)"
    ANNOUNCED = "announced", "announced or issued"
    TOOK_EFFECT = "took_effect", "took effect"
    AMENDED = "amended", "amended or extended"
    SUSPENDED = "suspended", "suspended"
    RESUMED = "resumed", "resumed"
    EXPIRED = "expired", "expired"
    SUPERSEDED = "superseded", "superseded"
    RESCINDED = "rescinded", "rescinded"


class DateKind(models.TextChoices):
    """How a source gives a date."""

    EXACT = "exact", "exact (to the day, month or year)"
    APPROXIMATE = "approximate", "approximate (about …)"
    RANGE = "range", "a range (between … and …)"
    REPORTED = "reported", "unknown, only reported on a date"
    UNKNOWN = "unknown", "unknown"


class ProductKind(models.TextChoices):
    CHIP = "chip", "chip or accelerator"
    CHIP_EQUIPMENT = "chip_equipment", "chip-making equipment"
    MODEL = "model", "AI model"
    FRAMEWORK = "framework", "software framework or platform"
    APP = "app", "app or online service"


class IssuerRole(models.TextChoices):
    LEAD = "lead", "lead issuer"
    CO_ISSUER = "co_issuer", "co-issuer"


class SubjectRole(models.TextChoices):
    """How a jurisdiction or organization stands in a quantitative claim."""

    SUBJECT = "subject", "subject (what the figure is about)"
    COMPARED = "compared", "compared with"
    PARTNER = "partner", "partner"
    INVESTOR = "investor", "investor"


class CitationRole(models.TextChoices):
    SUPPORT = "support", "supports the record"
    CONTEXT = "context", "context only (a general passage)"


class BanLegalForm(models.TextChoices):
    EXECUTIVE_ORDER = "executive_order", "executive order"
    MEMO = "memo", "memorandum"
    DIRECTIVE = "directive", "directive"
    NOTICE = "notice", "notice or email to staff"
    NETWORK_BLOCK = "network_block", "technical network block"
    BILL = "bill", "bill (not enacted)"
    STATUTE = "statute", "statute"
    REGULATORY_ORDER = "regulatory_order", "order of a regulator"


class IndicatorKind(models.TextChoices):
    TARGET = "target", "target (a goal)"
    ESTIMATE = "estimate", "estimate"
    OBSERVATION = "observation", "observed value"
    PROJECTION = "projection", "projection"
    COMMITMENT = "commitment", "announced commitment"


class IndicatorUnit(models.TextChoices):
    CURRENCY = "currency", "amount of money"
    PERCENT = "percent", "per cent"
    MULTIPLE = "multiple", "multiple (times)"
    COUNT = "count", "count"
    MONTHS = "months", "months"


DEFINITIONS = {
    InstrumentKind: {
        "plan": "A plan, strategy or programme document setting goals and tasks.",
        "investment_fund": "A state-created or state-backed fund that invests in companies or projects.",
        "subsidy": "A direct payment, voucher or tax relief for a cost such as compute rental.",
        "compute_infrastructure": "State building or pooling of compute capacity and data centres.",
        "state_lab": "A laboratory founded or funded by a government.",
        "pilot_zone": "One designated zone where a policy is tried out before wider use.",
        "pilot_zone_programme": "A national programme under which pilot zones are designated.",
        "talent": "A measure to educate, attract or keep skilled people.",
        "indigenisation": "Support for domestic substitutes of foreign chips, software or frameworks.",
        "ban": "A prohibition on buying or using a product or company's services.",
        "export_control": "A rule restricting the export of goods, software or technology.",
        "entity_listing": "The listing of named entities for export restrictions.",
        "legislation": "A bill or statute of a legislature.",
        "guidance": "A political directive, meeting outcome or guidance without binding rules.",
    },
    StackLayerCode: {
        "chips": "AI accelerators and other semiconductors used for AI.",
        "chip_equipment": "Tools, materials and software used to make semiconductors.",
        "compute": "Data centres, compute clusters, networks pooling compute.",
        "data": "Data sets, data markets and data governance.",
        "models": "Foundation models, training and inference frameworks and software stacks.",
        "applications": "Uses of AI in products, services and industries.",
        "talent": "People: researchers, engineers, education.",
        "energy": "Electricity generation and grids feeding compute.",
        "capital": "Money: investment, credit, subsidies.",
    },
    Confidence: {
        "confirmed": "Stated by the issuing body or a primary document.",
        "reported": "Reported by a credible secondary source, not confirmed at the origin.",
        "disputed": "Contradicted by another citation of equal weight.",
        "unverified": "No source could be found that supports it.",
    },
}


class EditorialState(models.TextChoices):
    """Where a record stands in review; separate from a measure's legal ``status``."""

    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    PUBLISHED = "published", "published"


class ChangeVia(models.TextChoices):
    ADMIN = "admin", "admin"
    API = "api", "API"
    FIXTURES = "fixtures", "fixture files"
    COMMAND = "command", "command or shell"
    MIGRATION = "migration", "migration"


class ChangeKind(models.TextChoices):
    EDIT = "edit", "edit"
    DELETE = "delete", "deletion"
    RESTORE = "restore", "restore of an earlier version"
    UNDELETE = "undelete", "undo of a deletion"
    REVIEW = "review", "review step"
