"""The hallway track's rules: joining, "never" lists, settings, rounds and their figures.

A round is claimed in the database with all its groups before any thread is made
(``start_round``); the cog then makes each group's thread and records it
(``begin_group`` / ``group_created`` / ``group_refused``), so a restart finishes a
round without making a second thread for any group.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.hallway.hours import MAX_FREE_HOURS_TEXT, parse_free_hours
from services.hallway.matching import pair_key
from services.hallway.planning import Plan, plan_round
from services.hallway.schedule import (
    CADENCES,
    LATE_LIMIT,
    describe,
    first_round,
    next_round,
    parse_day,
    parse_time_of_day,
)
from services.text import strip_invisible
from services.time.clock import Clock
from services.time.timezones import resolve_zone
from storage.hallway import (
    Group,
    HallwayConfig,
    HallwayMember,
    HallwayRepository,
    NewGroup,
    PastGroup,
    Round,
)

MAX_INTERESTS = 5
MAX_INTEREST = 40
MAX_INTRO = 200
MAX_PAUSE_DAYS = 366
DEFAULT_FOLLOWUP_DAYS = 4
ANSWERS = ("yes", "not-yet", "no")
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

ZoneOf = Callable[[int, int], Awaitable[str | None]]
Zones = Callable[[int], Awaitable[dict[int, str]]]
SetZone = Callable[[int, int, str], Awaitable[str]]


@dataclass(frozen=True)
class Status:
    member: HallwayMember | None
    config: HallwayConfig | None
    cadence: str | None
    partners: list[PastGroup]
    never: int


@dataclass(frozen=True)
class Stats:
    pool: int
    rounds: int
    groups: int
    asked: int
    met: int
    repeats: int

    @property
    def met_rate(self) -> float | None:
        return self.met / self.asked if self.asked else None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeats / self.groups if self.groups else None


@dataclass(frozen=True)
class HallwayFigures:
    """The digest's hallway section."""

    groups_made: int
    answered: int
    met: int
    new_connections: int

    @property
    def met_rate(self) -> float | None:
        return self.met / self.answered if self.answered else None


def parse_interests(text: str) -> list[str]:
    cleaned = strip_invisible(text)
    items: list[str] = []
    for part in re.split(r"[,\n;]", cleaned):
        item = " ".join(part.split()).lower()
        if item and item not in items:
            items.append(item)
    if len(items) > MAX_INTERESTS:
        raise InvalidInput(
            f"That's {len(items)} interests: pick up to {MAX_INTERESTS}, separated by commas "
            "(e.g. `rust, webhooks, ai agents`)."
        )
    long = [i for i in items if len(i) > MAX_INTEREST]
    if long:
        raise InvalidInput(
            f"Keep each interest under {MAX_INTEREST} characters (`{long[0][:40]}…` is longer)."
        )
    return items


