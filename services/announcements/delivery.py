"""The delivery of scheduled announcements: the claim → record cycle the alarm drives.

Delivery state lives in the database. An occurrence is *claimed* (a delivery row,
unique per announcement and time) before anything is sent, and *recorded* (message
id, and the announcement's next run) in one transaction afterwards. A claim that a
restart interrupted is found again by ``claimed_deliveries()``; the delivery
(cogs/announcements/delivery.py) then looks for the post in the channel before
sending it again.

It is apart from AnnouncementService (services/announcements/scheduling.py), which owns the
schedules people make and edit: this side only runs them, and borrows that
service's lookup and rendering as callables so neither module imports the other.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.announcements.text import RenderedPost
from services.errors import Conflict
from services.time.clock import Clock
from services.time.recurrence import next_after, parse_repeat
from storage.announcements import Announcement, AnnouncementRepository, Delivery

log = logging.getLogger(__name__)

# Inside this, an occurrence counts as on time (the alarm, retries, a slow start).
ON_TIME_GRACE = timedelta(minutes=5)
# The default late policy sends up to this late, and skips anything later.
DEFAULT_LATE_LIMIT = timedelta(hours=1)
# After a long outage, only this many skipped occurrences are written down.
MAX_MISSED_RECORDED = 100
REACTIONS_AFTER = timedelta(hours=24)
# Publishing is retried at start-up for posts at most this old; later it is news no more.
PUBLISH_WITHIN = timedelta(hours=24)


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
class Recorded:
    announcement: Announcement
    delivery: Delivery


class DeliveryService:
    def __init__(
        self,
        repo: AnnouncementRepository,
        clock: Clock,
        *,
        get: Callable[[int, int], Awaitable[Announcement]],
        render: Callable[[Announcement, datetime], Awaitable[RenderedPost]],
    ) -> None:
        self.repo = repo
        self.clock = clock
        # AnnouncementService.get and .render: send-now looks the announcement up with
        # the same NotFound reply as every other command, and posts render the same
        # way as previews.
        self.get = get
        self.render = render

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
