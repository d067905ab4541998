"""The Monday-morning storm (issue 20): every guild's digest due in the same minute.

Discord allows a bot 50 requests per second in all; SimCord returns no 429s, so the
test counts the bot's channel POSTs per virtual second instead. Each guild must get its
digest exactly once, soon, and no second may carry more than the limit.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from tests.cogs.test_digest import FIRST_MONDAY_9, advance_to
from tests.conftest import bot_posts

GUILDS = 60  # well past one second's worth (storm lane: 15/s plus a burst of 5)
DISCORD_LIMIT = 50


async def storm_guilds(world) -> list:
    """GUILDS guilds whose digests are all due Monday 09:00 UTC, the clock at 08:59:59."""
    env, bot = world.env, world.env.bot
    channels = []
    for n in range(GUILDS):
        guild = env.create_guild(f"community {n}")
        channels.append((guild, guild.create_text_channel("general")))
    await env.settle()
    for guild, channel in channels:
        await bot.services.digest.configure(
            guild.id,
            channel_id=channel.id,
            day="monday",
            post_time="09:00",
            timezone="UTC",
            enabled=True,
            skip_empty=False,
        )
    await bot.get_cog("DigestCog").rebuild_schedule()
    await advance_to(env, datetime(2026, 1, 5, 8, 59, 59, tzinfo=UTC))
    return channels


async def test_a_storm_of_digests_is_spread_under_the_limit_and_each_posts_once(world) -> None:
    env, bot = world.env, world.env.bot
    channels = await storm_guilds(world)

    per_second: Counter[int] = Counter()
    for second in range(12):
        seen = len(env.http_requests)
        await env.advance_time(1)
        per_second[second] = sum(
            1
            for r in env.http_requests[seen:]
            if r.method == "POST" and r.path.startswith("/channels/")
        )
    assert env.now() > FIRST_MONDAY_9

    assert [len(bot_posts(channel)) for _, channel in channels] == [1] * GUILDS
    assert sum(per_second.values()) == GUILDS
    assert max(per_second.values()) <= DISCORD_LIMIT, per_second
    # Spread, not late: 60 posts at 15/s take under four seconds past the burst.
    busy = [s for s, n in per_second.items() if n]
    assert 4 <= len(busy) <= 6, per_second
    assert max(per_second.values()) <= 15 + 5, per_second
    runs = await bot.db.fetchval("SELECT count(*) FROM digest_runs WHERE status = 'posted'")
    assert runs == GUILDS


async def test_a_restart_mid_storm_posts_every_digest_once(world, restart) -> None:
    env = world.env
    channels = await storm_guilds(world)
    await env.advance_time(1.5)  # 09:00:00.5: the burst and about 7 more are out
    posted_before = sum(len(bot_posts(channel)) for _, channel in channels)
    assert 5 < posted_before < GUILDS
    bot = await restart(crash=True)
    await env.advance_time(20)
    assert [len(bot_posts(channel)) for _, channel in channels] == [1] * GUILDS
    runs = await bot.db.fetchval("SELECT count(*) FROM digest_runs WHERE status = 'posted'")
    assert runs == GUILDS
