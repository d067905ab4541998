"""/me: a member's own settings, set once for every feature (their time zone)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import send_ephemeral
from services.members import MembersService
from services.time.timezones import suggest_zones


class MeCog(commands.Cog, name="Me"):
    me = app_commands.Group(name="me", description="Your own settings", guild_only=True)

    def __init__(self, service: MembersService) -> None:
        self.service = service

    @me.command(name="timezone")
    @app_commands.describe(zone="Your time zone, e.g. Europe/Berlin (start typing to search)")
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        """Set your time zone, used by every feature that shows or matches times."""
        assert interaction.guild_id is not None
        name = await self.service.set_zone(interaction.guild_id, interaction.user.id, zone)
        await send_ephemeral(
            interaction,
            f"🕑 Your time zone is now **{name}**. Free hours and suggested times use it.",
        )

    @timezone.autocomplete("zone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    @me.command(name="show")
    async def show(self, interaction: discord.Interaction) -> None:
        """Show what Hallway stores about you in this server."""
        assert interaction.guild_id is not None
        about = await self.service.about(interaction.guild_id, interaction.user.id)
        lines = ["**What Hallway stores about you here**"]
        lines.append(f"Time zone: {about.timezone or 'not set (`/me timezone`)'}")
        for feature, items in about.sections:
            lines.append(f"**{feature}**")
            lines += [f"• {discord.utils.escape_mentions(item)}" for item in items]
        lines.append(
            "For everything, as a file: `/privacy export`. To erase it: `/privacy forget`."
        )
        await send_ephemeral(interaction, "\n".join(lines))
