"""Working hours as pure arithmetic: reading what advocates type, and when they are next in.

Hours are a set of weekdays and a wall-clock span in the advocate's IANA zone, so
"09:00-17:00 Europe/Berlin" stays 09:00 across daylight saving changes. A span never
crosses midnight (start must be before end).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.errors import InvalidInput

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        full: i
        for i, full in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
DAYS_HINT = "Write days like `mon-fri`, `mon,wed,fri` or `mon-thu,sat`."
TIME_HINT = "Write times like `09:00`, `17:30` or `9am`."
# Far enough to find the next working window after the longest time off we accept.
SEARCH_LIMIT = 400


@dataclass(frozen=True)
class Hours:
    days: tuple[int, ...]
    start_minute: int
    end_minute: int
    zone: ZoneInfo


@dataclass(frozen=True)
class Span:
    starts_at: datetime
    ends_at: datetime


def parse_days(text: str) -> tuple[int, ...]:
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise InvalidInput(f"Please say which days you work. {DAYS_HINT}")
    days: set[int] = set()
    for part in cleaned.split(","):
        ends = part.split("-")
        if len(ends) > 2 or not all(e in _DAY_ALIASES for e in ends):
            raise InvalidInput(f"I couldn't read `{part[:30]}` as days. {DAYS_HINT}")
        first, last = _DAY_ALIASES[ends[0]], _DAY_ALIASES[ends[-1]]
        # A range may wrap the week ("fri-mon").
        day = first
        while True:
            days.add(day)
            if day == last:
                break
            day = (day + 1) % 7
    return tuple(sorted(days))


def parse_minute(text: str, label: str) -> int:
    """Minutes after midnight from `09:00`, `9am`, `17:30`; `24:00` is the day's end."""
    match = _TIME.match(text.strip().lower())
    if match is None:
        raise InvalidInput(
            f"I couldn't read `{text.strip()[:30]}` as the {label} time. {TIME_HINT}"
        )
    hour, minute, ampm = int(match[1]), int(match[2] or 0), match[3]
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidInput(f"`{text.strip()}` isn't a time on a 12-hour clock. {TIME_HINT}")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        raise InvalidInput(f"`{text.strip()[:30]}` isn't a time of day. {TIME_HINT}")
    return hour * 60 + minute


def days_text(days: Sequence[int]) -> str:
    """Mon–Fri, or Mon, Wed, Fri."""
    names = [DAY_NAMES[d].title() for d in days]
    if len(days) > 2 and list(days) == list(range(days[0], days[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names)


def minute_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    # The wall clock in the zone (24:00 is the next midnight); an hour skipped in spring
    # resolves with the offset before the change, i.e. to the first real instant after it.
    local = datetime.combine(day, time(0)) + timedelta(minutes=minute)
    return local.replace(tzinfo=zone).astimezone(UTC)


def windows(hours: Hours, after: datetime, days_ahead: int = 14) -> list[Span]:
    """Working windows that end after ``after``, in order, for ``days_ahead`` days."""
    local_day = after.astimezone(hours.zone).date() - timedelta(days=1)
    found: list[Span] = []
    for offset in range(days_ahead + 2):
        day = local_day + timedelta(days=offset)
        if day.weekday() not in hours.days:
            continue
        span = Span(
            _at(day, hours.start_minute, hours.zone), _at(day, hours.end_minute, hours.zone)
        )
        if span.ends_at > after:
            found.append(span)
    return found


def in_hours(hours: Hours | None, at: datetime) -> bool:
    if hours is None:
        return True
    return any(w.starts_at <= at < w.ends_at for w in windows(hours, at, days_ahead=1))


def away_at(away: Sequence[Span], at: datetime) -> Span | None:
    return next((a for a in away if a.starts_at <= at < a.ends_at), None)


def next_available(hours: Hours | None, away: Sequence[Span], now: datetime) -> datetime:
    """The first moment at or after ``now`` inside working hours and not on time off."""
    at = now
    for _ in range(SEARCH_LIMIT):
        off = away_at(away, at)
        if off is not None:
            at = off.ends_at
            continue
        if in_hours(hours, at):
            return at
        assert hours is not None
        upcoming = [w.starts_at for w in windows(hours, at) if w.starts_at > at]
        if not upcoming:
            break
        at = upcoming[0]
    # Only reachable with no working day at all, which parse_days can't produce.
    return at
