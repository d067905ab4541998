"""/announce through discord.py with SimCord: scheduling, delivery and recovery."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import discord

from tests.conftest import make_advocates

HOUR = 3600
DAY = 24 * HOUR


async def schedule(world, channel, body="Hello {server}!", image="", actor=None, **options):
    actor = actor or world.alice
    shown = await actor.slash(world.general, "announce schedule", channel=channel, **options)
    assert shown.modal is not None, shown.response.content
    return await actor.submit_modal(shown, {"body": body, "image_url": image})


def bot_posts(channel) -> list[discord.Message]:
    return [m for m in channel.history() if m.author.bot and m.type is discord.MessageType.default]


def message_posts(env) -> list:
    return [r for r in env.http_requests if r.method == "POST" and r.path.endswith("/messages")]


async def setup_world(world, name="news", *, news=False):
    await make_advocates(world)
    guild = world.guild
    channel = guild.create_news_channel(name) if news else guild.create_text_channel(name)
    await world.env.settle()
    return channel


def service(bots):
    return bots.current.services.announcements


def deliveries(bots):
    return bots.current.get_cog("AnnouncementsCog").delivery_service


# ----------------------------------------------------------------- 1. one-off


async def test_one_off_fires_at_its_time_and_counts_reactions(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    r = await schedule(world, news, when="2026-01-01 10:00", body="Release {server} on {date}")
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


# ----------------------------------------------------------- 2. DST, 3. rules


async def _local_times(channel, zone: str) -> list[tuple[str, str]]:
    tz = ZoneInfo(zone)
    return [
        (f"{p.created_at.astimezone(tz):%Y-%m-%d}", f"{p.created_at.astimezone(tz):%H:%M}")
        for p in bot_posts(channel)
    ]


async def test_weekly_new_york_stays_at_nine_across_both_dst_changes(world) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule(
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
    await schedule(
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
    await schedule(world, news, when="2026-01-02 09:00", repeat="weekdays")
    await schedule(world, other, when="2026-01-06 12:00", repeat="cron:0 12 * * tue,thu")
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


# ------------------------------------------------------------ 4. pause/resume


async def test_pause_and_resume(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-01 09:00", repeat="daily")
    await env.advance_time(10 * HOUR)
    assert len(bot_posts(news)) == 1
    r = await world.alice.slash(world.general, "announce pause", id=1)
    assert "Paused #1" in r.response.content
    assert "announce:1" not in bots.current.alarm.names("announce:")
    await env.advance_time(3 * DAY)
    assert len(bot_posts(news)) == 1  # nothing while paused
    r = await world.alice.slash(world.general, "announce resume", id=1)
    assert "Resumed #1" in r.response.content
    # Counted from now (Jan 4, 10:00): the next is Jan 5 09:00, the paused days aren't sent.
    assert "<t:1767603600:F>" in r.response.content
    await env.advance_time(DAY)
    assert [d for d, _ in await _local_times(news, "UTC")] == ["2026-01-01", "2026-01-05"]
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert r.response.content.count("sent") == 2
    assert "missed" not in r.response.content


async def test_resume_of_a_passed_one_off_asks_for_a_new_time(world) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-01 09:00")
    await world.alice.slash(world.general, "announce pause", id=1)
    await env.advance_time(10 * HOUR)
    r = await world.alice.slash(world.general, "announce resume", id=1)
    assert "time has passed" in r.response.content and "when:" in r.response.content
    r = await world.alice.slash(world.general, "announce resume", id=1, when="tomorrow 09:00")
    assert "Resumed #1" in r.response.content
    await env.advance_time(DAY)
    assert await _local_times(news, "UTC") == [("2026-01-02", "09:00")]


# --------------------------------------------------------------- 5. restarts


async def test_restart_between_scheduling_and_due_time_posts_once(world, restart) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-01 09:00", repeat="daily")
    bot = await restart()
    assert bot.alarm.names("announce:") == ["announce:1"]
    await env.advance_time(9 * HOUR + 60)
    assert len(bot_posts(news)) == 1
    await restart()  # right after sending
    await env.advance_time(HOUR)
    assert len(bot_posts(news)) == 1
    await env.advance_time(DAY)
    assert len(bot_posts(news)) == 2


async def test_modal_opened_before_a_restart_still_works(world, restart) -> None:
    news = await setup_world(world)
    shown = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="2026-01-01 09:00"
    )
    await restart()
    r = await world.alice.submit_modal(shown, {"body": "Still here", "image_url": ""})
    assert "Scheduled announcement **#1**" in r.response.content
    await world.env.advance_time(10 * HOUR)
    assert [p.content for p in bot_posts(news)] == ["Still here"]


async def _claim_without_sending(world, bots):
    """Get to the point where the occurrence is claimed but nothing is recorded."""
    env = world.env
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-01 09:00")
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


# ------------------------------------------------------------- 6. late policy


async def _offline_for(world, bots, restart, hours: float) -> None:
    await bots.current.alarm.stop()  # the bot is down: nothing fires
    await world.env.advance_time(hours * HOUR)
    await restart()
    await world.env.settle()


async def test_offline_past_due_with_late_send_posts_once(world, bots, restart) -> None:
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-01 09:00", late="send")
    await world.env.advance_time(8 * HOUR)
    await _offline_for(world, bots, restart, 4)  # back at 12:00, 3 h late
    assert len(bot_posts(news)) == 1
    await world.env.advance_time(DAY)
    assert len(bot_posts(news)) == 1


async def test_offline_past_due_with_default_policy_is_missed_and_author_told(
    world, bots, restart
) -> None:
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-01 09:00", repeat="daily")
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
    await schedule(world, news, when="2026-01-01 09:00")
    await world.env.advance_time(8 * HOUR)
    await _offline_for(world, bots, restart, 1.5)  # back at 09:30
    assert len(bot_posts(news)) == 1


async def test_late_skip_skips_even_a_little_late(world, bots, restart) -> None:
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-01 09:00", late="skip")
    await world.env.advance_time(8 * HOUR)
    await _offline_for(world, bots, restart, 1.5)
    assert bot_posts(news) == []
    a = await service(bots).get(world.guild.id, 1)
    assert a.status == "completed"


# ------------------------------------------------------ 7. publish, 8. forum


async def test_announcement_channel_post_is_published(world) -> None:
    news = await setup_world(world, news=True)
    await schedule(world, news, when="in 2 hours")
    await world.env.advance_time(2 * HOUR + 60)
    posts = bot_posts(news)
    assert len(posts) == 1
    crossposts = [r for r in world.env.http_requests if r.path.endswith("/crosspost")]
    assert [r.path for r in crossposts] == [f"/channels/{news.id}/messages/{posts[0].id}/crosspost"]


async def test_forum_post(world, bots) -> None:
    await make_advocates(world)
    forum = world.guild.create_forum_channel("releases")
    await world.env.settle()
    await schedule(
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
    await schedule(world, forum, when="in 1 hour", body="## Community call\nJoin us!")
    await world.env.advance_time(HOUR + 60)
    assert [t.name for t in forum.threads] == ["Community call"]


# ------------------------------------------------------------------ 9. pings


async def test_role_ping_allows_exactly_that_role(world) -> None:
    env = world.env
    news = await setup_world(world)
    releases = world.guild.create_role("Releases", mentionable=True)
    await env.settle()
    body = f"New release! cc {world.advocates.mention} {world.bob.mention} @everyone @here"
    await schedule(world, news, when="in 1 hour", ping=releases, body=body)
    await env.advance_time(HOUR + 60)
    request = message_posts(env)[-1]
    # No "users"/"everyone" in parse and no user list: only the chosen role can ping.
    assert request.json["allowed_mentions"] == {"parse": [], "roles": [releases.id]}
    content = request.json["content"]
    assert content.startswith(f"<@&{releases.id}>\n")
    assert "@everyone" not in content and "@here" not in content  # defused


async def test_everyone_ping_needs_the_permission(world) -> None:
    env = world.env
    news = await setup_world(world)
    everyone = world.guild.default_role
    r = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="in 1 hour", ping=everyone
    )
    assert r.modal is None
    assert "can't ping @everyone" in r.response.content
    boss = world.guild.create_role("Boss", permissions=discord.Permissions(mention_everyone=True))
    dana = world.guild.add_member(env.create_user("dana"), roles=[world.advocates, boss])
    await env.settle()
    await schedule(world, news, when="in 1 hour", ping=everyone, body="All hands", actor=dana)
    await env.advance_time(HOUR + 60)
    request = message_posts(env)[-1]
    assert request.json["content"] == "@everyone\nAll hands"
    assert request.json["allowed_mentions"]["parse"] == ["everyone"]


async def test_unmentionable_role_is_refused(world) -> None:
    news = await setup_world(world)
    hidden = world.guild.create_role("Staff")
    await world.env.settle()
    r = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="in 1 hour", ping=hidden
    )
    assert r.modal is None and "isn't mentionable" in r.response.content


# -------------------------------------------------------------- 10. failures


async def test_server_error_is_retried(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule(world, news, when="in 1 hour")
    env.inject_error("POST", "/channels/*/messages", status=500, times=1)
    await env.advance_time(HOUR + 60)
    posts = bot_posts(news)
    assert len(posts) == 1
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.status == "sent" and delivery.attempts == 1  # one failed try before


async def test_server_errors_give_up_after_three_tries(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule(world, news, when="in 1 hour", repeat="daily")
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
    await schedule(world, news, when="in 1 hour")
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
    await schedule(world, locked, when="in 1 hour")
    await env.advance_time(HOUR + 60)
    dm = world.alice.user.dm_channel.last_message
    assert "I can't post in #locked: missing Send Messages" in dm.content
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert "failed" in r.response.content and "missing Send Messages" in r.response.content


async def test_deleted_channel_gives_up(world, bots) -> None:
    news = await setup_world(world)
    await schedule(world, news, when="in 1 hour")
    await bots.current.get_channel(news.id).delete()
    await world.env.advance_time(HOUR + 60)
    dm = world.alice.user.dm_channel.last_message
    assert "no longer exists" in dm.content
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.status == "failed"


# ----------------------------------------------------------------- managing


async def test_list_show_preview_edit_cancel_send_now(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-02 09:00", repeat="weekly", title="Weekly tips")
    await schedule(world, news, when="2026-01-03 09:00", body="Office hours: {next_office_hours}")

    r = await world.alice.slash(world.general, "announce list")
    assert "**#1** Weekly tips" in r.response.content
    assert "**#2** Office hours: {next_office_hours}" in r.response.content
    r = await world.alice.slash(world.general, "announce list", status="paused")
    assert "No paused announcements" in r.response.content

    choices = await world.alice.autocomplete(world.general, "announce show", "id", "week")
    assert [c["value"] for c in choices] == [1]

    r = await world.alice.slash(world.general, "announce show", id=1)
    assert "every Friday at 09:00 (UTC)" in r.response.content

    r = await world.alice.slash(world.general, "announce preview", id=2)
    assert r.followups[0].content == "Office hours: none scheduled"

    shown = await world.alice.slash(
        world.general, "announce edit", id=1, timezone="Europe/Berlin", when="2026-01-05 10:00"
    )
    assert shown.modal is not None
    r = await world.alice.submit_modal(
        shown, {"title": "Monday tips", "body": "Tip of the week", "image_url": ""}
    )
    assert "Updated announcement **#1**" in r.response.content
    assert "every Monday at 10:00 (Europe/Berlin)" in r.response.content
    a = await service(bots).get(world.guild.id, 1)
    assert a.next_run_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert bots.current.alarm.due_time("announce:1") == a.next_run_at

    r = await world.alice.slash(world.general, "announce cancel", id=2)
    assert "Cancelled #2" in r.response.content
    assert "announce:2" not in bots.current.alarm.names()
    r = await world.alice.slash(world.general, "announce cancel", id=2)
    assert "is cancelled" in r.response.content

    r = await world.alice.slash(world.general, "announce send-now", id=1)
    posts = bot_posts(news)
    assert len(posts) == 1 and posts[0].embeds[0].title == "Monday tips"
    assert f"/{news.id}/{posts[0].id}" in r.response.content
    await env.advance_time(5 * DAY)  # the weekly schedule carries on
    assert len(bot_posts(news)) == 2
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert "sent by hand" in r.response.content


async def test_send_now_of_a_pending_one_off_completes_it(world, bots) -> None:
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-02 09:00")
    await world.alice.slash(world.general, "announce send-now", id=1)
    await world.env.advance_time(2 * DAY)
    assert len(bot_posts(news)) == 1
    assert (await service(bots).get(world.guild.id, 1)).status == "completed"


async def test_edit_keeps_wall_time_when_only_the_zone_changes(world, bots) -> None:
    news = await setup_world(world)
    await schedule(world, news, when="2026-01-05 09:00", repeat="daily")
    shown = await world.alice.slash(world.general, "announce edit", id=1, timezone="Asia/Tokyo")
    await world.alice.submit_modal(shown, {"title": "", "body": "Morning", "image_url": ""})
    a = await service(bots).get(world.guild.id, 1)
    assert a.next_run_at == datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
    assert a.title is None and a.body == "Morning"


# --------------------------------------------------------------- 11. errors


async def _nothing_stored(world, bots) -> None:
    assert await service(bots).list(world.guild.id) == []
    r = await world.alice.slash(world.general, "announce list")
    assert "No announcements yet" in r.response.content


async def test_every_option_error_is_clear_and_opens_no_modal(world, bots) -> None:
    news = await setup_world(world)
    cases = [
        ({"when": "2025-12-31 09:00"}, "passed"),
        ({"when": "whenever"}, "tomorrow"),
        ({"when": "in 1 hour", "repeat": "cron:0 9 * *"}, "needs 5"),
        ({"when": "in 1 hour", "repeat": "cron:*/30 * * * *"}, "at least an hour apart"),
        ({"when": "in 1 hour", "repeat": "hourly"}, "isn't a repeat I know"),
        ({"when": "in 1 hour", "timezone": "Mars/Olympus"}, "isn't a time zone"),
        ({"when": "in 1 hour", "title": "x" * 300}, "limit is 256"),
        ({"when": "in 1 hour", "title": "Hi {name}"}, "isn't a template variable"),
    ]
    for options, expected in cases:
        r = await world.alice.slash(world.general, "announce schedule", channel=news, **options)
        assert r.modal is None, options
        assert r.ephemeral
        assert expected in r.response.content, (options, r.response.content)
    await _nothing_stored(world, bots)


async def test_modal_errors_store_nothing(world, bots) -> None:
    news = await setup_world(world)
    for body, image, expected in [
        ("Hi {user}", "", "`{user}` isn't a template variable"),
        ("Hi {", "", "stray brace"),
        ("Fine", "ftp://example.com/x.png", "must be a web address"),
        ("Fine", "javascript:alert(1)", "must be a web address"),
        ("   ", "", "needs some text"),
    ]:
        r = await schedule(world, news, when="in 1 hour", body=body, image=image)
        assert r.ephemeral
        assert expected in r.response.content, r.response.content
    r = await schedule(world, news, when="in 1 hour", body="Hi {user}")
    assert "{server}" in r.response.content and "{next_office_hours}" in r.response.content
    await _nothing_stored(world, bots)


async def test_time_passing_while_the_form_is_open(world, bots) -> None:
    news = await setup_world(world)
    shown = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="in 5 minutes"
    )
    await world.env.advance_time(600)
    r = await world.alice.submit_modal(shown, {"body": "Late", "image_url": ""})
    assert "passed while the form was open" in r.response.content
    await _nothing_stored(world, bots)


async def test_active_limit(world, bots) -> None:
    news = await setup_world(world)
    svc = service(bots)
    for _ in range(200):
        draft = await svc.start_draft(
            world.guild.id,
            world.alice.id,
            channel_id=news.id,
            channel_kind="text",
            when="in 2 hours",
            repeat="none",
            zone=None,
            ping_role_id=None,
            ping_everyone=False,
            title=None,
            late=None,
        )
        await svc.create_from_draft(
            world.guild.id, world.alice.id, draft.id, body="x", image_url=None
        )
    r = await world.alice.slash(world.general, "announce schedule", channel=news, when="in 1 hour")
    assert r.modal is None and "already has 200" in r.response.content
    await world.alice.slash(world.general, "announce cancel", id=1)
    r = await world.alice.slash(world.general, "announce schedule", channel=news, when="in 1 hour")
    assert r.modal is not None


async def test_unknown_ids_and_wrong_states(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule(world, news, when="in 1 hour")
    for command in ("show", "preview", "edit", "pause", "resume", "cancel", "send-now", "history"):
        r = await world.alice.slash(world.general, f"announce {command}", id=99)
        assert "no announcement #99" in r.response.content, command
    r = await world.alice.slash(world.general, "announce resume", id=1)
    assert "only a paused announcement" in r.response.content
    await world.alice.slash(world.general, "announce pause", id=1)
    r = await world.alice.slash(world.general, "announce pause", id=1)
    assert "only a scheduled announcement" in r.response.content
    # Another server can't see or touch this one.
    other = env.create_guild("Elsewhere")
    room = other.create_text_channel("room")
    boss_role = other.create_role("Boss", permissions=discord.Permissions(manage_guild=True))
    boss = other.add_member(env.create_user("boss"), roles=[boss_role])
    await env.settle()
    r = await boss.slash(room, "announce show", id=1)
    assert "no announcement #1" in r.response.content
    assert await boss.autocomplete(room, "announce show", "id", "") == []


# -------------------------------------------------------------- 12. members


async def test_members_are_refused(world, bots) -> None:
    news = await setup_world(world)
    await schedule(world, news, when="in 1 hour")
    calls = [
        ("announce schedule", {"channel": news, "when": "in 1 hour"}),
        ("announce list", {}),
        ("announce show", {"id": 1}),
        ("announce edit", {"id": 1}),
        ("announce pause", {"id": 1}),
        ("announce resume", {"id": 1}),
        ("announce cancel", {"id": 1}),
        ("announce send-now", {"id": 1}),
        ("announce preview", {"id": 1}),
        ("announce history", {"id": 1}),
    ]
    for name, options in calls:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral and r.modal is None, name
        assert "Only advocates can do that" in r.response.content, name
    # An advocate who loses the role while the form is open can't finish it.
    shown = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="in 2 hours"
    )
    others = world.guild.create_role("Others")
    await world.env.settle()
    await world.admin.slash(world.general, "setup advocate-role", role=others)
    r = await world.alice.submit_modal(shown, {"body": "too late", "image_url": ""})
    assert "Only advocates" in r.response.content
    assert len(await service(bots).list(world.guild.id)) == 1
    await world.env.advance_time(HOUR + 60)
    assert len(bot_posts(news)) == 1


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
    await schedule(world, news, when="in 1 hour")
    await world.env.advance_time(HOUR + 60)
    post = bot_posts(news)[0]
    await world.bob.react(post, "👍")
    bot = await restart()
    assert bot.alarm.names("announce-reactions:") == ["announce-reactions:1"]
    await world.env.advance_time(DAY)
    delivery = (await service(bots).history(world.guild.id, 1))[0]
    assert delivery.reactions == 1 and delivery.reactions_recorded_at is not None


class _Session:
    title = "API clinic"
    starts_at = datetime(2026, 1, 3, 17, 0, tzinfo=UTC)


class _OfficeHours:
    async def next_session(self, guild_id: int):
        return _Session()


async def test_next_office_hours_variable_and_zone_autocomplete(world, bots) -> None:
    news = await setup_world(world)
    bots.current.services.office_hours = _OfficeHours()
    await schedule(world, news, when="in 1 hour", body="Next: {next_office_hours}")
    await world.env.advance_time(HOUR + 60)
    assert bot_posts(news)[0].content == "Next: API clinic (<t:1767459600:F>)"
    choices = await world.alice.autocomplete(
        world.general, "announce schedule", "timezone", "new_y"
    )
    assert {"name": "America/New_York", "value": "America/New_York"} in choices


async def test_restart_between_sending_and_publishing_still_publishes(world, bots, restart) -> None:
    env = world.env
    news = await setup_world(world, news=True)
    await schedule(world, news, when="in 1 hour")
    # The crosspost fails as if the process died there; a restart must finish it.
    env.inject_error("POST", "/channels/*/messages/*/crosspost", status=500, times=1)
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
