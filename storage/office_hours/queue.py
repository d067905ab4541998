"""The office-hours question queue: asking (with the one-statement `/officehours ask`),
the place in line, taking, finishing and requeueing questions, and the series' answer times
behind the wait estimate, with the SQL fragments those statements share.

Separate from storage.office_hours.sessions, which keeps sessions, settings, reminder claims and
the recap and digest figures: the queue is its own job and the hot path of `ask`. The Session and
Question rows and their mappers are in storage.office_hours.rows, which both modules import.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from storage.database import Database, marks
from storage.office_hours.rows import (
    _QUESTION_COLUMNS,
    _SESSION_NAMES,
    AskContext,
    Question,
    Session,
    _question,
    _session,
)
from storage.timeutil import from_db, to_db

_QUEUE_ORDER = "priority, queue_key, id"
# Where a question asked without naming a session goes; its one parameter is now. The IN
# lets SQLite seek the two statuses in (guild_id, status, starts_at) (0008) instead of
# reading every session the guild ever had.
_ASK_TARGET = (
    "s.status IN ('live', 'scheduled') AND (s.status = 'live' OR s.starts_at > ?) "
    "AND s.origin = 'office_hours' ORDER BY s.status = 'live' DESC, s.starts_at, s.id LIMIT 1"
)
_SESSION_IN_JOIN = ", ".join(f"s.{c}" for c in _SESSION_NAMES)


def _recent_answers(guild: str, series: str) -> str:
    """The series' latest answers as (taken_at, finished_at), newest first; its last
    parameter is the limit. ``guild`` and ``series`` are SQL: placeholders, or columns of
    an enclosing query. A series' sessions follow one another, so newest session first,
    then newest answer, is newest answer first; in that order SQLite walks the series'
    sessions backwards and each one's answers by the partial index (0008), and stops at
    ``limit``: the cost stays flat as history grows, even for a series with no answers."""
    return (
        "SELECT a.taken_at, a.finished_at FROM oh_sessions b "
        "JOIN oh_questions a ON a.session_id = b.id "
        f"WHERE +a.guild_id = {guild} AND b.guild_id = {guild} AND b.series_id = {series} "
        "AND a.outcome = 'answered' AND a.taken_at IS NOT NULL "
        "ORDER BY b.id DESC, a.finished_at DESC LIMIT ?"
    )


def _answers_json(guild: str, series: str) -> str:
    return (
        "(SELECT json_group_array(json_array(taken_at, finished_at)) FROM ("
        f"{_recent_answers(guild, series)}))"
    )


def _next_queue_key(guild: str, session: str) -> str:
    """The session's next queue key: one seek at the end of the (session_id, queue_key)
    index (0008). The unary + keeps SQLite off the guild-wide index, whose scan grows
    with every question the guild has had."""
    return (
        "(SELECT COALESCE(MAX(k.queue_key), 0) + 1 FROM oh_questions k "
        f"WHERE k.session_id = {session} AND +k.guild_id = {guild})"
    )


def _waiting_count(guild: str, session: str) -> str:
    """Questions not yet taken in the session, before any further condition on ``w``."""
    return (
        f"SELECT COUNT(*) FROM oh_questions w WHERE w.guild_id = {guild} "
        f"AND w.session_id = {session} AND w.outcome IS NULL AND w.taken_at IS NULL "
    )


def _in_progress_count(guild: str, session: str) -> str:
    return (
        f"(SELECT COUNT(*) FROM oh_questions t WHERE t.guild_id = {guild} "
        f"AND t.session_id = {session} AND t.outcome IS NULL AND t.taken_at IS NOT NULL)"
    )


def _ask_new_sql() -> str:
    new = "oh_questions"  # in RETURNING, the inserted row
    series = (
        f"(SELECT COALESCE(c.series_id, c.id) FROM oh_sessions c WHERE c.id = {new}.session_id)"
    )
    session_json = ", ".join(f"'{c}', s.{c}" for c in _SESSION_NAMES)
    return (
        "INSERT INTO oh_questions (guild_id, session_id, user_id, question, asked_at, "
        "priority, queue_key) "
        f"SELECT s.guild_id, s.id, ?, ?, ?, ?, {_next_queue_key('s.guild_id', 's.id')} "
        f"FROM (SELECT s.id, s.guild_id FROM oh_sessions s WHERE s.guild_id = ? AND "
        f"{_ASK_TARGET}) s "
        "WHERE NOT EXISTS (SELECT 1 FROM oh_questions o WHERE o.session_id = s.id "
        "AND o.user_id = ? AND o.outcome IS NULL) "
        f"RETURNING {_QUESTION_COLUMNS}, "
        f"(SELECT json_object({session_json}) FROM oh_sessions s "
        f"WHERE s.id = {new}.session_id) AS session, "
        f"({_waiting_count(new + '.guild_id', new + '.session_id')} "
        f"AND (w.priority, w.queue_key, w.id) < ({new}.priority, {new}.queue_key, {new}.id)) "
        "+ 1 AS position, "
        f"{_in_progress_count(new + '.guild_id', new + '.session_id')} AS in_progress, "
        f"{_answers_json(new + '.guild_id', series)} AS answers"
    )


_ASK_NEW = _ask_new_sql()


def _durations(newest_first: list[Any]) -> list[float]:
    return [
        max(0.0, (from_db(finished) - from_db(taken)).total_seconds())
        for taken, finished in reversed(newest_first)
    ]


class QuestionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def ask_target(self, guild_id: int, now: datetime) -> Session | None:
        """The live session (earliest if several), else the next one not started yet."""
        row = await self._db.fetchone(
            f"SELECT {_SESSION_IN_JOIN} FROM oh_sessions s WHERE s.guild_id = ? AND {_ASK_TARGET}",
            (guild_id, to_db(now)),
        )
        return None if row is None else _session(row)

    async def ask_new(
        self, guild_id: int, user_id: int, text: str, now: datetime, priority: int, limit: int = 30
    ) -> tuple[Question, AskContext] | None:
        """The common `/officehours ask` as one statement, so one round trip and atomic
        without BEGIN/COMMIT: a new question for a member with none open in the session
        ask_target picks, with what the reply needs computed in its RETURNING clause.

        None when that is not the case (no session, or the member already has an open
        question there): the caller then takes the general path (``ask_target``,
        ``open_question``, ``add_question`` or ``replace_text``, then ``ask_estimate``).
        The place in line counts only rows strictly ahead, so it holds whether or not
        SQLite's RETURNING subqueries see the new row.
        """
        rows = await self._db.fetchall(
            _ASK_NEW,
            (user_id, text, to_db(now), priority, guild_id, to_db(now), user_id, limit),
        )
        if not rows:
            return None
        row = rows[0]
        context = AskContext(
            _session(json.loads(row["session"])),
            row["position"],
            row["in_progress"],
            _durations(json.loads(row["answers"])),
        )
        return _question(row), context

    async def get_question(self, guild_id: int, question_id: int) -> Question | None:
        row = await self._db.fetchone(
            f"SELECT {_QUESTION_COLUMNS} FROM oh_questions WHERE guild_id = ? AND id = ?",
            (guild_id, question_id),
        )
        return None if row is None else _question(row)

    async def open_question(self, guild_id: int, session_id: int, user_id: int) -> Question | None:
        row = await self._db.fetchone(
            f"SELECT {_QUESTION_COLUMNS} FROM oh_questions WHERE guild_id = ? AND session_id = ? "
            "AND user_id = ? AND outcome IS NULL",
            (guild_id, session_id, user_id),
        )
        return None if row is None else _question(row)

    async def count_waiting_before(self, guild_id: int, before: datetime) -> int:
        """Questions asked before ``before`` still waiting in a scheduled or live session."""
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM oh_questions q JOIN oh_sessions s ON s.id = q.session_id "
                "WHERE q.guild_id = ? AND q.outcome IS NULL AND q.taken_at IS NULL "
                "AND q.asked_at < ? AND s.status IN ('scheduled', 'live')",
                (guild_id, to_db(before)),
            )
        )

    async def add_question(
        self,
        guild_id: int,
        session_id: int,
        user_id: int,
        text: str,
        now: datetime,
        *,
        priority: int = 1,
        carried_from: int | None = None,
        skip_count: int = 0,
        asked_at: datetime | None = None,
    ) -> Question:
        # One statement (next queue key, insert, read back) instead of three round trips
        # to the SQLite thread: the hand-off dominates the cost of `/officehours ask`.
        rows = await self._db.fetchall(
            "INSERT INTO oh_questions (guild_id, session_id, user_id, question, asked_at, "
            "priority, queue_key, skip_count, carried_from) "
            f"VALUES (?, ?, ?, ?, ?, ?, {_next_queue_key('?', '?')}, ?, ?) "
            f"RETURNING {_QUESTION_COLUMNS}",
            (
                guild_id,
                session_id,
                user_id,
                text,
                to_db(asked_at or now),
                priority,
                session_id,
                guild_id,
                skip_count,
                carried_from,
            ),
        )
        return _question(rows[0])

    async def replace_text(self, guild_id: int, question_id: int, text: str) -> None:
        await self._db.execute(
            "UPDATE oh_questions SET question = ? WHERE guild_id = ? AND id = ? "
            "AND outcome IS NULL",
            (text, guild_id, question_id),
        )

    async def waiting(self, guild_id: int, session_id: int) -> list[Question]:
        """Questions not yet taken, in queue order."""
        rows = await self._db.fetchall(
            f"SELECT {_QUESTION_COLUMNS} FROM oh_questions WHERE guild_id = ? AND session_id = ? "
            f"AND outcome IS NULL AND taken_at IS NULL ORDER BY {_QUEUE_ORDER}",
            (guild_id, session_id),
        )
        return [_question(r) for r in rows]

    async def ask_estimate(
        self, guild_id: int, question: Question, series_id: int, limit: int = 30
    ) -> tuple[int, int, list[float]]:
        """A waiting question's place in line, how many are being answered, and the
        series' recent answer durations (as answer_durations): one round trip, not three."""
        row = await self._db.fetchone(
            f"SELECT ({_waiting_count('?', '?')} "
            "AND (w.priority, w.queue_key, w.id) <= (?, ?, ?)) AS position, "
            f"{_in_progress_count('?', '?')} AS in_progress, "
            f"{_answers_json('?', '?')} AS answers",
            (
                guild_id,
                question.session_id,
                question.priority,
                question.queue_key,
                question.id,
                guild_id,
                question.session_id,
                guild_id,
                guild_id,
                series_id,
                limit,
            ),
        )
        assert row is not None
        pairs = json.loads(row["answers"])
        return row["position"], row["in_progress"], _durations(pairs)

    async def in_progress(self, guild_id: int, session_id: int) -> list[Question]:
        rows = await self._db.fetchall(
            f"SELECT {_QUESTION_COLUMNS} FROM oh_questions WHERE guild_id = ? AND session_id = ? "
            "AND outcome IS NULL AND taken_at IS NOT NULL ORDER BY taken_at, id",
            (guild_id, session_id),
        )
        return [_question(r) for r in rows]

    async def session_questions(self, guild_id: int, session_id: int) -> list[Question]:
        rows = await self._db.fetchall(
            f"SELECT {_QUESTION_COLUMNS} FROM oh_questions WHERE guild_id = ? AND session_id = ? "
            f"ORDER BY {_QUEUE_ORDER}",
            (guild_id, session_id),
        )
        return [_question(r) for r in rows]

    async def waiting_counts(self, guild_id: int, session_ids: list[int]) -> dict[int, int]:
        if not session_ids:
            return {}
        rows = await self._db.fetchall(
            "SELECT session_id, COUNT(*) AS n FROM oh_questions WHERE guild_id = ? "
            f"AND session_id IN ({marks(session_ids)}) AND outcome IS NULL GROUP BY session_id",
            (guild_id, *session_ids),
        )
        return {r["session_id"]: r["n"] for r in rows}

    async def mark_taken(
        self, guild_id: int, question_id: int, host_id: int, now: datetime
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE oh_questions SET taken_at = ?, host_id = ? WHERE guild_id = ? AND id = ? "
            "AND outcome IS NULL AND taken_at IS NULL",
            (to_db(now), host_id, guild_id, question_id),
        )
        return changed == 1

    async def set_thread(
        self, guild_id: int, question_id: int, thread_id: int, card_message_id: int | None
    ) -> None:
        await self._db.execute(
            "UPDATE oh_questions SET thread_id = ?, card_message_id = ? "
            "WHERE guild_id = ? AND id = ?",
            (thread_id, card_message_id, guild_id, question_id),
        )

    async def finish(
        self,
        guild_id: int,
        question_id: int,
        outcome: str,
        now: datetime,
        *,
        host_id: int | None = None,
    ) -> bool:
        """Close an open question with its outcome; False if it was already closed."""
        changed = await self._db.execute(
            "UPDATE oh_questions SET outcome = ?, finished_at = ?, host_id = COALESCE(?, host_id) "
            "WHERE guild_id = ? AND id = ? AND outcome IS NULL",
            (outcome, to_db(now), host_id, guild_id, question_id),
        )
        return changed == 1

    async def requeue_at_end(self, guild_id: int, question: Question) -> bool:
        """A first skip: back to the end of the queue (after every waiting question)."""
        changed = await self._db.execute(
            "UPDATE oh_questions SET taken_at = NULL, host_id = NULL, thread_id = NULL, "
            "card_message_id = NULL, skip_count = skip_count + 1, priority = 1, "
            f"queue_key = {_next_queue_key('?', '?')} "
            "WHERE guild_id = ? AND id = ? AND outcome IS NULL",
            (question.session_id, guild_id, guild_id, question.id),
        )
        return changed == 1

    async def set_feedback(self, guild_id: int, question_id: int, feedback_id: int) -> None:
        await self._db.execute(
            "UPDATE oh_questions SET feedback_id = ? WHERE guild_id = ? AND id = ?",
            (feedback_id, guild_id, question_id),
        )

    async def answer_durations(self, guild_id: int, series_id: int, limit: int = 30) -> list[float]:
        """Seconds the series' last ``limit`` answered questions took, oldest first."""
        rows = await self._db.fetchall(
            _recent_answers("?", "?"), (guild_id, guild_id, series_id, limit)
        )
        return _durations([(r["taken_at"], r["finished_at"]) for r in rows])
