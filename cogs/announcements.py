"""/announce: scheduled posts, and their delivery when the alarm fires.

Delivery protocol (see services/announcements.py): claim in the database, send with
a nonce derived from the delivery id, then record the message id and the next run
in one transaction. A claim found at start-up was interrupted by a restart: we look
for the post in the channel (the bot's recent messages, or its forum posts, matched
on the rendered text stored with the claim) and record it if it is there; only if
it is not do we send it, again with the same nonce so Discord drops a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import advocate_only, guarded, require_advocate, send_ephemeral, user_ref
from cogs.announcements_views import (
    BODY_ID,
    EDIT_PREFIX,
    IMAGE_ID,
    NEW_PREFIX,
    TITLE_ID,
    allowed_mentions,
    edit_modal,
    matches_post,
    message_kwargs,
    schedule_modal,
    submitted_values,
)
from services.alarm import JobCallback
from services.announcements import (
    AnnouncementService,
    Claim,
    RenderedPost,
    late_policy_text,
)
from services.errors import InvalidInput, NotAllowed
from services.timefmt import both, discord_timestamp
from services.timezones import suggest_zones
from storage.announcements import Announcement, Delivery

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

MAX_TRIES = 3
# Seconds to wait before the 2nd and 3rd tries.
BACKOFF = (5.0, 30.0)
RECOUNT_AFTER_ERROR = timedelta(hours=1)
ALREADY_CROSSPOSTED = 40033
# How far back to look for a post a restart interrupted.
RESUME_HISTORY_LIMIT = 50

StatusChoice = Literal["scheduled", "paused", "completed", "cancelled", "failed"]
REPEAT_SUGGESTIONS = ("none", "daily", "weekdays", "weekly", "monthly", "cron:0 9 * * mon-fri")

PERMISSION_WORDS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "mention_everyone": "Mention @everyone, @here, and All Roles",
    "manage_messages": "Manage Messages",
}


def channel_kind(channel: discord.abc.GuildChannel) -> str:
    if isinstance(channel, discord.ForumChannel):
        return "forum"
    if isinstance(channel, discord.TextChannel):
        return "news" if channel.is_news() else "text"
    raise InvalidInput("Pick a text, announcement or forum channel.")


def _status_line(announcement: Announcement) -> str:
    if announcement.status == "scheduled" and announcement.next_run_at is not None:
        return f"scheduled, next {both(announcement.next_run_at)}"
    return announcement.status


def _ping_text(announcement: Announcement) -> str:
    if announcement.ping_everyone:
        return "@everyone"
    if announcement.ping_role_id is not None:
        return f"<@&{announcement.ping_role_id}>"
    return "nobody"


class AnnouncementsCog(commands.Cog):
    announce = app_commands.Group(
        name="announce", description="Schedule announcements and manage them", guild_only=True
    )

    def __init__(self, bot: HallwayBot, service: AnnouncementService) -> None:
        self.bot = bot
        self.service = service

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
        async def job() -> None:
            await self.count_reactions(delivery_id)

        self.bot.alarm.schedule(f"announce-reactions:{delivery_id}", due, job)

    def _occurrence_job(self, announcement_id: int) -> JobCallback:
        async def job() -> None:
            await self.run_occurrence(announcement_id)

        return job

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
        """Send a claimed occurrence (retrying server errors), then record what happened."""
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
        for attempt in range(1, MAX_TRIES + 1):
            try:
                message_id, where_id = await self._post(channel, claim.post, claim.nonce)
            except discord.Forbidden as error:
                await self.service.record_attempt(claim.delivery_id, _http_text(error))
                await self._give_up(claim, self._forbidden_reason(channel, claim.post))
                return
            except discord.NotFound as error:
                await self.service.record_attempt(claim.delivery_id, _http_text(error))
                await self._give_up(claim, f"#{channel.name} no longer exists (or I can't see it)")
                return
            except discord.HTTPException as error:
                await self.service.record_attempt(claim.delivery_id, _http_text(error))
                if (error.status >= 500 or error.status == 429) and attempt < MAX_TRIES:
                    log.warning(
                        "Delivery %s attempt %s failed (%s); retrying",
                        claim.delivery_id,
                        attempt,
                        error.status,
                    )
                    await asyncio.sleep(BACKOFF[attempt - 1])
                    continue
                await self._give_up(
                    claim,
                    f"Discord kept failing when I posted in #{channel.name} "
                    f"({error.status}, after {attempt} tries)",
                )
                return
            await self._finish(claim, channel, message_id, where_id)
            return

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
                recorded.delivery.id, recorded.delivery.sent_at + timedelta(hours=24)
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
        try:
            await channel.get_partial_message(message_id).publish()
        except discord.Forbidden:
            await self._dm(
                announcement.author_id,
                f"I posted announcement #{announcement.id} in #{channel.name} but couldn't "
                "publish it to following servers: Discord refused (check my permissions there).",
            )
        except discord.HTTPException as error:
            if error.code != ALREADY_CROSSPOSTED:
                log.warning("Could not publish message %s: %s", message_id, error)
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
        except discord.HTTPException as error:
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
        await self._dm(claim.announcement.author_id, f"⚠️ I couldn't post {what}. {reason}. {after}")

    async def _tell_missed(self, announcement: Announcement, missed: list[datetime]) -> None:
        when = ", ".join(discord_timestamp(m, "f") for m in missed[:5])
        more = f" and {len(missed) - 5} more" if len(missed) > 5 else ""
        await self._dm(
            announcement.author_id,
            f"I was offline when announcement #{announcement.id} ({announcement.label}) was due "
            f"({when}{more}), so I skipped it (late policy: "
            f"{late_policy_text(announcement.late_policy)}). Use `/announce send-now "
            f"id:{announcement.id}` to post it now.",
        )

    async def _dm(self, user_id: int, text: str) -> None:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as error:
            log.info("Could not DM user %s: %s", user_id, error)

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel | None:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.HTTPException:
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
        except discord.HTTPException as error:
            log.warning("Could not count reactions of delivery %s: %s", delivery_id, error)
            self.schedule_reactions(delivery_id, self.bot.clock.now() + RECOUNT_AFTER_ERROR)
            return
        await self.service.record_reactions(delivery_id, count)

    # ------------------------------------------------------------------ commands

    @announce.command(name="schedule")
    @app_commands.describe(
        channel="Text, announcement or forum channel to post in",
        when="First time, e.g. 'friday 9am', '2026-12-01 17:00', 'in 2 hours'",
        repeat="none, daily, weekdays, weekly, monthly or cron:<min hour day month weekday>",
        timezone="Time zone for 'when' and the repeat (default: the server's)",
        ping="Role to ping (@everyone only if you may mention everyone)",
        title="Optional title: makes an embed, and names the forum post",
        late="If I was offline at the time: send anyway, or skip (default: send if <1 h late)",
    )
    @advocate_only()
    async def schedule(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel,
        when: str,
        repeat: str = "none",
        timezone: str | None = None,
        ping: discord.Role | None = None,
        title: str | None = None,
        late: Literal["send", "skip"] | None = None,
    ) -> None:
        """Schedule a one-off or repeating announcement."""
        assert interaction.guild is not None
        ping_role_id, ping_everyone = self._check_ping(interaction, channel, ping)
        draft = await self.service.start_draft(
            interaction.guild.id,
            interaction.user.id,
            channel_id=channel.id,
            channel_kind=channel_kind(channel),
            when=when,
            repeat=repeat,
            zone=timezone,
            ping_role_id=ping_role_id,
            ping_everyone=ping_everyone,
            title=title,
            late=late,
        )
        await interaction.response.send_modal(schedule_modal(draft.id))

    def _check_ping(
        self,
        interaction: discord.Interaction,
        channel: discord.abc.GuildChannel,
        role: discord.Role | None,
    ) -> tuple[int | None, bool]:
        if role is None:
            return None, False
        member = interaction.user
        assert isinstance(member, discord.Member)
        may_mention_all = channel.permissions_for(member).mention_everyone
        if role.is_default():
            if not may_mention_all:
                raise NotAllowed(
                    "You can't ping @everyone in that channel (you need the Mention @everyone "
                    "permission). Pick a role instead, or leave `ping` empty."
                )
            return None, True
        if not role.mentionable and not may_mention_all:
            raise NotAllowed(
                f"{role.mention} can't be mentioned by you (it isn't mentionable and you lack "
                "Mention @everyone). Pick a mentionable role, or leave `ping` empty."
            )
        return role.id, False

    @schedule.autocomplete("timezone")
    async def _zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    @schedule.autocomplete("repeat")
    async def _repeat_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        options = [r for r in REPEAT_SUGGESTIONS if r.startswith(current.strip().lower())]
        if current.strip() and current.strip() not in options:
            options.insert(0, current.strip()[:100])
        return [app_commands.Choice(name=o, value=o) for o in options[:25]]

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if custom_id.startswith(NEW_PREFIX):
            draft_id = custom_id[len(NEW_PREFIX) :]
            await guarded(interaction, lambda: self._submit_new(interaction, draft_id))
        elif custom_id.startswith(EDIT_PREFIX):
            draft_id = custom_id[len(EDIT_PREFIX) :]
            await guarded(interaction, lambda: self._submit_edit(interaction, draft_id))

    async def _submit_new(self, interaction: discord.Interaction, draft_text: str) -> None:
        await require_advocate(interaction)
        assert interaction.guild is not None
        values = submitted_values(interaction.data)
        created = await self.service.create_from_draft(
            interaction.guild.id,
            interaction.user.id,
            _draft_id(draft_text),
            body=values.get(BODY_ID, ""),
            image_url=values.get(IMAGE_ID),
        )
        self.sync_alarm(created)
        await self._send_preview(interaction, created, "✅ Scheduled")

    async def _submit_edit(self, interaction: discord.Interaction, draft_text: str) -> None:
        await require_advocate(interaction)
        assert interaction.guild is not None
        values = submitted_values(interaction.data)
        updated = await self.service.apply_edit(
            interaction.guild.id,
            interaction.user.id,
            _draft_id(draft_text),
            title=values.get(TITLE_ID),
            body=values.get(BODY_ID, ""),
            image_url=values.get(IMAGE_ID),
        )
        self.sync_alarm(updated)
        await self._send_preview(interaction, updated, "✅ Updated")

    async def _send_preview(
        self, interaction: discord.Interaction, announcement: Announcement, heading: str
    ) -> None:
        post = await self.service.preview(announcement)
        upcoming = self.service.upcoming(announcement)
        lines = [
            f"{heading} announcement **#{announcement.id}** for <#{announcement.channel_id}>.",
            f"Repeat: {self.service.repeat_text(announcement)}",
            f"Status: {_status_line(announcement)}",
            f"Ping: {_ping_text(announcement)} · If late: "
            f"{late_policy_text(announcement.late_policy)}",
        ]
        if post.thread_name:
            lines.append(f"Forum post title: {post.thread_name}")
        if upcoming:
            lines.append("Next: " + ", ".join(discord_timestamp(t, "f") for t in upcoming))
        lines.append("Preview below, exactly as it will post:")
        await send_ephemeral(interaction, "\n".join(lines))
        await interaction.followup.send(
            ephemeral=True, allowed_mentions=discord.AllowedMentions.none(), **message_kwargs(post)
        )

    # ------------------------------------------------------------------ managing

    async def _id_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        found = await self.service.search(interaction.guild_id, current)
        return [
            app_commands.Choice(name=f"#{a.id} {a.label} ({a.status})"[:100], value=a.id)
            for a in found
        ]

    @announce.command(name="list")
    @app_commands.describe(status="Only announcements with this status")
    @advocate_only()
    async def list_(
        self, interaction: discord.Interaction, status: StatusChoice | None = None
    ) -> None:
        """List this server's announcements."""
        assert interaction.guild_id is not None
        found = await self.service.list(interaction.guild_id, status)
        if not found:
            which = f"{status} " if status else ""
            await send_ephemeral(
                interaction, f"No {which}announcements yet. Create one with `/announce schedule`."
            )
            return
        lines = [f"**#{a.id}** {a.label} · <#{a.channel_id}> · {_status_line(a)}" for a in found]
        await send_ephemeral(interaction, _clip("\n".join(lines)))

    @announce.command(name="show")
    @app_commands.describe(id="The announcement")
    @advocate_only()
    async def show(self, interaction: discord.Interaction, id: int) -> None:
        """Show one announcement's settings and next occurrences."""
        assert interaction.guild_id is not None
        announcement = await self.service.get(interaction.guild_id, id)
        upcoming = self.service.upcoming(announcement)
        lines = [
            f"**#{announcement.id}** {announcement.label}",
            f"Channel: <#{announcement.channel_id}> · Author: {user_ref(announcement.author_id)}",
            f"Repeat: {self.service.repeat_text(announcement)}",
            f"Status: {_status_line(announcement)}",
            f"Ping: {_ping_text(announcement)} · If late: "
            f"{late_policy_text(announcement.late_policy)}",
        ]
        if upcoming:
            lines.append("Next: " + ", ".join(discord_timestamp(t, "f") for t in upcoming))
        await send_ephemeral(interaction, "\n".join(lines))

    @announce.command(name="preview")
    @app_commands.describe(id="The announcement")
    @advocate_only()
    async def preview(self, interaction: discord.Interaction, id: int) -> None:
        """Show an announcement exactly as it will post."""
        assert interaction.guild_id is not None
        announcement = await self.service.get(interaction.guild_id, id)
        await self._send_preview(interaction, announcement, "👀 Preview of")

    @announce.command(name="edit")
    @app_commands.describe(
        id="The announcement",
        when="New first time (keeps the current one if empty)",
        timezone="New time zone (the wall-clock time stays the same)",
        repeat="New repeat: none, daily, weekdays, weekly, monthly or cron:…",
    )
    @advocate_only()
    async def edit(
        self,
        interaction: discord.Interaction,
        id: int,
        when: str | None = None,
        timezone: str | None = None,
        repeat: str | None = None,
    ) -> None:
        """Edit an announcement's text, time, zone or repeat."""
        assert interaction.guild_id is not None
        draft, announcement = await self.service.start_edit(
            interaction.guild_id,
            interaction.user.id,
            id,
            when=when,
            zone=timezone,
            repeat=repeat,
        )
        await interaction.response.send_modal(edit_modal(draft.id, announcement))

    @announce.command(name="pause")
    @app_commands.describe(id="The announcement")
    @advocate_only()
    async def pause(self, interaction: discord.Interaction, id: int) -> None:
        """Pause a scheduled announcement."""
        assert interaction.guild_id is not None
        paused = await self.service.pause(interaction.guild_id, id)
        self.sync_alarm(paused)
        await send_ephemeral(
            interaction,
            f"⏸️ Paused #{paused.id}. `/announce resume id:{paused.id}` starts it again.",
        )

    @announce.command(name="resume")
    @app_commands.describe(
        id="The announcement", when="New time (needed if a one-off's time passed)"
    )
    @advocate_only()
    async def resume(
        self, interaction: discord.Interaction, id: int, when: str | None = None
    ) -> None:
        """Resume a paused announcement from now on."""
        assert interaction.guild_id is not None
        resumed = await self.service.resume(interaction.guild_id, id, when)
        self.sync_alarm(resumed)
        await send_ephemeral(interaction, f"▶️ Resumed #{resumed.id}: {_status_line(resumed)}.")

    @announce.command(name="cancel")
    @app_commands.describe(id="The announcement")
    @advocate_only()
    async def cancel(self, interaction: discord.Interaction, id: int) -> None:
        """Cancel an announcement for good."""
        assert interaction.guild_id is not None
        cancelled = await self.service.cancel(interaction.guild_id, id)
        self.sync_alarm(cancelled)
        await send_ephemeral(interaction, f"🗑️ Cancelled #{cancelled.id}. Its history is kept.")

    @announce.command(name="send-now")
    @app_commands.describe(id="The announcement")
    @advocate_only()
    async def send_now(self, interaction: discord.Interaction, id: int) -> None:
        """Post an announcement right now."""
        assert interaction.guild_id is not None
        claim = await self.service.claim_now(interaction.guild_id, id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.deliver(claim)
        delivery = await self.service.delivery(claim.delivery_id)
        assert delivery is not None
        if delivery.status == "sent":
            text = f"📣 Posted #{id}: {delivery.jump_url()}"
        else:
            text = f"⚠️ Couldn't post #{id}: {delivery.error}."
        await send_ephemeral(interaction, text)

    @announce.command(name="history")
    @app_commands.describe(id="The announcement")
    @advocate_only()
    async def history(self, interaction: discord.Interaction, id: int) -> None:
        """List every delivery of an announcement."""
        assert interaction.guild_id is not None
        deliveries = await self.service.history(interaction.guild_id, id)
        if not deliveries:
            await send_ephemeral(interaction, f"#{id} hasn't been due yet.")
            return
        lines = [f"**History of #{id}**"]
        lines.extend(_delivery_line(d) for d in deliveries)
        await send_ephemeral(interaction, _clip("\n".join(lines)))

    for _command in (show, preview, edit, pause, resume, cancel, send_now, history):
        _command.autocomplete("id")(_id_autocomplete)
    del _command


def _delivery_line(delivery: Delivery) -> str:
    when = discord_timestamp(delivery.scheduled_for, "f")
    parts = [when, delivery.status]
    if delivery.manual:
        parts.append("sent by hand")
    url = delivery.jump_url()
    if delivery.status == "sent" and url:
        parts.append(url)
    if delivery.reactions is not None:
        parts.append(f"{delivery.reactions} reactions")
    if delivery.status in ("failed", "missed") and delivery.error:
        parts.append(delivery.error)
    return " · ".join(parts)


def _clip(text: str, limit: int = 1900) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _draft_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInput("That form is broken. Run the command again.") from None


def _http_text(error: discord.HTTPException) -> str:
    return f"{error.status}: {error.text or 'no details'}"[:300]
