"""Regional community calls: series and slots, planned calls and hosts, agenda and recaps."""

from services.calls.agenda import AgendaService
from services.calls.plan import CallPlanner, CallSessions
from services.calls.schedule import (
    CADENCES,
    MAX_SLOTS,
    MIN_ZONES,
    MODES,
    WEEKDAYS,
    Occurrence,
    Suggestion,
    format_offset,
)
from services.calls.service import CallsService, SeriesView

__all__ = [
    "CADENCES",
    "MAX_SLOTS",
    "MIN_ZONES",
    "MODES",
    "WEEKDAYS",
    "AgendaService",
    "CallPlanner",
    "CallSessions",
    "CallsService",
    "Occurrence",
    "SeriesView",
    "Suggestion",
    "format_offset",
]
