"""/digest and /stats summary's reply: the weekly community digest, its schedule and its posting."""

from __future__ import annotations

import functools
import io
import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import NO_PINGS, advocate_only, send_ephemeral
from cogs._send import (
    DEFAULT_POLICY,
    NETWORK_ERRORS,
    ONCE,
    SEND_ERRORS,
    RetryPolicy,
    SendFailed,
    describe,
    find_recent,
    send_reliably,
    tell_advocates,
)
from services.digest.build import RETRY_AFTER, DigestService, DigestSettings, ScheduledRun, Wait
from services.digest.render import CHART_FILENAME, Digest
from services.errors import Conflict, InvalidInput
from services.time.pacer import after_the_first
from services.time.timefmt import both
from services.time.timezones import suggest_zones
from storage.digest import DigestRun

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

Day = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
COLOUR = discord.Colour(0x5B8DEF)
# How far back to look for a digest an earlier process sent but didn't record.
RECOVERY_HISTORY = 50
RETRY_AFTER_TEXT = f"{int(RETRY_AFTER.total_seconds() // 60)} minutes"


def job_name(guild_id: int) -> str:
    return f"digest:{guild_id}"


def render_settings(settings: DigestSettings) -> str:
    config = settings.config
    if settings.channel_id is None:
        channel = "not set: pick one with `/digest configure channel:`"
    elif config.channel_id is None:
        channel = f"<#{settings.channel_id}> (the server's digest channel)"
    else:
        channel = f"<#{settings.channel_id}>"
    if config.enabled and config.next_run_at is not None:
        status = f"on, next post {both(config.next_run_at)}"
    else:
        status = "off: turn it on with `/digest configure enabled: True`"
    return "\n".join(
        [
            "**Weekly digest**",
            f"Status: {status}",
            f"Schedule: {settings.describe()}",
            f"Channel: {channel}",
            f"Skip empty weeks: {'yes' if config.skip_empty else 'no'}",
            f"Pin the newest digest: {'yes' if config.pin else 'no'}",
        ]
    )


def render_embeds(digest: Digest, *, with_chart: bool) -> list[discord.Embed]:
    embeds = []
    for part in digest.embeds():
        embed = discord.Embed(title=part.title, description=part.description, colour=COLOUR)
        if part.footer:
            embed.set_footer(text=part.footer)
        embeds.append(embed)
    if with_chart:
        embeds[-1].set_image(url=f"attachment://{CHART_FILENAME}")
    return embeds


def chart_files(digest: Digest) -> list[discord.File]:
    if digest.chart_png is None:
        return []
    return [discord.File(io.BytesIO(digest.chart_png), filename=CHART_FILENAME)]


def require_can_post(channel: discord.TextChannel) -> None:
    """Refuse a channel the digest can't be posted in, rather than fail on Monday."""
    permissions = channel.permissions_for(channel.guild.me)
    needed = {
        "View Channel": permissions.view_channel,
        "Send Messages": permissions.send_messages,
        "Embed Links": permissions.embed_links,
        "Attach Files": permissions.attach_files,
    }
    missing = [name for name, allowed in needed.items() if not allowed]
    if missing:
        raise InvalidInput(
            f"I can't post the digest in {channel.mention}: I'm missing "
            f"{', '.join(missing)} there. Grant that to my role, or pick another channel."
        )


