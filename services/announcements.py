"""Scheduled announcements: schedules, rendering, and the claim → record delivery cycle.

Delivery state lives in the database. An occurrence is *claimed* (a delivery row,
unique per announcement and time) before anything is sent, and *recorded* (message
id, and the announcement's next run) in one transaction afterwards. A claim that a
restart interrupted is found again by ``claimed_deliveries()``; the delivery
(cogs/announcements_delivery.py) then looks for the post in the channel before
sending it again. Checking the text itself is in services/announcement_text.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from services.announcement_text import (
    RenderedPost,
    check_body,
    check_image_url,
    check_late,
    check_title,
    defuse_mass_mentions,
    first_line,
)
from services.clock import Clock
from services.errors import Conflict, InvalidInput, NotFound
from services.recurrence import (
    describe,
    next_after,
    next_occurrences,
    parse_repeat,
    validate_min_interval,
)
from services.timefmt import discord_timestamp
from services.timeparse import parse_when
from services.timezones import resolve_zone
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
# Inside this, an occurrence counts as on time (the alarm, retries, a slow start).
ON_TIME_GRACE = timedelta(minutes=5)
# The default late policy sends up to this late, and skips anything later.
DEFAULT_LATE_LIMIT = timedelta(hours=1)
# After a long outage, only this many skipped occurrences are written down.
MAX_MISSED_RECORDED = 100
REACTIONS_AFTER = timedelta(hours=24)
# Publishing is retried at start-up for posts at most this old; later it is news no more.
PUBLISH_WITHIN = timedelta(hours=24)
DRAFT_LIFETIME = timedelta(days=1)
CHANNEL_KINDS = ("text", "news", "forum")


class OfficeHoursLookup(Protocol):
    async def next_session(self, guild_id: int) -> Any: ...


@dataclass(frozen=True)
class Claim:
    """An occurrence this process has the right to send."""

    delivery_id: int
    announcement: Announcement
    scheduled_for: datetime
    post: RenderedPost
    claimed_at: datetime
    manual: bool
    resumed: bool  # claimed before a restart: look for the post before sending again

    @property
    def nonce(self) -> str:
        # Deterministic per delivery, so Discord de-duplicates a resend (enforce_nonce).
        return f"hallway-ann-{self.delivery_id}"


@dataclass(frozen=True)
class Occurrence:
    announcement: Announcement
    claim: Claim | None
    missed: list[datetime] = field(default_factory=list)
    # The due occurrence is already claimed (a send in flight, or one being resumed):
    # whoever holds the claim records it and moves the schedule on.
    in_flight: bool = False


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


@dataclass(frozen=True)
class Recorded:
    announcement: Announcement
    delivery: Delivery


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

    # ------------------------------------------------------------------ delivery

    async def start_occurrence(self, announcement_id: int) -> Occurrence | None:
        """Claim the due occurrence (or record it missed, by the late policy)."""
        now = self.clock.now()
        async with self.repo.db.transaction():
            current = await self.repo.get_any_guild(announcement_id)
            if (
                current is None
                or current.status != "scheduled"
                or current.next_run_at is None
                or current.next_run_at > now
            ):
                return None
            repeat = parse_repeat(current.repeat_spec)
            tz = ZoneInfo(current.zone)
            passed = [current.next_run_at]
            # Everything else that fell due while we were away.
            while len(passed) <= MAX_MISSED_RECORDED:
                following = next_after(repeat, anchor=current.anchor, zone=tz, after=passed[-1])
                if following is None or following > now:
                    break
                passed.append(following)
            *earlier, due = passed
            for moment in earlier:
                await self.repo.insert_delivery(
                    current, moment, status="missed", now=now, error="I was offline"
                )
            if earlier:
                # The row now points at the occurrence being decided, so that recording
                # it (sent or failed) advances from there.
                await self.repo.set_state(
                    current.guild_id, current.id, status="scheduled", next_run_at=due, now=now
                )
            existing = await self.repo.delivery_for(current.id, due)
            if existing is not None:
                if existing.status == "claimed":
                    return Occurrence(current, None, earlier, in_flight=True)
                await self._advance(current, due, now)
                return Occurrence(current, None, earlier)
            if self._should_send(current.late_policy, now - due):
                post = await self.render(current, due)
                delivery_id = await self.repo.insert_delivery(
                    current, due, status="claimed", now=now, rendered=post.to_json()
                )
                assert delivery_id is not None  # checked just above, inside the transaction
                claim = Claim(delivery_id, current, due, post, now, manual=False, resumed=False)
                return Occurrence(current, claim, earlier)
            await self.repo.insert_delivery(
                current, due, status="missed", now=now, error=f"late by {_late_text(now - due)}"
            )
            await self._advance(current, due, now)
        return Occurrence(current, None, [*earlier, due])

    @staticmethod
    def _should_send(policy: str, lateness: timedelta) -> bool:
        if lateness <= ON_TIME_GRACE or policy == "send":
            return True
        if policy == "skip":
            return False
        return lateness <= DEFAULT_LATE_LIMIT

    async def _advance(self, current: Announcement, after: datetime, now: datetime) -> None:
        following = next_after(
            parse_repeat(current.repeat_spec),
            anchor=current.anchor,
            zone=ZoneInfo(current.zone),
            after=after,
        )
        await self.repo.set_state(
            current.guild_id,
            current.id,
            status="scheduled" if following is not None else "completed",
            next_run_at=following,
            now=now,
        )

    async def claim_now(self, guild_id: int, announcement_id: int) -> Claim:
        """For send-now: an extra, manual delivery at this instant."""
        now = self.clock.now()
        async with self.repo.db.transaction():
            current = await self.get(guild_id, announcement_id)
            if current.status == "cancelled":
                raise Conflict(
                    f"Announcement #{announcement_id} is cancelled. Schedule a new one with "
                    "`/announce schedule`."
                )
            post = await self.render(current, now)
            delivery_id = await self.repo.insert_delivery(
                current, now, status="claimed", now=now, manual=True, rendered=post.to_json()
            )
            if delivery_id is None:
                raise Conflict(
                    "That announcement is being sent right now. Check `/announce history`."
                )
        return Claim(delivery_id, current, now, post, now, manual=True, resumed=False)

    async def claimed_deliveries(self) -> list[Claim]:
        """Sends a restart interrupted; each must be checked in its channel, then finished."""
        claims = []
        for delivery in await self.repo.claimed():
            current = await self.repo.get(delivery.guild_id, delivery.announcement_id)
            if current is None or delivery.rendered is None or delivery.claimed_at is None:
                continue
            claims.append(
                Claim(
                    delivery.id,
                    current,
                    delivery.scheduled_for,
                    RenderedPost.from_json(delivery.rendered),
                    delivery.claimed_at,
                    manual=delivery.manual,
                    resumed=True,
                )
            )
        return claims

    async def record_attempt(self, delivery_id: int, error: str) -> None:
        await self.repo.add_attempt(delivery_id, error)

    async def record_sent(self, claim: Claim, *, message_id: int, channel_id: int) -> Recorded:
        """Mark the delivery sent and compute the next run, in one transaction."""
        now = self.clock.now()
        async with self.repo.db.transaction():
            if not await self.repo.mark_sent(
                claim.delivery_id, message_id=message_id, channel_id=channel_id, now=now
            ):
                log.warning("Delivery %s was no longer claimed when recorded", claim.delivery_id)
            current = await self.repo.get(claim.announcement.guild_id, claim.announcement.id)
            assert current is not None
            await self._after_delivery(current, claim, now)
        return await self._recorded(claim)

    async def record_failed(self, claim: Claim, error: str) -> Recorded:
        now = self.clock.now()
        async with self.repo.db.transaction():
            await self.repo.mark_failed(claim.delivery_id, error)
            current = await self.repo.get(claim.announcement.guild_id, claim.announcement.id)
            assert current is not None
            if claim.manual:
                pass  # a failed send-now leaves the schedule as it was
            elif not parse_repeat(current.repeat_spec).repeats:
                await self.repo.set_state(
                    current.guild_id, current.id, status="failed", next_run_at=None, now=now
                )
            else:
                # A repeat keeps going: the next occurrence may work once the channel is fixed.
                await self._after_delivery(current, claim, now)
        return await self._recorded(claim)

    async def _after_delivery(self, current: Announcement, claim: Claim, now: datetime) -> None:
        if current.status != "scheduled" or current.next_run_at is None:
            return
        if claim.manual:
            # Sending a pending one-off by hand is that one-off: don't post it twice.
            if not parse_repeat(current.repeat_spec).repeats:
                await self.repo.set_state(
                    current.guild_id, current.id, status="completed", next_run_at=None, now=now
                )
            return
        if current.next_run_at == claim.scheduled_for:
            await self._advance(current, claim.scheduled_for, now)

    async def _recorded(self, claim: Claim) -> Recorded:
        current = await self.repo.get(claim.announcement.guild_id, claim.announcement.id)
        delivery = await self.repo.get_delivery(claim.delivery_id)
        assert current is not None and delivery is not None
        return Recorded(current, delivery)

    async def scheduled(self) -> list[Announcement]:
        return await self.repo.scheduled()

    async def current(self, announcement_id: int) -> Announcement | None:
        return await self.repo.get_any_guild(announcement_id)

    async def reaction_jobs(self) -> list[tuple[Delivery, datetime]]:
        """Sent deliveries whose reactions are still to be counted, with when to count."""
        return [
            (d, d.sent_at + REACTIONS_AFTER)
            for d in await self.repo.awaiting_reactions()
            if d.sent_at is not None
        ]

    async def record_published(self, delivery_id: int) -> None:
        await self.repo.mark_published(delivery_id, self.clock.now())

    async def unpublished_deliveries(self) -> list[Delivery]:
        """Posts a restart caught between sending and publishing (within a day)."""
        return await self.repo.unpublished(self.clock.now() - PUBLISH_WITHIN)

    async def delivery(self, delivery_id: int) -> Delivery | None:
        return await self.repo.get_delivery(delivery_id)

    async def record_reactions(self, delivery_id: int, count: int) -> None:
        await self.repo.record_reactions(delivery_id, count, self.clock.now())


def _late_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
