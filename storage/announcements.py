"""Announcements, their deliveries (one row per occurrence) and pending drafts."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.timeutil import from_db, maybe_from_db, maybe_to_db, to_db

ACTIVE_STATUSES = ("scheduled", "paused")


@dataclass(frozen=True)
class Announcement:
    id: int
    guild_id: int
    author_id: int
    channel_id: int
    channel_kind: str  # text | news | forum
    title: str | None
    body: str
    image_url: str | None
    ping_role_id: int | None
    ping_everyone: bool
    repeat_spec: str
    zone: str
    anchor: datetime
    next_run_at: datetime | None
    late_policy: str  # send | skip | default
    status: str  # scheduled | paused | completed | cancelled | failed
    created_at: datetime
    updated_at: datetime

    @property
    def label(self) -> str:
        """The title, or the start of the body: how lists and the digest name it."""
        return self.title or excerpt(self.body)


@dataclass(frozen=True)
class NewAnnouncement:
    guild_id: int
    author_id: int
    channel_id: int
    channel_kind: str
    title: str | None
    body: str
    image_url: str | None
    ping_role_id: int | None
    ping_everyone: bool
    repeat_spec: str
    zone: str
    anchor: datetime
    next_run_at: datetime | None
    late_policy: str


@dataclass(frozen=True)
class Delivery:
    id: int
    announcement_id: int
    guild_id: int
    scheduled_for: datetime
    manual: bool
    status: str  # claimed | sent | missed | failed
    attempts: int
    claimed_at: datetime | None
    sent_at: datetime | None
    message_id: int | None
    channel_id: int | None
    rendered: str | None
    error: str | None
    reactions: int | None
    reactions_recorded_at: datetime | None
    published_at: datetime | None = None

    def jump_url(self) -> str | None:
        if self.message_id is None or self.channel_id is None:
            return None
        return jump_url(self.guild_id, self.channel_id, self.message_id)


@dataclass(frozen=True)
class Draft:
    id: int
    guild_id: int
    author_id: int
    announcement_id: int | None
    options: str  # JSON written and read by the service
    created_at: datetime


@dataclass(frozen=True)
class ContentFigures:
    """Content performance for the weekly digest."""

    sent: int
    # (announcement_id, title_or_excerpt, reactions, jump_url_or_None), most reactions first.
    best: list[tuple[int, str, int, str | None]]


def excerpt(text: str, limit: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def posted_label(rendered: str | None) -> str | None:
    """The title or an excerpt of what was actually posted (templates filled in)."""
    if not rendered:
        return None
    try:
        post = json.loads(rendered)
    except ValueError:
        return None
    if post.get("embed_title"):
        return str(post["embed_title"])
    text = post.get("embed_description") or post.get("content") or ""
    if not post.get("embed_description") and (
        post.get("ping_role_id") or post.get("ping_everyone")
    ):
        # A plain post starts with its ping line; the label is the text after it.
        text = text.partition("\n")[2]
    return excerpt(text) if text.strip() else None


def jump_url(guild_id: int, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


_A_COLUMNS = (
    "id, guild_id, author_id, channel_id, channel_kind, title, body, image_url, ping_role_id, "
    "ping_everyone, repeat_spec, zone, anchor, next_run_at, late_policy, status, created_at, "
    "updated_at"
)
_D_COLUMNS = (
    "id, announcement_id, guild_id, scheduled_for, manual, status, attempts, claimed_at, sent_at, "
    "message_id, channel_id, rendered, error, reactions, reactions_recorded_at, published_at"
)


def _announcement(row: sqlite3.Row) -> Announcement:
    return Announcement(
        id=row["id"],
        guild_id=row["guild_id"],
        author_id=row["author_id"],
        channel_id=row["channel_id"],
        channel_kind=row["channel_kind"],
        title=row["title"],
        body=row["body"],
        image_url=row["image_url"],
        ping_role_id=row["ping_role_id"],
        ping_everyone=bool(row["ping_everyone"]),
        repeat_spec=row["repeat_spec"],
        zone=row["zone"],
        anchor=from_db(row["anchor"]),
        next_run_at=maybe_from_db(row["next_run_at"]),
        late_policy=row["late_policy"],
        status=row["status"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
    )


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        announcement_id=row["announcement_id"],
        guild_id=row["guild_id"],
        scheduled_for=from_db(row["scheduled_for"]),
        manual=bool(row["manual"]),
        status=row["status"],
        attempts=row["attempts"],
        claimed_at=maybe_from_db(row["claimed_at"]),
        sent_at=maybe_from_db(row["sent_at"]),
        message_id=row["message_id"],
        channel_id=row["channel_id"],
        rendered=row["rendered"],
        error=row["error"],
        reactions=row["reactions"],
        reactions_recorded_at=maybe_from_db(row["reactions_recorded_at"]),
        published_at=maybe_from_db(row["published_at"]),
    )


class AnnouncementRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---------------------------------------------------------------- announcements

    async def create(self, new: NewAnnouncement, now: datetime) -> Announcement:
        announcement_id = await self.db.execute(
            "INSERT INTO announcements (guild_id, author_id, channel_id, channel_kind, title, "
            "body, image_url, ping_role_id, ping_everyone, repeat_spec, zone, anchor, "
            "next_run_at, late_policy, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)",
            (
                new.guild_id,
                new.author_id,
                new.channel_id,
                new.channel_kind,
                new.title,
                new.body,
                new.image_url,
                new.ping_role_id,
                int(new.ping_everyone),
                new.repeat_spec,
                new.zone,
                to_db(new.anchor),
                maybe_to_db(new.next_run_at),
                new.late_policy,
                to_db(now),
                to_db(now),
            ),
        )
        found = await self.get(new.guild_id, announcement_id)
        assert found is not None
        return found

    async def get(self, guild_id: int, announcement_id: int) -> Announcement | None:
        row = await self.db.fetchone(
            f"SELECT {_A_COLUMNS} FROM announcements WHERE guild_id = ? AND id = ?",
            (guild_id, announcement_id),
        )
        return None if row is None else _announcement(row)

    async def get_any_guild(self, announcement_id: int) -> Announcement | None:
        """For alarm jobs, which know only the id (the row carries its guild)."""
        row = await self.db.fetchone(
            f"SELECT {_A_COLUMNS} FROM announcements WHERE id = ?", (announcement_id,)
        )
        return None if row is None else _announcement(row)

    async def list_in_guild(
        self, guild_id: int, status: str | None = None, limit: int = 50
    ) -> list[Announcement]:
        if status is None:
            rows = await self.db.fetchall(
                f"SELECT {_A_COLUMNS} FROM announcements WHERE guild_id = ? "
                "ORDER BY (next_run_at IS NULL), next_run_at, id DESC LIMIT ?",
                (guild_id, limit),
            )
        else:
            rows = await self.db.fetchall(
                f"SELECT {_A_COLUMNS} FROM announcements WHERE guild_id = ? AND status = ? "
                "ORDER BY (next_run_at IS NULL), next_run_at, id DESC LIMIT ?",
                (guild_id, status, limit),
            )
        return [_announcement(r) for r in rows]

    async def search(self, guild_id: int, text: str, limit: int = 25) -> list[Announcement]:
        """For id autocomplete: match the id's digits or the title/body text."""
        pattern = f"%{text}%"
        rows = await self.db.fetchall(
            f"SELECT {_A_COLUMNS} FROM announcements WHERE guild_id = ? AND "
            "(CAST(id AS TEXT) LIKE ? OR title LIKE ? OR body LIKE ?) "
            "ORDER BY (status NOT IN ('scheduled', 'paused')), id DESC LIMIT ?",
            (guild_id, f"{text}%", pattern, pattern, limit),
        )
        return [_announcement(r) for r in rows]

    async def count_active(self, guild_id: int) -> int:
        return int(
            await self.db.fetchval(
                "SELECT COUNT(*) FROM announcements WHERE guild_id = ? AND status IN (?, ?)",
                (guild_id, *ACTIVE_STATUSES),
            )
        )

    async def scheduled(self) -> list[Announcement]:
        """Every announcement the alarm must wake (all guilds: start-up rebuild)."""
        rows = await self.db.fetchall(
            f"SELECT {_A_COLUMNS} FROM announcements "
            "WHERE status = 'scheduled' AND next_run_at IS NOT NULL ORDER BY next_run_at"
        )
        return [_announcement(r) for r in rows]

    async def update_content(
        self,
        guild_id: int,
        announcement_id: int,
        *,
        title: str | None,
        body: str,
        image_url: str | None,
        now: datetime,
    ) -> None:
        await self.db.execute(
            "UPDATE announcements SET title = ?, body = ?, image_url = ?, updated_at = ? "
            "WHERE guild_id = ? AND id = ?",
            (title, body, image_url, to_db(now), guild_id, announcement_id),
        )

    async def update_schedule(
        self,
        guild_id: int,
        announcement_id: int,
        *,
        repeat_spec: str,
        zone: str,
        anchor: datetime,
        next_run_at: datetime | None,
        status: str,
        now: datetime,
    ) -> None:
        await self.db.execute(
            "UPDATE announcements SET repeat_spec = ?, zone = ?, anchor = ?, next_run_at = ?, "
            "status = ?, updated_at = ? WHERE guild_id = ? AND id = ?",
            (
                repeat_spec,
                zone,
                to_db(anchor),
                maybe_to_db(next_run_at),
                status,
                to_db(now),
                guild_id,
                announcement_id,
            ),
        )

    async def set_state(
        self,
        guild_id: int,
        announcement_id: int,
        *,
        status: str,
        next_run_at: datetime | None,
        now: datetime,
    ) -> None:
        await self.db.execute(
            "UPDATE announcements SET status = ?, next_run_at = ?, updated_at = ? "
            "WHERE guild_id = ? AND id = ?",
            (status, maybe_to_db(next_run_at), to_db(now), guild_id, announcement_id),
        )

    # ------------------------------------------------------------------ deliveries

    async def get_delivery(self, delivery_id: int) -> Delivery | None:
        row = await self.db.fetchone(
            f"SELECT {_D_COLUMNS} FROM announcement_deliveries WHERE id = ?", (delivery_id,)
        )
        return None if row is None else _delivery(row)

    async def delivery_for(self, announcement_id: int, scheduled_for: datetime) -> Delivery | None:
        row = await self.db.fetchone(
            f"SELECT {_D_COLUMNS} FROM announcement_deliveries "
            "WHERE announcement_id = ? AND scheduled_for = ?",
            (announcement_id, to_db(scheduled_for)),
        )
        return None if row is None else _delivery(row)

    async def insert_delivery(
        self,
        announcement: Announcement,
        scheduled_for: datetime,
        *,
        status: str,
        now: datetime,
        manual: bool = False,
        rendered: str | None = None,
        error: str | None = None,
    ) -> int | None:
        """Insert one occurrence's row; None if that occurrence already has one."""
        try:
            return await self.db.execute(
                "INSERT INTO announcement_deliveries (announcement_id, guild_id, scheduled_for, "
                "manual, status, claimed_at, channel_id, rendered, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    announcement.id,
                    announcement.guild_id,
                    to_db(scheduled_for),
                    int(manual),
                    status,
                    to_db(now) if status == "claimed" else None,
                    announcement.channel_id,
                    rendered,
                    error,
                ),
            )
        except sqlite3.IntegrityError:
            return None

    async def add_attempt(self, delivery_id: int, error: str | None) -> None:
        await self.db.execute(
            "UPDATE announcement_deliveries SET attempts = attempts + 1, error = ? WHERE id = ?",
            (error, delivery_id),
        )

    async def mark_sent(
        self, delivery_id: int, *, message_id: int, channel_id: int, now: datetime
    ) -> bool:
        changed = await self.db.execute(
            "UPDATE announcement_deliveries SET status = 'sent', message_id = ?, channel_id = ?, "
            "sent_at = ?, error = NULL WHERE id = ? AND status = 'claimed'",
            (message_id, channel_id, to_db(now), delivery_id),
        )
        return changed == 1

    async def mark_failed(self, delivery_id: int, error: str) -> bool:
        changed = await self.db.execute(
            "UPDATE announcement_deliveries SET status = 'failed', error = ? "
            "WHERE id = ? AND status = 'claimed'",
            (error, delivery_id),
        )
        return changed == 1

    async def claimed(self) -> list[Delivery]:
        """Claimed but never recorded: a send that a restart interrupted."""
        rows = await self.db.fetchall(
            f"SELECT {_D_COLUMNS} FROM announcement_deliveries WHERE status = 'claimed' ORDER BY id"
        )
        return [_delivery(r) for r in rows]

    async def mark_published(self, delivery_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE announcement_deliveries SET published_at = ? WHERE id = ?",
            (to_db(now), delivery_id),
        )

    async def unpublished(self, since: datetime) -> list[Delivery]:
        """Announcement-channel posts sent since ``since`` but not yet published."""
        rows = await self.db.fetchall(
            "SELECT d.id, d.announcement_id, d.guild_id, d.scheduled_for, d.manual, d.status, "
            "d.attempts, d.claimed_at, d.sent_at, d.message_id, d.channel_id, d.rendered, "
            "d.error, d.reactions, d.reactions_recorded_at, d.published_at "
            "FROM announcement_deliveries d JOIN announcements a ON a.id = d.announcement_id "
            "WHERE d.status = 'sent' AND d.published_at IS NULL AND a.channel_kind = 'news' "
            "AND a.guild_id = d.guild_id AND d.sent_at >= ? ORDER BY d.id",
            (to_db(since),),
        )
        return [_delivery(r) for r in rows]

    async def awaiting_reactions(self) -> list[Delivery]:
        rows = await self.db.fetchall(
            f"SELECT {_D_COLUMNS} FROM announcement_deliveries "
            "WHERE status = 'sent' AND reactions_recorded_at IS NULL ORDER BY sent_at"
        )
        return [_delivery(r) for r in rows]

    async def record_reactions(self, delivery_id: int, count: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE announcement_deliveries SET reactions = ?, reactions_recorded_at = ? "
            "WHERE id = ? AND status = 'sent'",
            (count, to_db(now), delivery_id),
        )

    async def history(self, guild_id: int, announcement_id: int, limit: int = 50) -> list[Delivery]:
        rows = await self.db.fetchall(
            f"SELECT {_D_COLUMNS} FROM announcement_deliveries "
            "WHERE guild_id = ? AND announcement_id = ? ORDER BY scheduled_for DESC, id DESC "
            "LIMIT ?",
            (guild_id, announcement_id, limit),
        )
        return [_delivery(r) for r in rows]

    async def count_deliveries(self, guild_id: int, announcement_id: int) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM announcement_deliveries "
            "WHERE guild_id = ? AND announcement_id = ?",
            (guild_id, announcement_id),
        )
        return int(row[0]) if row else 0

    # --------------------------------------------------------------------- digest

    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> ContentFigures:
        """Deliveries sent in [start, end) and the five with the most reactions."""
        sent = await self.db.fetchval(
            "SELECT COUNT(*) FROM announcement_deliveries "
            "WHERE guild_id = ? AND status = 'sent' AND sent_at >= ? AND sent_at < ?",
            (guild_id, to_db(start), to_db(end)),
        )
        rows = await self.db.fetchall(
            "SELECT d.announcement_id, d.channel_id, d.message_id, d.reactions, d.rendered, "
            "a.title, a.body "
            "FROM announcement_deliveries d JOIN announcements a ON a.id = d.announcement_id "
            "WHERE d.guild_id = ? AND a.guild_id = ? AND d.status = 'sent' "
            "AND d.sent_at >= ? AND d.sent_at < ? AND d.reactions IS NOT NULL "
            "ORDER BY d.reactions DESC, d.sent_at LIMIT 5",
            (guild_id, guild_id, to_db(start), to_db(end)),
        )
        best = [
            (
                int(r["announcement_id"]),
                posted_label(r["rendered"]) or r["title"] or excerpt(r["body"]),
                int(r["reactions"]),
                jump_url(guild_id, r["channel_id"], r["message_id"])
                if r["message_id"] is not None and r["channel_id"] is not None
                else None,
            )
            for r in rows
        ]
        return ContentFigures(sent=int(sent or 0), best=best)

    async def upcoming_between(
        self, guild_id: int, start: datetime, end: datetime
    ) -> list[tuple[int, str, datetime]]:
        rows = await self.db.fetchall(
            "SELECT id, title, body, next_run_at FROM announcements WHERE guild_id = ? "
            "AND status = 'scheduled' AND next_run_at >= ? AND next_run_at < ? "
            "ORDER BY next_run_at",
            (guild_id, to_db(start), to_db(end)),
        )
        return [
            (int(r["id"]), r["title"] or excerpt(r["body"]), from_db(r["next_run_at"]))
            for r in rows
        ]

    # --------------------------------------------------------------------- drafts

    async def create_draft(
        self,
        guild_id: int,
        author_id: int,
        announcement_id: int | None,
        options: str,
        now: datetime,
    ) -> int:
        return await self.db.execute(
            "INSERT INTO announcement_drafts (guild_id, author_id, announcement_id, options, "
            "created_at) VALUES (?, ?, ?, ?, ?)",
            (guild_id, author_id, announcement_id, options, to_db(now)),
        )

    async def get_draft(self, guild_id: int, draft_id: int) -> Draft | None:
        row = await self.db.fetchone(
            "SELECT id, guild_id, author_id, announcement_id, options, created_at "
            "FROM announcement_drafts WHERE guild_id = ? AND id = ?",
            (guild_id, draft_id),
        )
        if row is None:
            return None
        return Draft(
            id=row["id"],
            guild_id=row["guild_id"],
            author_id=row["author_id"],
            announcement_id=row["announcement_id"],
            options=row["options"],
            created_at=from_db(row["created_at"]),
        )

    async def delete_draft(self, guild_id: int, draft_id: int) -> None:
        await self.db.execute(
            "DELETE FROM announcement_drafts WHERE guild_id = ? AND id = ?", (guild_id, draft_id)
        )

    async def delete_drafts_before(self, cutoff: datetime) -> None:
        await self.db.execute(
            "DELETE FROM announcement_drafts WHERE created_at < ?", (to_db(cutoff),)
        )
