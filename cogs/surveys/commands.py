"""/survey: quick native polls, and multi-question surveys with results and rounds."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs._common import NO_PINGS, advocate_only, is_advocate, require_advocate, send_ephemeral
from cogs._send import ONCE, dm_reliably
from cogs.surveys.jobs import SurveyJobs
from cogs.surveys.render import card_embed, preview_text, results_embeds, sheet_text
from cogs.surveys.views import COG_NAME, TextAnswerModal, capture_view, card_view, sheet_view
from services.errors import InvalidInput, NotFound
from services.files import size_text
from services.plural import plural
from services.surveys.chart import has_data, render_survey_chart
from services.surveys.service import Draft, SurveyService
from services.worker_process import WorkerError
from storage.surveys import Response

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

Kind = Literal["nps", "csat", "scale", "choice", "text"]
CHART_FILE = "survey.png"


class SurveysCog(commands.Cog, name=COG_NAME):
    survey = app_commands.Group(
        name="survey", description="Quick polls and developer surveys", guild_only=True
    )

    def __init__(self, bot: HallwayBot, service: SurveyService) -> None:
        self.bot = bot
        self.service = service
        self.jobs = SurveyJobs(bot, service)

    async def _survey_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild_id is None:
            return []
        found = await self.service.search(interaction.guild_id, current)
        return [
            app_commands.Choice(name=f"#{s.id} [{s.status}] {s.title}"[:100], value=s.id)
            for s in found
        ]

    # ------------------------------------------------------------------ quick polls

    @survey.command(name="poll")
    @app_commands.describe(
        question="What to ask",
        options="2 to 10 answers, separated by commas",
        duration="How long it runs: 1 hour to 32 days, e.g. 4h, 2 days, 1w",
        multi="Let members pick more than one answer",
    )
    @advocate_only()
    async def poll(
        self,
        interaction: discord.Interaction,
        question: str,
        options: str,
        duration: str = "24h",
        multi: bool = False,
    ) -> None:
        """Post a native Discord poll here; Hallway keeps its final counts."""
        assert interaction.guild_id is not None
        channel = interaction.channel
        if not isinstance(channel, discord.abc.Messageable) or interaction.channel_id is None:
            raise InvalidInput("Run `/survey poll` in a text channel.")
        draft = await self.service.create_poll(
            interaction.guild_id,
            interaction.user.id,
            question=question,
            options=options,
            duration=duration,
            multi=multi,
            channel_id=interaction.channel_id,
        )
        poll = discord.Poll(question=draft.question, duration=draft.duration, multiple=multi)
        for label in draft.options:
            poll.add_answer(text=label)
        await interaction.response.defer(ephemeral=True)
        try:
            message = await channel.send(poll=poll, allowed_mentions=NO_PINGS)
        except BaseException:
            # Nothing was posted: no poll is left behind waiting for counts.
            await self.service.undo_open(interaction.guild_id, draft.survey.id)
            raise
        ends = message.poll.expires_at if message.poll and message.poll.expires_at else None
        ends = ends or draft.survey.closes_at
        assert ends is not None
        await self.service.poll_posted(interaction.guild_id, draft.survey.id, message.id, ends)
        self.jobs.schedule(await self.service.get(interaction.guild_id, draft.survey.id))
        await interaction.followup.send(
            f"📊 Poll **#{draft.survey.id}** posted. It ends <t:{int(ends.timestamp())}:R>; "
            f"then `/survey results survey:{draft.survey.id}` shows the final counts.",
            ephemeral=True,
        )

    # ------------------------------------------------------------------ drafting

    @survey.command(name="create")
    @app_commands.rename(public_results="public-results")
    @app_commands.describe(
        title="What the survey is about",
        anonymous="Store no member ids with the answers (one response each is still enforced)",
        closes="When it closes, in the server's time zone, e.g. 'friday 17:00' or 'in 7 days'",
        public_results="Let everyone see the results once it closes",
    )
    @advocate_only()
    async def create(
        self,
        interaction: discord.Interaction,
        title: str,
        anonymous: bool,
        closes: str | None = None,
        public_results: bool = False,
    ) -> None:
        """Start a survey as a draft, then add questions."""
        assert interaction.guild_id is not None
        survey = await self.service.create(
            interaction.guild_id,
            interaction.user.id,
            title=title,
            anonymous=anonymous,
            closes=closes,
            public_results=public_results,
        )
        closing = (
            f" It closes <t:{int(survey.closes_at.timestamp())}:F>." if survey.closes_at else ""
        )
        await send_ephemeral(
            interaction,
            f"📝 Draft survey **#{survey.id}** created "
            f"({'anonymous' if survey.anonymous else 'attributed'}).{closing}\n"
            f"Next: `/survey question survey:{survey.id}` (up to 10), then `/survey preview` "
            "and `/survey open`.",
        )

    @survey.command(name="question")
    @app_commands.describe(
        survey="The draft survey",
        kind="nps (0-10), csat (1-5), scale (agree 1-5), choice, or text (free text)",
        prompt="The question members see",
        options="For choice: up to 10 answers, separated by commas",
        multi="For choice: allow several answers",
    )
    @app_commands.autocomplete(survey=_survey_choices)
    @advocate_only()
    async def question(
        self,
        interaction: discord.Interaction,
        survey: int,
        kind: Kind,
        prompt: str,
        options: str | None = None,
        multi: bool = False,
    ) -> None:
        """Add a question to a draft survey."""
        assert interaction.guild_id is not None
        added = await self.service.add_question(
            interaction.guild_id, survey, kind=kind, prompt=prompt, options=options, multi=multi
        )
        await send_ephemeral(
            interaction, f"✅ Question {added.position} added to survey #{survey} ({kind})."
        )

    @survey.command(name="preview")
    @app_commands.describe(survey="The survey to look at")
    @app_commands.autocomplete(survey=_survey_choices)
    @advocate_only()
    async def preview(self, interaction: discord.Interaction, survey: int) -> None:
        """See a survey as members will."""
        assert interaction.guild_id is not None
        draft = await self.service.draft(interaction.guild_id, survey)
        await send_ephemeral(interaction, preview_text(draft)[:2000])

    @survey.command(name="open")
    @app_commands.describe(survey="The draft survey", channel="Where to post it (default: here)")
    @app_commands.autocomplete(survey=_survey_choices)
    @advocate_only()
    async def open_(
        self,
        interaction: discord.Interaction,
        survey: int,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Post the survey's card with its Take the survey button."""
        assert interaction.guild_id is not None
        target = channel or interaction.channel
        if not isinstance(target, discord.TextChannel | discord.Thread):
            raise InvalidInput("Pick a text channel to post the survey in.")
        draft = await self.service.open(interaction.guild_id, survey, target.id)
        await interaction.response.defer(ephemeral=True)
        try:
            message = await target.send(
                embed=card_embed(draft.survey, len(draft.questions)),
                view=card_view(survey, closed=False),
                allowed_mentions=NO_PINGS,
            )
        except BaseException:
            # No card: the survey stays a draft that can be opened again.
            await self.service.undo_open(interaction.guild_id, survey)
            raise
        await self.service.set_message(interaction.guild_id, survey, message.id)
        self.jobs.schedule(draft.survey)
        await interaction.followup.send(
            f"🗳️ Survey **#{survey}** is open in {target.mention}.", ephemeral=True
        )

    @survey.command(name="close")
    @app_commands.describe(survey="The open survey, or a poll to end early")
    @app_commands.autocomplete(survey=_survey_choices)
    @advocate_only()
    async def close(self, interaction: discord.Interaction, survey: int) -> None:
        """Close a survey now, or end a quick poll early."""
        assert interaction.guild_id is not None
        found = await self.service.get(interaction.guild_id, survey)
        if found.kind == "poll":
            await self._end_poll(interaction, survey)
            return
        closed = await self.service.close(interaction.guild_id, survey)
        self.jobs.cancel(survey)
        await interaction.response.defer(ephemeral=True)
        await self.jobs.redraw_card(closed, policy=ONCE)
        note = " Its secret key is destroyed: no answer can be linked to anyone now." * bool(
            closed.anonymous
        )
        await interaction.followup.send(
            f"✅ Survey **#{survey}** is closed.{note} See `/survey results`.", ephemeral=True
        )

    async def _end_poll(self, interaction: discord.Interaction, survey_id: int) -> None:
        assert interaction.guild_id is not None
        poll = await self.service.open_poll(interaction.guild_id, survey_id)
        await interaction.response.defer(ephemeral=True)
        channel = self.bot.get_channel(poll.channel_id or 0)
        if isinstance(channel, discord.abc.Messageable) and poll.message_id is not None:
            try:
                await channel.get_partial_message(poll.message_id).end_poll()  # type: ignore[attr-defined]
            except discord.HTTPException as error:
                # Already ended in Discord, or the message is gone: read what is there.
                log.info("Ending poll #%s in Discord failed: %s", survey_id, error)
        await self.jobs.read_poll(interaction.guild_id, survey_id)
        ended = await self.service.get(interaction.guild_id, survey_id)
        if ended.status == "closed":
            self.bot.alarm.cancel(f"survey-poll:{survey_id}")
            text = f"✅ Poll **#{survey_id}** has ended. See `/survey results survey:{survey_id}`."
        else:
            text = f"⏳ Poll **#{survey_id}** is ending; its counts show up in a minute."
        await interaction.followup.send(text, ephemeral=True)

    # ------------------------------------------------------------------ results

    @survey.command(name="results")
    @app_commands.describe(survey="The survey or poll")
    @app_commands.autocomplete(survey=_survey_choices)
    async def results(self, interaction: discord.Interaction, survey: int) -> None:
        """Responses, scores, distributions and a chart (advocates, or all for public results)."""
        assert interaction.guild is not None
        advocate = await is_advocate(interaction)
        members = sum(1 for m in interaction.guild.members if not m.bot) or None
        report = await self.service.results(
            interaction.guild.id, survey, advocate=advocate, audience=members
        )
        await interaction.response.defer(ephemeral=True)
        embeds, numbered = results_embeds(report, capture=advocate)
        files = []
        charts = [
            (f"{r.question.position}. {r.question.prompt}", r.buckets) for r in report.per_question
        ]
        if report.poll and not report.hidden:
            charts = [(report.survey.title, report.poll)]
        if has_data(charts):
            try:
                png = await self.bot.charts.run(render_survey_chart, charts)
            except WorkerError:
                log.exception("A survey chart could not be drawn")
            else:
                files.append(discord.File(io.BytesIO(png), filename=CHART_FILE))
                embeds[0].set_image(url=f"attachment://{CHART_FILE}")
        view = capture_view(survey, numbered)
        kwargs = {"view": view} if view is not None else {}
        await interaction.followup.send(
            embeds=embeds, files=files, ephemeral=True, allowed_mentions=NO_PINGS, **kwargs
        )

    async def capture(
        self, interaction: discord.Interaction, survey_id: int, response_id: int, position: int
    ) -> None:
        await require_advocate(interaction)
        assert interaction.guild_id is not None
        result = await self.service.capture_answer(
            interaction.guild_id, survey_id, response_id, position, interaction.user.id
        )
        item = getattr(result, "item", None)
        ident = getattr(item, "id", "?")
        if getattr(result, "created", True):
            text = f"📥 Saved as feedback **#{ident}** (from survey #{survey_id})."
        else:
            text = f"That answer was already feedback **#{ident}**."
        await send_ephemeral(interaction, text)

    @survey.command(name="repeat")
    @app_commands.describe(survey="The closed survey", closes="When the new round closes")
    @app_commands.autocomplete(survey=_survey_choices)
    @advocate_only()
    async def repeat(
        self, interaction: discord.Interaction, survey: int, closes: str | None = None
    ) -> None:
        """Copy a closed survey as its next round; results then compare the two."""
        assert interaction.guild_id is not None
        draft = await self.service.repeat(
            interaction.guild_id, survey, interaction.user.id, closes=closes
        )
        await send_ephemeral(
            interaction,
            f"🔁 Round {draft.survey.round} of "
            f"**{discord.utils.escape_markdown(draft.survey.title)}** "
            f"is draft survey **#{draft.survey.id}** with {len(draft.questions)} questions. "
            f"Open it with `/survey open survey:{draft.survey.id}`.",
        )

    @survey.command(name="export")
    @app_commands.describe(survey="The survey", format="csv or json")
    @app_commands.autocomplete(survey=_survey_choices)
    @advocate_only()
    async def export(
        self, interaction: discord.Interaction, survey: int, format: Literal["csv", "json"]
    ) -> None:
        """Download a survey's responses (anonymous ones hold no member ids)."""
        assert interaction.guild_id is not None and interaction.guild is not None
        # A survey with many responses takes a moment to build: acknowledge within 3 s first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        upload, count = await self.service.export_file(interaction.guild_id, survey, format)
        text = f"📎 {plural(count, 'response')} from survey #{survey}"
        if upload.zipped:
            text += (
                f" ({size_text(upload.size)} of {format.upper()}, "
                f"zipped to {size_text(len(upload.data))})"
            )
        limit = interaction.guild.filesize_limit
        if not upload.fits(limit):
            await send_ephemeral(
                interaction,
                f"{text}: over this server's upload limit of {size_text(limit)}, so no file "
                "is attached. Ask whoever runs the bot for a copy of the database, or close "
                "the survey and start a new round with `/survey repeat`.",
            )
            return
        await send_ephemeral(
            interaction,
            text + ".",
            file=discord.File(io.BytesIO(upload.data), filename=upload.filename),
        )

    @survey.command(name="remind")
    @app_commands.describe(survey="The open attributed survey", role="Whose members to remind")
    @app_commands.autocomplete(survey=_survey_choices)
    @advocate_only()
    async def remind(
        self, interaction: discord.Interaction, survey: int, role: discord.Role
    ) -> None:
        """DM, once, the role's members who haven't answered yet."""
        assert interaction.guild is not None
        members = [m for m in role.members if not m.bot]
        claimed, answered, reminded = await self.service.claim_reminders(
            interaction.guild.id, survey, [m.id for m in members]
        )
        await interaction.response.defer(ephemeral=True)
        found = await self.service.get(interaction.guild.id, survey)
        link = ""
        if found.channel_id and found.message_id:
            link = (
                f" https://discord.com/channels/{interaction.guild.id}/"
                f"{found.channel_id}/{found.message_id}"
            )
        text = (
            f"👋 A reminder from **{discord.utils.escape_markdown(interaction.guild.name)}**: "
            f"the survey **{discord.utils.escape_markdown(found.title)}** is waiting for your "
            f"answers.{link}"
        )
        sent = failed = 0
        for member_id in claimed:
            # Claimed before sending: a failed DM (closed DMs) is never retried later.
            if await dm_reliably(self.bot, member_id, text, policy=ONCE):
                sent += 1
            else:
                failed += 1
        parts = [f"📨 Reminded {sent} member{'s' if sent != 1 else ''}"]
        if answered:
            parts.append(f"{answered} already answered")
        if reminded:
            parts.append(f"{reminded} were reminded before")
        if failed:
            parts.append(f"{failed} have DMs closed")
        await interaction.followup.send(" · ".join(parts) + ".", ephemeral=True)

    # ------------------------------------------------------------------ answering

    async def _show(
        self,
        interaction: discord.Interaction,
        draft: Draft,
        response: Response | None,
        position: int,
        *,
        new: bool,
    ) -> None:
        questions = {q.position: q for q in draft.questions}
        question = questions.get(position) or draft.questions[0]
        current = response.answers.get(question.position) if response else None
        submitted = bool(response and response.submitted)
        content = sheet_text(draft, question, response)
        view = sheet_view(
            draft.survey.id, question, len(draft.questions), current, submitted=submitted
        )
        if new:
            await interaction.response.send_message(
                content, view=view, ephemeral=True, allowed_mentions=NO_PINGS
            )
        elif interaction.response.is_done():
            await interaction.edit_original_response(content=content, view=view)
        else:
            await interaction.response.edit_message(content=content, view=view)

    async def take(self, interaction: discord.Interaction, survey_id: int) -> None:
        assert interaction.guild_id is not None
        draft, response = await self.service.start_answering(
            interaction.guild_id, survey_id, interaction.user.id
        )
        # Start at the first unanswered question.
        answered = response.answers if response else {}
        first = next((q.position for q in draft.questions if q.position not in answered), 1)
        await self._show(interaction, draft, response, first, new=True)

    async def go(self, interaction: discord.Interaction, survey_id: int, position: int) -> None:
        assert interaction.guild_id is not None
        draft, response = await self.service.start_answering(
            interaction.guild_id, survey_id, interaction.user.id
        )
        await self._show(interaction, draft, response, position, new=False)

    async def choose(
        self, interaction: discord.Interaction, survey_id: int, position: int, values: list[str]
    ) -> None:
        assert interaction.guild_id is not None
        response = await self.service.answer(
            interaction.guild_id, survey_id, interaction.user.id, position, values
        )
        draft, _ = await self.service.start_answering(
            interaction.guild_id, survey_id, interaction.user.id
        )
        # Move on to the next question once this one is answered.
        following = min(len(draft.questions), position + 1)
        await self._show(interaction, draft, response, following, new=False)

    async def write(self, interaction: discord.Interaction, survey_id: int, position: int) -> None:
        assert interaction.guild_id is not None
        draft, response = await self.service.start_answering(
            interaction.guild_id, survey_id, interaction.user.id
        )
        question = next((q for q in draft.questions if q.position == position), None)
        if question is None or question.kind != "text":
            raise NotFound("That question isn't in this survey any more.")
        current = response.answers.get(position) if response else None
        await interaction.response.send_modal(
            TextAnswerModal(survey_id, question, current if isinstance(current, str) else None)
        )

    async def text_submitted(
        self, interaction: discord.Interaction, survey_id: int, position: int, text: str
    ) -> None:
        assert interaction.guild_id is not None
        response = await self.service.answer(
            interaction.guild_id, survey_id, interaction.user.id, position, text
        )
        draft, _ = await self.service.start_answering(
            interaction.guild_id, survey_id, interaction.user.id
        )
        if interaction.message is not None:
            await self._show(interaction, draft, response, position, new=False)
        else:  # pragma: no cover - modals from the sheet always have its message
            await send_ephemeral(interaction, "✅ Answer saved.")

    async def submit(self, interaction: discord.Interaction, survey_id: int, position: int) -> None:
        assert interaction.guild_id is not None
        response = await self.service.submit(interaction.guild_id, survey_id, interaction.user.id)
        draft, _ = await self.service.start_answering(
            interaction.guild_id, survey_id, interaction.user.id
        )
        await self._show(interaction, draft, response, position, new=False)
        await interaction.followup.send(
            "🙏 Thanks! Your answers are in. You can change them until the survey closes.",
            ephemeral=True,
        )
