"""Office-hours sessions, reminder claims, settings and the figures for recaps and the digest.

The question queue is in storage.office_hours.queue; the rows both use are in
storage.office_hours.rows."""

from __future__ import annotations

import statistics
from datetime import datetime

from storage.database import Database, marks
from storage.office_hours.queue import QuestionRepository
from storage.office_hours.rows import (
    _QUESTION_COLUMNS,
    _SESSION_COLUMNS,
    NewSession,
    OfficeHoursFigures,
    OfficeHoursSettings,
    Session,
    _offsets_from_db,
    _offsets_to_db,
    _question,
    _session,
    wait_seconds,
)
from storage.timeutil import to_db

OFFICE_HOURS = "office_hours"
# Office hours' own lists, boards, history and figures leave out the calls' sessions.
_OURS = "origin = 'office_hours'"

# Each status change names the status it must come from, so two racing
# callers can't both win: the loser's UPDATE touches no row.
_SESSION_TRANSITIONS = {
    "live": ("scheduled", "started_at"),
    "ended": ("live", "ended_at"),
    "cancelled": ("scheduled", "ended_at"),
}


class OfficeHoursRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.questions = QuestionRepository(db)

    @property
    def db(self) -> Database:
        return self._db

    # -- settings ---------------------------------------------------------

    async def get_settings(self, guild_id: int) -> OfficeHoursSettings:
        row = await self._db.fetchone(
            "SELECT auto_start, auto_end, grace_minutes, reminder_offsets, reminder_role_id "
            "FROM oh_settings WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return OfficeHoursSettings(guild_id=guild_id)
        return OfficeHoursSettings(
            guild_id=guild_id,
            auto_start=bool(row["auto_start"]),
            auto_end=bool(row["auto_end"]),
            grace_minutes=row["grace_minutes"],
            reminder_offsets=_offsets_from_db(row["reminder_offsets"]),
            reminder_role_id=row["reminder_role_id"],
        )

    async def save_settings(self, settings: OfficeHoursSettings, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO oh_settings (guild_id, auto_start, auto_end, grace_minutes, "
            "reminder_offsets, reminder_role_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(guild_id) DO UPDATE SET auto_start = excluded.auto_start, "
            "auto_end = excluded.auto_end, grace_minutes = excluded.grace_minutes, "
            "reminder_offsets = excluded.reminder_offsets, "
            "reminder_role_id = excluded.reminder_role_id, updated_at = excluded.updated_at",
            (
                settings.guild_id,
                int(settings.auto_start),
                int(settings.auto_end),
                settings.grace_minutes,
                _offsets_to_db(settings.reminder_offsets),
                settings.reminder_role_id,
                to_db(now),
            ),
        )

    # -- sessions ---------------------------------------------------------

    async def insert_session(self, new: NewSession, now: datetime) -> Session:
        async with self._db.transaction():
            session_id = await self._db.execute(
                "INSERT INTO oh_sessions (guild_id, series_id, title, description, host_id, "
                "starts_at, ends_at, zone, repeat_spec, series_anchor, location_channel_id, "
                "location_kind, text_channel_id, event_id, status, created_at, origin) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)",
                (
                    new.guild_id,
                    new.series_id,
                    new.title,
                    new.description,
                    new.host_id,
                    to_db(new.starts_at),
                    to_db(new.ends_at),
                    new.zone,
                    new.repeat_spec,
                    to_db(new.series_anchor),
                    new.location_channel_id,
                    new.location_kind,
                    new.text_channel_id,
                    new.event_id,
                    to_db(now),
                    new.origin,
                ),
            )
            if new.series_id is None:
                await self._db.execute(
                    "UPDATE oh_sessions SET series_id = id WHERE guild_id = ? AND id = ?",
                    (new.guild_id, session_id),
                )
            session = await self.get_session(new.guild_id, session_id)
        assert session is not None
        return session

    async def get_session(self, guild_id: int, session_id: int) -> Session | None:
        row = await self._db.fetchone(
            f"SELECT {_SESSION_COLUMNS} FROM oh_sessions WHERE guild_id = ? AND id = ?",
            (guild_id, session_id),
        )
        return None if row is None else _session(row)

    async def sessions_with_status(
        self, guild_id: int, statuses: tuple[str, ...], origin: str | None = OFFICE_HOURS
    ) -> list[Session]:
        """``origin`` None: every session, calls' included (the jobs' rebuild)."""
        rows = await self._db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM oh_sessions WHERE guild_id = ? "
            f"AND status IN ({marks(statuses)}) AND (? IS NULL OR origin = ?) "
            "ORDER BY starts_at, id",
            (guild_id, *statuses, origin, origin),
        )
        return [_session(r) for r in rows]

    async def upcoming(self, guild_id: int, now: datetime, limit: int) -> list[Session]:
        """Live sessions and scheduled ones that haven't ended yet, soonest first."""
        rows = await self._db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM oh_sessions WHERE guild_id = ? "
            # Written as an IN so it seeks (guild_id, status, starts_at), as ask_target's does.
            "AND status IN ('live', 'scheduled') AND (status = 'live' OR ends_at > ?) "
            f"AND {_OURS} ORDER BY starts_at, id LIMIT ?",
            (guild_id, to_db(now), limit),
        )
        return [_session(r) for r in rows]

    async def upcoming_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[Session]:
        """Scheduled or live sessions starting in [start, end)."""
        rows = await self._db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM oh_sessions WHERE guild_id = ? "
            "AND status IN ('scheduled', 'live') AND starts_at >= ? AND starts_at < ? "
            f"AND {_OURS} ORDER BY starts_at, id",
            (guild_id, to_db(start), to_db(end)),
        )
        return [_session(r) for r in rows]

    async def past_sessions(self, guild_id: int, limit: int) -> list[Session]:
        rows = await self._db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM oh_sessions WHERE guild_id = ? AND status = 'ended' "
            f"AND {_OURS} ORDER BY started_at DESC, id DESC LIMIT ?",
            (guild_id, limit),
        )
        return [_session(r) for r in rows]

    async def series_sessions(self, guild_id: int, series_id: int) -> list[Session]:
        rows = await self._db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM oh_sessions WHERE guild_id = ? AND series_id = ? "
            "ORDER BY starts_at, id",
            (guild_id, series_id),
        )
        return [_session(r) for r in rows]

    async def guilds_with_active_sessions(self) -> list[int]:
        """Start-up scan: which guilds have sessions whose jobs must be rebuilt."""
        rows = await self._db.fetchall(
            "SELECT DISTINCT guild_id FROM oh_sessions WHERE status IN ('scheduled', 'live') "
            "ORDER BY guild_id"
        )
        return [r[0] for r in rows]

    async def count_sessions(self, guild_id: int) -> int:
        return int(
            await self._db.fetchval(
                "SELECT COUNT(*) FROM oh_sessions WHERE guild_id = ?", (guild_id,)
            )
        )

    async def set_event_id(self, guild_id: int, session_id: int, event_id: int | None) -> None:
        await self._db.execute(
            "UPDATE oh_sessions SET event_id = ? WHERE guild_id = ? AND id = ?",
            (event_id, guild_id, session_id),
        )

    async def set_host(self, guild_id: int, session_id: int, host_id: int) -> None:
        await self._db.execute(
            "UPDATE oh_sessions SET host_id = ? WHERE guild_id = ? AND id = ?",
            (host_id, guild_id, session_id),
        )

    async def set_board_message(self, guild_id: int, session_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE oh_sessions SET board_message_id = ? WHERE guild_id = ? AND id = ?",
            (message_id, guild_id, session_id),
        )

    async def set_recap_message(self, guild_id: int, session_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE oh_sessions SET recap_message_id = ? WHERE guild_id = ? AND id = ?",
            (message_id, guild_id, session_id),
        )

    async def _transition(self, guild_id: int, session_id: int, to: str, now: datetime) -> bool:
        source, stamp = _SESSION_TRANSITIONS[to]
        changed = await self._db.execute(
            f"UPDATE oh_sessions SET status = ?, {stamp} = ? "
            "WHERE guild_id = ? AND id = ? AND status = ?",
            (to, to_db(now), guild_id, session_id, source),
        )
        return changed == 1

    async def mark_live(self, guild_id: int, session_id: int, now: datetime) -> bool:
        """Scheduled -> live; False if it wasn't scheduled (someone else started it)."""
        return await self._transition(guild_id, session_id, "live", now)

    async def set_ends_at(self, guild_id: int, session_id: int, ends_at: datetime) -> None:
        await self._db.execute(
            "UPDATE oh_sessions SET ends_at = ? WHERE guild_id = ? AND id = ?",
            (to_db(ends_at), guild_id, session_id),
        )

    async def mark_ended(self, guild_id: int, session_id: int, now: datetime) -> bool:
        return await self._transition(guild_id, session_id, "ended", now)

    async def mark_cancelled(self, guild_id: int, session_id: int, now: datetime) -> bool:
        return await self._transition(guild_id, session_id, "cancelled", now)

    # -- reminders --------------------------------------------------------

    async def claim_reminder(
        self, guild_id: int, session_id: int, offset_minutes: int, now: datetime
    ) -> bool:
        """True if this call claimed it; False if it was claimed before (never send twice)."""
        # execute() returns lastrowid for INSERTs, which an ignored insert leaves
        # unchanged, so check and insert under one write lock instead.
        async with self._db.transaction():
            if await self.reminder_claimed(guild_id, session_id, offset_minutes):
                return False
            await self._db.execute(
                "INSERT INTO oh_reminders_sent (guild_id, session_id, offset_minutes, "
                "claimed_at) VALUES (?, ?, ?, ?)",
                (guild_id, session_id, offset_minutes, to_db(now)),
            )
        return True

    async def reminder_claimed(self, guild_id: int, session_id: int, offset_minutes: int) -> bool:
        value = await self._db.fetchval(
            "SELECT 1 FROM oh_reminders_sent WHERE guild_id = ? AND session_id = ? "
            "AND offset_minutes = ?",
            (guild_id, session_id, offset_minutes),
        )
        return value is not None

    async def record_reminder_message(
        self, guild_id: int, session_id: int, offset_minutes: int, message_id: int
    ) -> None:
        await self._db.execute(
            "UPDATE oh_reminders_sent SET message_id = ? WHERE guild_id = ? AND session_id = ? "
            "AND offset_minutes = ?",
            (message_id, guild_id, session_id, offset_minutes),
        )

    # -- figures ----------------------------------------------------------

    async def _figures(self, guild_id: int, sessions: list[Session]) -> OfficeHoursFigures:
        if not sessions:
            return OfficeHoursFigures(0, 0, 0, 0, 0, None, 0, [])
        started = {s.id: s.started_at for s in sessions}
        rows = await self._db.fetchall(
            f"SELECT {_QUESTION_COLUMNS} FROM oh_questions WHERE guild_id = ? "
            f"AND session_id IN ({marks(sessions)})",
            (guild_id, *started),
        )
        questions = [_question(r) for r in rows]
        waits = [
            w
            for q in questions
            if (w := wait_seconds(q, started.get(q.session_id))) is not None
            and q.outcome != "carried"
        ]
        # An unhosted call's session holds host 0 (no host yet): not a host.
        hosts = {s.host_id for s in sessions if not (s.origin == "call" and s.host_id == 0)} | {
            q.host_id for q in questions if q.host_id is not None and q.outcome == "answered"
        }
        return OfficeHoursFigures(
            sessions_held=len(sessions),
            # A carried-over question was already counted where it was first asked.
            asked=sum(1 for q in questions if q.carried_from is None),
            answered=sum(1 for q in questions if q.outcome == "answered"),
            skipped=sum(1 for q in questions if q.outcome == "skipped"),
            carried_over=sum(1 for q in questions if q.outcome == "carried"),
            median_wait_seconds=statistics.median(waits) if waits else None,
            unique_askers=len({q.user_id for q in questions}),
            host_ids=sorted(hosts),
        )

    async def session_figures(self, session: Session) -> OfficeHoursFigures:
        return await self._figures(session.guild_id, [session])

    async def digest_figures(
        self, guild_id: int, start: datetime, end: datetime
    ) -> OfficeHoursFigures:
        """Figures for sessions held (started and ended) with a start in [start, end)."""
        rows = await self._db.fetchall(
            f"SELECT {_SESSION_COLUMNS} FROM oh_sessions WHERE guild_id = ? AND status = 'ended' "
            f"AND started_at >= ? AND started_at < ? AND {_OURS} ORDER BY started_at",
            (guild_id, to_db(start), to_db(end)),
        )
        return await self._figures(guild_id, [_session(r) for r in rows])
