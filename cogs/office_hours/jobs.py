"""The office-hours session lifecycle that runs on the alarm clock.

SessionLifecycle moves a session through its life on both paths, an advocate's
command and an alarm job: it keeps the native Discord scheduled event in step,
plans the auto start/end and reminder jobs (rebuilt from the database at
start-up), and posts the board, the recap, reminders and the carried-over DMs.
It is kept apart from the cog so the slash commands and buttons read on their
own; it is a plain class the cog holds, not a Cog. The board refresher is passed
in because the cog, which also redraws the board after queue changes, owns it.
find_channel, tell and archive_thread are what both of them need, kept here so
the cog imports this module and never the other way round.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import discord

from cogs._common import NO_PINGS, ready_job
from cogs._send import (
    DEFAULT_POLICY,
    ONCE,
    SEND_ERRORS,
    RetryPolicy,
    SendFailed,
    describe,
    dm_reliably,
    find_recent,
    post_once,
    send_reliably,
    tell_advocates,
)
from cogs.office_hours.render import escape_md, render_board, render_recap, where_text
from cogs.office_hours.views import board_view
from services.office_hours import CancelResult, OfficeHoursService, Recap, format_offset
from services.time.timefmt import both
from storage.office_hours.rows import NewSession, OfficeHoursSettings, Question, Session

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

MAX_REMINDER_MENTIONS = 50


async def find_channel(
    bot: HallwayBot, channel_id: int | None, policy: RetryPolicy = ONCE
) -> discord.abc.Messageable | None:
    if channel_id is None:
        return None
    channel = bot.get_channel(channel_id)
    if channel is None:
        try:
            channel = await send_reliably(
                lambda: bot.fetch_channel(channel_id),
                policy=policy,
                pace=bot.pacer.wait,
                what=f"look-up of #{channel_id}",
            )
        except SendFailed:
            log.warning("Office-hours channel %s is gone or hidden", channel_id)
            return None
    return channel if isinstance(channel, discord.abc.Messageable) else None


async def archive_thread(thread: object, policy: RetryPolicy = ONCE) -> None:
    """Close a question's thread once it is done with, as help forums do, so the channel's
    thread list shows only live questions. Archived, not locked: a reply reopens it, and the
    recap's links still work."""
    if not isinstance(thread, discord.Thread) or thread.archived:
        return
    try:
        await send_reliably(
            lambda: thread.edit(archived=True),
            policy=policy,
            what=f"archiving {thread.id}",
        )
    except SendFailed as exc:
        log.warning("Could not archive question thread %s: %s", thread.id, exc)


async def tell(bot: HallwayBot, user_ids: list[int], text: str, policy: RetryPolicy = ONCE) -> None:
    """Direct messages; members who closed their DMs simply don't get one."""
    for user_id in user_ids:
        await dm_reliably(bot, user_id, text, policy=policy)


def custom_ids(message: discord.Message) -> set[str]:
    ids: set[str] = set()
    for row in message.components:
        for item in getattr(row, "children", [row]):
            custom_id = getattr(item, "custom_id", None)
            if custom_id:
                ids.add(custom_id)
    return ids


def _seconds_ago(bot: HallwayBot, seconds: float = 1.0) -> datetime:
    # A lower bound for a post about to be made, so find_recent reads only newer messages.
    return bot.clock.now() - timedelta(seconds=seconds)


def _policy(by_alarm: bool) -> RetryPolicy:
    return DEFAULT_POLICY if by_alarm else ONCE


