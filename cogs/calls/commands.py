"""/calls: regional community call series, their slots, suggested slots and what's next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import advocate_only, is_advocate, send_ephemeral
from cogs._send import dm_reliably
from cogs.calls.jobs import CallJobs
from cogs.calls.views import NotesModal
from services.calls import (
    CADENCES,
    MAX_SLOTS,
    MIN_ZONES,
    MODES,
    WEEKDAYS,
    AgendaService,
    CallPlanner,
    CallsService,
    Occurrence,
    Suggestion,
    format_offset,
)
from services.errors import NotAllowed
from services.plural import plural
from services.time.timefmt import discord_timestamp
from services.time.timezones import suggest_zones
from storage.calls import CallSeries, CallSlot

if TYPE_CHECKING:
    from bot import HallwayBot

CADENCE_CHOICES = [app_commands.Choice(name=c, value=c) for c in CADENCES]
MODE_CHOICES = [app_commands.Choice(name=m, value=m) for m in MODES]
DAY_CHOICES = [app_commands.Choice(name=d, value=d) for d in WEEKDAYS]


def where(series: CallSeries) -> str:
    return f"<#{series.channel_id}>" if series.channel_id else f"{series.location}"


def slot_line(slot: CallSlot) -> str:
    return f"**{slot.name}**: {WEEKDAYS[slot.weekday].title()} {slot.local_time} {slot.zone}"


def host_text(host_id: int | None) -> str:
    if host_id:
        return f"hosted by <@{host_id}>"
    return "no host yet (sign up with `/calls host`)"


def occurrence_line(o: Occurrence) -> str:
    line = (
        f"{discord_timestamp(o.starts_at, 'F')} ({discord_timestamp(o.starts_at, 'R')}): "
        f"**{o.series.title}** · {o.slot.name}"
    )
    if o.planned_id is not None:
        line += f" · call #{o.planned_id}, {host_text(o.host_id)}"
    return line


def suggestion_text(title: str, s: Suggestion, now: datetime) -> str:
    if s.too_few:
        return (
            f"Only {plural(s.members, 'member')} set a time zone here, too few to suggest slots "
            f"from (at least {MIN_ZONES} are needed). Members set theirs with `/me timezone`."
        )
    lines = [f"**Suggested slots for {title}** (08:00–21:00 in members' own time)"]
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for i, slot in enumerate(s.slots, 1):
        at = midnight + timedelta(minutes=slot.utc_minute)
        if at <= now:
            at += timedelta(days=1)
        lines.append(
            f"{i}. {slot.utc_minute // 60:02d}:00 UTC ({discord_timestamp(at, 't')} your time): "
            f"reaches {plural(slot.reaches, 'member')} "
            f"({slot.reaches / s.members:.0%}), {slot.new} not reached by an earlier slot"
        )
    together = "this slot reaches" if len(s.slots) == 1 else f"these {len(s.slots)} slots reach"
    summary = (
        f"Together {together} {s.share:.0%} of the {plural(s.members, 'member')} who set a zone"
    )
    if s.left_out_offsets is not None:
        low, high = s.left_out_offsets
        zones = f"UTC{format_offset(low)}" + (f"–{format_offset(high)}" if high != low else "")
        summary += f"; {s.members - s.covered} in {zones} are left out"
    lines.append(summary + ". Add them with `/calls slot-add`.")
    return "\n".join(lines)


class CallsCog(commands.Cog, name="Calls"):
    calls = app_commands.Group(
        name="calls", description="Regional community call series", guild_only=True
    )

    def __init__(
        self,
        bot: HallwayBot,
        service: CallsService,
        planner: CallPlanner,
        agenda: AgendaService,
        jobs: CallJobs,
    ) -> None:
        self.bot = bot
        self.service = service
        self.planner = planner
        self.agenda_service = agenda
        self.jobs = jobs

    async def may_host(self, interaction: discord.Interaction) -> None:
        if await is_advocate(interaction):
            return
        assert interaction.guild_id is not None
        role_id = await self.service.host_role(interaction.guild_id)
        roles = getattr(interaction.user, "roles", [])
        if role_id is None or not any(r.id == role_id for r in roles):
            raise NotAllowed(
                "Only advocates, or members with the calls' host role, can host calls. "
                "An advocate sets that role with `/calls configure host-role:`."
            )

    async def series_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        titles = await self.service.titles(interaction.guild_id)
        return [
            app_commands.Choice(name=t, value=t) for t in titles if current.lower() in t.lower()
        ][:25]

    @calls.command(name="create")
    @app_commands.describe(
        title="The series' name, e.g. Community call",
        cadence="How often the series meets",
        mode="parallel: every slot each cycle; rotating: one slot per cycle, in turn",
        duration="Minutes per call (15–240)",
        channel="The voice or stage channel the calls happen in",
        location="Or an external location, e.g. a meeting link",
    )
    @app_commands.choices(cadence=CADENCE_CHOICES, mode=MODE_CHOICES)
    @advocate_only()
    async def create(
        self,
        interaction: discord.Interaction,
        title: str,
        cadence: str,
        mode: str,
        duration: app_commands.Range[int, 1, 1440] = 60,
        channel: discord.VoiceChannel | discord.StageChannel | None = None,
        location: str | None = None,
    ) -> None:
        """Create a call series; add its regional slots with /calls slot-add."""
        assert interaction.guild_id is not None
        series = await self.service.create(
            interaction.guild_id,
            title=title,
            cadence=cadence,
            mode=mode,
            duration_minutes=duration,
            channel_id=channel.id if channel else None,
            location=location,
            channel_kind="stage" if isinstance(channel, discord.StageChannel) else "voice",
            home_channel_id=interaction.channel_id,
        )
        await send_ephemeral(
            interaction,
            f"📞 Created **{series.title}**: {series.cadence}, {series.mode}, "
            f"{series.duration_minutes} minutes, in {where(series)}. Add its slots with "
            "`/calls slot-add`, or let `/calls suggest` propose them.",
        )

    @calls.command(name="slot-add")
    @app_commands.describe(
        series="The call series",
        name="The slot's name, e.g. APAC",
        day="The weekday, in the slot's time zone",
        time="Local time, 24-hour HH:MM",
        timezone="The slot's time zone, e.g. Asia/Singapore",
    )
    @app_commands.choices(day=DAY_CHOICES)
    @advocate_only()
    async def slot_add(
        self,
        interaction: discord.Interaction,
        series: str,
        name: str,
        day: str,
        time: str,
        timezone: str,
    ) -> None:
        """Add a regional slot to a series (at most 4)."""
        assert interaction.guild_id is not None
        view, slot = await self.service.add_slot(
            interaction.guild_id, series, name=name, day=day, at=time, timezone=timezone
        )
        # Creating the call's event may retry through network faults (5 s, then 30 s),
        # longer than an interaction waits for its answer.
        await interaction.response.defer(ephemeral=True, thinking=True)
        await self.jobs.plan_series(interaction.guild_id, view.series.id)
        nxt = await self.service.upcoming(interaction.guild_id, 50)
        first = next((o for o in nxt if o.slot.id == slot.id), None)
        when = f" Its first call: {discord_timestamp(first.starts_at, 'F')}." if first else ""
        await send_ephemeral(
            interaction,
            f"Added {slot_line(slot)} to **{view.series.title}** "
            f"({plural(len(view.slots), 'slot')} of {MAX_SLOTS}).{when}",
        )

    @calls.command(name="slot-remove")
    @app_commands.describe(series="The call series", name="The slot's name")
    @advocate_only()
    async def slot_remove(self, interaction: discord.Interaction, series: str, name: str) -> None:
        """Remove a slot from a series."""
        assert interaction.guild_id is not None
        slot, ahead = await self.service.remove_slot(interaction.guild_id, series, name)
        await interaction.response.defer(ephemeral=True, thinking=True)  # as in slot-add
        await self.jobs.cancel_sessions(interaction.guild_id, ahead)
        await send_ephemeral(interaction, f"Removed the slot {slot_line(slot)}.")

    @calls.command(name="suggest")
    @app_commands.describe(series="The call series", slots="How many slots to propose (1–4)")
    @advocate_only()
    async def suggest(self, interaction: discord.Interaction, series: str, slots: int = 2) -> None:
        """Propose slots that reach the most members inside their waking hours."""
        assert interaction.guild_id is not None
        view, suggestion = await self.service.suggest(interaction.guild_id, series, slots)
        await send_ephemeral(
            interaction,
            suggestion_text(view.series.title, suggestion, self.service.now()),
        )

    @calls.command(name="upcoming")
    async def upcoming(self, interaction: discord.Interaction) -> None:
        """The next calls of every series, in your own time."""
        assert interaction.guild_id is not None
        found = await self.service.upcoming(interaction.guild_id)
        if not found:
            await send_ephemeral(
                interaction,
                "No calls are scheduled. An advocate creates a series with `/calls create` "
                "and adds its slots with `/calls slot-add`.",
            )
            return
        lines = ["**Coming up** (times shown in your own time zone)"]
        lines += [occurrence_line(o) for o in found]
        await send_ephemeral(interaction, "\n".join(lines))

    @calls.command(name="configure")
    @app_commands.describe(host_role="Members with this role may sign up to host calls")
    @app_commands.rename(host_role="host-role")
    @advocate_only()
    async def configure(
        self, interaction: discord.Interaction, host_role: discord.Role | None = None
    ) -> None:
        """Set which role (besides advocates) may host calls; leave empty for advocates only."""
        assert interaction.guild_id is not None
        await self.service.set_host_role(interaction.guild_id, host_role.id if host_role else None)
        who = f"advocates and members with {host_role.mention}" if host_role else "advocates only"
        await send_ephemeral(interaction, f"Calls can now be hosted by {who}.")

    @calls.command(name="host")
    @app_commands.describe(series="The call series", slot="The slot's name, e.g. APAC")
    async def host(self, interaction: discord.Interaction, series: str, slot: str) -> None:
        """Sign up to host a slot's calls; hosts take turns, fewest hosted first."""
        assert interaction.guild_id is not None
        await self.may_host(interaction)
        found, s, filled = await self.planner.sign_up(
            interaction.guild_id, interaction.user.id, series, slot
        )
        for call in filled:
            self.jobs.schedule_notice(call)
        await interaction.response.defer(ephemeral=True, thinking=True)  # as in slot-add
        await self.jobs.plan_series(interaction.guild_id, found.id)
        extra = f" You now host {plural(len(filled), 'planned call')}." if filled else ""
        await send_ephemeral(
            interaction,
            f"You're signed up to host **{found.title}** · {s.name}. You'll be told a day "
            f"before each call you host.{extra}",
        )

    @calls.command(name="unhost")
    @app_commands.describe(series="The call series", slot="The slot's name")
    async def unhost(self, interaction: discord.Interaction, series: str, slot: str) -> None:
        """Stop hosting a slot; your planned calls go to the next host in turn."""
        assert interaction.guild_id is not None
        found, s, moved = await self.planner.leave(
            interaction.guild_id, interaction.user.id, series, slot
        )
        for call in moved:
            self.jobs.schedule_notice(call)
        extra = ""
        if moved:
            extra = " Your planned calls went to: " + ", ".join(
                f"#{c.id} ({host_text(c.host_id)})" for c in moved
            )
        await send_ephemeral(
            interaction, f"You no longer host **{found.title}** · {s.name}.{extra}"
        )

    @calls.command(name="swap")
    @app_commands.describe(
        occurrence="The call's number (from /calls upcoming)", with_="Who takes the call"
    )
    @app_commands.rename(with_="with")
    async def swap(
        self, interaction: discord.Interaction, occurrence: int, with_: discord.Member
    ) -> None:
        """Give a call you host to another host of its slot (advocates: any call)."""
        assert interaction.guild_id is not None
        result = await self.planner.swap(
            interaction.guild_id,
            occurrence,
            with_.id,
            by=interaction.user.id,
            by_advocate=await is_advocate(interaction),
        )
        self.jobs.schedule_notice(result.call)
        if result.other is not None:
            self.jobs.schedule_notice(result.other)
        series = await self.planner.series_of(result.call)
        what = f"**{series.title} · {result.call.slot_name}** (call #{result.call.id}, " + (
            f"{discord_timestamp(result.call.starts_at, 'F')})"
        )
        back = ""
        if result.other is not None:
            back = (
                f" In return <@{result.old_host}> hosts call #{result.other.id} "
                f"({discord_timestamp(result.other.starts_at, 'F')})."
            )
        text = f"🔁 <@{result.new_host}> now hosts {what}.{back}"
        told = [result.new_host] + ([result.old_host] if result.old_host is not None else [])
        for user_id in told:
            await dm_reliably(self.bot, user_id, text)
        await send_ephemeral(interaction, text + " Both hosts were told.")

    @calls.command(name="agenda")
    @app_commands.describe(series="The call series", item="What the call should discuss")
    async def agenda(self, interaction: discord.Interaction, series: str, item: str) -> None:
        """Add an item to a series' shared agenda (anyone can)."""
        assert interaction.guild_id is not None
        added = await self.agenda_service.add(
            interaction.guild_id, interaction.user.id, series, item
        )
        await send_ephemeral(
            interaction,
            f"Added #{added.id} to the agenda: {added.text}. It stays on the agenda, from "
            "call to call in any region, until a call covers it.",
        )

    @calls.command(name="agenda-list")
    @app_commands.describe(series="The call series")
    async def agenda_list(self, interaction: discord.Interaction, series: str) -> None:
        """The open agenda of a series, with decisions waiting for other regions."""
        assert interaction.guild_id is not None
        view = await self.agenda_service.listing(interaction.guild_id, series)
        if not view.items:
            await send_ephemeral(
                interaction,
                f"**{view.series.title}** has nothing on its agenda. Add an item with "
                "`/calls agenda`.",
            )
            return
        names = {s.id: s.name for s in view.slots}
        lines = [f"**Agenda of {view.series.title}**"]
        for i in view.items:
            where_to = (
                f" (for the next {names.get(i.for_slot_id, '?')} call)" if i.for_slot_id else ""
            )
            lines.append(f"#{i.id} {i.text}{where_to}")
        await send_ephemeral(interaction, "\n".join(lines))

    @calls.command(name="notes")
    @app_commands.describe(occurrence="The call's number (from /calls upcoming or your notice)")
    async def notes(self, interaction: discord.Interaction, occurrence: int) -> None:
        """Write a call's recap (its host or an advocate); it's posted in the series' thread."""
        assert interaction.guild_id is not None
        await self.agenda_service.check_notes(
            interaction.guild_id,
            occurrence,
            interaction.user.id,
            await is_advocate(interaction),
        )
        call = await self.planner.call(interaction.guild_id, occurrence)
        series = await self.planner.series_of(call)
        await interaction.response.send_modal(
            NotesModal(call.id, f"{series.title} · {call.slot_name}")
        )

    async def modal_notes(
        self,
        interaction: discord.Interaction,
        call_id: int,
        summary: str,
        decisions: str,
        covered: str,
    ) -> None:
        assert interaction.guild_id is not None and interaction.guild is not None
        result = await self.agenda_service.notes(
            interaction.guild_id,
            call_id,
            by=interaction.user.id,
            by_advocate=await is_advocate(interaction),
            summary=summary,
            decisions=decisions,
            covered=covered,
        )
        # Posting may retry through network faults for longer than an interaction waits.
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = await self.jobs.post_recap(
            interaction.guild_id,
            result.call.id,
            fallback=interaction.channel,  # type: ignore[arg-type]
        )
        if message is None:
            await send_ephemeral(
                interaction,
                "Your notes are saved, but Discord failed when I posted them. I'll keep "
                "trying for a day and the advocates are told; don't write them again.",
            )
            return
        await send_ephemeral(interaction, f"Posted the recap: {message.jump_url}")

    @slot_add.autocomplete("timezone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    slot_add.autocomplete("series")(series_autocomplete)
    slot_remove.autocomplete("series")(series_autocomplete)
    suggest.autocomplete("series")(series_autocomplete)
    host.autocomplete("series")(series_autocomplete)
    unhost.autocomplete("series")(series_autocomplete)
    agenda.autocomplete("series")(series_autocomplete)
    agenda_list.autocomplete("series")(series_autocomplete)
