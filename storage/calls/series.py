"""Regional community calls: series, their slots and the per-server settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.database import Database
from storage.timeutil import to_db

_SERIES = (
    "SELECT id, guild_id, title, cadence, mode, duration_minutes, channel_id, location, anchor, "
    "home_channel_id, thread_id, channel_kind FROM call_series"
)
_SLOT = "SELECT id, guild_id, series_id, name, weekday, local_time, zone FROM call_slots"


@dataclass(frozen=True)
class CallSeries:
    id: int
    guild_id: int
    title: str
    cadence: str
    mode: str
    duration_minutes: int
    channel_id: int | None
    location: str | None
    anchor: date  # the Monday of the first cycle
    home_channel_id: int | None = None  # text channel for reminders and the recap thread
    thread_id: int | None = None  # the series' thread, opened with the first recap
    channel_kind: str | None = None  # 'voice' or 'stage' with a channel


@dataclass(frozen=True)
class CallSlot:
    id: int
    guild_id: int
    series_id: int
    name: str
    weekday: int  # 0 = Monday
    local_time: str  # HH:MM in ``zone``
    zone: str


def _series(row: object) -> CallSeries:
    r = tuple(row)  # type: ignore[call-overload]
    return CallSeries(
        *r[:8],
        anchor=date.fromisoformat(r[8]),
        home_channel_id=r[9],
        thread_id=r[10],
        channel_kind=r[11],
    )


def _slot(row: object) -> CallSlot:
    return CallSlot(*tuple(row))  # type: ignore[call-overload]


class CallsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create_series(
        self,
        guild_id: int,
        *,
        title: str,
        cadence: str,
        mode: str,
        duration_minutes: int,
        channel_id: int | None,
        location: str | None,
        anchor: date,
        now: datetime,
        home_channel_id: int | None = None,
        channel_kind: str | None = None,
    ) -> CallSeries:
        series_id = await self.db.execute(
            "INSERT INTO call_series (guild_id, title, cadence, mode, duration_minutes, "
            "channel_id, location, anchor, created_at, home_channel_id, channel_kind) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                title,
                cadence,
                mode,
                duration_minutes,
                channel_id,
                location,
                anchor.isoformat(),
                to_db(now),
                home_channel_id,
                channel_kind,
            ),
        )
        return CallSeries(
            series_id,
            guild_id,
            title,
            cadence,
            mode,
            duration_minutes,
            channel_id,
            location,
            anchor,
            home_channel_id,
            None,
            channel_kind,
        )

    async def series_by_title(self, guild_id: int, title: str) -> CallSeries | None:
        row = await self.db.fetchone(
            f"{_SERIES} WHERE guild_id = ? AND title = ? COLLATE NOCASE", (guild_id, title)
        )
        return None if row is None else _series(row)

    async def series_by_id(self, guild_id: int, series_id: int) -> CallSeries | None:
        row = await self.db.fetchone(
            f"{_SERIES} WHERE guild_id = ? AND id = ?", (guild_id, series_id)
        )
        return None if row is None else _series(row)

    async def every_series(self) -> list[CallSeries]:
        """Every guild's series (start-up: plan each one's next calls)."""
        return [_series(r) for r in await self.db.fetchall(f"{_SERIES} ORDER BY id")]

    async def set_thread(self, guild_id: int, series_id: int, thread_id: int) -> None:
        await self.db.execute(
            "UPDATE call_series SET thread_id = ? WHERE guild_id = ? AND id = ?",
            (thread_id, guild_id, series_id),
        )

    async def host_role(self, guild_id: int) -> int | None:
        value = await self.db.fetchval(
            "SELECT signup_role_id FROM call_settings WHERE guild_id = ?", (guild_id,)
        )
        return None if value is None else int(value)

    async def set_host_role(self, guild_id: int, role_id: int | None, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO call_settings (guild_id, signup_role_id, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(guild_id) DO UPDATE SET signup_role_id = excluded.signup_role_id, "
            "updated_at = excluded.updated_at",
            (guild_id, role_id, to_db(now)),
        )

    async def all_series(self, guild_id: int) -> list[CallSeries]:
        rows = await self.db.fetchall(f"{_SERIES} WHERE guild_id = ? ORDER BY id", (guild_id,))
        return [_series(r) for r in rows]

    async def slots(self, guild_id: int, series_id: int) -> list[CallSlot]:
        rows = await self.db.fetchall(
            f"{_SLOT} WHERE guild_id = ? AND series_id = ? ORDER BY id", (guild_id, series_id)
        )
        return [_slot(r) for r in rows]

    async def add_slot(
        self,
        guild_id: int,
        series_id: int,
        *,
        name: str,
        weekday: int,
        local_time: str,
        zone: str,
        now: datetime,
    ) -> CallSlot:
        slot_id = await self.db.execute(
            "INSERT INTO call_slots (guild_id, series_id, name, weekday, local_time, zone, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (guild_id, series_id, name, weekday, local_time, zone, to_db(now)),
        )
        return CallSlot(slot_id, guild_id, series_id, name, weekday, local_time, zone)

    async def remove_slot(self, guild_id: int, slot_id: int) -> None:
        await self.db.execute(
            "DELETE FROM call_slots WHERE guild_id = ? AND id = ?", (guild_id, slot_id)
        )
