"""The join form and the persistent "did you meet?" buttons."""

from __future__ import annotations

import re
from typing import Any

import discord

from cogs._common import HallwayModal, find_cog, guarded
from services.hallway.hours import MAX_FREE_HOURS_TEXT
from services.hallway.service import MAX_INTRO
from storage.hallway import HallwayMember

COG_NAME = "Hallway"
INTERESTS_ID = "interests"
INTRO_ID = "intro"
HOURS_ID = "free_hours"
ZONE_ID = "zone"
ANSWER_LABELS = {"yes": "Yes", "not-yet": "Not yet", "no": "No"}
ANSWER_STYLES = {
    "yes": discord.ButtonStyle.success,
    "not-yet": discord.ButtonStyle.secondary,
    "no": discord.ButtonStyle.danger,
}


class JoinModal(HallwayModal):
    def __init__(self, current: HallwayMember | None, ask_zone: bool) -> None:
        super().__init__(
            title="Join the hallway track" if current is None else "Your hallway answers"
        )
        self.interests: discord.ui.TextInput[JoinModal] = discord.ui.TextInput(
            label="Interests (up to 5, comma-separated)",
            custom_id=INTERESTS_ID,
            max_length=200,
            required=False,
            default=", ".join(current.interests) if current else None,
            placeholder="rust, webhooks, ai agents",
        )
        self.intro: discord.ui.TextInput[JoinModal] = discord.ui.TextInput(
            label="A one-line intro",
            custom_id=INTRO_ID,
            max_length=MAX_INTRO,
            required=False,
            default=current.intro if current and current.intro else None,
            placeholder="Backend dev at a fintech, learning Rust",
        )
        self.free_hours: discord.ui.TextInput[JoinModal] = discord.ui.TextInput(
            label="Free hours, in your time (optional)",
            custom_id=HOURS_ID,
            max_length=MAX_FREE_HOURS_TEXT,
            required=False,
            default=current.free_hours if current and current.free_hours else None,
            placeholder="18-21 weekdays, or 9-17 mon-fri",
        )
        self.add_item(self.interests)
        self.add_item(self.intro)
        self.add_item(self.free_hours)
        self.zone: discord.ui.TextInput[JoinModal] | None = None
        if ask_zone:
            self.zone = discord.ui.TextInput(
                label="Your time zone (IANA name)",
                custom_id=ZONE_ID,
                max_length=64,
                placeholder="Europe/Berlin, America/New_York, Asia/Singapore",
            )
            self.add_item(self.zone)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await find_cog(interaction, COG_NAME).join_from_modal(
            interaction,
            self.interests.value,
            self.intro.value,
            self.free_hours.value,
            self.zone.value if self.zone is not None else None,
        )


class MetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"hallway:hallway:met:(?P<group_id>[0-9]{1,20}):(?P<answer>yes|not-yet|no)",
):
    def __init__(self, group_id: int, answer: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=ANSWER_LABELS[answer],
                style=ANSWER_STYLES[answer],
                custom_id=f"hallway:hallway:met:{group_id}:{answer}",
            )
        )
        self.group_id = group_id
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> MetButton:
        return cls(int(match["group_id"]), match["answer"])

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(
            interaction, lambda: cog.answer_button(interaction, self.group_id, self.answer)
        )


DYNAMIC_ITEMS = (MetButton,)


def met_view(group_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer in ANSWER_LABELS:
        view.add_item(MetButton(group_id, answer))
    return view
