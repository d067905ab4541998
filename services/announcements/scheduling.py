"""Scheduled announcements: drafts, schedules and their changes, rendering, previews.

Running the schedules (claiming an occurrence, recording the send) is
DeliveryService's, in services/announcements/delivery.py. Checking the text itself
is in services/announcements/text.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from services.announcements.text import (
    RenderedPost,
    check_body,
    check_image_url,
    check_late,
    check_title,
    defuse_mass_mentions,
    first_line,
)
from services.errors import Conflict, InvalidInput, NotFound
from services.time.clock import Clock
from services.time.recurrence import (
    describe,
    next_after,
    next_occurrences,
    parse_repeat,
    validate_min_interval,
)
from services.time.timefmt import discord_timestamp
from services.time.timeparse import parse_when
from services.time.timezones import resolve_zone
from storage.announcements import (
    ACTIVE_STATUSES,
    Announcement,
    AnnouncementRepository,
    Delivery,
    NewAnnouncement,
)

log = logging.getLogger(__name__)

MAX_ACTIVE = 200
MAX_CONTENT = 2000  # Discord's limit for a plain message; longer bodies go in an embed
MAX_EMBED_DESCRIPTION = 4096
MAX_THREAD_NAME = 100
MIN_INTERVAL = timedelta(hours=1)
DRAFT_LIFETIME = timedelta(days=1)
CHANNEL_KINDS = ("text", "news", "forum")


class OfficeHoursLookup(Protocol):
    async def next_session(self, guild_id: int) -> Any: ...


@dataclass(frozen=True)
class Draft:
    """The slash-command options, checked, waiting for the body from the modal."""

    id: int
    announcement_id: int | None
    channel_id: int | None
    channel_kind: str | None
    anchor: datetime | None
    repeat_spec: str | None
    zone: str | None
    ping_role_id: int | None
    ping_everyone: bool
    title: str | None
    late_policy: str | None


class AnnouncementService:
    def __init__(
        self,
        repo: AnnouncementRepository,
        clock: Clock,
        *,
        default_zone: Callable[[int], Awaitable[str]],
        server_name: Callable[[int], str],
        office_hours: Callable[[], OfficeHoursLookup | None] = lambda: None,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self._default_zone = default_zone
        self._server_name = server_name
        self._office_hours = office_hours

    # ------------------------------------------------------------------ rendering

    async def _variables(self, guild_id: int, occurrence: datetime) -> dict[str, str]:
        values = {
            "server": self._server_name(guild_id),
            "date": discord_timestamp(occurrence, "D"),
            "next_office_hours": "none scheduled",
        }
        service = self._office_hours()
        if service is not None:
            session = await service.next_session(guild_id)
            if session is not None:
                values["next_office_hours"] = (
                    f"{session.title} ({discord_timestamp(session.starts_at, 'F')})"
                )
        return values

    async def render(self, announcement: Announcement, occurrence: datetime) -> RenderedPost:
        values = await self._variables(announcement.guild_id, occurrence)
        body = defuse_mass_mentions(announcement.body.format_map(values))
        title = (
            defuse_mass_mentions(announcement.title.format_map(values))
            if announcement.title
            else None
        )
        if announcement.ping_everyone:
            prefix = "@everyone"
        elif announcement.ping_role_id is not None:
            prefix = f"<@&{announcement.ping_role_id}>"
        else:
            prefix = ""
        plain = f"{prefix}\n{body}" if prefix else body
        use_embed = bool(title or announcement.image_url) or len(plain) > MAX_CONTENT
        thread_name = None
        if announcement.channel_kind == "forum":
            thread_name = (title or first_line(body) or "Announcement")[:MAX_THREAD_NAME]
        if use_embed:
            description = body[:MAX_EMBED_DESCRIPTION]
            return RenderedPost(
                content=prefix or None,
                embed_title=title,
                embed_description=description,
                image_url=announcement.image_url,
                thread_name=thread_name,
                ping_role_id=announcement.ping_role_id,
                ping_everyone=announcement.ping_everyone,
            )
        return RenderedPost(
            content=plain,
            embed_title=None,
            embed_description=None,
            image_url=None,
            thread_name=thread_name,
            ping_role_id=announcement.ping_role_id,
            ping_everyone=announcement.ping_everyone,
        )

    # ------------------------------------------------------------------ lookups

    async def get(self, guild_id: int, announcement_id: int) -> Announcement:
        found = await self.repo.get(guild_id, announcement_id)
        if found is None:
            raise NotFound(
                f"There's no announcement #{announcement_id} in this server. "
                "`/announce list` shows them all."
            )
        return found

    async def list(self, guild_id: int, status: str | None = None) -> list[Announcement]:
        return await self.repo.list_in_guild(guild_id, status)

    async def search(self, guild_id: int, text: str) -> list[Announcement]:
        return await self.repo.search(guild_id, text.strip().lstrip("#"))

    async def history(self, guild_id: int, announcement_id: int) -> list[Delivery]:
        await self.get(guild_id, announcement_id)
        return await self.repo.history(guild_id, announcement_id)

    async def recent_history(
        self, guild_id: int, announcement_id: int, limit: int
    ) -> tuple[list[Delivery], int]:
        """The newest `limit` deliveries and how many there are in all.

        A daily announcement has ~3,650 deliveries after ten years; the reply shows a page.
        """
        await self.get(guild_id, announcement_id)
        newest = await self.repo.history(guild_id, announcement_id, limit)
        return newest, await self.repo.count_deliveries(guild_id, announcement_id)

    def repeat_text(self, announcement: Announcement) -> str:
        return describe(
            parse_repeat(announcement.repeat_spec),
            anchor=announcement.anchor,
            zone=ZoneInfo(announcement.zone),
        )

    def upcoming(self, announcement: Announcement, count: int = 5) -> list[datetime]:
        if announcement.status != "scheduled" or announcement.next_run_at is None:
            return []
        return next_occurrences(
            parse_repeat(announcement.repeat_spec),
            anchor=announcement.anchor,
            zone=ZoneInfo(announcement.zone),
            after=announcement.next_run_at - timedelta(microseconds=1),
            count=count,
        )

    async def preview(self, announcement: Announcement) -> RenderedPost:
        when = announcement.next_run_at or self.clock.now()
        return await self.render(announcement, when)

    # ------------------------------------------------------------------ scheduling

    async def _zone(self, guild_id: int, name: str | None) -> ZoneInfo:
        if name is None or not name.strip():
            return resolve_zone(await self._default_zone(guild_id))
        return resolve_zone(name)

    async def _check_capacity(self, guild_id: int) -> None:
        if await self.repo.count_active(guild_id) >= MAX_ACTIVE:
            raise Conflict(
                f"This server already has {MAX_ACTIVE} scheduled or paused announcements, the "
                "most Hallway keeps. Cancel some with `/announce cancel` first."
            )

    def _check_rule(self, repeat_spec: str, anchor: datetime, zone: ZoneInfo) -> str:
        repeat = parse_repeat(repeat_spec)
        validate_min_interval(repeat, anchor=anchor, zone=zone, minimum=MIN_INTERVAL)
        return repeat.spec

    async def start_draft(
        self,
        guild_id: int,
        author_id: int,
        *,
        channel_id: int,
        channel_kind: str,
        when: str,
        repeat: str,
        zone: str | None,
        ping_role_id: int | None,
        ping_everyone: bool,
        title: str | None,
        late: str | None,
    ) -> Draft:
        """Check every option of /announce schedule before the body is asked for."""
        if channel_kind not in CHANNEL_KINDS:
            raise InvalidInput("Pick a text, announcement or forum channel.")
        await self._check_capacity(guild_id)
        now = self.clock.now()
        tz = await self._zone(guild_id, zone)
        anchor = parse_when(when, now=now, zone=tz)
        spec = self._check_rule(repeat, anchor, tz)
        options = {
            "channel_id": channel_id,
            "channel_kind": channel_kind,
            "anchor": anchor.isoformat(),
            "repeat_spec": spec,
            "zone": tz.key,
            "ping_role_id": ping_role_id,
            "ping_everyone": ping_everyone,
            "title": check_title(title),
            "late_policy": check_late(late),
        }
        return await self._save_draft(guild_id, author_id, None, options)

    async def start_edit(
        self,
        guild_id: int,
        author_id: int,
        announcement_id: int,
        *,
        when: str | None,
        zone: str | None,
        repeat: str | None,
    ) -> tuple[Draft, Announcement]:
        """Check the new time, zone and repeat of /announce edit before the text modal."""
        announcement = await self.get(guild_id, announcement_id)
        self._require_active(announcement, "edited")
        options: dict[str, Any] = {}
        if when is not None or zone is not None or repeat is not None:
            anchor, spec, tz = self._new_schedule(announcement, when=when, zone=zone, repeat=repeat)
            options = {"anchor": anchor.isoformat(), "repeat_spec": spec, "zone": tz.key}
        draft = await self._save_draft(guild_id, author_id, announcement_id, options)
        return draft, announcement

    def _new_schedule(
        self, announcement: Announcement, *, when: str | None, zone: str | None, repeat: str | None
    ) -> tuple[datetime, str, ZoneInfo]:
        now = self.clock.now()
        old_zone = ZoneInfo(announcement.zone)
        tz = resolve_zone(zone) if zone is not None else old_zone
        if when is not None:
            anchor = parse_when(when, now=now, zone=tz)
        else:
            # A new zone keeps the wall-clock time: 09:00 Berlin becomes 09:00 New York.
            local = announcement.anchor.astimezone(old_zone)
            anchor = datetime(
                local.year,
                local.month,
                local.day,
                local.hour,
                local.minute,
                local.second,
                tzinfo=tz,
            )
        spec = self._check_rule(
            repeat if repeat is not None else announcement.repeat_spec, anchor, tz
        )
        if next_after(parse_repeat(spec), anchor=anchor, zone=tz, after=now) is None:
            raise InvalidInput(
                "That one-off time has already passed. Give a new time with `when`, "
                "e.g. `tomorrow 9am`."
            )
        return anchor, spec, tz

    async def _save_draft(
        self, guild_id: int, author_id: int, announcement_id: int | None, options: dict[str, Any]
    ) -> Draft:
        now = self.clock.now()
        async with self.repo.db.transaction():
            await self.repo.delete_drafts_before(now - DRAFT_LIFETIME)
            draft_id = await self.repo.create_draft(
                guild_id, author_id, announcement_id, json.dumps(options), now
            )
        return self._draft(draft_id, announcement_id, options)

    @staticmethod
    def _draft(draft_id: int, announcement_id: int | None, options: dict[str, Any]) -> Draft:
        anchor = options.get("anchor")
        return Draft(
            id=draft_id,
            announcement_id=announcement_id,
            channel_id=options.get("channel_id"),
            channel_kind=options.get("channel_kind"),
            anchor=datetime.fromisoformat(anchor) if anchor else None,
            repeat_spec=options.get("repeat_spec"),
            zone=options.get("zone"),
            ping_role_id=options.get("ping_role_id"),
            ping_everyone=bool(options.get("ping_everyone")),
            title=options.get("title"),
            late_policy=options.get("late_policy"),
        )

    async def get_draft(self, guild_id: int, author_id: int, draft_id: int) -> Draft:
        stored = await self.repo.get_draft(guild_id, draft_id)
        if stored is None or stored.author_id != author_id:
            raise NotFound(
                "That form has expired. Run the command again to start over "
                "(copy your text first if you still have it)."
            )
        return self._draft(stored.id, stored.announcement_id, json.loads(stored.options))

    async def create_from_draft(
        self,
        guild_id: int,
        author_id: int,
        draft_id: int,
        *,
        body: str,
        image_url: str | None,
    ) -> Announcement:
        draft = await self.get_draft(guild_id, author_id, draft_id)
        if draft.announcement_id is not None or draft.anchor is None:
            raise InvalidInput("That form belongs to `/announce edit`. Run the command again.")
        text = check_body(body)
        image = check_image_url(image_url)
        if draft.anchor <= self.clock.now():
            raise InvalidInput(
                "The time you picked passed while the form was open. Run `/announce schedule` "
                "again with a later `when`."
            )
        assert draft.channel_id is not None and draft.channel_kind is not None
        assert draft.repeat_spec is not None and draft.zone is not None
        async with self.repo.db.transaction():
            await self._check_capacity(guild_id)
            created = await self.repo.create(
                NewAnnouncement(
                    guild_id=guild_id,
                    author_id=author_id,
                    channel_id=draft.channel_id,
                    channel_kind=draft.channel_kind,
                    title=draft.title,
                    body=text,
                    image_url=image,
                    ping_role_id=draft.ping_role_id,
                    ping_everyone=draft.ping_everyone,
                    repeat_spec=draft.repeat_spec,
                    zone=draft.zone,
                    anchor=draft.anchor,
                    next_run_at=draft.anchor,
                    late_policy=draft.late_policy or "default",
                ),
                self.clock.now(),
            )
            await self.repo.delete_draft(guild_id, draft_id)
        log.info("Announcement %s scheduled in guild %s", created.id, guild_id)
        return created

    async def apply_edit(
        self,
        guild_id: int,
        author_id: int,
        draft_id: int,
        *,
        title: str | None,
        body: str,
        image_url: str | None,
    ) -> Announcement:
        draft = await self.get_draft(guild_id, author_id, draft_id)
        if draft.announcement_id is None:
            raise InvalidInput("That form belongs to `/announce schedule`. Run the command again.")
        text = check_body(body)
        new_title = check_title(title)
        image = check_image_url(image_url)
        now = self.clock.now()
        async with self.repo.db.transaction():
            current = await self.get(guild_id, draft.announcement_id)
            self._require_active(current, "edited")
            await self.repo.update_content(
                guild_id, current.id, title=new_title, body=text, image_url=image, now=now
            )
            if draft.anchor is not None:
                assert draft.repeat_spec is not None and draft.zone is not None
                tz = ZoneInfo(draft.zone)
                following = next_after(
                    parse_repeat(draft.repeat_spec), anchor=draft.anchor, zone=tz, after=now
                )
                if following is None:
                    raise InvalidInput(
                        "The new time passed while the form was open. Run `/announce edit` "
                        "again with a later `when`."
                    )
                await self.repo.update_schedule(
                    guild_id,
                    current.id,
                    repeat_spec=draft.repeat_spec,
                    zone=draft.zone,
                    anchor=draft.anchor,
                    next_run_at=following if current.status == "scheduled" else None,
                    status=current.status,
                    now=now,
                )
            await self.repo.delete_draft(guild_id, draft_id)
        return await self.get(guild_id, current.id)

    @staticmethod
    def _require_active(announcement: Announcement, verb: str) -> None:
        if announcement.status not in ACTIVE_STATUSES:
            raise Conflict(
                f"Announcement #{announcement.id} is {announcement.status}, so it can't be "
                f"{verb}. Schedule a new one with `/announce schedule`."
            )

    async def pause(self, guild_id: int, announcement_id: int) -> Announcement:
        async with self.repo.db.transaction():
            current = await self.get(guild_id, announcement_id)
            if current.status != "scheduled":
                raise Conflict(
                    f"Announcement #{announcement_id} is {current.status}; only a scheduled "
                    "announcement can be paused."
                )
            await self.repo.set_state(
                guild_id, announcement_id, status="paused", next_run_at=None, now=self.clock.now()
            )
        return await self.get(guild_id, announcement_id)

    async def resume(
        self, guild_id: int, announcement_id: int, when: str | None = None
    ) -> Announcement:
        now = self.clock.now()
        async with self.repo.db.transaction():
            current = await self.get(guild_id, announcement_id)
            if current.status != "paused":
                raise Conflict(
                    f"Announcement #{announcement_id} is {current.status}; only a paused "
                    "announcement can be resumed."
                )
            tz = ZoneInfo(current.zone)
            repeat = parse_repeat(current.repeat_spec)
            anchor = current.anchor
            if when is not None:
                anchor = parse_when(when, now=now, zone=tz)
                validate_min_interval(repeat, anchor=anchor, zone=tz, minimum=MIN_INTERVAL)
            following = next_after(repeat, anchor=anchor, zone=tz, after=now)
            if following is None:
                raise InvalidInput(
                    f"Announcement #{announcement_id} was a one-off whose time has passed. "
                    f"Resume it with a new time: `/announce resume id:{announcement_id} "
                    "when:tomorrow 9am`."
                )
            await self.repo.update_schedule(
                guild_id,
                announcement_id,
                repeat_spec=current.repeat_spec,
                zone=current.zone,
                anchor=anchor,
                next_run_at=following,
                status="scheduled",
                now=now,
            )
        return await self.get(guild_id, announcement_id)

    async def cancel(self, guild_id: int, announcement_id: int) -> Announcement:
        async with self.repo.db.transaction():
            current = await self.get(guild_id, announcement_id)
            self._require_active(current, "cancelled")
            await self.repo.set_state(
                guild_id,
                announcement_id,
                status="cancelled",
                next_run_at=None,
                now=self.clock.now(),
            )
        return await self.get(guild_id, announcement_id)
