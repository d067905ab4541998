"""Feedback buttons and modals.

The buttons are DynamicItems whose custom ids carry what they act on, so they keep
working after a restart. Callbacks find the cog and hand over; rules live in
services/feedback/capture.py.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from cogs._common import HallwayModal, find_cog, guarded
from services.feedback.capture import MAX_DETAILS, MAX_SUMMARY, CaptureResult

COG_NAME = "Feedback"
SUMMARY_ID = "summary"
DETAILS_ID = "details"
AREA_ID = "area"


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"hallway:feedback:vote:(?P<item_id>[0-9]{1,20})",
):
    def __init__(self, item_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="+1",
                style=discord.ButtonStyle.primary,
                emoji="👍",
                custom_id=f"hallway:feedback:vote:{item_id}",
            )
        )
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(int(match["item_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(interaction, lambda: cog.vote_button(interaction, self.item_id))


class DedupeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # The guild id is only in ids of buttons sent by DM, where interactions have no guild.
    template=(
        r"hallway:feedback:dup:(?P<item_id>[0-9]{1,20}):(?P<target>[0-9]{1,20})"
        r"(?::(?P<guild_id>[0-9]{1,20}))?"
    ),
):
    def __init__(self, item_id: int, target: int, guild_id: int | None = None) -> None:
        suffix = f":{guild_id}" if guild_id else ""
        super().__init__(
            discord.ui.Button(
                label=f"+1 #{target} instead",
                style=discord.ButtonStyle.primary,
                custom_id=f"hallway:feedback:dup:{item_id}:{target}{suffix}",
            )
        )
        self.item_id = item_id
        self.target = target
        self.guild_id = guild_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> DedupeButton:
        guild = match["guild_id"]
        return cls(int(match["item_id"]), int(match["target"]), int(guild) if guild else None)

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(
            interaction,
            lambda: cog.plus_one_instead(interaction, self.item_id, self.target, self.guild_id),
        )


class KeepButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"hallway:feedback:keep:(?P<item_id>[0-9]{1,20})",
):
    def __init__(self, item_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Keep separate",
                style=discord.ButtonStyle.secondary,
                custom_id=f"hallway:feedback:keep:{item_id}",
            )
        )
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> KeepButton:
        return cls(int(match["item_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(interaction, lambda: cog.keep_separate(interaction, self.item_id))


class PageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=(
        r"hallway:feedback:page:(?P<page>[0-9]{1,6}):(?P<sort>votes|recent):"
        r"(?P<status>[a-z-]{0,20}):(?P<tag>[a-z0-9-]{0,32})"
    ),
):
    def __init__(
        self, page: int, sort: str, status: str, tag: str, *, label: str, disabled: bool
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"hallway:feedback:page:{page}:{sort}:{status}:{tag}",
            )
        )
        self.page = page
        self.sort = sort
        self.status = status
        self.tag = tag

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> PageButton:
        return cls(
            int(match["page"]),
            match["sort"],
            match["status"],
            match["tag"],
            label=item.label or "Page",
            disabled=False,
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(
            interaction,
            lambda: cog.show_page(interaction, self.page, self.sort, self.status, self.tag),
        )


DYNAMIC_ITEMS = (VoteButton, DedupeButton, KeepButton, PageButton)


def card_view(item_id: int, link_url: str | None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(item_id))
    if link_url:
        view.add_item(discord.ui.Button(label="Linked issue", url=link_url))
    return view


def capture_view(result: CaptureResult, guild_id: int | None = None) -> discord.ui.View | None:
    """The +1 buttons under a new capture's similar open items, or None without any.

    guild_id is for a DM, where the buttons must carry the server; the "keep" button
    is left out there.
    """
    if not (result.created and result.similar):
        return None
    view = discord.ui.View(timeout=None)
    for similar in result.similar:
        view.add_item(DedupeButton(result.item.id, similar.id, guild_id))
    if guild_id is None:
        view.add_item(KeepButton(result.item.id))
    return view


def page_view(page: int, pages: int, sort: str, status: str, tag: str) -> discord.ui.View | None:
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(
        PageButton(max(0, page - 1), sort, status, tag, label="◀ Previous", disabled=page == 0)
    )
    view.add_item(
        PageButton(
            min(pages - 1, page + 1), sort, status, tag, label="Next ▶", disabled=page >= pages - 1
        )
    )
    return view


class SubmitModal(HallwayModal):
    def __init__(self, areas: list[str]) -> None:
        super().__init__(title="Send feedback")
        self.summary: discord.ui.TextInput[SubmitModal] = discord.ui.TextInput(
            label="Summary",
            custom_id=SUMMARY_ID,
            max_length=MAX_SUMMARY,
            placeholder="In a few words: what's wrong or missing?",
        )
        self.details: discord.ui.TextInput[SubmitModal] = discord.ui.TextInput(
            label="Details",
            custom_id=DETAILS_ID,
            style=discord.TextStyle.paragraph,
            max_length=MAX_DETAILS,
            required=False,
            placeholder="What were you doing, what happened, versions, error messages…",
        )
        hint = ", ".join(areas) if areas else "e.g. Dashboard, CLI, Python SDK"
        self.area: discord.ui.TextInput[SubmitModal] = discord.ui.TextInput(
            label="Product area (optional)",
            custom_id=AREA_ID,
            max_length=40,
            required=False,
            placeholder=hint[:100],
        )
        for field in (self.summary, self.details, self.area):
            self.add_item(field)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await find_cog(interaction, COG_NAME).submit_from_modal(
            interaction, self.summary.value, self.details.value, self.area.value
        )


class CaptureModal(HallwayModal):
    """For advocates capturing a message: adjust the summary before it is saved."""

    def __init__(self, message: discord.Message, default_summary: str) -> None:
        super().__init__(title="Capture feedback")
        self.message = message
        self.summary: discord.ui.TextInput[CaptureModal] = discord.ui.TextInput(
            label="Summary",
            custom_id=SUMMARY_ID,
            max_length=MAX_SUMMARY,
            default=default_summary[:MAX_SUMMARY] or None,
            placeholder="In a few words: what's the pain point?",
        )
        self.add_item(self.summary)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await find_cog(interaction, COG_NAME).capture_message(
            interaction, self.message, summary=self.summary.value
        )
