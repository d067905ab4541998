"""Regional community calls: series and their slots, suggestions, what's coming up.

The calls themselves (planning each occurrence as an office-hours session, hosts, the host
notice) are in services/calls/plan.py; the agenda and recaps in services/calls/agenda.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.calls.schedule import (
    CADENCES,
    MAX_DURATION,
    MAX_NAME,
    MAX_SLOTS,
    MAX_TITLE,
    MIN_DURATION,
    MODES,
    Occurrence,
    Suggestion,
    awake,
    clean,
    first_gap,
    monday_of,
    occurrences,
    parse_time,
    parse_weekday,
    suggest_slots,
)
from services.errors import Conflict, InvalidInput, NotFound
from services.time.clock import Clock
from services.time.timezones import resolve_zone
from storage.calls import CallSeries, CallSlot, CallsRepository, OccurrenceRepository

ZonesOf = Callable[[int], Awaitable[dict[int, str]]]


@dataclass(frozen=True)
class SeriesView:
    series: CallSeries
    slots: list[CallSlot]


class CallsService:
    def __init__(
        self,
        repo: CallsRepository,
        clock: Clock,
        *,
        zones: ZonesOf,
        occurrences: OccurrenceRepository | None = None,
    ) -> None:
        self.repo = repo
        self._clock = clock
        self._zones = zones
        self.calls = occurrences or OccurrenceRepository(repo.db)

    def now(self) -> datetime:
        return self._clock.now()

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
        channel_kind: str | None = None,
        home_channel_id: int | None = None,
    ) -> CallSeries:
        title = clean(title)
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
        place = clean(location or "") or None
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
                home_channel_id=home_channel_id,
                channel_kind=channel_kind if channel_id is not None else None,
            )

    async def get(self, guild_id: int, title: str) -> SeriesView:
        series = await self.repo.series_by_title(guild_id, clean(title))
        if series is None:
            raise NotFound(
                f"There's no call series called `{clean(title)[:MAX_TITLE]}`. "
                "Create one with `/calls create`."
            )
        return SeriesView(series, await self.repo.slots(guild_id, series.id))

    async def titles(self, guild_id: int) -> list[str]:
        return [s.title for s in await self.repo.all_series(guild_id)]

    async def host_role(self, guild_id: int) -> int | None:
        return await self.repo.host_role(guild_id)

    async def set_host_role(self, guild_id: int, role_id: int | None) -> None:
        await self.repo.set_host_role(guild_id, role_id, self._clock.now())

    async def add_slot(
        self, guild_id: int, series: str, *, name: str, day: str, at: str, timezone: str
    ) -> tuple[SeriesView, CallSlot]:
        clean_name = clean(name)
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

    async def remove_slot(
        self, guild_id: int, series: str, name: str
    ) -> tuple[CallSlot, list[int]]:
        """The slot removed, and the sessions of its planned calls still ahead (to cancel)."""
        async with self.repo.db.transaction():
            view = await self.get(guild_id, series)
            for slot in view.slots:
                if slot.name.lower() == clean(name).lower():
                    await self.repo.remove_slot(guild_id, slot.id)
                    ahead = await self.calls.after(guild_id, view.series.id, self._clock.now())
                    return slot, [
                        c.session_id
                        for c in ahead
                        if c.slot_id == slot.id and c.session_id is not None
                    ]
        names = ", ".join(s.name for s in view.slots) or "none yet"
        raise NotFound(
            f"**{view.series.title}** has no slot called `{clean(name)[:MAX_NAME]}` "
            f"(its slots: {names})."
        )

    async def series_upcoming(
        self, series: CallSeries, slots: list[CallSlot], after: datetime, count: int
    ) -> list[Occurrence]:
        """The planned calls ahead (with their hosts), then the ones computed after them."""
        planned = await self.calls.after(series.guild_id, series.id, after)
        by_id = {s.id: s for s in slots}
        found = [
            Occurrence(series, by_id[c.slot_id], c.cycle, c.starts_at, c.host_id, c.id)
            for c in planned
            if c.slot_id in by_id
        ]
        if series.mode == "rotating":
            latest = planned[-1] if planned else None
            if latest is None:
                past = await self.calls.recent(series.guild_id, series.id, after, 1)
                latest = past[0] if past else None
            last = (latest.slot_id, latest.cycle) if latest is not None else None
            since = max(after, latest.starts_at) if latest is not None else after
            found += occurrences(series, slots, since, count, last)
        else:
            seen = {(o.slot.id, o.cycle) for o in found}
            found += [
                o
                for o in occurrences(series, slots, after, count + len(found))
                if (o.slot.id, o.cycle) not in seen
            ]
        return sorted(found, key=lambda o: o.starts_at)[:count]

    async def upcoming(self, guild_id: int, limit: int = 10) -> list[Occurrence]:
        now = self._clock.now()
        found: list[Occurrence] = []
        for series in await self.repo.all_series(guild_id):
            slots = await self.repo.slots(guild_id, series.id)
            found += await self.series_upcoming(series, slots, now, limit)
        return sorted(found, key=lambda o: o.starts_at)[:limit]

    async def upcoming_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[tuple[str, str, datetime, int | None]]:
        """The digest's "coming up": each series' next call in [start, end), with its host."""
        found: list[tuple[str, str, datetime, int | None]] = []
        for series in await self.repo.all_series(guild_id):
            slots = await self.repo.slots(guild_id, series.id)
            nxt = await self.series_upcoming(series, slots, start - timedelta(microseconds=1), 1)
            for o in nxt:
                if o.starts_at < end:
                    found.append((series.title, o.slot.name, o.starts_at, o.host_id))
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

    async def hosted_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, datetime]]:
        """(host_id, starts_at) of each call held in [start, end) that had a host, for the
        advocates' load view."""
        return [
            (c.host_id, c.starts_at)
            for c in await self.calls.between(guild_id, start, end)
            if c.host_id is not None
        ]

    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> CallsFigures:
        """The calls held in [start, end) with their attendance, and each series' coverage:
        the share of members who set a zone for whom one of its slots falls in waking hours."""
        series_list = await self.repo.all_series(guild_id)
        titles = {s.id: s.title for s in series_list}
        held = [
            HeldCall(titles[c.series_id], c.slot_name, c.starts_at, c.interested, c.present_peak)
            for c in await self.calls.between(guild_id, start, end)
            if c.series_id in titles
        ]
        zones = list((await self._zones(guild_id)).values())
        coverage: list[Coverage] = []
        for series in series_list:
            slots = await self.repo.slots(guild_id, series.id)
            if not slots or not zones:
                continue
            minutes = []
            for o in occurrences(series, slots, end, len(slots) * 2):
                at = o.starts_at
                minutes.append(at.hour * 60 + at.minute)
            covered = 0
            for zone in zones:
                offset = ZoneInfo(zone).utcoffset(end)
                off = int(offset.total_seconds() // 60) if offset is not None else 0
                if any(awake(m, off, series.duration_minutes) for m in set(minutes)):
                    covered += 1
            coverage.append(Coverage(series.title, covered, len(zones)))
        return CallsFigures(held, coverage)


@dataclass(frozen=True)
class HeldCall:
    series: str
    slot: str
    starts_at: datetime
    interested: int | None
    present_peak: int | None


@dataclass(frozen=True)
class Coverage:
    series: str
    covered: int
    members: int  # members who set a zone

    @property
    def share(self) -> float:
        return self.covered / self.members if self.members else 0.0


@dataclass(frozen=True)
class CallsFigures:
    held: list[HeldCall]
    coverage: list[Coverage]
