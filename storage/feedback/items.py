"""Feedback items, their tags, votes, history and product areas.

The TF-IDF term index is in ``storage.feedback.index``; the tag vocabulary and what the
tagger learns (custom tags, corrections, the Bayes counts) are in ``storage.feedback.tags``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.database import Database, marks
from storage.feedback.index import (
    OPEN_SQL,
    OPEN_STATUSES,
    Candidates,
    FeedbackIndexRepository,
    candidates_lookup,
    parse_candidates,
)
from storage.timeutil import from_db, to_db

# Sets an item's vote count from its votes, for statements that moved or deleted some.
RECOUNT_VOTES = (
    "UPDATE feedback_items SET votes = (SELECT count(*) FROM feedback_votes v "
    "WHERE v.item_id = feedback_items.id)"
)


class AlreadyCaptured(Exception):
    """Another capture of the same message won the race; ``item_id`` is its item."""

    def __init__(self, item_id: int) -> None:
        super().__init__(f"message already captured as item {item_id}")
        self.item_id = item_id


@dataclass
class NewItem:
    guild_id: int
    summary: str
    details: str
    product_area: str | None
    source: str
    reporter_id: int
    reporter_name: str
    captured_by_id: int
    channel_id: int | None
    message_id: int | None
    source_url: str | None
    attachments: list[str]
    fields: dict[str, Any]
    created_at: datetime


@dataclass
class FeedbackItem:
    id: int
    guild_id: int
    summary: str
    details: str
    product_area: str | None
    status: str
    source: str
    reporter_id: int
    reporter_name: str
    captured_by_id: int
    channel_id: int | None
    message_id: int | None
    source_url: str | None
    attachments: list[str]
    fields: dict[str, Any]
    link_url: str | None
    duplicate_of: int | None
    votes: int
    forum_thread_id: int | None
    created_at: datetime
    updated_at: datetime
    # (tag, score, source), best first
    tags: list[tuple[str, float, str]] = field(default_factory=list)

    @property
    def tag_names(self) -> list[str]:
        return [t for t, _, _ in self.tags]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class HistoryEntry:
    status: str
    actor_id: int
    note: str
    created_at: datetime


@dataclass(frozen=True)
class Reporter:
    user_id: int
    display_name: str


@dataclass(frozen=True)
class ItemSummary:
    id: int
    summary: str
    status: str
    votes: int
    created_at: datetime


@dataclass
class FeedbackFigures:
    """What the weekly digest shows about feedback."""

    new_items: int
    tag_counts: dict[str, int]
    prev_tag_counts: dict[str, int]
    top_open: list[tuple[int, str, int]]  # (id, summary, votes), the 3 most-voted open
    shipped: list[tuple[int, str, list[str]]]  # (id, summary, reporter display names)
    # id -> the shipped item's linked issue (or release notes come in its history)
    shipped_links: dict[int, str] = field(default_factory=dict)


_ITEM_COLUMNS = (
    "id, guild_id, summary, details, product_area, status, source, reporter_id, reporter_name, "
    "captured_by_id, channel_id, message_id, source_url, attachments, fields, link_url, "
    "duplicate_of, votes, forum_thread_id, created_at, updated_at"
)


def _item(row: Any) -> FeedbackItem:
    return FeedbackItem(
        id=row["id"],
        guild_id=row["guild_id"],
        summary=row["summary"],
        details=row["details"],
        product_area=row["product_area"],
        status=row["status"],
        source=row["source"],
        reporter_id=row["reporter_id"],
        reporter_name=row["reporter_name"],
        captured_by_id=row["captured_by_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        source_url=row["source_url"],
        attachments=list(json.loads(row["attachments"])),
        fields=dict(json.loads(row["fields"])),
        link_url=row["link_url"],
        duplicate_of=row["duplicate_of"],
        votes=row["votes"],
        forum_thread_id=row["forum_thread_id"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


def item_from_new(
    item_id: int, new: NewItem, tags: Sequence[tuple[str, float, str]]
) -> FeedbackItem:
    """The stored item as ``create_item`` wrote it, without reading it back."""
    return FeedbackItem(
        id=item_id,
        guild_id=new.guild_id,
        summary=new.summary,
        details=new.details,
        product_area=new.product_area,
        status="new",
        source=new.source,
        reporter_id=new.reporter_id,
        reporter_name=new.reporter_name,
        captured_by_id=new.captured_by_id,
        channel_id=new.channel_id,
        message_id=new.message_id,
        source_url=new.source_url,
        attachments=list(new.attachments),
        fields=dict(new.fields),
        link_url=None,
        duplicate_of=None,
        votes=1,
        forum_thread_id=None,
        created_at=new.created_at,
        updated_at=new.created_at,
        tags=sorted(tags, key=lambda t: (-t[1], t[0])),
    )


class FeedbackRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.index = FeedbackIndexRepository(db)

    @property
    def database_path(self) -> str:
        """The file a worker process opens to read the same rows (``:memory:`` it can't)."""
        return self._db.path

    # ------------------------------------------------------------------ items

    async def create_item(
        self,
        item: NewItem,
        tags: Sequence[tuple[str, float, str]],
        terms: Mapping[str, int],
    ) -> int:
        """An item with its tags and index terms, nothing left pending."""
        item_id, _ = await self.create_item_finding_similar(item, tags, (), limit=0)
        await self.index.write_terms(item.guild_id, item_id, terms)
        return item_id

    async def create_item_finding_similar(
        self,
        item: NewItem,
        tags: Sequence[tuple[str, float, str]],
        similar_terms: Sequence[str],
        *,
        limit: int,
    ) -> tuple[int, Candidates]:
        """Insert an item with its tags, and read the open items that share most of
        ``similar_terms`` as they were just before it (so it is not its own candidate).

        All of it is one statement through the ``feedback_capture`` view (migrations 0007,
        0009): atomic on its own, and one round trip to the SQLite thread. Triggers (0003)
        add the reporter, the reporter's vote, the "new" history entry and the item count;
        the item is left pending in ``feedback_index_pending`` until ``write_terms``.
        """
        lookup, lookup_params = "NULL", ()
        if similar_terms and limit > 0:
            lookup, lookup_params = candidates_lookup(
                item.guild_id, similar_terms, open_only=True, limit=limit
            )
        try:
            rows = await self._db.fetchall(
                "INSERT INTO feedback_capture (id, guild_id, summary, details, product_area, "
                "source, reporter_id, reporter_name, captured_by_id, channel_id, message_id, "
                "source_url, attachments, fields, created_at, tags, candidates) "
                "VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM feedback_items), "
                f"?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {lookup}) "
                "RETURNING id, candidates",
                (
                    item.guild_id,
                    item.summary,
                    item.details,
                    item.product_area,
                    item.source,
                    item.reporter_id,
                    item.reporter_name,
                    item.captured_by_id,
                    item.channel_id,
                    item.message_id,
                    item.source_url,
                    json.dumps(item.attachments),
                    json.dumps(item.fields, sort_keys=True),
                    to_db(item.created_at),
                    json.dumps(tags),
                    *lookup_params,
                ),
            )
        except sqlite3.IntegrityError:
            if item.message_id is None:
                raise
            existing = await self._db.fetchval(
                "SELECT id FROM feedback_items WHERE guild_id = ? AND message_id = ?",
                (item.guild_id, item.message_id),
            )
            if existing is None:
                raise
            raise AlreadyCaptured(existing) from None
        return int(rows[0][0]), parse_candidates(rows[0][1])

    async def get(self, guild_id: int, item_id: int) -> FeedbackItem | None:
        row = await self._db.fetchone(
            f"SELECT {_ITEM_COLUMNS} FROM feedback_items WHERE guild_id = ? AND id = ?",
            (guild_id, item_id),
        )
        if row is None:
            return None
        item = _item(row)
        item.tags = await self.tags_of(guild_id, item_id)
        return item

    async def by_message(self, guild_id: int, message_id: int) -> FeedbackItem | None:
        item_id = await self._db.fetchval(
            "SELECT id FROM feedback_items WHERE guild_id = ? AND message_id = ?",
            (guild_id, message_id),
        )
        return None if item_id is None else await self.get(guild_id, item_id)

    async def tags_of(self, guild_id: int, item_id: int) -> list[tuple[str, float, str]]:
        rows = await self._db.fetchall(
            "SELECT tag, score, source FROM feedback_tags WHERE guild_id = ? AND item_id = ? "
            "ORDER BY score DESC, tag",
            (guild_id, item_id),
        )
        return [(r["tag"], r["score"], r["source"]) for r in rows]

    async def set_forum_thread(self, guild_id: int, item_id: int, thread_id: int) -> None:
        await self._db.execute(
            "UPDATE feedback_items SET forum_thread_id = ? WHERE guild_id = ? AND id = ?",
            (thread_id, guild_id, item_id),
        )

    async def set_link(self, guild_id: int, item_id: int, url: str, now: datetime) -> None:
        await self._db.execute(
            "UPDATE feedback_items SET link_url = ?, updated_at = ? WHERE guild_id = ? AND id = ?",
            (url, to_db(now), guild_id, item_id),
        )

    async def autocomplete(self, guild_id: int, text: str, limit: int = 25) -> list[ItemSummary]:
        text = text.strip().lstrip("#")
        if text.isdigit():
            rows = await self._db.fetchall(
                "SELECT id, summary, status, votes, created_at FROM feedback_items "
                "WHERE guild_id = ? AND CAST(id AS TEXT) LIKE ? ORDER BY id DESC LIMIT ?",
                (guild_id, f"{text}%", limit),
            )
        elif text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = await self._db.fetchall(
                "SELECT id, summary, status, votes, created_at FROM feedback_items "
                "WHERE guild_id = ? AND summary LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
                (guild_id, f"%{escaped}%", limit),
            )
        else:
            rows = await self._db.fetchall(
                "SELECT id, summary, status, votes, created_at FROM feedback_items "
                "WHERE guild_id = ? ORDER BY id DESC LIMIT ?",
                (guild_id, limit),
            )
        return [_summary(r) for r in rows]

    async def list_items(
        self,
        guild_id: int,
        *,
        tag: str | None,
        status: str | None,
        sort: str,
        offset: int,
        limit: int,
    ) -> tuple[list[ItemSummary], int]:
        """One page of items and the total count for the filters."""
        where = ["i.guild_id = ?"]
        params: list[Any] = [guild_id]
        if status:
            where.append("i.status = ?")
            params.append(status)
        else:
            # Duplicates live on in their target; listing them twice is noise.
            where.append("i.status != 'duplicate'")
        if tag:
            where.append(
                "EXISTS (SELECT 1 FROM feedback_tags t WHERE t.item_id = i.id AND t.tag = ?)"
            )
            params.append(tag)
        clause = " AND ".join(where)
        order = "i.votes DESC, i.id DESC" if sort == "votes" else "i.id DESC"
        total = await self._db.fetchval(
            f"SELECT count(*) FROM feedback_items i WHERE {clause}", params
        )
        rows = await self._db.fetchall(
            f"SELECT i.id, i.summary, i.status, i.votes, i.created_at FROM feedback_items i "
            f"WHERE {clause} ORDER BY {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_summary(r) for r in rows], int(total)

    async def export_rows(self, guild_id: int, since: datetime | None) -> list[FeedbackItem]:
        params: list[Any] = [guild_id]
        clause = joined_clause = ""
        if since is not None:
            clause, joined_clause = " AND created_at >= ?", " AND i.created_at >= ?"
            params.append(to_db(since))
        rows = await self._db.fetchall(
            f"SELECT {_ITEM_COLUMNS} FROM feedback_items WHERE guild_id = ?{clause} ORDER BY id",
            params,
        )
        items = [_item(r) for r in rows]
        if not items:
            return items
        by_id = {i.id: i for i in items}
        tag_rows = await self._db.fetchall(
            "SELECT t.item_id, t.tag, t.score, t.source FROM feedback_tags t "
            "JOIN feedback_items i ON i.id = t.item_id "
            f"WHERE t.guild_id = ?{joined_clause} "
            "ORDER BY t.item_id, t.score DESC, t.tag",
            params,
        )
        for r in tag_rows:
            by_id[r["item_id"]].tags.append((r["tag"], r["score"], r["source"]))
        return items

    async def reporters_by_item(
        self, guild_id: int, since: datetime | None
    ) -> dict[int, list[Reporter]]:
        params: list[Any] = [guild_id]
        clause = ""
        if since is not None:
            clause = " AND i.created_at >= ?"
            params.append(to_db(since))
        rows = await self._db.fetchall(
            "SELECT r.item_id, r.user_id, r.display_name FROM feedback_reporters r "
            f"JOIN feedback_items i ON i.id = r.item_id WHERE r.guild_id = ?{clause} "
            "ORDER BY r.item_id, r.rowid",
            params,
        )
        out: dict[int, list[Reporter]] = {}
        for r in rows:
            out.setdefault(r["item_id"], []).append(Reporter(r["user_id"], r["display_name"]))
        return out

    # ------------------------------------------------------------------ votes, reporters

    async def add_vote(self, guild_id: int, item_id: int, user_id: int, now: datetime) -> bool:
        """True if this was the member's first vote for the item."""
        async with self._db.transaction():
            await self._db.execute(
                "INSERT OR IGNORE INTO feedback_votes (item_id, guild_id, user_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                (item_id, guild_id, user_id, to_db(now)),
            )
            # execute() reports lastrowid for inserts, which an ignored insert leaves stale.
            if not await self._db.fetchval("SELECT changes()"):
                return False
            await self._db.execute(
                "UPDATE feedback_items SET votes = votes + 1 WHERE guild_id = ? AND id = ?",
                (guild_id, item_id),
            )
        return True

    async def voters(self, guild_id: int, item_id: int) -> list[int]:
        rows = await self._db.fetchall(
            "SELECT user_id FROM feedback_votes WHERE guild_id = ? AND item_id = ? "
            "ORDER BY created_at, user_id",
            (guild_id, item_id),
        )
        return [r[0] for r in rows]

    async def reporters(self, guild_id: int, item_id: int) -> list[Reporter]:
        rows = await self._db.fetchall(
            "SELECT user_id, display_name FROM feedback_reporters "
            "WHERE guild_id = ? AND item_id = ? ORDER BY rowid",
            (guild_id, item_id),
        )
        return [Reporter(r[0], r[1]) for r in rows]

    async def reporter_names(self, guild_id: int, item_ids: list[int]) -> dict[int, list[str]]:
        if not item_ids:
            return {}
        rows = await self._db.fetchall(
            "SELECT item_id, display_name FROM feedback_reporters "
            f"WHERE guild_id = ? AND item_id IN ({marks(item_ids)}) ORDER BY item_id, rowid",
            (guild_id, *item_ids),
        )
        out: dict[int, list[str]] = {}
        for r in rows:
            out.setdefault(r[0], []).append(r[1])
        return out

    # ------------------------------------------------------------------ status, merge

    async def record_told(
        self, guild_id: int, item_id: int, user_ids: list[int], now: datetime
    ) -> None:
        """Who was told by DM that the item shipped (ids and a time; once per person)."""
        await self._db.executemany(
            "INSERT OR IGNORE INTO feedback_told (guild_id, item_id, user_id, told_at) "
            "VALUES (?, ?, ?, ?)",
            [(guild_id, item_id, u, to_db(now)) for u in user_ids],
        )

    async def set_status(
        self, guild_id: int, item_id: int, status: str, actor_id: int, note: str, now: datetime
    ) -> None:
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE feedback_items SET status = ?, updated_at = ? "
                "WHERE guild_id = ? AND id = ?",
                (status, to_db(now), guild_id, item_id),
            )
            await self._add_history(guild_id, item_id, status, actor_id, note, now)

    async def _add_history(
        self, guild_id: int, item_id: int, status: str, actor_id: int, note: str, now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO feedback_history (item_id, guild_id, status, actor_id, note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, guild_id, status, actor_id, note, to_db(now)),
        )

    async def history(self, guild_id: int, item_id: int) -> list[HistoryEntry]:
        rows = await self._db.fetchall(
            "SELECT status, actor_id, note, created_at FROM feedback_history "
            "WHERE guild_id = ? AND item_id = ? ORDER BY id",
            (guild_id, item_id),
        )
        return [HistoryEntry(r[0], r[1], r[2], from_db(r[3])) for r in rows]

    async def merge(
        self,
        guild_id: int,
        duplicate_id: int,
        into_id: int,
        actor_id: int,
        note: str,
        now: datetime,
    ) -> None:
        """Move votes and reporters into ``into_id`` and mark the duplicate, atomically."""
        stamp = to_db(now)
        async with self._db.transaction():
            await self._db.execute(
                "INSERT OR IGNORE INTO feedback_votes (item_id, guild_id, user_id, created_at) "
                "SELECT ?, guild_id, user_id, created_at FROM feedback_votes "
                "WHERE guild_id = ? AND item_id = ?",
                (into_id, guild_id, duplicate_id),
            )
            await self._db.execute(
                "INSERT OR IGNORE INTO feedback_reporters (item_id, guild_id, user_id, "
                "display_name) SELECT ?, guild_id, user_id, display_name FROM feedback_reporters "
                "WHERE guild_id = ? AND item_id = ?",
                (into_id, guild_id, duplicate_id),
            )
            await self._db.execute(
                f"{RECOUNT_VOTES}, updated_at = ? WHERE guild_id = ? AND id = ?",
                (stamp, guild_id, into_id),
            )
            await self._db.execute(
                "UPDATE feedback_items SET status = 'duplicate', duplicate_of = ?, updated_at = ? "
                "WHERE guild_id = ? AND id = ?",
                (into_id, stamp, guild_id, duplicate_id),
            )
            await self._add_history(guild_id, duplicate_id, "duplicate", actor_id, note, now)

    # ------------------------------------------------------------------ areas

    async def areas(self, guild_id: int) -> list[str]:
        rows = await self._db.fetchall(
            "SELECT name FROM feedback_areas WHERE guild_id = ? ORDER BY position", (guild_id,)
        )
        return [r[0] for r in rows]

    async def set_areas(self, guild_id: int, names: Sequence[str]) -> None:
        async with self._db.transaction():
            await self._db.execute("DELETE FROM feedback_areas WHERE guild_id = ?", (guild_id,))
            await self._db.executemany(
                "INSERT INTO feedback_areas (guild_id, position, name) VALUES (?, ?, ?)",
                [(guild_id, i, n) for i, n in enumerate(names)],
            )

    # ------------------------------------------------------------------ trends, digest

    async def tag_counts_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> dict[str, int]:
        rows = await self._db.fetchall(
            "SELECT t.tag, count(*) FROM feedback_items i JOIN feedback_tags t "
            "ON t.item_id = i.id WHERE i.guild_id = ? AND i.created_at >= ? "
            "AND i.created_at < ? AND i.status != 'duplicate' GROUP BY t.tag",
            (guild_id, to_db(start), to_db(end)),
        )
        return {r[0]: int(r[1]) for r in rows}

    async def count_new_before(self, guild_id: int, before: datetime) -> int:
        """Items still `new` that were created before ``before`` (the on-call handoff)."""
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM feedback_items WHERE guild_id = ? AND status = 'new' "
                "AND created_at < ?",
                (guild_id, to_db(before)),
            )
        )

    async def count_created(self, guild_id: int, start: datetime, end: datetime) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM feedback_items WHERE guild_id = ? AND created_at >= ? "
                "AND created_at < ?",
                (guild_id, to_db(start), to_db(end)),
            )
        )

    async def most_voted(
        self,
        guild_id: int,
        *,
        limit: int,
        open_only: bool = False,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[ItemSummary]:
        where = ["guild_id = ?", "status != 'duplicate'"]
        params: list[Any] = [guild_id]
        if open_only:
            where.append(f"status IN {OPEN_SQL}")
        if start is not None and end is not None:
            where.append("created_at >= ? AND created_at < ?")
            params += [to_db(start), to_db(end)]
        rows = await self._db.fetchall(
            "SELECT id, summary, status, votes, created_at FROM feedback_items "
            f"WHERE {' AND '.join(where)} ORDER BY votes DESC, id DESC LIMIT ?",
            (*params, limit),
        )
        return [_summary(r) for r in rows]

    async def most_voted_by_votes_between(
        self, guild_id: int, start: datetime, end: datetime, *, limit: int
    ) -> list[tuple[int, str, int]]:
        """Open items by the votes cast in [start, end): (id, summary, those votes)."""
        rows = await self._db.fetchall(
            "SELECT i.id, i.summary, COUNT(*) AS n FROM feedback_votes v "
            "JOIN feedback_items i ON i.id = v.item_id "
            f"WHERE v.guild_id = ? AND i.guild_id = ? AND i.status IN {OPEN_SQL} "
            "AND v.created_at >= ? AND v.created_at < ? "
            "GROUP BY i.id ORDER BY n DESC, i.id DESC LIMIT ?",
            (guild_id, guild_id, to_db(start), to_db(end), limit),
        )
        return [(int(r[0]), r[1], int(r[2])) for r in rows]

    async def digest_figures(
        self, guild_id: int, start: datetime, end: datetime, prev_start: datetime
    ) -> FeedbackFigures:
        new_items = await self.count_created(guild_id, start, end)
        tag_counts = await self.tag_counts_between(guild_id, start, end)
        prev_tag_counts = await self.tag_counts_between(guild_id, prev_start, start)
        top = await self.most_voted_by_votes_between(guild_id, start, end, limit=3)
        rows = await self._db.fetchall(
            "SELECT DISTINCT i.id, i.summary, i.link_url FROM feedback_history h "
            "JOIN feedback_items i ON i.id = h.item_id "
            "WHERE h.guild_id = ? AND h.status = 'shipped' AND h.created_at >= ? "
            "AND h.created_at < ? AND i.status = 'shipped' ORDER BY i.id",
            (guild_id, to_db(start), to_db(end)),
        )
        # One query for every shipped item's reporters, not one per item.
        names = await self.reporter_names(guild_id, [r[0] for r in rows])
        shipped = [(r[0], r[1], names.get(r[0], [])) for r in rows]
        return FeedbackFigures(
            new_items=new_items,
            tag_counts=tag_counts,
            prev_tag_counts=prev_tag_counts,
            top_open=top,
            shipped=shipped,
            shipped_links={r[0]: r[2] for r in rows if r[2]},
        )


def _summary(row: Any) -> ItemSummary:
    return ItemSummary(
        id=row["id"],
        summary=row["summary"],
        status=row["status"],
        votes=row["votes"],
        created_at=from_db(row["created_at"]),
    )
