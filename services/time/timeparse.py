"""Read the times people type ("friday 5pm", "in 2 hours") into aware UTC instants.

Everything that depends on "now" takes it as a parameter so tests can pin the clock.
Wall-clock input is read in the caller's zone (the user's or the guild's).

DST: a wall time that does not exist (the hour skipped in spring) is rejected with
a suggestion, because silently moving it would schedule something nobody asked
for. A wall time that happens twice (the hour repeated in autumn) resolves to the
first occurrence (fold=0): it is the earlier instant, so nothing fires later than
the user expects, and it matches what APScheduler's CalendarIntervalTrigger does
for recurring sessions.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

from services.errors import InvalidInput
from services.plural import plural
from services.text import strip_invisible
from services.time.timefmt import discord_timestamp

MAX_INPUT = 100

EXAMPLES = "`2026-12-01 17:00`, `tomorrow 9am`, `friday 17:00`, `dec 1 5:30pm` or `in 2 hours`"


_WEEKDAYS: dict[str, int] = {}
for _index, _name in enumerate(calendar.day_name):
    _low = _name.lower()
    for _alias in {_low, _low[:3], _low[:4]}:
        _WEEKDAYS[_alias] = _index
_WEEKDAYS.update({"tues": 1, "thur": 3, "thurs": 3})

_MONTHS: dict[str, int] = {}
for _index, _name in enumerate(calendar.month_name):
    if _index:
        _MONTHS[_name.lower()] = _index
        _MONTHS[_name.lower()[:3]] = _index
_MONTHS["sept"] = 9

_UNITS: dict[str, str] = {}
for _unit, _aliases in {
    "minutes": ("m", "min", "mins", "minute", "minutes"),
    "hours": ("h", "hr", "hrs", "hour", "hours"),
    "days": ("d", "day", "days"),
    "weeks": ("w", "wk", "wks", "week", "weeks"),
}.items():
    for _alias in _aliases:
        _UNITS[_alias] = _unit

_FILLER = frozenset({"at", "on", "the", "of", "@"})

_TIME_24 = re.compile(r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?")
_TIME_12 = re.compile(r"(?P<h>\d{1,2})(?::(?P<m>\d{2}))?(?P<ampm>am|pm)")
_ISO_DATE = re.compile(r"(?P<y>\d{4})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})")
# 12/01, 01.12, 12-01-2026: month-first or day-first depends on who is typing.
_AMBIGUOUS_DATE = re.compile(r"\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?")
_DAY = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?")
_YEAR = re.compile(r"\d{4}")
_RELATIVE_PART = re.compile(r"\s*(?:and\s+)?(?P<n>\d+(?:\.\d+)?|an?)\s*(?P<unit>[a-z]+)")


def _hint(zone: ZoneInfo) -> str:
    return f"Try {EXAMPLES} (times are read in {zone.key})."


def _echo(text: str) -> str:
    """User text safe to put inside a code span in our reply."""
    shown = text.replace("`", "'")
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _clean(text: str) -> str:
    # NFKC folds full-width digits/colons and non-breaking spaces from mobile keyboards.
    text = strip_invisible(text)
    return " ".join(text.split())


def _normalise(text: str) -> str:
    text = text.lower().replace(",", " ")
    text = re.sub(r"(?<=[\d\s])([ap])\.m\.?", r"\1m", text)  # 5 p.m. -> 5 pm
    text = re.sub(r"(\d{4}-\d{1,2}-\d{1,2})t(?=\d)", r"\1 ", text)  # ISO 8601 "T"
    text = re.sub(r"(\d)\s+(am|pm)\b", r"\1\2", text)  # 5 pm -> 5pm, one token
    text = re.sub(r"(\d)z$", r"\1 z", text)  # 2026-12-01T17:00Z
    return " ".join(text.split())


@dataclass(frozen=True)
class _Context:
    original: str
    now: datetime
    zone: ZoneInfo
    max_ahead: timedelta

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def unreadable(self, extra: str = "") -> InvalidInput:
        return InvalidInput(
            f"I couldn't read `{_echo(self.original)}` as a time.{extra} {_hint(self.zone)}"
        )


def parse_when(
    text: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    max_ahead: timedelta = timedelta(days=366),
) -> datetime:
    """Parse user input into an aware UTC datetime strictly after ``now``."""
    if now.tzinfo is None:
        raise ValueError("parse_when needs an aware `now`")
    cleaned = _clean(text)
    if not cleaned:
        raise InvalidInput(f"Please say when. {_hint(zone)}")
    if len(cleaned) > MAX_INPUT:
        raise InvalidInput(
            f"That's too long for a time (max {MAX_INPUT} characters). {_hint(zone)}"
        )
    ctx = _Context(cleaned, now.astimezone(UTC), zone, max_ahead)
    normal = _normalise(cleaned)

    if normal in {"now", "right now", "asap"}:
        raise InvalidInput(
            "I need a moment in the future rather than `now`: try `in 5 minutes`, "
            f"`today 17:00` or `tomorrow 9am` (times are read in {zone.key})."
        )
    if normal.startswith("in "):
        when = _parse_relative(normal[3:], ctx)
    else:
        when = _parse_absolute(normal, ctx)
    return _check_range(when, ctx)


def _parse_relative(text: str, ctx: _Context) -> datetime:
    fields = {"minutes": 0.0, "hours": 0.0, "days": 0.0, "weeks": 0.0}
    pos = 0
    while pos < len(text):
        match = _RELATIVE_PART.match(text, pos)
        if match is None or match.group("unit") not in _UNITS:
            raise ctx.unreadable(" Relative times look like `in 2 hours`, `in 45m` or `in 1h30m`.")
        number = match.group("n")
        fields[_UNITS[match.group("unit")]] += 1.0 if number in {"a", "an"} else float(number)
        pos = match.end()
    try:
        delta = timedelta(**fields)
    except OverflowError:
        delta = timedelta.max
    if delta < timedelta(minutes=1):
        raise InvalidInput(f"That's less than a minute from now. {_hint(ctx.zone)}")
    if delta > ctx.max_ahead:
        raise _too_far(ctx)
    # Whole minutes: "in 2 hours" at 12:00:37 means 14:00, and sessions are minute-grained.
    return (ctx.now + delta).replace(second=0, microsecond=0)


def _parse_time(token: str) -> time | None:
    """A time-of-day token, or None if the token isn't shaped like one."""
    if token == "noon":
        return time(12, 0)
    if match := _TIME_24.fullmatch(token):
        hour, minute = int(match["h"]), int(match["m"])
        second = int(match["s"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise InvalidInput(
                f"`{_echo(token)}` isn't a time of day: use 00:00–23:59, or 12-hour times "
                "like `5pm` or `9:30am`."
            )
        return time(hour, minute, second)
    if match := _TIME_12.fullmatch(token):
        hour, minute = int(match["h"]), int(match["m"] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise InvalidInput(
                f"`{_echo(token)}` isn't a time of day: 12-hour times go from `12am` to "
                "`11:59pm`; for 24-hour times write `17:00`."
            )
        hour %= 12
        if match["ampm"] == "pm":
            hour += 12
        return time(hour, minute)
    return None


def _parse_absolute(text: str, ctx: _Context) -> datetime:
    tokens = [token for token in text.split() if token not in _FILLER]
    force_utc = bool(tokens) and tokens[-1] in {"utc", "z", "gmt"}
    if force_utc:
        tokens = tokens[:-1]
    zone = ZoneInfo("UTC") if force_utc else ctx.zone

    times = [(i, t) for i, token in enumerate(tokens) if (t := _parse_time(token)) is not None]
    if len(times) != 1 or times[0][0] not in {0, len(tokens) - 1}:
        _raise_without_time(tokens, ctx)
    index, wall = times[0]
    date_tokens = tokens[:index] + tokens[index + 1 :]

    if not date_tokens:
        # A bare time means its next occurrence: later today, or else tomorrow.
        when = _localise(ctx.today, wall, zone, ctx)
        if when <= ctx.now:
            when = _localise(ctx.today + timedelta(days=1), wall, zone, ctx)
        return when

    day = _parse_date(date_tokens, ctx)
    if isinstance(day, date):
        return _localise(day, wall, zone, ctx)
    # A weekday: the next such day, which may be today if the time is still ahead.
    weekday, strictly_next = day
    ahead = (weekday - ctx.today.weekday()) % 7
    if ahead == 0 and strictly_next:
        ahead = 7
    when = _localise(ctx.today + timedelta(days=ahead), wall, zone, ctx)
    if when <= ctx.now:
        when = _localise(ctx.today + timedelta(days=ahead + 7), wall, zone, ctx)
    return when


def _raise_without_time(tokens: list[str], ctx: _Context) -> NoReturn:
    if not tokens:
        raise ctx.unreadable()
    last, rest = tokens[-1], tokens[:-1]
    if last.isdigit() and len(last) <= 2 and (not rest or _reads_as_date(rest, ctx)):
        raise ctx.unreadable(
            f" Is `{last}` in the morning or the evening? Add `am`/`pm` or use "
            "24-hour time like `09:00`."
        )
    # A readable date without a time gets a specific hint; an unreadable one raises here.
    _parse_date(tokens, ctx)
    raise InvalidInput(
        "Please add a time of day too, e.g. `friday 9am`, `tomorrow 17:00` or "
        f"`2026-12-01 5pm` (times are read in {ctx.zone.key})."
    )


def _reads_as_date(tokens: list[str], ctx: _Context) -> bool:
    try:
        _parse_date(tokens, ctx)
    except InvalidInput:
        return False
    return True


def _parse_date(tokens: list[str], ctx: _Context) -> date | tuple[int, bool]:
    """A calendar date, or (weekday, strictly_next) for weekday names."""
    if tokens == ["today"]:
        return ctx.today
    if tokens in (["tomorrow"], ["tmrw"], ["tmr"]):
        return ctx.today + timedelta(days=1)
    if len(tokens) == 1 and tokens[0] in _WEEKDAYS:
        return _WEEKDAYS[tokens[0]], False
    if len(tokens) == 2 and tokens[0] in {"this", "next"} and tokens[1] in _WEEKDAYS:
        # "next friday" never means today; otherwise it is the coming Friday, as plain
        # "friday" is. "The Friday of next week" is the other reading, but it depends
        # on where the week starts for the speaker, which we can't know.
        return _WEEKDAYS[tokens[1]], tokens[0] == "next"
    if len(tokens) == 1 and (match := _ISO_DATE.fullmatch(tokens[0])):
        return _make_date(int(match["y"]), int(match["m"]), int(match["d"]), tokens[0])
    if len(tokens) == 1 and _AMBIGUOUS_DATE.fullmatch(tokens[0]):
        raise InvalidInput(
            f"`{_echo(tokens[0])}` could be read day-first or month-first. Write the date as "
            "YYYY-MM-DD, e.g. `2026-12-01 17:00`, or with the month's name, e.g. "
            "`dec 1 17:00` or `1 dec 5pm`."
        )
    return _parse_month_day(tokens, ctx)


def _parse_month_day(tokens: list[str], ctx: _Context) -> date:
    year: int | None = None
    if len(tokens) == 3 and _YEAR.fullmatch(tokens[2]):
        year = int(tokens[2])
        tokens = tokens[:2]
    if len(tokens) != 2:
        raise ctx.unreadable()
    first, second = tokens
    if first in _MONTHS and (match := _DAY.fullmatch(second)):
        month, day = _MONTHS[first], int(match["d"])
    elif second in _MONTHS and (match := _DAY.fullmatch(first)):
        month, day = _MONTHS[second], int(match["d"])
    else:
        raise ctx.unreadable()
    label = f"{calendar.month_name[month]} {day}"
    if year is not None:
        return _make_date(year, month, day, label)
    # Without a year: this year's date, unless that day is already behind us. Today
    # with a time already past stays today so the user gets "already passed" rather
    # than a date 12 months away.
    today = ctx.today
    year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
    return _make_date(year, month, day, label)


def _make_date(year: int, month: int, day: int, label: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            f"`{_echo(label)}` isn't a real date in {year}. Try e.g. `2026-12-01 17:00` or "
            "`dec 1 5pm`."
        ) from None


def _localise(day: date, wall: time, zone: ZoneInfo, ctx: _Context) -> datetime:
    """The UTC instant of a local wall time, refusing wall times DST skips."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0)
    as_utc = first.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) != naive:
        later = naive + timedelta(hours=1)
        raise InvalidInput(
            f"{naive:%Y-%m-%d %H:%M} doesn't exist in {zone.key}: the clocks jump forward "
            f"that night. Try `{later:%Y-%m-%d %H:%M}` instead."
        )
    # For a repeated (autumn) wall time fold=0 is the first of the two; see module doc.
    return as_utc


def _too_far(ctx: _Context) -> InvalidInput:
    limit = ctx.now + ctx.max_ahead
    span = ctx.max_ahead
    amount = (
        f"{span.days} days"
        if span >= timedelta(days=2)
        else plural(span // timedelta(hours=1), "hour")
    )
    return InvalidInput(
        f"That's too far ahead: I can schedule up to {amount} out (until "
        f"{discord_timestamp(limit, 'D')}). {_hint(ctx.zone)}"
    )


def _check_range(when: datetime, ctx: _Context) -> datetime:
    if when <= ctx.now:
        raise InvalidInput(
            f"That time has already passed (it was {discord_timestamp(when, 'R')}). "
            f"{_hint(ctx.zone)}"
        )
    if when - ctx.now > ctx.max_ahead:
        raise _too_far(ctx)
    return when
