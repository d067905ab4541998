"""The hallway track's alarm jobs: scheduled rounds, making each group's thread, follow-ups.

Exactly once, even across a crash: the round and all its groups are claimed in the
database first (services/hallway/service.py). Each group is then marked "creating"
before its thread is made and the thread's id is recorded as soon as it exists; a
restart that finds a group still "creating" looks for the bot's thread of that name
made since, and only makes one if there is none. The intro and the follow-up are
looked for in the thread the same way before being sent again.

Network faults and server errors are retried through cogs/_send.py (5 s, then 30 s),
each lost reply looked for before a resend; what still fails leaves the group
"creating" (or the follow-up claimed) and the job tries again RETRY_AFTER later.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from cogs._send import NETWORK_ERRORS, SEND_ERRORS, SendFailed, dm_reliably, send_reliably
from cogs.hallway.render import (
    FOLLOWUP_TEXT,
    followup_text,
    intro_text,
    refused_dm,
    refused_notice,
    sitout_dm,
    thread_name,
)
from cogs.hallway.views import met_view
from services.errors import Conflict
from services.hallway.service import HallwayService
from storage.hallway import Group, HallwayConfig

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=10)
THREAD_ARCHIVE_MINUTES = 10080  # a week: the follow-up comes before it archives
HISTORY_LIMIT = 20


def pinged(user_ids: tuple[int, ...]) -> discord.AllowedMentions:
    """Exactly the group's members, never anyone a member typed into an intro."""
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(u) for u in user_ids]
    )


def presence(guild: discord.Guild) -> dict[int, object]:
    return {m.id: m.joined_at for m in guild.members if not m.bot}


