"""Posting from alarm jobs through network faults: the Discord side of services/retry.py.

Every job that posts on its own sends through ``send_reliably``: a dropped connection
or a timeout is retried like a 5xx (5 s, then 30 s), and before a resend after a lost
reply ``find_sent`` looks in the channel for what we sent (``find_recent``), so a post
is made once. What gives up raises ``SendFailed``; the job then tells its owner
(``tell_advocates`` for jobs without an author).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import aiohttp
import discord

from services.retry import (
    DEFAULT_POLICY,
    ONCE,
    Fault,
    RetryPolicy,
    SendFailed,
    fault_for_status,
)
from services.retry import send_with_retries as _send_with_retries

if TYPE_CHECKING:
    from bot import HallwayBot

__all__ = [
    "DEFAULT_POLICY",
    "NETWORK_ERRORS",
    "ONCE",
    "SEND_ERRORS",
    "RetryPolicy",
    "SendFailed",
    "classify",
    "describe",
    "dm_reliably",
    "find_recent",
    "post_once",
    "send_reliably",
    "tell_advocates",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

# What a dropped connection or a timeout raises out of discord.py: aiohttp's own errors
# (ServerDisconnectedError, ClientConnectorError, ...), asyncio's timeout (TimeoutError
# since 3.11) and the socket's OSError. discord.py retries none of them on Linux.
NETWORK_ERRORS: tuple[type[Exception], ...] = (aiohttp.ClientError, TimeoutError, OSError)
# For best-effort calls that only log a failure (a DM, an edit, moving an event).
SEND_ERRORS: tuple[type[Exception], ...] = (discord.HTTPException, *NETWORK_ERRORS)
# How far back find_recent looks by default.
RECENT_LIMIT = 50


def classify(error: Exception) -> Fault | None:
    if isinstance(error, discord.HTTPException):
        return fault_for_status(error.status)
    if isinstance(error, NETWORK_ERRORS):
        return Fault.LOST
    return None


async def send_reliably(
    send: Callable[[], Awaitable[T]],
    *,
    find_sent: Callable[[], Awaitable[T | None]] | None = None,
    on_failure: Callable[[int, Exception], Awaitable[None]] | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    what: str = "send",
    pace: Callable[[], Awaitable[None]] | None = None,
) -> T:
    """``await send()`` under the retry policy; SendFailed when it gives up.

    Pass ``find_sent`` for anything that creates (a message, a thread, an event): it is
    asked before every resend that follows a lost reply, and its result is returned
    instead of sending again. Jobs pass ``pace=bot.pacer.wait`` (services/time/pacer.py)
    so that all of them together stay under Discord's requests per second.
    """
    return await _send_with_retries(
        send,
        classify=classify,
        find_sent=find_sent,
        on_failure=on_failure,
        policy=policy,
        what=what,
        pace=pace,
    )


async def find_recent(
    bot: discord.Client,
    channel: discord.abc.Messageable,
    match: Callable[[discord.Message], bool],
    *,
    since: datetime | None = None,
    limit: int = RECENT_LIMIT,
) -> discord.Message | None:
    """The bot's own recent message that ``match``es; None if absent or unreadable."""
    me = bot.user
    if me is None:
        return None
    try:
        async for message in channel.history(limit=limit, after=since):
            if message.author.id == me.id and match(message):
                return message
    except SEND_ERRORS as error:
        # Can't look: the caller resends (with the same nonce where it has one).
        log.warning("Could not read recent messages of %s: %r", channel, error)
    return None


async def post_once(
    bot: HallwayBot,
    channel: discord.abc.Messageable,
    text: str,
    *,
    what: str,
    allowed_mentions: discord.AllowedMentions | None = None,
    since: datetime | None = None,
    limit: int = RECENT_LIMIT,
) -> discord.Message:
    """Post ``text`` in ``channel`` from a job, once, under the jobs' pace: after a lost
    reply the channel's recent messages are searched for it before any resend."""
    return await send_reliably(
        lambda: channel.send(
            text, allowed_mentions=allowed_mentions or discord.AllowedMentions.none()
        ),
        find_sent=lambda: find_recent(
            bot, channel, lambda m: m.content == text, since=since, limit=limit
        ),
        pace=bot.pacer.wait,
        what=what,
    )


def describe(error: BaseException) -> str:
    """A failure as a sentence fragment for the owner's notice."""
    if isinstance(error, SendFailed):
        tries = f", after {error.attempts} tries" if error.attempts > 1 else ""
        return f"{describe(error.error)}{tries}"
    if isinstance(error, discord.HTTPException):
        return f"Discord answered with error {error.status}"
    if isinstance(error, TimeoutError):
        return "Discord didn't answer in time"
    if isinstance(error, NETWORK_ERRORS):
        return f"the connection to Discord dropped ({type(error).__name__})"
    return type(error).__name__


async def tell_advocates(bot: HallwayBot, guild_id: int, text: str) -> bool:
    """Post a notice in the server's log channel (`/setup channel kind:log`), if it has one.

    For jobs with no author to DM. False when there is no such channel or it failed too;
    the caller has logged the failure either way.
    """
    config = await bot.services.guild_settings.config(guild_id)
    channel_id = config.log_channel_id
    channel = bot.get_channel(channel_id) if channel_id else None
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        log.warning("Guild %s has no log channel to tell: %s", guild_id, text)
        return False
    try:
        await post_once(bot, channel, text, limit=10, what=f"notice in #{channel}")
    except SendFailed as failed:
        log.warning("Could not tell guild %s's advocates: %r", guild_id, failed.error)
        return False
    return True


async def dm_reliably(
    bot: HallwayBot, user_id: int, text: str, *, policy: RetryPolicy = DEFAULT_POLICY
) -> bool:
    """DM a member through network faults, once; False if they can't be reached."""
    try:
        user = bot.get_user(user_id) or await send_reliably(
            lambda: bot.fetch_user(user_id),
            policy=policy,
            pace=bot.pacer.wait,
            what=f"look-up of user {user_id}",
        )

        async def sent_already() -> discord.Message | None:
            dm = user.dm_channel
            return None if dm is None else await find_recent(bot, dm, lambda m: m.content == text)

        await send_reliably(
            lambda: user.send(text, allowed_mentions=discord.AllowedMentions.none()),
            find_sent=sent_already,
            policy=policy,
            pace=bot.pacer.wait,
            what=f"DM to {user_id}",
        )
    except SendFailed as failed:
        log.info("Could not DM user %s: %r", user_id, failed.error)
        return False
    return True