class DigestCog(commands.Cog):
    digest = app_commands.Group(
        name="digest", description="The weekly community digest", guild_only=True
    )

    def __init__(self, bot: HallwayBot, service: DigestService) -> None:
        self.bot = bot
        self.service = service
        # Weeks whose failure the advocates were told about (a notice per week, not per retry).
        self._told: set[tuple[int, date]] = set()

    # ------------------------------------------------------------------ schedule

    async def rebuild_schedule(self) -> None:
        """Set the alarm for every enabled digest; overdue ones run at once and catch up."""
        for guild_id, at in await self.service.scheduled():
            self._schedule(guild_id, at)

    def _schedule(self, guild_id: int, at: datetime | None) -> None:
        if at is None:
            self.bot.alarm.cancel(job_name(guild_id))
            return
        self.bot.alarm.schedule(
            job_name(guild_id), at, functools.partial(self.run_scheduled, guild_id)
        )

    async def run_scheduled(self, guild_id: int, *, in_slot: bool = False) -> None:
        # Every guild's digest is due in the same minute. Each first takes its slot in
        # the storm's lane of the pace and, if that is later, goes back to the alarm until then (a
        # queue in the alarm, not thousands of sleeping tasks). Builds are spread like
        # the posts, not all at once in front of members' commands, and a restart
        # mid-storm finds the waiting weeks unclaimed. The post uses that slot.
        if not in_slot:
            delay = self.bot.storm_pacer.reserve()
            if delay > 0:
                self.bot.alarm.schedule(
                    job_name(guild_id),
                    self.bot.clock.now() + timedelta(seconds=delay),
                    functools.partial(self.run_scheduled, guild_id, in_slot=True),
                )
                return
        outcome = await self.service.begin_scheduled(guild_id)
        if isinstance(outcome, Wait):
            self._schedule(guild_id, outcome.until)
            return
        if isinstance(outcome, ScheduledRun) and not await self._deliver_scheduled(outcome):
            # Claim released; try again soon (the 24 h limit ends the retries).
            self._schedule(guild_id, self.service.retry_time())
            return
        self._schedule(guild_id, await self.service.advance_schedule(guild_id))

    def _digest_channel(
        self, guild_id: int, channel_id: int | None
    ) -> discord.TextChannel | discord.Thread | None:
        channel = self.bot.get_channel(channel_id) if channel_id else None
        if isinstance(channel, discord.TextChannel | discord.Thread) and (
            channel.guild.id == guild_id
        ):
            return channel
        return None

    async def _deliver_scheduled(self, scheduled: ScheduledRun) -> bool:
        """Post one claimed week. False means it failed; the alarm tries again later."""
        run = scheduled.run
        settings = await self.service.settings(run.guild_id)
        channel = self._digest_channel(run.guild_id, settings.channel_id)
        if channel is None:
            log.warning(
                "No usable digest channel in guild %s; the digest for %s is skipped",
                run.guild_id,
                run.week_start,
            )
            await self.service.finish_skipped(run)
            return True
        digest = await self.service.build_week(run.guild_id, scheduled.period)
        if scheduled.recovering:
            sent = await self._find_sent(channel, digest.marker)
            if sent is not None:
                await self.service.finish_posted(run, channel.id, sent.id)
                return True
        if digest.is_empty and settings.config.skip_empty:
            await self.service.finish_skipped(run)
            return True
        try:
            message = await send_reliably(
                lambda: self._send(channel, digest),
                find_sent=lambda: self._find_sent(channel, digest.marker),
                pace=after_the_first(self.bot.pacer.wait),
                what=f"digest for guild {run.guild_id}",
            )
        except SendFailed as failed:
            log.warning("Could not post the digest in channel %s: %r", channel.id, failed.error)
            if not failed.lost:
                await self.service.release(run)
            # else the claim stays: the retry is then "recovering" and looks for the post
            # a lost reply may have made before it sends.
            await self._tell_failed(run, channel, failed)
            return False
        await self.service.finish_posted(run, channel.id, message.id)
        if settings.config.pin:
            await self._pin(run.guild_id, message, DEFAULT_POLICY)
        return True

    async def _find_sent(
        self, channel: discord.TextChannel | discord.Thread, marker: str
    ) -> discord.Message | None:
        return await find_recent(
            self.bot,
            channel,
            lambda m: any(e.footer and e.footer.text == marker for e in m.embeds),
            limit=RECOVERY_HISTORY,
        )

    async def _tell_failed(
        self, run: DigestRun, channel: discord.TextChannel | discord.Thread, failed: SendFailed
    ) -> None:
        """Tell the advocates once per week (not at every retry) that the digest is stuck."""
        key = (run.guild_id, run.week_start)
        if key in self._told:
            return
        self._told.add(key)
        await tell_advocates(
            self.bot,
            run.guild_id,
            f"⚠️ I couldn't post the weekly digest in {channel.mention} ({describe(failed)}). "
            f"I'll try again every {RETRY_AFTER_TEXT} for a day; check that I can post there.",
        )

    async def _send(self, channel: discord.abc.Messageable, digest: Digest) -> discord.Message:
        files = chart_files(digest)
        return await channel.send(
            content=digest.header(),
            embeds=render_embeds(digest, with_chart=bool(files)),
            files=files,
            allowed_mentions=NO_PINGS,
        )

    async def _pin(
        self, guild_id: int, message: discord.Message, policy: RetryPolicy = ONCE
    ) -> None:
        """Pin the new digest, then unpin the one pinned before it."""
        previous = (await self.service.settings(guild_id)).config
        try:
            await send_reliably(
                lambda: message.pin(reason="Hallway weekly digest"),
                policy=policy,
                pace=self.bot.pacer.wait,
                what=f"pinning digest {message.id}",
            )
        except SendFailed as failed:
            log.warning("Could not pin the digest %s: %r", message.id, failed.error)
            return
        await self.service.record_pinned(guild_id, message.channel.id, message.id)
        if previous.pinned_message_id and previous.pinned_message_id != message.id:
            old_channel = self._digest_channel(guild_id, previous.pinned_channel_id)
            if old_channel is None:
                return
            try:
                await old_channel.get_partial_message(previous.pinned_message_id).unpin(
                    reason="Hallway: a newer digest is pinned"
                )
            except SEND_ERRORS as error:
                # Already unpinned or deleted by someone: nothing left to do.
                log.info("Could not unpin the previous digest: %s", error)

    # ------------------------------------------------------------------ commands

    @digest.command(name="configure")
    @app_commands.rename(time_of_day="time", zone="timezone", skip_empty="skip-empty")
    @app_commands.describe(
        channel="Where the digest is posted (default: the server's digest channel)",
        day="Day of the week to post (default monday)",
        time_of_day="Time of day to post, 24-hour HH:MM (default 09:00)",
        zone="Time zone for the day, time and week (default: the server's)",
        enabled="Post the digest every week",
        skip_empty="Skip weeks with nothing to report",
        pin="Pin the newest digest and unpin the previous one",
    )
    @advocate_only()
    async def configure(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        day: Day | None = None,
        time_of_day: str | None = None,
        zone: str | None = None,
        enabled: bool | None = None,
        skip_empty: bool | None = None,
        pin: bool | None = None,
    ) -> None:
        """Set when and where the weekly digest is posted, and show the settings."""
        assert interaction.guild_id is not None
        if channel is not None:
            require_can_post(channel)
        settings = await self.service.configure(
            interaction.guild_id,
            channel_id=channel.id if channel else None,
            day=day,
            post_time=time_of_day,
            timezone=zone,
            enabled=enabled,
            skip_empty=skip_empty,
            pin=pin,
        )
        self._schedule(interaction.guild_id, settings.config.next_run_at)
        await send_ephemeral(interaction, f"✅ Saved.\n\n{render_settings(settings)}")

    @configure.autocomplete("zone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    @digest.command(name="preview")
    @advocate_only()
    async def preview(self, interaction: discord.Interaction) -> None:
        """Show the digest for the last 7×24 hours up to now, only to you."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        digest = await self.service.build_week(interaction.guild_id)
        settings = await self.service.settings(interaction.guild_id)
        note = ""
        if digest.is_empty:
            note = (
                "\n-# Nothing new this week: the scheduled post would be skipped."
                if settings.config.skip_empty
                else "\n-# Nothing new this week: the scheduled post would say so."
            )
        files = chart_files(digest)
        await interaction.followup.send(
            content=digest.header() + note,
            embeds=render_embeds(digest, with_chart=bool(files)),
            files=files,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @digest.command(name="post")
    @advocate_only()
    async def post(self, interaction: discord.Interaction) -> None:
        """Post the digest for the last 7×24 hours up to now to the digest channel."""
        assert interaction.guild_id is not None
        guild_id = interaction.guild_id
        settings = await self.service.settings(guild_id)
        channel = self._digest_channel(guild_id, settings.channel_id)
        if channel is None:
            raise InvalidInput(
                "There's no digest channel I can post in. Pick one with "
                "`/digest configure channel:` (or `/setup channel kind: digest`)."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        digest = await self.service.build_week(guild_id)
        if digest.is_empty and settings.config.skip_empty:
            raise Conflict(
                "Nothing happened in the last 7 days, so there's nothing to post. "
                "To post quiet weeks anyway, use `/digest configure skip-empty: False`."
            )
        try:
            message = await self._send(channel, digest)
        except discord.Forbidden:
            raise  # the tree's handler names the missing permission
        except NETWORK_ERRORS as error:
            # The reply was lost, so the post may be there: don't invite a blind retry.
            raise Conflict(
                "I lost the connection to Discord while posting, so I can't tell whether the "
                f"digest went out. Check {channel.mention} before trying `/digest post` again."
            ) from error
        except discord.HTTPException as error:
            # A Discord outage is not a bug here: say so, and that nothing was posted.
            raise Conflict(
                f"Discord didn't accept the post (error {error.status}), so nothing was "
                "posted. Try `/digest post` again in a minute."
            ) from error
        if settings.config.pin:
            await self._pin(guild_id, message)
        await send_ephemeral(
            interaction, f"✅ Posted the digest in {channel.mention}: {message.jump_url}"
        )

    async def summary_reply(self, guild_id: int, days: int) -> dict[str, Any]:
        """``/stats summary``'s reply (the command lives with the other figures, in
        cogs/metrics.py): the last ``days`` days against the days before."""
        digest = await self.service.build_window(guild_id, days)
        return {"content": digest.header(), "embeds": render_embeds(digest, with_chart=False)}
