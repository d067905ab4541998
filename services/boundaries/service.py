"""Advocates' working hours and time off, and the held notices that respect them.

Everything Hallway sends an advocate personally goes through the inbox (cogs/boundaries/
inbox.py), which asks ``route`` here: send now, hold until their next working hours, or
(urgent and they're off) hand it to whoever covers. Held notices wait in SQLite and go
out as one message; a delivery is claimed before it is sent and recorded after.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from services.boundaries.hours import (
    Hours,
    Span,
    away_at,
    days_text,
    in_hours,
    minute_text,
    next_available,
    parse_days,
    parse_minute,
)
from services.boundaries.load import Load, compute
from services.errors import InvalidInput, NotFound
from services.plural import plural
from services.text import strip_invisible
from services.time.clock import Clock
from services.time.timefmt import discord_timestamp
from services.time.timeparse import parse_when
from services.time.timezones import resolve_zone
from storage.boundaries import AwayRow, BoundariesRepository, DeliveryRow, HeldNotice, HoursRow

MAX_NOTE = 200
MAX_LOAD_WEEKS = 12
MAX_AWAY = timedelta(days=366)
# A notice about something starting within this long can't wait for working hours.
URGENT_WITHIN = timedelta(hours=1)
MESSAGE_LIMIT = 1900
HEADER = "🌅 **While you were off**"

# (guild_id, subject) -> whether a held notice about ``subject`` is still worth sending.
StillDue = Callable[[int, str], Awaitable[bool]]
# (guild_id, start, end) -> (user_id, when) of one kind of work from another feature.
LoadSource = Callable[[int, datetime, datetime], Awaitable[list[tuple[int, datetime]]]]


@dataclass(frozen=True)
class Boundaries:
    hours: Hours | None
    away: list[AwayRow]
    held: int
    available_now: bool
    back_at: datetime


@dataclass(frozen=True)
class Route:
    """What to do with one notice: ``send`` now, ``held`` until ``until``, or ``cover``."""

    action: Literal["send", "held", "cover"]
    until: datetime | None = None


def _hours(row: HoursRow | None) -> Hours | None:
    if row is None:
        return None
    return Hours(row.days, row.start_minute, row.end_minute, ZoneInfo(row.zone))


def _spans(away: list[AwayRow]) -> list[Span]:
    return [Span(a.starts_at, a.ends_at) for a in away]


def hours_text(hours: Hours | None) -> str:
    if hours is None:
        return "not set: Hallway treats you as always in"
    return (
        f"{days_text(hours.days)} {minute_text(hours.start_minute)}–"
        f"{minute_text(hours.end_minute)} {hours.zone.key}"
    )


def digest_text(texts: list[str]) -> str:
    """One message for every held notice, cut to fit Discord's limit."""
    lines = [f"{HEADER} ({plural(len(texts), 'notice')} held for you):"]
    used = len(lines[0])
    for shown, text in enumerate(texts):
        line = f"• {text}"
        if used + len(line) + 1 > MESSAGE_LIMIT:
            lines.append(f"… and {plural(len(texts) - shown, 'more notice')}.")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)


