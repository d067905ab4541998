"""GitHub follow-up's one Discord job: telling advocates about a problem.

The commands live under /feedback (cogs/feedback/commands.py) and the rules in
services/github/; this posts the poll's notices (a revoked token, a deleted issue) to the
server's log channel, or else to the channel where `/feedback github` was run, through the
same retry policy as every job that posts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from cogs._send import SendFailed, post_once
from cogs._send import tell_advocates as tell_log_channel

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)


async def tell_advocates(bot: HallwayBot, guild_id: int, channel_id: int | None, text: str) -> None:
    if await tell_log_channel(bot, guild_id, text):
        return
    channel = bot.get_channel(channel_id) if channel_id else None
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        log.warning("No channel to tell the advocates of %s: %s", guild_id, text)
        return
    try:
        # Posted and looked for as the same (cut) text, so a lost reply can't post twice.
        await post_once(bot, channel, text[:2000], limit=10, what=f"GitHub notice in #{channel}")
    except SendFailed as failed:
        log.warning("Could not tell the advocates of %s: %r", guild_id, failed.error)
