"""/advocate: an advocate's working hours and time off, which Hallway's notices respect."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import advocate_only, hallway, send_ephemeral
from cogs.boundaries.inbox import AdvocateInbox
from services.boundaries.hours import minute_text
from services.boundaries.load import Load
from services.boundaries.service import Boundaries, BoundariesService, hours_text
from services.plural import plural
from services.time.timefmt import both, discord_timestamp
from services.time.timezones import suggest_zones


def boundaries_text(b: Boundaries) -> str:
    lines = ["**Your boundaries**", f"Working hours: {hours_text(b.hours)}"]
    if b.away:
        lines.append("Time off:")
        for a in b.away:
            note = f" · {discord.utils.escape_mentions(a.note)}" if a.note else ""
            lines.append(
                f"• `{a.id}` {discord_timestamp(a.starts_at)} → {discord_timestamp(a.ends_at)}"
                f"{note}"
            )
    else:
        lines.append("Time off: none planned")
    if b.available_now:
        lines.append("Right now you're **in**: Hallway's notices reach you at once.")
    else:
        lines.append(
            f"Right now you're **off**: notices are held until {both(b.back_at)}, "
            "then sent as one message."
        )
    if b.held:
        lines.append(f"Held for you: {plural(b.held, 'notice')}.")
    return "\n".join(lines)


def load_text(loads: list[Load], weeks: int) -> str:
    lines = [f"⚖️ **Load over the last {plural(weeks, 'week')}** (shown to advocates only)"]
    if not loads:
        lines.append("No advocates found: set the advocate role with `/setup advocate-role`.")
    for load in loads:
        c = load.counts
        lines.append(
            f"<@{load.user_id}>: {plural(c['sessions'], 'session')} hosted · "
            f"{plural(c['calls'], 'call')} hosted · "
            f"{plural(c['status_changes'], 'feedback status change')} · "
            f"{plural(c['answered'], 'question')} answered · "
            f"{plural(c['shifts'], 'on-call shift')} · {plural(c['held'], 'notice')} held · "
            f"{load.outside_hours} outside their hours · longest run "
            f"{plural(load.longest_streak, 'day')}"
        )
        lines += [f"  ⚠️ {flag}" for flag in load.flags]
    return "\n".join(lines)


class AdvocateCog(commands.Cog, name="Advocate"):
    advocate = app_commands.Group(
        name="advocate", description="Your working hours and time off", guild_only=True
    )

    def __init__(self, service: BoundariesService, inbox: AdvocateInbox) -> None:
        self.service = service
        self.inbox = inbox

    @advocate.command(name="hours")
    @app_commands.describe(
        days="The days you work, e.g. mon-fri or mon,wed,fri",
        start="When your day starts, e.g. 09:00",
        end="When your day ends, e.g. 17:30",
        timezone="Your time zone, e.g. Europe/Berlin (start typing to search)",
    )
    @advocate_only()
    async def hours(
        self,
        interaction: discord.Interaction,
        days: str,
        start: str,
        end: str,
        timezone: str,
    ) -> None:
        """Set your working hours: Hallway holds its notices to you outside them."""
        assert interaction.guild_id is not None
        hours = await self.service.set_hours(
            interaction.guild_id, interaction.user.id, days, start, end, timezone
        )
        await self.inbox.refresh(interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction,
            f"🕘 Your working hours are now **{hours_text(hours)}**. Outside them, Hallway "
            f"holds what it would tell you and sends it as one message at "
            f"{minute_text(hours.start_minute)} your time. `/advocate me` shows them.",
        )

    @hours.autocomplete("timezone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    @advocate.command(name="away")
    @app_commands.describe(
        start="When your time off starts: now, or e.g. friday 17:00 (your hours' time zone)",
        until="When you're back, e.g. 2026-12-28 09:00 or in 2 weeks",
        note="Optional, shown to you only, e.g. holiday",
    )
    @app_commands.rename(start="from")
    @advocate_only()
    async def away(
        self,
        interaction: discord.Interaction,
        until: str,
        start: str = "now",
        note: str | None = None,
    ) -> None:
        """Record time off: Hallway's notices to you wait until you're back."""
        assert interaction.guild_id is not None
        away = await self.service.add_away(
            interaction.guild_id, interaction.user.id, start, until, note
        )
        await self.inbox.refresh(interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction,
            f"🌴 Time off recorded: {discord_timestamp(away.starts_at)} → "
            f"{both(away.ends_at)}. Urgent notices go to whoever is on call meanwhile. "
            f"Changed your plans? `/advocate back id:{away.id}`.",
        )

    @advocate.command(name="back")
    @app_commands.describe(id="The time off's id, from /advocate me")
    @advocate_only()
    async def back(self, interaction: discord.Interaction, id: int) -> None:
        """Cancel a time off (you're back early, or plans changed)."""
        assert interaction.guild_id is not None
        await self.service.cancel_away(interaction.guild_id, interaction.user.id, id)
        await self.inbox.refresh(interaction.guild_id, interaction.user.id)
        await send_ephemeral(interaction, f"👋 Time off `{id}` removed. Welcome back!")

    @advocate.command(name="me")
    @advocate_only()
    async def me(self, interaction: discord.Interaction) -> None:
        """Show your working hours, time off and notices held for you."""
        assert interaction.guild_id is not None
        found = await self.service.boundaries(interaction.guild_id, interaction.user.id)
        await send_ephemeral(interaction, boundaries_text(found))

    @advocate.command(name="load")
    @app_commands.describe(weeks="How many weeks back, 1 to 12 (4 by default)")
    @advocate_only()
    async def load(
        self, interaction: discord.Interaction, weeks: app_commands.Range[int, 1, 12] = 4
    ) -> None:
        """Who carries what: each advocate's work over the last weeks (advocates only)."""
        guild = interaction.guild
        assert guild is not None
        config = await hallway(interaction).services.guild_settings.config(guild.id)
        role = guild.get_role(config.advocate_role_id) if config.advocate_role_id else None
        advocates = sorted(m.id for m in role.members) if role is not None else []
        loads = await self.service.load(guild.id, weeks, advocates)
        await send_ephemeral(interaction, load_text(loads, weeks))
