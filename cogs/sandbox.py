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
from services.errors import Conflict, InvalidInput
from services.plural import plural
from services.time.clock import Clock
from services.time.timefmt import discord_timestamp

log = logging.getLogger(__name__)

MAX_HOURS = 24 * 31
BUSY = "The sandbox is still busy with your last /sandbox command; try again in a moment."


class SandboxControls(Protocol):
    """What the sandbox driver does once the interaction is answered; False while busy."""

    def advance(self, seconds: float, channel_id: int | None = None) -> bool: ...

    def show(self, channel_id: int) -> bool: ...

    def places(self, user_id: int) -> list[tuple[int, str]]: ...


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
        if not self.controls.advance(hours * 3600, interaction.channel_id):
            raise Conflict(BUSY)
        now = self.clock.now()
        target = now + timedelta(hours=hours)
        await send_ephemeral(
            interaction,
            f"🕐 It is {discord_timestamp(now, 'F')}. ⏩ Moving the clock "
            f"{plural(hours, 'hour')} forward, to {discord_timestamp(target, 'F')}: everything "
            "due in between happens now, and a note here says the time when it's done.",
        )

    @sandbox.command(name="show")
    @app_commands.describe(channel="A channel, thread or forum post: start typing its name")
    async def show(self, interaction: discord.Interaction, channel: str) -> None:
        """Switch the browser view to another channel or thread, e.g. #office-hours or #digest."""
        places = self.controls.places(interaction.user.id)
        found = match_place(places, channel)
        if found is None:
            names = ", ".join(label for _, label in places if " › " not in label)
            raise InvalidInput(
                f"There's no channel or thread called `{channel[:60]}` that you can see. "
                f"Pick one from the list, e.g. {names}."
            )
        if not self.controls.show(found[0]):
            raise Conflict(BUSY)
        await send_ephemeral(
            interaction,
            f"👀 Switching to <#{found[0]}>. `/sandbox show` takes you to any channel or thread.",
        )

    @show.autocomplete("channel")
    async def show_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        key = current.strip().lstrip("#").lower()
        places = self.controls.places(interaction.user.id)
        return [
            app_commands.Choice(name=label[:100], value=str(place_id))
            for place_id, label in places
            if key in label.lower()
        ][:25]


def match_place(places: list[tuple[int, str]], wanted: str) -> tuple[int, str] | None:
    """The place an id, a `#name` or the start of a name picks; None if none or several."""
    text = wanted.strip()
    if text.startswith("<#") and text.endswith(">"):
        text = text[2:-1]
    if text.isdigit():
        return next((p for p in places if p[0] == int(text)), None)
    key = text.lstrip("#").lower()
    exact = [p for p in places if p[1].lstrip("#").lower() == key]
    if len(exact) == 1:
        return exact[0]
    partial = [p for p in places if key and key in p[1].lower()]
    return partial[0] if len(partial) == 1 else None
