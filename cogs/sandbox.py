"""/sandbox: controls that exist only in `python bot.py --sandbox`.

The sandbox adds this cog itself; setup_hook never does, so a real server never
sees these commands.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import send_ephemeral
from services.errors import Conflict
from services.plural import plural
from services.time.clock import Clock
from services.time.timefmt import discord_timestamp

log = logging.getLogger(__name__)

MAX_HOURS = 24 * 31
BUSY = "The sandbox is still busy with your last /sandbox command; try again in a moment."


class SandboxControls(Protocol):
    """What the sandbox driver does once the interaction is answered; False while busy."""

    def advance(self, seconds: float) -> bool: ...

    def show(self, channel_id: int) -> bool: ...


class SandboxCog(commands.Cog):
    sandbox = app_commands.Group(
        name="sandbox", description="Sandbox-only controls (not on real servers)", guild_only=True
    )

    def __init__(self, clock: Clock, controls: SandboxControls) -> None:
        # SimCord can't move its clock from inside a command, so commands only
        # ask the driver, which acts after this interaction has settled.
        self.clock = clock
        self.controls = controls

    @sandbox.command(name="advance")
    @app_commands.describe(hours=f"How many hours to move the clock forward (1–{MAX_HOURS})")
    async def advance(
        self, interaction: discord.Interaction, hours: app_commands.Range[int, 1, MAX_HOURS]
    ) -> None:
        """Move the sandbox's clock forward so reminders, posts and digests fire."""
        if not self.controls.advance(hours * 3600):
            raise Conflict(BUSY)
        now = self.clock.now()
        target = now + timedelta(hours=hours)
        await send_ephemeral(
            interaction,
            f"⏩ Moving the clock {plural(hours, 'hour')} forward, from "
            f"{discord_timestamp(now, 'f')} to {discord_timestamp(target, 'f')}. "
            "Everything due in between happens now.",
        )

    @sandbox.command(name="show")
    @app_commands.describe(channel="The channel to look at")
    async def show(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        """Switch the browser view to another channel, e.g. #office-hours or #digest."""
        if not self.controls.show(channel.id):
            raise Conflict(BUSY)
        await send_ephemeral(
            interaction,
            f"👀 Switching to {channel.mention}. `/sandbox show` brings you back to any channel.",
        )
