"""Regional community calls' arithmetic: parsing, occurrences from slots, suggested slots.

A slot is a weekday and a local wall-clock time in an IANA zone, so each region's call
keeps its local hour across that region's DST changes while other regions' calls move
relative to UTC. On the day the clocks go back, a slot inside the repeated hour takes its
first instant (still summer time). Occurrences are computed here; the service stores the
ones it plans (services/calls/plan.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.errors import InvalidInput
from services.text import is_blank, strip_invisible
from storage.calls import CallSeries, CallSlot

CADENCES = ("weekly", "every-2-weeks", "monthly")
MODES = ("parallel", "rotating")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_SLOTS = 4
MAX_TITLE = 100  # Discord's limit for an event name
MAX_NAME = 40
MIN_DURATION, MAX_DURATION = 15, 240
# Waking hours a call must fit inside, local time.
WAKING_START = 8 * 60
WAKING_END = 21 * 60
MIN_ZONES = 10
# How far ahead a slot time is checked against DST gaps: every date it falls on in a year.
DST_CHECK_DAYS = 366

_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]?([0-5]\d)$")


def clean(text: str) -> str:
    cleaned = " ".join(strip_invisible(text).split())
    return "" if is_blank(cleaned) else cleaned


def parse_time(text: str) -> time:
    match = _TIME.match(clean(text).lower())
    if not match:
        raise InvalidInput(f"`{clean(text)[:20]}` isn't a time. Use 24-hour `HH:MM`, e.g. `09:30`.")
    return time(int(match.group(1)), int(match.group(2)))


def parse_weekday(text: str) -> int:
    cleaned = clean(text).lower()
    for index, name in enumerate(WEEKDAYS):
        if len(cleaned) >= 3 and name.startswith(cleaned):
            return index
    raise InvalidInput(f"`{cleaned[:20]}` isn't a weekday. Use e.g. `tuesday`.")


def local_exists(day: date, at: time, zone: ZoneInfo) -> bool:
    """False when ``at`` on ``day`` falls in the zone's spring-forward gap."""
    local = datetime.combine(day, at, tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def first_gap(weekday: int, at: time, zone: ZoneInfo, start: date) -> date | None:
    """The first date within a year (on ``weekday``) on which ``at`` doesn't exist."""
    day = start + timedelta(days=(weekday - start.weekday()) % 7)
    while day < start + timedelta(days=DST_CHECK_DAYS):
        if not local_exists(day, at, zone):
            return day
        day += timedelta(days=7)
    return None


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _cycle_start(series: CallSeries, k: int) -> date:
    if series.cadence == "weekly":
        return series.anchor + timedelta(weeks=k)
    if series.cadence == "every-2-weeks":
        return series.anchor + timedelta(weeks=2 * k)
    months = series.anchor.year * 12 + series.anchor.month - 1 + k
    return date(months // 12, months % 12 + 1, 1)


def _slot_date(series: CallSeries, cycle: date, slot: CallSlot) -> date:
    if series.cadence == "monthly":
        # The first such weekday of the month.
        return cycle + timedelta(days=(slot.weekday - cycle.weekday()) % 7)
    return cycle + timedelta(days=slot.weekday)


def _cycle_index(series: CallSeries, day: date) -> int:
    if series.cadence == "monthly":
        return (day.year - series.anchor.year) * 12 + day.month - series.anchor.month
    weeks = (day - series.anchor).days // 7
    return weeks // (2 if series.cadence == "every-2-weeks" else 1)


@dataclass(frozen=True)
class Occurrence:
    series: CallSeries
    slot: CallSlot
    cycle: int
    starts_at: datetime  # UTC
    host_id: int | None = None  # set once the call is planned
    planned_id: int | None = None

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.series.duration_minutes)


def occurrence_of(series: CallSeries, slot: CallSlot, cycle: int) -> Occurrence:
    zone = ZoneInfo(slot.zone)
    day = _slot_date(series, _cycle_start(series, cycle), slot)
    local = datetime.combine(day, parse_time(slot.local_time))
    return Occurrence(series, slot, cycle, local.replace(tzinfo=zone).astimezone(UTC))


def occurrences(
    series: CallSeries,
    slots: list[CallSlot],
    after: datetime,
    count: int,
    last: tuple[int, int] | None = None,
) -> list[Occurrence]:
    """The next ``count`` occurrences starting after ``after``.

    Parallel: every slot meets each cycle. Rotating: one slot per cycle, in slot order;
    given the last planned call (slot id, cycle) it continues from the slot after that one,
    so removing or adding a slot doesn't make a region skip or repeat its turn.
    """
    if not slots:
        return []
    if series.mode == "rotating" and last is not None:
        return _rotating_from(series, slots, after, count, last)
    found: list[Occurrence] = []
    # Start a cycle early: a slot late in the week in a zone behind UTC can fall after it.
    k = max(0, _cycle_index(series, after.date()) - 1)
    while len(found) < count:
        chosen = slots if series.mode == "parallel" else [slots[k % len(slots)]]
        for slot in chosen:
            o = occurrence_of(series, slot, k)
            if o.starts_at > after:
                found.append(o)
        k += 1
    return sorted(found, key=lambda o: o.starts_at)[:count]


def _rotating_from(
    series: CallSeries,
    slots: list[CallSlot],
    after: datetime,
    count: int,
    last: tuple[int, int],
) -> list[Occurrence]:
    last_slot, last_cycle = last
    # Slots are in id order: the turn passes to the next slot added after the last one.
    index = next((i for i, s in enumerate(slots) if s.id > last_slot), 0)
    k = last_cycle + 1
    found: list[Occurrence] = []
    while len(found) < count:
        o = occurrence_of(series, slots[index % len(slots)], k)
        if o.starts_at > after:
            found.append(o)
        k += 1
        index += 1
    return found


# -- suggestions (pure arithmetic) ------------------------------------------


@dataclass(frozen=True)
class SuggestedSlot:
    utc_minute: int  # minutes after 00:00 UTC
    reaches: int  # members inside their waking hours at this time
    new: int  # of those, members no earlier suggested slot reached


@dataclass(frozen=True)
class Suggestion:
    members: int  # members who set a zone
    slots: list[SuggestedSlot]
    covered: int
    left_out_offsets: tuple[int, int] | None  # min/max UTC offset (minutes) of those missed

    @property
    def too_few(self) -> bool:
        return self.members < MIN_ZONES

    @property
    def share(self) -> float:
        return self.covered / self.members if self.members else 0.0


def awake(utc_minute: int, offset: int, duration: int) -> bool:
    """Whether a call at ``utc_minute`` fits in waking hours for a member at ``offset``."""
    local = (utc_minute + offset) % (24 * 60)
    return local >= WAKING_START and local + duration <= WAKING_END


def suggest_slots(offsets: list[int], count: int, duration: int) -> Suggestion:
    """Greedy: each slot (on the hour, UTC) reaches the most members not yet reached.

    Ties go to the slot reaching more members in all, then to the earliest UTC hour.
    """
    reached: set[int] = set()
    chosen: list[SuggestedSlot] = []
    candidates = range(0, 24 * 60, 60)
    for _ in range(count):
        best: tuple[int, int, int] | None = None  # (new, reaches, minute)
        for minute in candidates:
            if any(s.utc_minute == minute for s in chosen):
                continue
            reaches = [i for i, off in enumerate(offsets) if awake(minute, off, duration)]
            new = sum(1 for i in reaches if i not in reached)
            # Ties go to the slot that also reaches more members already reached.
            if best is None or (new, len(reaches)) > best[:2]:
                best = (new, len(reaches), minute)
        if best is None or best[0] == 0:
            break
        new, reaches_count, minute = best
        chosen.append(SuggestedSlot(minute, reaches_count, new))
        reached |= {i for i, off in enumerate(offsets) if awake(minute, off, duration)}
    missed = [off for i, off in enumerate(offsets) if i not in reached]
    left_out = (min(missed), max(missed)) if missed else None
    return Suggestion(len(offsets), chosen, len(reached), left_out)


def format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")
