"""Activity counters, batched in memory and written every few seconds.

Message handling only bumps dictionaries here; the database sees one batch per
flush (one executemany per table). A crash loses at most one flush window, which
is fine for weekly trends and keeps metrics off the hot path. Whoever drives the
flushes (the activity cog's timer) is told through ``on_pending`` when counters
are waiting, so an idle bot runs no timer at all.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from services.time.clock import Clock
from storage.activity import ActivityRepository

log = logging.getLogger(__name__)


def utc_day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


class ActivityRecorder:
    def __init__(
        self,
        repo: ActivityRepository,
        clock: Clock,
        *,
        on_pending: Callable[[], None] | None = None,
    ) -> None:
        self._repo = repo
        self._clock = clock
        self.on_pending = on_pending
        self._channels: Counter[tuple[int, str, int]] = Counter()
        self._members: Counter[tuple[int, str, int]] = Counter()
        self._joins: Counter[tuple[int, str]] = Counter()
        self._leaves: Counter[tuple[int, str]] = Counter()
        # (guild_id, day, user_id) of members active without writing a message.
        self._active: set[tuple[int, str, int]] = set()
        # Milestones (first join, first message) by (guild_id, user_id): the earliest time
        # this window; written with the counters, and only where none is stored yet.
        self._joined_at: dict[tuple[int, int], datetime] = {}
        self._first_message: dict[tuple[int, int], datetime] = {}

    @property
    def pending(self) -> int:
        """How many counters wait for the next flush."""
        return (
            len(self._channels)
            + len(self._members)
            + len(self._joins)
            + len(self._leaves)
            + len(self._active)
        )

    def message(self, guild_id: int, channel_id: int, user_id: int) -> None:
        now = self._clock.now()
        day = utc_day(now)
        self._channels[(guild_id, day, channel_id)] += 1
        self._members[(guild_id, day, user_id)] += 1
        self._first_message.setdefault((guild_id, user_id), now)
        self._request_flush()

    def interaction(self, guild_id: int, user_id: int) -> None:
        """A slash command, button or form submitted to Hallway."""
        self._mark_active(guild_id, user_id)

    def reaction(self, guild_id: int, user_id: int) -> None:
        self._mark_active(guild_id, user_id)

    def voice_joined(self, guild_id: int, user_id: int) -> None:
        """Joined a voice or stage channel (office hours on stage, a call)."""
        self._mark_active(guild_id, user_id)

    def _mark_active(self, guild_id: int, user_id: int) -> None:
        key = (guild_id, utc_day(self._clock.now()), user_id)
        if key not in self._active:
            self._active.add(key)
            self._request_flush()

    def forget_pending(self, guild_id: int, user_id: int) -> None:
        """Drop a member's counters not yet written (their data was just erased)."""
        for key in [k for k in self._members if k[0] == guild_id and k[2] == user_id]:
            del self._members[key]
        self._active = {k for k in self._active if not (k[0] == guild_id and k[2] == user_id)}
        self._joined_at.pop((guild_id, user_id), None)
        self._first_message.pop((guild_id, user_id), None)

    def member_joined(self, guild_id: int, user_id: int | None = None) -> None:
        now = self._clock.now()
        self._joins[(guild_id, utc_day(now))] += 1
        if user_id is not None:
            self._joined_at.setdefault((guild_id, user_id), now)
        self._request_flush()

    def member_left(self, guild_id: int) -> None:
        self._leaves[(guild_id, utc_day(self._clock.now()))] += 1
        self._request_flush()

    def _request_flush(self) -> None:
        if self.on_pending is not None:
            self.on_pending()

    async def flush(self) -> int:
        """Write everything pending; returns how many counters were written."""
        channels, self._channels = self._channels, Counter()
        members, self._members = self._members, Counter()
        joins, self._joins = self._joins, Counter()
        leaves, self._leaves = self._leaves, Counter()
        active, self._active = self._active, set()
        joined_at, self._joined_at = self._joined_at, {}
        first_message, self._first_message = self._first_message, {}
        guild_days = set(joins) | set(leaves)
        written = len(channels) + len(members) + len(guild_days) + len(active)
        if not written:
            return 0
        if not self._repo.available:
            # Shutting down after the database closed: like a crash, one window is lost.
            log.warning("Database closed: %d activity counters not written", written)
            return 0
        try:
            await self._repo.add_counts(
                [(g, d, c, n) for (g, d, c), n in channels.items()],
                [(g, d, u, n) for (g, d, u), n in members.items()],
                [(g, d, joins[(g, d)], leaves[(g, d)]) for (g, d) in sorted(guild_days)],
                sorted(active),
                milestones=_milestones(joined_at, first_message),
            )
        except Exception:
            # Keep the counts for the next attempt rather than dropping a window.
            log.exception("Could not write %d activity counters; will retry", written)
            self._channels.update(channels)
            self._members.update(members)
            self._joins.update(joins)
            self._leaves.update(leaves)
            self._active.update(active)
            for key, at in joined_at.items():
                self._joined_at.setdefault(key, at)
            for key, at in first_message.items():
                self._first_message.setdefault(key, at)
            self._request_flush()
            return 0
        return written


def _milestones(
    joined_at: dict[tuple[int, int], datetime], first_message: dict[tuple[int, int], datetime]
) -> list[tuple[int, int, datetime | None, datetime | None]]:
    keys = sorted(set(joined_at) | set(first_message))
    return [(g, u, joined_at.get((g, u)), first_message.get((g, u))) for g, u in keys]
