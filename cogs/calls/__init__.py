"""/calls: regional community call series."""

from cogs.calls.commands import CallsCog

__all__ = ["CallsCog"]
