"""Help channels: watches members' posts in them for a first reply by someone else.

Only ids and times reach the service; the message text is never read here.
"""

from __future__ import annotations

import discord
from discord.ext import commands

from cogs._common import spoken_by_a_member
from services.help_channels import HelpChannelsService


class HelpChannelsCog(commands.Cog):
    def __init__(self, service: HelpChannelsService) -> None:
        self.service = service

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not spoken_by_a_member(message):
            return
        assert message.guild is not None
        guild_id, channel = message.guild.id, message.channel
        if isinstance(channel, discord.Thread):
            if not self.service.is_help_channel(guild_id, channel.parent_id):
                return
            if message.id == channel.id and isinstance(channel.parent, discord.ForumChannel):
                # A forum post's starter message (it shares the thread's id).
                await self.service.posted(
                    guild_id, channel.parent_id, channel.id, message.author.id, thread_id=channel.id
                )
            else:
                await self.service.thread_message(guild_id, channel.id, message.author.id)
            return
        if not self.service.is_help_channel(guild_id, channel.id):
            return
        reference = message.reference
        if reference is not None and reference.message_id is not None:
            await self.service.replied(guild_id, reference.message_id, message.author.id)
        else:
            await self.service.posted(guild_id, channel.id, message.id, message.author.id)

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        guild_id = thread.guild.id
        if not self.service.is_help_channel(guild_id, thread.parent_id):
            return
        if isinstance(thread.parent, discord.ForumChannel):
            owner = thread.owner
            if thread.owner_id is None or (owner is not None and owner.bot):
                return
            await self.service.posted(
                guild_id, thread.parent_id, thread.id, thread.owner_id, thread_id=thread.id
            )
        else:
            # A thread opened on a message shares the message's id.
            await self.service.thread_opened(guild_id, thread.id, thread.id)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        if payload.guild_id is not None and self.service.is_help_channel(
            payload.guild_id, payload.channel_id
        ):
            await self.service.deleted(payload.guild_id, payload.message_id)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        if self.service.is_help_channel(payload.guild_id, payload.parent_id):
            await self.service.deleted(payload.guild_id, payload.thread_id)
