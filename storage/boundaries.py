"""Advocates' working hours, time off, and the notices held for them (0014)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.database import Database
from storage.timeutil import from_db, maybe_from_db, to_db


@dataclass(frozen=True)
class HoursRow:
    guild_id: int
    user_id: int
    days: tuple[int, ...]
    start_minute: int
    end_minute: int
    zone: str


@dataclass(frozen=True)
class AwayRow:
    id: int
    guild_id: int
    user_id: int
    starts_at: datetime
    ends_at: datetime
    note: str | None


@dataclass(frozen=True)
class HeldNotice:
    id: int
    guild_id: int
    user_id: int
    kind: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    guild_id: int
    user_id: int
    text: str
    claimed_at: datetime
    sent_at: datetime | None
    notices: int


def _hours(row: object) -> HoursRow:
    guild_id, user_id, days, start, end, zone = row  # type: ignore[misc]
    return HoursRow(guild_id, user_id, tuple(int(d) for d in days.split(",")), start, end, zone)


def _away(row: object) -> AwayRow:
    id_, guild_id, user_id, starts, ends, note = row  # type: ignore[misc]
    return AwayRow(id_, guild_id, user_id, from_db(starts), from_db(ends), note)


def _delivery(row: object) -> DeliveryRow:
    id_, guild_id, user_id, text, claimed, sent, notices = row  # type: ignore[misc]
    return DeliveryRow(id_, guild_id, user_id, text, from_db(claimed), maybe_from_db(sent), notices)


_DELIVERY_COLUMNS = "id, guild_id, user_id, text, claimed_at, sent_at, notices"


class BoundariesRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ hours

    async def set_hours(self, hours: HoursRow, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO advocate_hours (guild_id, user_id, days, start_minute, end_minute, "
            "zone, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(guild_id, user_id) DO UPDATE SET days = excluded.days, "
            "start_minute = excluded.start_minute, end_minute = excluded.end_minute, "
            "zone = excluded.zone, updated_at = excluded.updated_at",
            (
                hours.guild_id,
                hours.user_id,
                ",".join(str(d) for d in hours.days),
                hours.start_minute,
                hours.end_minute,
                hours.zone,
                to_db(now),
            ),
        )

    async def hours(self, guild_id: int, user_id: int) -> HoursRow | None:
        row = await self.db.fetchone(
            "SELECT guild_id, user_id, days, start_minute, end_minute, zone FROM advocate_hours "
            "WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else _hours(row)

    async def all_hours(self, guild_id: int) -> list[HoursRow]:
        rows = await self.db.fetchall(
            "SELECT guild_id, user_id, days, start_minute, end_minute, zone FROM advocate_hours "
            "WHERE guild_id = ? ORDER BY user_id",
            (guild_id,),
        )
        return [_hours(r) for r in rows]

    # ------------------------------------------------------------------ time off

    async def add_away(
        self,
        guild_id: int,
        user_id: int,
        starts_at: datetime,
        ends_at: datetime,
        note: str | None,
        now: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO advocate_away (guild_id, user_id, starts_at, ends_at, note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (guild_id, user_id, to_db(starts_at), to_db(ends_at), note, to_db(now)),
        )

    async def away(self, guild_id: int, user_id: int, after: datetime) -> list[AwayRow]:
        """Time off that ends after ``after``, earliest first."""
        rows = await self.db.fetchall(
            "SELECT id, guild_id, user_id, starts_at, ends_at, note FROM advocate_away "
            "WHERE guild_id = ? AND user_id = ? AND ends_at > ? ORDER BY starts_at",
            (guild_id, user_id, to_db(after)),
        )
        return [_away(r) for r in rows]

    async def delete_away(self, guild_id: int, user_id: int, away_id: int) -> bool:
        return (
            await self.db.execute(
                "DELETE FROM advocate_away WHERE guild_id = ? AND user_id = ? AND id = ?",
                (guild_id, user_id, away_id),
            )
            > 0
        )

    # ------------------------------------------------------------------ held notices

    async def hold(self, guild_id: int, user_id: int, kind: str, text: str, now: datetime) -> int:
        return await self.db.execute(
            "INSERT INTO advocate_notices (guild_id, user_id, kind, text, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (guild_id, user_id, kind, text, to_db(now)),
        )

    async def held(self, guild_id: int, user_id: int) -> list[HeldNotice]:
        rows = await self.db.fetchall(
            "SELECT id, guild_id, user_id, kind, text, created_at FROM advocate_notices "
            "WHERE guild_id = ? AND user_id = ? AND delivery_id IS NULL ORDER BY id",
            (guild_id, user_id),
        )
        return [HeldNotice(r[0], r[1], r[2], r[3], r[4], from_db(r[5])) for r in rows]

    async def drop(self, guild_id: int, notice_ids: list[int]) -> None:
        """Held notices no longer worth sending (their subject was dealt with meanwhile)."""
        await self.db.executemany(
            "DELETE FROM advocate_notices WHERE guild_id = ? AND id = ? AND delivery_id IS NULL",
            [(guild_id, n) for n in notice_ids],
        )

    async def members_with_held(self) -> list[tuple[int, int]]:
        """(guild_id, user_id) of everyone with notices not yet delivered, across guilds."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT guild_id, user_id FROM advocate_notices WHERE delivery_id IS NULL "
            "UNION SELECT DISTINCT guild_id, user_id FROM advocate_deliveries "
            "WHERE sent_at IS NULL"
        )
        return [(r[0], r[1]) for r in rows]

    async def claim(
        self, guild_id: int, user_id: int, notice_ids: list[int], text: str, now: datetime
    ) -> int:
        """Claim the notices for one delivery before it is sent; returns its id."""
        async with self.db.transaction():
            delivery_id = await self.db.execute(
                "INSERT INTO advocate_deliveries (guild_id, user_id, text, claimed_at, notices) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, user_id, text, to_db(now), len(notice_ids)),
            )
            await self.db.executemany(
                "UPDATE advocate_notices SET delivery_id = ? "
                "WHERE guild_id = ? AND id = ? AND delivery_id IS NULL",
                [(delivery_id, guild_id, n) for n in notice_ids],
            )
        return delivery_id

    async def unsent_delivery(self, guild_id: int, user_id: int) -> DeliveryRow | None:
        row = await self.db.fetchone(
            f"SELECT {_DELIVERY_COLUMNS} FROM advocate_deliveries "
            "WHERE guild_id = ? AND user_id = ? AND sent_at IS NULL ORDER BY id LIMIT 1",
            (guild_id, user_id),
        )
        return None if row is None else _delivery(row)

    async def record_sent(self, guild_id: int, delivery_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE advocate_deliveries SET sent_at = ? WHERE guild_id = ? AND id = ?",
            (to_db(now), guild_id, delivery_id),
        )

    async def release(self, guild_id: int, delivery_id: int) -> None:
        """A delivery that gave up: its notices are held again for the next try."""
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE advocate_notices SET delivery_id = NULL "
                "WHERE guild_id = ? AND delivery_id = ?",
                (guild_id, delivery_id),
            )
            await self.db.execute(
                "DELETE FROM advocate_deliveries WHERE guild_id = ? AND id = ?",
                (guild_id, delivery_id),
            )

    # ------------------------------------------------------------------ the load view

    async def load_events(
        self, guild_id: int, start: datetime, end: datetime
    ) -> dict[str, list[tuple[int, datetime]]]:
        """(user_id, when) of each piece of advocate work between start and end.

        Reads other features' tables, read-only, as storage/metrics.py does: sessions
        hosted (office hours' own; regional calls come from their seam), feedback status
        changes, questions answered, on-call shifts, held notices.
        """
        g, s, e = guild_id, to_db(start), to_db(end)
        queries = {
            "sessions": (
                "SELECT host_id, COALESCE(started_at, starts_at) FROM oh_sessions "
                # Calls are counted by the calls seam (load_sources["calls"]), which
                # leaves out unhosted ones; here only office-hours sessions count.
                "WHERE guild_id = ? AND status = 'ended' AND origin = 'office_hours' "
                "AND COALESCE(started_at, starts_at) >= ? "
                "AND COALESCE(started_at, starts_at) < ?"
            ),
            "status_changes": (
                "SELECT actor_id, created_at FROM feedback_history WHERE guild_id = ? "
                "AND status != 'new' AND created_at >= ? AND created_at < ?"
            ),
            "answered": (
                "SELECT host_id, finished_at FROM oh_questions WHERE guild_id = ? "
                "AND outcome = 'answered' AND host_id IS NOT NULL AND finished_at >= ? "
                "AND finished_at < ?"
            ),
            "shifts": (
                "SELECT user_id, starts_at FROM oncall_shifts WHERE guild_id = ? "
                "AND user_id IS NOT NULL AND starts_at >= ? AND starts_at < ?"
            ),
            "held": (
                "SELECT user_id, created_at FROM advocate_notices WHERE guild_id = ? "
                "AND created_at >= ? AND created_at < ?"
            ),
        }
        found: dict[str, list[tuple[int, datetime]]] = {}
        for kind, sql in queries.items():
            rows = await self.db.fetchall(sql, (g, s, e))
            found[kind] = [(r[0], from_db(r[1])) for r in rows]
        return found

    async def active_days(
        self, guild_id: int, start: datetime, end: datetime
    ) -> dict[int, set[date]]:
        """Days each member wrote messages (the activity recorder's per-day counts, UTC)."""
        rows = await self.db.fetchall(
            "SELECT user_id, day FROM activity_member_day WHERE guild_id = ? AND messages > 0 "
            "AND day >= ? AND day < ?",
            (guild_id, start.date().isoformat(), end.date().isoformat()),
        )
        days: dict[int, set[date]] = {}
        for user_id, day in rows:
            days.setdefault(user_id, set()).add(date.fromisoformat(day))
        return days
