"""Repeat rules for sessions and announcements, computed with APScheduler's triggers.

A rule is stored as its ``spec`` string. Its occurrences are the anchor (the first
occurrence, which the user picked explicitly) followed by whatever the rule
produces strictly after the anchor. Wall-clock fields (hour, minute, weekday, day
of month) come from the anchor seen in the rule's zone, so "every Thursday at
17:00 Berlin" stays 17:00 in Berlin whatever UTC does.

DST behaviour, inherited from APScheduler and kept deliberately:

* A wall time the clocks skip (02:30 on the spring-forward night in Europe): cron
  based rules (daily, weekdays, weekly, monthly, cron:) fire at the instant that
  wall time maps to, i.e. an hour later on the clock; every-2-weeks skips that
  occurrence (CalendarIntervalTrigger discards nonexistent times).
* A wall time that happens twice (autumn): every rule fires once, at the first
  occurrence. CronTrigger would fire at both, so the second one is dropped here.

Monthly on the 29th-31st: APScheduler's ``day=31`` would silently skip short
months, so instead the rule fires on the last day of months that are too short
(the 31st becomes "the last day of every month"; the 29th/30th fire on Feb 28/29).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, cast
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from services.errors import InvalidInput
from services.plural import plural
from services.text import strip_invisible

RepeatKind = Literal["none", "daily", "weekdays", "weekly", "every-2-weeks", "monthly", "cron"]

_SIMPLE_KINDS: Final = ("none", "daily", "weekdays", "weekly", "every-2-weeks", "monthly")
_ALIASES: Final = {
    "never": "none",
    "once": "none",
    "no": "none",
    "every-day": "daily",
    "weekday": "weekdays",
    "every-week": "weekly",
    "biweekly": "every-2-weeks",
    "fortnightly": "every-2-weeks",
    "every-other-week": "every-2-weeks",
    "every-month": "monthly",
}

MAX_SPEC = 100
_CRON_EXAMPLE = "`cron:0 9 * * mon-fri` (09:00 on weekdays)"
_KINDS_HELP = (
    "Use one of `none`, `daily`, `weekdays`, `weekly`, `every-2-weeks`, `monthly`, or "
    f"`cron:<minute hour day month weekday>` such as {_CRON_EXAMPLE}."
)

# APScheduler 3.x counts weekdays from Monday=0, crontab from Sunday=0 (7 is also
# Sunday). We translate to names so `cron:0 9 * * 1` means Monday, as in crontab.
_CRONTAB_DAYS: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_APS_DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

_CRON_FIELDS: Final = ("minute", "hour", "day", "month", "weekday")
_FIELD_RANGES: Final = {
    "minute": "0–59",
    "hour": "0–23",
    "day": "1–31",
    "month": "1–12 or jan–dec",
    "weekday": "0–7 or sun–sat",
}
_NUMERIC_ITEM = r"(?:\*|\d+(?:-\d+)?)(?:/\d+)?"
# Checked per comma-separated item: APScheduler's name patterns are unanchored and
# would quietly drop a trailing "/2" from "jan-jun/2".
_ITEM_PATTERNS: Final = {
    "minute": re.compile(_NUMERIC_ITEM),
    "hour": re.compile(_NUMERIC_ITEM),
    "day": re.compile(rf"{_NUMERIC_ITEM}|last"),
    "month": re.compile(rf"{_NUMERIC_ITEM}|[a-z]{{3}}(?:-[a-z]{{3}})?"),
    "weekday": re.compile(r"(?:\*|(?:\d|[a-z]{3})(?:-(?:\d|[a-z]{3}))?)(?:/\d+)?"),
}
# Far enough back to be clock-independent; 9 years covers the leap-day-only crons.
_NEVER_FIRES_REFERENCE: Final = datetime(2000, 1, 1, tzinfo=UTC)
_NEVER_FIRES_WINDOW: Final = timedelta(days=9 * 366)


@dataclass(frozen=True, slots=True)
class Repeat:
    """A parsed rule. Store ``spec``; ``parse_repeat(spec)`` gives the same Repeat back."""

    kind: RepeatKind
    cron: str | None
    spec: str

    @property
    def repeats(self) -> bool:
        return self.kind != "none"


NO_REPEAT: Final = Repeat("none", None, "none")


def _echo(text: str) -> str:
    """User text safe to put inside a code span in our reply."""
    shown = text.replace("`", "'")
    return shown if len(shown) <= 60 else shown[:59] + "…"


def parse_repeat(spec: str) -> Repeat:
    """Parse a repeat spec (as typed, or as stored in the database)."""
    text = " ".join(strip_invisible(spec).split()).lower()
    if not text:
        raise InvalidInput(f"Please say how it repeats. {_KINDS_HELP}")
    if len(text) > MAX_SPEC:
        raise InvalidInput(f"That repeat rule is too long. {_KINDS_HELP}")
    if text.startswith("cron:"):
        expression = _parse_cron(text[len("cron:") :].strip())
        return Repeat("cron", expression, f"cron:{expression}")
    kind = _ALIASES.get(text.replace(" ", "-"), text.replace(" ", "-"))
    if kind not in _SIMPLE_KINDS:
        raise InvalidInput(f"`{_echo(spec.strip())}` isn't a repeat I know. {_KINDS_HELP}")
    return Repeat(cast(RepeatKind, kind), None, kind)


def _parse_cron(expression: str) -> str:
    fields = expression.split()
    shown = f"cron:{expression}"
    if len(fields) != 5:
        raise InvalidInput(
            f"`{_echo(shown)}` has {plural(len(fields), 'field')}; a cron rule needs 5: "
            f"minute hour day month weekday. Example: {_CRON_EXAMPLE}."
        )
    for name, value in zip(_CRON_FIELDS, fields, strict=True):
        for item in value.split(","):
            if not _ITEM_PATTERNS[name].fullmatch(item):
                raise _bad_field(name, value, shown)
    minute, hour, day, month, weekday = fields
    if not day.startswith("*") and not weekday.startswith("*"):
        # Crontab fires when *either* restricted day field matches, APScheduler when
        # both do; rather than pick one silently, ask for one of them.
        raise InvalidInput(
            f"`{_echo(shown)}` sets both a day of the month and a weekday, which cron reads "
            "as *either* one. Pick one: e.g. `cron:0 9 1 * *` (the 1st of every month) or "
            "`cron:0 9 * * mon` (every Monday)."
        )
    translated = _translate_weekdays(weekday, shown)
    for name, value in (("minute", minute), ("hour", hour), ("day", day), ("month", month)):
        try:
            CronTrigger(**{name: value}, timezone=UTC)
        except ValueError:
            raise _bad_field(name, value, shown) from None
    normalised = " ".join(fields)
    trigger = CronTrigger.from_crontab(
        " ".join((minute, hour, day, month, translated)), timezone=UTC
    )
    # An impossible date (Feb 30) makes APScheduler search up to year 9999 and give up.
    trigger.end_date = _NEVER_FIRES_REFERENCE + _NEVER_FIRES_WINDOW
    if trigger.get_next_fire_time(None, _NEVER_FIRES_REFERENCE) is None:
        raise InvalidInput(
            f"`{_echo(shown)}` never fires: that date doesn't exist. Example: {_CRON_EXAMPLE}."
        )
    return normalised


def _bad_field(name: str, value: str, shown: str) -> InvalidInput:
    return InvalidInput(
        f"The {name} field `{_echo(value)}` in `{_echo(shown)}` isn't valid ({name} values "
        f"are {_FIELD_RANGES[name]}, with `*`, `,`, `-` and `/`). Example: {_CRON_EXAMPLE}."
    )


def _crontab_day(token: str, *, range_end: bool) -> int:
    if token.isdigit():
        number = int(token)
        if number > 7:
            raise ValueError(token)
        return number
    number = _CRONTAB_DAYS.index(token)  # ValueError for unknown names
    # "fri-sun" must mean fri..sun, so Sunday closes a range as 7.
    return 7 if range_end and number == 0 else number


def _translate_weekdays(field: str, shown: str) -> str:
    """Crontab weekday field -> APScheduler weekday names, with crontab semantics."""
    days: set[int] = set()
    try:
        for item in field.split(","):
            span, _, step_text = item.partition("/")
            step = int(step_text) if step_text else 1
            if step < 1:
                raise ValueError(item)
            if span == "*":
                first, last = 0, 6
            elif "-" in span:
                low, high = span.split("-")
                first = _crontab_day(low, range_end=False)
                last = _crontab_day(high, range_end=True)
            else:
                first = _crontab_day(span, range_end=False)
                # crontab reads "1/2" as "1-7/2".
                last = 7 if step_text else first
            if first > last:
                raise ValueError(item)
            days.update(range(first, last + 1, step))
    except ValueError:
        raise _bad_field("weekday", field, shown) from None
    aps = {(day - 1) % 7 for day in days}  # crontab Sun=0/7 -> APScheduler Sun=6
    if len(aps) == 7:
        return "*"
    return ",".join(_APS_DAYS[day] for day in sorted(aps))


def _zone_name(zone: ZoneInfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def _require_aware(**values: datetime) -> None:
    for name, value in values.items():
        if value.tzinfo is None:
            raise ValueError(f"{name} must be an aware datetime")


def _trigger(
    repeat: Repeat, local_anchor: datetime, zone: ZoneInfo, cursor: datetime
) -> BaseTrigger:
    wall = {
        "hour": local_anchor.hour,
        "minute": local_anchor.minute,
        "second": local_anchor.second,
        "timezone": zone,
    }
    match repeat.kind:
        case "daily":
            return CronTrigger(**wall)
        case "weekdays":
            return CronTrigger(day_of_week="mon-fri", **wall)
        case "weekly":
            return CronTrigger(day_of_week=_APS_DAYS[local_anchor.weekday()], **wall)
        case "every-2-weeks":
            # CalendarIntervalTrigger always starts at start_date and steps forward, so
            # start on the last anchor-aligned fortnight before the cursor instead of
            # walking every fortnight since the anchor.
            elapsed = (cursor.astimezone(zone).date() - local_anchor.date()).days
            start = local_anchor.date() + timedelta(weeks=2 * max(0, elapsed // 14))
            return CalendarIntervalTrigger(weeks=2, start_date=start, **wall)
        case "monthly":
            day = local_anchor.day
            if day == 31:
                return CronTrigger(day="last", **wall)
            if day in (29, 30):
                # Only February is shorter than 30 days: fire on its last day instead.
                return OrTrigger(
                    [CronTrigger(day=day, **wall), CronTrigger(month=2, day="last", **wall)]
                )
            return CronTrigger(day=day, **wall)
        case "cron":
            assert repeat.cron is not None
            minute, hour, day_field, month, weekday = repeat.cron.split()
            translated = _translate_weekdays(weekday, repeat.spec)
            return CronTrigger.from_crontab(
                " ".join((minute, hour, day_field, month, translated)), timezone=zone
            )
    raise ValueError(f"{repeat.kind!r} has no trigger")


def _is_repeated_wall_time(moment: datetime, zone: ZoneInfo) -> bool:
    """True for the second pass through a wall time the clocks turn back over."""
    local = moment.astimezone(UTC).astimezone(zone)
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def next_occurrences(
    repeat: Repeat,
    *,
    anchor: datetime,
    zone: ZoneInfo,
    after: datetime,
    count: int,
) -> list[datetime]:
    """Up to ``count`` occurrences strictly after ``after``, as aware UTC datetimes."""
    _require_aware(anchor=anchor, after=after)
    anchor = anchor.astimezone(UTC)
    after = after.astimezone(UTC)
    if count <= 0:
        return []
    result: list[datetime] = []
    if anchor > after:
        result.append(anchor)
    if not repeat.repeats:
        return result

    local_anchor = anchor.astimezone(zone)
    # Instants must advance in UTC: adding to a zoned datetime is wall-clock
    # arithmetic and goes backwards across the autumn change.
    cursor = max(after, anchor) + timedelta(microseconds=1)
    trigger = _trigger(repeat, local_anchor, zone, cursor)

    previous: datetime | None = None
    now = cursor
    # Each repeated wall time costs one extra step; this bound only stops a
    # pathological trigger from spinning forever.
    for _ in range(count * 3 + 10):
        if len(result) >= count:
            break
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        previous = fire
        now = fire.astimezone(UTC) + timedelta(microseconds=1)
        fire_utc = fire.astimezone(UTC)
        if fire_utc < cursor or _is_repeated_wall_time(fire, zone):
            continue
        result.append(fire_utc)
    return result


def next_after(
    repeat: Repeat, *, anchor: datetime, zone: ZoneInfo, after: datetime
) -> datetime | None:
    """The first occurrence strictly after ``after``, or None if there is none."""
    found = next_occurrences(repeat, anchor=anchor, zone=zone, after=after, count=1)
    return found[0] if found else None


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return plural(int(delta.total_seconds()), "second")
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(plural(hours, "hour"))
    if minutes:
        parts.append(plural(minutes, "minute"))
    return " ".join(parts)


def validate_min_interval(
    repeat: Repeat,
    *,
    anchor: datetime,
    zone: ZoneInfo,
    minimum: timedelta = timedelta(hours=1),
) -> None:
    """Reject rules that would fire more often than ``minimum`` (checks ~50 occurrences)."""
    if not repeat.repeats:
        return
    anchor = anchor.astimezone(UTC)
    fires = next_occurrences(repeat, anchor=anchor, zone=zone, after=anchor, count=50)
    at_least = "an hour" if minimum == timedelta(hours=1) else _span(minimum)
    gaps = [later - earlier for earlier, later in itertools.pairwise(fires)]
    if gaps and min(gaps) < minimum:
        raise InvalidInput(
            f"Repeats must be at least {at_least} apart; `{_echo(repeat.spec)}` fires every "
            f"{_span(min(gaps))}. Try `daily`, `weekly` or {_CRON_EXAMPLE}."
        )
    if fires and fires[0] - anchor < minimum:
        raise InvalidInput(
            f"Repeats must be at least {at_least} apart; with `{_echo(repeat.spec)}` the "
            f"first repeat would come only {_span(fires[0] - anchor)} after the start. Pick a "
            "start time that matches the rule, or a rule like `daily` or `weekly`."
        )


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def describe(repeat: Repeat, *, anchor: datetime, zone: ZoneInfo) -> str:
    """Human text for a rule, e.g. "every Thursday at 17:00 (Europe/Berlin)"."""
    _require_aware(anchor=anchor)
    local = anchor.astimezone(zone)
    clock = f"{local:%H:%M}" if local.second == 0 else f"{local:%H:%M:%S}"
    where = f"({_zone_name(zone)})"
    weekday = _DAY_NAMES[local.weekday()]
    match repeat.kind:
        case "daily":
            return f"every day at {clock} {where}"
        case "weekdays":
            return f"weekdays at {clock} {where}"
        case "weekly":
            return f"every {weekday} at {clock} {where}"
        case "every-2-weeks":
            return f"every other {weekday} at {clock} {where}"
        case "monthly":
            if local.day == 31:
                return f"on the last day of every month at {clock} {where}"
            if local.day in (29, 30):
                return (
                    f"every month on the {_ordinal(local.day)} (the last day of February) "
                    f"at {clock} {where}"
                )
            return f"every month on the {_ordinal(local.day)} at {clock} {where}"
        case "cron":
            return f"cron `{repeat.cron}` {where}"
        case _:
            return f"once, on {weekday} {local:%Y-%m-%d} at {clock} {where}"
