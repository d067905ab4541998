"""Persistent office-hours buttons (queue board and host card) and the Join-queue modal.

The buttons are DynamicItems: their custom ids carry the session or question id,
so they work after a restart without any in-memory view. Each callback only
finds the cog and hands over; the rules live in services/office_hours.py.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from cogs._common import HallwayModal, find_cog, guarded
from services.office_hours import MAX_QUESTION

COG_NAME = "OfficeHours"
QUESTION_INPUT_ID = "question"


BOARD_LABELS = {
    "join": ("Join queue", discord.ButtonStyle.primary, "🙋"),
    "leave": ("Leave queue", discord.ButtonStyle.secondary, None),
    "next": ("Next question (hosts)", discord.ButtonStyle.success, None),
}

CARD_LABELS = {
    "answered": ("Answered", discord.ButtonStyle.success, "✅"),
    "skip": ("Skip", discord.ButtonStyle.secondary, "⏭️"),
    "feedback": ("Convert to feedback", discord.ButtonStyle.primary, "📝"),
}


class BoardButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"hallway:oh:(?P<action>join|leave|next):(?P<session_id>[0-9]{1,20})",
):
    def __init__(self, action: str, session_id: int) -> None:
        label, style, emoji = BOARD_LABELS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                emoji=emoji,
                custom_id=f"hallway:oh:{action}:{session_id}",
            )
        )
        self.action = action
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> BoardButton:
        return cls(match["action"], int(match["session_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        if self.action == "join":
            await guarded(interaction, lambda: cog.board_join(interaction, self.session_id))
        elif self.action == "leave":
            await guarded(interaction, lambda: cog.board_leave(interaction, self.session_id))
        else:
            await guarded(interaction, lambda: cog.board_next(interaction, self.session_id))


class CardButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"hallway:oh:(?P<action>answered|skip|feedback):(?P<question_id>[0-9]{1,20})",
):
    def __init__(self, action: str, question_id: int) -> None:
        label, style, emoji = CARD_LABELS[action]
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                emoji=emoji,
                custom_id=f"hallway:oh:{action}:{question_id}",
            )
        )
        self.action = action
        self.question_id = question_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> CardButton:
        return cls(match["action"], int(match["question_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(
            interaction, lambda: cog.card_action(interaction, self.action, self.question_id)
        )


def board_view(session_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in BOARD_LABELS:
        view.add_item(BoardButton(action, session_id))
    return view


def card_view(session_id: int, question_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in CARD_LABELS:
        view.add_item(CardButton(action, question_id))
    # The card also lets the host move on without going back to the board.
    view.add_item(BoardButton("next", session_id))
    return view


class JoinQueueModal(HallwayModal):
    question: discord.ui.TextInput[JoinQueueModal] = discord.ui.TextInput(
        label="Your question",
        style=discord.TextStyle.paragraph,
        custom_id=QUESTION_INPUT_ID,
        max_length=MAX_QUESTION,
        placeholder="What would you like to ask? A sentence or two is plenty.",
    )

    def __init__(self, session_id: int, title: str) -> None:
        super().__init__(
            title=f"Join the queue: {title}"[:45],
            custom_id=f"hallway:oh:ask-modal:{session_id}",
            timeout=15 * 60,
        )
        self.session_id = session_id

    async def on_submit(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await cog.modal_ask(interaction, self.session_id, self.question.value)
