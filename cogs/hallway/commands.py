"""/hallway: members join, pause and leave; advocates configure, preview and run rounds."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import NO_PINGS, advocate_only, send_ephemeral
from cogs.hallway.jobs import HallwayJobs, presence
from cogs.hallway.render import preview_text, stats_text, status_text
from cogs.hallway.views import COG_NAME, JoinModal
from services.errors import NotFound
from services.hallway.service import HallwayService
from services.plural import plural
from services.time.timefmt import discord_timestamp
from services.time.timezones import suggest_zones

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

Cadence = Literal["weekly", "every-2-weeks", "monthly"]
Day = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

ANSWER_REPLIES = {
    "yes": "🎉 Great, thanks for telling me!",
    "not-yet": "👍 Noted. There's still time: pick one of the suggested times above.",
    "no": "Thanks for letting me know. There's always the next round.",
}


class HallwayCog(commands.Cog, name=COG_NAME):
    hallway = app_commands.Group(
        name="hallway", description="Get paired with other members for 1:1 chats", guild_only=True
    )

    def __init__(self, bot: HallwayBot, service: HallwayService) -> None:
        self.bot = bot
        self.service = service
        self.jobs = HallwayJobs(bot, service)

    # ------------------------------------------------------------------ members

    @hallway.command(name="join")
    async def join(self, interaction: discord.Interaction) -> None:
        """Join the hallway track, or edit your interests, intro and free hours."""
        assert interaction.guild_id is not None
        current = await self.service.member(interaction.guild_id, interaction.user.id)
        ask_zone = await self.service.needs_zone(interaction.guild_id, interaction.user.id)
        await interaction.response.send_modal(JoinModal(current, ask_zone))

    async def join_from_modal(
        self,
        interaction: discord.Interaction,
        interests: str,
        intro: str,
        free_hours: str,
        zone: str | None,
    ) -> None:
        assert interaction.guild_id is not None
        before = await self.service.member(interaction.guild_id, interaction.user.id)
        joined_at = getattr(interaction.user, "joined_at", None)
        member = await self.service.join(
            interaction.guild_id,
            interaction.user.id,
            interests=interests,
            intro=intro,
            free_hours=free_hours,
            zone=zone,
            server_joined_at=joined_at,
        )
        verb = "updated your answers" if before and before.active else "joined the hallway track"
        lines = [f"☕ You {verb}."]
        lines.append("Interests: " + (", ".join(member.interests) or "none yet"))
        if member.free_hours:
            lines.append(f"Free hours: {member.free_hours} (in your time zone, `/me show`)")
        lines.append("You'll be paired at the next round. `/hallway status` shows when.")
        await send_ephemeral(interaction, "\n".join(lines))

    @hallway.command(name="leave")
    async def leave(self, interaction: discord.Interaction) -> None:
        """Stop being paired (your answers are kept until /privacy forget)."""
        assert interaction.guild_id is not None
        await self.service.leave(interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction, "👋 You left the hallway track. `/hallway join` any time to come back."
        )

    @hallway.command(name="pause")
    @app_commands.describe(until="The date to come back, YYYY-MM-DD (rounds before it skip you)")
    async def pause(self, interaction: discord.Interaction, until: str) -> None:
        """Skip rounds until a date."""
        assert interaction.guild_id is not None
        at = await self.service.pause(interaction.guild_id, interaction.user.id, until)
        await send_ephemeral(
            interaction,
            f"⏸️ Paused until {discord_timestamp(at, 'D')}: rounds before then skip you.",
        )

    @hallway.command(name="status")
    async def status(self, interaction: discord.Interaction) -> None:
        """Your hallway status: the next round, your last partners, any pause."""
        assert interaction.guild_id is not None
        status = await self.service.status(interaction.guild_id, interaction.user.id)
        next_run = status.config.next_run_at if status.config else None
        await send_ephemeral(interaction, status_text(status, next_run))

    @hallway.command(name="never")
    @app_commands.describe(member="Who you never want to be paired with (they aren't told)")
    async def never(self, interaction: discord.Interaction, member: discord.Member) -> None:
        """Never be paired with someone; private, they are never told."""
        assert interaction.guild_id is not None
        added = await self.service.never(
            interaction.guild_id, interaction.user.id, member.id, member.bot
        )
        text = "won't be paired with" if added else "already won't be paired with"
        await send_ephemeral(
            interaction, f"🔒 You {text} {member.mention}. Only you can see this list."
        )

    @hallway.command(name="never-remove")
    @app_commands.describe(member="Who to take off your never list")
    async def never_remove(self, interaction: discord.Interaction, member: discord.Member) -> None:
        """Take someone off your never list."""
        assert interaction.guild_id is not None
        await self.service.never_remove(interaction.guild_id, interaction.user.id, member.id)
        await send_ephemeral(interaction, f"✅ {member.mention} can be paired with you again.")

    # ------------------------------------------------------------------ advocates

    @hallway.command(name="configure")
    @app_commands.describe(
        channel="Private threads for each group are made in this channel",
        cadence="How often rounds happen",
        day="The day rounds happen (monthly: the first such day of the month)",
        time="The time of day, 24-hour HH:MM",
        timezone="The zone for day and time (default: the server's)",
        group_size="2: pairs only, someone sits out of an odd pool in turn; 3: a trio instead",
        followup_days='Days after a round to ask "did you meet?" (default 4)',
    )
    @app_commands.rename(group_size="group-size", followup_days="followup-days")
    @advocate_only()
    async def configure(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        cadence: Cadence,
        day: Day,
        time: str,
        timezone: str | None = None,
        group_size: Literal[2, 3] = 2,
        followup_days: app_commands.Range[int, 1, 30] | None = None,
    ) -> None:
        """Set where and how often hallway rounds happen."""
        assert interaction.guild_id is not None
        config = await self.service.configure(
            interaction.guild_id,
            channel_id=channel.id,
            cadence=cadence,
            day=day,
            post_time=time,
            timezone=timezone,
            group_size=group_size,
            followup_days=followup_days,
        )
        self.jobs.schedule_round(config)
        assert config.next_run_at is not None
        await send_ephemeral(
            interaction,
            f"☕ Hallway rounds are set: threads in {channel.mention}, {cadence}, groups of "
            f"{config.group_size}, follow-up after {config.followup_days} days.\nFirst round: "
            f"{discord_timestamp(config.next_run_at, 'F')}. Check I can **Create Private "
            "Threads** and **Send Messages in Threads** there.",
        )

    @configure.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    @hallway.command(name="preview")
    @advocate_only()
    async def preview(self, interaction: discord.Interaction) -> None:
        """Show the groups the next round would make, only to you."""
        assert interaction.guild is not None
        config = await self.service.config(interaction.guild.id)
        at = config.next_run_at or self.service.now()
        plan = await self.service.plan(interaction.guild.id, at, presence(interaction.guild))
        await send_ephemeral(interaction, preview_text(plan, f"<#{config.channel_id}>"))

    @hallway.command(name="run")
    @advocate_only()
    async def run(self, interaction: discord.Interaction) -> None:
        """Run a hallway round now."""
        assert interaction.guild is not None
        await self.service.config(interaction.guild.id)
        started = await self.service.start_round(
            interaction.guild.id, self.service.now(), presence(interaction.guild)
        )
        if started is None:
            raise NotFound("A round was just started: try again in a moment.")
        groups = await self.service.round_groups(started.id)
        sitouts = await self.service.sitouts(started.id)
        self.jobs.deliver_soon(started.id)
        extra = f", {len(sitouts)} sitting out (told by DM)" if sitouts else ""
        await send_ephemeral(
            interaction,
            f"☕ Round {started.number} started: {plural(len(groups), 'group')} from "
            f"{started.pool_size} members{extra}. Their private threads are on the way.",
        )

    @hallway.command(name="stats")
    @advocate_only()
    async def stats(self, interaction: discord.Interaction) -> None:
        """Pool size, rounds, groups, met rate and repeat rate."""
        assert interaction.guild_id is not None
        await send_ephemeral(
            interaction, stats_text(await self.service.stats(interaction.guild_id))
        )

    # ------------------------------------------------------------------ buttons

    async def answer_button(
        self, interaction: discord.Interaction, group_id: int, answer: str
    ) -> None:
        if interaction.guild_id is None:
            raise NotFound("That button only works in its server.")
        await self.service.answer(interaction.guild_id, group_id, interaction.user.id, answer)
        await interaction.response.send_message(
            ANSWER_REPLIES[answer], ephemeral=True, allowed_mentions=NO_PINGS
        )
