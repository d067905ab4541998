"""The advocate inbox: the one seam for everything Hallway sends an advocate personally.

Features hand their notice to ``AdvocateInbox.tell`` (wired in bot.py) instead of DMing.
In working hours it is a DM at once. Outside them, or on time off, it is held in SQLite
and an alarm (``inbox:<guild>:<user>``) delivers every held notice as one message when
their next working hours start. A notice about something starting within the hour can't
wait: it goes to whoever covers (the on-call advocate, through ``cover``), else to the
advocates' channel, never to the advocate who is off.

A delivery is claimed in the database before it is sent and recorded after; a claimed
delivery found at start-up is first looked for in the DM channel, so a restart on
either side of the send neither loses it nor sends it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import discord

from cogs._common import NO_PINGS
from cogs._send import (
    SEND_ERRORS,
    SendFailed,
    dm_reliably,
    find_recent,
    send_reliably,
    tell_advocates,
)
from services.boundaries.service import BoundariesService
from services.time.timefmt import discord_timestamp
from storage.boundaries import DeliveryRow

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

# A delivery that gave up (Discord down for longer than the retries) tries again this late.
RETRY_LATER = timedelta(hours=1)

# guild_id -> the user id covering right now (the on-call advocate), or None.
Cover = Callable[[int], Awaitable[int | None]]
Outcome = Literal["sent", "held", "covered", "failed"]


def job_name(guild_id: int, user_id: int) -> str:
    return f"inbox:{guild_id}:{user_id}"


class AdvocateInbox:
    def __init__(self, bot: HallwayBot, service: BoundariesService) -> None:
        self.bot = bot
        self.service = service
        # Set by bot.py once an on-call rotation is wired; until then urgent notices go to
        # the advocates' channel.
        self.cover: Cover | None = None

    async def tell(
        self,
        guild_id: int,
        user_id: int,
        text: str,
        *,
        kind: str = "notice",
        starts_at: datetime | None = None,
        subject: str | None = None,
    ) -> Outcome:
        """Tell an advocate something, respecting their hours.

        ``starts_at``: when what the notice is about begins (a session they host); within
        the hour, a notice that would be held goes to cover instead. ``subject``: what a
        held notice is about (a help post's message id), so that the check registered for
        ``kind`` (``BoundariesService.drop_when_stale``) can drop it before delivery.
        """
        route = await self.service.route(guild_id, user_id, starts_at)
        if route.action == "send":
            return "sent" if await dm_reliably(self.bot, user_id, text) else "failed"
        assert route.until is not None
        if route.action == "cover":
            await self._to_cover(guild_id, user_id, text, route.until)
            return "covered"
        due = await self.service.hold(guild_id, user_id, kind, text, subject)
        self._schedule(guild_id, user_id, due)
        return "held"

    async def _to_cover(self, guild_id: int, user_id: int, text: str, back: datetime) -> None:
        note = f"🚨 For <@{user_id}>, who is off until {discord_timestamp(back)}: {text}"
        covering = await self.cover(guild_id) if self.cover is not None else None
        if (
            covering is not None
            and covering != user_id
            and await self.service.is_available(guild_id, covering)
            and await dm_reliably(self.bot, covering, note)
        ):
            return
        await tell_advocates(self.bot, guild_id, note)

    def _schedule(
        self, guild_id: int, user_id: int, due: datetime, *, replace: bool = False
    ) -> None:
        name = job_name(guild_id, user_id)
        current = self.bot.alarm.due_time(name)
        if not replace and current is not None and current <= due:
            return
        self.bot.alarm.schedule(name, due, lambda: self.deliver(guild_id, user_id))

    async def refresh(self, guild_id: int, user_id: int) -> None:
        """After hours or time off change: the held notices' delivery moves with them."""
        if await self.service.repo.held(guild_id, user_id):
            due = await self.service.back_at(guild_id, user_id)
            self._schedule(guild_id, user_id, due, replace=True)

    async def rebuild(self) -> None:
        """Start-up: every advocate with held or claimed notices gets their delivery back."""
        for guild_id, user_id in await self.service.pending():
            unsent = await self.service.repo.unsent_delivery(guild_id, user_id)
            due = self.bot.clock.now() if unsent else await self.service.back_at(guild_id, user_id)
            self._schedule(guild_id, user_id, due)

    async def deliver(self, guild_id: int, user_id: int) -> None:
        await self.bot.wait_until_ready()
        delivery = await self.service.claim_delivery(guild_id, user_id)
        if delivery is None:
            if await self.service.repo.held(guild_id, user_id):
                # Time off was added after the alarm was set: wait for the new return.
                self._schedule(guild_id, user_id, await self.service.back_at(guild_id, user_id))
            return
        try:
            await self._send(delivery)
        except SendFailed as failed:
            if isinstance(failed.error, discord.Forbidden | discord.NotFound):
                # Closed DMs or a deleted account: retrying would never get through.
                log.info("Could not deliver held notices to %s: %r", user_id, failed.error)
                await self.service.record_sent(delivery)
                return
            log.warning("Held notices for %s not delivered yet: %r", user_id, failed.error)
            await self.service.release(delivery)
            self._schedule(guild_id, user_id, self.bot.clock.now() + RETRY_LATER)
            return
        await self.service.record_sent(delivery)
        # Notices held while this one was being sent go in the next delivery.
        if await self.service.repo.held(guild_id, user_id):
            self._schedule(guild_id, user_id, await self.service.back_at(guild_id, user_id))

    async def _send(self, delivery: DeliveryRow) -> None:
        user = self.bot.get_user(delivery.user_id) or await send_reliably(
            lambda: self.bot.fetch_user(delivery.user_id),
            pace=self.bot.pacer.wait,
            what="look-up of an advocate",
        )
        since = delivery.claimed_at - timedelta(seconds=1)

        async def sent_already() -> discord.Message | None:
            try:
                dm = user.dm_channel or await user.create_dm()
            except SEND_ERRORS:
                return None
            return await find_recent(
                self.bot, dm, lambda m: m.content == delivery.text, since=since
            )

        # A claim made before a restart may have been sent already: look before sending.
        if await sent_already() is not None:
            return
        await send_reliably(
            lambda: user.send(delivery.text, allowed_mentions=NO_PINGS),
            find_sent=sent_already,
            pace=self.bot.pacer.wait,
            what=f"held notices for {delivery.user_id}",
        )
