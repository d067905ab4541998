"""Help channels and the posts in them that wait for a reply: ids and times, never text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.database import Database
from storage.timeutil import from_db, maybe_from_db, to_db


@dataclass(frozen=True)
class HelpPost:
    guild_id: int
    message_id: int
    channel_id: int
    thread_id: int | None
    author_id: int
    posted_at: datetime
    answered_at: datetime | None
    nudged_at: datetime | None
    escalated_at: datetime | None


_POST_COLUMNS = (
    "guild_id, message_id, channel_id, thread_id, author_id, posted_at, answered_at, "
    "nudged_at, escalated_at"
)


def _post(row: tuple) -> HelpPost:
    return HelpPost(
        int(row[0]),
        int(row[1]),
        int(row[2]),
        None if row[3] is None else int(row[3]),
        int(row[4]),
        from_db(row[5]),
        maybe_from_db(row[6]),
        maybe_from_db(row[7]),
        maybe_from_db(row[8]),
    )


class HelpChannelsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ channels

    async def channels(self, guild_id: int) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT channel_id FROM help_channels WHERE guild_id = ? "
            "ORDER BY marked_at, channel_id",
            (guild_id,),
        )
        return [int(r[0]) for r in rows]

    async def all_channels(self) -> dict[int, set[int]]:
        """Every guild's help channels, for the message path's in-memory set at start-up."""
        rows = await self._db.fetchall("SELECT guild_id, channel_id FROM help_channels")
        found: dict[int, set[int]] = {}
        for guild_id, channel_id in rows:
            found.setdefault(int(guild_id), set()).add(int(channel_id))
        return found

    async def mark(self, guild_id: int, channel_id: int, now: datetime) -> bool:
        """False if it was marked already."""
        # RETURNING, not lastrowid: a WITHOUT ROWID table has no rowid to tell by.
        return (
            await self._db.fetchval(
                "INSERT INTO help_channels (guild_id, channel_id, marked_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                (guild_id, channel_id, to_db(now)),
            )
            is not None
        )

    async def unmark(self, guild_id: int, channel_id: int) -> bool:
        """Unmarks the channel and stops tracking its posts; False if it wasn't marked."""
        async with self._db.transaction():
            removed = await self._db.execute(
                "DELETE FROM help_channels WHERE guild_id = ? AND channel_id = ?",
                (guild_id, channel_id),
            )
            # Waiting posts would otherwise still be nudged; answered ones stay for the figures.
            await self._db.execute(
                "DELETE FROM help_posts WHERE guild_id = ? AND channel_id = ? "
                "AND answered_at IS NULL",
                (guild_id, channel_id),
            )
        return bool(removed)

    async def nudge_hours(self, guild_id: int) -> int | None:
        return await self._db.fetchval(
            "SELECT nudge_hours FROM help_settings WHERE guild_id = ?", (guild_id,)
        )

    async def set_nudge_hours(self, guild_id: int, hours: int, now: datetime) -> None:
        """Stores the hours and moves the due times of posts still waiting."""
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO help_settings (guild_id, nudge_hours, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(guild_id) DO UPDATE SET nudge_hours = excluded.nudge_hours, "
                "updated_at = excluded.updated_at",
                (guild_id, hours, to_db(now)),
            )
            # Computed here, not in SQL: stored times have a fixed width that SQLite's
            # strftime doesn't write, and string order must stay time order.
            rows = await self._db.fetchall(
                "SELECT message_id, posted_at FROM help_posts WHERE guild_id = ? "
                "AND answered_at IS NULL AND escalated_at IS NULL",
                (guild_id,),
            )
            await self._db.executemany(
                "UPDATE help_posts SET nudge_due_at = ?, escalate_due_at = ? "
                "WHERE guild_id = ? AND message_id = ?",
                [
                    (
                        to_db(from_db(r[1]) + timedelta(hours=hours)),
                        to_db(from_db(r[1]) + timedelta(hours=2 * hours)),
                        guild_id,
                        int(r[0]),
                    )
                    for r in rows
                ],
            )

    # ------------------------------------------------------------------ posts

    async def track(
        self,
        guild_id: int,
        message_id: int,
        channel_id: int,
        thread_id: int | None,
        author_id: int,
        posted_at: datetime,
        nudge_due_at: datetime,
        escalate_due_at: datetime,
    ) -> bool:
        """False if the post was tracked already (a forum post seen twice)."""
        return (
            await self._db.fetchval(
                "INSERT INTO help_posts (guild_id, message_id, channel_id, thread_id, author_id, "
                "posted_at, nudge_due_at, escalate_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING RETURNING 1",
                (
                    guild_id,
                    message_id,
                    channel_id,
                    thread_id,
                    author_id,
                    to_db(posted_at),
                    to_db(nudge_due_at),
                    to_db(escalate_due_at),
                ),
            )
            is not None
        )

    async def get(self, guild_id: int, message_id: int) -> HelpPost | None:
        row = await self._db.fetchone(
            f"SELECT {_POST_COLUMNS} FROM help_posts WHERE guild_id = ? AND message_id = ?",
            (guild_id, message_id),
        )
        return None if row is None else _post(tuple(row))

    async def by_thread(self, guild_id: int, thread_id: int) -> HelpPost | None:
        row = await self._db.fetchone(
            f"SELECT {_POST_COLUMNS} FROM help_posts WHERE guild_id = ? AND thread_id = ?",
            (guild_id, thread_id),
        )
        return None if row is None else _post(tuple(row))

    async def set_thread(self, guild_id: int, message_id: int, thread_id: int) -> None:
        await self._db.execute(
            "UPDATE help_posts SET thread_id = ? WHERE guild_id = ? AND message_id = ?",
            (thread_id, guild_id, message_id),
        )

    async def answer(self, guild_id: int, message_id: int, when: datetime) -> bool:
        """Records the first reply by someone else; False if it had one already."""
        return bool(
            await self._db.execute(
                "UPDATE help_posts SET answered_at = ? "
                "WHERE guild_id = ? AND message_id = ? AND answered_at IS NULL",
                (to_db(when), guild_id, message_id),
            )
        )

    async def forget_post(self, guild_id: int, message_id: int) -> None:
        """A deleted message or post is no longer waiting for anyone."""
        await self._db.execute(
            "DELETE FROM help_posts WHERE guild_id = ? AND message_id = ?", (guild_id, message_id)
        )

    async def next_due(self, guild_id: int) -> datetime | None:
        """When this guild's next nudge or escalation is due."""
        value = await self._db.fetchval(
            "SELECT MIN(CASE WHEN nudged_at IS NULL THEN nudge_due_at ELSE escalate_due_at END) "
            "FROM help_posts WHERE guild_id = ? AND answered_at IS NULL AND escalated_at IS NULL",
            (guild_id,),
        )
        return maybe_from_db(value)

    async def due_nudges(self, guild_id: int, now: datetime) -> list[HelpPost]:
        rows = await self._db.fetchall(
            f"SELECT {_POST_COLUMNS} FROM help_posts WHERE guild_id = ? AND answered_at IS NULL "
            "AND nudged_at IS NULL AND nudge_due_at <= ? ORDER BY posted_at, message_id",
            (guild_id, to_db(now)),
        )
        return [_post(tuple(r)) for r in rows]

    async def due_escalations(self, guild_id: int, now: datetime) -> list[HelpPost]:
        rows = await self._db.fetchall(
            f"SELECT {_POST_COLUMNS} FROM help_posts WHERE guild_id = ? AND answered_at IS NULL "
            "AND escalated_at IS NULL AND escalate_due_at <= ? ORDER BY posted_at, message_id",
            (guild_id, to_db(now)),
        )
        return [_post(tuple(r)) for r in rows]

    async def claim_nudge(self, guild_id: int, message_id: int, now: datetime) -> bool:
        return bool(
            await self._db.execute(
                "UPDATE help_posts SET nudged_at = ? WHERE guild_id = ? AND message_id = ? "
                "AND nudged_at IS NULL AND answered_at IS NULL",
                (to_db(now), guild_id, message_id),
            )
        )

    async def claim_escalation(self, guild_id: int, message_id: int, now: datetime) -> bool:
        # An escalation also closes the nudge: a post that skipped its first nudge (the bot
        # was down past both due times) is told once, to the advocates' channel.
        return bool(
            await self._db.execute(
                "UPDATE help_posts SET escalated_at = ?, nudged_at = COALESCE(nudged_at, ?) "
                "WHERE guild_id = ? AND message_id = ? "
                "AND escalated_at IS NULL AND answered_at IS NULL",
                (to_db(now), to_db(now), guild_id, message_id),
            )
        )

    async def count_waiting(self, guild_id: int, posted_before: datetime) -> int:
        return int(
            await self._db.fetchval(
                "SELECT COUNT(*) FROM help_posts WHERE guild_id = ? AND answered_at IS NULL "
                "AND posted_at < ?",
                (guild_id, to_db(posted_before)),
            )
        )

    async def waiting_guilds(self) -> list[int]:
        """Guilds with posts still to nudge, for rebuilding the alarm at start-up."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT guild_id FROM help_posts "
            "WHERE answered_at IS NULL AND escalated_at IS NULL"
        )
        return [int(r[0]) for r in rows]
