"""Time shared by every feature: the injected clock, parsing, zones, recurrence, display, alarm."""
