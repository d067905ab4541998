"""Free hours as members type them ("18-21 weekdays", "9-17 mon-fri; 10-12 sat").

A member's hours are read in their own zone and turned into the hours of one week
in UTC (168 slots from a given start), so two members' overlap is a plain AND of
their slots whatever their zones; DST is handled because each slot is converted on
its own.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.errors import InvalidInput
from services.text import strip_invisible

WEEK_SLOTS = 168
MAX_FREE_HOURS_TEXT = 100

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = {
    "weekdays": frozenset(range(5)),
    "weekday": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "weekend": frozenset({5, 6}),
    "daily": frozenset(range(7)),
    "everyday": frozenset(range(7)),
}
_RANGE = re.compile(
    r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s*(?:-|–|to)\s*(\d{1,2})(?::(\d{2}))?\s*(am|pm)?(.*)$"
)
EXAMPLE = "`18-21 weekdays`, `9-17 mon-fri` or `9-12 sat; 19-22 mon-thu`"


@dataclass(frozen=True)
class FreeWindow:
    """Local minutes [start, end) on the given weekdays; end may pass midnight."""

    days: frozenset[int]
    start: int
    end: int


def _echo(text: str) -> str:
    shown = text.replace("`", "'")
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _bad(text: str, why: str) -> InvalidInput:
    return InvalidInput(f"I couldn't read the free hours `{_echo(text)}`: {why}. Try {EXAMPLE}.")


def _minutes(hour: str, minute: str | None, suffix: str | None, text: str) -> int:
    h, m = int(hour), int(minute or 0)
    if suffix:
        if not 1 <= h <= 12:
            raise _bad(text, f"{h}{suffix} isn't a time")
        h = h % 12 + (12 if suffix == "pm" else 0)
    if h > 24 or m > 59 or (h == 24 and m):
        raise _bad(text, f"{hour}:{minute or '00'} isn't a time of day")
    return h * 60 + m


def _day(token: str, text: str) -> int:
    key = token[:3]
    if len(token) < 3 or key not in _DAYS:
        raise _bad(text, f"`{_echo(token)}` isn't a day")
    return _DAYS.index(key)


def _parse_days(words: str, text: str) -> frozenset[int]:
    words = words.strip().replace("every day", "daily")
    if not words:
        return frozenset(range(7))
    days: set[int] = set()
    for token in re.split(r"[\s/&+]+|\band\b", words):
        token = token.strip()
        if not token:
            continue
        if token in _DAY_WORDS:
            days |= _DAY_WORDS[token]
        elif "-" in token or "–" in token:
            first, _, last = token.replace("–", "-").partition("-")
            a, b = _day(first, text), _day(last, text)
            days |= {(a + i) % 7 for i in range((b - a) % 7 + 1)}
        else:
            days.add(_day(token, text))
    return frozenset(days)


def parse_free_hours(text: str) -> tuple[FreeWindow, ...]:
    """Parse free hours; an empty text means "not given". Raises InvalidInput."""
    cleaned = strip_invisible(text).strip().lower()
    if not cleaned:
        return ()
    if len(cleaned) > MAX_FREE_HOURS_TEXT:
        raise _bad(text, f"keep it under {MAX_FREE_HOURS_TEXT} characters")
    windows: list[FreeWindow] = []
    for part in re.split(r"[;,\n]", cleaned):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.match(part)
        if match is None:
            if windows and not re.search(r"\d", part):
                # "9-17 mon, wed": a day list continued after a comma.
                extra = _parse_days(part, text)
                last = windows[-1]
                windows[-1] = FreeWindow(last.days | extra, last.start, last.end)
                continue
            raise _bad(text, f"`{_echo(part)}` has no hours like 18-21")
        h1, m1, s1, h2, m2, s2, rest = match.groups()
        start = _minutes(h1, m1, s1 or s2, text)
        end = _minutes(h2, m2, s2, text)
        if start == end:
            raise _bad(text, "a range needs a start and a different end")
        if end < start:
            end += 24 * 60  # overnight: 22-2
        windows.append(FreeWindow(_parse_days(rest, text), start, end))
    if not windows:
        raise _bad(text, "there are no hours in it")
    return tuple(windows)


def _is_free(windows: tuple[FreeWindow, ...], local: datetime) -> bool:
    """Is the hour starting at ``local`` wholly inside a free window?"""
    minute = local.hour * 60 + local.minute
    day = local.weekday()
    for w in windows:
        # The hour counts if it fits in the window starting today or yesterday (overnight).
        if day in w.days and w.start <= minute and minute + 60 <= w.end:
            return True
        if (day - 1) % 7 in w.days and w.start <= minute + 1440 and minute + 1500 <= w.end:
            return True
    return False


def week_start(at: datetime) -> datetime:
    """The UTC hour a round's week of slots starts at."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@functools.lru_cache(maxsize=4096)
def free_slots(text: str, zone_name: str, start: datetime) -> tuple[int, ...]:
    """Indexes (0..167) of the UTC hours from ``start`` in which the member is free.

    Cached: most members type one of a few patterns, and a 5,000-member pool
    should not convert 840,000 instants.
    """
    windows = parse_free_hours(text)
    if not windows:
        return ()
    zone = ZoneInfo(zone_name)
    return tuple(
        h
        for h in range(WEEK_SLOTS)
        if _is_free(windows, (start + timedelta(hours=h)).astimezone(zone))
    )
