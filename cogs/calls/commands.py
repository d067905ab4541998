"""/calls: regional community call series, their slots, suggested slots and what's next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import advocate_only, send_ephemeral
from services.calls import (
    CADENCES,
    MAX_SLOTS,
    MIN_ZONES,
    MODES,
    WEEKDAYS,
    CallsService,
    Occurrence,
    Suggestion,
    format_offset,
)
from services.plural import plural
from services.time.timefmt import discord_timestamp
from services.time.timezones import suggest_zones
from storage.calls import CallSeries, CallSlot

CADENCE_CHOICES = [app_commands.Choice(name=c, value=c) for c in CADENCES]
MODE_CHOICES = [app_commands.Choice(name=m, value=m) for m in MODES]
DAY_CHOICES = [app_commands.Choice(name=d, value=d) for d in WEEKDAYS]


def where(series: CallSeries) -> str:
    return f"<#{series.channel_id}>" if series.channel_id else f"{series.location}"


def slot_line(slot: CallSlot) -> str:
    return f"**{slot.name}**: {WEEKDAYS[slot.weekday].title()} {slot.local_time} {slot.zone}"


def occurrence_line(o: Occurrence) -> str:
    return (
        f"{discord_timestamp(o.starts_at, 'F')} ({discord_timestamp(o.starts_at, 'R')}): "
        f"**{o.series.title}** · {o.slot.name}"
    )


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

    def __init__(self, service: CallsService) -> None:
        self.service = service

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
        slot, _ahead = await self.service.remove_slot(interaction.guild_id, series, name)
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

    @slot_add.autocomplete("timezone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in suggest_zones(current)]

    slot_add.autocomplete("series")(series_autocomplete)
    slot_remove.autocomplete("series")(series_autocomplete)
    suggest.autocomplete("series")(series_autocomplete)
