"""Office-hours rows shared by the sessions and the queue: dataclasses, columns and mappers.

Kept apart so that storage.office_hours.sessions and storage.office_hours.queue both import it
and neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storage.timeutil import from_db, maybe_from_db

DEFAULT_REMINDER_OFFSETS: tuple[int, ...] = (24 * 60, 15)
DEFAULT_GRACE_MINUTES = 10

ACTIVE_STATUSES = ("scheduled", "live")


@dataclass(frozen=True)
class OfficeHoursSettings:
    guild_id: int
    auto_start: bool = True
    auto_end: bool = True
    grace_minutes: int = DEFAULT_GRACE_MINUTES
    reminder_offsets: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS  # minutes before start
    reminder_role_id: int | None = None


@dataclass(frozen=True)
class Session:
    id: int
    guild_id: int
    series_id: int
    title: str
    description: str | None
    host_id: int
    starts_at: datetime
    ends_at: datetime
    zone: str
    repeat_spec: str
    series_anchor: datetime
    location_channel_id: int | None
    location_kind: str | None
    text_channel_id: int
    event_id: int | None
    board_message_id: int | None
    recap_message_id: int | None
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    # 'office_hours', or 'call' for a regional call's occurrence run by this engine.
    origin: str = "office_hours"

    @property
    def duration(self) -> timedelta:
        """The planned length; a session started early keeps it from its actual start."""
        began = self.starts_at
        if self.started_at is not None and self.started_at < began:
            began = self.started_at
        return self.ends_at - began

    @property
    def repeats(self) -> bool:
        return self.repeat_spec != "none"


@dataclass(frozen=True)
class NewSession:
    """Everything needed to insert a session; validated by the service."""

    guild_id: int
    title: str
    description: str | None
    host_id: int
    starts_at: datetime
    ends_at: datetime
    zone: str
    repeat_spec: str
    series_anchor: datetime
    location_channel_id: int | None
    location_kind: str | None
    text_channel_id: int
    series_id: int | None = None
    event_id: int | None = None
    origin: str = "office_hours"


@dataclass(frozen=True)
class Question:
    id: int
    guild_id: int
    session_id: int
    user_id: int
    question: str
    asked_at: datetime
    priority: int
    queue_key: int
    taken_at: datetime | None
    finished_at: datetime | None
    outcome: str | None
    host_id: int | None
    thread_id: int | None
    card_message_id: int | None
    skip_count: int
    carried_from: int | None
    feedback_id: int | None

    @property
    def waiting(self) -> bool:
        return self.outcome is None and self.taken_at is None

    @property
    def in_progress(self) -> bool:
        return self.outcome is None and self.taken_at is not None


@dataclass(frozen=True)
class AskContext:
    """What `/officehours ask` replies with, beside the saved question."""

    session: Session
    position: int
    in_progress: int
    answer_seconds: list[float]


@dataclass(frozen=True)
class OfficeHoursFigures:
    sessions_held: int
    asked: int
    answered: int
    skipped: int
    carried_over: int
    median_wait_seconds: float | None
    unique_askers: int
    host_ids: list[int]


_SESSION_COLUMNS = (
    "id, guild_id, series_id, title, description, host_id, starts_at, ends_at, zone, "
    "repeat_spec, series_anchor, location_channel_id, location_kind, text_channel_id, "
    "event_id, board_message_id, recap_message_id, status, started_at, ended_at, created_at, "
    "origin"
)

_QUESTION_COLUMNS = (
    "id, guild_id, session_id, user_id, question, asked_at, priority, queue_key, taken_at, "
    "finished_at, outcome, host_id, thread_id, card_message_id, skip_count, carried_from, "
    "feedback_id"
)

_SESSION_NAMES = _SESSION_COLUMNS.split(", ")


def _session(row: Any) -> Session:
    return Session(
        id=row["id"],
        guild_id=row["guild_id"],
        series_id=row["series_id"] if row["series_id"] is not None else row["id"],
        title=row["title"],
        description=row["description"],
        host_id=row["host_id"],
        starts_at=from_db(row["starts_at"]),
        ends_at=from_db(row["ends_at"]),
        zone=row["zone"],
        repeat_spec=row["repeat_spec"],
        series_anchor=from_db(row["series_anchor"]),
        location_channel_id=row["location_channel_id"],
        location_kind=row["location_kind"],
        text_channel_id=row["text_channel_id"],
        event_id=row["event_id"],
        board_message_id=row["board_message_id"],
        recap_message_id=row["recap_message_id"],
        status=row["status"],
        started_at=maybe_from_db(row["started_at"]),
        ended_at=maybe_from_db(row["ended_at"]),
        created_at=from_db(row["created_at"]),
        origin=row["origin"],
    )


def _question(row: Any) -> Question:
    return Question(
        id=row["id"],
        guild_id=row["guild_id"],
        session_id=row["session_id"],
        user_id=row["user_id"],
        question=row["question"],
        asked_at=from_db(row["asked_at"]),
        priority=row["priority"],
        queue_key=row["queue_key"],
        taken_at=maybe_from_db(row["taken_at"]),
        finished_at=maybe_from_db(row["finished_at"]),
        outcome=row["outcome"],
        host_id=row["host_id"],
        thread_id=row["thread_id"],
        card_message_id=row["card_message_id"],
        skip_count=row["skip_count"],
        carried_from=row["carried_from"],
        feedback_id=row["feedback_id"],
    )


def _offsets_to_db(offsets: tuple[int, ...]) -> str:
    return ",".join(str(o) for o in offsets)


def _offsets_from_db(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def wait_seconds(question: Question, session_started_at: datetime | None) -> float | None:
    """How long the asker waited: from when the queue opened (or they asked) to being taken."""
    if question.taken_at is None:
        return None
    since = question.asked_at
    if session_started_at is not None and session_started_at > since:
        since = session_started_at
    return max(0.0, (question.taken_at - since).total_seconds())
