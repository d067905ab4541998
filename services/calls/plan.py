"""Planning regional calls: each occurrence becomes an office-hours session (its Discord
event, reminders, automatic start and end come from that engine, through the
``CallSessions`` seam wired in bot.py), gets its host by rotation, and its host a notice
with a checklist 24 hours before.

A call is claimed in call_occurrences (unique per slot and cycle) in the same transaction
that makes its session, so a restart or a second planner never plans it twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.calls.hosts import WINDOW, choose_host
from services.calls.schedule import Occurrence, clean, occurrences
from services.calls.service import CallsService
from services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from storage.calls import AgendaItem, CallSeries, CallSlot, Host, PlannedCall
from storage.office_hours.rows import Session

NOTICE_BEFORE = timedelta(hours=24)
# A notice may be sent late (planned less than a day ahead, or missed while offline), but
# not after the call started.
NO_HOST = 0  # office-hours sessions need a host id; 0 means none yet

# Whether a host can take a call at this time (the advocates' working hours and away
# days plug in here); until that exists, everyone signed up is available.
Available = Callable[[int, int, datetime, datetime], Awaitable[bool]]


async def always_available(guild_id: int, user_id: int, start: datetime, end: datetime) -> bool:
    return True


class CallSessions(Protocol):
    """The office-hours session engine, as the calls need it (wired in bot.py)."""

    async def create_call_session(
        self,
        guild_id: int,
        *,
        title: str,
        description: str | None,
        host_id: int,
        starts_at: datetime,
        ends_at: datetime,
        zone: str,
        location_channel_id: int | None,
        location_kind: str | None,
        text_channel_id: int,
    ) -> Session: ...

    async def session(self, guild_id: int, session_id: int) -> Session | None: ...

    async def set_host(self, guild_id: int, session_id: int, host_id: int) -> None: ...


@dataclass(frozen=True)
class HostNotice:
    call: PlannedCall
    series: CallSeries
    host_id: int
    agenda: list[AgendaItem]  # this region's decisions first, then the open items
    carried: list[AgendaItem]  # of those, items open since before the last call
    event_id: int | None
    ends_at: datetime


@dataclass(frozen=True)
class SwapResult:
    call: PlannedCall
    old_host: int | None
    new_host: int
    other: PlannedCall | None  # the new host's call the old host takes in return


def session_title(series: CallSeries, slot_name: str) -> str:
    return f"{series.title} · {slot_name}"[:100]


class CallPlanner:
    def __init__(
        self,
        calls: CallsService,
        sessions: CallSessions,
        *,
        available: Available = always_available,
    ) -> None:
        self.service = calls
        self.repo = calls.repo
        self.calls = calls.calls
        self.sessions = sessions
        self.available = available

    def now(self) -> datetime:
        return self.service.now()

    # -- planning ---------------------------------------------------------

    async def plan(self, guild_id: int, series_id: int) -> list[PlannedCall]:
        """Plan each slot's next call (parallel) or the series' next call (rotating) that
        isn't planned yet; the new ones, whose sessions need their Discord events."""
        async with self.repo.db.transaction():
            series = await self.repo.series_by_id(guild_id, series_id)
            if series is None:
                return []
            slots = await self.repo.slots(guild_id, series.id)
            now = self.now()
            ahead = await self.calls.after(guild_id, series.id, now)
            wanted: list[Occurrence] = []
            if series.mode == "parallel":
                for slot in slots:
                    if any(c.slot_id == slot.id for c in ahead):
                        continue
                    mine = [
                        c
                        for c in await self.calls.recent(guild_id, series.id, now, WINDOW * 4)
                        if c.slot_id == slot.id
                    ]
                    since = max(now, mine[0].starts_at) if mine else now
                    wanted += occurrences(series, [slot], since, 1)
            elif not ahead and slots:
                past = await self.calls.recent(guild_id, series.id, now, 1)
                last = (past[0].slot_id, past[0].cycle) if past else None
                wanted += occurrences(series, slots, now, 1, last)
            made: list[PlannedCall] = []
            for o in sorted(wanted, key=lambda o: o.starts_at):
                call = await self._make(series, o)
                if call is not None:
                    made.append(call)
        return made

    async def _make(self, series: CallSeries, o: Occurrence) -> PlannedCall | None:
        guild_id = series.guild_id
        host = await self._rotate(series, o.slot.id, o.starts_at, o.ends_at)
        call = await self.calls.claim(
            guild_id,
            series.id,
            slot_id=o.slot.id,
            slot_name=o.slot.name,
            cycle=o.cycle,
            starts_at=o.starts_at,
            host_id=host,
            now=self.now(),
        )
        if call is None:
            return None
        session = await self.sessions.create_call_session(
            guild_id,
            title=session_title(series, o.slot.name),
            description=self._description(series, o.slot),
            host_id=host or NO_HOST,
            starts_at=o.starts_at,
            ends_at=o.ends_at,
            zone=o.slot.zone,
            location_channel_id=series.channel_id,
            location_kind=(series.channel_kind or "voice") if series.channel_id else None,
            text_channel_id=series.home_channel_id or 0,
        )
        await self.calls.set_session(guild_id, call.id, session.id)
        return await self.calls.get(guild_id, call.id)

    @staticmethod
    def _description(series: CallSeries, slot: CallSlot) -> str:
        text = f"The {slot.name} call of {series.title}. Add to the agenda with /calls agenda."
        if series.location:
            text = f"Join: {series.location}\n{text}"
        return text

    async def _rotate(
        self,
        series: CallSeries,
        slot_id: int,
        starts_at: datetime,
        ends_at: datetime,
        *,
        exclude: int | None = None,
    ) -> int | None:
        signed = [
            h.user_id
            for h in await self.calls.hosts(series.guild_id, series.id)
            if h.slot_id == slot_id and h.user_id != exclude
        ]
        free = [u for u in signed if await self.available(series.guild_id, u, starts_at, ends_at)]
        recent = await self.calls.recent(series.guild_id, series.id, starts_at, WINDOW)
        return choose_host(free, [c.host_id for c in recent])

    async def series_to_plan(self) -> list[CallSeries]:
        return await self.repo.every_series()

    async def ahead(self, guild_id: int, series_id: int) -> list[PlannedCall]:
        return await self.calls.after(guild_id, series_id, self.now())

    async def call(self, guild_id: int, call_id: int) -> PlannedCall:
        found = await self.calls.get(guild_id, call_id)
        if found is None:
            raise NotFound(
                f"There's no call #{call_id} here. `/calls upcoming` lists the next ones."
            )
        return found

    async def series_of(self, call: PlannedCall) -> CallSeries:
        series = await self.repo.series_by_id(call.guild_id, call.series_id)
        assert series is not None  # a call's series is deleted with its calls
        return series

    # -- hosts ------------------------------------------------------------

    async def _slot(self, guild_id: int, series: str, slot: str) -> tuple[CallSeries, CallSlot]:
        view = await self.service.get(guild_id, series)
        for s in view.slots:
            if s.name.lower() == clean(slot).lower():
                return view.series, s
        names = ", ".join(s.name for s in view.slots) or "none yet"
        raise NotFound(
            f"**{view.series.title}** has no slot called `{clean(slot)[:40]}` (its slots: {names})."
        )

    async def sign_up(
        self, guild_id: int, user_id: int, series: str, slot: str
    ) -> tuple[CallSeries, CallSlot, list[PlannedCall]]:
        """Sign up to host a slot; the planned calls of that slot with no host get one."""
        async with self.repo.db.transaction():
            found, s = await self._slot(guild_id, series, slot)
            if not await self.calls.add_host(guild_id, found.id, s.id, user_id, self.now()):
                raise Conflict(f"You're already signed up to host **{found.title}** · {s.name}.")
            filled: list[PlannedCall] = []
            for call in await self.calls.after(guild_id, found.id, self.now()):
                if call.slot_id == s.id and call.host_id is None:
                    filled.append(await self._set_host(call, user_id))
        return found, s, filled

    async def leave(
        self, guild_id: int, user_id: int, series: str, slot: str
    ) -> tuple[CallSeries, CallSlot, list[PlannedCall]]:
        """Stop hosting a slot; their planned calls ahead go to the next in the rotation."""
        async with self.repo.db.transaction():
            found, s = await self._slot(guild_id, series, slot)
            if not await self.calls.remove_host(guild_id, s.id, user_id):
                raise InvalidInput(
                    f"You aren't signed up to host **{found.title}** · {s.name}, so there's "
                    "nothing to leave. `/calls host` signs you up."
                )
            moved: list[PlannedCall] = []
            for call in await self.calls.after(guild_id, found.id, self.now()):
                if call.slot_id == s.id and call.host_id == user_id:
                    ends = call.starts_at + timedelta(minutes=found.duration_minutes)
                    new = await self._rotate(found, s.id, call.starts_at, ends, exclude=user_id)
                    moved.append(await self._set_host(call, new))
        return found, s, moved

    async def _set_host(self, call: PlannedCall, host_id: int | None) -> PlannedCall:
        await self.calls.set_host(call.guild_id, call.id, host_id)
        if call.session_id is not None:
            await self.sessions.set_host(call.guild_id, call.session_id, host_id or NO_HOST)
        updated = await self.calls.get(call.guild_id, call.id)
        assert updated is not None
        return updated

    async def hosts(self, guild_id: int, series_id: int) -> list[Host]:
        return await self.calls.hosts(guild_id, series_id)

    async def swap(
        self, guild_id: int, call_id: int, with_id: int, *, by: int, by_advocate: bool
    ) -> SwapResult:
        """Give a call to another host signed up for its slot. If they host a later call
        of the series whose slot the old host is signed up for, the old host takes it:
        a swap; otherwise a hand-over."""
        async with self.repo.db.transaction():
            call = await self.call(guild_id, call_id)
            if call.starts_at <= self.now():
                raise Conflict("That call has already started; swap a call that's still ahead.")
            if not by_advocate and call.host_id != by:
                raise NotAllowed("Only the call's host or an advocate can swap its host.")
            if call.host_id == with_id:
                raise InvalidInput(f"<@{with_id}> already hosts that call.")
            hosts = await self.calls.hosts(guild_id, call.series_id)
            if not any(h.user_id == with_id and h.slot_id == call.slot_id for h in hosts):
                raise InvalidInput(
                    f"<@{with_id}> isn't signed up to host the {call.slot_name} slot, so "
                    "they can't take this call. They sign up with `/calls host`."
                )
            other = None
            old = call.host_id
            if old is not None:
                theirs = [
                    c
                    for c in await self.calls.after(guild_id, call.series_id, self.now())
                    if c.host_id == with_id
                    and c.id != call.id
                    and any(h.user_id == old and h.slot_id == c.slot_id for h in hosts)
                ]
                if theirs:
                    other = await self._set_host(theirs[0], old)
            updated = await self._set_host(call, with_id)
        return SwapResult(updated, old, with_id, other)

    # -- the host notice ----------------------------------------------------

    def notice_due(self, call: PlannedCall) -> datetime:
        return call.starts_at - NOTICE_BEFORE

    async def claim_notice(self, guild_id: int, call_id: int) -> HostNotice | None:
        """Claim the host's 24-hour notice; None when it must not be sent (no host, already
        claimed, the call started or was cancelled)."""
        async with self.repo.db.transaction():
            call = await self.calls.get(guild_id, call_id)
            if call is None or call.host_id is None or call.session_id is None:
                return None
            if self.now() >= call.starts_at or call.notice_claimed_at is not None:
                return None
            session = await self.sessions.session(guild_id, call.session_id)
            if session is None or session.status != "scheduled":
                return None
            series = await self.series_of(call)
            agenda = await self.agenda_for(call)
            past = await self.calls.recent(guild_id, call.series_id, call.starts_at, 1)
            since = past[0].starts_at if past else None
            carried = [i for i in agenda if since is not None and i.added_at < since]
            if not await self.calls.claim_notice(guild_id, call.id, self.now()):
                return None
        return HostNotice(
            call, series, call.host_id, agenda, carried, session.event_id, session.ends_at
        )

    async def record_notice(self, guild_id: int, call_id: int) -> None:
        await self.calls.record_notice(guild_id, call_id, self.now())

    async def agenda_for(self, call: PlannedCall) -> list[AgendaItem]:
        """A call's agenda: decisions other regions made for it first, then the open items."""
        items = await self.calls.open_items(call.guild_id, call.series_id)
        decisions = [i for i in items if i.for_slot_id == call.slot_id]
        general = [i for i in items if i.for_slot_id is None]
        return decisions + general

    # -- attendance ---------------------------------------------------------

    async def in_progress(self, guild_id: int, series_id: int) -> list[PlannedCall]:
        """The series' calls under way now (started, not yet past their planned end)."""
        series = await self.repo.series_by_id(guild_id, series_id)
        if series is None:
            return []
        now = self.now()
        length = timedelta(minutes=series.duration_minutes)
        recent = await self.calls.recent(guild_id, series_id, now + timedelta(microseconds=1), 4)
        return [c for c in recent if c.starts_at <= now < c.starts_at + length]

    async def event_of(self, call: PlannedCall) -> int | None:
        if call.session_id is None:
            return None
        session = await self.sessions.session(call.guild_id, call.session_id)
        return session.event_id if session is not None else None

    async def record_attendance(
        self, guild_id: int, call_id: int, *, present: int, interested: int | None
    ) -> None:
        """One sample: the peak presence only ever rises; the interested count is the
        latest the event reported."""
        async with self.repo.db.transaction():
            await self.calls.raise_peak(guild_id, call_id, present)
            if interested is not None:
                await self.calls.set_interested(guild_id, call_id, interested)

    async def attendance_since(
        self, guild_id: int, since: datetime, until: datetime
    ) -> list[tuple[str, str, int | None, int | None]]:
        """(series title, slot name, interested, peak present) of the calls held in
        [since, until), for the digest."""
        found = []
        titles = {s.id: s.title for s in await self.repo.all_series(guild_id)}
        for c in await self.calls.between(guild_id, since, until):
            if c.series_id in titles:
                found.append((titles[c.series_id], c.slot_name, c.interested, c.present_peak))
        return found
