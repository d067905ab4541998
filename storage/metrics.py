"""Metrics' reads: join cohorts, first steps, answers and shipped items, as ids and times.

The milestones table (0014) holds when each member joined and first wrote; the
rest is read from what other features already store (office-hours questions,
feedback items and votes, the per-day activity rows), so no figure needs text.
Every query is bounded by the join dates or the window asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from storage.database import Database
from storage.timeutil import maybe_from_db, to_db


@dataclass(frozen=True)
class Joiner:
    user_id: int
    joined_at: datetime
    first_message_at: datetime | None
    first_ask_at: datetime | None  # the first office-hours question or feedback item
    first_answer_at: datetime | None  # a host took up one of their questions and answered it
    active_second_week: bool  # any activity on days 7-13 after the join day


@dataclass(frozen=True)
class RetentionCell:
    cohort: date  # the Monday of the join week (UTC)
    week: int  # 1..8: weeks after the join week
    active: int


@dataclass(frozen=True)
class AnsweredQuestion:
    asked_at: datetime
    answered_at: datetime | None  # None: not answered (yet)


@dataclass(frozen=True)
class ShippedItem:
    item_id: int
    captured_at: datetime
    shipped_at: datetime
    tags: tuple[str, ...]
    people: int  # reporters and voters, each once
    told: int = 0  # of them, those a "shipped" DM reached


@dataclass(frozen=True)
class MonthTotals:
    active: int  # members with any activity row in the span
    messages: int
    returning: int  # of them, those also active in the span before
    left: int


@dataclass(frozen=True)
class Newcomer:
    user_id: int
    joined_at: datetime
    first_message_at: datetime | None


@dataclass(frozen=True)
class LevelSettings:
    weights: dict[str, float] | None
    thresholds: list[float] | None


# The Monday of a stored time's UTC week, as SQLite date text.
_WEEK_OF = "date({0}, '-6 days', 'weekday 1')"
_FIRST_ASK = (
    "(SELECT MIN(t) FROM ("
    "SELECT MIN(q.asked_at) AS t FROM oh_questions q "
    "WHERE q.guild_id = m.guild_id AND q.user_id = m.user_id "
    "UNION ALL SELECT MIN(i.created_at) FROM feedback_reporters r "
    "JOIN feedback_items i ON i.id = r.item_id "
    "WHERE r.guild_id = m.guild_id AND r.user_id = m.user_id))"
)
# Answered at: when the host took the question up (it then ended answered), or the
# first reply by someone else to one of their help-channel posts.
_FIRST_ANSWER = (
    "(SELECT MIN(t) FROM ("
    "SELECT MIN(COALESCE(q.taken_at, q.finished_at)) AS t FROM oh_questions q "
    "WHERE q.guild_id = m.guild_id AND q.user_id = m.user_id AND q.outcome = 'answered' "
    "UNION ALL SELECT MIN(h.answered_at) FROM help_posts h "
    "WHERE h.guild_id = m.guild_id AND h.author_id = m.user_id))"
)
_SECOND_WEEK = (
    "EXISTS (SELECT 1 FROM activity_member_day a WHERE a.guild_id = m.guild_id "
    "AND a.user_id = m.user_id "
    "AND a.day BETWEEN date(m.joined_at, '+7 days') AND date(m.joined_at, '+13 days'))"
)


class MetricsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def joiners(self, guild_id: int, start: datetime, end: datetime) -> list[Joiner]:
        """Members whose first join Hallway saw is in [start, end), with their first steps."""
        rows = await self._db.fetchall(
            f"SELECT m.user_id, m.joined_at, m.first_message_at, {_FIRST_ASK}, "
            f"{_FIRST_ANSWER}, {_SECOND_WEEK} FROM member_milestones m "
            "WHERE m.guild_id = ? AND m.joined_at >= ? AND m.joined_at < ? "
            "ORDER BY m.joined_at, m.user_id",
            (guild_id, to_db(start), to_db(end)),
        )
        return [
            Joiner(
                int(r[0]),
                maybe_from_db(r[1]),  # type: ignore[arg-type]
                maybe_from_db(r[2]),
                maybe_from_db(r[3]),
                maybe_from_db(r[4]),
                bool(r[5]),
            )
            for r in rows
        ]

    async def cohort_sizes(self, guild_id: int, start: datetime, end: datetime) -> dict[date, int]:
        week = _WEEK_OF.format("joined_at")
        rows = await self._db.fetchall(
            f"SELECT {week}, COUNT(*) FROM member_milestones "
            "WHERE guild_id = ? AND joined_at >= ? AND joined_at < ? GROUP BY 1",
            (guild_id, to_db(start), to_db(end)),
        )
        return {date.fromisoformat(r[0]): int(r[1]) for r in rows}

    async def retention(
        self, guild_id: int, start: datetime, end: datetime, weeks_after: int
    ) -> list[RetentionCell]:
        """Per join week in [start, end) and week after it (1..weeks_after), how many of
        that week's joiners were active (any activity row) in it."""
        week = _WEEK_OF.format("m.joined_at")
        rows = await self._db.fetchall(
            "SELECT c.cohort, CAST((julianday(a.day) - julianday(c.cohort)) / 7 AS INTEGER) "
            "AS k, COUNT(DISTINCT c.user_id) FROM "
            f"(SELECT m.guild_id, m.user_id, {week} AS cohort FROM member_milestones m "
            "WHERE m.guild_id = ? AND m.joined_at >= ? AND m.joined_at < ?) c "
            "JOIN activity_member_day a ON a.guild_id = c.guild_id AND a.user_id = c.user_id "
            "AND a.day BETWEEN date(c.cohort, '+7 days') AND date(c.cohort, ?) "
            "GROUP BY c.cohort, k",
            (guild_id, to_db(start), to_db(end), f"+{7 * weeks_after + 6} days"),
        )
        return [RetentionCell(date.fromisoformat(r[0]), int(r[1]), int(r[2])) for r in rows]

    async def questions(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[AnsweredQuestion]:
        """Office-hours questions first asked in [start, end) (a question carried to the
        next session is the same question), with when a host took one up and answered it.

        A carried copy is asked no earlier than its root, so every copy of a root asked in
        the window is in one range read of the (guild_id, asked_at) index; the chains are
        followed here (oh_questions has no index on carried_from)."""
        rows = await self._db.fetchall(
            "SELECT id, carried_from, asked_at, CASE WHEN outcome = 'answered' "
            "THEN COALESCE(taken_at, finished_at) END FROM oh_questions "
            "WHERE guild_id = ? AND asked_at >= ?",
            (guild_id, to_db(start)),
        )
        parent = {int(r[0]): r[1] for r in rows}
        end_text = to_db(end)
        roots: dict[int, list] = {
            int(r[0]): [r[2], None] for r in rows if r[1] is None and r[2] < end_text
        }
        for r in rows:
            if r[3] is None:
                continue
            node: int | None = int(r[0])
            while node is not None and node not in roots:
                up = parent.get(node)
                node = int(up) if up is not None and int(up) in parent else None
            if node is not None and (roots[node][1] is None or r[3] < roots[node][1]):
                roots[node][1] = r[3]
        ordered = sorted(roots.items(), key=lambda kv: (kv[1][0], kv[0]))
        return [AnsweredQuestion(maybe_from_db(a), maybe_from_db(t)) for _, (a, t) in ordered]  # type: ignore[arg-type]

    async def help_posts(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[AnsweredQuestion]:
        """Help-channel posts made in [start, end), with their first reply by someone else."""
        rows = await self._db.fetchall(
            "SELECT posted_at, answered_at FROM help_posts "
            "WHERE guild_id = ? AND posted_at >= ? AND posted_at < ? ORDER BY posted_at",
            (guild_id, to_db(start), to_db(end)),
        )
        return [AnsweredQuestion(maybe_from_db(r[0]), maybe_from_db(r[1])) for r in rows]  # type: ignore[arg-type]

    async def shipped(self, guild_id: int, start: datetime, end: datetime) -> list[ShippedItem]:
        """Items whose first move to shipped is in [start, end), with their tags and people."""
        rows = await self._db.fetchall(
            "SELECT i.id, i.created_at, h.shipped_at, "
            "(SELECT group_concat(t.tag, char(31)) FROM feedback_tags t WHERE t.item_id = i.id), "
            "(SELECT COUNT(*) FROM (SELECT user_id FROM feedback_reporters "
            "WHERE item_id = i.id UNION SELECT user_id FROM feedback_votes "
            "WHERE item_id = i.id)), "
            "(SELECT COUNT(*) FROM feedback_told f WHERE f.item_id = i.id AND f.user_id IN "
            "(SELECT user_id FROM feedback_reporters WHERE item_id = i.id UNION "
            "SELECT user_id FROM feedback_votes WHERE item_id = i.id)) "
            # Moves to shipped in the window, less items that had shipped before it: the
            # read is bounded by the window, however long the history.
            "FROM (SELECT item_id, MIN(created_at) AS shipped_at FROM feedback_history "
            "WHERE guild_id = ? AND status = 'shipped' AND created_at >= ? AND created_at < ? "
            "GROUP BY item_id) h "
            "JOIN feedback_items i ON i.id = h.item_id AND i.guild_id = ? "
            "WHERE NOT EXISTS (SELECT 1 FROM feedback_history e WHERE e.item_id = h.item_id "
            "AND e.status = 'shipped' AND e.created_at < ?) ORDER BY h.shipped_at, i.id",
            (guild_id, to_db(start), to_db(end), guild_id, to_db(start)),
        )
        return [
            ShippedItem(
                int(r[0]),
                maybe_from_db(r[1]),  # type: ignore[arg-type]
                maybe_from_db(r[2]),  # type: ignore[arg-type]
                tuple(sorted(r[3].split("\x1f"))) if r[3] else (),
                int(r[4]),
                int(r[5]),
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ levels

    async def level_settings(self, guild_id: int) -> LevelSettings:
        row = await self._db.fetchone(
            "SELECT weights, thresholds FROM metrics_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return LevelSettings(None, None)
        return LevelSettings(
            json.loads(row[0]) if row[0] else None, json.loads(row[1]) if row[1] else None
        )

    async def set_level_settings(
        self, guild_id: int, settings: LevelSettings, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO metrics_settings (guild_id, weights, thresholds, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
            "weights = excluded.weights, thresholds = excluded.thresholds, "
            "updated_at = excluded.updated_at",
            (
                guild_id,
                json.dumps(settings.weights) if settings.weights is not None else None,
                json.dumps(settings.thresholds) if settings.thresholds is not None else None,
                to_db(now),
            ),
        )

    async def activity_by_kind(
        self, guild_id: int, start: datetime, end: datetime
    ) -> dict[int, dict[str, int]]:
        """What each member did in [start, end), by level kind: ids and counts only.

        Messages come from the per-day counters: the UTC days after start's, up to and
        including end's (so today counts, and 90 days is 90 day rows); the other kinds from the
        features' own rows: a question asked (a carried-over one is the same question),
        a feedback item reported, a vote, an office-hours answer given (the host of an
        answered question), and a session hosted that ended.
        """
        s, e = to_db(start), to_db(end)
        rows = await self._db.fetchall(
            "SELECT user_id, 'message', SUM(messages) FROM activity_member_day "
            "WHERE guild_id = ? AND day > ? AND day <= ? GROUP BY user_id "
            "UNION ALL SELECT user_id, 'question', COUNT(*) FROM oh_questions "
            "WHERE guild_id = ? AND carried_from IS NULL AND asked_at >= ? AND asked_at < ? "
            "GROUP BY user_id "
            "UNION ALL SELECT reporter_id, 'feedback', COUNT(*) FROM feedback_items "
            "WHERE guild_id = ? AND created_at >= ? AND created_at < ? GROUP BY reporter_id "
            "UNION ALL SELECT user_id, 'vote', COUNT(*) FROM feedback_votes "
            "WHERE guild_id = ? AND created_at >= ? AND created_at < ? GROUP BY user_id "
            "UNION ALL SELECT host_id, 'answer', COUNT(*) FROM oh_questions "
            "WHERE guild_id = ? AND outcome = 'answered' AND host_id IS NOT NULL "
            "AND taken_at >= ? AND taken_at < ? GROUP BY host_id "
            "UNION ALL SELECT host_id, 'hosting', COUNT(*) FROM oh_sessions "
            "WHERE guild_id = ? AND status = 'ended' AND started_at >= ? AND started_at < ? "
            "GROUP BY host_id",
            (
                guild_id,
                start.date().isoformat(),
                end.date().isoformat(),
                *(guild_id, s, e) * 5,
            ),
        )
        counts: dict[int, dict[str, int]] = {}
        for user_id, kind, n in rows:
            if n:
                counts.setdefault(int(user_id), {})[kind] = int(n)
        return counts

    # ------------------------------------------------------------------ monthly report

    async def first_day(self, guild_id: int) -> date | None:
        """The first UTC day Hallway holds anything for the guild: an activity row or a join."""
        row = await self._db.fetchone(
            "SELECT (SELECT MIN(day) FROM activity_member_day WHERE guild_id = ?), "
            "(SELECT MIN(day) FROM activity_guild_day WHERE guild_id = ?), "
            "(SELECT MIN(joined_at) FROM member_milestones "
            "WHERE guild_id = ? AND joined_at IS NOT NULL)",
            (guild_id, guild_id, guild_id),
        )
        found = [] if row is None else [date.fromisoformat(str(v)[:10]) for v in row if v]
        return min(found) if found else None

    async def month_totals(
        self, guild_id: int, first: date, last: date, prev_first: date, prev_last: date
    ) -> MonthTotals:
        """Over the UTC days first..last: members active, messages, members who left, and
        the active members who were also active in prev_first..prev_last."""
        lo, hi = first.isoformat(), last.isoformat()
        row = await self._db.fetchone(
            "SELECT (SELECT COUNT(DISTINCT user_id) FROM activity_member_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ?), "
            "(SELECT COALESCE(SUM(messages), 0) FROM activity_channel_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ?), "
            "(SELECT COALESCE(SUM(leaves), 0) FROM activity_guild_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ?), "
            "(SELECT COUNT(*) FROM (SELECT user_id FROM activity_member_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ? INTERSECT SELECT user_id "
            "FROM activity_member_day WHERE guild_id = ? AND day BETWEEN ? AND ?))",
            (
                *(guild_id, lo, hi) * 4,
                guild_id,
                prev_first.isoformat(),
                prev_last.isoformat(),
            ),
        )
        assert row is not None
        return MonthTotals(int(row[0]), int(row[1]), int(row[3]), int(row[2]))

    async def newcomers(self, guild_id: int, start: datetime, end: datetime) -> list[Newcomer]:
        """Members whose first join Hallway saw is in [start, end)."""
        rows = await self._db.fetchall(
            "SELECT user_id, joined_at, first_message_at FROM member_milestones "
            "WHERE guild_id = ? AND joined_at >= ? AND joined_at < ? ORDER BY joined_at, user_id",
            (guild_id, to_db(start), to_db(end)),
        )
        return [
            Newcomer(int(r[0]), maybe_from_db(r[1]), maybe_from_db(r[2]))  # type: ignore[arg-type]
            for r in rows
        ]

    async def answers_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, datetime]]:
        """(member, when) for every answer a member got in [start, end) to something they
        asked in it: an office-hours question a host took up and marked answered, or the
        first reply by someone else to a help-channel post. Ids and times only."""
        s, e = to_db(start), to_db(end)
        rows = await self._db.fetchall(
            "SELECT user_id, COALESCE(taken_at, finished_at) AS t FROM oh_questions "
            "WHERE guild_id = ? AND asked_at >= ? AND asked_at < ? AND outcome = 'answered' "
            "AND COALESCE(taken_at, finished_at) < ? "
            "UNION ALL SELECT author_id, answered_at FROM help_posts "
            "WHERE guild_id = ? AND posted_at >= ? AND posted_at < ? "
            "AND answered_at IS NOT NULL AND answered_at < ?",
            (guild_id, s, e, e, guild_id, s, e, e),
        )
        return [(int(r[0]), maybe_from_db(r[1])) for r in rows if r[1]]  # type: ignore[misc]

    async def captured(self, guild_id: int, start: datetime, end: datetime) -> int:
        """Feedback items captured in [start, end)."""
        return int(
            await self._db.fetchval(
                "SELECT COUNT(*) FROM feedback_items "
                "WHERE guild_id = ? AND created_at >= ? AND created_at < ?",
                (guild_id, to_db(start), to_db(end)),
            )
        )

    async def announcement_reach(
        self, guild_id: int, start: datetime, end: datetime
    ) -> tuple[int, int]:
        """Announcement posts sent in [start, end), and the reactions recorded on them."""
        row = await self._db.fetchone(
            "SELECT COUNT(*), COALESCE(SUM(reactions), 0) FROM announcement_deliveries "
            "WHERE guild_id = ? AND status = 'sent' AND sent_at >= ? AND sent_at < ?",
            (guild_id, to_db(start), to_db(end)),
        )
        assert row is not None
        return int(row[0]), int(row[1])
