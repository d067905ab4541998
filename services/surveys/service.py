"""The survey rules: drafts, questions, opening, answering, closing, results and polls.

Anonymous surveys never hand a member id to storage: answers are saved under the
member's keyed hash (services/surveys/anonymity.py), and the close destroys the key.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.files import Upload, zipped_if_large
from services.guild_settings import GuildSettingsService
from services.surveys import results as calc
from services.surveys.anonymity import member_hash, new_secret
from services.surveys.export import export_text
from services.surveys.rules import (
    KINDS,
    MAX_POLL_QUESTION,
    MAX_PROMPT,
    MAX_QUESTIONS,
    MAX_TITLE,
    MIN_POLL_OPTIONS,
    check_text_answer,
    clean_line,
    parse_duration,
    parse_options,
)
from services.time.clock import Clock
from services.time.timefmt import discord_timestamp
from services.time.timeparse import parse_when
from storage.surveys import NewSurvey, Question, Response, Survey, SurveyRepository

log = logging.getLogger(__name__)

ANONYMOUS_REPORTER = "a survey response"
UNTAGGED = "untagged"


class TaggerLike(Protocol):
    def tag(self, text: str) -> Any: ...


# Seams wired in bot.py: the guild's pain-point tagger, and a feedback capture.
TaggerLookup = Callable[[int], Awaitable[TaggerLike]]
CaptureFeedback = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Draft:
    survey: Survey
    questions: list[Question]
    responses: int = 0


@dataclass(frozen=True)
class PollDraft:
    survey: Survey
    question: str
    options: list[str]
    multi: bool
    duration: timedelta


@dataclass(frozen=True)
class TextAnswer:
    response_id: int
    position: int
    text: str


@dataclass
class Report:
    survey: Survey
    questions: list[Question]
    responses: int
    rate: int | None
    headline: calc.Headline
    comparison: str | None = None
    # Why the breakdown is left out (too few anonymous responses, still open), or None.
    hidden: str | None = None
    per_question: list[calc.QuestionResult] = field(default_factory=list)
    # tag -> the free-text answers the tagger put under it
    text_groups: dict[str, list[TextAnswer]] = field(default_factory=dict)
    poll: list[calc.Bucket] = field(default_factory=list)


@dataclass(frozen=True)
class SurveyLine:
    id: int
    title: str
    round: int
    headline: str | None = None
    change: str | None = None
    responses: int = 0
    closes_at: datetime | None = None
    kind: str = "survey"
    top_answer: str | None = None  # a poll's (user text: the digest escapes it)


@dataclass(frozen=True)
class SurveyFigures:
    closed: list[SurveyLine]
    open: list[SurveyLine]


class SurveyService:
    def __init__(
        self,
        repo: SurveyRepository,
        guild_settings: GuildSettingsService,
        clock: Clock,
        *,
        tagger: TaggerLookup | None = None,
        capture: CaptureFeedback | None = None,
    ) -> None:
        self.repo = repo
        self._guild_settings = guild_settings
        self._clock = clock
        self._tagger = tagger
        self._capture = capture

    # ------------------------------------------------------------------ lookups

    async def get(self, guild_id: int, survey_id: int) -> Survey:
        survey = await self.repo.get(guild_id, survey_id)
        if survey is None:
            raise NotFound(f"There is no survey #{survey_id} in this server. Check `/survey`.")
        return survey

    async def draft(self, guild_id: int, survey_id: int) -> Draft:
        survey = await self.get(guild_id, survey_id)
        questions = await self.repo.questions(guild_id, survey_id)
        responses = await self.repo.submitted_count(guild_id, survey_id)
        return Draft(survey, questions, responses)

    async def search(self, guild_id: int, text: str) -> list[Survey]:
        return await self.repo.search(guild_id, text)

    # ------------------------------------------------------------------ drafting

    async def _closes(self, guild_id: int, closes: str | None) -> tuple[datetime | None, str]:
        zone_name = await self._guild_settings.zone_name(guild_id)
        if closes is None:
            return None, zone_name
        return parse_when(closes, now=self._clock.now(), zone=ZoneInfo(zone_name)), zone_name

    async def create(
        self,
        guild_id: int,
        author_id: int,
        *,
        title: str,
        anonymous: bool,
        closes: str | None,
        public_results: bool = False,
    ) -> Survey:
        clean_title = clean_line(title, "title", MAX_TITLE)
        closes_at, zone = await self._closes(guild_id, closes)
        survey_id = await self.repo.create(
            NewSurvey(
                guild_id=guild_id,
                kind="survey",
                title=clean_title,
                anonymous=anonymous,
                public_results=public_results,
                closes_at=closes_at,
                zone=zone,
                author_id=author_id,
                created_at=self._clock.now(),
            )
        )
        return await self.get(guild_id, survey_id)

    async def add_question(
        self,
        guild_id: int,
        survey_id: int,
        *,
        kind: str,
        prompt: str,
        options: str | None = None,
        multi: bool = False,
    ) -> Question:
        survey = await self._editable(guild_id, survey_id)
        if kind not in KINDS:
            raise InvalidInput(f"Pick a kind from: {', '.join(KINDS)}.")
        clean_prompt = clean_line(prompt, "question", MAX_PROMPT)
        labels: list[str] = []
        if kind == "choice":
            labels = parse_options(options, minimum=2)
        elif options:
            raise InvalidInput(f"Only `choice` questions take options; `{kind}` has its own scale.")
        if multi and kind != "choice":
            raise InvalidInput("`multi` is for `choice` questions only.")
        position = await self.repo.add_question(
            guild_id, survey.id, kind, clean_prompt, labels, multi, limit=MAX_QUESTIONS
        )
        if position is None:
            raise Conflict(f"Survey #{survey.id} already has {MAX_QUESTIONS} questions, the most.")
        return Question(position, kind, clean_prompt, labels, multi)

    async def _editable(self, guild_id: int, survey_id: int) -> Survey:
        survey = await self.get(guild_id, survey_id)
        if survey.kind == "poll":
            raise Conflict(f"#{survey.id} is a quick poll; polls have their one question.")
        if survey.status != "draft":
            raise Conflict(
                f"Survey #{survey.id} is already {survey.status}, so its questions are fixed. "
                f"Use `/survey repeat` to make a new round you can change."
            )
        return survey

    # ------------------------------------------------------------------ open and close

    async def open(self, guild_id: int, survey_id: int, channel_id: int) -> Draft:
        survey = await self._editable(guild_id, survey_id)
        questions = await self.repo.questions(guild_id, survey_id)
        if not questions:
            raise InvalidInput(
                f"Survey #{survey.id} has no questions yet. Add some with `/survey question`."
            )
        if survey.closes_at is not None and survey.closes_at <= self._clock.now():
            raise InvalidInput(
                f"Survey #{survey.id}'s closing time has already passed. "
                "Make a new round with `/survey repeat` and a later `closes:`."
            )
        secret = new_secret() if survey.anonymous else None
        if not await self.repo.mark_open(
            guild_id, survey_id, channel_id=channel_id, opened_at=self._clock.now(), secret=secret
        ):
            raise Conflict(f"Survey #{survey.id} was opened already.")
        return Draft(await self.get(guild_id, survey_id), questions)

    async def undo_open(self, guild_id: int, survey_id: int) -> None:
        await self.repo.undo_open(guild_id, survey_id)

    async def set_message(self, guild_id: int, survey_id: int, message_id: int) -> None:
        await self.repo.set_message(guild_id, survey_id, message_id)

    async def close(self, guild_id: int, survey_id: int) -> Survey:
        survey = await self.get(guild_id, survey_id)
        if survey.kind == "poll":
            raise Conflict(f"#{survey.id} is a quick poll: Discord ends it at its end time.")
        if survey.status != "open":
            raise Conflict(f"Survey #{survey.id} is {survey.status}, not open.")
        await self.repo.close(guild_id, survey_id, self._clock.now())
        return await self.get(guild_id, survey_id)

    async def close_if_due(self, guild_id: int, survey_id: int) -> Survey | None:
        """The alarm's close: returns the survey if this call closed it."""
        survey = await self.repo.get(guild_id, survey_id)
        if survey is None or survey.status != "open" or survey.kind != "survey":
            return None
        if survey.closes_at is None or survey.closes_at > self._clock.now():
            return None
        if not await self.repo.close(guild_id, survey_id, self._clock.now()):
            return None
        return await self.repo.get(guild_id, survey_id)

    async def mark_card_closed(self, guild_id: int, survey_id: int) -> None:
        await self.repo.set_card_closed(guild_id, survey_id)

    async def open_surveys(self) -> list[Survey]:
        return await self.repo.open_surveys()

    async def closed_needing_card(self) -> list[Survey]:
        return await self.repo.closed_needing_card()

    # ------------------------------------------------------------------ answering

    def _who(self, survey: Survey, member_id: int) -> dict[str, Any]:
        if survey.anonymous:
            if survey.secret is None:  # pragma: no cover - open anonymous surveys have one
                raise Conflict("This survey is closed.")
            return {"member_id": None, "member_hash": member_hash(survey.secret, member_id)}
        return {"member_id": member_id, "member_hash": None}

    async def _answerable(self, guild_id: int, survey_id: int) -> Survey:
        survey = await self.get(guild_id, survey_id)
        if survey.status != "open":
            raise Conflict(
                f"**{survey.title}** is closed, so answers can't change any more."
                if survey.status == "closed"
                else f"**{survey.title}** isn't open yet."
            )
        return survey

    async def start_answering(
        self, guild_id: int, survey_id: int, member_id: int
    ) -> tuple[Draft, Response | None]:
        survey = await self._answerable(guild_id, survey_id)
        questions = await self.repo.questions(guild_id, survey_id)
        response = await self.repo.response(guild_id, survey_id, **self._who(survey, member_id))
        return Draft(survey, questions), response

    async def answer(
        self, guild_id: int, survey_id: int, member_id: int, position: int, raw: Any
    ) -> Response:
        """Save one answer: select values as strings, or a text answer."""
        survey = await self._answerable(guild_id, survey_id)
        questions = {q.position: q for q in await self.repo.questions(guild_id, survey_id)}
        question = questions.get(position)
        if question is None:
            raise NotFound("That question isn't in this survey any more.")
        value = _parse_answer(question, raw)
        who = self._who(survey, member_id)
        # Anonymous answers carry no time: it could be matched against who was online.
        stamp = None if survey.anonymous else self._clock.now()
        if not await self.repo.save_answer(guild_id, survey_id, position, value, now=stamp, **who):
            raise Conflict(f"**{survey.title}** just closed, so answers can't change any more.")
        response = await self.repo.response(guild_id, survey_id, **who)
        assert response is not None
        return response

    async def submit(self, guild_id: int, survey_id: int, member_id: int) -> Response:
        survey = await self._answerable(guild_id, survey_id)
        questions = await self.repo.questions(guild_id, survey_id)
        who = self._who(survey, member_id)
        response = await self.repo.response(guild_id, survey_id, **who)
        answered = set(response.answers) if response else set()
        missing = [q.position for q in questions if q.kind != "text" and q.position not in answered]
        if missing:
            listed = ", ".join(str(p) for p in missing)
            raise InvalidInput(
                f"Answer question{'s' if len(missing) > 1 else ''} {listed} first "
                "(free-text questions are optional)."
            )
        stamp = None if survey.anonymous else self._clock.now()
        if not await self.repo.submit(guild_id, survey_id, now=stamp, **who):
            raise Conflict(f"**{survey.title}** just closed, so your answers weren't sent.")
        final = await self.repo.response(guild_id, survey_id, **who)
        assert final is not None
        return final

    # ------------------------------------------------------------------ results

    async def results(
        self, guild_id: int, survey_id: int, *, advocate: bool, audience: int | None
    ) -> Report:
        survey = await self.get(guild_id, survey_id)
        if not advocate:
            if not survey.public_results:
                raise NotAllowed("Only advocates can see this survey's results.")
            if survey.status != "closed":
                raise NotAllowed("This survey's results are shared when it closes. Check back!")
        questions = await self.repo.questions(guild_id, survey_id)
        if survey.kind == "poll":
            return await self._poll_report(survey, questions)
        responses = await self.repo.submitted(guild_id, survey_id)
        count = len(responses)
        per_question = [
            calc.question_result(
                q, [(r.id, r.answers[q.position]) for r in responses if q.position in r.answers]
            )
            for q in questions
        ]
        head = calc.headline(per_question, count)
        report = Report(
            survey,
            questions,
            count,
            calc.response_rate(count, audience),
            head,
            comparison=await self._compare(survey, head),
        )
        if survey.anonymous and survey.status != "closed":
            report.hidden = (
                "Anonymous results are shown when the survey closes, so no one can match a "
                "new answer to who just responded."
            )
        elif survey.anonymous and count < calc.MIN_BREAKDOWN:
            report.hidden = (
                f"Only {count} response{'s' if count != 1 else ''}: anonymous breakdowns need at "
                f"least {calc.MIN_BREAKDOWN}, so no one's answers can be picked out."
            )
        if report.hidden:
            report.headline = calc.Headline("Responses", count, "")
            report.comparison = None
            return report
        report.per_question = per_question
        report.text_groups = await self._group_texts(guild_id, per_question)
        return report

    async def _poll_report(self, survey: Survey, questions: list[Question]) -> Report:
        counts = await self.repo.poll_counts(survey.guild_id, survey.id)
        options = questions[0].options if questions else []
        buckets = [calc.Bucket(label, n) for label, n in zip(options, counts, strict=False)]
        total = sum(counts)
        report = Report(survey, questions, total, None, calc.Headline("Votes", total, ""))
        report.poll = buckets
        if survey.status != "closed":
            report.hidden = (
                f"The poll ends {_when(survey.closes_at)}; its final counts show here then."
            )
        return report

    async def _compare(self, survey: Survey, head: calc.Headline) -> str | None:
        if survey.previous_id is None:
            return None
        previous = await self.repo.get(survey.guild_id, survey.previous_id)
        if previous is None:
            return None
        prev_head = await self.headline(previous)
        return calc.comparison(head, prev_head)

    async def headline(self, survey: Survey) -> calc.Headline | None:
        """A survey's headline, or None where an anonymous breakdown would be too small."""
        responses = await self.repo.submitted(survey.guild_id, survey.id)
        if survey.anonymous and len(responses) < calc.MIN_BREAKDOWN:
            return None
        questions = await self.repo.questions(survey.guild_id, survey.id)
        per_question = [
            calc.question_result(
                q, [(r.id, r.answers[q.position]) for r in responses if q.position in r.answers]
            )
            for q in questions
        ]
        return calc.headline(per_question, len(responses))

    async def _group_texts(
        self, guild_id: int, per_question: list[calc.QuestionResult]
    ) -> dict[str, list[TextAnswer]]:
        groups: dict[str, list[TextAnswer]] = {}
        tagger = await self._tagger(guild_id) if self._tagger is not None else None
        for result in per_question:
            for response_id, text in result.texts or []:
                tags = list(getattr(tagger.tag(text), "tags", [])) if tagger else []
                key = tags[0] if tags else UNTAGGED
                groups.setdefault(key, []).append(
                    TextAnswer(response_id, result.question.position, text)
                )
        # Biggest groups first; untagged last.
        return dict(sorted(groups.items(), key=lambda kv: (kv[0] == UNTAGGED, -len(kv[1]), kv[0])))

    async def capture_answer(
        self, guild_id: int, survey_id: int, response_id: int, position: int, captured_by: int
    ) -> Any:
        """Capture a free-text answer as a feedback item through the feedback seam."""
        if self._capture is None:
            raise Conflict("Feedback isn't set up in this Hallway, so answers can't be captured.")
        survey = await self.get(guild_id, survey_id)
        responses = {r.id: r for r in await self.repo.submitted(guild_id, survey_id)}
        response = responses.get(response_id)
        text = response.answers.get(position) if response else None
        if not isinstance(text, str) or not text.strip():
            raise NotFound("That answer isn't there any more.")
        if survey.anonymous and len(responses) < calc.MIN_BREAKDOWN:
            raise NotAllowed("Answers from anonymous surveys with few responses stay hidden.")
        reporter_id = response.member_id if response and response.member_id else 0
        return await self._capture(
            guild_id=guild_id,
            reporter_id=reporter_id,
            reporter_name=None if reporter_id else ANONYMOUS_REPORTER,
            captured_by_id=captured_by,
            text=text,
            survey_title=survey.title,
        )

    async def export_file(self, guild_id: int, survey_id: int, fmt: str) -> tuple[Upload, int]:
        """/survey export's file and its count of responses. A survey with tens of thousands
        of responses takes a while to render: that runs in a worker thread, zipped when large."""
        name, records, count = await self._export_parts(guild_id, survey_id, fmt)

        def build() -> Upload:
            return zipped_if_large(export_text(*records, fmt).encode("utf-8"), name)

        return await asyncio.to_thread(build), count

    async def export(self, guild_id: int, survey_id: int, fmt: str) -> tuple[str, str, int]:
        """(file name, text, responses) of the survey's responses as csv or json."""
        name, records, count = await self._export_parts(guild_id, survey_id, fmt)
        return name, export_text(*records, fmt), count

    async def _export_parts(self, guild_id: int, survey_id: int, fmt: str) -> tuple:
        if fmt not in ("csv", "json"):
            raise InvalidInput("Pick a format: `csv` or `json`.")
        survey = await self.get(guild_id, survey_id)
        if survey.kind == "poll":
            raise Conflict("Quick polls keep only their counts: see `/survey results`.")
        responses = await self.repo.submitted(guild_id, survey_id)
        if survey.anonymous and survey.status != "closed":
            raise Conflict("Anonymous surveys can be exported once they close.")
        if survey.anonymous and len(responses) < calc.MIN_BREAKDOWN:
            raise Conflict(
                f"Only {len(responses)} responses: anonymous surveys are exported from "
                f"{calc.MIN_BREAKDOWN} responses, so no one's answers can be picked out."
            )
        questions = await self.repo.questions(guild_id, survey_id)
        return f"survey-{survey.id}.{fmt}", (survey, questions, responses), len(responses)

    # ------------------------------------------------------------------ rounds

    async def repeat(
        self, guild_id: int, survey_id: int, author_id: int, *, closes: str | None
    ) -> Draft:
        survey = await self.get(guild_id, survey_id)
        if survey.kind != "survey":
            raise Conflict("Quick polls can't be repeated; post a new one with `/survey poll`.")
        if survey.status != "closed":
            raise Conflict(f"Survey #{survey.id} is {survey.status}; repeat it once it's closed.")
        existing = await self.repo.next_round_of(guild_id, survey_id)
        if existing is not None:
            raise Conflict(f"Survey #{survey.id} already has a next round: #{existing.id}.")
        closes_at, zone = await self._closes(guild_id, closes)
        new_id = await self.repo.create(
            NewSurvey(
                guild_id=guild_id,
                kind="survey",
                title=survey.title,
                anonymous=survey.anonymous,
                public_results=survey.public_results,
                closes_at=closes_at,
                zone=zone,
                author_id=author_id,
                created_at=self._clock.now(),
                previous_id=survey.id,
                round=survey.round + 1,
            )
        )
        await self.repo.copy_questions(guild_id, survey.id, new_id)
        return await self.draft(guild_id, new_id)

    # ------------------------------------------------------------------ reminders

    async def claim_reminders(
        self, guild_id: int, survey_id: int, member_ids: list[int]
    ) -> tuple[list[int], int, int]:
        """Claims DMs for members who haven't answered and weren't reminded.

        Returns (claimed, already answered, already reminded).
        """
        survey = await self.get(guild_id, survey_id)
        if survey.kind != "survey":
            raise Conflict("Reminders are for surveys, not quick polls.")
        if survey.anonymous:
            raise Conflict(
                f"Survey #{survey.id} is anonymous: Hallway doesn't know who answered, so it can't "
                "remind only the others. Post a reminder in a channel instead."
            )
        if survey.status != "open":
            raise Conflict(f"Survey #{survey.id} is {survey.status}, not open.")
        answered = await self.repo.respondent_ids(guild_id, survey_id)
        reminded = await self.repo.reminded_ids(guild_id, survey_id)
        targets = [m for m in member_ids if m not in answered and m not in reminded]
        claimed = await self.repo.claim_reminders(guild_id, survey_id, targets, self._clock.now())
        return (
            claimed,
            sum(1 for m in member_ids if m in answered),
            sum(1 for m in member_ids if m in reminded and m not in answered),
        )

    # ------------------------------------------------------------------ polls

    async def create_poll(
        self,
        guild_id: int,
        author_id: int,
        *,
        question: str,
        options: str,
        duration: str,
        multi: bool,
        channel_id: int,
    ) -> PollDraft:
        text = clean_line(question, "question", MAX_POLL_QUESTION)
        labels = parse_options(options, minimum=MIN_POLL_OPTIONS)
        length = parse_duration(duration)
        now = self._clock.now()
        zone = await self._guild_settings.zone_name(guild_id)
        async with self.repo.db.transaction():
            survey_id = await self.repo.create(
                NewSurvey(
                    guild_id=guild_id,
                    kind="poll",
                    title=text,
                    anonymous=False,
                    public_results=True,
                    closes_at=now + length,
                    zone=zone,
                    author_id=author_id,
                    created_at=now,
                )
            )
            await self.repo.add_question(
                guild_id, survey_id, "choice", text, labels, multi, limit=1
            )
            await self.repo.mark_open(
                guild_id, survey_id, channel_id=channel_id, opened_at=now, secret=None
            )
        return PollDraft(await self.get(guild_id, survey_id), text, labels, multi, length)

    async def open_poll(self, guild_id: int, survey_id: int) -> Survey:
        """A running quick poll, for /survey close to end early."""
        survey = await self.get(guild_id, survey_id)
        if survey.kind != "poll":
            raise Conflict(f"#{survey.id} is a survey, not a poll.")
        if survey.status != "open":
            raise Conflict(f"Poll #{survey.id} has already ended.")
        return survey

    async def poll_posted(self, guild_id: int, survey_id: int, message_id: int, ends: datetime):
        await self.repo.set_message(guild_id, survey_id, message_id)
        await self.repo.set_closes_at(guild_id, survey_id, ends)

    async def record_poll(self, guild_id: int, survey_id: int, counts: list[int]) -> bool:
        return await self.repo.save_poll_counts(guild_id, survey_id, counts, self._clock.now())

    # ------------------------------------------------------------------ digest

    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> SurveyFigures:
        closed: list[SurveyLine] = []
        for survey in await self.repo.closed_between(guild_id, start, end):
            if survey.kind == "poll":
                counts = await self.repo.poll_counts(guild_id, survey.id)
                questions = await self.repo.questions(guild_id, survey.id)
                top = None
                if counts and questions and max(counts) > 0:
                    top = questions[0].options[counts.index(max(counts))]
                closed.append(
                    SurveyLine(
                        survey.id,
                        survey.title,
                        1,
                        top_answer=top,
                        responses=sum(counts),
                        kind="poll",
                    )
                )
                continue
            head = await self.headline(survey)
            change = None
            if head is not None and survey.previous_id is not None:
                previous = await self.repo.get(guild_id, survey.previous_id)
                if previous is not None:
                    change = calc.comparison(head, await self.headline(previous))
            closed.append(
                SurveyLine(
                    survey.id,
                    survey.title,
                    survey.round,
                    headline=head.text() if head else None,
                    change=change,
                    responses=await self.repo.submitted_count(guild_id, survey.id),
                )
            )
        opened = [
            SurveyLine(
                s.id,
                s.title,
                s.round,
                responses=await self.repo.submitted_count(guild_id, s.id),
                closes_at=s.closes_at,
            )
            for s in await self.repo.open_in(guild_id)
            if s.kind == "survey"
        ]
        return SurveyFigures(closed, opened)


def _when(moment: datetime | None) -> str:
    return discord_timestamp(moment, "R") if moment else "soon"


def _parse_answer(question: Question, raw: Any) -> Any:
    if question.kind == "text":
        return check_text_answer(str(raw))
    values = raw if isinstance(raw, list) else [raw]
    try:
        numbers = [int(v) for v in values]
    except (TypeError, ValueError):
        raise InvalidInput("That answer isn't one of the choices.") from None
    if question.kind == "choice":
        if not numbers or any(not 0 <= n < len(question.options) for n in numbers):
            raise InvalidInput("That answer isn't one of the choices.")
        if not question.multi and len(numbers) > 1:
            raise InvalidInput("Pick one answer for this question.")
        return sorted(set(numbers))
    low, high = (0, 10) if question.kind == "nps" else (1, 5)
    if len(numbers) != 1 or not low <= numbers[0] <= high:
        raise InvalidInput(f"Pick a number from {low} to {high}.")
    return numbers[0]
