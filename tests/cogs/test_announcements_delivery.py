"""Announcement delivery through discord.py with SimCord: firing on time, retries, recovery
after restarts, the late policy, publishing, forum posts and reaction counts.

The alarm-driven side (cogs/announcements/delivery.py); the commands are tested in
test_announcements.py, whose helpers these tests share.
"""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from tests.cogs.test_announcements import (
    DAY,
    HOUR,
    _local_times,
    message_posts,
    service,
    setup_world,
)
from tests.conftest import bot_posts, make_advocates, schedule_announcement


def deliveries(bots):
    return bots.current.get_cog("AnnouncementsCog").delivery_service


# ------------------------------------------------------------------- 1. one-off


async def test_one_off_fires_at_its_time_and_counts_reactions(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    r = await schedule_announcement(
        world, news, when="2026-01-01 10:00", body="Release {server} on {date}"
    )
    assert r.ephemeral
    assert "Scheduled announcement **#1**" in r.response.content
    assert "<t:1767261600:f>" in r.response.content  # the next occurrence, as a timestamp
    preview = r.followups[0]
    assert preview.ephemeral
    assert preview.content == "Release DevRel Community on <t:1767261600:D>"
    assert bot_posts(news) == []

    await env.advance_time(10 * HOUR - 60)
    assert bot_posts(news) == []
    await env.advance_time(120)
    posts = bot_posts(news)
    assert [p.content for p in posts] == [preview.content]
    assert posts[0].created_at == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)

    a = await service(bots).get(world.guild.id, 1)
    assert a.status == "completed" and a.next_run_at is None
    await world.bob.react(posts[0], "🎉")
    await world.carol.react(posts[0], "🎉")
    await env.advance_time(DAY + 60)
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert "sent" in r.response.content
    assert f"/{news.id}/{posts[0].id}" in r.response.content
    assert "2 reactions" in r.response.content
    figures = await bots.current.services.announcements.repo.digest_figures(
        world.guild.id, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC)
    )
    assert figures.sent == 1
    assert figures.best[0][0] == 1 and figures.best[0][2] == 2


# ------------------------------------------------------------- 2. DST, 3. rules


async def test_weekly_new_york_stays_at_nine_across_both_dst_changes(world) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(
        world, news, when="2026-03-01 09:00", repeat="weekly", timezone="America/New_York"
    )
    # 2026-01-01 -> 2026-03-16: across the spring change on March 8.
    await env.advance_time((datetime(2026, 3, 16, tzinfo=UTC) - env.now()).total_seconds())
    assert await _local_times(news, "America/New_York") == [
        ("2026-03-01", "09:00"),
        ("2026-03-08", "09:00"),
        ("2026-03-15", "09:00"),
    ]
    utc_hours = [p.created_at.hour for p in bot_posts(news)]
    assert utc_hours == [14, 13, 13]  # the UTC instant moved; the local time didn't


