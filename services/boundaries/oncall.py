"""The on-call rotation for community triage: shifts, the fair order, overrides, handoffs.

Each shift is claimed in the database when its handoff runs (one row per shift start),
so a handoff happens once however often the alarm fires or the bot restarts. Who holds
on-call at a moment: an override covering it (the latest made wins), else the shift's
holder. The fair order: fewest shifts among the last 8, skipping anyone away for more
than half the shift, ties to whoever had one longest ago.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from services.boundaries.hours import DAY_NAMES, minute_text, parse_minute
from services.errors import Conflict, InvalidInput, NotFound
from services.text import strip_invisible
from services.time.clock import Clock
from services.time.timefmt import discord_timestamp
from services.time.timeparse import parse_when
from services.time.timezones import resolve_zone
from storage.boundaries import BoundariesRepository
from storage.oncall import OnCallConfig, OnCallRepository, OverrideRow, ShiftRow

FAIR_WINDOW = 8
SHOWN_AHEAD = 4
MAX_NOTE = 1000
MAX_OVERRIDE = timedelta(days=62)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# guild_id, now -> lines describing what is open (wired in bot.py from other features).
OpenItems = Callable[[int, datetime], Awaitable[list[str]]]


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    user_id: int | None
    override: bool = False


@dataclass(frozen=True)
class Handoff:
    config: OnCallConfig
    shift: ShiftRow | None  # the shift this handoff started (None: only an override moved)
    previous: ShiftRow | None
    holder: int | None  # who holds on-call now (an override beats the shift)
    open_items: list[str]


def parse_handoff(text: str, shift: str) -> tuple[int, int]:
    """`09:00` (daily, or weekly on Mondays) or `mon 09:00` -> (weekday, minute)."""
    parts = text.strip().lower().split()
    weekday = 0
    if len(parts) == 2:
        day = parts[0][:3]
        if day not in DAY_NAMES:
            raise InvalidInput(
                f"`{parts[0]}` isn't a weekday: write the handoff as `mon 09:00` or `09:00`."
            )
        weekday = DAY_NAMES.index(day)
        if shift == "daily":
            raise InvalidInput("Daily shifts hand off every day: give a time only, e.g. `09:00`.")
    elif len(parts) != 1:
        raise InvalidInput("Write the handoff as a time (`09:00`) or a day and time (`mon 09:00`).")
    minute = parse_minute(parts[-1], "handoff")
    if minute >= 1440:
        raise InvalidInput("The handoff can't be at 24:00: use `00:00`.")
    return weekday, minute


def _local_start(day: datetime, minute: int, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day.date(), datetime.min.time()) + timedelta(minutes=minute)
    return local.replace(tzinfo=zone).astimezone(UTC)


def shift_starts(config: OnCallConfig, at: datetime, count: int) -> list[datetime]:
    """The start of the shift holding ``at``, then the next ``count`` starts."""
    zone = ZoneInfo(config.zone)
    local = at.astimezone(zone)
    starts: list[datetime] = []
    for offset in range(-8, 7 * (count + 2)):
        day = local + timedelta(days=offset)
        if config.shift == "weekly" and day.weekday() != config.handoff_weekday:
            continue
        starts.append(_local_start(day, config.handoff_minute, zone))
    current = max(s for s in starts if s <= at)
    return [s for s in starts if s >= current][: count + 1]


def choose(
    members: Sequence[int],
    recent: Sequence[int | None],
    last_held: dict[int, datetime],
    away: set[int],
) -> int | None:
    """Fewest shifts among ``recent`` (the last 8), then longest since one, then join order."""
    candidates = [m for m in members if m not in away]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda m: (
            sum(1 for r in recent if r == m),
            last_held.get(m, EPOCH),
            members.index(m),
        ),
    )


def describe_config(c: OnCallConfig) -> str:
    when = minute_text(c.handoff_minute)
    if c.shift == "weekly":
        return f"weekly shifts, handed off {DAY_NAMES[c.handoff_weekday].title()} {when} {c.zone}"
    return f"daily shifts, handed off at {when} {c.zone}"


class OnCallService:
    def __init__(
        self,
        repo: OnCallRepository,
        bounds: BoundariesRepository,
        clock: Clock,
        back_at: Callable[[int, int], Awaitable[datetime]] | None = None,
    ) -> None:
        self.repo = repo
        self.bounds = bounds
        self.clock = clock
        # When an advocate is next in their hours and not away (BoundariesService.back_at).
        self._back_at = back_at
        # Set by bot.py: what other features have open, for the handoff note.
        self.open_items: OpenItems | None = None

    async def configure(
        self,
        guild_id: int,
        role_id: int,
        channel_id: int,
        shift: str,
        handoff: str,
        zone: str,
    ) -> OnCallConfig:
        if shift not in ("daily", "weekly"):
            raise InvalidInput("The shift is `daily` or `weekly`.")
        weekday, minute = parse_handoff(handoff, shift)
        zone_info = resolve_zone(zone)
        config = OnCallConfig(guild_id, role_id, channel_id, shift, weekday, minute, zone_info.key)
        await self.repo.set_config(config, self.clock.now())
        return config

    async def config(self, guild_id: int) -> OnCallConfig:
        config = await self.repo.config(guild_id)
        if config is None:
            raise NotFound(
                "There's no on-call rotation yet: an advocate sets one up with "
                "`/oncall configure role: shift: handoff: timezone: channel:`."
            )
        return config

    async def join(self, guild_id: int, user_id: int) -> None:
        await self.config(guild_id)
        if not await self.repo.join(guild_id, user_id, self.clock.now()):
            raise Conflict("You're already in the on-call rotation: `/oncall who` shows it.")

    async def leave(self, guild_id: int, user_id: int) -> None:
        if not await self.repo.leave(guild_id, user_id):
            raise NotFound("You're not in the on-call rotation: `/oncall join` adds you.")

    async def _away_for(
        self, guild_id: int, members: Sequence[int], s: datetime, e: datetime
    ) -> set[int]:
        """Members away for more than half of the shift [s, e)."""
        away: set[int] = set()
        for m in members:
            covered = timedelta()
            for a in await self.bounds.away(guild_id, m, s):
                lo, hi = max(a.starts_at, s), min(a.ends_at, e)
                if hi > lo:
                    covered += hi - lo
            if covered * 2 > e - s:
                away.add(m)
        return away

    async def _plan(self, guild_id: int, config: OnCallConfig, count: int) -> list[Slot]:
        """The shift holding now (as claimed, or as it would be) and the next ``count``."""
        now = self.clock.now()
        starts = shift_starts(config, now, count + 1)
        members = await self.repo.members(guild_id)
        past = await self.repo.recent_shifts(guild_id, starts[0], FAIR_WINDOW)
        recent: list[int | None] = [p.user_id for p in past]
        last_held: dict[int, datetime] = {}
        for p in reversed(past):
            if p.user_id is not None:
                last_held[p.user_id] = p.starts_at
        slots: list[Slot] = []
        for s, e in pairwise(starts):
            claimed = await self.repo.shift_at(guild_id, s)
            if claimed is not None and claimed.starts_at == s:
                holder = claimed.user_id
            else:
                away = await self._away_for(guild_id, members, s, e)
                holder = choose(members, recent[:FAIR_WINDOW], last_held, away)
            slots.append(Slot(s, e, holder))
            recent.insert(0, holder)
            if holder is not None:
                last_held[holder] = s
        return slots[: count + 1]

    async def _override_at(self, guild_id: int, at: datetime) -> OverrideRow | None:
        found = [o for o in await self.repo.overrides(guild_id, at) if o.starts_at <= at]
        return found[-1] if found else None

    async def current(self, guild_id: int) -> int | None:
        """Who is on call right now, or None (no rotation, or nobody)."""
        now = self.clock.now()
        override = await self._override_at(guild_id, now)
        if override is not None:
            return override.user_id
        shift = await self.repo.shift_at(guild_id, now)
        return None if shift is None else shift.user_id

    async def who_to_ask(self, guild_id: int) -> tuple[int | None, list[tuple[int, datetime]]]:
        """The on-call advocate now, and the rotation's others who are off, with their return."""
        if await self.repo.config(guild_id) is None:
            return None, []
        now = self.clock.now()
        on_call = await self.current(guild_id)
        off: list[tuple[int, datetime]] = []
        if self._back_at is not None:
            for member in await self.repo.members(guild_id):
                if member == on_call:
                    continue
                back = await self._back_at(guild_id, member)
                if back > now:
                    off.append((member, back))
        return on_call, off

    async def who(self, guild_id: int) -> tuple[OnCallConfig, int | None, list[Slot]]:
        config = await self.config(guild_id)
        slots = await self._plan(guild_id, config, SHOWN_AHEAD)
        now = self.clock.now()
        overrides = await self.repo.overrides(guild_id, now)
        shown = [Slot(o.starts_at, o.ends_at, o.user_id, override=True) for o in overrides]
        return (
            config,
            await self.current(guild_id),
            sorted(slots + shown, key=lambda s: (s.starts_at, s.override)),
        )

    async def add_override(
        self, guild_id: int, member_id: int, start: str, until: str, author_id: int
    ) -> OverrideRow:
        config = await self.config(guild_id)
        now = self.clock.now()
        zone = ZoneInfo(config.zone)
        if start.strip().lower() in ("now", ""):
            starts_at = now
        else:
            starts_at = parse_when(start, now=now, zone=zone)
        ends_at = parse_when(until, now=now, zone=zone)
        if ends_at <= starts_at:
            raise InvalidInput(
                f"The cover would end ({discord_timestamp(ends_at)}) before it starts "
                f"({discord_timestamp(starts_at)}): `until` must be after `from`."
            )
        if ends_at - starts_at > MAX_OVERRIDE:
            raise InvalidInput("A cover can last at most 62 days: join the rotation instead.")
        override_id = await self.repo.add_override(
            guild_id, member_id, starts_at, ends_at, author_id, now
        )
        return OverrideRow(override_id, guild_id, member_id, starts_at, ends_at)

    async def set_handoff_note(self, guild_id: int, user_id: int, text: str) -> ShiftRow:
        await self.config(guild_id)
        shift = await self.repo.shift_at(guild_id, self.clock.now())
        if shift is None or user_id not in (shift.user_id, await self.current(guild_id)):
            raise NotAllowedNote()
        cleaned = strip_invisible(text).strip()
        if not cleaned:
            raise InvalidInput("The note is empty: write what the next person should know.")
        if len(cleaned) > MAX_NOTE:
            raise InvalidInput(f"The note is too long (max {MAX_NOTE} characters).")
        await self.repo.set_note(guild_id, shift.id, cleaned)
        return shift

    # ------------------------------------------------------------------ the handoff alarm

    async def next_due(self, guild_id: int) -> datetime | None:
        """When the handoff alarm should next run: now if the current shift is unclaimed
        or a claimed one is unfinished, else the next shift start or override edge."""
        config = await self.repo.config(guild_id)
        if config is None:
            return None
        now = self.clock.now()
        starts = shift_starts(config, now, 1)
        claimed = await self.repo.shift_at(guild_id, now)
        unclaimed = claimed is None or claimed.starts_at != starts[0]
        # An empty rotation waits for its first member (join reschedules) or the next start.
        if unclaimed and await self.repo.members(guild_id):
            return now
        if await self.repo.undone_shifts(guild_id):
            return now
        edges = [starts[1]]
        for o in await self.repo.overrides(guild_id, now):
            edges += [t for t in (o.starts_at, o.ends_at) if t > now]
        return min(edges)

    async def handoff(self, guild_id: int) -> Handoff | None:
        """Claim the shift that has started (once), or resume one a restart interrupted."""
        config = await self.repo.config(guild_id)
        if config is None:
            return None
        now = self.clock.now()
        undone = await self.repo.undone_shifts(guild_id)
        shift = undone[-1] if undone else None
        if shift is None and await self.repo.members(guild_id):
            slot = (await self._plan(guild_id, config, 0))[0]
            shift = await self.repo.claim_shift(
                guild_id, slot.starts_at, slot.ends_at, slot.user_id, now
            )
        previous = None
        items: list[str] = []
        if shift is not None:
            before = await self.repo.recent_shifts(guild_id, shift.starts_at, 1)
            previous = before[0] if before else None
            if self.open_items is not None:
                items = await self.open_items(guild_id, now)
        return Handoff(config, shift, previous, await self.current(guild_id), items)

    async def finish(self, guild_id: int, shift: ShiftRow) -> None:
        await self.repo.mark_done(guild_id, shift.id, self.clock.now())


class NotAllowedNote(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "Only whoever is on call now can leave the handoff note: `/oncall who` shows "
            "who that is."
        )
