"""Regional community calls' storage: series and slots, occurrences, hosts and the agenda."""

from storage.calls.occurrences import AgendaItem, Host, OccurrenceRepository, PlannedCall
from storage.calls.series import CallSeries, CallSlot, CallsRepository

__all__ = [
    "AgendaItem",
    "CallSeries",
    "CallSlot",
    "CallsRepository",
    "Host",
    "OccurrenceRepository",
    "PlannedCall",
]
