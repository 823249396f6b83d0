"""The tracker's controlled vocabularies.

Each value carries a one-line definition in ``DEFINITIONS`` so that the admin help
texts and ``docs/data-model.md`` say the same thing.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DatePrecision(models.TextChoices):
    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class JurisdictionLevel(models.TextChoices):
    SUPRANATIONAL = "supranational", _("supranational body")
    COUNTRY = "country", _("country or territory")
    STATE = "state", _("state, province or province-level municipality")
    CITY = "city", _("city")
    DISTRICT = "district", _("district, county or new area")


# Order from the widest to the narrowest, used to refuse a parent narrower than its child.
JURISDICTION_LEVEL_RANK = {level: rank for rank, level in enumerate(JurisdictionLevel.values)}


class OrganizationKind(models.TextChoices):
    GOVERNMENT_BODY = "government_body", _("government body or agency")
    LEGISLATURE = "legislature", _("legislature or one of its offices")
    HEAD_OF_GOVERNMENT = "executive_office", _("executive office (governor, president)")
    PARTY_ORGAN = "party_organ", _("party organ")
    COMPANY = "company", _("private company")
    STATE_OWNED_ENTERPRISE = "soe", _("state-owned enterprise")
    LAB = "lab", _("research laboratory")
    UNIVERSITY = "university", _("university")
    FUND = "fund", _("investment fund vehicle")
    FUND_MANAGER = "fund_manager", _("fund manager")
    INTERNATIONAL = "international", _("international organization")
    PUBLISHER = "publisher", _("publisher, think tank or news outlet")
    OTHER = "other", _("other")


class InstrumentKind(models.TextChoices):
    PLAN = "plan", _("plan or strategy")
    INVESTMENT_FUND = "investment_fund", _("investment fund")
    SUBSIDY = "subsidy", _("subsidy or voucher")
    COMPUTE_INFRASTRUCTURE = "compute_infrastructure", _("compute infrastructure")
    STATE_LAB = "state_lab", _("state-backed laboratory")
    PILOT_ZONE = "pilot_zone", _("pilot zone")
    PILOT_ZONE_PROGRAMME = "pilot_zone_programme", _("pilot-zone programme")
    TALENT = "talent", _("talent programme")
    INDIGENISATION = "indigenisation", _("domestic-substitution support")
    BAN = "ban", _("procurement or use ban")
    EXPORT_CONTROL = "export_control", _("export control")
    ENTITY_LISTING = "entity_listing", _("entity listing")
    LEGISLATION = "legislation", _("legislation")
    GUIDANCE = "guidance", _("guidance or political directive")


class StackLayerCode(models.TextChoices):
    CHIPS = "chips", _("chips")
    CHIP_EQUIPMENT = "chip_equipment", _("chip-making equipment")
    COMPUTE = "compute", _("compute and data centres")
    DATA = "data", _("data")
    MODELS = "models", _("models and frameworks")
    APPLICATIONS = "applications", _("applications")
    TALENT = "talent", _("talent")
    ENERGY = "energy", _("energy")
    CAPITAL = "capital", _("capital")


class InstrumentStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    ANNOUNCED = "announced", _("announced")
    IN_FORCE = "in_force", _("in force")
    SUSPENDED = "suspended", _("suspended")
    EXPIRED = "expired", _("expired")
    SUPERSEDED = "superseded", _("superseded")
    RESCINDED = "rescinded", _("rescinded")
    UNKNOWN = "unknown", _("unknown")


class Confidence(models.TextChoices):
    CONFIRMED = "confirmed", _("confirmed")
    REPORTED = "reported", _("reported")
    DISPUTED = "disputed", _("disputed")
    UNVERIFIED = "unverified", _("unverified")


class SourceKind(models.TextChoices):
    REPORT = "report", _("report")
    TRANSLATION = "translation", _("translation")
    LAW = "law", _("law or regulation")
    OFFICIAL_NOTICE = "official_notice", _("official notice")
    PRESS_RELEASE = "press_release", _("press release")
    NEWS = "news", _("news article")
    FILING = "filing", _("corporate filing")
    DATABASE = "database", _("database or reference work")
    OTHER = "other", _("other")


class FundRole(models.TextChoices):
    LIMITED_PARTNER = "limited_partner", _("limited partner (backer)")
    SHAREHOLDER = "shareholder", _("shareholder (backer)")
    SPONSOR = "sponsor", _("sponsor")
    MANAGER = "manager", _("manager")
    GENERAL_PARTNER = "general_partner", _("general partner")


class ExportControlForm(models.TextChoices):
    INTERIM_FINAL_RULE = "interim_final_rule", _("interim final rule")
    FINAL_RULE = "final_rule", _("final rule")
    GUIDANCE = "guidance", _("guidance or clarification")
    LICENCE_REQUIREMENT = "licence_requirement", _("licence requirement told to a company")
    RESCISSION = "rescission", _("rescission")


class BanScope(models.TextChoices):
    """What a ban covers; a ban covers one or several (NASA: data, devices and networks)."""

    GOVERNMENT_DEVICES = "government_devices", _("government devices")
    GOVERNMENT_NETWORKS = "government_networks", _("government networks")
    GOVERNMENT_DATA = "government_data", _("government data")
    PERSONNEL_ANY_USE = "personnel_any_use", _("any use by personnel")
    STATE_AGENCIES = "state_agencies", _("state or government agencies")
    SCHOOLS = "schools", _("public schools and universities")
    PUBLIC_SECTOR = "public_sector", _("the whole public sector")
    NATIONWIDE = "nationwide", _("the whole country")


class EventKind(models.TextChoices):
    """A step in a measure's life; the measure's status and lifecycle dates follow from them."""

    INTRODUCED = "introduced", _("introduced (a bill)")
    ANNOUNCED = "announced", _("announced or issued")
    TOOK_EFFECT = "took_effect", _("took effect")
    AMENDED = "amended", _("amended or extended")
    SUSPENDED = "suspended", _("suspended")
    RESUMED = "resumed", _("resumed")
    EXPIRED = "expired", _("expired")
    SUPERSEDED = "superseded", _("superseded")
    RESCINDED = "rescinded", _("rescinded")


class DateKind(models.TextChoices):
    """How a source gives a date."""

    EXACT = "exact", _("exact (to the day, month or year)")
    APPROXIMATE = "approximate", _("approximate (about …)")
    RANGE = "range", _("a range (between … and …)")
    REPORTED = "reported", _("unknown, only reported on a date")
    UNKNOWN = "unknown", _("unknown")


class ProductKind(models.TextChoices):
    CHIP = "chip", _("chip or accelerator")
    CHIP_EQUIPMENT = "chip_equipment", _("chip-making equipment")
    MODEL = "model", _("AI model")
    FRAMEWORK = "framework", _("software framework or platform")
    APP = "app", _("app or online service")


class IssuerRole(models.TextChoices):
    LEAD = "lead", _("lead issuer")
    CO_ISSUER = "co_issuer", _("co-issuer")


class SubjectRole(models.TextChoices):
    """How a jurisdiction or organization stands in a quantitative claim."""

    SUBJECT = "subject", _("subject (what the figure is about)")
    COMPARED = "compared", _("compared with")
    PARTNER = "partner", _("partner")
    INVESTOR = "investor", _("investor")


class CitationRole(models.TextChoices):
    SUPPORT = "support", _("supports the record")
    CONTEXT = "context", _("context only (a general passage)")


class BanLegalForm(models.TextChoices):
    EXECUTIVE_ORDER = "executive_order", _("executive order")
    MEMO = "memo", _("memorandum")
    DIRECTIVE = "directive", _("directive")
    NOTICE = "notice", _("notice or email to staff")
    NETWORK_BLOCK = "network_block", _("technical network block")
    BILL = "bill", _("bill (not enacted)")
    STATUTE = "statute", _("statute")
    REGULATORY_ORDER = "regulatory_order", _("order of a regulator")


class IndicatorKind(models.TextChoices):
    TARGET = "target", _("target (a goal)")
    ESTIMATE = "estimate", _("estimate")
    OBSERVATION = "observation", _("observed value")
    PROJECTION = "projection", _("projection")
    COMMITMENT = "commitment", _("announced commitment")


class IndicatorUnit(models.TextChoices):
    CURRENCY = "currency", _("amount of money")
    PERCENT = "percent", _("per cent")
    MULTIPLE = "multiple", _("multiple (times)")
    COUNT = "count", _("count")
    MONTHS = "months", _("months")


DEFINITIONS = {
    InstrumentKind: {
        "plan": _("A plan, strategy or programme document setting goals and tasks."),
        "investment_fund": _("A state-created or state-backed fund that invests in companies or projects."),
        "subsidy": _("A direct payment, voucher or tax relief for a cost such as compute rental."),
        "compute_infrastructure": _("State building or pooling of compute capacity and data centres."),
        "state_lab": _("A laboratory founded or funded by a government."),
        "pilot_zone": _("One designated zone where a policy is tried out before wider use."),
        "pilot_zone_programme": _("A national programme under which pilot zones are designated."),
        "talent": _("A measure to educate, attract or keep skilled people."),
        "indigenisation": _("Support for domestic substitutes of foreign chips, software or frameworks."),
        "ban": _("A prohibition on buying or using a product or company's services."),
        "export_control": _("A rule restricting the export of goods, software or technology."),
        "entity_listing": _("The listing of named entities for export restrictions."),
        "legislation": _("A bill or statute of a legislature."),
        "guidance": _("A political directive, meeting outcome or guidance without binding rules."),
    },
    StackLayerCode: {
        "chips": _("AI accelerators and other semiconductors used for AI."),
        "chip_equipment": _("Tools, materials and software used to make semiconductors."),
        "compute": _("Data centres, compute clusters, networks pooling compute."),
        "data": _("Data sets, data markets and data governance."),
        "models": _("Foundation models, training and inference frameworks and software stacks."),
        "applications": _("Uses of AI in products, services and industries."),
        "talent": _("People: researchers, engineers, education."),
        "energy": _("Electricity generation and grids feeding compute."),
        "capital": _("Money: investment, credit, subsidies."),
    },
    Confidence: {
        "confirmed": _("Stated by the issuing body or a primary document."),
        "reported": _("Reported by a credible secondary source, not confirmed at the origin."),
        "disputed": _("Contradicted by another citation of equal weight."),
        "unverified": _("No source could be found that supports it."),
    },
}


class EditorialState(models.TextChoices):
    """Where a record stands in review; separate from a measure's legal ``status``."""

    DRAFT = "draft", _("draft")
    IN_REVIEW = "in_review", _("in review")
    PUBLISHED = "published", _("published")


class ChangeVia(models.TextChoices):
    ADMIN = "admin", _("admin")
    API = "api", _("API")
    FIXTURES = "fixtures", _("fixture files")
    COMMAND = "command", _("command or shell")
    MIGRATION = "migration", _("migration")


class ChangeKind(models.TextChoices):
    EDIT = "edit", _("edit")
    DELETE = "delete", _("deletion")
    RESTORE = "restore", _("restore of an earlier version")
    UNDELETE = "undelete", _("undo of a deletion")
    REVIEW = "review", _("review step")
