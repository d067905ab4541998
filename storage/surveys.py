"""Surveys, their questions, responses and answers, reminders and quick polls' counts.

An anonymous survey's responses are found by ``member_hash`` (an HMAC the service
computes with the survey's secret), never by member id; ``close`` destroys the secret
and the hashes in one transaction. See 0011_surveys.sql.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.database import Database
from storage.timeutil import from_db, maybe_from_db, maybe_to_db, to_db

_SURVEY_COLUMNS = (
    "id, guild_id, kind, title, anonymous, public_results, status, closes_at, zone, "
    "channel_id, message_id, author_id, created_at, opened_at, closed_at, previous_id, "
    "round, secret, card_closed"
)


@dataclass(frozen=True)
class Survey:
    id: int
    guild_id: int
    kind: str  # survey | poll
    title: str
    anonymous: bool
    public_results: bool
    status: str  # draft | open | closed
    closes_at: datetime | None
    zone: str
    channel_id: int | None
    message_id: int | None
    author_id: int
    created_at: datetime
    opened_at: datetime | None
    closed_at: datetime | None
    previous_id: int | None
    round: int
    secret: bytes | None
    card_closed: bool


@dataclass(frozen=True)
class NewSurvey:
    guild_id: int
    kind: str
    title: str
    anonymous: bool
    public_results: bool
    closes_at: datetime | None
    zone: str
    author_id: int
    created_at: datetime
    previous_id: int | None = None
    round: int = 1


@dataclass(frozen=True)
class Question:
    position: int
    kind: str  # nps | csat | scale | choice | text
    prompt: str
    options: list[str]
    multi: bool


@dataclass
class Response:
    id: int
    member_id: int | None
    submitted: bool
    submitted_at: datetime | None
    # position -> value: an int, a list of option indexes, or text
    answers: dict[int, Any] = field(default_factory=dict)


def _survey(row: Any) -> Survey:
    return Survey(
        id=row["id"],
        guild_id=row["guild_id"],
        kind=row["kind"],
        title=row["title"],
        anonymous=bool(row["anonymous"]),
        public_results=bool(row["public_results"]),
        status=row["status"],
        closes_at=maybe_from_db(row["closes_at"]),
        zone=row["zone"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        author_id=row["author_id"],
        created_at=from_db(row["created_at"]),
        opened_at=maybe_from_db(row["opened_at"]),
        closed_at=maybe_from_db(row["closed_at"]),
        previous_id=row["previous_id"],
        round=row["round"],
        secret=row["secret"],
        card_closed=bool(row["card_closed"]),
    )


def _decode(value: str) -> Any:
    return json.loads(value)


def _assemble(rows: list[Any], answers: list[Any]) -> list[Response]:
    responses = {
        r["id"]: Response(r["id"], r["member_id"], True, maybe_from_db(r["submitted_at"]))
        for r in rows
    }
    for a in answers:
        responses[a["response_id"]].answers[a["position"]] = _decode(a["value"])
    return list(responses.values())


class SurveyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def db(self) -> Database:
        return self._db

    # ------------------------------------------------------------------ surveys

    async def create(self, new: NewSurvey) -> int:
        return await self._db.execute(
            "INSERT INTO surveys (guild_id, kind, title, anonymous, public_results, status, "
            "closes_at, zone, author_id, created_at, previous_id, round) "
            "VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)",
            (
                new.guild_id,
                new.kind,
                new.title,
                int(new.anonymous),
                int(new.public_results),
                maybe_to_db(new.closes_at),
                new.zone,
                new.author_id,
                to_db(new.created_at),
                new.previous_id,
                new.round,
            ),
        )

    async def get(self, guild_id: int, survey_id: int) -> Survey | None:
        row = await self._db.fetchone(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE guild_id = ? AND id = ?",
            (guild_id, survey_id),
        )
        return None if row is None else _survey(row)

    async def search(self, guild_id: int, text: str, limit: int = 25) -> list[Survey]:
        rows = await self._db.fetchall(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE guild_id = ? "
            "AND (title LIKE ? OR CAST(id AS TEXT) = ?) ORDER BY id DESC LIMIT ?",
            (guild_id, f"%{text}%", text.strip().lstrip("#"), limit),
        )
        return [_survey(r) for r in rows]

    async def next_round_of(self, guild_id: int, survey_id: int) -> Survey | None:
        row = await self._db.fetchone(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE guild_id = ? AND previous_id = ? "
            "ORDER BY id LIMIT 1",
            (guild_id, survey_id),
        )
        return None if row is None else _survey(row)

    async def mark_open(
        self,
        guild_id: int,
        survey_id: int,
        *,
        channel_id: int,
        opened_at: datetime,
        secret: bytes | None,
    ) -> bool:
        """draft -> open; False if it was not a draft (someone opened it first)."""
        changed = await self._db.execute(
            "UPDATE surveys SET status = 'open', channel_id = ?, opened_at = ?, secret = ? "
            "WHERE guild_id = ? AND id = ? AND status = 'draft'",
            (channel_id, to_db(opened_at), secret, guild_id, survey_id),
        )
        return changed == 1

    async def undo_open(self, guild_id: int, survey_id: int) -> None:
        """The card or poll never got posted: a survey goes back to draft, a poll goes."""
        async with self._db.transaction():
            await self._db.execute(
                "DELETE FROM surveys WHERE guild_id = ? AND id = ? AND kind = 'poll' "
                "AND message_id IS NULL",
                (guild_id, survey_id),
            )
            await self._db.execute(
                "UPDATE surveys SET status = 'draft', channel_id = NULL, opened_at = NULL, "
                "secret = NULL WHERE guild_id = ? AND id = ? AND status = 'open' "
                "AND message_id IS NULL",
                (guild_id, survey_id),
            )

    async def set_message(self, guild_id: int, survey_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE surveys SET message_id = ? WHERE guild_id = ? AND id = ?",
            (message_id, guild_id, survey_id),
        )

    async def set_closes_at(self, guild_id: int, survey_id: int, closes_at: datetime) -> None:
        await self._db.execute(
            "UPDATE surveys SET closes_at = ? WHERE guild_id = ? AND id = ?",
            (to_db(closes_at), guild_id, survey_id),
        )

    async def close(self, guild_id: int, survey_id: int, closed_at: datetime) -> bool:
        """open -> closed, destroying the secret and every hash; False if not open."""
        async with self._db.transaction():
            changed = await self._db.execute(
                "UPDATE surveys SET status = 'closed', closed_at = ?, secret = NULL "
                "WHERE guild_id = ? AND id = ? AND status = 'open'",
                (to_db(closed_at), guild_id, survey_id),
            )
            if changed != 1:
                return False
            # Answers never submitted are not part of the results.
            await self._db.execute(
                "DELETE FROM survey_responses WHERE guild_id = ? AND survey_id = ? "
                "AND submitted = 0",
                (guild_id, survey_id),
            )
            await self._db.execute(
                "UPDATE survey_responses SET member_hash = NULL WHERE guild_id = ? "
                "AND survey_id = ?",
                (guild_id, survey_id),
            )
        return True

    async def set_card_closed(self, guild_id: int, survey_id: int) -> None:
        await self._db.execute(
            "UPDATE surveys SET card_closed = 1 WHERE guild_id = ? AND id = ?",
            (guild_id, survey_id),
        )

    async def open_surveys(self) -> list[Survey]:
        """Every guild's open surveys and polls (start-up rebuilds their alarms)."""
        rows = await self._db.fetchall(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE status = 'open' ORDER BY id"
        )
        return [_survey(r) for r in rows]

    async def closed_needing_card(self) -> list[Survey]:
        rows = await self._db.fetchall(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE status = 'closed' AND card_closed = 0 "
            "AND message_id IS NOT NULL ORDER BY id"
        )
        return [_survey(r) for r in rows]

    # ------------------------------------------------------------------ questions

    async def questions(self, guild_id: int, survey_id: int) -> list[Question]:
        rows = await self._db.fetchall(
            "SELECT position, kind, prompt, options, multi FROM survey_questions "
            "WHERE guild_id = ? AND survey_id = ? ORDER BY position",
            (guild_id, survey_id),
        )
        return [
            Question(r["position"], r["kind"], r["prompt"], _decode(r["options"]), bool(r["multi"]))
            for r in rows
        ]

    async def add_question(
        self,
        guild_id: int,
        survey_id: int,
        kind: str,
        prompt: str,
        options: list[str],
        multi: bool,
        *,
        limit: int,
    ) -> int | None:
        """Append a question to a draft; None if the survey is full or no longer a draft."""
        async with self._db.transaction():
            status = await self._db.fetchval(
                "SELECT status FROM surveys WHERE guild_id = ? AND id = ?", (guild_id, survey_id)
            )
            count = await self._db.fetchval(
                "SELECT count(*) FROM survey_questions WHERE guild_id = ? AND survey_id = ?",
                (guild_id, survey_id),
            )
            if status != "draft" or count >= limit:
                return None
            position = int(count) + 1
            await self._db.execute(
                "INSERT INTO survey_questions (guild_id, survey_id, position, kind, prompt, "
                "options, multi) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (guild_id, survey_id, position, kind, prompt, json.dumps(options), int(multi)),
            )
        return position

    async def copy_questions(self, guild_id: int, from_id: int, to_id: int) -> None:
        await self._db.execute(
            "INSERT INTO survey_questions (guild_id, survey_id, position, kind, prompt, options, "
            "multi) SELECT guild_id, ?, position, kind, prompt, options, multi "
            "FROM survey_questions WHERE guild_id = ? AND survey_id = ?",
            (to_id, guild_id, from_id),
        )

    # ------------------------------------------------------------------ responses

    async def _response_where(
        self, guild_id: int, survey_id: int, member_id: int | None, member_hash: str | None
    ) -> tuple[str, tuple[Any, ...]]:
        if member_hash is not None:
            return (
                "guild_id = ? AND survey_id = ? AND member_hash = ?",
                (guild_id, survey_id, member_hash),
            )
        return (
            "guild_id = ? AND survey_id = ? AND member_id = ?",
            (guild_id, survey_id, member_id),
        )

    async def response(
        self,
        guild_id: int,
        survey_id: int,
        *,
        member_id: int | None = None,
        member_hash: str | None = None,
    ) -> Response | None:
        where, params = await self._response_where(guild_id, survey_id, member_id, member_hash)
        row = await self._db.fetchone(
            f"SELECT id, member_id, submitted, submitted_at FROM survey_responses WHERE {where}",
            params,
        )
        if row is None:
            return None
        response = Response(
            row["id"], row["member_id"], bool(row["submitted"]), maybe_from_db(row["submitted_at"])
        )
        for answer in await self._db.fetchall(
            "SELECT position, value FROM survey_answers WHERE guild_id = ? AND response_id = ?",
            (guild_id, response.id),
        ):
            response.answers[answer["position"]] = _decode(answer["value"])
        return response

    async def save_answer(
        self,
        guild_id: int,
        survey_id: int,
        position: int,
        value: Any,
        *,
        member_id: int | None,
        member_hash: str | None,
        now: datetime | None,
    ) -> bool:
        """Write one answer (creating the response); False if the survey is not open."""
        stamp = maybe_to_db(now)
        async with self._db.transaction():
            status = await self._db.fetchval(
                "SELECT status FROM surveys WHERE guild_id = ? AND id = ?", (guild_id, survey_id)
            )
            if status != "open":
                return False
            where, params = await self._response_where(guild_id, survey_id, member_id, member_hash)
            response_id = await self._db.fetchval(
                f"SELECT id FROM survey_responses WHERE {where}", params
            )
            if response_id is None:
                response_id = await self._db.execute(
                    "INSERT INTO survey_responses (guild_id, survey_id, member_id, member_hash, "
                    "updated_at) VALUES (?, ?, ?, ?, ?)",
                    (guild_id, survey_id, member_id, member_hash, stamp),
                )
            else:
                await self._db.execute(
                    "UPDATE survey_responses SET updated_at = ? WHERE id = ?", (stamp, response_id)
                )
            await self._db.execute(
                "INSERT INTO survey_answers (guild_id, response_id, position, value) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(response_id, position) "
                "DO UPDATE SET value = excluded.value",
                (guild_id, response_id, position, json.dumps(value)),
            )
        return True

    async def submit(
        self,
        guild_id: int,
        survey_id: int,
        *,
        member_id: int | None,
        member_hash: str | None,
        now: datetime | None,
    ) -> bool:
        where, params = await self._response_where(guild_id, survey_id, member_id, member_hash)
        async with self._db.transaction():
            status = await self._db.fetchval(
                "SELECT status FROM surveys WHERE guild_id = ? AND id = ?", (guild_id, survey_id)
            )
            if status != "open":
                return False
            changed = await self._db.execute(
                f"UPDATE survey_responses SET submitted = 1, "
                f"submitted_at = coalesce(submitted_at, ?) WHERE {where}",
                (maybe_to_db(now), *params),
            )
        return changed == 1

    async def submitted(self, guild_id: int, survey_id: int) -> list[Response]:
        """Every submitted response with its answers, in the order they were first saved."""
        rows = await self._db.fetchall(
            "SELECT id, member_id, submitted, submitted_at FROM survey_responses "
            "WHERE guild_id = ? AND survey_id = ? AND submitted = 1 ORDER BY id",
            (guild_id, survey_id),
        )
        answers = await self._db.fetchall(
            "SELECT a.response_id, a.position, a.value FROM survey_answers a "
            "JOIN survey_responses r ON r.id = a.response_id "
            "WHERE r.guild_id = ? AND r.survey_id = ? AND r.submitted = 1",
            (guild_id, survey_id),
        )
        # Tens of thousands of responses take a second to decode: off the event loop, so
        # every other guild's commands are still answered meanwhile.
        return await asyncio.to_thread(_assemble, rows, answers)

    async def submitted_count(self, guild_id: int, survey_id: int) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM survey_responses WHERE guild_id = ? AND survey_id = ? "
                "AND submitted = 1",
                (guild_id, survey_id),
            )
        )

    async def respondent_ids(self, guild_id: int, survey_id: int) -> set[int]:
        rows = await self._db.fetchall(
            "SELECT member_id FROM survey_responses WHERE guild_id = ? AND survey_id = ? "
            "AND submitted = 1 AND member_id IS NOT NULL",
            (guild_id, survey_id),
        )
        return {r[0] for r in rows}

    # ------------------------------------------------------------------ reminders

    async def reminded_ids(self, guild_id: int, survey_id: int) -> set[int]:
        rows = await self._db.fetchall(
            "SELECT member_id FROM survey_reminders WHERE guild_id = ? AND survey_id = ?",
            (guild_id, survey_id),
        )
        return {r[0] for r in rows}

    async def claim_reminders(
        self, guild_id: int, survey_id: int, member_ids: list[int], now: datetime
    ) -> list[int]:
        """Record a reminder for each member not reminded before; returns those claimed."""
        claimed: list[int] = []
        async with self._db.transaction():
            for member_id in member_ids:
                changed = await self._db.execute(
                    "INSERT OR IGNORE INTO survey_reminders (guild_id, survey_id, member_id, "
                    "sent_at) VALUES (?, ?, ?, ?)",
                    (guild_id, survey_id, member_id, to_db(now)),
                )
                if changed:
                    claimed.append(member_id)
        return claimed

    # ------------------------------------------------------------------ polls

    async def save_poll_counts(
        self, guild_id: int, survey_id: int, counts: list[int], closed_at: datetime
    ) -> bool:
        """Store a poll's final counts and close it; False if it was already closed."""
        async with self._db.transaction():
            changed = await self._db.execute(
                "UPDATE surveys SET status = 'closed', closed_at = ?, card_closed = 1 "
                "WHERE guild_id = ? AND id = ? AND status = 'open'",
                (to_db(closed_at), guild_id, survey_id),
            )
            if changed != 1:
                return False
            await self._db.executemany(
                "INSERT INTO survey_poll_counts (guild_id, survey_id, position, votes) "
                "VALUES (?, ?, ?, ?)",
                [(guild_id, survey_id, i, n) for i, n in enumerate(counts, start=1)],
            )
        return True

    async def poll_counts(self, guild_id: int, survey_id: int) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT votes FROM survey_poll_counts WHERE guild_id = ? AND survey_id = ? "
            "ORDER BY position",
            (guild_id, survey_id),
        )
        return [r[0] for r in rows]

    # ------------------------------------------------------------------ digest

    async def closed_between(self, guild_id: int, start: datetime, end: datetime) -> list[Survey]:
        rows = await self._db.fetchall(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE guild_id = ? AND status = 'closed' "
            "AND closed_at >= ? AND closed_at < ? ORDER BY closed_at, id",
            (guild_id, to_db(start), to_db(end)),
        )
        return [_survey(r) for r in rows]

    async def open_in(self, guild_id: int) -> list[Survey]:
        rows = await self._db.fetchall(
            f"SELECT {_SURVEY_COLUMNS} FROM surveys WHERE guild_id = ? AND status = 'open' "
            "ORDER BY closes_at, id",
            (guild_id,),
        )
        return [_survey(r) for r in rows]
