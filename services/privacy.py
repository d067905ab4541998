"""A member's own data: export it, erase it; and the daily prune of old activity metrics.

Run in a server, export and forget cover only that server: each community's data is its
own, and one server must never see another's. Run in a DM with the bot (``guild_id`` None),
they cover every server that holds the member's id, which is how someone who already left
a server, and so can't run commands there, still gets their data out or erased.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.errors import Conflict, InvalidInput, NotAllowed
from services.time.clock import Clock
from storage.privacy import (
    DEFAULT_RETENTION_DAYS,
    FORMER_MEMBER,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    ForgetResult,
    PrivacyRepository,
    PruneRun,
    UserData,
)

log = logging.getLogger(__name__)

EXPORT_FORMAT = "hallway-export"
EXPORT_VERSION = 1
# How long the "Forget me" button stays valid. The button carries its own expiry, so
# it survives a restart inside this window and expires cleanly after it.
CONFIRM_SECONDS = 5 * 60
# Discord refuses bot uploads over 10 MiB; a years-long history is gzipped (JSON shrinks ~10x).
MAX_PLAIN_EXPORT = 8 * 1024 * 1024
# The daily prune runs just after midnight UTC, when a new UTC day of counters begins.
PRUNE_AT = time(0, 10, tzinfo=UTC)

SECTION_TITLES = {
    "office_hours_questions": "office-hours questions you asked",
    "office_hours_hosted_sessions": "office-hours sessions you host",
    "office_hours_questions_taken": "questions you answered as a host",
    "feedback_reported": "feedback items you reported",
    "feedback_also_reported": "feedback items you also reported",
    "feedback_captured_for_others": "feedback you captured for others",
    "feedback_votes": "feedback votes",
    "feedback_status_changes": "feedback status changes you made",
    "feedback_tag_corrections": "feedback tag corrections you made",
    "announcements_authored": "announcements you wrote",
    "announcement_drafts": "unfinished announcement drafts",
    "activity_days": "days of activity counts",
    "member_settings": "your own settings (time zone)",
    "hallway_profile": "your hallway track answers",
    "hallway_never_list": "people on your hallway never list",
    "hallway_groups": "hallway groups you were in",
    "hallway_sat_out": "hallway rounds you sat out",
    "survey_answers": "answers to attributed surveys",
    "surveys_created": "surveys and polls you created",
    "survey_reminders": "survey reminders sent to you",
    "help_channel_posts": "help-channel posts waiting or answered (ids and times)",
}


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


@dataclass(frozen=True)
class Forgotten:
    guilds: list[int]
    deleted: int
    anonymised: int
    # (guild_id, session_id) of live or upcoming queues that lost a question.
    boards: list[tuple[int, int]]


@dataclass(frozen=True)
class RetentionInfo:
    days: int
    last_prune: PruneRun | None
    deleted_now: int = 0


def describe_counts(counts: dict[str, int]) -> list[str]:
    """'feedback votes: 3' lines for the sections that hold anything."""
    return [f"{SECTION_TITLES.get(name, name)}: {n}" for name, n in counts.items() if n]


def _totals(per_guild: Iterable[dict[str, int]]) -> dict[str, int]:
    """Counts summed over guilds, with every section present."""
    totals: dict[str, int] = dict.fromkeys(SECTION_TITLES, 0)
    for counts in per_guild:
        for name, n in counts.items():
            totals[name] = totals.get(name, 0) + n
    return totals


class PrivacyService:
    def __init__(
        self,
        repo: PrivacyRepository,
        clock: Clock,
        *,
        before_read: Callable[[], Awaitable[Any]] | None = None,
        after_forget: Callable[[int, int], Any] | None = None,
    ) -> None:
        self.repo = repo
        self.clock = clock
        # Queued writes (activity counters, a capture's index terms) land first, so an
        # export is complete and a forget can't be followed by a late write of the member's.
        self._before_read = before_read
        # Told each guild and member erased, so in-memory copies can be dropped.
        self._after_forget = after_forget

    async def _flush(self) -> None:
        if self._before_read is not None:
            await self._before_read()

    # ------------------------------------------------------------------ export

    async def collect(self, guild_id: int, user_id: int) -> UserData:
        await self._flush()
        return await self.repo.collect(guild_id, user_id)

    async def scope(self, guild_id: int | None, user_id: int) -> list[int]:
        """The guilds a request covers: the one it was made in, or (by DM) every one."""
        if guild_id is None:
            await self._flush()
        return await self._scope(guild_id, user_id)

    async def _scope(self, guild_id: int | None, user_id: int) -> list[int]:
        """scope() for callers that have already flushed."""
        if guild_id is not None:
            return [guild_id]
        # A member who left a server can't run commands there; by DM they still can.
        return await self.repo.guilds_holding(user_id)

    async def _gather(self, guild_id: int | None, user_id: int) -> list[tuple[int, UserData]]:
        """Each guild in the request's scope with the member's data there, after one flush."""
        await self._flush()
        return [
            (gid, await self.repo.collect(gid, user_id))
            for gid in await self._scope(guild_id, user_id)
        ]

    async def counts(self, guild_id: int | None, user_id: int) -> dict[str, int]:
        """Totals per kind of data over the request's scope."""
        gathered = await self._gather(guild_id, user_id)
        return _totals(data.counts() for _, data in gathered)

    async def export(
        self,
        guild_id: int | None,
        user_id: int,
        *,
        guild_name: Callable[[int], str] = str,
    ) -> Export:
        """The JSON document for this server, or for every server when asked by DM."""
        now = self.clock.now()
        servers: list[dict[str, Any]] = [
            {
                "guild_id": gid,
                "guild_name": guild_name(gid),
                "counts": data.counts(),
                "data": data.sections(),
            }
            for gid, data in await self._gather(guild_id, user_id)
        ]
        totals = _totals(server["counts"] for server in servers)
        document = {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "generated_at": now.isoformat(),
            "user_id": user_id,
            "scope": "server" if guild_id is not None else "every server",
            "about": (
                "Everything Hallway stores about you, per server. Times are UTC. Activity is "
                "counted per day (message counts only, never message text). Erase it with "
                "/privacy forget (in a server: that server; in a DM with Hallway: every server)."
            ),
            "counts": totals,
            "servers": servers,
        }
        content = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode()
        where = guild_id if guild_id is not None else "all"
        filename = f"hallway-export-{where}-{now:%Y%m%d}.json"
        if len(content) > MAX_PLAIN_EXPORT:
            content = gzip.compress(content, mtime=0)
            filename += ".gz"
        return Export(filename, content, totals)

    # ------------------------------------------------------------------ forget

    def confirmation_expiry(self) -> datetime:
        return self.clock.now() + timedelta(seconds=CONFIRM_SECONDS)

    def check_owner(self, owner_id: int, clicker_id: int) -> None:
        if clicker_id != owner_id:
            raise NotAllowed(
                "This button belongs to someone else's request. To erase your own data, "
                "run `/privacy forget` yourself."
            )

    def check_confirmation(self, owner_id: int, clicker_id: int, expires_at: datetime) -> None:
        """Only the member who asked, and only before the button expires."""
        self.check_owner(owner_id, clicker_id)
        if self.clock.now() > expires_at:
            raise Conflict(
                "This confirmation expired, so nothing was erased. "
                "Run `/privacy forget` again if you still want to."
            )

    async def forget(self, guild_id: int | None, user_id: int) -> Forgotten:
        """Erase the member's data here, or (asked by DM) in every server that holds it."""
        await self._flush()
        guilds = await self._scope(guild_id, user_id)
        deleted = anonymised = 0
        boards: list[tuple[int, int]] = []
        for gid in guilds:
            result: ForgetResult = await self.repo.forget(gid, user_id)
            deleted += sum(result.deleted.values())
            anonymised += sum(result.anonymised.values()) + result.text_scrubbed
            boards += [(gid, session_id) for session_id in result.sessions_changed]
            if self._after_forget is not None:
                self._after_forget(gid, user_id)
            # No id in the log: the point is that it's gone.
            log.info(
                "Forgot a member in guild %s: %d rows deleted, %d anonymised",
                gid,
                sum(result.deleted.values()),
                sum(result.anonymised.values()) + result.text_scrubbed,
            )
        return Forgotten(guilds, deleted, anonymised, boards)

    # ------------------------------------------------------------------ retention

    async def retention(self, guild_id: int) -> RetentionInfo:
        return RetentionInfo(await self.repo.retention_days(guild_id), await self.repo.last_prune())

    async def set_retention(self, guild_id: int, days: int) -> RetentionInfo:
        if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
            raise InvalidInput(
                f"Keep activity for {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days "
                f"(you gave {days}). The default is {DEFAULT_RETENTION_DAYS}."
            )
        await self.repo.set_retention_days(guild_id, days, self.clock.now())
        # A shorter period applies at once rather than at the next daily run.
        await self._flush()
        deleted = await self.repo.prune_activity(guild_id, self._keep_from(days))
        info = await self.retention(guild_id)
        return RetentionInfo(info.days, info.last_prune, deleted)

    def _keep_from(self, days: int) -> date:
        """The oldest UTC day kept: ``days`` whole days, today included."""
        return self.clock.now().astimezone(UTC).date() - timedelta(days=days - 1)

    def next_prune_at(self, after: datetime | None = None) -> datetime:
        """The next daily run strictly after ``after`` (default: now)."""
        after = (after or self.clock.now()).astimezone(UTC)
        candidate = datetime.combine(after.date(), PRUNE_AT)
        if candidate <= after:
            candidate += timedelta(days=1)
        return candidate

    async def prune(self) -> int:
        """Delete activity counters older than each guild's retention; returns rows deleted."""
        await self._flush()
        now = self.clock.now()
        total = 0
        for guild_id in await self.repo.activity_guilds():
            days = await self.repo.retention_days(guild_id)
            total += await self.repo.prune_activity(guild_id, self._keep_from(days))
        await self.repo.record_prune(now.astimezone(UTC).date(), now, total)
        log.info("Pruned %d activity rows past their retention", total)
        return total


__all__ = [
    "CONFIRM_SECONDS",
    "FORMER_MEMBER",
    "Export",
    "Forgotten",
    "PrivacyService",
    "RetentionInfo",
    "describe_counts",
]
