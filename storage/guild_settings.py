"""Per-guild configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.timeutil import to_db

DEFAULT_CAPTURE_EMOJI = "📝"

# Channel kinds users can set, mapped to their column. The whitelist is also what
# keeps the column name in the UPDATE below from ever being user-controlled.
CHANNEL_COLUMNS = {
    "office-hours": "office_hours_channel_id",
    "announcements": "announcements_channel_id",
    "digest": "digest_channel_id",
    "feedback": "feedback_channel_id",
    "log": "log_channel_id",
}


@dataclass(frozen=True)
class GuildConfig:
    guild_id: int
    advocate_role_id: int | None = None
    timezone: str | None = None
    office_hours_channel_id: int | None = None
    announcements_channel_id: int | None = None
    digest_channel_id: int | None = None
    feedback_channel_id: int | None = None
    log_channel_id: int | None = None
    capture_emoji: str = DEFAULT_CAPTURE_EMOJI

    def channel(self, kind: str) -> int | None:
        return getattr(self, CHANNEL_COLUMNS[kind])


_COLUMNS = (
    "guild_id, advocate_role_id, timezone, office_hours_channel_id, announcements_channel_id, "
    "digest_channel_id, feedback_channel_id, log_channel_id, capture_emoji"
)


class GuildSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildConfig:
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        if row is None:
            return GuildConfig(guild_id=guild_id)
        return GuildConfig(*row)

    async def _set(self, guild_id: int, column: str, value: object, now: datetime) -> None:
        await self._db.execute(
            f"INSERT INTO guild_settings (guild_id, {column}, updated_at) VALUES (?, ?, ?) "
            f"ON CONFLICT(guild_id) DO UPDATE SET {column} = excluded.{column}, "
            "updated_at = excluded.updated_at",
            (guild_id, value, to_db(now)),
        )

    async def set_advocate_role(self, guild_id: int, role_id: int | None, now: datetime) -> None:
        await self._set(guild_id, "advocate_role_id", role_id, now)

    async def set_timezone(self, guild_id: int, zone: str, now: datetime) -> None:
        await self._set(guild_id, "timezone", zone, now)

    async def set_channel(
        self, guild_id: int, kind: str, channel_id: int | None, now: datetime
    ) -> None:
        await self._set(guild_id, CHANNEL_COLUMNS[kind], channel_id, now)

    async def set_capture_emoji(self, guild_id: int, emoji: str, now: datetime) -> None:
        await self._set(guild_id, "capture_emoji", emoji, now)

    async def guild_ids(self) -> list[int]:
        rows = await self._db.fetchall("SELECT guild_id FROM guild_settings ORDER BY guild_id")
        return [r[0] for r in rows]


# The hash of the last command tree synced to Discord; a new one means sync again.
COMMAND_HASH_KEY = "command_tree_hash"


class MetaRepository:
    """Facts about the bot itself (not guild data), such as the synced command hash."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: str) -> str | None:
        return await self._db.fetchval("SELECT value FROM bot_meta WHERE key = ?", (key,))

    async def set(self, key: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO bot_meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
