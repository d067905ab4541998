"""Counts activity for community health: who posted, used Hallway, reacted or joined a
voice or stage channel, where and when; never what was said."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands, tasks

from cogs._common import spoken_by_a_member
from services.activity import ActivityRecorder

log = logging.getLogger(__name__)

# A crash loses at most this many seconds of counters.
FLUSH_SECONDS = 5.0

_ACTIONS = (
    discord.InteractionType.application_command,
    discord.InteractionType.component,
    discord.InteractionType.modal_submit,
)


class ActivityCog(commands.Cog):
    def __init__(self, recorder: ActivityRecorder) -> None:
        self.recorder = recorder
        recorder.on_pending = self._ensure_flushing

    def _ensure_flushing(self) -> None:
        if not self.flush_loop.is_running():
            self.flush_loop.start()

    # A discord.ext.tasks loop rather than the alarm: it runs only while counters
    # wait and stops itself when they are written, so an idle bot has no timer.
    @tasks.loop(seconds=FLUSH_SECONDS)
    async def flush_loop(self) -> None:
        if self.flush_loop.current_loop == 0:
            return  # the loop starts with the window's first counter: wait for the rest
        await self.recorder.flush()
        if not self.recorder.pending:
            self.flush_loop.stop()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not spoken_by_a_member(message):
            return
        assert message.guild is not None
        channel = message.channel
        # Threads count under their parent, so a busy channel's threads add up to it.
        channel_id = getattr(channel, "parent_id", None) or channel.id
        self.recorder.message(message.guild.id, channel_id, message.author.id)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        # Using Hallway is activity: commands, buttons and forms. Autocomplete is just typing.
        if interaction.guild_id is None or interaction.user.bot:
            return
        if interaction.type not in _ACTIONS:
            return
        self.recorder.interaction(interaction.guild_id, interaction.user.id)

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        if payload.guild_id is None or (payload.member is not None and payload.member.bot):
            return
        self.recorder.reaction(payload.guild_id, payload.user_id)

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        # Joining a voice or stage channel (office hours on stage, a call) is being there;
        # muting or moving within the same channel is not a new join.
        if member.bot or after.channel is None:
            return
        if before.channel is not None and before.channel.id == after.channel.id:
            return
        self.recorder.voice_joined(member.guild.id, member.id)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if not member.bot:
            self.recorder.member_joined(member.guild.id, member.id)

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        # The raw event fires even when the member wasn't cached.
        if not payload.user.bot:
            self.recorder.member_left(payload.guild_id)

    async def cog_unload(self) -> None:
        self.flush_loop.cancel()
        # Written on a clean shutdown while the database is still open; if it is
        # already closed, at most one flush window is lost (as in a crash).
        await self.recorder.flush()
