"""Regional community calls: series, their regional slots, occurrences and suggested slots.

A slot is a weekday and a local wall-clock time in an IANA zone, so each region's call
keeps its local hour across that region's DST changes while other regions' calls move
relative to UTC. Occurrences are computed from the slots, not stored.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.errors import Conflict, InvalidInput, NotFound
from services.text import is_blank, strip_invisible
from services.time.clock import Clock
from services.time.timezones import resolve_zone
from storage.calls import CallSeries, CallSlot, CallsRepository

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

ZonesOf = Callable[[int], Awaitable[dict[int, str]]]


def _clean(text: str) -> str:
    cleaned = " ".join(strip_invisible(text).split())
    return "" if is_blank(cleaned) else cleaned


def parse_time(text: str) -> time:
    match = _TIME.match(_clean(text).lower())
    if not match:
        raise InvalidInput(
            f"`{_clean(text)[:20]}` isn't a time. Use 24-hour `HH:MM`, e.g. `09:30`."
        )
    return time(int(match.group(1)), int(match.group(2)))


def parse_weekday(text: str) -> int:
    cleaned = _clean(text).lower()
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

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.series.duration_minutes)


def occurrences(
    series: CallSeries, slots: list[CallSlot], after: datetime, count: int
) -> list[Occurrence]:
    """The next ``count`` occurrences starting after ``after``.

    Parallel: every slot meets each cycle. Rotating: one slot per cycle, in slot order.
    """
    if not slots:
        return []
    found: list[Occurrence] = []
    # Start a cycle early: a slot late in the week in a zone behind UTC can fall after it.
    k = max(0, _cycle_index(series, after.date()) - 1)
    while len(found) < count:
        cycle = _cycle_start(series, k)
        chosen = slots if series.mode == "parallel" else [slots[k % len(slots)]]
        for slot in chosen:
            zone = ZoneInfo(slot.zone)
            local = datetime.combine(_slot_date(series, cycle, slot), parse_time(slot.local_time))
            starts_at = local.replace(tzinfo=zone).astimezone(UTC)
            if starts_at > after:
                found.append(Occurrence(series, slot, k, starts_at))
        k += 1
    return sorted(found, key=lambda o: o.starts_at)[:count]


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


# -- the service ------------------------------------------------------------


@dataclass(frozen=True)
class SeriesView:
    series: CallSeries
    slots: list[CallSlot]


class CallsService:
    def __init__(self, repo: CallsRepository, clock: Clock, *, zones: ZonesOf) -> None:
        self.repo = repo
        self._clock = clock
        self._zones = zones

    async def create(
        self,
        guild_id: int,
        *,
        title: str,
        cadence: str,
        mode: str,
        duration_minutes: int,
        channel_id: int | None,
        location: str | None,
    ) -> CallSeries:
        title = _clean(title)
        if not title:
            raise InvalidInput("Please give the series a title, e.g. `Community call`.")
        if len(title) > MAX_TITLE:
            raise InvalidInput(f"The title is {len(title)} characters; the limit is {MAX_TITLE}.")
        if cadence not in CADENCES:
            raise InvalidInput(f"The cadence is one of {', '.join(CADENCES)}.")
        if mode not in MODES:
            raise InvalidInput("The mode is `parallel` or `rotating`.")
        if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
            raise InvalidInput(
                f"The duration must be {MIN_DURATION}–{MAX_DURATION} minutes; "
                f"you gave {duration_minutes}."
            )
        place = _clean(location or "") or None
        if channel_id is None and place is None:
            raise InvalidInput(
                "Say where the calls happen: a voice or stage `channel`, or an external "
                "`location` (e.g. a meeting link)."
            )
        if channel_id is not None and place is not None:
            raise InvalidInput("Give either a `channel` or a `location`, not both.")
        if place is not None and len(place) > MAX_TITLE:
            raise InvalidInput(f"The location is {len(place)} characters; the limit is 100.")
        async with self.repo.db.transaction():
            if await self.repo.series_by_title(guild_id, title) is not None:
                raise Conflict(f"There's already a call series called **{title}**.")
            now = self._clock.now()
            return await self.repo.create_series(
                guild_id,
                title=title,
                cadence=cadence,
                mode=mode,
                duration_minutes=duration_minutes,
                channel_id=channel_id,
                location=place,
                anchor=monday_of(now.date()),
                now=now,
            )

    async def get(self, guild_id: int, title: str) -> SeriesView:
        series = await self.repo.series_by_title(guild_id, _clean(title))
        if series is None:
            raise NotFound(
                f"There's no call series called `{_clean(title)[:MAX_TITLE]}`. "
                "Create one with `/calls create`."
            )
        return SeriesView(series, await self.repo.slots(guild_id, series.id))

    def now(self) -> datetime:
        return self._clock.now()

    async def titles(self, guild_id: int) -> list[str]:
        return [s.title for s in await self.repo.all_series(guild_id)]

    async def add_slot(
        self, guild_id: int, series: str, *, name: str, day: str, at: str, timezone: str
    ) -> tuple[SeriesView, CallSlot]:
        clean_name = _clean(name)
        if not clean_name:
            raise InvalidInput("Please name the slot, e.g. `APAC` or `Americas`.")
        if len(clean_name) > MAX_NAME:
            raise InvalidInput(f"The slot name is {len(clean_name)} characters; the limit is 40.")
        weekday = parse_weekday(day)
        local_time = parse_time(at)
        zone = resolve_zone(timezone)
        gap = first_gap(weekday, local_time, zone, self._clock.now().date())
        if gap is not None:
            raise InvalidInput(
                f"{local_time:%H:%M} doesn't exist in {zone.key} on {gap:%A %d %B %Y}: the "
                "clocks skip it when daylight saving time starts. Pick a time outside that "
                "hour, e.g. one hour later."
            )
        async with self.repo.db.transaction():
            view = await self.get(guild_id, series)
            if len(view.slots) >= MAX_SLOTS:
                raise InvalidInput(
                    f"**{view.series.title}** already has {MAX_SLOTS} slots, the most a series "
                    "can have. Remove one with `/calls slot-remove` first."
                )
            if any(s.name.lower() == clean_name.lower() for s in view.slots):
                raise Conflict(f"**{view.series.title}** already has a slot called {clean_name}.")
            slot = await self.repo.add_slot(
                guild_id,
                view.series.id,
                name=clean_name,
                weekday=weekday,
                local_time=f"{local_time:%H:%M}",
                zone=zone.key,
                now=self._clock.now(),
            )
        return SeriesView(view.series, [*view.slots, slot]), slot

    async def remove_slot(self, guild_id: int, series: str, name: str) -> CallSlot:
        async with self.repo.db.transaction():
            view = await self.get(guild_id, series)
            for slot in view.slots:
                if slot.name.lower() == _clean(name).lower():
                    await self.repo.remove_slot(guild_id, slot.id)
                    return slot
        names = ", ".join(s.name for s in view.slots) or "none yet"
        raise NotFound(
            f"**{view.series.title}** has no slot called `{_clean(name)[:MAX_NAME]}` "
            f"(its slots: {names})."
        )

    async def upcoming(self, guild_id: int, limit: int = 10) -> list[Occurrence]:
        now = self._clock.now()
        found: list[Occurrence] = []
        for series in await self.repo.all_series(guild_id):
            slots = await self.repo.slots(guild_id, series.id)
            found += occurrences(series, slots, now, limit)
        return sorted(found, key=lambda o: o.starts_at)[:limit]

    async def upcoming_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[tuple[str, str, datetime]]:
        """The digest's "coming up": each series' next call in [start, end)."""
        found: list[tuple[str, str, datetime]] = []
        for series in await self.repo.all_series(guild_id):
            slots = await self.repo.slots(guild_id, series.id)
            for o in occurrences(series, slots, start - timedelta(microseconds=1), 1):
                if o.starts_at < end:
                    found.append((series.title, o.slot.name, o.starts_at))
        return found

    async def suggest(
        self, guild_id: int, series: str, count: int
    ) -> tuple[SeriesView, Suggestion]:
        if not 1 <= count <= MAX_SLOTS:
            raise InvalidInput(f"`slots` must be 1–{MAX_SLOTS}; you gave {count}.")
        view = await self.get(guild_id, series)
        now = self._clock.now()
        offsets = []
        for zone in (await self._zones(guild_id)).values():
            offset = ZoneInfo(zone).utcoffset(now)
            if offset is not None:
                offsets.append(int(offset.total_seconds() // 60))
        return view, suggest_slots(offsets, count, view.series.duration_minutes)