class BoundariesService:
    def __init__(
        self,
        repo: BoundariesRepository,
        clock: Clock,
        guild_zone: Callable[[int], Awaitable[str]],
    ) -> None:
        self.repo = repo
        self._clock = clock
        self._guild_zone = guild_zone
        # feature -> its check for held notices that can go stale (drop_when_stale).
        self._still_due: dict[str, StillDue] = {}
        # Figures of the load view other features provide (bot.py: "calls" from regional
        # calls' CallsService.hosted_between).
        self.load_sources: dict[str, LoadSource] = {}

    # ------------------------------------------------------------------ hours and time off

    async def set_hours(
        self, guild_id: int, user_id: int, days: str, start: str, end: str, zone: str
    ) -> Hours:
        parsed_days = parse_days(days)
        start_minute = parse_minute(start, "start")
        end_minute = parse_minute(end, "end")
        if start_minute >= 1440:
            raise InvalidInput("Your hours can't start at 24:00: use `00:00` of the next day.")
        if start_minute >= end_minute:
            raise InvalidInput(
                f"Your hours start at {minute_text(start_minute)} but end at "
                f"{minute_text(end_minute)}: the start must be before the end (hours that "
                "cross midnight aren't supported; use `end:24:00`)."
            )
        zone_info = resolve_zone(zone)
        row = HoursRow(guild_id, user_id, parsed_days, start_minute, end_minute, zone_info.key)
        await self.repo.set_hours(row, self._clock.now())
        return Hours(parsed_days, start_minute, end_minute, zone_info)

    async def hours(self, guild_id: int, user_id: int) -> Hours | None:
        return _hours(await self.repo.hours(guild_id, user_id))

    async def zone_for(self, guild_id: int, user_id: int) -> ZoneInfo:
        hours = await self.hours(guild_id, user_id)
        return hours.zone if hours else ZoneInfo(await self._guild_zone(guild_id))

    async def add_away(
        self, guild_id: int, user_id: int, start: str, until: str, note: str | None
    ) -> AwayRow:
        now = self._clock.now()
        zone = await self.zone_for(guild_id, user_id)
        if start.strip().lower() in ("now", "today", ""):
            starts_at = now
        else:
            starts_at = parse_when(start, now=now, zone=zone)
        ends_at = parse_when(until, now=now, zone=zone, max_ahead=MAX_AWAY + timedelta(days=31))
        if ends_at <= starts_at:
            raise InvalidInput(
                f"Your time off would end ({discord_timestamp(ends_at)}) before it starts "
                f"({discord_timestamp(starts_at)}): `until` must be after `from`."
            )
        if ends_at - starts_at > MAX_AWAY:
            raise InvalidInput("Time off can last at most a year: split it into shorter spans.")
        cleaned = strip_invisible(note or "").strip() or None
        if cleaned is not None and len(cleaned) > MAX_NOTE:
            raise InvalidInput(f"The note is too long (max {MAX_NOTE} characters).")
        away_id = await self.repo.add_away(guild_id, user_id, starts_at, ends_at, cleaned, now)
        return AwayRow(away_id, guild_id, user_id, starts_at, ends_at, cleaned)

    async def cancel_away(self, guild_id: int, user_id: int, away_id: int) -> None:
        if not await self.repo.delete_away(guild_id, user_id, away_id):
            raise NotFound(f"You have no time off with id {away_id}: `/advocate me` lists yours.")

    async def boundaries(self, guild_id: int, user_id: int) -> Boundaries:
        now = self._clock.now()
        hours = await self.hours(guild_id, user_id)
        away = await self.repo.away(guild_id, user_id, now)
        held = len(await self.repo.held(guild_id, user_id))
        back = next_available(hours, _spans(away), now)
        return Boundaries(hours, away, held, back == now, back)

    async def is_available(self, guild_id: int, user_id: int, at: datetime | None = None) -> bool:
        at = at or self._clock.now()
        away = await self.repo.away(guild_id, user_id, at)
        if away_at(_spans(away), at) is not None:
            return False
        return in_hours(await self.hours(guild_id, user_id), at)

    async def free_for(self, guild_id: int, user_id: int, start: datetime, end: datetime) -> bool:
        """Whether an advocate can take something from ``start`` to ``end`` (a call to host):
        inside their working hours at both ends, and not away at any moment of it."""
        away = _spans(await self.repo.away(guild_id, user_id, start))
        if any(a.starts_at < end and start < a.ends_at for a in away):
            return False
        hours = await self.hours(guild_id, user_id)
        return in_hours(hours, start) and in_hours(hours, end - timedelta(microseconds=1))

    async def back_at(self, guild_id: int, user_id: int) -> datetime:
        now = self._clock.now()
        away = await self.repo.away(guild_id, user_id, now)
        return next_available(await self.hours(guild_id, user_id), _spans(away), now)

    # ------------------------------------------------------------------ the inbox's rules

    async def route(self, guild_id: int, user_id: int, starts_at: datetime | None = None) -> Route:
        """Send now, hold, or (something starting within the hour) hand to cover."""
        now = self._clock.now()
        back = await self.back_at(guild_id, user_id)
        if back <= now:
            return Route("send")
        if starts_at is not None and starts_at - now <= URGENT_WITHIN:
            return Route("cover", back)
        return Route("held", back)

    def drop_when_stale(self, kind: str, still_due: StillDue) -> None:
        """Held notices of ``kind`` told with a subject are checked with ``still_due`` just
        before they are delivered; one no longer due (a help post that got its reply) is
        dropped, not delivered. Wired in bot.py."""
        self._still_due[kind] = still_due

    async def hold(
        self, guild_id: int, user_id: int, kind: str, text: str, subject: str | None = None
    ) -> datetime:
        """Keep the notice for the advocate's next working hours; returns when that is.

        ``subject`` (e.g. a help post's message id) is stored with the kind as
        ``kind:subject``, for the check before delivery."""
        stored = f"{kind}:{subject}" if subject is not None else kind
        await self.repo.hold(guild_id, user_id, stored, text, self._clock.now())
        return await self.back_at(guild_id, user_id)

    async def _stale(self, guild_id: int, held: list[HeldNotice]) -> list[int]:
        """The ids of held notices whose subject no longer needs telling."""
        stale = []
        for notice in held:
            kind, _, subject = notice.kind.partition(":")
            still_due = self._still_due.get(kind)
            if subject and still_due is not None and not await still_due(guild_id, subject):
                stale.append(notice.id)
        return stale

    async def claim_delivery(self, guild_id: int, user_id: int) -> DeliveryRow | None:
        """The delivery to send now: one claimed before a restart, or the held notices
        gathered into one. None while the advocate is still off or nothing is held."""
        unsent = await self.repo.unsent_delivery(guild_id, user_id)
        if unsent is not None:
            return unsent
        if not await self.is_available(guild_id, user_id):
            return None
        held = await self.repo.held(guild_id, user_id)
        stale = await self._stale(guild_id, held)
        if stale:
            await self.repo.drop(guild_id, stale)
            held = [n for n in held if n.id not in stale]
        if not held:
            return None
        text = digest_text([n.text for n in held])
        now = self._clock.now()
        delivery_id = await self.repo.claim(guild_id, user_id, [n.id for n in held], text, now)
        return DeliveryRow(delivery_id, guild_id, user_id, text, now, None, len(held))

    async def record_sent(self, delivery: DeliveryRow) -> None:
        await self.repo.record_sent(delivery.guild_id, delivery.id, self._clock.now())

    async def release(self, delivery: DeliveryRow) -> None:
        await self.repo.release(delivery.guild_id, delivery.id)

    async def pending(self) -> list[tuple[int, int]]:
        return await self.repo.members_with_held()

    async def about(self, guild_id: int, user_id: int) -> list[str]:
        """What /me show lists for this feature."""
        b = await self.boundaries(guild_id, user_id)
        lines: list[str] = []
        if b.hours is not None:
            lines.append(f"Working hours: {hours_text(b.hours)}")
        lines += [
            f"Time off: {discord_timestamp(a.starts_at)} → {discord_timestamp(a.ends_at)}"
            for a in b.away
        ]
        if b.held:
            lines.append(f"{plural(b.held, 'notice')} held for your next working hours")
        return lines

    # ------------------------------------------------------------------ the load view

    async def load(self, guild_id: int, weeks: int, advocates: list[int]) -> list[Load]:
        if not 1 <= weeks <= MAX_LOAD_WEEKS:
            raise InvalidInput(f"`weeks` is from 1 to {MAX_LOAD_WEEKS}.")
        end = self._clock.now()
        start = end - timedelta(weeks=weeks)
        events = await self.repo.load_events(guild_id, start, end)
        for kind, source in self.load_sources.items():
            events[kind] = await source(guild_id, start, end)
        hours = {
            h.user_id: hour for h in await self.repo.all_hours(guild_id) if (hour := _hours(h))
        }
        days = await self.repo.active_days(guild_id, start, end + timedelta(days=1))
        return compute(advocates, events, hours, days)
