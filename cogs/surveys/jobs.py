"""The surveys' alarm jobs: close a survey at its time, read a poll's final counts.

Closing is written in the database first (which destroys an anonymous survey's
secret), then the card is redrawn and marked redrawn; start-up closes anything whose
time passed while the bot was down and redraws any card a restart left open-looking.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from cogs._send import DEFAULT_POLICY, RetryPolicy, SendFailed, send_reliably
from cogs.surveys.render import card_embed
from cogs.surveys.views import card_view
from services.surveys.service import SurveyService
from services.time.alarm import JobCallback
from storage.surveys import Survey

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

# Discord finalises a poll's counts shortly after it ends.
POLL_GRACE = timedelta(seconds=5)
POLL_RETRY = timedelta(minutes=1)
# Past this, the counts Discord shows are final even if it never flagged them so.
POLL_GIVE_UP = timedelta(minutes=30)


class SurveyJobs:
    def __init__(self, bot: HallwayBot, service: SurveyService) -> None:
        self.bot = bot
        self.service = service

    async def rebuild(self) -> None:
        for survey in await self.service.open_surveys():
            self.schedule(survey)
        for survey in await self.service.closed_needing_card():
            self.bot.alarm.schedule(
                f"survey-card:{survey.id}", self.bot.clock.now(), self._card_job(survey)
            )

    def schedule(self, survey: Survey) -> None:
        if survey.closes_at is None:
            return
        if survey.kind == "poll":
            self.bot.alarm.schedule(
                f"survey-poll:{survey.id}",
                survey.closes_at + POLL_GRACE,
                self._poll_job(survey.guild_id, survey.id),
            )
        else:
            self.bot.alarm.schedule(
                f"survey-close:{survey.id}",
                survey.closes_at,
                self._close_job(survey.guild_id, survey.id),
            )

    def cancel(self, survey_id: int) -> None:
        self.bot.alarm.cancel(f"survey-close:{survey_id}")

    def _close_job(self, guild_id: int, survey_id: int) -> JobCallback:
        async def job() -> None:
            closed = await self.service.close_if_due(guild_id, survey_id)
            if closed is not None:
                await self.redraw_card(closed)

        return job

    def _card_job(self, survey: Survey) -> JobCallback:
        async def job() -> None:
            await self.redraw_card(survey)

        return job

    async def redraw_card(self, survey: Survey, *, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        """Show the card as closed; a card that is gone is left alone."""
        if survey.channel_id is None or survey.message_id is None:
            await self.service.mark_card_closed(survey.guild_id, survey.id)
            return
        channel = self.bot.get_channel(survey.channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            await self.service.mark_card_closed(survey.guild_id, survey.id)
            return
        draft = await self.service.draft(survey.guild_id, survey.id)
        message = channel.get_partial_message(survey.message_id)  # type: ignore[attr-defined]
        try:
            # An edit is the same however often it lands, so a lost reply just retries.
            await send_reliably(
                lambda: message.edit(
                    embed=card_embed(draft.survey, len(draft.questions)),
                    view=card_view(survey.id, closed=True),
                ),
                policy=policy,
                pace=self.bot.pacer.wait,
                what=f"survey #{survey.id}'s closed card",
            )
        except SendFailed as failed:
            if not isinstance(failed.error, discord.NotFound | discord.Forbidden):
                # The close itself is saved; the card is redrawn by a later try or start.
                log.warning("Could not redraw survey #%s's card; retrying later", survey.id)
                self.bot.alarm.schedule(
                    f"survey-card:{survey.id}",
                    self.bot.clock.now() + POLL_RETRY,
                    self._card_job(survey),
                )
                return
        await self.service.mark_card_closed(survey.guild_id, survey.id)

    def _poll_job(self, guild_id: int, survey_id: int) -> JobCallback:
        async def job() -> None:
            await self.read_poll(guild_id, survey_id)

        return job

    def _retry_poll(self, guild_id: int, survey_id: int, when: datetime) -> None:
        self.bot.alarm.schedule(
            f"survey-poll:{survey_id}", when, self._poll_job(guild_id, survey_id)
        )

    async def read_poll(self, guild_id: int, survey_id: int) -> None:
        """Read the poll's final counts from Discord and store them."""
        survey = await self.service.repo.get(guild_id, survey_id)
        if survey is None or survey.status != "open" or survey.message_id is None:
            return
        assert survey.channel_id is not None and survey.closes_at is not None
        channel = self.bot.get_channel(survey.channel_id)
        retry_at = self.bot.clock.now() + POLL_RETRY
        if not isinstance(channel, discord.abc.Messageable):
            await self.service.record_poll(guild_id, survey_id, [])
            return
        message_id = survey.message_id
        try:
            message = await send_reliably(
                lambda: channel.fetch_message(message_id),
                pace=self.bot.pacer.wait,
                what=f"reading poll #{survey_id}",
            )
        except SendFailed as failed:
            if isinstance(failed.error, discord.NotFound):
                log.info("Poll #%s's message is gone; keeping no counts", survey_id)
                await self.service.record_poll(guild_id, survey_id, [])
            else:
                self._retry_poll(guild_id, survey_id, retry_at)
            return
        poll = message.poll
        if poll is None:
            await self.service.record_poll(guild_id, survey_id, [])
            return
        late = self.bot.clock.now() - survey.closes_at > POLL_GIVE_UP
        if not poll.is_finalised() and not late:
            self._retry_poll(guild_id, survey_id, retry_at)
            return
        counts = [answer.vote_count for answer in sorted(poll.answers, key=lambda a: a.id)]
        await self.service.record_poll(guild_id, survey_id, counts)