class SessionLifecycle:
    def __init__(
        self,
        bot: HallwayBot,
        service: OfficeHoursService,
        refresh_board: Callable[[int, int], Awaitable[None]],
    ) -> None:
        self.bot = bot
        self.service = service
        self._refresh_board = refresh_board
        # Set by bot.py when the on-call rotation is wired: guild_id -> the board's
        # "Who to ask" line (the on-call advocate, and when the others are back), or None.
        self.who_to_ask: Callable[[int], Awaitable[str | None]] | None = None
        self._reminder_jobs: dict[int, set[str]] = {}

    def _guild(self, guild_id: int) -> discord.Guild | None:
        return self.bot.get_guild(guild_id)

    async def board_who(self, guild_id: int) -> str | None:
        return await self.who_to_ask(guild_id) if self.who_to_ask is not None else None

    async def create_event(
        self, session_like: Session | NewSession, guild: discord.Guild
    ) -> discord.ScheduledEvent:
        kwargs: dict[str, object] = {
            "name": session_like.title,
            "start_time": session_like.starts_at,
            "end_time": session_like.ends_at,
            "privacy_level": discord.PrivacyLevel.guild_only,
        }
        if session_like.description:
            kwargs["description"] = session_like.description
        if session_like.location_channel_id and session_like.location_kind == "stage":
            kwargs["entity_type"] = discord.EntityType.stage_instance
            kwargs["channel"] = discord.Object(session_like.location_channel_id)
        elif session_like.location_channel_id:
            kwargs["entity_type"] = discord.EntityType.voice
            kwargs["channel"] = discord.Object(session_like.location_channel_id)
        else:
            text = guild.get_channel(session_like.text_channel_id)
            kwargs["entity_type"] = discord.EntityType.external
            kwargs["location"] = f"#{text.name}" if text is not None else "Discord text channel"
        return await guild.create_scheduled_event(**kwargs)  # type: ignore[arg-type]

    async def _set_event(
        self,
        session: Session,
        target: Literal["active", "completed", "cancelled"],
        policy: RetryPolicy = ONCE,
    ) -> None:
        """Move the Discord event along with the session; a lost event is only logged."""
        guild = self._guild(session.guild_id)
        if guild is None or session.event_id is None:
            return
        event_id = session.event_id

        async def move() -> None:
            # Read afresh on every try, so a retry after a lost reply is a no-op.
            event = await guild.fetch_scheduled_event(event_id)
            status = event.status
            if target == "active" and status is discord.EventStatus.scheduled:
                await event.start()
            elif target == "completed" and status is discord.EventStatus.active:
                await event.end()
            elif target in ("completed", "cancelled") and status is discord.EventStatus.scheduled:
                await event.cancel()
            elif target == "cancelled" and status is discord.EventStatus.active:
                await event.end()

        try:
            await send_reliably(
                move,
                policy=policy,
                pace=self.bot.pacer.wait,
                what=f"moving event {event_id} to {target}",
            )
        except SendFailed as failed:
            log.warning("Could not move event %s to %s: %r", event_id, target, failed.error)
        except ValueError as exc:
            log.warning("Could not move event %s to %s: %s", event_id, target, exc)

    async def _new_occurrence_event(self, session: Session | None, *, by_alarm: bool) -> None:
        """Give a freshly created occurrence its Discord event and its jobs."""
        if session is None:
            return
        guild = self._guild(session.guild_id)
        if guild is not None:

            async def made_already() -> discord.ScheduledEvent | None:
                me = self.bot.user
                try:
                    events = await guild.fetch_scheduled_events(with_counts=False)
                except SEND_ERRORS:
                    return None
                for event in events:
                    if (
                        event.name == session.title
                        and event.start_time == session.starts_at
                        and (me is None or event.creator_id in (None, me.id))
                    ):
                        return event
                return None

            try:
                event = await send_reliably(
                    lambda: self.create_event(session, guild),
                    find_sent=made_already,
                    policy=_policy(by_alarm),
                    pace=self.bot.pacer.wait,
                    what=f"event for session {session.id}",
                )
                await self.service.set_event_id(session.guild_id, session.id, event.id)
            except SendFailed as failed:
                log.warning(
                    "Could not create the event for session %s: %r", session.id, failed.error
                )
                if by_alarm:
                    await tell_advocates(
                        self.bot,
                        session.guild_id,
                        f"⚠️ I couldn't create the Discord event for the next "
                        f"**{escape_md(session.title)}** ({describe(failed)}). The session is "
                        f"still scheduled for {both(session.starts_at)}.",
                    )
        await self.schedule_jobs(session)

    async def announce(self, guild_id: int, session_id: int) -> None:
        """Give a session another feature made (a call's occurrence) its Discord event, if
        it has none yet, and its jobs. Safe to repeat: an event already made is found."""
        session = await self.service.session(guild_id, session_id)
        if session is None or session.status not in ("scheduled", "live"):
            return
        if session.event_id is None:
            await self._new_occurrence_event(session, by_alarm=True)
        else:
            await self.schedule_jobs(session)

    async def cancel_session(self, guild_id: int, session_id: int) -> None:
        """Cancel a scheduled session another feature made, and its Discord event."""
        session = await self.service.session(guild_id, session_id)
        if session is None or session.status != "scheduled":
            return
        await self.apply_cancel(await self.service.cancel(guild_id, session_id, "this"))

    def _job(self, fn: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        # HallwayError here: the session moved on (an advocate ended it, or the start and
        # end jobs of a missed session raced at start-up).
        return ready_job(self.bot, fn, log, "Office-hours")

    def cancel_jobs(self, session_id: int) -> None:
        self.bot.alarm.cancel(f"oh-start:{session_id}")
        self.bot.alarm.cancel(f"oh-end:{session_id}")
        # Remembered per session: scanning every alarm job here made start-up
        # quadratic in the number of sessions.
        for name in self._reminder_jobs.pop(session_id, ()):
            self.bot.alarm.cancel(name)

    async def schedule_jobs(
        self, session: Session, settings: OfficeHoursSettings | None = None
    ) -> None:
        settings = settings or await self.service.settings(session.guild_id)
        self.cancel_jobs(session.id)
        alarm = self.bot.alarm
        guild_id, session_id = session.guild_id, session.id
        if session.status == "scheduled":
            if settings.auto_start:
                alarm.schedule(
                    f"oh-start:{session_id}",
                    self.service.start_due(session),
                    self._job(functools.partial(self.auto_start, guild_id, session_id)),
                )
            for reminder in self.service.reminders_due(session, settings):
                offset = reminder.offset_minutes
                name = f"oh-remind:{session_id}:{offset}"
                self._reminder_jobs.setdefault(session_id, set()).add(name)
                alarm.schedule(
                    name,
                    reminder.due,
                    self._job(functools.partial(self.send_reminder, guild_id, session_id, offset)),
                )
        if session.status in ("scheduled", "live") and settings.auto_end:
            alarm.schedule(
                f"oh-end:{session_id}",
                self.service.end_due(session, settings),
                self._job(functools.partial(self.auto_end, guild_id, session_id)),
            )

    async def rebuild_jobs(self, guild_id: int | None = None) -> None:
        """Re-create every alarm job from the database (start-up, settings changes)."""
        settings: dict[int, OfficeHoursSettings] = {}
        for session in await self.service.active_sessions():
            if guild_id is None or session.guild_id == guild_id:
                if session.guild_id not in settings:
                    settings[session.guild_id] = await self.service.settings(session.guild_id)
                await self.schedule_jobs(session, settings[session.guild_id])

    async def auto_start(self, guild_id: int, session_id: int) -> None:
        session = await self.service.repo.get_session(guild_id, session_id)
        settings = await self.service.settings(guild_id)
        if session is None or session.status != "scheduled" or not settings.auto_start:
            return
        if self.bot.clock.now() >= session.ends_at:
            # Missed entirely while offline: opening it now would help nobody.
            await self.skip_missed(session)
            return
        await self.start_session(guild_id, session_id, by_alarm=True)

    async def auto_end(self, guild_id: int, session_id: int) -> None:
        session = await self.service.repo.get_session(guild_id, session_id)
        settings = await self.service.settings(guild_id)
        if session is None or not settings.auto_end:
            return
        if session.status == "scheduled":
            # Nobody started it (auto start off): keep the series and its queue going.
            await self.skip_missed(session)
        elif session.status == "live":
            await self.end_session(guild_id, session_id, by_alarm=True)

    async def skip_missed(self, session: Session) -> None:
        """A session that never ran is cancelled; a series continues with its queue."""
        log.info("Session %s was never started; cancelling that occurrence", session.id)
        await self.apply_cancel(
            await self.service.cancel(session.guild_id, session.id, "this"), by_alarm=True
        )

    async def apply_cancel(self, result: CancelResult, *, by_alarm: bool = False) -> None:
        policy = _policy(by_alarm)
        for cancelled in result.cancelled:
            self.cancel_jobs(cancelled.id)
            await self._set_event(cancelled, "cancelled", policy)
        await self._new_occurrence_event(result.next_session, by_alarm=by_alarm)
        title = result.cancelled[0].title
        await self._tell_leftovers(
            title, result.carried, result.dropped, result.next_session, policy
        )

    async def send_reminder(self, guild_id: int, session_id: int, offset: int) -> None:
        session = await self.service.claim_reminder(guild_id, session_id, offset)
        if session is None:
            return
        settings = await self.service.settings(guild_id)
        channel = await find_channel(self.bot, session.text_channel_id, DEFAULT_POLICY)
        if channel is None:
            return
        waiting = await self.service.waiting_askers(guild_id, session_id)
        # Discord pings at most 100 users per message; 50 keeps the text short too.
        askers = waiting[:MAX_REMINDER_MENTIONS]
        lines = [
            f"⏰ **{escape_md(session.title)}** starts {both(session.starts_at)} "
            f"in {where_text(session)}."
        ]
        if askers:
            mentions = " ".join(f"<@{u}>" for u in askers)
            extra = f" and {len(waiting) - len(askers)} more" if len(waiting) > len(askers) else ""
            lines.append(f"Questions waiting ({len(waiting)}): {mentions}{extra}")
        if session.origin == "call":
            lines.append("Something to discuss? Add it with `/calls agenda`.")
        else:
            lines.append("Got a question? Queue it now with `/officehours ask`.")
        role_id = settings.reminder_role_id
        if role_id is not None:
            lines.insert(0, f"<@&{role_id}>")
        allowed = discord.AllowedMentions(
            everyone=False,
            users=[discord.Object(u) for u in askers],
            roles=[discord.Object(role_id)] if role_id is not None else False,
            replied_user=False,
        )
        text = "\n".join(lines)
        since = _seconds_ago(self.bot)
        try:
            # The retries take seconds, well inside the reminder's lateness tolerance.
            message = await post_once(
                self.bot,
                channel,
                text,
                allowed_mentions=allowed,
                since=since,
                what=f"reminder {offset} min for session {session_id}",
            )
        except SendFailed as failed:
            # Claimed but not delivered: sending later would be the "late" we promise not to do.
            log.warning("Reminder for session %s could not be posted: %r", session_id, failed)
            await tell_advocates(
                self.bot,
                guild_id,
                f"⚠️ I couldn't post the {format_offset(offset)} reminder for "
                f"**{escape_md(session.title)}** in <#{session.text_channel_id}> "
                f"({describe(failed)}). It won't be sent late.",
            )
            return
        await self.service.record_reminder_message(guild_id, session_id, offset, message.id)

    async def start_session(
        self, guild_id: int, session_id: int | None, *, by_alarm: bool = False
    ) -> Session:
        """The started session, with the board's message id once the board is posted.

        ``by_alarm``: the automatic start retries by the policy and tells the advocates' log
        channel if the board can't be posted; a command tries once and tells whoever typed it.
        """
        policy = _policy(by_alarm)
        session = await self.service.start(guild_id, session_id)
        await self._set_event(session, "active", policy)
        # A call has no question queue: the calls feature runs its agenda and notes.
        is_call = session.origin == "call"
        channel = None if is_call else await find_channel(self.bot, session.text_channel_id, policy)
        if channel is not None:
            view = await self.service.queue_view(guild_id, session.id)
            who = await self.board_who(guild_id)
            board_id = f"hallway:oh:join:{session.id}"
            since = _seconds_ago(self.bot)
            try:
                board = await send_reliably(
                    lambda: channel.send(
                        embed=render_board(view, who),
                        view=board_view(session.id),
                        allowed_mentions=NO_PINGS,
                    ),
                    find_sent=lambda: find_recent(
                        self.bot, channel, lambda m: board_id in custom_ids(m), since=since
                    ),
                    policy=policy,
                    pace=self.bot.pacer.wait,
                    what=f"board of session {session.id}",
                )
                await self.service.set_board_message(guild_id, session.id, board.id)
                session = replace(session, board_message_id=board.id)
            except SendFailed as failed:
                log.warning("Could not post the board for session %s: %r", session.id, failed)
                if by_alarm:
                    await tell_advocates(
                        self.bot,
                        guild_id,
                        f"⚠️ **{escape_md(session.title)}** started, but I couldn't post its "
                        f"queue board in <#{session.text_channel_id}> ({describe(failed)}). "
                        "Members can still queue with `/officehours ask`.",
                    )
        await self.schedule_jobs(session)
        return session

    async def end_session(
        self, guild_id: int, session_id: int | None, *, by_alarm: bool = False
    ) -> Recap:
        """The recap, its session carrying the recap's message id once the recap is posted.

        ``by_alarm`` as for start_session."""
        policy = _policy(by_alarm)
        recap = await self.service.end(guild_id, session_id)
        session = recap.session
        self.cancel_jobs(session.id)
        await self._set_event(session, "completed", policy)
        if session.origin == "call":
            # The calls feature posts the recap (`/calls notes`) and plans the next call.
            return recap
        await self._refresh_board(guild_id, session.id)
        channel = await find_channel(self.bot, session.text_channel_id, policy)
        if channel is not None:
            embed = render_recap(recap)
            since = _seconds_ago(self.bot)

            def is_recap(message: discord.Message) -> bool:
                return any(e.title == embed.title for e in message.embeds)

            try:
                message = await send_reliably(
                    lambda: channel.send(embed=embed, allowed_mentions=NO_PINGS),
                    find_sent=lambda: find_recent(self.bot, channel, is_recap, since=since),
                    policy=policy,
                    pace=self.bot.pacer.wait,
                    what=f"recap of session {session.id}",
                )
                await self.service.set_recap_message(guild_id, session.id, message.id)
                recap = replace(recap, session=replace(session, recap_message_id=message.id))
            except SendFailed as failed:
                log.warning("Could not post the recap for session %s: %r", session.id, failed)
                if by_alarm:
                    await tell_advocates(
                        self.bot,
                        guild_id,
                        f"⚠️ **{escape_md(session.title)}** ended, but I couldn't post its recap "
                        f"in <#{session.text_channel_id}> ({describe(failed)}). "
                        "`/officehours history` has its figures.",
                    )
        await self._new_occurrence_event(recap.next_session, by_alarm=by_alarm)
        await self._tell_leftovers(
            session.title, recap.carried, recap.dropped, recap.next_session, policy
        )
        await self._archive_threads(guild_id, session.id, policy)
        return recap

    async def _archive_threads(self, guild_id: int, session_id: int, policy: RetryPolicy) -> None:
        for thread_id in await self.service.question_threads(guild_id, session_id):
            await archive_thread(self.bot.get_channel(thread_id), policy)

    async def _tell_leftovers(
        self,
        title: str,
        carried: list[Question],
        dropped: list[Question],
        next_session: Session | None,
        policy: RetryPolicy,
    ) -> None:
        if carried and next_session is not None:
            await tell(
                self.bot,
                [q.user_id for q in carried],
                f"Your office-hours question wasn't reached in **{title}**. It's carried over and "
                f"first in line at the next session, {both(next_session.starts_at)}. "
                "Use `/officehours leave` if you no longer need it.",
                policy,
            )
        if dropped:
            await tell(
                self.bot,
                [q.user_id for q in dropped],
                f"**{title}** ended before your question was reached, and no further session "
                "is planned. Ask again with `/officehours ask` when the next one is announced.",
                policy,
            )
