"""The hallway track's tables: settings, members, "never" lists, rounds, groups, answers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.database import Database
from storage.timeutil import from_db, maybe_from_db, maybe_to_db, to_db


@dataclass(frozen=True)
class HallwayConfig:
    guild_id: int
    channel_id: int
    cadence: str
    weekday: int
    post_time: str
    timezone: str
    group_size: int
    followup_days: int
    anchor: datetime
    next_run_at: datetime | None


@dataclass(frozen=True)
class HallwayMember:
    guild_id: int
    user_id: int
    interests: tuple[str, ...]
    intro: str
    free_hours: str
    active: bool
    paused_until: datetime | None
    server_joined_at: datetime | None
    last_sat_out_round: int | None
    joined_at: datetime


@dataclass(frozen=True)
class Round:
    id: int
    guild_id: int
    number: int
    scheduled_for: datetime
    status: str
    pool_size: int


@dataclass(frozen=True)
class Group:
    id: int
    guild_id: int
    round_id: int
    round_number: int
    status: str
    members: tuple[int, ...]
    reasons: tuple[str, ...]
    suggested: tuple[datetime, ...]
    thread_id: int | None
    creating_at: datetime | None
    followup_at: datetime | None
    followup_claimed_at: datetime | None
    followup_message_id: int | None


@dataclass(frozen=True)
class NewGroup:
    members: tuple[int, ...]
    reasons: tuple[str, ...]
    suggested: tuple[datetime, ...]


@dataclass(frozen=True)
class Sitout:
    round_id: int
    guild_id: int
    user_id: int
    reason: str


@dataclass(frozen=True)
class PastGroup:
    round_number: int
    group_id: int
    members: tuple[int, ...]  # 0 for a forgotten member
    met: bool
    answered: bool


_CONFIG = (
    "guild_id, channel_id, cadence, weekday, post_time, timezone, group_size, followup_days, "
    "anchor, next_run_at"
)
_MEMBER = (
    "guild_id, user_id, interests, intro, free_hours, active, paused_until, server_joined_at, "
    "last_sat_out_round, joined_at"
)
_GROUP = (
    "g.id, g.guild_id, g.round_id, r.number, g.status, g.reasons, g.suggested, g.thread_id, "
    "g.creating_at, g.followup_at, g.followup_claimed_at, g.followup_message_id"
)


def _config(row: Any) -> HallwayConfig:
    values = tuple(row)
    return HallwayConfig(
        *values[:8], anchor=from_db(values[8]), next_run_at=maybe_from_db(values[9])
    )


def _member(row: Any) -> HallwayMember:
    return HallwayMember(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        interests=tuple(json.loads(row["interests"])),
        intro=row["intro"],
        free_hours=row["free_hours"],
        active=bool(row["active"]),
        paused_until=maybe_from_db(row["paused_until"]),
        server_joined_at=maybe_from_db(row["server_joined_at"]),
        last_sat_out_round=row["last_sat_out_round"],
        joined_at=from_db(row["joined_at"]),
    )


def _round(row: Any) -> Round:
    return Round(
        row["id"],
        row["guild_id"],
        row["number"],
        from_db(row["scheduled_for"]),
        row["status"],
        row["pool_size"],
    )


class HallwayRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ settings

    async def get_config(self, guild_id: int) -> HallwayConfig | None:
        row = await self._db.fetchone(
            f"SELECT {_CONFIG} FROM hallway_config WHERE guild_id = ?", (guild_id,)
        )
        return None if row is None else _config(row)

    async def save_config(self, config: HallwayConfig, now: datetime) -> None:
        await self._db.execute(
            f"INSERT INTO hallway_config ({_CONFIG}, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
            "channel_id = excluded.channel_id, cadence = excluded.cadence, "
            "weekday = excluded.weekday, post_time = excluded.post_time, "
            "timezone = excluded.timezone, group_size = excluded.group_size, "
            "followup_days = excluded.followup_days, anchor = excluded.anchor, "
            "next_run_at = excluded.next_run_at, updated_at = excluded.updated_at",
            (
                config.guild_id,
                config.channel_id,
                config.cadence,
                config.weekday,
                config.post_time,
                config.timezone,
                config.group_size,
                config.followup_days,
                to_db(config.anchor),
                maybe_to_db(config.next_run_at),
                to_db(now),
            ),
        )

    async def set_next_run(self, guild_id: int, at: datetime | None, now: datetime) -> None:
        await self._db.execute(
            "UPDATE hallway_config SET next_run_at = ?, updated_at = ? WHERE guild_id = ?",
            (maybe_to_db(at), to_db(now), guild_id),
        )

    async def scheduled(self) -> list[HallwayConfig]:
        rows = await self._db.fetchall(
            f"SELECT {_CONFIG} FROM hallway_config WHERE next_run_at IS NOT NULL ORDER BY guild_id"
        )
        return [_config(r) for r in rows]

    # ------------------------------------------------------------------ members

    async def get_member(self, guild_id: int, user_id: int) -> HallwayMember | None:
        row = await self._db.fetchone(
            f"SELECT {_MEMBER} FROM hallway_members WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else _member(row)

    async def save_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        interests: Sequence[str],
        intro: str,
        free_hours: str,
        server_joined_at: datetime | None,
        now: datetime,
    ) -> None:
        """Join, or edit the answers of a member who joined (and re-join after leaving)."""
        await self._db.execute(
            "INSERT INTO hallway_members (guild_id, user_id, interests, intro, free_hours, "
            "active, server_joined_at, joined_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) "
            "ON CONFLICT(guild_id, user_id) DO UPDATE SET interests = excluded.interests, "
            "intro = excluded.intro, free_hours = excluded.free_hours, active = 1, "
            "server_joined_at = coalesce(excluded.server_joined_at, server_joined_at), "
            "updated_at = excluded.updated_at",
            (
                guild_id,
                user_id,
                json.dumps(list(interests)),
                intro,
                free_hours,
                maybe_to_db(server_joined_at),
                to_db(now),
                to_db(now),
            ),
        )

    async def set_active(self, guild_id: int, user_id: int, active: bool, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE hallway_members SET active = ?, paused_until = NULL, updated_at = ? "
            "WHERE guild_id = ? AND user_id = ?",
            (int(active), to_db(now), guild_id, user_id),
        )
        return changed > 0

    async def set_paused(
        self, guild_id: int, user_id: int, until: datetime | None, now: datetime
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE hallway_members SET paused_until = ?, updated_at = ? "
            "WHERE guild_id = ? AND user_id = ? AND active = 1",
            (maybe_to_db(until), to_db(now), guild_id, user_id),
        )
        return changed > 0

    async def active_members(self, guild_id: int) -> list[HallwayMember]:
        rows = await self._db.fetchall(
            f"SELECT {_MEMBER} FROM hallway_members WHERE guild_id = ? AND active = 1 "
            "ORDER BY user_id",
            (guild_id,),
        )
        return [_member(r) for r in rows]

    async def set_server_joined(self, guild_id: int, joined: dict[int, datetime]) -> None:
        await self._db.executemany(
            "UPDATE hallway_members SET server_joined_at = ? WHERE guild_id = ? AND user_id = ?",
            [(to_db(at), guild_id, uid) for uid, at in joined.items()],
        )

    # ------------------------------------------------------------------ never

    async def add_never(self, guild_id: int, user_id: int, other: int, now: datetime) -> bool:
        added = await self._db.execute(
            "INSERT OR IGNORE INTO hallway_never (guild_id, user_id, other_user_id, created_at) "
            "VALUES (?, ?, ?, ?)",
            (guild_id, user_id, other, to_db(now)),
        )
        return added > 0

    async def remove_never(self, guild_id: int, user_id: int, other: int) -> bool:
        removed = await self._db.execute(
            "DELETE FROM hallway_never WHERE guild_id = ? AND user_id = ? AND other_user_id = ?",
            (guild_id, user_id, other),
        )
        return removed > 0

    async def never_pairs(self, guild_id: int) -> list[tuple[int, int]]:
        rows = await self._db.fetchall(
            "SELECT user_id, other_user_id FROM hallway_never WHERE guild_id = ?", (guild_id,)
        )
        return [(r[0], r[1]) for r in rows]

    async def never_count(self, guild_id: int, user_id: int) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM hallway_never WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
        )

    # ------------------------------------------------------------------ history

    async def history(self, guild_id: int) -> list[tuple[int, int, int]]:
        """(a, b, round number) for every two members grouped together (a < b, ids != 0)."""
        rows = await self._db.fetchall(
            "SELECT a.user_id, b.user_id, max(r.number) FROM hallway_group_members a "
            "JOIN hallway_group_members b ON b.group_id = a.group_id AND a.user_id < b.user_id "
            "JOIN hallway_groups g ON g.id = a.group_id "
            "JOIN hallway_rounds r ON r.id = g.round_id "
            "WHERE a.guild_id = ? AND a.user_id != 0 GROUP BY a.user_id, b.user_id",
            (guild_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def last_round_number(self, guild_id: int) -> int:
        value = await self._db.fetchval(
            "SELECT max(number) FROM hallway_rounds WHERE guild_id = ?", (guild_id,)
        )
        return int(value or 0)

    async def past_groups(self, guild_id: int, user_id: int | None = None) -> list[PastGroup]:
        """Every group (or a member's), newest first, with whether anyone said they met."""
        where = "g.guild_id = ?"
        params: list[Any] = [guild_id]
        if user_id is not None:
            where += (
                " AND g.id IN (SELECT group_id FROM hallway_group_members "
                "WHERE guild_id = ? AND user_id = ?)"
            )
            params += [guild_id, user_id]
        rows = await self._db.fetchall(
            "SELECT r.number, g.id, group_concat(m.user_id), max(m.answer = 'yes'), "
            "max(m.answer IS NOT NULL) FROM hallway_groups g "
            "JOIN hallway_rounds r ON r.id = g.round_id "
            "JOIN hallway_group_members m ON m.group_id = g.id "
            f"WHERE {where} GROUP BY g.id ORDER BY r.number DESC, g.id",
            params,
        )
        return [
            PastGroup(
                r[0],
                r[1],
                tuple(sorted(int(x) for x in str(r[2]).split(","))),
                bool(r[3]),
                bool(r[4]),
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ rounds

    async def round_for(self, guild_id: int, scheduled_for: datetime) -> Round | None:
        row = await self._db.fetchone(
            "SELECT * FROM hallway_rounds WHERE guild_id = ? AND scheduled_for = ?",
            (guild_id, to_db(scheduled_for)),
        )
        return None if row is None else _round(row)

    async def claim_round(
        self,
        guild_id: int,
        number: int,
        scheduled_for: datetime,
        pool_size: int,
        groups: Sequence[NewGroup],
        sitouts: Sequence[tuple[int, str, bool]],
        now: datetime,
    ) -> Round | None:
        """Write the round with every group and sit-out at once; None if it already exists.

        sitouts: (user, reason, in turn?) — "in turn" records the round so they go first
        next time.
        """
        async with self._db.transaction():
            if await self.round_for(guild_id, scheduled_for) is not None:
                return None
            if await self.last_round_number(guild_id) >= number:
                return None
            round_id = await self._db.execute(
                "INSERT INTO hallway_rounds (guild_id, number, scheduled_for, status, pool_size, "
                "claimed_at) VALUES (?, ?, ?, 'running', ?, ?)",
                (guild_id, number, to_db(scheduled_for), pool_size, to_db(now)),
            )
            for group in groups:
                group_id = await self._db.execute(
                    "INSERT INTO hallway_groups (guild_id, round_id, reasons, suggested) "
                    "VALUES (?, ?, ?, ?)",
                    (
                        guild_id,
                        round_id,
                        json.dumps(list(group.reasons)),
                        json.dumps([to_db(t) for t in group.suggested]),
                    ),
                )
                await self._db.executemany(
                    "INSERT INTO hallway_group_members (group_id, guild_id, user_id) "
                    "VALUES (?, ?, ?)",
                    [(group_id, guild_id, uid) for uid in group.members],
                )
                # Rounds are written in order, so the first group a pair is in is kept.
                await self._db.executemany(
                    "INSERT OR IGNORE INTO hallway_pairs (guild_id, user_id, other_user_id, "
                    "first_group_id) VALUES (?, ?, ?, ?)",
                    [
                        (guild_id, a, b, group_id)
                        for a in group.members
                        for b in group.members
                        if 0 < a < b
                    ],
                )
            for user_id, reason, in_turn in sitouts:
                await self._db.execute(
                    "INSERT INTO hallway_sitouts (round_id, guild_id, user_id, reason) "
                    "VALUES (?, ?, ?, ?)",
                    (round_id, guild_id, user_id, reason),
                )
                if in_turn:
                    await self._db.execute(
                        "UPDATE hallway_members SET last_sat_out_round = ? "
                        "WHERE guild_id = ? AND user_id = ?",
                        (number, guild_id, user_id),
                    )
        row = await self._db.fetchone("SELECT * FROM hallway_rounds WHERE id = ?", (round_id,))
        return _round(row)

    async def running_rounds(self) -> list[Round]:
        rows = await self._db.fetchall(
            "SELECT * FROM hallway_rounds WHERE status = 'running' ORDER BY id"
        )
        return [_round(r) for r in rows]

    async def get_round(self, round_id: int) -> Round | None:
        row = await self._db.fetchone("SELECT * FROM hallway_rounds WHERE id = ?", (round_id,))
        return None if row is None else _round(row)

    async def finish_round(self, round_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE hallway_rounds SET status = 'done', finished_at = ? WHERE id = ? AND NOT "
            "EXISTS (SELECT 1 FROM hallway_groups WHERE round_id = ? "
            "AND status IN ('pending', 'creating'))",
            (to_db(now), round_id, round_id),
        )

    async def round_stats(self, guild_id: int) -> tuple[int, int]:
        row = await self._db.fetchone(
            "SELECT (SELECT count(*) FROM hallway_rounds WHERE guild_id = ?), "
            "(SELECT count(*) FROM hallway_groups WHERE guild_id = ?)",
            (guild_id, guild_id),
        )
        assert row is not None
        return int(row[0]), int(row[1])

    # ------------------------------------------------------------------ groups

    async def _groups(self, where: str, params: Sequence[Any]) -> list[Group]:
        rows = await self._db.fetchall(
            f"SELECT {_GROUP}, (SELECT group_concat(user_id) FROM (SELECT user_id FROM "
            "hallway_group_members WHERE group_id = g.id ORDER BY id)) AS members "
            "FROM hallway_groups g JOIN hallway_rounds r ON r.id = g.round_id "
            f"WHERE {where} ORDER BY g.id",
            params,
        )
        return [
            Group(
                id=r[0],
                guild_id=r[1],
                round_id=r[2],
                round_number=r[3],
                status=r[4],
                reasons=tuple(json.loads(r[5])),
                suggested=tuple(from_db(t) for t in json.loads(r[6])),
                thread_id=r[7],
                creating_at=maybe_from_db(r[8]),
                followup_at=maybe_from_db(r[9]),
                followup_claimed_at=maybe_from_db(r[10]),
                followup_message_id=r[11],
                members=tuple(int(x) for x in str(r["members"]).split(",")),
            )
            for r in rows
        ]

    async def round_groups(self, round_id: int) -> list[Group]:
        return await self._groups("g.round_id = ?", (round_id,))

    async def group(self, guild_id: int, group_id: int) -> Group | None:
        found = await self._groups("g.guild_id = ? AND g.id = ?", (guild_id, group_id))
        return found[0] if found else None

    async def mark_creating(self, group_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE hallway_groups SET status = 'creating', creating_at = ? "
            "WHERE id = ? AND status = 'pending'",
            (to_db(now), group_id),
        )

    async def set_thread(self, group_id: int, thread_id: int) -> None:
        await self._db.execute(
            "UPDATE hallway_groups SET thread_id = ? WHERE id = ?", (thread_id, group_id)
        )

    async def mark_created(
        self, group_id: int, thread_id: int, followup_at: datetime, now: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE hallway_groups SET status = 'created', thread_id = ?, delivered_at = ?, "
            "followup_at = ? WHERE id = ?",
            (thread_id, to_db(now), to_db(followup_at), group_id),
        )

    async def mark_refused(self, group_id: int, problem: str, now: datetime) -> None:
        await self._db.execute(
            "UPDATE hallway_groups SET status = 'refused', problem = ?, delivered_at = ? "
            "WHERE id = ?",
            (problem, to_db(now), group_id),
        )

    async def sitouts(self, round_id: int) -> list[Sitout]:
        rows = await self._db.fetchall(
            "SELECT round_id, guild_id, user_id, reason FROM hallway_sitouts "
            "WHERE round_id = ? AND notified_at IS NULL ORDER BY user_id",
            (round_id,),
        )
        return [Sitout(*r) for r in rows]

    async def mark_notified(self, round_id: int, user_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE hallway_sitouts SET notified_at = ? WHERE round_id = ? AND user_id = ?",
            (to_db(now), round_id, user_id),
        )

    # ------------------------------------------------------------------ follow-ups

    async def followups_waiting(self) -> list[Group]:
        return await self._groups(
            "g.status = 'created' AND g.followup_at IS NOT NULL AND g.followup_message_id IS NULL",
            (),
        )

    async def claim_followup(self, group_id: int, now: datetime) -> bool:
        """True if this call claimed the follow-up (False: claimed before, maybe sent)."""
        claimed = await self._db.execute(
            "UPDATE hallway_groups SET followup_claimed_at = ? "
            "WHERE id = ? AND followup_claimed_at IS NULL",
            (to_db(now), group_id),
        )
        return claimed > 0

    async def record_followup(self, group_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE hallway_groups SET followup_message_id = ? WHERE id = ?",
            (message_id, group_id),
        )

    async def set_answer(
        self, guild_id: int, group_id: int, user_id: int, answer: str, now: datetime
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE hallway_group_members SET answer = ?, answered_at = ? "
            "WHERE guild_id = ? AND group_id = ? AND user_id = ?",
            (answer, to_db(now), guild_id, group_id, user_id),
        )
        return changed > 0

    async def answers(self, group_id: int) -> dict[int, str | None]:
        rows = await self._db.fetchall(
            "SELECT user_id, answer FROM hallway_group_members WHERE group_id = ?", (group_id,)
        )
        return {r[0]: r[1] for r in rows}

    # ------------------------------------------------------------------ figures

    async def delivered_between(self, guild_id: int, start: datetime, end: datetime) -> list[int]:
        rows = await self._db.fetchall(self._DELIVERED, (guild_id, to_db(start), to_db(end)))
        return [r[0] for r in rows]

    _DELIVERED = (
        "SELECT id FROM hallway_groups WHERE guild_id = ? AND delivered_at >= ? "
        "AND delivered_at < ? ORDER BY id"
    )

    # Groups whose first "did you meet?" answer came in [start, end), whether someone said
    # yes, and whether that was a new connection: each of the group's pairs first grouped
    # in it (hallway_pairs, 0021), one key look-up per pair whatever the history's length.
    # A group answered first in the window has an answer in it, so the candidates are one
    # range of (guild_id, answered_at); each is checked for an earlier answer. CROSS JOIN
    # keeps a, b, p in that order, and ``+ 0`` keeps SQLite from ranging over a's pairs by
    # ``other_user_id > ?`` instead of seeking b's.
    _MET = (
        "WITH candidates AS (SELECT DISTINCT group_id FROM hallway_group_members "
        "WHERE guild_id = ? AND answered_at >= ? AND answered_at < ?), "
        "answered AS (SELECT c.group_id, max(m.answer = 'yes') AS met FROM candidates c "
        "JOIN hallway_group_members m ON m.group_id = c.group_id GROUP BY c.group_id "
        "HAVING min(m.answered_at) >= ?) "
        "SELECT w.group_id, w.met, CASE WHEN w.met = 1 THEN NOT EXISTS ("
        "  SELECT 1 FROM hallway_group_members a CROSS JOIN hallway_group_members b "
        "  CROSS JOIN hallway_pairs p "
        "  WHERE a.group_id = w.group_id AND a.user_id != 0 "
        "  AND b.group_id = w.group_id AND b.user_id > a.user_id + 0 "
        "  AND p.guild_id = ? AND p.user_id = a.user_id AND p.other_user_id = b.user_id "
        "  AND p.first_group_id != w.group_id) ELSE 0 END "
        "FROM answered w ORDER BY w.group_id"
    )

    async def answered_groups(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, bool, bool]]:
        """(group id, met?, new connection?) for each group asked "did you meet?" whose
        first answer came in the period. Met: someone said yes. New: none of the group's
        pairs was grouped together before it (an earlier round, or earlier in the same
        round). Only the period's groups are read, so the cost follows the period, not the
        years of rounds before it."""
        rows = await self._db.fetchall(
            self._MET, (guild_id, to_db(start), to_db(end), to_db(start), guild_id)
        )
        return [(r[0], bool(r[1]), bool(r[2])) for r in rows]

    async def answered_between(self, guild_id: int, start: datetime, end: datetime) -> list[int]:
        """Groups asked "did you meet?" whose first answer came in the period."""
        return [group for group, _, _ in await self.answered_groups(guild_id, start, end)]

    async def met_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, bool]]:
        """(group id, new connection?) for the period's answered groups where someone said
        they met."""
        found = await self.answered_groups(guild_id, start, end)
        return [(group, new) for group, met, new in found if met]

    async def pool_count(self, guild_id: int, now: datetime) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM hallway_members WHERE guild_id = ? AND active = 1 "
                "AND (paused_until IS NULL OR paused_until <= ?)",
                (guild_id, to_db(now)),
            )
        )

    async def groups_by_id(self, guild_id: int, ids: Sequence[int]) -> list[PastGroup]:
        if not ids:
            return []
        wanted = set(ids)
        return [g for g in await self.past_groups(guild_id) if g.group_id in wanted]

    async def member_export(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """For /me show: counts of what is stored (the full rows are in /privacy export)."""
        member = await self.get_member(guild_id, user_id)
        return {
            "member": member,
            "never": await self.never_count(guild_id, user_id),
            "groups": len(await self.past_groups(guild_id, user_id)),
        }
