"""Activity counters for community health: counts and member ids per UTC day, never text.

Days are stored as ISO dates ('YYYY-MM-DD') of the UTC day, so string order is
day order and every query below is a range scan on the (guild_id, day, ...) keys:
its cost follows the window asked for, not the history kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from storage.database import Database
from storage.timeutil import maybe_to_db

ChannelCount = tuple[int, str, int, int]  # guild_id, day, channel_id, messages
MemberCount = tuple[int, str, int, int]  # guild_id, day, user_id, messages
ActiveMember = tuple[int, str, int]  # guild_id, day, user_id: active without a message
GuildCount = tuple[int, str, int, int]  # guild_id, day, joins, leaves
# guild_id, user_id, joined at, first message at (either may be None: not this batch)
Milestone = tuple[int, int, datetime | None, datetime | None]


@dataclass(frozen=True)
class DayTotals:
    day: date
    messages: int = 0
    active_members: int = 0
    joins: int = 0
    leaves: int = 0


@dataclass(frozen=True)
class WindowTotals:
    messages: int
    active_members: int
    joins: int
    leaves: int


class ActivityRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def available(self) -> bool:
        return self._db.is_open

    async def add_counts(
        self,
        channels: Sequence[ChannelCount],
        members: Sequence[MemberCount],
        guilds: Sequence[GuildCount],
        active: Sequence[ActiveMember] = (),
        *,
        milestones: Sequence[Milestone] = (),
    ) -> None:
        """Add one batch of counters (one executemany per table, one transaction).

        ``active`` are members active that day in other ways than a message (a Hallway
        command, button or form, a reaction, joining a voice or stage channel). A row in
        activity_member_day is what makes a member active, so they get one with 0 messages
        if they have none yet; active members stay one COUNT(DISTINCT user_id).
        """
        async with self._db.transaction():
            if channels:
                await self._db.executemany(
                    "INSERT INTO activity_channel_day (guild_id, day, channel_id, messages) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(guild_id, day, channel_id) "
                    "DO UPDATE SET messages = messages + excluded.messages",
                    channels,
                )
            if members:
                await self._db.executemany(
                    "INSERT INTO activity_member_day (guild_id, day, user_id, messages) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(guild_id, day, user_id) "
                    "DO UPDATE SET messages = messages + excluded.messages",
                    members,
                )
            if active:
                await self._db.executemany(
                    "INSERT INTO activity_member_day (guild_id, day, user_id, messages) "
                    "VALUES (?, ?, ?, 0) ON CONFLICT(guild_id, day, user_id) DO NOTHING",
                    active,
                )
            if milestones:
                # Only the first of each is kept: a stored time is never moved, and a
                # member already known costs no write (the WHERE skips the update).
                await self._db.executemany(
                    "INSERT INTO member_milestones (guild_id, user_id, joined_at, "
                    "first_message_at) VALUES (?, ?, ?, ?) ON CONFLICT(guild_id, user_id) "
                    "DO UPDATE SET joined_at = COALESCE(joined_at, excluded.joined_at), "
                    "first_message_at = COALESCE(first_message_at, excluded.first_message_at) "
                    "WHERE (joined_at IS NULL AND excluded.joined_at IS NOT NULL) "
                    "OR (first_message_at IS NULL AND excluded.first_message_at IS NOT NULL)",
                    [(g, u, maybe_to_db(j), maybe_to_db(f)) for g, u, j, f in milestones],
                )
            if guilds:
                await self._db.executemany(
                    "INSERT INTO activity_guild_day (guild_id, day, joins, leaves) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(guild_id, day) "
                    "DO UPDATE SET joins = joins + excluded.joins, "
                    "leaves = leaves + excluded.leaves",
                    guilds,
                )

    async def window_totals(self, guild_id: int, first: date, last: date) -> WindowTotals:
        """Totals over the UTC days first..last (inclusive); members are counted once."""
        lo, hi = first.isoformat(), last.isoformat()
        messages = await self._db.fetchval(
            "SELECT COALESCE(SUM(messages), 0) FROM activity_channel_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ?",
            (guild_id, lo, hi),
        )
        active = await self._db.fetchval(
            "SELECT COUNT(DISTINCT user_id) FROM activity_member_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ?",
            (guild_id, lo, hi),
        )
        row = await self._db.fetchone(
            "SELECT COALESCE(SUM(joins), 0), COALESCE(SUM(leaves), 0) FROM activity_guild_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ?",
            (guild_id, lo, hi),
        )
        assert row is not None
        return WindowTotals(int(messages), int(active), int(row[0]), int(row[1]))

    async def returning_members(
        self, guild_id: int, first: date, last: date, prev_first: date, prev_last: date
    ) -> int:
        """Members active in first..last who were also active in prev_first..prev_last."""
        return int(
            await self._db.fetchval(
                "SELECT COUNT(*) FROM ("
                "SELECT user_id FROM activity_member_day "
                "WHERE guild_id = ? AND day BETWEEN ? AND ? "
                "INTERSECT "
                "SELECT user_id FROM activity_member_day "
                "WHERE guild_id = ? AND day BETWEEN ? AND ?)",
                (
                    guild_id,
                    first.isoformat(),
                    last.isoformat(),
                    guild_id,
                    prev_first.isoformat(),
                    prev_last.isoformat(),
                ),
            )
        )

    async def daily(self, guild_id: int, first: date, last: date) -> dict[date, DayTotals]:
        """Per UTC day in first..last that has any activity."""
        lo, hi = first.isoformat(), last.isoformat()
        found: dict[str, dict[str, int]] = {}
        for day, messages in await self._db.fetchall(
            "SELECT day, SUM(messages) FROM activity_channel_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ? GROUP BY day",
            (guild_id, lo, hi),
        ):
            found.setdefault(day, {})["messages"] = int(messages)
        for day, active in await self._db.fetchall(
            "SELECT day, COUNT(*) FROM activity_member_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ? GROUP BY day",
            (guild_id, lo, hi),
        ):
            found.setdefault(day, {})["active_members"] = int(active)
        for day, joins, leaves in await self._db.fetchall(
            "SELECT day, joins, leaves FROM activity_guild_day "
            "WHERE guild_id = ? AND day BETWEEN ? AND ?",
            (guild_id, lo, hi),
        ):
            found.setdefault(day, {}).update(joins=int(joins), leaves=int(leaves))
        return {
            date.fromisoformat(day): DayTotals(date.fromisoformat(day), **values)
            for day, values in found.items()
        }
