"""Survey buttons, select menus and the free-text modal.

Every component is a DynamicItem whose custom id carries what it acts on, so a card
or an answer sheet opened before a restart keeps working after it. The answers
themselves are saved in the database as they are chosen.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from cogs._common import HallwayModal, find_cog, guarded
from services.surveys.results import value_labels
from services.surveys.rules import MAX_TEXT_ANSWER
from storage.surveys import Question

COG_NAME = "Surveys"
TEXT_ID = "answer"
_ID = r"[0-9]{1,20}"


class TakeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"hallway:survey:take:(?P<survey_id>{_ID})",
):
    def __init__(self, survey_id: int, *, closed: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Survey closed" if closed else "Take the survey",
                style=discord.ButtonStyle.secondary if closed else discord.ButtonStyle.primary,
                emoji=None if closed else "📝",
                disabled=closed,
                custom_id=f"hallway:survey:take:{survey_id}",
            )
        )
        self.survey_id = survey_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> TakeButton:
        return cls(int(match["survey_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(interaction, lambda: cog.take(interaction, self.survey_id))


class AnswerSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"hallway:survey:ans:(?P<survey_id>{_ID}):(?P<position>[0-9]{{1,2}})",
):
    def __init__(
        self, survey_id: int, question: Question | None = None, current: Any = None
    ) -> None:
        position = question.position if question else 0
        select: discord.ui.Select[Any] = discord.ui.Select(
            custom_id=f"hallway:survey:ans:{survey_id}:{position}",
            placeholder="Choose your answer",
        )
        if question is not None:
            chosen = set(current if isinstance(current, list) else [current])
            for value, label in value_labels(question):
                select.add_option(label=label[:100], value=str(value), default=value in chosen)
            if question.multi:
                select.min_values, select.max_values = 1, len(question.options)
                select.placeholder = "Choose one or more"
        super().__init__(select)
        self.survey_id = survey_id
        self.position = position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Select[Any], match: re.Match[str]
    ) -> AnswerSelect:
        made = cls(int(match["survey_id"]))
        made.position = int(match["position"])
        return made

    async def callback(self, interaction: discord.Interaction) -> None:
        values = list((interaction.data or {}).get("values", []))
        cog = find_cog(interaction, COG_NAME)
        await guarded(
            interaction, lambda: cog.choose(interaction, self.survey_id, self.position, values)
        )


class _SheetButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"$^"):
    """Base for the answer sheet's buttons: survey id and question position in the id."""

    action = ""

    def __init__(
        self,
        survey_id: int,
        position: int,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or self.action,
                style=style,
                disabled=disabled,
                custom_id=f"hallway:survey:{self.action}:{survey_id}:{position}",
            )
        )
        self.survey_id = survey_id
        self.position = position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> _SheetButton:
        return cls(int(match["survey_id"]), int(match["position"]), label=item.label or "")


class GoButton(
    _SheetButton, template=rf"hallway:survey:go:(?P<survey_id>{_ID}):(?P<position>[0-9]{{1,2}})"
):
    action = "go"

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(interaction, lambda: cog.go(interaction, self.survey_id, self.position))


class WriteButton(
    _SheetButton,
    template=rf"hallway:survey:write:(?P<survey_id>{_ID}):(?P<position>[0-9]{{1,2}})",
):
    action = "write"

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(interaction, lambda: cog.write(interaction, self.survey_id, self.position))


class SubmitButton(
    _SheetButton,
    template=rf"hallway:survey:submit:(?P<survey_id>{_ID}):(?P<position>[0-9]{{1,2}})",
):
    action = "submit"

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(interaction, lambda: cog.submit(interaction, self.survey_id, self.position))


class CaptureButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=(
        rf"hallway:survey:capture:(?P<survey_id>{_ID}):(?P<response_id>{_ID}):"
        r"(?P<position>[0-9]{1,2})"
    ),
):
    def __init__(self, survey_id: int, response_id: int, position: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"hallway:survey:capture:{survey_id}:{response_id}:{position}",
            )
        )
        self.survey_id = survey_id
        self.response_id = response_id
        self.position = position

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> CaptureButton:
        return cls(
            int(match["survey_id"]),
            int(match["response_id"]),
            int(match["position"]),
            item.label or "Capture",
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = find_cog(interaction, COG_NAME)
        await guarded(
            interaction,
            lambda: cog.capture(interaction, self.survey_id, self.response_id, self.position),
        )


DYNAMIC_ITEMS = (TakeButton, AnswerSelect, GoButton, WriteButton, SubmitButton, CaptureButton)


class TextAnswerModal(HallwayModal):
    def __init__(self, survey_id: int, question: Question, current: str | None) -> None:
        super().__init__(title=f"Question {question.position}"[:45])
        self.survey_id = survey_id
        self.position = question.position
        self.answer: discord.ui.TextInput[TextAnswerModal] = discord.ui.TextInput(
            label=question.prompt[:45],
            custom_id=TEXT_ID,
            style=discord.TextStyle.paragraph,
            max_length=MAX_TEXT_ANSWER,
            required=False,
            default=current or None,
            placeholder=question.prompt[:100],
        )
        self.add_item(self.answer)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await find_cog(interaction, COG_NAME).text_submitted(
            interaction, self.survey_id, self.position, self.answer.value
        )


def card_view(survey_id: int, *, closed: bool) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(TakeButton(survey_id, closed=closed))
    return view


def sheet_view(
    survey_id: int, question: Question, count: int, current: Any, *, submitted: bool
) -> discord.ui.View:
    """One question of the answer sheet: its select (or Write button), then navigation."""
    view = discord.ui.View(timeout=None)
    p = question.position
    if question.kind == "text":
        write = WriteButton(
            survey_id,
            p,
            label="Edit your answer" if current else "Write your answer",
            style=discord.ButtonStyle.primary,
        )
        view.add_item(write)
    else:
        view.add_item(AnswerSelect(survey_id, question, current))
    done = SubmitButton(
        survey_id,
        p,
        label="Done" if submitted else "Submit",
        style=discord.ButtonStyle.success,
    )
    buttons: list[discord.ui.Item[Any]] = [done]
    if count > 1:
        # With one question both would be go:<id>:1, and Discord refuses a message whose
        # custom ids repeat: the sheet could not be shown at all.
        previous = GoButton(survey_id, max(1, p - 1), label="◀ Previous", disabled=p <= 1)
        following = GoButton(survey_id, min(count, p + 1), label="Next ▶", disabled=p >= count)
        buttons = [previous, following, done]
    for button in buttons:
        button.row = 1
        view.add_item(button)
    return view


def capture_view(survey_id: int, answers: list[tuple[int, int, int]]) -> discord.ui.View | None:
    """A Capture as feedback button per numbered free-text answer (number, response, position)."""
    if not answers:
        return None
    view = discord.ui.View(timeout=None)
    for number, response_id, position in answers[:25]:
        view.add_item(CaptureButton(survey_id, response_id, position, f"Capture #{number}"))
    return view
