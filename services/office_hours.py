"""Office-hours rules: sessions and their series, the question queue, reminders and recaps.

Discord-side effects (events, boards, threads, posts) are done by the cog; this
module decides what should happen and records it. Every method re-reads state
from the database, so jobs fired after a restart see the truth.
"""

from __future__ import annotations

import logging
import re
import statistics
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from services.errors import Conflict, InvalidInput, NotFound
from services.guild_settings import GuildSettingsService
from services.text import is_blank, strip_invisible
from services.time.clock import Clock
from services.time.recurrence import describe, next_after, next_occurrences, parse_repeat
from services.time.timeparse import parse_when
from services.time.timezones import resolve_zone
from storage.office_hours.rows import (
    AskContext,
    NewSession,
    OfficeHoursFigures,
    OfficeHoursSettings,
    Question,
    Session,
    wait_seconds,
)
from storage.office_hours.sessions import OfficeHoursRepository

log = logging.getLogger(__name__)

MIN_DURATION = 15
MAX_DURATION = 480
DEFAULT_DURATION = 60
MAX_TITLE = 100  # Discord's limit for an event name
MAX_DESCRIPTION = 1000  # Discord's limit for an event description
MAX_QUESTION = 1000
REPEATS = ("none", "weekly", "every-2-weeks")
# With no answered questions in the series yet, assume this per question.
DEFAULT_ANSWER_SECONDS = 5 * 60
# Average over the series' most recent answers, so a series' pace can change.
# New questions queue behind carried-over ones (priority 0).
ASK_PRIORITY = 1
RECENT_ANSWERS = 30
# A reminder may fire a little late (a busy loop); later than this it was missed.
REMINDER_LATE_TOLERANCE = timedelta(minutes=5)
MIN_REMINDER_MINUTES = 5
MAX_REMINDER_MINUTES = 7 * 24 * 60
MAX_REMINDERS = 3
MAX_GRACE_MINUTES = 240
MAX_HISTORY = 25

_OFFSET = re.compile(r"^(\d+)\s*(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?)$")

NO_CHANNEL = (
    "There's no office-hours channel yet. An advocate can set one with "
    "`/setup channel kind:office-hours`, then schedule again."
)


def clean_text(text: str) -> str:
    """Normalise user text: NFKC, no invisible characters, trimmed."""
    cleaned = strip_invisible(text).strip()
    # Text made only of format or control characters (e.g. right-to-left marks) shows
    # as nothing at all: treat it as empty so the user is asked for real text.
    if is_blank(cleaned):
        return ""
    return cleaned


def _closed(session: Session) -> str:
    return "was cancelled" if session.status == "cancelled" else "has already ended"


def pace(answer_seconds: list[float]) -> float:
    """Seconds per question: the mean of the series' recent answers, or the default."""
    return statistics.mean(answer_seconds) if answer_seconds else float(DEFAULT_ANSWER_SECONDS)


def wait_at(position: int, in_progress: int, seconds_per_question: float) -> timedelta:
    """The wait at a place in line, with the questions being answered still ahead."""
    return timedelta(seconds=(position - 1 + in_progress) * seconds_per_question)


def one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class SessionPlan:
    """A validated request to schedule; the cog creates the Discord event from it."""

    new: NewSession
    next_dates: list[datetime]
    repeat_text: str | None


@dataclass(frozen=True)
class QueueEntry:
    question: Question
    position: int


@dataclass(frozen=True)
class QueueView:
    session: Session
    in_progress: list[Question]
    waiting: list[Question]
    seconds_per_question: float

    def wait_for(self, position: int) -> timedelta:
        return wait_at(position, len(self.in_progress), self.seconds_per_question)


@dataclass(frozen=True)
class AskResult:
    session: Session
    question: Question
    position: int
    estimated_wait: timedelta
    replaced: bool


@dataclass(frozen=True)
class NextResult:
    session: Session
    question: Question | None
    closed_previous: Question | None
    up_next: Question | None


@dataclass(frozen=True)
class SkipResult:
    session: Session
    question: Question
    dropped: bool


