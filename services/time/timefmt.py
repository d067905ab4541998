"""Discord timestamp markup.

Discord renders ``<t:UNIX:style>`` in each reader's own time zone and locale, so
the bot never has to guess who is reading: we only ever emit instants, never
pre-formatted local times.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

# t/T: short/long time, d/D: short/long date, f/F: short/long date+time, R: relative.
STYLES = frozenset("tTdDfFR")


def discord_timestamp(dt: datetime, style: str = "F") -> str:
    """Return ``<t:UNIX:style>`` for an aware datetime."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        # A naive datetime would be silently read as the server's local time.
        raise ValueError("discord_timestamp needs an aware datetime")
    if style not in STYLES:
        raise ValueError(f"unknown Discord timestamp style {style!r}; use one of t,T,d,D,f,F,R")
    # floor, not int(): int() rounds pre-1970 instants towards zero, i.e. a second late.
    return f"<t:{math.floor(dt.timestamp())}:{style}>"


def both(dt: datetime) -> str:
    """Absolute and relative, e.g. ``<t:X:F> (<t:X:R>)``: what readers need to decide."""
    return f"{discord_timestamp(dt, 'F')} ({discord_timestamp(dt, 'R')})"


def span_text(length: timedelta | float) -> str:
    """A length of time as people say it: under a minute, 25 min, 1 h 30 min.

    The recap, the digest and /stats all use it, so one wait never reads
    "0 s" in one place and "under a minute" in another.
    """
    seconds = length.total_seconds() if isinstance(length, timedelta) else length
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
