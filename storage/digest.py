"""Digest settings per guild and the record of weekly digest runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from storage.database import Database
from storage.timeutil import from_db, maybe_from_db, maybe_to_db, to_db

DEFAULT_WEEKDAY = 0  # Monday
DEFAULT_TIME = "09:00"


@dataclass(frozen=True)
class DigestConfig:
    guild_id: int
    channel_id: int | None = None
    weekday: int = DEFAULT_WEEKDAY
    post_time: str = DEFAULT_TIME
    timezone: str | None = None
    enabled: bool = True
    skip_empty: bool = True
    pin: bool = False
    next_run_at: datetime | None = None
    pinned_channel_id: int | None = None
    pinned_message_id: int | None = None
    # False for the defaults of a guild that never ran /digest configure.
    stored: bool = False


@dataclass(frozen=True)
class DigestRun:
    id: int
    guild_id: int
    week_start: date
    status: str  # claimed | posted | skipped
    channel_id: int | None
    message_id: int | None
    claimed_at: datetime
    finished_at: datetime | None


_CONFIG_COLUMNS = (
    "guild_id, channel_id, weekday, post_time, timezone, enabled, skip_empty, pin, "
    "next_run_at, pinned_channel_id, pinned_message_id"
)
_RUN_COLUMNS = "id, guild_id, week_start, status, channel_id, message_id, claimed_at, finished_at"


def _config(row: Any) -> DigestConfig:
    (gid, channel, weekday, post_time, zone, enabled, skip, pin, next_run, p_ch, p_msg) = row
    return DigestConfig(
        guild_id=gid,
        channel_id=channel,
        weekday=weekday,
        post_time=post_time,
        timezone=zone,
        enabled=bool(enabled),
        skip_empty=bool(skip),
        pin=bool(pin),
        next_run_at=maybe_from_db(next_run),
        pinned_channel_id=p_ch,
        pinned_message_id=p_msg,
        stored=True,
    )


def _run(row: Any) -> DigestRun:
    (rid, gid, week_start, status, channel, message, claimed, finished) = row
    return DigestRun(
        id=rid,
        guild_id=gid,
        week_start=date.fromisoformat(week_start),
        status=status,
        channel_id=channel,
        message_id=message,
        claimed_at=from_db(claimed),
        finished_at=maybe_from_db(finished),
    )


class DigestRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_config(self, guild_id: int) -> DigestConfig:
        row = await self._db.fetchone(
            f"SELECT {_CONFIG_COLUMNS} FROM digest_config WHERE guild_id = ?", (guild_id,)
        )
        return DigestConfig(guild_id=guild_id) if row is None else _config(row)

    async def save_config(self, config: DigestConfig, now: datetime) -> None:
        """Store the settings and schedule (not the pin bookkeeping, see set_pinned)."""
        await self._db.execute(
            "INSERT INTO digest_config (guild_id, channel_id, weekday, post_time, timezone, "
            "enabled, skip_empty, pin, next_run_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
            "channel_id = excluded.channel_id, weekday = excluded.weekday, "
            "post_time = excluded.post_time, timezone = excluded.timezone, "
            "enabled = excluded.enabled, skip_empty = excluded.skip_empty, pin = excluded.pin, "
            "next_run_at = excluded.next_run_at, updated_at = excluded.updated_at",
            (
                config.guild_id,
                config.channel_id,
                config.weekday,
                config.post_time,
                config.timezone,
                int(config.enabled),
                int(config.skip_empty),
                int(config.pin),
                maybe_to_db(config.next_run_at),
                to_db(now),
            ),
        )

    async def set_next_run(self, guild_id: int, at: datetime | None, now: datetime) -> None:
        await self._db.execute(
            "UPDATE digest_config SET next_run_at = ?, updated_at = ? WHERE guild_id = ?",
            (maybe_to_db(at), to_db(now), guild_id),
        )

    async def set_pinned(
        self, guild_id: int, channel_id: int | None, message_id: int | None, now: datetime
    ) -> None:
        await self._db.execute(
            "UPDATE digest_config SET pinned_channel_id = ?, pinned_message_id = ?, "
            "updated_at = ? WHERE guild_id = ?",
            (channel_id, message_id, to_db(now), guild_id),
        )

    async def scheduled(self) -> list[tuple[int, datetime]]:
        """(guild_id, next_run_at) of every enabled digest, for rebuilding the alarm."""
        rows = await self._db.fetchall(
            "SELECT guild_id, next_run_at FROM digest_config "
            "WHERE enabled = 1 AND next_run_at IS NOT NULL ORDER BY next_run_at"
        )
        return [(r[0], from_db(r[1])) for r in rows]

    async def get_run(self, guild_id: int, week_start: date) -> DigestRun | None:
        row = await self._db.fetchone(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE guild_id = ? AND week_start = ?",
            (guild_id, week_start.isoformat()),
        )
        return None if row is None else _run(row)

    async def claim_run(
        self, guild_id: int, week_start: date, now: datetime
    ) -> tuple[DigestRun, bool]:
        """Claim a week before sending. Returns the run and whether this call created it."""
        async with self._db.transaction():
            existing = await self.get_run(guild_id, week_start)
            if existing is not None:
                return existing, False
            await self._db.execute(
                "INSERT INTO digest_runs (guild_id, week_start, status, claimed_at) "
                "VALUES (?, ?, 'claimed', ?)",
                (guild_id, week_start.isoformat(), to_db(now)),
            )
            created = await self.get_run(guild_id, week_start)
        assert created is not None
        return created, True

    async def finish_run(
        self,
        guild_id: int,
        run_id: int,
        status: str,
        channel_id: int | None,
        message_id: int | None,
        now: datetime,
    ) -> None:
        await self._db.execute(
            "UPDATE digest_runs SET status = ?, channel_id = ?, message_id = ?, finished_at = ? "
            "WHERE guild_id = ? AND id = ?",
            (status, channel_id, message_id, to_db(now), guild_id, run_id),
        )

    async def release_run(self, guild_id: int, run_id: int) -> None:
        """Drop a claim whose send failed, so a retry may claim the week again."""
        await self._db.execute(
            "DELETE FROM digest_runs WHERE guild_id = ? AND id = ? AND status = 'claimed'",
            (guild_id, run_id),
        )

    async def runs(self, guild_id: int) -> list[DigestRun]:
        rows = await self._db.fetchall(
            f"SELECT {_RUN_COLUMNS} FROM digest_runs WHERE guild_id = ? ORDER BY week_start",
            (guild_id,),
        )
        return [_run(r) for r in rows]
