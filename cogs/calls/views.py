"""The recap modal for /calls notes."""

from __future__ import annotations

import discord

from cogs._common import HallwayModal, find_cog
from services.calls.agenda import MAX_SUMMARY

COG_NAME = "Calls"


class NotesModal(HallwayModal):
    summary: discord.ui.TextInput[NotesModal] = discord.ui.TextInput(
        label="What the call discussed",
        custom_id="summary",
        style=discord.TextStyle.paragraph,
        max_length=MAX_SUMMARY,
    )
    decisions: discord.ui.TextInput[NotesModal] = discord.ui.TextInput(
        label="Decisions, one per line",
        custom_id="decisions",
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=2000,
    )
    covered: discord.ui.TextInput[NotesModal] = discord.ui.TextInput(
        label="Agenda items covered (e.g. 3, 5 or all)",
        custom_id="covered",
        required=False,
        max_length=200,
    )

    def __init__(self, call_id: int, title: str) -> None:
        super().__init__(
            title=f"Notes: {title}"[:45],
            custom_id=f"hallway:calls:notes:{call_id}",
            timeout=30 * 60,
        )
        self.call_id = call_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await cog.modal_notes(
            interaction,
            self.call_id,
            self.summary.value,
            self.decisions.value or "",
            self.covered.value or "",
        )
