"""Help channels: posts from members that wait for a reply, and the nudges they earn.

A top-level message or forum post by a member in a help channel is tracked by its ids
and times (never its text). The first reply by someone else clears it. If none comes
within the guild's nudge hours (24 by default), the on-call advocate is told once; after
twice that, the advocates' channel is told once. One alarm job per guild sleeps until
that guild's next due time; it is rebuilt from the database at start-up, and each
notice is claimed in the database before it is sent, so none goes out twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.errors import InvalidInput
from services.plural import plural
from services.time.alarm import Alarm
from services.time.clock import Clock
from storage.help_channels import HelpChannelsRepository, HelpPost

log = logging.getLogger(__name__)

DEFAULT_NUDGE_HOURS = 24
MIN_NUDGE_HOURS = 1
MAX_NUDGE_HOURS = 168
JOB_PREFIX = "help:"

# (guild_id) -> the on-call advocate's user id, or None when nobody is on call.
OnCall = Callable[[int], Awaitable[int | None]]
# (guild_id, user_id, text, message_id): a notice to one advocate about one post (which
# respects their hours: held while they are off, and dropped if the post gets its reply
# before it is delivered, see ``still_waiting``).
TellAdvocate = Callable[[int, int, str, int], Awaitable[object]]
# (guild_id, text) -> posted: a notice in the advocates' channel.
TellChannel = Callable[[int, str], Awaitable[bool]]


@dataclass(frozen=True)
class HelpSettings:
    channel_ids: list[int]
    nudge_hours: int


def check_hours(hours: int) -> None:
    if not MIN_NUDGE_HOURS <= hours <= MAX_NUDGE_HOURS:
        raise InvalidInput(
            f"`hours` must be between {MIN_NUDGE_HOURS} and {MAX_NUDGE_HOURS} "
            f"(a week); you gave {hours}."
        )


def waited(delta: timedelta) -> str:
    """How long a post has waited, in whole hours, or days and hours past two days."""
    hours = max(0, int(delta.total_seconds() // 3600))
    if hours < 48:
        return plural(hours, "hour")
    days, rest = divmod(hours, 24)
    return plural(days, "day") + (f" {plural(rest, 'hour')}" if rest else "")


def jump_url(post: HelpPost) -> str:
    # A forum post is its thread (the starter message shares the thread's id).
    if post.thread_id == post.message_id:
        return f"https://discord.com/channels/{post.guild_id}/{post.thread_id}"
    return f"https://discord.com/channels/{post.guild_id}/{post.channel_id}/{post.message_id}"


class HelpChannelsService:
    def __init__(
        self,
        repo: HelpChannelsRepository,
        clock: Clock,
        *,
        tell_channel: TellChannel,
        on_call: OnCall | None = None,
        tell_advocate: TellAdvocate | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self._tell_channel = tell_channel
        # Seams for the on-call rotation and the advocate inbox (wired in bot.py);
        # while either is missing, the first nudge goes to the advocates' channel too.
        self.on_call = on_call
        self.tell_advocate = tell_advocate
        self._alarm: Alarm | None = None
        # The message path checks this set, not the database.
        self._channels: dict[int, set[int]] = {}

    # ------------------------------------------------------------------ start-up

    async def start(self, alarm: Alarm) -> None:
        self._alarm = alarm
        self._channels = await self._repo.all_channels()
        for guild_id in await self._repo.waiting_guilds():
            await self._reschedule(guild_id)

    def is_help_channel(self, guild_id: int, channel_id: int | None) -> bool:
        return channel_id is not None and channel_id in self._channels.get(guild_id, ())

    # ------------------------------------------------------------------ settings

    async def settings(self, guild_id: int) -> HelpSettings:
        hours = await self._repo.nudge_hours(guild_id)
        return HelpSettings(await self._repo.channels(guild_id), hours or DEFAULT_NUDGE_HOURS)

    async def mark(self, guild_id: int, channel_id: int) -> bool:
        added = await self._repo.mark(guild_id, channel_id, self._clock.now())
        self._channels.setdefault(guild_id, set()).add(channel_id)
        return added

    async def unmark(self, guild_id: int, channel_id: int) -> None:
        if not await self._repo.unmark(guild_id, channel_id):
            raise InvalidInput(
                f"<#{channel_id}> isn't a help channel. `/setup show` lists the help channels."
            )
        self._channels.get(guild_id, set()).discard(channel_id)
        await self._reschedule(guild_id)

    async def set_nudge_hours(self, guild_id: int, hours: int) -> HelpSettings:
        check_hours(hours)
        await self._repo.set_nudge_hours(guild_id, hours, self._clock.now())
        await self._reschedule(guild_id)
        return await self.settings(guild_id)

    # ------------------------------------------------------------------ the message path

    async def posted(
        self,
        guild_id: int,
        channel_id: int,
        message_id: int,
        author_id: int,
        *,
        thread_id: int | None = None,
    ) -> None:
        """A member's top-level message or forum post in a help channel."""
        when = self._clock.now()
        hours = await self._repo.nudge_hours(guild_id) or DEFAULT_NUDGE_HOURS
        tracked = await self._repo.track(
            guild_id,
            message_id,
            channel_id,
            thread_id,
            author_id,
            when,
            when + timedelta(hours=hours),
            when + timedelta(hours=2 * hours),
        )
        if tracked:
            self._schedule(guild_id, when + timedelta(hours=hours))

    async def replied(self, guild_id: int, message_id: int, author_id: int) -> None:
        """A reply to ``message_id``; it counts only when someone else wrote it."""
        when = self._clock.now()
        post = await self._repo.get(guild_id, message_id)
        if post is not None and post.author_id != author_id:
            await self._repo.answer(guild_id, message_id, when)

    async def thread_message(self, guild_id: int, thread_id: int, author_id: int) -> None:
        """A message in a thread: a reply if the thread is a tracked post's."""
        when = self._clock.now()
        post = await self._repo.by_thread(guild_id, thread_id)
        if post is not None and post.author_id != author_id:
            await self._repo.answer(guild_id, post.message_id, when)

    async def thread_opened(self, guild_id: int, message_id: int, thread_id: int) -> None:
        """A thread was opened on a tracked message: messages in it are replies to it."""
        if await self._repo.get(guild_id, message_id) is not None:
            await self._repo.set_thread(guild_id, message_id, thread_id)

    async def deleted(self, guild_id: int, message_id: int) -> None:
        await self._repo.forget_post(guild_id, message_id)

    async def still_waiting(self, guild_id: int, message_id: int) -> bool:
        """Whether a post still waits for a reply by someone else (not answered, deleted or
        untracked): a nudge about it held for an off-hours advocate is worth delivering."""
        post = await self._repo.get(guild_id, message_id)
        return post is not None and post.answered_at is None

    async def waiting_longer_than(self, guild_id: int, wait: timedelta) -> int:
        """Posts with no reply by someone else that have waited longer than ``wait``."""
        return await self._repo.count_waiting(guild_id, self._clock.now() - wait)

    # ------------------------------------------------------------------ nudges

    def _schedule(self, guild_id: int, due: datetime) -> None:
        if self._alarm is None:
            return
        name = f"{JOB_PREFIX}{guild_id}"
        current = self._alarm.due_time(name)
        if current is None or due < current:
            self._alarm.schedule(name, due, lambda: self.run_due(guild_id))

    async def _reschedule(self, guild_id: int) -> None:
        if self._alarm is None:
            return
        self._alarm.cancel(f"{JOB_PREFIX}{guild_id}")
        due = await self._repo.next_due(guild_id)
        if due is not None:
            self._schedule(guild_id, due)

    async def run_due(self, guild_id: int) -> None:
        """The alarm job: escalations first (a post past both times is told once), then
        nudges, then sleep until the guild's next due time."""
        now = self._clock.now()
        for post in await self._repo.due_escalations(guild_id, now):
            if await self._repo.claim_escalation(guild_id, post.message_id, now):
                await self._safely(self._escalate(post, now), post)
        for post in await self._repo.due_nudges(guild_id, now):
            if await self._repo.claim_nudge(guild_id, post.message_id, now):
                await self._safely(self._nudge(post, now), post)
        await self._reschedule(guild_id)

    async def _safely(self, notice: Awaitable[None], post: HelpPost) -> None:
        # The claim is kept (never twice); one failed notice must not stop the others
        # or the guild's next wake-up.
        try:
            await notice
        except Exception:
            log.exception(
                "Help nudge for message %s in guild %s failed", post.message_id, post.guild_id
            )

    async def _nudge(self, post: HelpPost, now: datetime) -> None:
        text = (
            f"🔔 A question in <#{post.channel_id}> has waited {waited(now - post.posted_at)} "
            f"with no reply (posted <t:{int(post.posted_at.timestamp())}:F>): {jump_url(post)}"
        )
        advocate = None
        if self.on_call is not None and self.tell_advocate is not None:
            advocate = await self.on_call(post.guild_id)
        if advocate is not None and self.tell_advocate is not None:
            await self.tell_advocate(post.guild_id, advocate, text, post.message_id)
        else:
            await self._tell_channel(post.guild_id, text)

    async def _escalate(self, post: HelpPost, now: datetime) -> None:
        text = (
            f"⏰ Still no reply after {waited(now - post.posted_at)}: a question in "
            f"<#{post.channel_id}> (posted <t:{int(post.posted_at.timestamp())}:F>) "
            f"needs someone: {jump_url(post)}"
        )
        await self._tell_channel(post.guild_id, text)
