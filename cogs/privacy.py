"""/privacy: members export or erase their own data; advocates set how long activity is kept."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import NO_PINGS, advocate_only, find_cog, guarded, send_ephemeral
from services.plural import plural
from services.privacy import (
    CONFIRM_SECONDS,
    FORMER_MEMBER,
    Export,
    PrivacyService,
    RetentionInfo,
    describe_counts,
)
from services.time.timefmt import discord_timestamp

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

COG_NAME = "Privacy"
PRUNE_JOB = "privacy:prune"


def _summary(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines) if lines else "• nothing yet"


def render_retention(info: RetentionInfo) -> str:
    last = (
        f"Last pruned {discord_timestamp(info.last_prune.ran_at, 'R')}"
        f" ({info.last_prune.rows_deleted} rows)."
        if info.last_prune
        else "No prune has run yet; it runs daily just after midnight UTC."
    )
    return (
        f"Hallway keeps activity counts for **{plural(info.days, 'day')}** in this server, "
        f"then deletes them. {last}"
    )


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"hallway:privacy:forget:(?P<user_id>[0-9]{1,20}):(?P<expires>[0-9]{1,12})",
):
    """Carries who may press it and until when, so it needs no stored state."""

    def __init__(self, user_id: int, expires: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Erase my data",
                style=discord.ButtonStyle.danger,
                custom_id=f"hallway:privacy:forget:{user_id}:{expires}",
            )
        )
        self.user_id = user_id
        self.expires = expires

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> ForgetButton:
        return cls(int(match["user_id"]), int(match["expires"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(
            interaction, lambda: cog.confirm_forget(interaction, self.user_id, self.expires)
        )


class KeepButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"hallway:privacy:keep:(?P<user_id>[0-9]{1,20})",
):
    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Cancel",
                style=discord.ButtonStyle.secondary,
                custom_id=f"hallway:privacy:keep:{user_id}",
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> KeepButton:
        return cls(int(match["user_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(interaction, lambda: cog.cancel_forget(interaction, self.user_id))


DYNAMIC_ITEMS = (ForgetButton, KeepButton)


class PrivacyCog(commands.Cog, name=COG_NAME):
    # Also in a DM with the bot: a member who left a server can't run commands there,
    # but may still export or erase their data. From a DM, both cover every server.
    privacy = app_commands.Group(
        name="privacy",
        description="See or erase what Hallway stores about you",
        allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=True),
    )

    def __init__(
        self,
        bot: HallwayBot,
        service: PrivacyService,
        refresh_board: Callable[[int, int], Awaitable[None]] | None = None,
    ) -> None:
        self.bot = bot
        self.service = service
        # Office hours' board redraw, handed in by bot.py rather than imported.
        self.refresh_board = refresh_board

    def guild_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild is not None else f"a server Hallway has left ({guild_id})"

    def _where(self, interaction: discord.Interaction) -> str:
        if interaction.guild is None:
            return "in every server"
        return f"in **{interaction.guild.name}**"

    # ------------------------------------------------------------------ export

    @privacy.command(name="export")
    async def export(self, interaction: discord.Interaction) -> None:
        """Get a JSON file of everything Hallway stores about you (by DM)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        export = await self.service.export(
            interaction.guild_id, interaction.user.id, guild_name=self.guild_name
        )
        held = _summary(describe_counts(export.counts))
        if interaction.guild is None:
            # Already a DM: the file goes right here.
            await send_ephemeral(
                interaction,
                f"Here is everything Hallway stores about you in every server:\n{held}",
                file=self._file(export),
            )
            return
        try:
            await interaction.user.send(
                f"Here is everything Hallway stores about you {self._where(interaction)}:\n{held}",
                file=self._file(export),
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException as error:
            # Closed DMs are the usual reason (403); the file comes here instead.
            log.info("Could not DM an export: %s", error)
            await send_ephemeral(
                interaction,
                "I couldn't DM you (your DMs from this server may be closed), so here is your "
                f"file. Only you can see this message.\n{held}",
                file=self._file(export),
            )
            return
        await send_ephemeral(
            interaction,
            f"📬 Sent you a DM with `{export.filename}`: everything Hallway stores about you "
            f"here.\n{held}",
        )

    @staticmethod
    def _file(export: Export) -> discord.File:
        # A discord.File is consumed when sent, so each attempt gets its own.
        return discord.File(io.BytesIO(export.content), filename=export.filename)

    # ------------------------------------------------------------------ forget

    @privacy.command(name="forget")
    async def forget(self, interaction: discord.Interaction) -> None:
        """Erase what Hallway stores about you (in this server; from a DM: everywhere)."""
        counts = await self.service.counts(interaction.guild_id, interaction.user.id)
        expires = self.service.confirmation_expiry()
        view = discord.ui.View(timeout=CONFIRM_SECONDS)
        view.add_item(ForgetButton(interaction.user.id, int(expires.timestamp())))
        view.add_item(KeepButton(interaction.user.id))
        await interaction.response.send_message(
            f"This erases what Hallway stores about you {self._where(interaction)}:\n"
            f"{_summary(describe_counts(counts))}\n"
            "Your votes, queued questions, drafts and activity counts are deleted. Feedback you "
            f"reported stays, credited to “{FORMER_MEMBER}”; announcements you wrote keep "
            "posting without your name. This can't be undone.\n"
            f"Press **Erase my data** to confirm; the button expires "
            f"{discord_timestamp(expires, 'R')}. Want a copy first? Use `/privacy export`.",
            view=view,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    async def confirm_forget(
        self, interaction: discord.Interaction, owner_id: int, expires: int
    ) -> None:
        self.service.check_confirmation(
            owner_id, interaction.user.id, datetime.fromtimestamp(expires, UTC)
        )
        # Erasing touches every table, and boards are redrawn after: answer within
        # Discord's 3 seconds first. The scope is where the button was pressed, which is
        # where /privacy forget was run (its reply is only visible there).
        await interaction.response.defer()
        done = await self.service.forget(interaction.guild_id, owner_id)
        where = (
            "in this server"
            if interaction.guild_id is not None
            else f"in any server ({len(done.guilds)} held something)"
        )
        await interaction.edit_original_response(
            content=(
                f"✅ Done. Hallway no longer holds your id {where}: {done.deleted} records "
                f"deleted and {done.anonymised} anonymised. New activity from now on is "
                "counted as usual."
            ),
            view=None,
            allowed_mentions=NO_PINGS,
        )
        await self._refresh_boards(done.boards)

    async def cancel_forget(self, interaction: discord.Interaction, owner_id: int) -> None:
        self.service.check_owner(owner_id, interaction.user.id)
        await interaction.response.edit_message(
            content="Cancelled: nothing was erased.", view=None, allowed_mentions=NO_PINGS
        )

    async def _refresh_boards(self, boards: list[tuple[int, int]]) -> None:
        """Live queue boards still list the erased questions until they are redrawn."""
        refresh = self.refresh_board
        if refresh is None:
            return
        for guild_id, session_id in boards:
            try:
                await refresh(guild_id, session_id)
            except Exception:
                # The data is already gone; a stale board fixes itself on its next change.
                log.exception("Could not refresh the board of session %s", session_id)

    # ------------------------------------------------------------------ retention

    @privacy.command(name="retention")
    @app_commands.describe(days="Days to keep activity counts (30-3650); leave out to see it")
    @advocate_only()
    async def retention(
        self,
        interaction: discord.Interaction,
        days: int | None = None,
    ) -> None:
        """See or set how long this server keeps activity counts."""
        assert interaction.guild_id is not None
        if days is None:
            info = await self.service.retention(interaction.guild_id)
            await send_ephemeral(interaction, render_retention(info))
            return
        info = await self.service.set_retention(interaction.guild_id, days)
        n = info.deleted_now
        now = f" Deleted {n} older activity row{'s' * (n != 1)} just now." if n else ""
        await send_ephemeral(interaction, f"✅ {render_retention(info)}{now}")

    # ------------------------------------------------------------------ daily prune

    def schedule_prune(self) -> None:
        self.bot.alarm.schedule(PRUNE_JOB, self.service.next_prune_at(), self._run_prune)

    async def _run_prune(self) -> None:
        try:
            await self.service.prune()
        finally:
            # Tomorrow's run is scheduled even if today's failed (it is logged as unexpected).
            self.schedule_prune()
