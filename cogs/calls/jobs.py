"""The calls' jobs: plan each series' next calls (their sessions and Discord events come
from the office-hours engine, through the ``announce`` seam), and the host's notice a day
before each call. Everything is rebuilt from the database at start-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from cogs._common import ready_job
from cogs._send import (
    SEND_ERRORS,
    SendFailed,
    describe,
    dm_reliably,
    post_once,
    send_reliably,
    tell_advocates,
)
from services.calls import AgendaService, CallPlanner
from services.calls.plan import HostNotice
from services.retry import Fault
from services.time.timefmt import discord_timestamp
from storage.calls import CallSeries, PlannedCall

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

SessionSeam = Callable[[int, int], Awaitable[None]]
# Planned again just after a call starts, so the next one is always on the calendar.
REPLAN_AFTER = timedelta(seconds=1)
# Who is in the call's voice or stage channel, sampled this often while it runs.
SAMPLE_EVERY = timedelta(minutes=5)
# A recap that failed to post is tried again this often, for a day after it was written.
RECAP_RETRY = timedelta(minutes=10)
RECAP_GIVE_UP = timedelta(days=1)


def notice_text(notice: HostNotice, guild_id: int) -> str:
    call, series = notice.call, notice.series
    lines = [
        f"📞 You host **{series.title} · {call.slot_name}** "
        f"{discord_timestamp(call.starts_at, 'F')} ({discord_timestamp(call.starts_at, 'R')}).",
        "**Checklist**",
    ]
    if notice.agenda:
        lines.append("- Agenda:")
        lines += [f"  - #{i.id} {i.text}" for i in notice.agenda]
    else:
        lines.append("- Agenda: nothing yet; members add items with `/calls agenda`.")
    if notice.carried:
        lines.append(
            "- Carried from the last call: " + ", ".join(f"#{i.id}" for i in notice.carried)
        )
    else:
        lines.append("- Carried from the last call: none.")
    if notice.event_id is not None:
        lines.append(f"- Event: https://discord.com/events/{guild_id}/{notice.event_id}")
    lines.append(f"- After the call: `/calls notes occurrence:{call.id}` posts the recap.")
    return "\n".join(lines)


# (guild_id, host_id, text, the call's start) -> whether it was sent, held or handed on.
TellHost = Callable[[int, int, str, datetime], Awaitable[bool]]


class CallJobs:
    def __init__(
        self,
        bot: HallwayBot,
        planner: CallPlanner,
        agenda: AgendaService,
        *,
        announce: SessionSeam,
        cancel_session: SessionSeam,
        tell_host: TellHost | None = None,
    ) -> None:
        self.bot = bot
        self.planner = planner
        self.agenda = agenda
        self.announce = announce
        self.cancel_session = cancel_session
        # The advocate inbox (wired in bot.py) holds a host's notice outside their working
        # hours; without it the notice is a DM at once.
        self.tell_host = tell_host
        # Recaps whose failure the advocates were told about (once, not at every retry).
        self._told: set[int] = set()

    def _job(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        return ready_job(self.bot, fn, log, "Calls")

    async def rebuild(self) -> None:
        for series in await self.planner.series_to_plan():
            await self.plan_series(series.guild_id, series.id)
            # A call under way when the bot restarted is sampled again from now on.
            for call in await self.planner.in_progress(series.guild_id, series.id):
                self.schedule_sample(call.guild_id, call.id, self.planner.now())
        # A recap claimed but not posted (a restart or a failure came between) is posted now;
        # post_recap first looks for a post a lost reply may have made.
        for call in await self.agenda.unposted():
            self.schedule_recap(call.guild_id, call.id, self.planner.now())

    async def plan_series(self, guild_id: int, series_id: int) -> list[PlannedCall]:
        """Plan what isn't planned yet, give every call ahead its event and jobs, and
        come back when the earliest starts."""
        made = await self.planner.plan(guild_id, series_id)
        ahead = await self.planner.ahead(guild_id, series_id)
        for call in ahead:
            if call.session_id is not None:
                await self.announce(guild_id, call.session_id)
            self.schedule_notice(call)
        name = f"calls-plan:{series_id}"
        if ahead:
            self.bot.alarm.schedule(
                name,
                ahead[0].starts_at + REPLAN_AFTER,
                self._job(lambda: self._replan(guild_id, series_id)),
            )
        else:
            self.bot.alarm.cancel(name)
        return made

    async def _replan(self, guild_id: int, series_id: int) -> None:
        for call in await self.planner.in_progress(guild_id, series_id):
            self.schedule_sample(guild_id, call.id, self.planner.now())
        await self.plan_series(guild_id, series_id)

    def schedule_sample(self, guild_id: int, call_id: int, due: datetime) -> None:
        self.bot.alarm.schedule(
            f"calls-sample:{call_id}", due, self._job(lambda: self.sample(guild_id, call_id))
        )

    async def sample(self, guild_id: int, call_id: int) -> None:
        """Count the members in the call's channel (from the gateway's voice states) and
        read the event's interested count; again every few minutes until the call ends."""
        call = await self.planner.call(guild_id, call_id)
        series = await self.planner.series_of(call)
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return
        channel = guild.get_channel(series.channel_id) if series.channel_id else None
        members = getattr(channel, "members", [])
        present = sum(1 for m in members if not m.bot)
        interested = None
        event_id = await self.planner.event_of(call)
        if event_id is not None:
            try:
                event = await guild.fetch_scheduled_event(event_id, with_counts=True)
                interested = event.user_count
            except SEND_ERRORS as exc:
                log.info("Could not read event %s's interested count: %r", event_id, exc)
        await self.planner.record_attendance(
            guild_id, call_id, present=present, interested=interested
        )
        nxt = self.planner.now() + SAMPLE_EVERY
        if nxt < call.starts_at + timedelta(minutes=series.duration_minutes):
            self.schedule_sample(guild_id, call_id, nxt)

    def schedule_notice(self, call: PlannedCall) -> None:
        name = f"calls-notice:{call.id}"
        if call.notice_claimed_at is not None or call.host_id is None:
            self.bot.alarm.cancel(name)
            return
        due = max(self.planner.notice_due(call), self.planner.now())
        self.bot.alarm.schedule(
            name, due, self._job(lambda: self.send_notice(call.guild_id, call.id))
        )

    async def send_notice(self, guild_id: int, call_id: int) -> None:
        # Claimed before sending: a restart or a second job never sends it twice.
        notice = await self.planner.claim_notice(guild_id, call_id)
        if notice is None:
            return
        text = notice_text(notice, guild_id)
        if self.tell_host is not None:
            sent = await self.tell_host(guild_id, notice.host_id, text, notice.call.starts_at)
        else:
            sent = await dm_reliably(self.bot, notice.host_id, text)
        if sent:
            await self.planner.record_notice(guild_id, call_id)

    # -- the recap -----------------------------------------------------------

    def schedule_recap(self, guild_id: int, call_id: int, due: datetime) -> None:
        self.bot.alarm.schedule(
            f"calls-recap:{call_id}",
            due,
            self._job(lambda: self._retry_recap(guild_id, call_id)),
        )

    async def _retry_recap(self, guild_id: int, call_id: int) -> None:
        await self.post_recap(guild_id, call_id)

    async def post_recap(
        self,
        guild_id: int,
        call_id: int,
        fallback: discord.abc.Messageable | None = None,
    ) -> discord.Message | None:
        """Post a claimed recap from its stored text, once: through network faults, looking
        for a post a lost reply made before any resend. None when it failed; it is then
        retried every RECAP_RETRY for a day and the advocates are told once."""
        call = await self.planner.call(guild_id, call_id)
        if call.notes_message_id is not None or call.notes_text is None:
            return None
        text = call.notes_text
        series = await self.planner.series_of(call)
        guild = self.bot.get_guild(guild_id)
        try:
            if guild is None:
                raise SendFailed(RuntimeError("guild unavailable"), Fault.FINAL, 1, False)
            channel = await self._thread(guild, series) or fallback
            if channel is None:
                home = guild.get_channel(series.home_channel_id or 0)
                channel = home if isinstance(home, discord.abc.Messageable) else None
            if channel is None:
                raise SendFailed(RuntimeError("no channel to post in"), Fault.FINAL, 1, False)
            where_to = channel
            since = call.notes_claimed_at - timedelta(minutes=1) if call.notes_claimed_at else None
            message = await post_once(
                self.bot, where_to, text, since=since, what=f"recap of call {call_id}"
            )
        except SendFailed as failed:
            log.warning("Could not post the recap of call %s: %r", call_id, failed.error)
            claimed = call.notes_claimed_at or self.planner.now()
            if self.planner.now() + RECAP_RETRY < claimed + RECAP_GIVE_UP:
                self.schedule_recap(guild_id, call_id, self.planner.now() + RECAP_RETRY)
            if call_id not in self._told:
                self._told.add(call_id)
                await tell_advocates(
                    self.bot,
                    guild_id,
                    f"⚠️ I couldn't post the recap of **{series.title} · {call.slot_name}** "
                    f"(call #{call_id}) in its recap thread ({describe(failed)}). I'll try "
                    "again every 10 minutes for a day; check that I can post there.",
                )
            return None
        await self.agenda.set_notes_message(call, message.id)
        self.bot.alarm.cancel(f"calls-recap:{call_id}")
        return message

    async def _thread(self, guild: discord.Guild, series: CallSeries) -> discord.Thread | None:
        """The series' recap thread, opened in its home channel on the first recap."""
        if series.thread_id is not None:
            found = guild.get_thread(series.thread_id) or guild.get_channel(series.thread_id)
            if isinstance(found, discord.Thread):
                return found
        home = guild.get_channel(series.home_channel_id) if series.home_channel_id else None
        if not isinstance(home, discord.TextChannel):
            return None
        name = f"{series.title}: recaps"[:100]

        async def opened() -> discord.Thread | None:
            return next((t for t in home.threads if t.name == name), None)

        thread = await opened() or await send_reliably(
            lambda: home.create_thread(name=name, type=discord.ChannelType.public_thread),
            find_sent=opened,
            pace=self.bot.pacer.wait,
            what=f"recap thread of {series.title}",
        )
        await self.agenda.set_thread(series, thread.id)
        return thread

    async def cancel_sessions(self, guild_id: int, session_ids: list[int]) -> None:
        """A removed slot's planned calls are cancelled with their Discord events."""
        for session_id in session_ids:
            await self.cancel_session(guild_id, session_id)