class HallwayService:
    def __init__(
        self,
        repo: HallwayRepository,
        clock: Clock,
        *,
        zone_of: ZoneOf,
        zones: Zones,
        set_zone: SetZone,
        guild_zone: Callable[[int], Awaitable[str]],
    ) -> None:
        self.repo = repo
        self._clock = clock
        self._zone_of = zone_of
        self._zones = zones
        self._set_zone = set_zone
        self._guild_zone = guild_zone

    def now(self) -> datetime:
        return self._clock.now()

    # ------------------------------------------------------------------ members

    async def needs_zone(self, guild_id: int, user_id: int) -> bool:
        return await self._zone_of(guild_id, user_id) is None

    async def join(
        self,
        guild_id: int,
        user_id: int,
        *,
        interests: str,
        intro: str,
        free_hours: str,
        zone: str | None,
        server_joined_at: datetime | None,
    ) -> HallwayMember:
        """Join the pool, or edit the answers; everything is checked before anything is saved."""
        parsed = parse_interests(interests)
        intro = " ".join(strip_invisible(intro).split())
        if len(intro) > MAX_INTRO:
            raise InvalidInput(f"Keep the intro to one line of up to {MAX_INTRO} characters.")
        hours = " ".join(strip_invisible(free_hours).split())
        if len(hours) > MAX_FREE_HOURS_TEXT:
            raise InvalidInput(f"Keep free hours under {MAX_FREE_HOURS_TEXT} characters.")
        parse_free_hours(hours)
        if zone and zone.strip():
            resolve_zone(zone)  # checked before anything is written
        if zone and zone.strip():
            await self._set_zone(guild_id, user_id, zone)
        await self.repo.save_member(
            guild_id,
            user_id,
            interests=parsed,
            intro=intro,
            free_hours=hours,
            server_joined_at=server_joined_at,
            now=self.now(),
        )
        member = await self.repo.get_member(guild_id, user_id)
        assert member is not None
        return member

    async def member(self, guild_id: int, user_id: int) -> HallwayMember | None:
        return await self.repo.get_member(guild_id, user_id)

    async def leave(self, guild_id: int, user_id: int) -> None:
        member = await self.repo.get_member(guild_id, user_id)
        if member is None or not member.active:
            raise NotFound("You're not in the hallway track. `/hallway join` to take part.")
        await self.repo.set_active(guild_id, user_id, False, self.now())

    async def _member_zone(self, guild_id: int, user_id: int) -> ZoneInfo:
        name = await self._zone_of(guild_id, user_id) or await self._guild_zone(guild_id)
        return ZoneInfo(name)

    async def pause(self, guild_id: int, user_id: int, until: str) -> datetime:
        """Skip rounds until the start of a date, in the member's zone."""
        member = await self.repo.get_member(guild_id, user_id)
        if member is None or not member.active:
            raise NotFound("You're not in the hallway track. `/hallway join` to take part.")
        match = _DATE.match(strip_invisible(until).strip())
        if match is None:
            raise InvalidInput(f"`{until[:30]}` isn't a date. Use YYYY-MM-DD, e.g. 2026-02-01.")
        try:
            day = datetime(int(match[1]), int(match[2]), int(match[3])).date()  # noqa: DTZ001
        except ValueError:
            raise InvalidInput(
                f"`{until[:30]}` isn't a real date. Use YYYY-MM-DD, e.g. 2026-02-01."
            ) from None
        zone = await self._member_zone(guild_id, user_id)
        at = datetime.combine(day, time(0, 0), zone)
        now = self.now()
        if at <= now:
            raise InvalidInput("That date is in the past (or today): pick a later date.")
        if at - now > timedelta(days=MAX_PAUSE_DAYS):
            raise InvalidInput("Pause for up to a year; `/hallway leave` to stop altogether.")
        await self.repo.set_paused(guild_id, user_id, at, now)
        return at

    async def never(self, guild_id: int, user_id: int, other_id: int, other_is_bot: bool) -> bool:
        if other_id == user_id:
            raise InvalidInput("You can't exclude yourself.")
        if other_is_bot:
            raise InvalidInput("Bots never take part, so there's no need.")
        return await self.repo.add_never(guild_id, user_id, other_id, self.now())

    async def never_remove(self, guild_id: int, user_id: int, other_id: int) -> None:
        if not await self.repo.remove_never(guild_id, user_id, other_id):
            raise NotFound("That person isn't on your never list.")

    async def status(self, guild_id: int, user_id: int) -> Status:
        config = await self.repo.get_config(guild_id)
        groups = await self.repo.past_groups(guild_id, user_id)
        return Status(
            member=await self.repo.get_member(guild_id, user_id),
            config=config,
            cadence=describe(config) if config else None,
            partners=groups[:3],
            never=await self.repo.never_count(guild_id, user_id),
        )

    async def about(self, guild_id: int, user_id: int) -> list[str]:
        """What /me show lists for the hallway track."""
        member = await self.repo.get_member(guild_id, user_id)
        if member is None:
            return []
        state = "taking part" if member.active else "left"
        lines = [
            f"Status: {state}",
            "Interests: " + (", ".join(member.interests) or "none"),
            f"Intro: {member.intro or 'none'}",
            f"Free hours: {member.free_hours or 'not given'}",
            f"Never list: {await self.repo.never_count(guild_id, user_id)} people",
            f"Past groups: {len(await self.repo.past_groups(guild_id, user_id))}",
        ]
        return lines

    # ------------------------------------------------------------------ settings

    async def configure(
        self,
        guild_id: int,
        *,
        channel_id: int,
        cadence: str,
        day: str,
        post_time: str,
        timezone: str | None,
        group_size: int,
        followup_days: int | None,
    ) -> HallwayConfig:
        if cadence not in CADENCES:
            raise InvalidInput("Pick a cadence: weekly, every-2-weeks or monthly.")
        if group_size not in (2, 3):
            raise InvalidInput("Group size is 2 (pairs only) or 3 (an odd pool makes a trio).")
        days = DEFAULT_FOLLOWUP_DAYS if followup_days is None else followup_days
        if not 1 <= days <= 30:
            raise InvalidInput('Ask "did you meet?" between 1 and 30 days after a round.')
        weekday = parse_day(day)
        hhmm = parse_time_of_day(post_time)
        zone = resolve_zone(timezone).key if timezone else await self._guild_zone(guild_id)
        now = self.now()
        anchor = first_round(cadence, weekday, hhmm, ZoneInfo(zone), now)
        config = HallwayConfig(
            guild_id=guild_id,
            channel_id=channel_id,
            cadence=cadence,
            weekday=weekday,
            post_time=hhmm,
            timezone=zone,
            group_size=group_size,
            followup_days=days,
            anchor=anchor,
            next_run_at=anchor,
        )
        await self.repo.save_config(config, now)
        return config

    async def config(self, guild_id: int) -> HallwayConfig:
        config = await self.repo.get_config(guild_id)
        if config is None:
            raise NotFound(
                "The hallway track isn't set up here yet: an advocate runs `/hallway configure`."
            )
        return config

    async def scheduled(self) -> list[HallwayConfig]:
        return await self.repo.scheduled()

    # ------------------------------------------------------------------ rounds

    async def plan(
        self, guild_id: int, at: datetime, present: Mapping[int, datetime | None]
    ) -> Plan:
        """The groups the next round at ``at`` would make among members still present."""
        config = await self.config(guild_id)
        joined = {uid: when for uid, when in present.items() if when is not None}
        if joined:
            await self.repo.set_server_joined(guild_id, joined)
        members = [
            m
            for m in await self.repo.active_members(guild_id)
            if m.user_id in present and (m.paused_until is None or m.paused_until <= at)
        ]
        number = await self.repo.last_round_number(guild_id) + 1
        history = {
            pair_key(a, b): number - last for a, b, last in await self.repo.history(guild_id)
        }
        never = frozenset(pair_key(a, b) for a, b in await self.repo.never_pairs(guild_id))
        return plan_round(
            guild_id=guild_id,
            round_number=number,
            at=at,
            members=members,
            zones=await self._zones(guild_id),
            history=history,
            never=never,
            group_size=config.group_size,
        )

    async def start_round(
        self, guild_id: int, at: datetime, present: Mapping[int, datetime | None]
    ) -> Round | None:
        """Claim round ``at`` with its groups. None: that round was already claimed."""
        existing = await self.repo.round_for(guild_id, at)
        if existing is not None:
            return None
        plan = await self.plan(guild_id, at, present)
        if plan.pool_size < 2:
            raise Conflict(
                "There aren't enough members in the pool for a round: at least two need to "
                "`/hallway join` (and not be paused)."
            )
        groups = [NewGroup(g.members, g.reasons, g.suggested) for g in plan.groups]
        return await self.repo.claim_round(
            guild_id, plan.round_number, at, plan.pool_size, groups, plan.sitouts, self.now()
        )

    async def due_round(self, guild_id: int) -> datetime | None:
        """The scheduled round to run now, or None (not due, or too late: then skipped)."""
        config = await self.repo.get_config(guild_id)
        if config is None or config.next_run_at is None:
            return None
        now = self.now()
        due = config.next_run_at
        if due > now:
            return None
        if now - due > LATE_LIMIT:
            await self.advance(guild_id)
            return None
        return due

    async def advance(self, guild_id: int) -> datetime | None:
        """Move the schedule past now; returns the next round."""
        config = await self.repo.get_config(guild_id)
        if config is None:
            return None
        now = self.now()
        after = max(now, config.next_run_at or now)
        upcoming = next_round(replace(config, anchor=config.anchor), after)
        await self.repo.set_next_run(guild_id, upcoming, now)
        return upcoming

    async def running_rounds(self) -> list[Round]:
        return await self.repo.running_rounds()

    async def round_groups(self, round_id: int) -> list[Group]:
        return await self.repo.round_groups(round_id)

    async def group_members(self, guild_id: int, group: Group) -> list[HallwayMember]:
        found = [await self.repo.get_member(guild_id, uid) for uid in group.members]
        return [m for m in found if m is not None]

    async def begin_group(self, group: Group) -> None:
        await self.repo.mark_creating(group.id, self.now())

    async def thread_made(self, group: Group, thread_id: int) -> None:
        """Recorded as soon as the thread exists, before members are added or the intro sent."""
        await self.repo.set_thread(group.id, thread_id)

    async def group_created(self, group: Group, thread_id: int) -> datetime:
        config = await self.config(group.guild_id)
        followup = self.now() + timedelta(days=config.followup_days)
        await self.repo.mark_created(group.id, thread_id, followup, self.now())
        return followup

    async def group_refused(self, group: Group, problem: str) -> None:
        await self.repo.mark_refused(group.id, problem, self.now())

    async def finish_round(self, round_id: int) -> None:
        await self.repo.finish_round(round_id, self.now())

    async def sitouts(self, round_id: int) -> list:
        return await self.repo.sitouts(round_id)

    async def sitout_told(self, round_id: int, user_id: int) -> None:
        await self.repo.mark_notified(round_id, user_id, self.now())

    # ------------------------------------------------------------------ follow-ups

    async def followups_waiting(self) -> list[Group]:
        return await self.repo.followups_waiting()

    async def claim_followup(self, group: Group) -> bool:
        return await self.repo.claim_followup(group.id, self.now())

    async def record_followup(self, group: Group, message_id: int) -> None:
        await self.repo.record_followup(group.id, message_id)

    async def group(self, guild_id: int, group_id: int) -> Group | None:
        return await self.repo.group(guild_id, group_id)

    async def answer(self, guild_id: int, group_id: int, user_id: int, answer: str) -> Group:
        if answer not in ANSWERS:
            raise InvalidInput("That answer isn't one of the buttons.")
        group = await self.repo.group(guild_id, group_id)
        if group is None:
            raise NotFound("That hallway group doesn't exist any more.")
        if user_id not in group.members:
            raise NotAllowed("Only the people in this group can answer.")
        await self.repo.set_answer(guild_id, group_id, user_id, answer, self.now())
        return group

    # ------------------------------------------------------------------ figures

    async def stats(self, guild_id: int) -> Stats:
        rounds, groups = await self.repo.round_stats(guild_id)
        past = sorted(
            await self.repo.past_groups(guild_id), key=lambda g: (g.round_number, g.group_id)
        )
        seen: set[tuple[int, int]] = set()
        repeats = 0
        for group in past:
            pairs = {pair_key(a, b) for a in group.members for b in group.members if a < b and a}
            if pairs & seen:
                repeats += 1
            seen |= pairs
        return Stats(
            pool=await self.repo.pool_count(guild_id, self.now()),
            rounds=rounds,
            groups=groups,
            asked=sum(1 for g in past if g.answered),
            met=sum(1 for g in past if g.met),
            repeats=repeats,
        )

    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> HallwayFigures:
        made = await self.repo.delivered_between(guild_id, start, end)
        # One read of the window's answered groups gives all three figures.
        answered = await self.repo.answered_groups(guild_id, start, end)
        met = sum(1 for _, is_met, _ in answered if is_met)
        new = sum(1 for _, _, is_new in answered if is_new)
        return HallwayFigures(len(made), len(answered), met, new)
