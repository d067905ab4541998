"""GitHub follow-up: each guild's repository, item links to issues, and the poll's state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.database import Database
from storage.timeutil import maybe_from_db, maybe_to_db, to_db


@dataclass(frozen=True)
class RepoConfig:
    guild_id: int
    owner: str
    name: str
    ship_on: str  # close | release
    notice_channel_id: int | None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True)
class IssueLink:
    guild_id: int
    item_id: int
    owner: str
    name: str
    number: int
    kind: str  # issue | pull
    observed: str | None
    phase: str  # following | waiting-release | done | gone
    closed_at: datetime | None
    told_gone: bool

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.name}#{self.number}"


@dataclass(frozen=True)
class PollState:
    next_poll_at: datetime | None
    paused_at: datetime | None
    paused_reason: str | None


_LINK_COLUMNS = (
    "guild_id, item_id, account, name, number, kind, observed, phase, closed_at, told_gone"
)


def _link(r: Any) -> IssueLink:
    return IssueLink(
        guild_id=r["guild_id"],
        item_id=r["item_id"],
        owner=r["account"],
        name=r["name"],
        number=r["number"],
        kind=r["kind"],
        observed=r["observed"],
        phase=r["phase"],
        closed_at=maybe_from_db(r["closed_at"]),
        told_gone=bool(r["told_gone"]),
    )


class GitHubRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ repositories

    async def set_repo(
        self,
        guild_id: int,
        owner: str,
        name: str,
        ship_on: str,
        notice_channel_id: int | None,
        now: datetime,
    ) -> None:
        await self._db.execute(
            "INSERT INTO github_repos (guild_id, account, name, ship_on, notice_channel_id, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET "
            "account = excluded.account, name = excluded.name, ship_on = excluded.ship_on, "
            "notice_channel_id = excluded.notice_channel_id, updated_at = excluded.updated_at",
            (guild_id, owner, name, ship_on, notice_channel_id, to_db(now)),
        )

    async def repo(self, guild_id: int) -> RepoConfig | None:
        row = await self._db.fetchone(
            "SELECT guild_id, account, name, ship_on, notice_channel_id FROM github_repos "
            "WHERE guild_id = ?",
            (guild_id,),
        )
        if row is None:
            return None
        return RepoConfig(row[0], row[1], row[2], row[3], row[4])

    async def all_repos(self) -> list[RepoConfig]:
        rows = await self._db.fetchall(
            "SELECT guild_id, account, name, ship_on, notice_channel_id FROM github_repos "
            "ORDER BY guild_id"
        )
        return [RepoConfig(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    # ------------------------------------------------------------------ links

    async def set_link(
        self,
        guild_id: int,
        item_id: int,
        owner: str,
        name: str,
        number: int,
        kind: str,
        now: datetime,
    ) -> None:
        """Link (or re-link) an item; a new issue starts unobserved, so the next poll acts."""
        await self._db.execute(
            "INSERT INTO github_links (guild_id, item_id, account, name, number, kind, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(guild_id, item_id) DO UPDATE SET "
            "account = excluded.account, name = excluded.name, number = excluded.number, "
            "kind = excluded.kind, observed = NULL, phase = 'following', closed_at = NULL, "
            "told_gone = 0",
            (guild_id, item_id, owner, name, number, kind, to_db(now)),
        )

    async def remove_link(self, guild_id: int, item_id: int) -> None:
        await self._db.execute(
            "DELETE FROM github_links WHERE guild_id = ? AND item_id = ?", (guild_id, item_id)
        )

    async def link(self, guild_id: int, item_id: int) -> IssueLink | None:
        row = await self._db.fetchone(
            f"SELECT {_LINK_COLUMNS} FROM github_links WHERE guild_id = ? AND item_id = ?",
            (guild_id, item_id),
        )
        return _link(row) if row is not None else None

    async def links_to_follow(self) -> list[IssueLink]:
        """Every guild's links still worth polling (all guilds: the token is the bot's)."""
        rows = await self._db.fetchall(
            f"SELECT {_LINK_COLUMNS} FROM github_links WHERE phase != 'gone' "
            "ORDER BY account, name, number, guild_id, item_id"
        )
        return [_link(r) for r in rows]

    async def links_to_issue(
        self, guild_id: int, owner: str, name: str, number: int
    ) -> list[IssueLink]:
        rows = await self._db.fetchall(
            f"SELECT {_LINK_COLUMNS} FROM github_links WHERE guild_id = ? AND account = ? "
            "AND name = ? AND number = ? ORDER BY item_id",
            (guild_id, owner, name, number),
        )
        return [_link(r) for r in rows]

    async def record(
        self,
        guild_id: int,
        item_id: int,
        *,
        observed: str,
        phase: str,
        closed_at: datetime | None,
    ) -> None:
        await self._db.execute(
            "UPDATE github_links SET observed = ?, phase = ?, closed_at = ? "
            "WHERE guild_id = ? AND item_id = ?",
            (observed, phase, maybe_to_db(closed_at), guild_id, item_id),
        )

    async def move_link(
        self, guild_id: int, item_id: int, owner: str, name: str, number: int
    ) -> None:
        """The issue was transferred: follow it where it went, keeping what was observed."""
        await self._db.execute(
            "UPDATE github_links SET account = ?, name = ?, number = ? "
            "WHERE guild_id = ? AND item_id = ?",
            (owner, name, number, guild_id, item_id),
        )

    async def mark_gone(self, guild_id: int, item_id: int) -> None:
        await self._db.execute(
            "UPDATE github_links SET phase = 'gone', told_gone = 1 "
            "WHERE guild_id = ? AND item_id = ?",
            (guild_id, item_id),
        )

    # ------------------------------------------------------------------ poll state

    async def poll_state(self) -> PollState:
        row = await self._db.fetchone(
            "SELECT next_poll_at, paused_at, paused_reason FROM github_poll WHERE id = 1"
        )
        if row is None:
            return PollState(None, None, None)
        return PollState(maybe_from_db(row[0]), maybe_from_db(row[1]), row[2])

    async def set_next_poll(self, when: datetime) -> None:
        await self._db.execute(
            "INSERT INTO github_poll (id, next_poll_at) VALUES (1, ?) "
            "ON CONFLICT(id) DO UPDATE SET next_poll_at = excluded.next_poll_at",
            (to_db(when),),
        )

    async def pause(self, when: datetime, reason: str) -> bool:
        """Pause the poll; False if it was already paused (so nobody is told twice)."""
        async with self._db.transaction():
            row = await self._db.fetchone("SELECT paused_at FROM github_poll WHERE id = 1")
            if row is not None and row[0] is not None:
                return False
            await self._db.execute(
                "INSERT INTO github_poll (id, paused_at, paused_reason) VALUES (1, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET paused_at = excluded.paused_at, "
                "paused_reason = excluded.paused_reason",
                (to_db(when), reason),
            )
        return True

    async def resume(self) -> None:
        await self._db.execute(
            "UPDATE github_poll SET paused_at = NULL, paused_reason = NULL WHERE id = 1"
        )

    # ------------------------------------------------------------------ notices

    async def claim_notice(self, guild_id: int, key: str, now: datetime) -> bool:
        """True the first time only: a notice is claimed before it is sent."""
        async with self._db.transaction():
            seen = await self._db.fetchone(
                "SELECT 1 FROM github_notices WHERE guild_id = ? AND key = ?", (guild_id, key)
            )
            if seen is not None:
                return False
            await self._db.execute(
                "INSERT INTO github_notices (guild_id, key, created_at) VALUES (?, ?, ?)",
                (guild_id, key, to_db(now)),
            )
        return True

    # ------------------------------------------------------------------ conditional requests

    async def load_etags(self) -> dict[str, tuple[str | None, str | None, Any, str | None]]:
        rows = await self._db.fetchall(
            "SELECT url, etag, last_modified, data, next_url FROM github_etags"
        )
        return {r[0]: (r[1], r[2], json.loads(r[3]), r[4]) for r in rows}

    async def save_etags(
        self,
        entries: dict[str, tuple[str | None, str | None, Any, str | None]],
        keep: set[str],
        now: datetime,
    ) -> None:
        """Write the changed entries; drop the ones for URLs no longer followed."""
        async with self._db.transaction():
            await self._db.executemany(
                "INSERT INTO github_etags (url, etag, last_modified, data, next_url, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, data = excluded.data, "
                "next_url = excluded.next_url, updated_at = excluded.updated_at",
                [
                    (url, e[0], e[1], json.dumps(e[2]), e[3], to_db(now))
                    for url, e in entries.items()
                ],
            )
            rows = await self._db.fetchall("SELECT url FROM github_etags")
            stale = [(r[0],) for r in rows if r[0] not in keep]
            await self._db.executemany("DELETE FROM github_etags WHERE url = ?", stale)
