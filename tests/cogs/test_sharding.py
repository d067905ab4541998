"""HALLWAY_SHARDS: the bot as discord.py's AutoShardedBot, over SimCord's shards.

Three guilds spread over two shards: commands, persistent buttons across a restart, an
announcement's alarm and the weekly digest work for the guilds on each shard.
"""

from __future__ import annotations

import re

import discord
import pytest
from discord.ext import commands

from bot import ShardedHallwayBot, create_bot
from tests.cogs.test_digest import FIRST_MONDAY_9, advance_to
from tests.conftest import bot_posts, make_settings, schedule_announcement, submit_feedback

SHARDS = 2


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, HALLWAY_SHARDS=str(SHARDS))


def shard_of(guild_id: int) -> int:
    return (guild_id >> 22) % SHARDS


async def _guild(env, name: str, guild_id: int):
    guild = env.create_guild(name, id=guild_id)
    general = guild.create_text_channel("general")
    news = guild.create_text_channel("news")
    digest = guild.create_text_channel("digest")
    advocates = guild.create_role("Advocates")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    alice = guild.add_member(env.create_user(f"alice-{name}"), roles=[advocates])
    bob = guild.add_member(env.create_user(f"bob-{name}"))
    admin = guild.add_member(env.create_user(f"admin-{name}"), roles=[admins])
    return guild, general, news, digest, advocates, alice, bob, admin


async def _guilds_on_both_shards(env) -> list[tuple]:
    # Discord picks a guild's shard from its id's timestamp bits: consecutive milliseconds
    # alternate between the two shards.
    stamp = discord.utils.time_snowflake(discord.utils.utcnow()) >> 22
    made = [await _guild(env, f"community-{n}", ((stamp - 1000 + n) << 22) | 1) for n in range(3)]
    assert {shard_of(g[0].id) for g in made} == set(range(SHARDS))
    await env.settle()
    return made


def test_hallway_shards_builds_an_auto_sharded_bot(tmp_path) -> None:
    sharded = create_bot(make_settings(tmp_path, HALLWAY_SHARDS="4"))
    assert isinstance(sharded, ShardedHallwayBot)
    assert isinstance(sharded, commands.AutoShardedBot) and sharded.shard_count == 4
    auto = create_bot(make_settings(tmp_path, HALLWAY_SHARDS="auto"))
    assert isinstance(auto, commands.AutoShardedBot) and auto.shard_count is None
    plain = create_bot(make_settings(tmp_path))
    assert not isinstance(plain, discord.AutoShardedClient)


async def test_every_feature_works_on_every_shard(simcord_env, bots, restart) -> None:
    env = simcord_env
    bot = bots.current
    assert isinstance(bot, commands.AutoShardedBot) and bot.shard_count == SHARDS
    assert sorted(bot.shards) == list(range(SHARDS))
    guilds = await _guilds_on_both_shards(env)
    cards = {}
    for guild, general, news, digest, advocates, alice, bob, admin in guilds:
        assert bot.get_guild(guild.id).shard_id == shard_of(guild.id)
        r = await admin.slash(general, "setup advocate-role", role=advocates)
        assert "Advocates are now members with" in r.response.content
        r = await submit_feedback(bob, general, f"Webhook docs are confusing in {guild.name}")
        item = int(re.search(r"Saved as feedback \*\*#(\d+)\*\*", r.response.content)[1])
        card = (await alice.slash(general, "feedback show", item=item)).response.message
        cards[guild.id] = (item, card)
        r = await schedule_announcement(
            None, news, actor=alice, typed_in=general, when="2026-01-02 10:00"
        )
        assert r.ephemeral, r
        r = await alice.slash(general, "digest configure", channel=digest)
        assert r.ephemeral, r
        await bob.send(general, "hello there")

    await restart()
    bot = bots.current
    assert isinstance(bot, commands.AutoShardedBot)
    for guild, _general, *_rest, alice, _bob, _admin in guilds:
        # A persistent button posted before the restart, clicked on the new bot.
        item, card = cards[guild.id]
        r = await alice.click(card, custom_id=f"hallway:feedback:vote:{item}")
        assert "counted" in r.followups[-1].content
        assert (await bot.services.feedback.item(guild.id, item)).votes == 2

    await advance_to(env, FIRST_MONDAY_9)
    await env.advance_time(120)
    for guild, _general, news, digest, *_rest in guilds:
        assert [p.content for p in bot_posts(news)] == [f"Hello {guild.name}!"]
        posts = bot_posts(digest)
        assert len(posts) == 1 and posts[0].content.startswith("📬 **Weekly digest**")
        assert posts[0].attachments, "the digest's chart"
