"""The on-call rotation's rows: configuration, who rotates, shifts handed off, overrides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.timeutil import from_db, maybe_from_db, to_db


@dataclass(frozen=True)
class OnCallConfig:
    guild_id: int
    role_id: int
    channel_id: int
    shift: str
    handoff_weekday: int
    handoff_minute: int
    zone: str


@dataclass(frozen=True)
class ShiftRow:
    id: int
    guild_id: int
    starts_at: datetime
    ends_at: datetime
    user_id: int | None
    note: str | None
    done_at: datetime | None


@dataclass(frozen=True)
class OverrideRow:
    id: int
    guild_id: int
    user_id: int
    starts_at: datetime
    ends_at: datetime


_SHIFT = "id, guild_id, starts_at, ends_at, user_id, note, done_at"


def _shift(r: object) -> ShiftRow:
    id_, g, s, e, u, note, done = r  # type: ignore[misc]
    return ShiftRow(id_, g, from_db(s), from_db(e), u, note, maybe_from_db(done))


class OnCallRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_config(self, c: OnCallConfig, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO oncall_config (guild_id, role_id, channel_id, shift, handoff_weekday, "
            "handoff_minute, zone, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(guild_id) DO UPDATE SET role_id = excluded.role_id, "
            "channel_id = excluded.channel_id, shift = excluded.shift, "
            "handoff_weekday = excluded.handoff_weekday, "
            "handoff_minute = excluded.handoff_minute, zone = excluded.zone, "
            "updated_at = excluded.updated_at",
            (
                c.guild_id,
                c.role_id,
                c.channel_id,
                c.shift,
                c.handoff_weekday,
                c.handoff_minute,
                c.zone,
                to_db(now),
            ),
        )

    async def config(self, guild_id: int) -> OnCallConfig | None:
        row = await self.db.fetchone(
            "SELECT guild_id, role_id, channel_id, shift, handoff_weekday, handoff_minute, zone "
            "FROM oncall_config WHERE guild_id = ?",
            (guild_id,),
        )
        return None if row is None else OnCallConfig(*row)

    async def configured_guilds(self) -> list[int]:
        return [r[0] for r in await self.db.fetchall("SELECT guild_id FROM oncall_config")]

    async def join(self, guild_id: int, user_id: int, now: datetime) -> bool:
        async with self.db.transaction():
            if await self.db.fetchone(
                "SELECT 1 FROM oncall_members WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            ):
                return False
            await self.db.execute(
                "INSERT INTO oncall_members (guild_id, user_id, joined_at) VALUES (?, ?, ?)",
                (guild_id, user_id, to_db(now)),
            )
        return True

    async def leave(self, guild_id: int, user_id: int) -> bool:
        return (
            await self.db.execute(
                "DELETE FROM oncall_members WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            > 0
        )

    async def members(self, guild_id: int) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT user_id FROM oncall_members WHERE guild_id = ? ORDER BY joined_at, user_id",
            (guild_id,),
        )
        return [r[0] for r in rows]

    async def claim_shift(
        self,
        guild_id: int,
        starts_at: datetime,
        ends_at: datetime,
        user_id: int | None,
        now: datetime,
    ) -> ShiftRow | None:
        """Record the shift's holder; None if this shift was claimed already."""
        async with self.db.transaction():
            if await self.db.fetchone(
                "SELECT 1 FROM oncall_shifts WHERE guild_id = ? AND starts_at = ?",
                (guild_id, to_db(starts_at)),
            ):
                return None
            shift_id = await self.db.execute(
                "INSERT INTO oncall_shifts (guild_id, starts_at, ends_at, user_id, claimed_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, to_db(starts_at), to_db(ends_at), user_id, to_db(now)),
            )
        return ShiftRow(shift_id, guild_id, starts_at, ends_at, user_id, None, None)

    async def mark_done(self, guild_id: int, shift_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE oncall_shifts SET done_at = ? WHERE guild_id = ? AND id = ?",
            (to_db(now), guild_id, shift_id),
        )

    async def undone_shifts(self, guild_id: int) -> list[ShiftRow]:
        rows = await self.db.fetchall(
            f"SELECT {_SHIFT} FROM oncall_shifts WHERE guild_id = ? AND done_at IS NULL "
            "ORDER BY starts_at",
            (guild_id,),
        )
        return [_shift(r) for r in rows]

    async def recent_shifts(self, guild_id: int, before: datetime, limit: int) -> list[ShiftRow]:
        """The last ``limit`` shifts starting before ``before``, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_SHIFT} FROM oncall_shifts WHERE guild_id = ? AND starts_at < ? "
            "ORDER BY starts_at DESC LIMIT ?",
            (guild_id, to_db(before), limit),
        )
        return [_shift(r) for r in rows]

    async def shift_at(self, guild_id: int, at: datetime) -> ShiftRow | None:
        row = await self.db.fetchone(
            f"SELECT {_SHIFT} FROM oncall_shifts WHERE guild_id = ? AND starts_at <= ? "
            "AND ends_at > ? ORDER BY starts_at DESC LIMIT 1",
            (guild_id, to_db(at), to_db(at)),
        )
        return None if row is None else _shift(row)

    async def set_note(self, guild_id: int, shift_id: int, note: str) -> None:
        await self.db.execute(
            "UPDATE oncall_shifts SET note = ? WHERE guild_id = ? AND id = ?",
            (note, guild_id, shift_id),
        )

    async def shift(self, guild_id: int, shift_id: int) -> ShiftRow | None:
        row = await self.db.fetchone(
            f"SELECT {_SHIFT} FROM oncall_shifts WHERE guild_id = ? AND id = ?",
            (guild_id, shift_id),
        )
        return None if row is None else _shift(row)

    async def add_override(
        self,
        guild_id: int,
        user_id: int,
        starts_at: datetime,
        ends_at: datetime,
        author_id: int,
        now: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO oncall_overrides (guild_id, user_id, starts_at, ends_at, author_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, user_id, to_db(starts_at), to_db(ends_at), author_id, to_db(now)),
        )

    async def overrides(self, guild_id: int, after: datetime) -> list[OverrideRow]:
        """Overrides that end after ``after``, the latest-made last (it wins)."""
        rows = await self.db.fetchall(
            "SELECT id, guild_id, user_id, starts_at, ends_at FROM oncall_overrides "
            "WHERE guild_id = ? AND ends_at > ? ORDER BY id",
            (guild_id, to_db(after)),
        )
        return [OverrideRow(r[0], r[1], r[2], from_db(r[3]), from_db(r[4])) for r in rows]
