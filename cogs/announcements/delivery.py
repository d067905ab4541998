"""The delivery of scheduled announcements: their alarm jobs, and posting to Discord.

Delivery protocol (see services/announcements/delivery.py): claim in the database,
send with a nonce derived from the delivery id, then record the message id and the
next run in one transaction. A claim found at start-up was interrupted by a restart:
we look for the post in the channel (the bot's recent messages, or its forum posts,
matched on the rendered text stored with the claim) and record it if it is there;
only if it is not do we send it, again with the same nonce so Discord drops a
duplicate.

It is not a cog and has no commands: the alarm drives it, and the cog hands it the
schedule changes and send-now claims its commands make.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from cogs._send import SEND_ERRORS, SendFailed, describe, dm_reliably, send_reliably
from cogs.announcements.views import allowed_mentions, matches_post, message_kwargs
from services.announcements.delivery import REACTIONS_AFTER, Claim, DeliveryService
from services.announcements.text import RenderedPost, late_policy_text
from services.retry import Fault
from services.time.alarm import JobCallback
from services.time.timefmt import both, discord_timestamp
from storage.announcements import Announcement

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

RECOUNT_AFTER_ERROR = timedelta(hours=1)
ALREADY_CROSSPOSTED = 40033
# How far back to look for a post a restart interrupted.
RESUME_HISTORY_LIMIT = 50

PERMISSION_WORDS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "mention_everyone": "Mention @everyone, @here, and All Roles",
    "manage_messages": "Manage Messages",
}


class AnnouncementDelivery:
    def __init__(self, bot: HallwayBot, service: DeliveryService) -> None:
        self.bot = bot
        self.service = service
        # (guild_id, user_id, text): the advocate inbox, set in bot.py.
        self.tell_author: Callable[[int, int, str], Awaitable[object]] | None = None

    # ------------------------------------------------------------------ alarm jobs

    async def rebuild_jobs(self) -> None:
        """Start-up: wake scheduled announcements, finish interrupted sends, count reactions."""
        for announcement in await self.service.scheduled():
            self.sync_alarm(announcement)
        now = self.bot.clock.now()
        for claim in await self.service.claimed_deliveries():
            self.bot.alarm.schedule(
                f"announce-claim:{claim.delivery_id}", now, self._resume_job(claim.delivery_id)
            )
        for delivery in await self.service.unpublished_deliveries():
            self.bot.alarm.schedule(
                f"announce-publish:{delivery.id}", now, self._publish_job(delivery.id)
            )
        for delivery, due in await self.service.reaction_jobs():
            self.schedule_reactions(delivery.id, due)

    def sync_alarm(self, announcement: Announcement) -> None:
        name = f"announce:{announcement.id}"
        if announcement.status == "scheduled" and announcement.next_run_at is not None:
            self.bot.alarm.schedule(
                name, announcement.next_run_at, self._occurrence_job(announcement.id)
            )
        else:
            self.bot.alarm.cancel(name)

    def schedule_reactions(self, delivery_id: int, due: datetime) -> None:
        self.bot.alarm.schedule(
            f"announce-reactions:{delivery_id}",
            due,
            functools.partial(self.count_reactions, delivery_id),
        )

    def _occurrence_job(self, announcement_id: int) -> JobCallback:
        # A partial, not a closure: the alarm holds one per scheduled announcement (25,000
        # for 2,500 guilds), and a partial is about half a closure's size with its cells.
        return functools.partial(self.run_occurrence, announcement_id)

    def _publish_job(self, delivery_id: int) -> JobCallback:
        async def job() -> None:
            delivery = await self.service.delivery(delivery_id)
            if delivery is None or delivery.published_at is not None:
                return
            assert delivery.channel_id is not None and delivery.message_id is not None
            channel = await self._channel(delivery.channel_id)
            announcement = await self.service.current(delivery.announcement_id)
            if isinstance(channel, discord.TextChannel) and announcement is not None:
                await self._publish(channel, delivery.message_id, delivery.id, announcement)

        return job

    def _resume_job(self, delivery_id: int) -> JobCallback:
        async def job() -> None:
            for claim in await self.service.claimed_deliveries():
                if claim.delivery_id == delivery_id:
                    await self.deliver(claim)

        return job

    async def run_occurrence(self, announcement_id: int) -> None:
        occurrence = await self.service.start_occurrence(announcement_id)
        if occurrence is not None and occurrence.in_flight:
            # Rescheduling now would wake this job again at once; the claim's holder
            # moves the schedule on when it records the send.
            return
        if occurrence is not None:
            if occurrence.missed:
                await self._tell_missed(occurrence.announcement, occurrence.missed)
            if occurrence.claim is not None:
                await self.deliver(occurrence.claim)
        current = await self.service.current(announcement_id)
        if current is not None:
            self.sync_alarm(current)

    # ------------------------------------------------------------------ delivery

    async def deliver(self, claim: Claim) -> None:
        """Send a claimed occurrence (retrying server errors and network faults), then record it."""
        announcement = claim.announcement
        channel = await self._channel(announcement.channel_id)
        if channel is None:
            await self._give_up(
                claim, f"#{announcement.channel_id} no longer exists (or I can't see it)"
            )
            return
        if claim.resumed:
            found = await self._find_post(channel, claim)
            if found is not None:
                log.info("Delivery %s was already posted before a restart", claim.delivery_id)
                await self._finish(claim, channel, *found)
                return

        async def record(attempt: int, error: Exception) -> None:
            await self.service.record_attempt(claim.delivery_id, _error_text(error))

        try:
            message_id, where_id = await send_reliably(
                lambda: self._post(channel, claim.post, claim.nonce),
                # After a lost reply: the post may be there (same check as after a restart).
                find_sent=lambda: self._find_post(channel, claim),
                on_failure=record,
                pace=self.bot.pacer.wait,
                what=f"announcement delivery {claim.delivery_id}",
            )
        except SendFailed as failed:
            await self._give_up(claim, self._failure_reason(channel, claim.post, failed))
            return
        await self._finish(claim, channel, message_id, where_id)

    def _failure_reason(
        self, channel: discord.abc.GuildChannel, post: RenderedPost, failed: SendFailed
    ) -> str:
        error = failed.error
        if isinstance(error, discord.Forbidden):
            return self._forbidden_reason(channel, post)
        if isinstance(error, discord.NotFound):
            return f"#{channel.name} no longer exists (or I can't see it)"
        if isinstance(error, discord.HTTPException):
            return (
                f"Discord kept failing when I posted in #{channel.name} "
                f"({error.status}, after {failed.attempts} tries)"
            )
        return f"I couldn't reach Discord to post in #{channel.name} ({describe(failed)})"

    async def _finish(
        self,
        claim: Claim,
        channel: discord.abc.GuildChannel,
        message_id: int,
        where_id: int,
    ) -> None:
        recorded = await self.service.record_sent(claim, message_id=message_id, channel_id=where_id)
        if recorded.delivery.sent_at is not None:
            self.schedule_reactions(
                recorded.delivery.id, recorded.delivery.sent_at + REACTIONS_AFTER
            )
        self.sync_alarm(recorded.announcement)
        if isinstance(channel, discord.TextChannel) and channel.is_news():
            await self._publish(channel, message_id, claim.delivery_id, claim.announcement)

    async def _publish(
        self,
        channel: discord.TextChannel,
        message_id: int,
        delivery_id: int,
        announcement: Announcement,
    ) -> None:
        # Publishing twice is harmless (Discord answers "already crossposted"), so a lost
        # reply is simply retried.
        try:
            await send_reliably(
                channel.get_partial_message(message_id).publish,
                pace=self.bot.pacer.wait,
                what=f"publishing delivery {delivery_id}",
            )
        except SendFailed as failed:
            error = failed.error
            if isinstance(error, discord.Forbidden):
                await self._dm(
                    announcement.guild_id,
                    announcement.author_id,
                    f"I posted announcement #{announcement.id} in #{channel.name} but couldn't "
                    "publish it to following servers: Discord refused (check my permissions "
                    "there).",
                )
            elif getattr(error, "code", None) != ALREADY_CROSSPOSTED:
                log.warning("Could not publish message %s: %r", message_id, error)
                if failed.fault is not Fault.FINAL:
                    await self._dm(
                        announcement.guild_id,
                        announcement.author_id,
                        f"I posted announcement #{announcement.id} in #{channel.name} but "
                        f"couldn't publish it to following servers ({describe(failed)}). "
                        "I'll try again when I restart; you can also press Publish on it.",
                    )
                return
        await self.service.record_published(delivery_id)

    async def _post(
        self, channel: discord.abc.GuildChannel, post: RenderedPost, nonce: str
    ) -> tuple[int, int]:
        kwargs = message_kwargs(post)
        mentions = allowed_mentions(post)
        if isinstance(channel, discord.ForumChannel):
            created = await channel.create_thread(
                name=post.thread_name or "Announcement", allowed_mentions=mentions, **kwargs
            )
            return created.message.id, created.thread.id
        assert isinstance(channel, discord.TextChannel)
        message = await channel.send(nonce=nonce, allowed_mentions=mentions, **kwargs)
        return message.id, channel.id

    async def _find_post(
        self, channel: discord.abc.GuildChannel, claim: Claim
    ) -> tuple[int, int] | None:
        me = self.bot.user
        since = claim.claimed_at - timedelta(seconds=1)
        try:
            if isinstance(channel, discord.ForumChannel):
                for thread in channel.threads:
                    if (
                        thread.owner_id == (me.id if me else None)
                        and thread.name == claim.post.thread_name
                        and thread.created_at is not None
                        and thread.created_at >= since
                    ):
                        return thread.id, thread.id
                return None
            if isinstance(channel, discord.TextChannel):
                async for message in channel.history(limit=RESUME_HISTORY_LIMIT, after=since):
                    if message.author.id == (me.id if me else None) and (
                        message.nonce == claim.nonce or matches_post(message, claim.post)
                    ):
                        return message.id, channel.id
        except SEND_ERRORS as error:
            # Can't look: sending again with the same nonce is the best remaining guard.
            log.warning(
                "Could not check #%s for delivery %s: %s", channel, claim.delivery_id, error
            )
        return None

    def _forbidden_reason(self, channel: discord.abc.GuildChannel, post: RenderedPost) -> str:
        me = channel.guild.me
        missing: list[str] = []
        if me is not None:
            perms = channel.permissions_for(me)
            needed = ["view_channel", "send_messages"]
            if post.has_embed:
                needed.append("embed_links")
            if post.ping_everyone:
                needed.append("mention_everyone")
            missing = [PERMISSION_WORDS[p] for p in needed if not getattr(perms, p)]
        if missing:
            return f"I can't post in #{channel.name}: missing {', '.join(missing)}"
        return f"I can't post in #{channel.name}: Discord refused it (missing access)"

    async def _give_up(self, claim: Claim, reason: str) -> None:
        recorded = await self.service.record_failed(claim, reason)
        self.sync_alarm(recorded.announcement)
        what = f"announcement #{claim.announcement.id} ({claim.announcement.label})"
        after = (
            f"The next one is due {both(recorded.announcement.next_run_at)}."
            if recorded.announcement.next_run_at
            else f"Fix it, then use `/announce send-now id:{claim.announcement.id}` to post it."
        )
        await self._dm(
            claim.announcement.guild_id,
            claim.announcement.author_id,
            f"⚠️ I couldn't post {what}. {reason}. {after}",
        )

    async def _tell_missed(self, announcement: Announcement, missed: list[datetime]) -> None:
        when = ", ".join(discord_timestamp(m, "f") for m in missed[:5])
        more = f" and {len(missed) - 5} more" if len(missed) > 5 else ""
        await self._dm(
            announcement.guild_id,
            announcement.author_id,
            f"I was offline when announcement #{announcement.id} ({announcement.label}) was due "
            f"({when}{more}), so I skipped it (late policy: "
            f"{late_policy_text(announcement.late_policy)}). Use `/announce send-now "
            f"id:{announcement.id}` to post it now.",
        )

    async def _dm(self, guild_id: int, user_id: int, text: str) -> None:
        # Through the advocate inbox when it is wired (it respects the author's hours).
        if self.tell_author is not None:
            await self.tell_author(guild_id, user_id, text)
        else:
            await dm_reliably(self.bot, user_id, text)

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await send_reliably(
                    lambda: self.bot.fetch_channel(channel_id),
                    pace=self.bot.pacer.wait,
                    what=f"look-up of #{channel_id}",
                )
            except SendFailed:
                return None
        return channel if isinstance(channel, discord.TextChannel | discord.ForumChannel) else None

    async def count_reactions(self, delivery_id: int) -> None:
        delivery = await self.service.delivery(delivery_id)
        if delivery is None or delivery.status != "sent" or delivery.reactions_recorded_at:
            return
        assert delivery.channel_id is not None and delivery.message_id is not None
        count = 0
        try:
            channel = self.bot.get_channel(delivery.channel_id) or await self.bot.fetch_channel(
                delivery.channel_id
            )
            message = await channel.fetch_message(delivery.message_id)  # type: ignore[union-attr]
            count = sum(reaction.count for reaction in message.reactions)
        except (discord.NotFound, discord.Forbidden):
            pass  # deleted, or hidden from us: nobody can react to it either
        except SEND_ERRORS as error:
            log.warning("Could not count reactions of delivery %s: %r", delivery_id, error)
            self.schedule_reactions(delivery_id, self.bot.clock.now() + RECOUNT_AFTER_ERROR)
            return
        await self.service.record_reactions(delivery_id, count)


def _error_text(error: Exception) -> str:
    if isinstance(error, discord.HTTPException):
        return f"{error.status}: {error.text or 'no details'}"[:300]
    return f"network: {describe(error)}"[:300]
