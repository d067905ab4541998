"""/oncall: the on-call rotation, and the handoff alarm that moves the role and posts a note.

The handoff alarm (``oncall:<guild>``) is rebuilt from the database at start-up. A shift is
claimed in the database before the role moves or the note is posted, and marked done
after; an unfinished shift found at start-up is finished then (moving the role again
changes nothing, so only the note could be posted twice, and it is looked for first).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import NO_PINGS, advocate_only, send_ephemeral
from cogs._send import SendFailed, find_recent, send_reliably
from services.boundaries.oncall import Handoff, OnCallService, describe_config
from services.time.timefmt import discord_timestamp
from services.time.timezones import suggest_zones

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)


def job_name(guild_id: int) -> str:
    return f"oncall:{guild_id}"


def role_problem(
    guild: discord.Guild, role_id: int, me: discord.Member | None = None
) -> str | None:
    """Why Hallway can't move the on-call role, as guidance (also `--check`'s), or None.

    ``me``: Hallway's own member when the guild came from REST (``--check``), not the cache.
    """
    role = guild.get_role(role_id)
    me = me or guild.me
    if role is None:
        return "⚠️ The on-call role no longer exists: pick another with `/oncall configure`."
    if not me.guild_permissions.manage_roles:
        return (
            f"⚠️ Hallway can't move the **{role.name}** role: it lacks the **Manage Roles** "
            "permission. Fix: Server Settings → Roles → Hallway's role → turn on Manage Roles."
        )
    if me.top_role <= role:
        return (
            f"⚠️ Hallway can't move the **{role.name}** role: its own role "
            f"(**{me.top_role.name}**) sits below it. Fix: Server Settings → Roles, drag "
            f"Hallway's role above **{role.name}**."
        )
    return None


class OnCallJobs:
    def __init__(self, bot: HallwayBot, service: OnCallService) -> None:
        self.bot = bot
        self.service = service

    async def rebuild(self) -> None:
        for guild_id in await self.service.repo.configured_guilds():
            await self.schedule(guild_id)

    async def schedule(self, guild_id: int) -> None:
        due = await self.service.next_due(guild_id)
        if due is None:
            self.bot.alarm.cancel(job_name(guild_id))
            return
        self.bot.alarm.schedule(job_name(guild_id), due, lambda: self.run(guild_id))

    async def run(self, guild_id: int) -> None:
        await self.bot.wait_until_ready()
        handoff = await self.service.handoff(guild_id)
        if handoff is None:
            return
        guild = self.bot.get_guild(guild_id)
        problem = None
        if guild is not None:
            problem = role_problem(guild, handoff.config.role_id)
            if problem is None:
                problem = await self._move_role(guild, handoff.config.role_id, handoff.holder)
        if handoff.shift is not None:
            if guild is not None:
                await self._post(guild, handoff, problem)
            await self.service.finish(guild_id, handoff.shift)
        await self.schedule(guild_id)

    async def _move_role(
        self, guild: discord.Guild, role_id: int, holder: int | None
    ) -> str | None:
        role = guild.get_role(role_id)
        assert role is not None
        if not guild.chunked:
            # After a restart the member cache may still be filling: role.members needs it.
            await guild.chunk()
        try:
            for member in list(role.members):
                if member.id != holder:
                    await send_reliably(
                        lambda m=member: m.remove_roles(role, reason="On-call handoff"),
                        pace=self.bot.pacer.wait,
                        what="on-call role removal",
                    )
            member = guild.get_member(holder) if holder is not None else None
            if member is not None and role not in member.roles:
                await send_reliably(
                    lambda: member.add_roles(role, reason="On-call handoff"),
                    pace=self.bot.pacer.wait,
                    what="on-call role",
                )
        except SendFailed as failed:
            log.warning("Could not move the on-call role in %s: %r", guild.id, failed.error)
            if isinstance(failed.error, discord.Forbidden):
                return (
                    f"⚠️ Discord refused (403) to move the **{role.name}** role: Hallway needs "
                    "the **Manage Roles** permission and its own role above the on-call role. "
                    "Fix: Server Settings → Roles → Hallway's role: turn on Manage Roles and "
                    f"drag it above **{role.name}**. It is retried at the next handoff."
                )
            return "⚠️ Discord refused to move the on-call role; it is retried at the next handoff."
        return None

    async def _post(self, guild: discord.Guild, handoff: Handoff, problem: str | None) -> None:
        channel = guild.get_channel(handoff.config.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            log.warning("On-call channel of %s is gone", guild.id)
            return
        text = handoff_text(handoff, problem)
        mentions = (
            discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(handoff.holder)]
            )
            if handoff.holder is not None
            else NO_PINGS
        )
        assert handoff.shift is not None

        async def sent_already() -> discord.Message | None:
            # The note names the shift's end and holder, so it is unique among the recent
            # messages; no `after=` bound (ids only approximate the time a message was sent).
            return await find_recent(self.bot, channel, lambda m: m.content == text)

        if await sent_already() is not None:
            return
        try:
            await send_reliably(
                lambda: channel.send(text, allowed_mentions=mentions),
                find_sent=sent_already,
                pace=self.bot.pacer.wait,
                what="on-call handoff note",
            )
        except SendFailed as failed:
            log.warning("Handoff note for %s not posted: %r", guild.id, failed.error)


async def board_line(service: OnCallService, guild_id: int) -> str | None:
    """The office-hours board's "Who to ask": on call now, and when the others are back."""
    on_call, off = await service.who_to_ask(guild_id)
    if on_call is None and not off:
        return None
    parts = [f"<@{on_call}> is on call" if on_call else "Nobody is on call right now"]
    parts += [f"<@{u}> is back {discord_timestamp(t, 'R')}" for u, t in off]
    return " · ".join(parts)


