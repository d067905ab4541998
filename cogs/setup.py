"""/setup: per-guild configuration for advocates."""

from __future__ import annotations

from typing import Literal, Protocol

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import advocate_only, send_ephemeral
from services.guild_settings import GuildSettingsService
from services.plural import plural
from services.time.timezones import suggest_zones
from storage.guild_settings import CHANNEL_COLUMNS, GuildConfig

ChannelKind = Literal["office-hours", "announcements", "digest", "feedback", "log", "help"]


class HelpSettingsView(Protocol):
    channel_ids: list[int]
    nudge_hours: int


class HelpChannels(Protocol):
    """The help-channels feature as /setup sees it (wired in bot.py)."""

    async def settings(self, guild_id: int) -> HelpSettingsView: ...
    async def mark(self, guild_id: int, channel_id: int) -> bool: ...
    async def unmark(self, guild_id: int, channel_id: int) -> None: ...
    async def set_nudge_hours(self, guild_id: int, hours: int) -> HelpSettingsView: ...


def render_help(settings: HelpSettingsView) -> str:
    channels = ", ".join(f"<#{c}>" for c in settings.channel_ids) or "none"
    return (
        f"Help channels: {channels}\n"
        f"Help nudge: on call after {plural(settings.nudge_hours, 'hour')} without a reply, "
        f"the advocates' channel after {plural(2 * settings.nudge_hours, 'hour')}"
    )


def _mention_channel(channel_id: int | None) -> str:
    return f"<#{channel_id}>" if channel_id else "not set"


def render_config(config: GuildConfig, default_zone: str) -> str:
    role = f"<@&{config.advocate_role_id}>" if config.advocate_role_id else "not set"
    zone = config.timezone or f"{default_zone} (default)"
    lines = [
        "**Hallway settings**",
        f"Advocate role: {role} (members with Manage Server count as advocates too)",
        f"Time zone: {zone}",
    ]
    for kind in CHANNEL_COLUMNS:
        lines.append(
            f"{kind.replace('-', ' ').capitalize()} channel: "
            f"{_mention_channel(config.channel(kind))}"
        )
    lines.append(f"Capture emoji: {config.capture_emoji}")
    return "\n".join(lines)


class SetupCog(commands.Cog):
    setup = app_commands.Group(
        name="setup", description="Configure Hallway for this server", guild_only=True
    )

    def __init__(self, service: GuildSettingsService) -> None:
        self.service = service
        # Set by bot.py's wire_help_channels.
        self.help_channels: HelpChannels | None = None

    def _help(self) -> HelpChannels:
        if self.help_channels is None:
            raise RuntimeError("help channels are wired in bot.py")
        return self.help_channels

    async def _show(self, interaction: discord.Interaction, config: GuildConfig, note: str) -> None:
        text = render_config(config, self.service.default_timezone)
        if self.help_channels is not None:
            text += "\n" + render_help(await self.help_channels.settings(config.guild_id))
        await send_ephemeral(interaction, f"{note}\n\n{text}" if note else text)

    @setup.command(name="show")
    @advocate_only()
    async def show(self, interaction: discord.Interaction) -> None:
        """Show this server's Hallway settings."""
        assert interaction.guild_id is not None
        await self._show(interaction, await self.service.config(interaction.guild_id), "")

    @setup.command(name="advocate-role")
    @app_commands.describe(role="Members with this role can run advocate commands")
    @advocate_only()
    async def advocate_role(self, interaction: discord.Interaction, role: discord.Role) -> None:
        """Choose the role whose members are advocates."""
        assert interaction.guild_id is not None
        config = await self.service.set_advocate_role(interaction.guild_id, role.id)
        await self._show(interaction, config, f"✅ Advocates are now members with {role.mention}.")

    @setup.command(name="timezone")
    @app_commands.describe(name="An IANA time zone, such as Europe/Berlin")
    @advocate_only()
    async def timezone(self, interaction: discord.Interaction, name: str) -> None:
        """Set the server's default time zone."""
        assert interaction.guild_id is not None
        config = await self.service.set_timezone(interaction.guild_id, name)
        await self._show(interaction, config, f"✅ Time zone set to {config.timezone}.")

    @timezone.autocomplete("name")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    @setup.command(name="channel")
    @app_commands.describe(kind="Which Hallway channel to set", channel="The channel to use")
    @advocate_only()
    async def channel(
        self,
        interaction: discord.Interaction,
        kind: ChannelKind,
        channel: discord.TextChannel | discord.ForumChannel,
    ) -> None:
        """Choose the channel Hallway uses for one of its jobs (help: mark one of several)."""
        assert interaction.guild_id is not None
        if kind == "help":
            added = await self._help().mark(interaction.guild_id, channel.id)
            note = (
                f"✅ {channel.mention} is now a help channel."
                if added
                else f"{channel.mention} is a help channel already."
            )
            config = await self.service.config(interaction.guild_id)
            await self._show(interaction, config, note)
            return
        config = await self.service.set_channel(interaction.guild_id, kind, channel.id)
        await self._show(interaction, config, f"✅ The {kind} channel is now {channel.mention}.")

    @setup.command(name="capture-emoji")
    @app_commands.describe(emoji="Advocates react with this emoji to capture a message as feedback")
    @advocate_only()
    async def capture_emoji(self, interaction: discord.Interaction, emoji: str) -> None:
        """Set the reaction emoji that captures a message as feedback."""
        assert interaction.guild_id is not None
        config = await self.service.set_capture_emoji(interaction.guild_id, emoji)
        await self._show(interaction, config, f"✅ Capture emoji set to {config.capture_emoji}.")

    @setup.command(name="help-unmark")
    @app_commands.describe(channel="The help channel to stop watching")
    @advocate_only()
    async def help_unmark(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel,
    ) -> None:
        """Stop treating a channel as a help channel (its waiting posts are no longer nudged)."""
        assert interaction.guild_id is not None
        await self._help().unmark(interaction.guild_id, channel.id)
        config = await self.service.config(interaction.guild_id)
        await self._show(interaction, config, f"✅ {channel.mention} is no longer a help channel.")

    @setup.command(name="help-nudge")
    @app_commands.describe(hours="Hours a help post waits for a reply before on-call is nudged")
    @advocate_only()
    async def help_nudge(self, interaction: discord.Interaction, hours: int) -> None:
        """Set how long a help post waits before Hallway nudges (twice that: the team)."""
        assert interaction.guild_id is not None
        await self._help().set_nudge_hours(interaction.guild_id, hours)
        config = await self.service.config(interaction.guild_id)
        await self._show(
            interaction,
            config,
            f"✅ Help posts are nudged after {plural(hours, 'hour')} without a reply.",
        )
