"""/announce: the commands that schedule and manage posts, their forms and previews.

Posting itself, when the alarm fires or on send-now, is AnnouncementDelivery's job
(cogs/announcements/delivery.py); every command that changes a schedule tells it.
"""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import advocate_only, guarded, require_advocate, send_ephemeral
from cogs.announcements.delivery import AnnouncementDelivery
from cogs.announcements.views import (
    BODY_ID,
    EDIT_PREFIX,
    IMAGE_ID,
    NEW_PREFIX,
    TITLE_ID,
    edit_modal,
    message_kwargs,
    schedule_modal,
    submitted_values,
)
from services.announcements.delivery import DeliveryService
from services.announcements.scheduling import AnnouncementService
from services.announcements.text import late_policy_text
from services.errors import InvalidInput, NotAllowed
from services.people import user_ref
from services.plural import plural
from services.time.timefmt import both, discord_timestamp
from services.time.timezones import suggest_zones
from storage.announcements import Announcement, Delivery

StatusChoice = Literal["scheduled", "paused", "completed", "cancelled", "failed"]
# A sent line with its jump link is ~160 characters; ten fit in a message with the footer.
HISTORY_SHOWN = 10
REPEAT_SUGGESTIONS = ("none", "daily", "weekdays", "weekly", "monthly", "cron:0 9 * * mon-fri")


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

    def __init__(
        self,
        service: AnnouncementService,
        delivery: AnnouncementDelivery,
        delivery_service: DeliveryService,
    ) -> None:
        self.service = service
        self.delivery = delivery
        self.delivery_service = delivery_service

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
        self.delivery.sync_alarm(created)
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
        self.delivery.sync_alarm(updated)
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
        self.delivery.sync_alarm(paused)
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
        self.delivery.sync_alarm(resumed)
        await send_ephemeral(interaction, f"▶️ Resumed #{resumed.id}: {_status_line(resumed)}.")

    @announce.command(name="cancel")
    @app_commands.describe(id="The announcement")
    @advocate_only()
    async def cancel(self, interaction: discord.Interaction, id: int) -> None:
        """Cancel an announcement for good."""
        assert interaction.guild_id is not None
        cancelled = await self.service.cancel(interaction.guild_id, id)
        self.delivery.sync_alarm(cancelled)
        await send_ephemeral(interaction, f"🗑️ Cancelled #{cancelled.id}. Its history is kept.")

    @announce.command(name="send-now")
    @app_commands.describe(id="The announcement")
    @advocate_only()
    async def send_now(self, interaction: discord.Interaction, id: int) -> None:
        """Post an announcement right now."""
        assert interaction.guild_id is not None
        claim = await self.delivery_service.claim_now(interaction.guild_id, id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.delivery.deliver(claim)
        delivery = await self.delivery_service.delivery(claim.delivery_id)
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
        """List the newest deliveries of an announcement."""
        assert interaction.guild_id is not None
        deliveries, total = await self.service.recent_history(
            interaction.guild_id, id, HISTORY_SHOWN
        )
        if not deliveries:
            await send_ephemeral(interaction, f"#{id} hasn't been due yet.")
            return
        lines = [f"**History of #{id}** (newest first)"]
        lines.extend(_delivery_line(d) for d in deliveries)
        older = total - len(deliveries)
        if older > 0:
            lines.append(f"…and {plural(older, 'older delivery', 'older deliveries')} not shown.")
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
        parts.append(plural(delivery.reactions, "reaction"))
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