def handoff_text(handoff: Handoff, problem: str | None) -> str:
    shift = handoff.shift
    assert shift is not None
    who = (
        f"<@{handoff.holder}>"
        if handoff.holder is not None
        else "**nobody** (the rotation is empty or everyone is away)"
    )
    lines = [f"🔁 **On-call handoff**: {who} is on call until {discord_timestamp(shift.ends_at)}."]
    previous = handoff.previous
    if previous is not None and previous.user_id is not None and previous.user_id != handoff.holder:
        lines.append(f"Taking over from <@{previous.user_id}>.")
    if previous is not None and previous.note:
        lines.append(f"📝 Note from the last shift: {discord.utils.escape_mentions(previous.note)}")
    if handoff.open_items:
        lines.append("**Open:**")
        lines += [f"• {item}" for item in handoff.open_items]
    else:
        lines.append("Nothing open is waiting.")
    if problem:
        lines.append(problem)
    return "\n".join(lines)


class OnCallCog(commands.Cog, name="OnCall"):
    oncall = app_commands.Group(
        name="oncall", description="The on-call rotation for community triage", guild_only=True
    )

    def __init__(self, service: OnCallService, jobs: OnCallJobs) -> None:
        self.service = service
        self.jobs = jobs

    @oncall.command(name="configure")
    @app_commands.describe(
        role="The On call role Hallway moves at each handoff",
        shift="How long a shift lasts",
        handoff="When shifts change, e.g. 09:00, or mon 09:00 for weekly shifts",
        timezone="The handoff's time zone, e.g. Europe/Berlin",
        channel="Where handoff notes are posted (the advocates' channel)",
    )
    @app_commands.choices(
        shift=[
            app_commands.Choice(name="daily", value="daily"),
            app_commands.Choice(name="weekly", value="weekly"),
        ]
    )
    @advocate_only()
    async def configure(
        self,
        interaction: discord.Interaction,
        role: discord.Role,
        shift: app_commands.Choice[str],
        handoff: str,
        timezone: str,
        channel: discord.TextChannel,
    ) -> None:
        """Set up the on-call rotation."""
        assert interaction.guild is not None
        config = await self.service.configure(
            interaction.guild.id, role.id, channel.id, shift.value, handoff, timezone
        )
        await self.jobs.schedule(interaction.guild.id)
        problem = role_problem(interaction.guild, role.id)
        text = (
            f"📟 On-call rotation set: {role.mention}, {describe_config(config)}; handoff notes "
            f"go to {channel.mention}. Advocates join with `/oncall join`."
        )
        await send_ephemeral(interaction, text + (f"\n{problem}" if problem else ""))

    @configure.autocomplete("timezone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    @oncall.command(name="join")
    @advocate_only()
    async def join(self, interaction: discord.Interaction) -> None:
        """Join the on-call rotation."""
        assert interaction.guild_id is not None
        await self.service.join(interaction.guild_id, interaction.user.id)
        await self.jobs.schedule(interaction.guild_id)
        await send_ephemeral(
            interaction, "✅ You're in the on-call rotation. `/oncall who` shows the next shifts."
        )

    @oncall.command(name="leave")
    @advocate_only()
    async def leave(self, interaction: discord.Interaction) -> None:
        """Leave the on-call rotation (from the next shift)."""
        assert interaction.guild_id is not None
        await self.service.leave(interaction.guild_id, interaction.user.id)
        await send_ephemeral(
            interaction, "👋 You've left the on-call rotation from the next shift on."
        )

    @oncall.command(name="who")
    @advocate_only()
    async def who(self, interaction: discord.Interaction) -> None:
        """Who is on call now, and the next 4 shifts."""
        assert interaction.guild_id is not None
        config, now_holder, slots = await self.service.who(interaction.guild_id)
        lines = [f"📟 **On call** ({describe_config(config)})"]
        lines.append(f"Now: {f'<@{now_holder}>' if now_holder else 'nobody'}")
        for s in slots:
            who = f"<@{s.user_id}>" if s.user_id else "nobody"
            tag = " (cover)" if s.override else ""
            lines.append(
                f"• {discord_timestamp(s.starts_at)} → {discord_timestamp(s.ends_at)}: {who}{tag}"
            )
        await send_ephemeral(interaction, "\n".join(lines))

    @oncall.command(name="override")
    @app_commands.describe(
        member="Who covers",
        start="When the cover starts: now, or e.g. friday 17:00 (the rotation's time zone)",
        until="When it ends, e.g. monday 09:00 or in 3 days",
    )
    @app_commands.rename(start="from")
    @advocate_only()
    async def override(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        until: str,
        start: str = "now",
    ) -> None:
        """Have someone cover on-call for a given time."""
        assert interaction.guild_id is not None
        cover = await self.service.add_override(
            interaction.guild_id, member.id, start, until, interaction.user.id
        )
        await self.jobs.schedule(interaction.guild_id)
        if cover.starts_at <= self.jobs.bot.clock.now():
            await self.jobs.run(interaction.guild_id)
        await send_ephemeral(
            interaction,
            f"🛟 {member.mention} covers on-call {discord_timestamp(cover.starts_at)} → "
            f"{discord_timestamp(cover.ends_at)}.",
        )

    @oncall.command(name="handoff-note")
    @app_commands.describe(note="What the next person on call should know")
    @advocate_only()
    async def handoff_note(self, interaction: discord.Interaction, note: str) -> None:
        """Leave a note for whoever takes on-call next (posted at the handoff)."""
        assert interaction.guild_id is not None
        shift = await self.service.set_handoff_note(interaction.guild_id, interaction.user.id, note)
        await send_ephemeral(
            interaction,
            f"📝 Saved: it's posted with the handoff at {discord_timestamp(shift.ends_at)}.",
        )