@dataclass(frozen=True)
class Recap:
    session: Session
    answered: list[Question]
    skipped: list[Question]
    carried: list[Question]  # the new rows in the next session
    dropped: list[Question]  # unanswered with no next session to carry them to
    unique_askers: int
    median_wait_seconds: float | None
    actual_duration: timedelta
    next_session: Session | None


@dataclass(frozen=True)
class CancelResult:
    cancelled: list[Session]
    next_session: Session | None
    carried: list[Question] = field(default_factory=list)
    dropped: list[Question] = field(default_factory=list)


@dataclass(frozen=True)
class UpcomingEntry:
    session: Session
    waiting: int


@dataclass(frozen=True)
class ReminderDue:
    offset_minutes: int
    due: datetime


def format_offset(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def parse_offsets(text: str) -> tuple[int, ...]:
    """'24h, 15m' -> (1440, 15); 'none' -> ()."""
    cleaned = clean_text(text).lower()
    if cleaned in {"none", "off", "no", "0"}:
        return ()
    example = "Use e.g. `24h, 15m`, `2d, 1h` or `none`."
    offsets: set[int] = set()
    for part in cleaned.split(","):
        match = _OFFSET.match(part.strip())
        if not match:
            raise InvalidInput(f"`{one_line(part, 30)}` isn't a reminder time. {example}")
        number, unit = int(match.group(1)), match.group(2)[0]
        minutes = number * {"m": 1, "h": 60, "d": 24 * 60}[unit]
        if not MIN_REMINDER_MINUTES <= minutes <= MAX_REMINDER_MINUTES:
            raise InvalidInput(
                f"Reminders must be between {MIN_REMINDER_MINUTES} minutes and 7 days before "
                f"the start. {example}"
            )
        offsets.add(minutes)
    if len(offsets) > MAX_REMINDERS:
        raise InvalidInput(f"At most {MAX_REMINDERS} reminders per session. {example}")
    return tuple(sorted(offsets, reverse=True))


class OfficeHoursService:
    def __init__(
        self,
        repo: OfficeHoursRepository,
        guild_settings: GuildSettingsService,
        clock: Clock,
    ) -> None:
        self.repo = repo
        self._guild_settings = guild_settings
        self._clock = clock

    # -- settings ---------------------------------------------------------

    async def settings(self, guild_id: int) -> OfficeHoursSettings:
        return await self.repo.get_settings(guild_id)

    async def update_settings(
        self,
        guild_id: int,
        *,
        auto_start: bool | None = None,
        auto_end: bool | None = None,
        grace_minutes: int | None = None,
        reminders: str | None = None,
        reminder_role_id: int | None = None,
        clear_reminder_role: bool = False,
    ) -> OfficeHoursSettings:
        current = await self.repo.get_settings(guild_id)
        changes: dict[str, object] = {}
        if auto_start is not None:
            changes["auto_start"] = auto_start
        if auto_end is not None:
            changes["auto_end"] = auto_end
        if grace_minutes is not None:
            if not 0 <= grace_minutes <= MAX_GRACE_MINUTES:
                raise InvalidInput(
                    f"The grace period must be 0–{MAX_GRACE_MINUTES} minutes; "
                    f"you gave {grace_minutes}."
                )
            changes["grace_minutes"] = grace_minutes
        if reminders is not None:
            changes["reminder_offsets"] = parse_offsets(reminders)
        if clear_reminder_role:
            changes["reminder_role_id"] = None
        elif reminder_role_id is not None:
            changes["reminder_role_id"] = reminder_role_id
        updated = replace(current, **changes)  # type: ignore[arg-type]
        await self.repo.save_settings(updated, self._clock.now())
        return updated

    # -- scheduling -------------------------------------------------------

    async def plan_session(
        self,
        guild_id: int,
        *,
        host_id: int,
        title: str,
        start: str,
        duration_minutes: int = DEFAULT_DURATION,
        timezone: str | None = None,
        repeat: str = "none",
        description: str | None = None,
        location_channel_id: int | None = None,
        location_kind: Literal["voice", "stage"] | None = None,
    ) -> SessionPlan:
        """Validate everything about a new session; nothing is stored yet."""
        config = await self._guild_settings.config(guild_id)
        if config.office_hours_channel_id is None:
            # Checked first: no other fix matters until there is somewhere to hold sessions.
            raise InvalidInput(NO_CHANNEL)
        title = one_line(clean_text(title), 10_000)
        if not title:
            raise InvalidInput("Please give the session a title, e.g. `EMEA office hours`.")
        if len(title) > MAX_TITLE:
            raise InvalidInput(
                f"The title is {len(title)} characters; Discord allows {MAX_TITLE}. Shorten it."
            )
        desc = clean_text(description or "") or None
        if desc is not None and len(desc) > MAX_DESCRIPTION:
            raise InvalidInput(
                f"The description is {len(desc)} characters; Discord allows {MAX_DESCRIPTION}. "
                "Shorten it."
            )
        if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
            raise InvalidInput(
                f"The duration must be {MIN_DURATION}–{MAX_DURATION} minutes; "
                f"you gave {duration_minutes}."
            )
        zone = resolve_zone(timezone) if timezone else await self._guild_settings.zone(guild_id)
        rule = parse_repeat(repeat)
        if rule.spec not in REPEATS:
            raise InvalidInput(
                f"Office hours repeat `none`, `weekly` or `every-2-weeks`, not `{repeat}`."
            )
        now = self._clock.now()
        starts_at = parse_when(start, now=now, zone=zone)
        if location_kind not in (None, "voice", "stage"):
            raise InvalidInput("The location must be a voice or stage channel.")
        new = NewSession(
            guild_id=guild_id,
            title=title,
            description=desc,
            host_id=host_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=duration_minutes),
            zone=zone.key,
            repeat_spec=rule.spec,
            series_anchor=starts_at,
            location_channel_id=location_channel_id,
            location_kind=location_kind if location_channel_id else None,
            text_channel_id=config.office_hours_channel_id,
        )
        dates: list[datetime] = []
        text = None
        if rule.repeats:
            dates = next_occurrences(rule, anchor=starts_at, zone=zone, after=starts_at, count=3)
            text = describe(rule, anchor=starts_at, zone=zone)
        return SessionPlan(new=new, next_dates=dates, repeat_text=text)

    async def create_session(self, plan: SessionPlan, event_id: int | None) -> Session:
        return await self.repo.insert_session(
            replace(plan.new, event_id=event_id), self._clock.now()
        )

    async def create_call_session(
        self,
        guild_id: int,
        *,
        title: str,
        description: str | None,
        host_id: int,
        starts_at: datetime,
        ends_at: datetime,
        zone: str,
        location_channel_id: int | None,
        location_kind: str | None,
        text_channel_id: int,
    ) -> Session:
        """A regional call's occurrence, run by this engine (event, reminders, start, end)
        but kept out of office hours' lists. It never repeats here: the calls feature plans
        each occurrence (its slot, its host) itself. ``host_id`` 0: no host yet."""
        new = NewSession(
            guild_id=guild_id,
            title=title,
            description=description,
            host_id=host_id,
            starts_at=starts_at,
            ends_at=ends_at,
            zone=zone,
            repeat_spec="none",
            series_anchor=starts_at,
            location_channel_id=location_channel_id,
            location_kind=location_kind,
            text_channel_id=text_channel_id,
            origin="call",
        )
        return await self.repo.insert_session(new, self._clock.now())

    async def session(self, guild_id: int, session_id: int) -> Session | None:
        return await self.repo.get_session(guild_id, session_id)

    async def set_host(self, guild_id: int, session_id: int, host_id: int) -> None:
        await self.repo.set_host(guild_id, session_id, host_id)

    async def set_event_id(self, guild_id: int, session_id: int, event_id: int | None) -> None:
        await self.repo.set_event_id(guild_id, session_id, event_id)

    async def get(self, guild_id: int, session_id: int) -> Session:
        session = await self.repo.get_session(guild_id, session_id)
        if session is None:
            raise NotFound(
                f"There's no office-hours session #{session_id} here. "
                "See `/officehours upcoming` for the list."
            )
        return session

    async def upcoming(self, guild_id: int, limit: int = 10) -> list[UpcomingEntry]:
        sessions = await self.repo.upcoming(guild_id, self._clock.now(), limit)
        counts = await self.repo.questions.waiting_counts(guild_id, [s.id for s in sessions])
        return [UpcomingEntry(s, counts.get(s.id, 0)) for s in sessions]

    async def next_session(self, guild_id: int) -> Session | None:
        """The next session that hasn't started yet (used by announcements and the digest)."""
        for session in await self.repo.upcoming(guild_id, self._clock.now(), 20):
            if session.status == "scheduled" and session.starts_at > self._clock.now():
                return session
        return None

    async def upcoming_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[Session]:
        return await self.repo.upcoming_between(guild_id, start, end)

    async def digest_figures(
        self, guild_id: int, start: datetime, end: datetime
    ) -> OfficeHoursFigures:
        return await self.repo.digest_figures(guild_id, start, end)

    def next_occurrence_start(self, session: Session) -> datetime | None:
        """When this series meets next after ``session``, wall-clock time kept in its zone."""
        if not session.repeats:
            return None
        rule = parse_repeat(session.repeat_spec)
        zone = ZoneInfo(session.zone)
        after = max(session.starts_at, self._clock.now())
        return next_after(rule, anchor=session.series_anchor, zone=zone, after=after)

    async def _create_next(self, session: Session) -> Session | None:
        starts_at = self.next_occurrence_start(session)
        if starts_at is None:
            return None
        new = NewSession(
            guild_id=session.guild_id,
            title=session.title,
            description=session.description,
            host_id=session.host_id,
            starts_at=starts_at,
            ends_at=starts_at + session.duration,
            zone=session.zone,
            repeat_spec=session.repeat_spec,
            series_anchor=session.series_anchor,
            location_channel_id=session.location_channel_id,
            location_kind=session.location_kind,
            text_channel_id=session.text_channel_id,
            series_id=session.series_id,
        )
        return await self.repo.insert_session(new, self._clock.now())

    async def _carry(
        self, session: Session, target: Session | None
    ) -> tuple[list[Question], list[Question]]:
        """Move waiting questions to ``target`` (first in line there), else drop them."""
        now = self._clock.now()
        carried: list[Question] = []
        dropped: list[Question] = []
        for question in await self.repo.questions.waiting(session.guild_id, session.id):
            if target is not None and (
                await self.repo.questions.open_question(
                    session.guild_id, target.id, question.user_id
                )
                is None
            ):
                await self.repo.questions.finish(session.guild_id, question.id, "carried", now)
                carried.append(
                    await self.repo.questions.add_question(
                        session.guild_id,
                        target.id,
                        question.user_id,
                        question.question,
                        now,
                        priority=0,
                        carried_from=question.id,
                        asked_at=question.asked_at,
                    )
                )
            else:
                await self.repo.questions.finish(session.guild_id, question.id, "dropped", now)
                dropped.append(question)
        return carried, dropped

    async def cancel(
        self, guild_id: int, session_id: int, scope: Literal["this", "series"]
    ) -> CancelResult:
        async with self.repo.db.transaction():
            session = await self.get(guild_id, session_id)
            if session.status == "live":
                raise Conflict(
                    f"**{session.title}** is live right now. End it with `/officehours end`."
                )
            if session.status != "scheduled":
                raise Conflict(f"**{session.title}** {_closed(session)}; nothing to cancel.")
            now = self._clock.now()
            await self.repo.mark_cancelled(guild_id, session.id, now)
            cancelled = [replace(session, status="cancelled", ended_at=now)]
            next_session = None
            if scope == "this" and session.repeats:
                next_session = await self._create_next(session)
            carried, dropped = await self._carry(session, next_session)
        return CancelResult(cancelled, next_session, carried, dropped)

    # -- questions --------------------------------------------------------

    async def _target_for_ask(self, guild_id: int) -> Session:
        upcoming = await self.repo.questions.ask_target(guild_id, self._clock.now())
        if upcoming is None:
            raise NotFound(
                "No office hours are scheduled right now, so there's no queue to join. "
                "Check `/officehours upcoming` later."
            )
        return upcoming

    async def seconds_per_question(self, session: Session) -> float:
        recent = await self.repo.questions.answer_durations(
            session.guild_id, session.series_id, RECENT_ANSWERS
        )
        return pace(recent)

    async def queue_view(self, guild_id: int, session_id: int | None = None) -> QueueView:
        session = (
            await self.get(guild_id, session_id)
            if session_id is not None
            else await self._target_for_ask(guild_id)
        )
        return QueueView(
            session=session,
            in_progress=await self.repo.questions.in_progress(guild_id, session.id),
            waiting=await self.repo.questions.waiting(guild_id, session.id),
            seconds_per_question=await self.seconds_per_question(session),
        )

    async def ask(
        self, guild_id: int, user_id: int, text: str, *, session_id: int | None = None
    ) -> AskResult:
        question = clean_text(text)
        if not question:
            raise InvalidInput("Your question is empty. Write what you'd like to ask.")
        if len(question) > MAX_QUESTION:
            raise InvalidInput(
                f"Your question is {len(question)} characters; the limit is {MAX_QUESTION}. "
                "Shorten it (you can add detail in the thread once you're up)."
            )
        if session_id is None:
            # The common case, a new question for the default session, is one atomic
            # statement; anything else (none scheduled, one already open) goes the long way.
            fast = await self.repo.questions.ask_new(
                guild_id, user_id, question, self._clock.now(), ASK_PRIORITY, RECENT_ANSWERS
            )
            if fast is not None:
                saved, context = fast
                return self._ask_result(saved, context, replaced=False)
        async with self.repo.db.transaction():
            if session_id is None:
                session = await self._target_for_ask(guild_id)
            else:
                session = await self.get(guild_id, session_id)
                if session.status not in ("scheduled", "live"):
                    raise Conflict(
                        f"**{session.title}** {_closed(session)}; ask with `/officehours ask` "
                        "and your question joins the next session."
                    )
            existing = await self.repo.questions.open_question(guild_id, session.id, user_id)
            now = self._clock.now()
            if existing is not None and existing.in_progress:
                raise Conflict("Your question is being answered right now: head to its thread.")
            if existing is not None:
                await self.repo.questions.replace_text(guild_id, existing.id, question)
                saved = replace(existing, question=question)
            else:
                saved = await self.repo.questions.add_question(
                    guild_id, session.id, user_id, question, now, priority=ASK_PRIORITY
                )
        position, in_progress, recent = await self.repo.questions.ask_estimate(
            guild_id, saved, session.series_id, RECENT_ANSWERS
        )
        context = AskContext(session, position, in_progress, recent)
        return self._ask_result(saved, context, replaced=existing is not None)

    @staticmethod
    def _ask_result(saved: Question, context: AskContext, *, replaced: bool) -> AskResult:
        # Counts instead of the whole queue view: the reply needs only the place in line.
        wait = wait_at(context.position, context.in_progress, pace(context.answer_seconds))
        return AskResult(context.session, saved, context.position, wait, replaced)

    async def leave(
        self, guild_id: int, user_id: int, *, session_id: int | None = None
    ) -> Question:
        async with self.repo.db.transaction():
            sessions = (
                [await self.get(guild_id, session_id)]
                if session_id is not None
                else await self.repo.sessions_with_status(guild_id, ("live", "scheduled"))
            )
            for session in sessions:
                question = await self.repo.questions.open_question(guild_id, session.id, user_id)
                if question is not None and question.waiting:
                    await self.repo.questions.finish(
                        guild_id, question.id, "withdrawn", self._clock.now()
                    )
                    return question
        raise NotFound("You have no question waiting in a queue, so there's nothing to withdraw.")

    # -- running a session ------------------------------------------------

    async def live_session(self, guild_id: int, session_id: int | None = None) -> Session:
        if session_id is not None:
            session = await self.get(guild_id, session_id)
            if session.status != "live":
                raise Conflict(
                    f"**{session.title}** isn't live. Start it with `/officehours start`."
                )
            return session
        live = await self.repo.sessions_with_status(guild_id, ("live",))
        if not live:
            raise NotFound("No office hours are live. Start one with `/officehours start`.")
        if len(live) > 1:
            raise InvalidInput("Several sessions are live; pick one with the `session` option.")
        return live[0]

    async def start(self, guild_id: int, session_id: int | None = None) -> Session:
        """Scheduled -> live. Raises if there's nothing to start."""
        async with self.repo.db.transaction():
            if session_id is None:
                session = await self.next_startable(guild_id)
            else:
                session = await self.get(guild_id, session_id)
            if session.status == "live":
                raise Conflict(f"**{session.title}** is already live.")
            if session.status != "scheduled":
                raise Conflict(f"**{session.title}** {_closed(session)}; it can't start again.")
            now = self._clock.now()
            await self.repo.mark_live(guild_id, session.id, now)
            ends_at = session.ends_at
            if now < session.starts_at:
                # Started early: it runs its planned length from now, not until the planned end.
                ends_at = now + session.duration
                await self.repo.set_ends_at(guild_id, session.id, ends_at)
        return replace(session, status="live", started_at=now, ends_at=ends_at)

    async def next_startable(self, guild_id: int) -> Session:
        for entry in await self.upcoming(guild_id, 10):
            if entry.session.status == "scheduled":
                return entry.session
        raise NotFound(
            "There's no scheduled session to start. Schedule one with `/officehours schedule`."
        )

    async def set_board_message(self, guild_id: int, session_id: int, message_id: int) -> None:
        await self.repo.set_board_message(guild_id, session_id, message_id)

    async def take_next(
        self, guild_id: int, host_id: int, *, session_id: int | None = None
    ) -> NextResult:
        """Close the host's current question as answered and take the next one in line."""
        async with self.repo.db.transaction():
            session = await self.live_session(guild_id, session_id)
            now = self._clock.now()
            closed = None
            for current in await self.repo.questions.in_progress(guild_id, session.id):
                if current.host_id == host_id:
                    await self.repo.questions.finish(
                        guild_id, current.id, "answered", now, host_id=host_id
                    )
                    closed = current
            waiting = await self.repo.questions.waiting(guild_id, session.id)
            if not waiting:
                return NextResult(session, None, closed, None)
            question = waiting[0]
            await self.repo.questions.mark_taken(guild_id, question.id, host_id, now)
            taken = replace(question, taken_at=now, host_id=host_id)
            up_next = waiting[1] if len(waiting) > 1 else None
        return NextResult(session, taken, closed, up_next)

    async def set_thread(
        self, guild_id: int, question_id: int, thread_id: int, card_message_id: int | None
    ) -> None:
        await self.repo.questions.set_thread(guild_id, question_id, thread_id, card_message_id)

    async def question(self, guild_id: int, question_id: int) -> Question:
        question = await self.repo.questions.get_question(guild_id, question_id)
        if question is None:
            raise NotFound("That question no longer exists.")
        return question

    async def _current(self, guild_id: int, question_id: int) -> tuple[Question, Session]:
        question = await self.question(guild_id, question_id)
        if not question.in_progress:
            raise Conflict(
                f"This question is already closed ({question.outcome or 'back in the queue'})."
            )
        return question, await self.get(guild_id, question.session_id)

    async def mark_answered(self, guild_id: int, question_id: int, host_id: int) -> Question:
        async with self.repo.db.transaction():
            question, _ = await self._current(guild_id, question_id)
            now = self._clock.now()
            await self.repo.questions.finish(
                guild_id, question.id, "answered", now, host_id=host_id
            )
        return replace(question, outcome="answered", finished_at=now, host_id=host_id)

    async def skip(self, guild_id: int, question_id: int, host_id: int) -> SkipResult:
        """No-show: the first skip moves the question to the end, the second drops it."""
        async with self.repo.db.transaction():
            question, session = await self._current(guild_id, question_id)
            if question.skip_count >= 1:
                await self.repo.questions.finish(
                    guild_id, question.id, "skipped", self._clock.now(), host_id=host_id
                )
                result = SkipResult(session, replace(question, outcome="skipped"), True)
            else:
                await self.repo.questions.requeue_at_end(guild_id, question)
                result = SkipResult(session, replace(question, skip_count=1, taken_at=None), False)
        return result

    async def question_threads(self, guild_id: int, session_id: int) -> list[int]:
        """The threads opened for the session's questions, oldest first."""
        questions = await self.repo.questions.session_questions(guild_id, session_id)
        return sorted(q.thread_id for q in questions if q.thread_id is not None)

    async def attach_feedback(self, guild_id: int, question_id: int, feedback_id: int) -> None:
        await self.repo.questions.set_feedback(guild_id, question_id, feedback_id)

    async def end(self, guild_id: int, session_id: int | None = None) -> Recap:
        async with self.repo.db.transaction():
            session = await self.live_session(guild_id, session_id)
            now = self._clock.now()
            # A question being answered when the session ends counts as answered.
            for current in await self.repo.questions.in_progress(guild_id, session.id):
                await self.repo.questions.finish(guild_id, current.id, "answered", now)
            await self.repo.mark_ended(guild_id, session.id, now)
            ended = replace(session, status="ended", ended_at=now)
            next_session = await self._create_next(ended)
            carried, dropped = await self._carry(ended, next_session)
            questions = await self.repo.questions.session_questions(guild_id, session.id)
        answered = sorted(
            (q for q in questions if q.outcome == "answered"),
            key=lambda q: q.taken_at or now,
        )
        waits = [
            w
            for q in questions
            if q.outcome in ("answered", "skipped")
            and (w := wait_seconds(q, session.started_at)) is not None
        ]
        return Recap(
            session=ended,
            answered=answered,
            skipped=[q for q in questions if q.outcome == "skipped"],
            carried=carried,
            dropped=dropped,
            unique_askers=len({q.user_id for q in questions if q.outcome != "withdrawn"}),
            median_wait_seconds=statistics.median(waits) if waits else None,
            actual_duration=now - (session.started_at or now),
            next_session=next_session,
        )

    async def set_recap_message(self, guild_id: int, session_id: int, message_id: int) -> None:
        await self.repo.set_recap_message(guild_id, session_id, message_id)

    async def history(
        self, guild_id: int, count: int = 5
    ) -> list[tuple[Session, OfficeHoursFigures]]:
        if not 1 <= count <= MAX_HISTORY:
            raise InvalidInput(f"`count` must be 1–{MAX_HISTORY}; you gave {count}.")
        sessions = await self.repo.past_sessions(guild_id, count)
        return [(s, await self.repo.session_figures(s)) for s in sessions]

    # -- jobs -------------------------------------------------------------

    async def active_sessions(self) -> list[Session]:
        """Every scheduled or live session in every guild (start-up job rebuild)."""
        found: list[Session] = []
        for guild_id in await self.repo.guilds_with_active_sessions():
            found.extend(
                await self.repo.sessions_with_status(guild_id, ("scheduled", "live"), origin=None)
            )
        return found

    def reminders_due(self, session: Session, settings: OfficeHoursSettings) -> list[ReminderDue]:
        """Reminder times still ahead; ones already past are skipped, never sent late."""
        now = self._clock.now()
        return [
            ReminderDue(offset, due)
            for offset in settings.reminder_offsets
            if (due := session.starts_at - timedelta(minutes=offset)) > now
        ]

    def start_due(self, session: Session) -> datetime:
        return session.starts_at

    def end_due(self, session: Session, settings: OfficeHoursSettings) -> datetime:
        return session.ends_at + timedelta(minutes=settings.grace_minutes)

    async def claim_reminder(
        self, guild_id: int, session_id: int, offset_minutes: int
    ) -> Session | None:
        """Claim a reminder before sending; None if it must not be sent (late, sent, or moot)."""
        session = await self.repo.get_session(guild_id, session_id)
        if session is None or session.status != "scheduled":
            return None
        due = session.starts_at - timedelta(minutes=offset_minutes)
        now = self._clock.now()
        if now - due > REMINDER_LATE_TOLERANCE or now >= session.starts_at:
            log.info(
                "Skipping reminder %s for session %s: its time passed", offset_minutes, session_id
            )
            return None
        if not await self.repo.claim_reminder(guild_id, session_id, offset_minutes, now):
            return None
        return session

    async def record_reminder_message(
        self, guild_id: int, session_id: int, offset_minutes: int, message_id: int
    ) -> None:
        await self.repo.record_reminder_message(guild_id, session_id, offset_minutes, message_id)

    async def waiting_longer_than(self, guild_id: int, age: timedelta) -> int:
        """Questions that have waited longer than ``age`` (the on-call handoff note)."""
        return await self.repo.questions.count_waiting_before(guild_id, self._clock.now() - age)

    async def waiting_askers(self, guild_id: int, session_id: int) -> list[int]:
        return [q.user_id for q in await self.repo.questions.waiting(guild_id, session_id)]
