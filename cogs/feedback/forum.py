"""What a feedback change does outside the interaction that made it.

FeedbackForum keeps the feedback forum in step: a new item becomes a post there, and
status changes, links and merges rewrite that post. notify tells an item's reporters
and voters about a status change by DM, falling back to its source channel. Both act
after the change is saved and log Discord's failures instead of raising them, so they
are kept apart from the cog, whose handlers then read as the command alone.
FeedbackForum is a plain class the cog holds, not a Cog; the service's on_created hook
points at its post_to_forum so items captured from office hours reach the forum too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from cogs._common import NO_PINGS
from cogs._send import SEND_ERRORS
from cogs.feedback.render import STATUS_EMOJI, tag_list
from cogs.feedback.views import card_view
from services.feedback.capture import FeedbackService
from services.people import user_ref
from storage.feedback.items import FeedbackItem

if TYPE_CHECKING:
    from bot import HallwayBot

log = logging.getLogger(__name__)

MAX_FORUM_TAGS = 20
MAX_APPLIED_TAGS = 5


class FeedbackForum:
    def __init__(self, bot: HallwayBot, service: FeedbackService) -> None:
        self.bot = bot
        self.service = service

    async def _forum(self, guild_id: int) -> discord.ForumChannel | None:
        config = await self.bot.services.guild_settings.config(guild_id)
        if not config.feedback_channel_id:
            return None
        channel = self.bot.get_channel(config.feedback_channel_id)
        return channel if isinstance(channel, discord.ForumChannel) else None

    async def _forum_tags(
        self, forum: discord.ForumChannel, names: list[str]
    ) -> list[discord.ForumTag]:
        existing = {t.name: t for t in forum.available_tags}
        applied: list[discord.ForumTag] = []
        for name in names[:MAX_APPLIED_TAGS]:
            tag = existing.get(name)
            if tag is None:
                if len(existing) >= MAX_FORUM_TAGS:
                    continue  # Discord's limit: items still show their tags in the post text
                tag = await forum.create_tag(name=name)
                existing[name] = tag
            applied.append(tag)
        return applied

    @staticmethod
    def _forum_text(item: FeedbackItem) -> str:
        # No vote count here: it would go stale between status changes; the +1 button
        # below and /feedback show have the live count.
        lines = [
            f"**Status:** {STATUS_EMOJI.get(item.status, '')} {item.status}",
            f"**Tags:** {tag_list(item)}",
            f"**Reported by:** {user_ref(item.reporter_id)}",
        ]
        if item.source_url:
            lines.append(f"**Source:** {item.source_url}")
        if item.link_url:
            lines.append(f"**Linked issue:** {item.link_url}")
        if item.details:
            lines += ["", item.details[:1500]]
        return "\n".join(lines)[:2000]

    async def post_to_forum(self, item: FeedbackItem) -> None:
        """If the feedback channel is a forum, the item also becomes a post there."""
        try:
            forum = await self._forum(item.guild_id)
            if forum is None:
                return
            tags = await self._forum_tags(forum, item.tag_names)
            created = await forum.create_thread(
                name=f"#{item.id} {item.summary}"[:100],
                content=self._forum_text(item),
                applied_tags=tags,
                view=card_view(item.id, None),
                allowed_mentions=NO_PINGS,
            )
            await self.service.set_forum_thread(item.guild_id, item.id, created.thread.id)
        except discord.HTTPException:
            log.warning("Could not post feedback #%s to the forum", item.id, exc_info=True)

    async def update_forum(self, guild_id: int, item_id: int) -> None:
        """Status changes (and merges) show in the item's forum post."""
        item = await self.service.item(guild_id, item_id)
        if item.forum_thread_id is None:
            return
        try:
            thread = self.bot.get_channel(item.forum_thread_id) or await self.bot.fetch_channel(
                item.forum_thread_id
            )
            if not isinstance(thread, discord.Thread):
                return
            # The starter message is the thread's first message (on Discord its id is the
            # thread's, but reading the history does not depend on that).
            starter = [m async for m in thread.history(limit=1, oldest_first=True)]
            if not starter:
                return
            await starter[0].edit(content=self._forum_text(item), allowed_mentions=NO_PINGS)
            prefix = "" if item.status == "new" else f"[{item.status}] "
            await thread.edit(name=f"{prefix}#{item.id} {item.summary}"[:100])
        except SEND_ERRORS:
            log.warning("Could not update the forum post of #%s", item.id, exc_info=True)


async def notify(
    bot: HallwayBot,
    item: FeedbackItem,
    user_ids: list[int],
    text: str,
    told: list[int] | None = None,
) -> tuple[int, int]:
    """DM each person; those with closed DMs are named in the item's source channel.

    Returns (sent by DM, named in the channel); ``told`` gets the ids the DM reached.
    """
    refused: list[int] = []
    sent = 0
    for user_id in user_ids:
        try:
            user = bot.get_user(user_id) or await bot.fetch_user(user_id)
            await user.send(text, allowed_mentions=NO_PINGS)
            sent += 1
            if told is not None:
                told.append(user_id)
        except discord.Forbidden:
            refused.append(user_id)
        except SEND_ERRORS:
            # An HTTP error or a dropped connection: told in the channel instead, not lost.
            log.warning("Could not DM %s about feedback #%s", user_id, item.id, exc_info=True)
            refused.append(user_id)
    if not refused:
        return sent, 0
    channel = bot.get_channel(item.channel_id) if item.channel_id else None
    if not isinstance(channel, discord.abc.Messageable):
        log.info("No source channel to tell %d people about #%s", len(refused), item.id)
        return sent, 0
    names = " ".join(f"<@{u}>" for u in refused)
    try:
        await channel.send(f"{names}\n{text}"[:2000], allowed_mentions=NO_PINGS)
    except SEND_ERRORS:
        log.warning("Could not post the status of #%s in its channel", item.id, exc_info=True)
        return sent, 0
    return sent, len(refused)