async def test_weekly_new_york_autumn_change(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    # Get close to the autumn change without posting every week of the year.
    await env.advance_time((datetime(2026, 10, 20, tzinfo=UTC) - env.now()).total_seconds())
    await schedule_announcement(
        world, news, when="2026-10-25 09:00", repeat="weekly", timezone="America/New_York"
    )
    await env.advance_time((datetime(2026, 11, 9, tzinfo=UTC) - env.now()).total_seconds())
    assert await _local_times(news, "America/New_York") == [
        ("2026-10-25", "09:00"),
        ("2026-11-01", "09:00"),
        ("2026-11-08", "09:00"),
    ]
    assert [p.created_at.hour for p in bot_posts(news)] == [13, 14, 14]


async def test_weekdays_and_cron_fire_on_the_right_days(world) -> None:
    env = world.env
    news = await setup_world(world)
    other = world.guild.create_text_channel("tips")
    await env.settle()
    # 2026-01-02 is a Friday.
    await schedule_announcement(world, news, when="2026-01-02 09:00", repeat="weekdays")
    await schedule_announcement(
        world, other, when="2026-01-06 12:00", repeat="cron:0 12 * * tue,thu"
    )
    await env.advance_time(13 * DAY)
    days = [d for d, _ in await _local_times(news, "UTC")]
    assert days == [
        "2026-01-02",
        "2026-01-05",
        "2026-01-06",
        "2026-01-07",
        "2026-01-08",
        "2026-01-09",
        "2026-01-12",
        "2026-01-13",
    ]
    assert await _local_times(other, "UTC") == [
        ("2026-01-06", "12:00"),
        ("2026-01-08", "12:00"),
        ("2026-01-13", "12:00"),
    ]


# ------------------------------------------------------------------ 5. restarts


async def test_restart_between_scheduling_and_due_time_posts_once(world, restart) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00", repeat="daily")
    bot = await restart()
    assert bot.alarm.names("announce:") == ["announce:1"]
    await env.advance_time(9 * HOUR + 60)
    assert len(bot_posts(news)) == 1
    await restart()  # right after sending
    await env.advance_time(HOUR)
    assert len(bot_posts(news)) == 1
    await env.advance_time(DAY)
    assert len(bot_posts(news)) == 2


async def _claim_without_sending(world, bots):
    """Get to the point where the occurrence is claimed but nothing is recorded."""
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00")
    bots.current.alarm.cancel("announce:1")  # we play the job's part by hand
    await env.advance_time(9 * HOUR)
    occurrence = await deliveries(bots).start_occurrence(1)
    assert occurrence is not None and occurrence.claim is not None
    return news, occurrence.claim


async def test_crash_after_claim_before_send_sends_once_after_restart(world, bots, restart) -> None:
    news, claim = await _claim_without_sending(world, bots)
    assert bot_posts(news) == []
    await restart()
    await world.env.settle()
    posts = bot_posts(news)
    assert len(posts) == 1
    delivery = await deliveries(bots).delivery(claim.delivery_id)
    assert delivery.status == "sent" and delivery.message_id == posts[0].id
    await world.env.advance_time(DAY)
    assert len(bot_posts(news)) == 1


async def test_crash_after_send_before_record_does_not_send_twice(world, bots, restart) -> None:
    news, claim = await _claim_without_sending(world, bots)
    cog = bots.current.get_cog("AnnouncementsCog")
    channel = bots.current.get_channel(news.id)
    message_id, _ = await cog.delivery._post(channel, claim.post, claim.nonce)  # sent, not recorded
    sent = [r for r in message_posts(world.env) if f"/channels/{news.id}/" in r.path]
    assert sent[-1].json["nonce"] == f"hallway-ann-{claim.delivery_id}"
    assert sent[-1].json["enforce_nonce"] is True
    await restart()
    await world.env.settle()
    posts = bot_posts(news)
    assert [p.id for p in posts] == [message_id]
    delivery = await deliveries(bots).delivery(claim.delivery_id)
    assert delivery.status == "sent" and delivery.message_id == message_id
    a = await service(bots).get(world.guild.id, 1)
    assert a.status == "completed"


# --------------------------------------------------------------- 6. late policy


async def _offline_for(world, bots, restart, hours: float) -> None:
    await bots.current.alarm.stop()  # the bot is down: nothing fires
    await world.env.advance_time(hours * HOUR)
    await restart()
    await world.env.settle()


async def test_offline_past_due_with_late_send_posts_once(world, bots, restart) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00", late="send")
    await world.env.advance_time(8 * HOUR)
    await _offline_for(world, bots, restart, 4)  # back at 12:00, 3 h late
    assert len(bot_posts(news)) == 1
    await world.env.advance_time(DAY)
    assert len(bot_posts(news)) == 1


async def test_offline_past_due_with_default_policy_is_missed_and_author_told(
    world, bots, restart
) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00", repeat="daily")
    await world.env.advance_time(8 * HOUR)
    await _offline_for(world, bots, restart, 4)
    assert bot_posts(news) == []
    dm = world.alice.user.dm_channel.last_message
    assert dm is not None and "I was offline" in dm.content and "#1" in dm.content
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert "missed" in r.response.content and "late by 3 h" in r.response.content
    await world.env.advance_time(DAY)  # the next day is on time again
    assert await _local_times(news, "UTC") == [("2026-01-02", "09:00")]


async def test_offline_briefly_default_policy_still_sends(world, bots, restart) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00")
    await world.env.advance_time(8 * HOUR)
    await _offline_for(world, bots, restart, 1.5)  # back at 09:30
    assert len(bot_posts(news)) == 1


async def test_late_skip_skips_even_a_little_late(world, bots, restart) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00", late="skip")
    await world.env.advance_time(8 * HOUR)
    await _offline_for(world, bots, restart, 1.5)
    assert bot_posts(news) == []
    a = await service(bots).get(world.guild.id, 1)
    assert a.status == "completed"


# --------------------------------------------------------- 7. publish, 8. forum


async def test_announcement_channel_post_is_published(world) -> None:
    news = await setup_world(world, news=True)
    await schedule_announcement(world, news, when="in 2 hours")
    await world.env.advance_time(2 * HOUR + 60)
    posts = bot_posts(news)
    assert len(posts) == 1
    crossposts = [r for r in world.env.http_requests if r.path.endswith("/crosspost")]
    assert [r.path for r in crossposts] == [f"/channels/{news.id}/messages/{posts[0].id}/crosspost"]


async def test_forum_post(world, bots) -> None:
    await make_advocates(world)
    forum = world.guild.create_forum_channel("releases")
    await world.env.settle()
    await schedule_announcement(
        world,
        forum,
        when="in 1 hour",
        title="v2.0 is out",
        body="Everything new in {server}.",
        image="https://example.com/banner.png",
    )
    await world.env.advance_time(HOUR + 60)
    threads = forum.threads
    assert [t.name for t in threads] == ["v2.0 is out"]
    starter = threads[0].history()[0]
    assert starter.embeds[0].title == "v2.0 is out"
    assert starter.embeds[0].description == "Everything new in DevRel Community."
    assert starter.embeds[0].image.url == "https://example.com/banner.png"
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.status == "sent" and delivery.channel_id == threads[0].id


async def test_forum_post_without_title_uses_first_line(world) -> None:
    await make_advocates(world)
    forum = world.guild.create_forum_channel("releases")
    await world.env.settle()
    await schedule_announcement(world, forum, when="in 1 hour", body="## Community call\nJoin us!")
    await world.env.advance_time(HOUR + 60)
    assert [t.name for t in forum.threads] == ["Community call"]


# ----------------------------------------------------------------- 10. failures


async def test_server_error_is_retried(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="in 1 hour")
    env.inject_error("POST", "/channels/*/messages", status=500, times=1)
    await env.advance_time(HOUR + 60)
    posts = bot_posts(news)
    assert len(posts) == 1
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.status == "sent" and delivery.attempts == 1  # one failed try before


async def test_server_errors_give_up_after_three_tries(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="in 1 hour", repeat="daily")
    env.inject_error("POST", "/channels/*/messages", status=503, times=3)
    await env.advance_time(HOUR + 60)
    assert bot_posts(news) == []
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.status == "failed" and delivery.attempts == 3
    dm = world.alice.user.dm_channel.last_message
    assert "Discord kept failing" in dm.content and "after 3 tries" in dm.content
    a = await service(bots).get(world.guild.id, 1)
    assert a.status == "scheduled"  # a repeat goes on
    await env.advance_time(DAY)
    assert len(bot_posts(news)) == 1


async def test_forbidden_gives_up_at_once_and_dms_the_author(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="in 1 hour")
    env.inject_error("POST", "/channels/*/messages", status=403, code=50013, times=1)
    await env.advance_time(HOUR + 60)
    assert bot_posts(news) == []
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.status == "failed" and delivery.attempts == 1
    a = await service(bots).get(world.guild.id, 1)
    assert a.status == "failed"
    dm = world.alice.user.dm_channel.last_message
    assert "I can't post in #news" in dm.content
    assert "send-now" in dm.content


async def test_missing_send_messages_is_named_in_the_dm(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    locked = world.guild.create_text_channel(
        "locked", overwrites={env.bot.user: discord.PermissionOverwrite(send_messages=False)}
    )
    await env.settle()
    await schedule_announcement(world, locked, when="in 1 hour")
    await env.advance_time(HOUR + 60)
    dm = world.alice.user.dm_channel.last_message
    assert "I can't post in #locked: missing Send Messages" in dm.content
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert "failed" in r.response.content and "missing Send Messages" in r.response.content


async def test_deleted_channel_gives_up(world, bots) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="in 1 hour")
    await bots.current.get_channel(news.id).delete()
    await world.env.advance_time(HOUR + 60)
    dm = world.alice.user.dm_channel.last_message
    assert "no longer exists" in dm.content
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.status == "failed"


# ------------------------------------------------------- restarts after sending


async def test_resumed_claim_retries_a_server_error_without_spinning(world, bots, restart) -> None:
    news, claim = await _claim_without_sending(world, bots)
    world.env.inject_error("POST", "/channels/*/messages", status=500, times=1)
    await restart()
    await world.env.advance_time(60)  # past the first backoff
    posts = bot_posts(news)
    assert len(posts) == 1
    delivery = await deliveries(bots).delivery(claim.delivery_id)
    assert delivery.status == "sent" and delivery.attempts == 1
    assert (await service(bots).get(world.guild.id, 1)).status == "completed"


async def test_reaction_count_survives_a_restart(world, bots, restart) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="in 1 hour")
    await world.env.advance_time(HOUR + 60)
    post = bot_posts(news)[0]
    await world.bob.react(post, "👍")
    bot = await restart()
    assert bot.alarm.names("announce-reactions:") == ["announce-reactions:1"]
    await world.env.advance_time(DAY)
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.reactions == 1 and delivery.reactions_recorded_at is not None


async def test_restart_between_sending_and_publishing_still_publishes(world, bots, restart) -> None:
    env = world.env
    news = await setup_world(world, news=True)
    await schedule_announcement(world, news, when="in 1 hour")
    # The crosspost fails as if the process died there (a 404 is not retried in-process);
    # a restart must finish it.
    env.inject_error("POST", "/channels/*/messages/*/crosspost", status=404, times=1)
    await env.advance_time(HOUR + 60)
    post = bot_posts(news)[0]
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.status == "sent" and delivery.published_at is None
    await restart()
    await env.settle()
    crossposts = [r.path for r in env.http_requests if r.path.endswith("/crosspost")]
    assert crossposts == [f"/channels/{news.id}/messages/{post.id}/crosspost"] * 2
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.published_at is not None
    assert len(bot_posts(news)) == 1
    await restart()  # published: nothing more to do
    await env.settle()
    assert len([r for r in env.http_requests if r.path.endswith("/crosspost")]) == 2
