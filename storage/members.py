"""Members' own settings that several features read (their time zone), set with /me."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.timeutil import from_db, to_db


@dataclass(frozen=True)
class MemberSettings:
    guild_id: int
    user_id: int
    timezone: str | None
    updated_at: datetime | None


class MemberSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int, user_id: int) -> MemberSettings:
        row = await self._db.fetchone(
            "SELECT timezone, updated_at FROM member_settings WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        if row is None:
            return MemberSettings(guild_id, user_id, None, None)
        return MemberSettings(guild_id, user_id, row[0], from_db(row[1]))

    async def set_timezone(self, guild_id: int, user_id: int, zone: str, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO member_settings (guild_id, user_id, timezone, updated_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(guild_id, user_id) DO UPDATE SET "
            "timezone = excluded.timezone, updated_at = excluded.updated_at",
            (guild_id, user_id, zone, to_db(now)),
        )

    async def zones(self, guild_id: int) -> dict[int, str]:
        """user_id -> zone name for every member of the guild who set one."""
        rows = await self._db.fetchall(
            "SELECT user_id, timezone FROM member_settings "
            "WHERE guild_id = ? AND timezone IS NOT NULL",
            (guild_id,),
        )
        return {r[0]: r[1] for r in rows}
