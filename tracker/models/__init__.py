"""The tracker's schema, split by domain and re-exported here."""

from tracker.models.details import (
    DETAIL_MODELS,
    Ban,
    ExportControl,
    Fund,
    FundParticipant,
    Lab,
    PilotZone,
    Scope,
    Subsidy,
)
from tracker.models.geography import Jurisdiction
from tracker.models.history import ChangeSet, Tombstone
from tracker.models.indicators import Indicator, IndicatorCitation, IndicatorSubject
from tracker.models.instruments import (
    InstrumentCitation,
    InstrumentEvent,
    PolicyInstrument,
    StackLayer,
    StackLayerCitation,
)
from tracker.models.organizations import Organization, OrganizationAlias
from tracker.models.preferences import LanguagePreference
from tracker.models.products import Product
from tracker.models.sources import Source
from tracker.models.sync import SyncBase, SyncedFile

__all__ = [
    "record_models",
    "DETAIL_MODELS",
    "ChangeSet",
    "Tombstone",
    "Ban",
    "ExportControl",
    "Fund",
    "FundParticipant",
    "Indicator",
    "IndicatorCitation",
    "IndicatorSubject",
    "InstrumentCitation",
    "InstrumentEvent",
    "Jurisdiction",
    "LanguagePreference",
    "Lab",
    "Organization",
    "OrganizationAlias",
    "PilotZone",
    "Product",
    "Scope",
    "PolicyInstrument",
    "Source",
    "StackLayer",
    "StackLayerCitation",
    "Subsidy",
    "SyncBase",
    "SyncedFile",
]


def record_models():
    """The tracker's records (not their history, nor the journal), in dependency order."""
    from django.apps import apps

    from tracker.models.base import TimeStampedModel

    return [model for model in apps.get_app_config("tracker").get_models() if issubclass(model, TimeStampedModel)]
