"""The tracker's schema, split by domain and re-exported here."""

from tracker.models.details import Ban, ExportControl, Fund, FundParticipant, Lab, PilotZone
from tracker.models.geography import Jurisdiction
from tracker.models.indicators import Indicator, IndicatorCitation
from tracker.models.instruments import InstrumentCitation, PolicyInstrument, StackLayer
from tracker.models.organizations import Organization, OrganizationAlias
from tracker.models.sources import Source

__all__ = [
    "Ban",
    "ExportControl",
    "Fund",
    "FundParticipant",
    "Indicator",
    "IndicatorCitation",
    "InstrumentCitation",
    "Jurisdiction",
    "Lab",
    "Organization",
    "OrganizationAlias",
    "PilotZone",
    "PolicyInstrument",
    "Source",
    "StackLayer",
]
