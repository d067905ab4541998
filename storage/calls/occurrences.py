"""Regional community calls: planned occurrences, hosts signed up per slot, the agenda."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.timeutil import from_db, maybe_from_db, to_db

_OCC = (
    "SELECT id, guild_id, series_id, slot_id, slot_name, cycle, starts_at, session_id, host_id, "
    "notice_claimed_at, notice_sent_at, interested, present_peak, notes_message_id, "
    "notes_claimed_at, notes_text FROM call_occurrences"
)
_ITEM = (
    "SELECT id, guild_id, series_id, author_id, text, added_at, for_slot_id, decision_of, "
    "covered_in FROM call_agenda"
)


@dataclass(frozen=True)
class PlannedCall:
    id: int
    guild_id: int
    series_id: int
    slot_id: int
    slot_name: str
    cycle: int
    starts_at: datetime
    session_id: int | None
    host_id: int | None
    notice_claimed_at: datetime | None
    notice_sent_at: datetime | None
    interested: int | None
    present_peak: int | None
    notes_message_id: int | None
    # The recap, claimed (with its text) before it is posted; posted once notes_message_id is set.
    notes_claimed_at: datetime | None = None
    notes_text: str | None = None


@dataclass(frozen=True)
class Host:
    user_id: int
    slot_id: int
    signed_up_at: datetime


@dataclass(frozen=True)
class AgendaItem:
    id: int
    guild_id: int
    series_id: int
    author_id: int
    text: str
    added_at: datetime
    for_slot_id: int | None  # a decision copied for this region's next call
    decision_of: int | None  # the occurrence that decided it
    covered_in: int | None


def _occ(row: object) -> PlannedCall:
    r = tuple(row)  # type: ignore[call-overload]
    return PlannedCall(
        *r[:6],
        starts_at=from_db(r[6]),
        session_id=r[7],
        host_id=r[8],
        notice_claimed_at=maybe_from_db(r[9]),
        notice_sent_at=maybe_from_db(r[10]),
        interested=r[11],
        present_peak=r[12],
        notes_message_id=r[13],
        notes_claimed_at=maybe_from_db(r[14]),
        notes_text=r[15],
    )


def _item(row: object) -> AgendaItem:
    r = tuple(row)  # type: ignore[call-overload]
    return AgendaItem(
        *r[:5], added_at=from_db(r[5]), for_slot_id=r[6], decision_of=r[7], covered_in=r[8]
    )


class OccurrenceRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- occurrences ------------------------------------------------------

    async def claim(
        self,
        guild_id: int,
        series_id: int,
        *,
        slot_id: int,
        slot_name: str,
        cycle: int,
        starts_at: datetime,
        host_id: int | None,
        now: datetime,
    ) -> PlannedCall | None:
        """None if this slot's call in this cycle was planned before (never plan twice)."""
        exists = await self.db.fetchval(
            "SELECT 1 FROM call_occurrences WHERE series_id = ? AND slot_id = ? AND cycle = ?",
            (series_id, slot_id, cycle),
        )
        if exists is not None:
            return None
        occ_id = await self.db.execute(
            "INSERT INTO call_occurrences (guild_id, series_id, slot_id, slot_name, cycle, "
            "starts_at, host_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (guild_id, series_id, slot_id, slot_name, cycle, to_db(starts_at), host_id, to_db(now)),
        )
        return await self.get(guild_id, occ_id)

    async def get(self, guild_id: int, occ_id: int) -> PlannedCall | None:
        row = await self.db.fetchone(f"{_OCC} WHERE guild_id = ? AND id = ?", (guild_id, occ_id))
        return None if row is None else _occ(row)

    async def by_session(self, guild_id: int, session_id: int) -> PlannedCall | None:
        row = await self.db.fetchone(
            f"{_OCC} WHERE guild_id = ? AND session_id = ?", (guild_id, session_id)
        )
        return None if row is None else _occ(row)

    async def set_session(self, guild_id: int, occ_id: int, session_id: int) -> None:
        await self.db.execute(
            "UPDATE call_occurrences SET session_id = ? WHERE guild_id = ? AND id = ?",
            (session_id, guild_id, occ_id),
        )

    async def set_host(self, guild_id: int, occ_id: int, host_id: int | None) -> None:
        await self.db.execute(
            "UPDATE call_occurrences SET host_id = ? WHERE guild_id = ? AND id = ?",
            (host_id, guild_id, occ_id),
        )

    async def series_calls(self, guild_id: int, series_id: int) -> list[PlannedCall]:
        rows = await self.db.fetchall(
            f"{_OCC} WHERE guild_id = ? AND series_id = ? ORDER BY starts_at, id",
            (guild_id, series_id),
        )
        return [_occ(r) for r in rows]

    async def recent(
        self, guild_id: int, series_id: int, before: datetime, limit: int
    ) -> list[PlannedCall]:
        """The series' calls starting before ``before``, newest first."""
        rows = await self.db.fetchall(
            f"{_OCC} WHERE guild_id = ? AND series_id = ? AND starts_at < ? "
            "ORDER BY starts_at DESC, id DESC LIMIT ?",
            (guild_id, series_id, to_db(before), limit),
        )
        return [_occ(r) for r in rows]

    async def after(self, guild_id: int, series_id: int, when: datetime) -> list[PlannedCall]:
        rows = await self.db.fetchall(
            f"{_OCC} WHERE guild_id = ? AND series_id = ? AND starts_at > ? ORDER BY starts_at, id",
            (guild_id, series_id, to_db(when)),
        )
        return [_occ(r) for r in rows]

    async def between(self, guild_id: int, start: datetime, end: datetime) -> list[PlannedCall]:
        rows = await self.db.fetchall(
            f"{_OCC} WHERE guild_id = ? AND starts_at >= ? AND starts_at < ? "
            "ORDER BY starts_at, id",
            (guild_id, to_db(start), to_db(end)),
        )
        return [_occ(r) for r in rows]

    async def claim_notice(self, guild_id: int, occ_id: int, now: datetime) -> bool:
        """True for the one caller that claims the host notice (sent at most once)."""
        changed = await self.db.execute(
            "UPDATE call_occurrences SET notice_claimed_at = ? "
            "WHERE guild_id = ? AND id = ? AND notice_claimed_at IS NULL",
            (to_db(now), guild_id, occ_id),
        )
        return changed == 1

    async def record_notice(self, guild_id: int, occ_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE call_occurrences SET notice_sent_at = ? WHERE guild_id = ? AND id = ?",
            (to_db(now), guild_id, occ_id),
        )

    async def set_interested(self, guild_id: int, occ_id: int, count: int) -> None:
        await self.db.execute(
            "UPDATE call_occurrences SET interested = ? WHERE guild_id = ? AND id = ?",
            (count, guild_id, occ_id),
        )

    async def raise_peak(self, guild_id: int, occ_id: int, present: int) -> None:
        await self.db.execute(
            "UPDATE call_occurrences SET present_peak = MAX(COALESCE(present_peak, 0), ?) "
            "WHERE guild_id = ? AND id = ?",
            (present, guild_id, occ_id),
        )

    async def set_notes_message(self, guild_id: int, occ_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE call_occurrences SET notes_message_id = ? WHERE guild_id = ? AND id = ?",
            (message_id, guild_id, occ_id),
        )

    async def claim_notes(self, guild_id: int, occ_id: int, text: str, now: datetime) -> bool:
        """True for the one caller that claims the recap (posted at most once)."""
        changed = await self.db.execute(
            "UPDATE call_occurrences SET notes_claimed_at = ?, notes_text = ? "
            "WHERE guild_id = ? AND id = ? AND notes_claimed_at IS NULL "
            "AND notes_message_id IS NULL",
            (to_db(now), text, guild_id, occ_id),
        )
        return changed == 1

    async def unposted_notes(self) -> list[PlannedCall]:
        """Recaps claimed but not posted yet (a restart or a failure came between)."""
        rows = await self.db.fetchall(
            f"{_OCC} WHERE notes_claimed_at IS NOT NULL AND notes_message_id IS NULL ORDER BY id"
        )
        return [_occ(r) for r in rows]

    # -- hosts ------------------------------------------------------------

    async def hosts(self, guild_id: int, series_id: int) -> list[Host]:
        rows = await self.db.fetchall(
            "SELECT user_id, slot_id, signed_up_at FROM call_hosts "
            "WHERE guild_id = ? AND series_id = ? ORDER BY signed_up_at, user_id",
            (guild_id, series_id),
        )
        return [Host(r[0], r[1], from_db(r[2])) for r in rows]

    async def add_host(
        self, guild_id: int, series_id: int, slot_id: int, user_id: int, now: datetime
    ) -> bool:
        exists = await self.db.fetchval(
            "SELECT 1 FROM call_hosts WHERE slot_id = ? AND user_id = ?", (slot_id, user_id)
        )
        if exists is not None:
            return False
        await self.db.execute(
            "INSERT INTO call_hosts (guild_id, series_id, slot_id, user_id, signed_up_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (guild_id, series_id, slot_id, user_id, to_db(now)),
        )
        return True

    async def remove_host(self, guild_id: int, slot_id: int, user_id: int) -> bool:
        changed = await self.db.execute(
            "DELETE FROM call_hosts WHERE guild_id = ? AND slot_id = ? AND user_id = ?",
            (guild_id, slot_id, user_id),
        )
        return changed > 0

    # -- agenda -----------------------------------------------------------

    async def add_item(
        self,
        guild_id: int,
        series_id: int,
        author_id: int,
        text: str,
        now: datetime,
        *,
        for_slot_id: int | None = None,
        decision_of: int | None = None,
    ) -> AgendaItem:
        item_id = await self.db.execute(
            "INSERT INTO call_agenda (guild_id, series_id, author_id, text, added_at, "
            "for_slot_id, decision_of) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (guild_id, series_id, author_id, text, to_db(now), for_slot_id, decision_of),
        )
        return AgendaItem(
            item_id, guild_id, series_id, author_id, text, now, for_slot_id, decision_of, None
        )

    async def open_items(self, guild_id: int, series_id: int) -> list[AgendaItem]:
        rows = await self.db.fetchall(
            f"{_ITEM} WHERE guild_id = ? AND series_id = ? AND covered_in IS NULL ORDER BY id",
            (guild_id, series_id),
        )
        return [_item(r) for r in rows]

    async def cover(self, guild_id: int, item_ids: list[int], occ_id: int) -> None:
        for item_id in item_ids:
            await self.db.execute(
                "UPDATE call_agenda SET covered_in = ? WHERE guild_id = ? AND id = ? "
                "AND covered_in IS NULL",
                (occ_id, guild_id, item_id),
            )
