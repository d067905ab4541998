"""What every cog shares: the advocate check, error replies and safe sending."""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from services.errors import HallwayError, NotAllowed

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

T = TypeVar("T")

NO_PINGS = discord.AllowedMentions.none()

ADVOCATE_NEEDED = (
    "Only advocates can do that. An advocate has the server's advocate role "
    "(see `/setup show`) or the Manage Server permission."
)
GUILD_ONLY = "This command only works in a server, not in DMs."

# Discord shows mentions as names in embed descriptions and field values only; in a title,
# field name or footer they stay raw `<@123>` ids, so text going there loses them.
_MENTION = re.compile(r"<(@!?|@&|#)(\d+)>")
_MENTION_WORD = {"@": "@member", "@!": "@member", "@&": "@role", "#": "#channel"}


# A member's own words: not a bot, a webhook, or a system line ("X joined", "pinned a message").
_SPOKEN = (discord.MessageType.default, discord.MessageType.reply)


def spoken_by_a_member(message: discord.Message) -> bool:
    """True for a human's message in a server: what activity counts and help channels track."""
    return (
        message.guild is not None
        and not message.author.bot
        and message.webhook_id is None
        and message.type in _SPOKEN
    )


def embed_label(text: str) -> str:
    """Text for an embed title, field name or footer, with mentions made plain words."""
    return _MENTION.sub(lambda m: _MENTION_WORD[m.group(1)], text)


class Refusal(app_commands.CheckFailure):
    """A check failed; the message is for the user."""


def fit_lines(lines: list[str], limit: int, empty: str = "None") -> str:
    """Join whole lines within Discord's length limit, saying how many were left out."""
    out: list[str] = []
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        tail = [f"…and {rest} more"] if rest else []
        if len("\n".join([*out, line, *tail])) > limit:
            out.append(f"…and {len(lines) - i} more")
            break
        out.append(line)
    return "\n".join(out) or empty


def ready_job(
    bot: commands.Bot, fn: Callable[[], Awaitable[None]], log: logging.Logger, what: str
) -> Callable[[], Awaitable[None]]:
    """An alarm job that first waits for the guild cache (a job due at start-up runs
    before it is filled) and logs a HallwayError instead of raising it: what the job was
    planned for moved on since (an advocate ended the session, a call was cancelled)."""

    # A partial of a module-level function, not a closure: the alarm holds one per job (four
    # per office-hours session), so at 2,500 guilds its size is part of the memory per guild.
    return functools.partial(_run_when_ready, bot, fn, log, what)


async def _run_when_ready(
    bot: commands.Bot, fn: Callable[[], Awaitable[None]], log: logging.Logger, what: str
) -> None:
    await bot.wait_until_ready()
    try:
        await fn()
    except HallwayError as exc:
        log.info("%s job skipped: %s", what, exc)


def hallway(interaction: discord.Interaction) -> HallwayBot:
    return interaction.client  # type: ignore[return-value]


def find_cog(interaction: discord.Interaction, name: str) -> Any:
    """The cog a persistent button or modal hands over to, found by its name."""
    cog = hallway(interaction).get_cog(name)
    if cog is None:  # pragma: no cover - a cog is loaded with its buttons
        raise RuntimeError(f"the {name} cog is not loaded")
    return cog


async def member_is_advocate(bot: HallwayBot, member: discord.Member) -> bool:
    return await bot.services.guild_settings.is_advocate(
        member.guild.id,
        [role.id for role in member.roles],
        manage_guild=member.guild_permissions.manage_guild,
    )


async def is_advocate(interaction: discord.Interaction) -> bool:
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        return False
    return await member_is_advocate(hallway(interaction), interaction.user)


async def require_advocate(interaction: discord.Interaction) -> None:
    """For buttons and modals, which have no app-command checks."""
    if interaction.guild is None:
        raise NotAllowed(GUILD_ONLY)
    if not await is_advocate(interaction):
        raise NotAllowed(ADVOCATE_NEEDED)


def advocate_only() -> Callable[[T], T]:
    """The one advocate check, as an app-command decorator."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild is None:
            raise Refusal(GUILD_ONLY)
        if not await is_advocate(interaction):
            raise Refusal(ADVOCATE_NEEDED)
        return True

    # Marks the check so the README's permissions table can be derived from the tree.
    predicate.hallway_advocate_only = True  # type: ignore[attr-defined]
    return app_commands.check(predicate)


def command_permissions(tree: app_commands.CommandTree) -> list[tuple[str, bool]]:
    """(name as users type it, advocate-only?) for every command and context menu."""
    rows: list[tuple[str, bool]] = []
    for command in tree.walk_commands():
        if isinstance(command, app_commands.Group):
            continue
        advocate = any(getattr(c, "hallway_advocate_only", False) for c in command.checks)
        rows.append((f"/{command.qualified_name}", advocate))
    for menu in tree.get_commands(type=discord.AppCommandType.message):
        advocate = any(getattr(c, "hallway_advocate_only", False) for c in menu.checks)
        rows.append((f"{menu.name} (message menu)", advocate))
    return sorted(rows)


def permissions_table(tree: app_commands.CommandTree) -> str:
    lines = ["| command | member | advocate |", "|---|:---:|:---:|"]
    for name, advocate_only_ in command_permissions(tree):
        lines.append(f"| `{name}` | {'❌' if advocate_only_ else '✅'} | ✅ |")
    return "\n".join(lines)


async def send_ephemeral(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Reply privately whether or not the interaction was already answered."""
    kwargs.setdefault("allowed_mentions", NO_PINGS)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def _user_message(error: BaseException) -> str | None:
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, HallwayError):
        return str(error)
    if isinstance(error, Refusal):
        return str(error)
    if isinstance(error, app_commands.NoPrivateMessage):
        return GUILD_ONLY
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return (
            f"`{error.value}` isn't a valid {error.type.name.lower()} here. Pick one from the list."
        )
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I'm missing a permission here: {needed}. Ask a server admin to grant it."
    if isinstance(error, discord.Forbidden):
        return (
            "Discord refused that because I'm missing a permission in this channel. "
            "Ask a server admin to check my role."
        )
    return None


def is_user_error(error: BaseException) -> bool:
    """True for the errors Hallway answers with a friendly reply (not a crash)."""
    return _user_message(error) is not None


async def report_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Turn any error into an ephemeral reply; log the unexpected ones with a reference."""
    message = _user_message(error)
    if message is None:
        ref = secrets.token_hex(3)
        original = getattr(error, "original", error)
        log.error(
            "Unexpected error (ref %s) in %s",
            ref,
            _describe(interaction),
            exc_info=(type(original), original, original.__traceback__),
        )
        bot = hallway(interaction)
        record = getattr(bot, "record_unexpected_error", None)
        if record is not None:
            record(original)
        message = f"Something went wrong (ref `{ref}`). The team can find it in the logs."
    try:
        await send_ephemeral(interaction, message)
    except discord.HTTPException:
        log.warning("Could not deliver an error reply for %s", _describe(interaction))


def _describe(interaction: discord.Interaction) -> str:
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = (interaction.data or {}).get("custom_id") if interaction.data else None
    return f"command={command} custom_id={custom_id} guild={interaction.guild_id}"


async def guarded(interaction: discord.Interaction, action: Callable[[], Awaitable[None]]) -> None:
    """Run a component or modal callback with the same error handling as commands."""
    try:
        await action()
    except Exception as error:
        await report_error(interaction, error)


class HallwayTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class HallwayModal(discord.ui.Modal):
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        await report_error(interaction, error)


class HallwayView(discord.ui.View):
    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await report_error(interaction, error)
