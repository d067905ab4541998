"""GitHub follow-up's one Discord job: telling advocates about a problem.

The commands live under /feedback (cogs/feedback/commands.py) and the rules in
services/github/; this posts the poll's notices (a revoked token, a deleted issue) to the
server's log channel, or else to the channel where `/feedback github` was run.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from cogs._common import NO_PINGS

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)


async def tell_advocates(bot: HallwayBot, guild_id: int, channel_id: int | None, text: str) -> None:
    config = await bot.services.guild_settings.config(guild_id)
    for target in (config.log_channel_id, channel_id):
        channel = bot.get_channel(target) if target else None
        if not isinstance(channel, discord.abc.Messageable):
            continue
        try:
            await channel.send(text[:2000], allowed_mentions=NO_PINGS)
            return
        except discord.HTTPException:
            log.warning("Could not tell the advocates of %s in %s", guild_id, target)
    log.warning("No channel to tell the advocates of %s: %s", guild_id, text)