class HallwayJobs:
    def __init__(self, bot: HallwayBot, service: HallwayService) -> None:
        self.bot = bot
        self.service = service

    # ------------------------------------------------------------------ alarm

    async def rebuild(self) -> None:
        for config in await self.service.scheduled():
            self.schedule_round(config)
        for running in await self.service.running_rounds():
            self.deliver_soon(running.id)
        now = self.bot.clock.now()
        for group in await self.service.followups_waiting():
            assert group.followup_at is not None
            self.schedule_followup(group.id, group.guild_id, max(now, group.followup_at))

    def schedule_round(self, config: HallwayConfig) -> None:
        name = f"hallway-round:{config.guild_id}"
        if config.next_run_at is None:
            self.bot.alarm.cancel(name)
            return

        async def job() -> None:
            await self.run_scheduled(config.guild_id)

        self.bot.alarm.schedule(name, config.next_run_at, job)

    def deliver_soon(self, round_id: int, delay: timedelta = timedelta()) -> None:
        async def job() -> None:
            await self.deliver_round(round_id)

        self.bot.alarm.schedule(f"hallway-deliver:{round_id}", self.bot.clock.now() + delay, job)

    def schedule_followup(self, group_id: int, guild_id: int, due: object) -> None:
        async def job() -> None:
            await self.send_followup(guild_id, group_id)

        self.bot.alarm.schedule(f"hallway-followup:{group_id}", due, job)  # type: ignore[arg-type]

    async def run_scheduled(self, guild_id: int) -> None:
        # Jobs rebuilt at start-up fire before the gateway has filled the member cache.
        await self.bot.wait_until_ready()
        due = await self.service.due_round(guild_id)
        guild = self.bot.get_guild(guild_id)
        if due is not None and guild is not None:
            try:
                started = await self.service.start_round(guild_id, due, presence(guild))
            except Conflict as why:
                log.info("Hallway round for guild %s not run: %s", guild_id, why)
                started = None
            if started is not None:
                self.deliver_soon(started.id)
            await self.service.advance(guild_id)
        config = await self.service.repo.get_config(guild_id)
        if config is not None and config.next_run_at is not None:
            if config.next_run_at <= self.bot.clock.now():
                await self.service.advance(guild_id)
                config = await self.service.repo.get_config(guild_id)
            assert config is not None
            self.schedule_round(config)

    # ------------------------------------------------------------------ a round

    async def deliver_round(self, round_id: int) -> None:
        await self.bot.wait_until_ready()
        found = await self.service.repo.get_round(round_id)
        if found is None or found.status != "running":
            return
        guild = self.bot.get_guild(found.guild_id)
        config = await self.service.repo.get_config(found.guild_id)
        if guild is None or config is None:
            return
        channel = guild.get_channel(config.channel_id)
        for group in await self.service.round_groups(round_id):
            if group.status in ("created", "refused"):
                continue
            try:
                await self.deliver_group(guild, channel, group)
            except (SendFailed, *SEND_ERRORS) as error:
                # A server error or timeout: the group stays "creating" and the next try
                # looks for its thread before making one.
                log.warning("Hallway group %s failed (%s); retrying later", group.id, error)
                self.deliver_soon(round_id, RETRY_AFTER)
                return
        for sitout in await self.service.sitouts(round_id):
            if guild.get_member(sitout.user_id) is not None:
                # Retried through faults, and looked for after a lost reply: told once.
                sent = await dm_reliably(
                    self.bot, sitout.user_id, sitout_dm(sitout.reason, guild.name)
                )
                if not sent:
                    log.info("Could not DM %s that they sit out", sitout.user_id)
            await self.service.sitout_told(round_id, sitout.user_id)
        await self.service.finish_round(round_id)

    async def deliver_group(self, guild: discord.Guild, channel: object, group: Group) -> None:
        members = [await self._member(guild, uid) for uid in group.members]
        names = [m.display_name if m else "someone" for m in members]
        name = thread_name(names)
        thread: discord.Thread | None = None
        resuming = group.status == "creating"
        if resuming:
            thread = await self._find_thread(guild, group, name)
        else:
            await self.service.begin_group(group)
            # creating_at, which bounds the search for a thread a lost reply made.
            group = await self.service.group(guild.id, group.id) or group
        if not isinstance(channel, discord.TextChannel):
            await self._refused(guild, group, "the hallway channel is gone or isn't a text channel")
            return
        if thread is None:

            async def create() -> discord.Thread:
                return await channel.create_thread(
                    name=name,
                    type=discord.ChannelType.private_thread,
                    invitable=False,
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                )

            try:
                thread = await send_reliably(
                    create,
                    find_sent=lambda: self._find_thread(guild, group, name),
                    pace=self.bot.pacer.wait,
                    what=f"hallway thread for group {group.id}",
                )
            except SendFailed as failed:
                if not isinstance(failed.error, discord.Forbidden):
                    raise
                text = failed.error.text or "Missing Permissions"
                await self._refused(guild, group, f"Discord said: {text}")
                return
            await self.service.thread_made(group, thread.id)
        for member in members:
            if member is not None:
                # Adding someone twice is harmless, so a lost reply is simply retried.
                await send_reliably(
                    lambda member=member: thread.add_user(member),
                    pace=self.bot.pacer.wait,
                    what=f"adding {member.id} to a hallway thread",
                )
        profiles = await self.service.group_members(guild.id, group)
        if not (resuming and await self._bot_posted(thread, None)):
            intro = intro_text(group, profiles, guild.name)
            await send_reliably(
                lambda: thread.send(intro, allowed_mentions=pinged(group.members)),
                find_sent=lambda: self._intro_in(thread),
                pace=self.bot.pacer.wait,
                what=f"hallway intro for group {group.id}",
            )
        followup_at = await self.service.group_created(group, thread.id)
        self.schedule_followup(group.id, guild.id, followup_at)

    async def _member(self, guild: discord.Guild, user_id: int) -> discord.Member | None:
        found = guild.get_member(user_id)
        if found is None and user_id:
            try:
                found = await guild.fetch_member(user_id)
            except discord.NotFound:
                return None
        return found

    async def _find_thread(
        self, guild: discord.Guild, group: Group, name: str
    ) -> discord.Thread | None:
        if group.thread_id is not None:
            found = guild.get_thread(group.thread_id)
            if found is not None:
                return found
            try:
                fetched = await guild.fetch_channel(group.thread_id)
            except discord.NotFound:
                fetched = None
            if isinstance(fetched, discord.Thread):
                return fetched
        me = guild.me.id if guild.me else None
        since = group.creating_at - timedelta(minutes=1) if group.creating_at else None
        candidates = list(guild.threads)
        with contextlib.suppress(discord.HTTPException):
            candidates += await guild.active_threads()
        for thread in candidates:
            if (
                thread.name == name
                and thread.owner_id == me
                and (since is None or (thread.created_at and thread.created_at >= since))
            ):
                await self.service.thread_made(group, thread.id)
                return thread
        return None

    async def _intro_in(self, thread: discord.Thread) -> discord.Message | None:
        """The bot's intro, if a lost reply had posted it (nothing else of ours is there yet)."""
        me = self.bot.user.id if self.bot.user else None
        with contextlib.suppress(*SEND_ERRORS):
            async for message in thread.history(limit=HISTORY_LIMIT):
                if message.author.id == me and message.type is discord.MessageType.default:
                    return message
        return None

    async def _bot_posted(self, thread: discord.Thread, marker: str | None) -> bool:
        me = self.bot.user.id if self.bot.user else None
        async for message in thread.history(limit=HISTORY_LIMIT):
            ours = message.author.id == me and message.type is discord.MessageType.default
            if ours and (marker is None or marker in message.content):
                return True
        return False

    async def _refused(self, guild: discord.Guild, group: Group, why: str) -> None:
        await self.service.group_refused(group, why)
        profiles = await self.service.group_members(guild.id, group)
        for uid in group.members:
            member = guild.get_member(uid)
            if member is None:
                continue
            try:
                await member.send(
                    refused_dm(group, uid, profiles, guild.name), allowed_mentions=pinged(())
                )
            except discord.HTTPException:
                log.info("Could not DM %s about their hallway group", uid)
        config = await self.bot.services.guild_settings.config(guild.id)
        hallway = await self.service.repo.get_config(guild.id)
        log_channel = guild.get_channel(config.log_channel_id) if config.log_channel_id else None
        if isinstance(log_channel, discord.TextChannel) and hallway is not None:
            where = f"<#{hallway.channel_id}>"
            try:
                await log_channel.send(
                    refused_notice(where, group.round_number, why),
                    allowed_mentions=discord.AllowedMentions.none(),
                )
            except discord.HTTPException:
                log.warning("Could not tell the log channel about hallway group %s", group.id)

    # ------------------------------------------------------------------ follow-ups

    async def send_followup(self, guild_id: int, group_id: int) -> None:
        await self.bot.wait_until_ready()
        group = await self.service.group(guild_id, group_id)
        if group is None or group.followup_message_id is not None or group.thread_id is None:
            return
        guild = self.bot.get_guild(guild_id)
        if guild is None:
            return
        thread = guild.get_thread(group.thread_id)
        try:
            if thread is None:
                fetched = await guild.fetch_channel(group.thread_id)
                thread = fetched if isinstance(fetched, discord.Thread) else None
            if thread is None:
                await self.service.record_followup(group, 0)
                return
            if not await self.service.claim_followup(group):
                found = await self._find_followup(thread, group.id)
                if found is not None:
                    await self.service.record_followup(group, found.id)
                    return
            in_thread = thread
            message = await send_reliably(
                lambda: in_thread.send(
                    followup_text(group),
                    view=met_view(group.id),
                    allowed_mentions=pinged(group.members),
                ),
                find_sent=lambda: self._find_followup(in_thread, group.id),
                pace=self.bot.pacer.wait,
                what=f"hallway follow-up for group {group.id}",
            )
        except (SendFailed, discord.HTTPException, *NETWORK_ERRORS) as error:
            cause = error.error if isinstance(error, SendFailed) else error
            if isinstance(cause, discord.Forbidden | discord.NotFound):
                log.info("Hallway follow-up %s can't be sent: thread gone or no access", group.id)
                await self.service.record_followup(group, 0)
                return
            log.warning("Hallway follow-up %s failed (%s); retrying later", group.id, error)
            self.schedule_followup(group.id, guild_id, self.bot.clock.now() + RETRY_AFTER)
            return
        await self.service.record_followup(group, message.id)

    async def _find_followup(self, thread: discord.Thread, group_id: int) -> discord.Message | None:
        me = self.bot.user.id if self.bot.user else None
        wanted = f"hallway:hallway:met:{group_id}:yes"
        async for message in thread.history(limit=HISTORY_LIMIT):
            if message.author.id != me or FOLLOWUP_TEXT not in message.content:
                continue
            for row in message.components:
                for child in getattr(row, "children", []):
                    if getattr(child, "custom_id", None) == wanted:
                        return message
        return None
