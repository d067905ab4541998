"""The weekly digest end to end: schedule, post once, skip-empty, pin, chart, /stats."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import discord
from PIL import Image

from tests.conftest import bot_posts, make_advocates

# SimCord starts on Thursday 1 January 2026 00:00 UTC; the first Monday 09:00 is the 5th.
FIRST_MONDAY_9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def advance_to(env, when: datetime) -> None:
    from discord.utils import utcnow

    await env.advance_time((when - utcnow()).total_seconds())


async def setup_digest(world, **options):
    await make_advocates(world)
    channel = world.guild.create_text_channel("digest")
    await world.env.settle()
    r = await world.alice.slash(world.general, "digest configure", channel=channel, **options)
    assert r.ephemeral, r
    return channel, r


async def chat(world, count_by_member: dict) -> None:
    for member, count in count_by_member.items():
        for i in range(count):
            await member.send(world.general, f"message {i}")


async def test_configure_shows_the_settings_and_the_next_post(world) -> None:
    channel, r = await setup_digest(world)
    text = r.response.content
    assert f"Channel: <#{channel.id}>" in text
    assert "Schedule: every Monday at 09:00 (UTC)" in text
    stamp = int(FIRST_MONDAY_9.timestamp())
    assert f"Status: on, next post <t:{stamp}:F>" in text
    assert "Skip empty weeks: yes" in text and "Pin the newest digest: no" in text

    r = await world.alice.slash(
        world.general,
        "digest configure",
        day="friday",
        time="17:30",
        timezone="Pacific/Auckland",
        pin=True,
        **{"skip-empty": False},
    )
    text = r.response.content
    assert "Schedule: every Friday at 17:30 (Pacific/Auckland)" in text
    # Friday 2 Jan 17:30 NZDT = 04:30 UTC.
    assert f"<t:{int(datetime(2026, 1, 2, 4, 30, tzinfo=UTC).timestamp())}:F>" in text
    assert "Skip empty weeks: no" in text and "Pin the newest digest: yes" in text

    r = await world.alice.slash(world.general, "digest configure", time="25:00")
    assert r.ephemeral and "isn't a time of day" in r.response.content
    r = await world.alice.slash(world.general, "digest configure", timezone="Mars/Olympus")
    assert r.ephemeral and "isn't a time zone" in r.response.content
    choices = await world.alice.autocomplete(world.general, "digest configure", "timezone", "auck")
    assert {"name": "Pacific/Auckland", "value": "Pacific/Auckland"} in choices


async def test_posts_at_the_configured_time_once_across_a_restart(world, restart) -> None:
    env = world.env
    channel, _ = await setup_digest(world)
    await chat(world, {world.bob: 3, world.carol: 1})

    await advance_to(env, FIRST_MONDAY_9 - timedelta(minutes=1))
    assert bot_posts(channel) == []
    await env.advance_time(120)
    posts = bot_posts(channel)
    assert len(posts) == 1
    post = posts[0]
    assert post.content.startswith("📬 **Weekly digest** · Mon 29 Dec – Sun 04 Jan 2026 (UTC)")
    health = post.embeds[0]
    assert health.title == "Community health"
    assert "💬 Messages: **4** ▲ new (last week: 0)" in health.description
    # bob and carol wrote; the admin (/setup) and alice (/digest configure) used Hallway.
    assert "👥 Active members: **4** ▲ new (last week: 0)" in health.description
    assert post.embeds[-1].footer.text == "Hallway · weekly digest · 2025-12-29"
    assert post.embeds[-1].image.url == "attachment://digest.png"
    [chart] = post.attachments
    png = await chart.read()
    assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).size == (800, 300)
    sent = [r for r in env.http_requests if r.method == "POST" and r.path.endswith("/messages")]
    assert sent[-1].json["allowed_mentions"] == {"parse": []}

    new_bot = await restart()
    await env.advance_time(3600)
    assert len(bot_posts(channel)) == 1
    [run] = await new_bot.services.digest.runs(world.guild.id)
    assert (run.status, run.message_id) == ("posted", post.id)
    assert new_bot.alarm.due_time(f"digest:{world.guild.id}") == FIRST_MONDAY_9 + timedelta(days=7)

    # The next week had nothing new: skip-empty (on by default) skips it, once.
    await advance_to(env, FIRST_MONDAY_9 + timedelta(days=7, minutes=1))
    assert len(bot_posts(channel)) == 1
    runs = await new_bot.services.digest.runs(world.guild.id)
    assert [(r.week_start.isoformat(), r.status) for r in runs] == [
        ("2025-12-29", "posted"),
        ("2026-01-05", "skipped"),
    ]


async def test_recovers_a_sent_but_unrecorded_digest_and_catches_up_once(world, restart) -> None:
    env = world.env
    channel, _ = await setup_digest(world)
    await chat(world, {world.bob: 1})
    await advance_to(env, FIRST_MONDAY_9 + timedelta(minutes=1))
    [post] = bot_posts(channel)

    # As if the process died after sending but before recording the message id.
    db = world.env.bot.db
    await db.execute("UPDATE digest_runs SET status = 'claimed', message_id = NULL")
    await db.execute("UPDATE digest_config SET next_run_at = ?", ("2026-01-05T09:00:00.000000Z",))
    bot = await restart()
    await env.settle()
    assert [m.id for m in bot_posts(channel)] == [post.id]  # found, not posted again
    [run] = await bot.services.digest.runs(world.guild.id)
    assert (run.status, run.message_id) == ("posted", post.id)

    # Offline at digest time: posts once on start when less than 24 h late...
    await chat(world, {world.carol: 2})
    await env.advance_time(10)
    await db_set_next_run(bot, FIRST_MONDAY_9 + timedelta(days=7))
    await advance_to(env, FIRST_MONDAY_9 + timedelta(days=7, hours=5))
    bot = await restart()
    await env.settle()
    assert len(bot_posts(channel)) == 2
    # ...and not at all when more than 24 h late.
    await world.carol.send(world.general, "hello")
    await env.advance_time(10)
    await db_set_next_run(bot, FIRST_MONDAY_9 + timedelta(days=14))
    await advance_to(env, FIRST_MONDAY_9 + timedelta(days=15, hours=1))
    bot = await restart()
    await env.settle()
    assert len(bot_posts(channel)) == 2
    assert bot.alarm.due_time(f"digest:{world.guild.id}") == FIRST_MONDAY_9 + timedelta(days=21)


async def db_set_next_run(bot, when: datetime) -> None:
    """Stop the live alarm for the digest and leave the schedule as a process that died."""
    bot.alarm.cancel(f"digest:{next(iter(bot.guilds)).id}")
    await bot.db.execute(
        "UPDATE digest_config SET next_run_at = ?", (when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),)
    )


async def test_skip_empty_and_a_quiet_week_post(world) -> None:
    env = world.env
    channel, _ = await setup_digest(world)
    await advance_to(env, FIRST_MONDAY_9 + timedelta(minutes=1))
    [first] = bot_posts(channel)  # the members joined in that week: that's news
    assert "🆕 New members: **4** ▲ new" in first.embeds[0].description
    await advance_to(env, FIRST_MONDAY_9 + timedelta(days=7, minutes=1))
    assert len(bot_posts(channel)) == 1  # the empty week was skipped

    # By hand, the window runs up to now, so alice asking is activity in it (a command
    # counts): the preview is not empty and shows her as the one active member.
    r = await world.alice.slash(world.general, "digest preview")
    assert r.ephemeral
    assert "Nothing new this week" not in r.response.content
    assert "👥 Active members: **1**" in r.response.embeds[0].description

    await world.alice.slash(world.general, "digest configure", **{"skip-empty": False})
    r = await world.alice.slash(world.general, "digest post")
    assert r.ephemeral and "Posted the digest" in r.response.content
    post = bot_posts(channel)[-1]
    # Posted anyway: the figures show the drop from the week before.
    assert post.embeds[0].title == "Community health"
    assert "🆕 New members: **0** ▼ 100% (last week: 4)" in post.embeds[0].description
    # No messages in either week, but last week alice and the admin used Hallway: the
    # chart shows those active members (test_chart_leaves_out_... covers an empty panel).
    assert len(post.attachments) == 1


async def test_pin_the_new_digest_and_unpin_the_previous(world) -> None:
    channel, _ = await setup_digest(world, pin=True)
    await chat(world, {world.bob: 1})
    await world.env.advance_time(86400)  # the message is now in the last 7 whole days
    r = await world.alice.slash(world.general, "digest post")
    assert "Posted the digest" in r.response.content, r.response.content
    [first] = bot_posts(channel)
    assert [m.id for m in channel.pinned_messages()] == [first.id]

    r = await world.alice.slash(world.general, "digest post")
    first, second = bot_posts(channel)
    assert [m.id for m in channel.pinned_messages()] == [second.id]

    await world.alice.slash(world.general, "digest configure", pin=False)
    await world.alice.slash(world.general, "digest post")
    assert [m.id for m in channel.pinned_messages()] == [second.id]


async def test_preview_is_private_and_carries_a_png_chart(world) -> None:
    channel, _ = await setup_digest(world)
    await chat(world, {world.bob: 2})
    await world.env.advance_time(86400)
    r = await world.alice.slash(world.general, "digest preview")
    assert r.ephemeral
    # By hand: the 7×24 hours up to now, not the whole days before today.
    assert r.response.content.startswith(
        "📬 **Weekly digest** · Fri 26 Dec 00:00 – Fri 02 Jan 2026 00:00 (UTC)"
    )
    assert "💬 Messages: **2**" in r.response.embeds[0].description
    [attachment] = r.response.attachments
    data = await attachment.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == (800, 300)
    assert bot_posts(channel) == []  # nothing public


async def test_stats_for_a_custom_window(world) -> None:
    env = world.env
    await make_advocates(world)
    await chat(world, {world.bob: 2})  # Thursday 1 January
    await env.advance_time(2 * 86400)
    await chat(world, {world.bob: 1, world.carol: 3})  # Saturday 3 January
    await env.advance_time(10)

    r = await world.alice.slash(world.general, "stats summary", days=1)
    assert r.ephemeral
    assert r.response.content.startswith("📬 **Stats for the last day** · Sat 03 Jan")
    text = r.response.embeds[0].description
    assert "💬 Messages: **4** ▲ new (previous day: 0)" in text
    assert "👥 Active members: **3**" in text  # bob, carol, and alice asking for /stats summary

    r = await world.alice.slash(world.general, "stats summary", days=3)
    text = r.response.embeds[0].description
    assert "💬 Messages: **6** ▲ new (previous 3 days: 0)" in text
    assert "👥 Active members: **4**" in text  # with the admin's /setup on Thursday

    r = await world.alice.slash(world.general, "stats summary")  # default 7 days
    assert r.response.content.startswith("📬 **Stats for the last 7 days** · Sun 28 Dec")


async def test_members_are_refused(world) -> None:
    await setup_digest(world)
    for name, options in [
        ("digest configure", {"day": "friday"}),
        ("digest preview", {}),
        ("digest post", {}),
        ("stats summary", {}),
        ("stats summary", {"days": 30}),
    ]:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral, name
        assert "Only advocates can do that" in r.response.content, name
    r = await world.alice.slash(world.general, "digest configure")
    assert "every Monday at 09:00" in r.response.content  # bob changed nothing


async def test_messages_and_members_are_counted_without_content_across_a_restart(
    world, restart, bots
) -> None:
    env = world.env
    await make_advocates(world)
    help_channel = world.guild.create_text_channel("help")
    await env.settle()
    await world.alice.slash(world.general, "stats summary")  # the bot's own replies aren't counted
    live_help = bots.current.get_channel(help_channel.id)
    await live_help.create_thread(name="a question", type=discord.ChannelType.public_thread)
    await env.settle()
    [thread] = help_channel.threads
    await world.bob.send(world.general, "secret words")
    await world.carol.send(thread, "in a thread of help")  # counts under #help
    await world.bob.send_dm("a DM is not counted")
    newcomer = world.guild.add_member(env.create_user("dave"))
    await env.settle()
    # No flush window has passed: the clean shutdown writes the counters.
    assert await bots.current.db.fetchval("SELECT COUNT(*) FROM activity_channel_day") == 0
    bot = await restart()

    await world.carol.send(world.general, "after the restart")
    world.guild.remove_member(newcomer)
    await env.settle()
    await env.advance_time(6)
    rows = await bot.db.fetchall(
        "SELECT channel_id, messages FROM activity_channel_day ORDER BY channel_id"
    )
    assert [tuple(r) for r in rows] == [(world.general.id, 2), (help_channel.id, 1)]
    members = await bot.db.fetchall("SELECT user_id, messages FROM activity_member_day")
    # The admin (/setup) and alice (/stats summary) were active without a message.
    assert {tuple(r) for r in members} == {
        (world.bob.id, 1),
        (world.carol.id, 2),
        (world.admin.id, 0),
        (world.alice.id, 0),
    }
    # No table of the digest holds message text.
    for table in ("activity_channel_day", "activity_member_day", "activity_guild_day"):
        dump = [tuple(r) for r in await bot.db.fetchall(f"SELECT * FROM {table}")]
        assert "secret" not in repr(dump)

    r = await world.alice.slash(world.general, "stats summary", days=1)
    text = r.response.embeds[0].description
    assert "💬 Messages: **3**" in text
    assert "👥 Active members: **4**" in text  # bob, carol, the admin and alice
    assert "👋 Left: **1**" in text


async def test_a_failed_send_is_retried_and_posted_once(world) -> None:
    env = world.env
    channel, _ = await setup_digest(world)
    await chat(world, {world.bob: 1})
    # Every in-process try (services/retry.py) fails; the alarm tries again 15 min later.
    env.inject_error("POST", f"/channels/{channel.id}/messages", status=500, times=3)
    await advance_to(env, FIRST_MONDAY_9 + timedelta(minutes=1))
    assert bot_posts(channel) == []
    bot = env.bot
    assert await bot.services.digest.runs(world.guild.id) == []  # the claim was released
    await env.advance_time(15 * 60)
    assert len(bot_posts(channel)) == 1
    [run] = await bot.services.digest.runs(world.guild.id)
    assert run.status == "posted"
    await env.advance_time(3600)
    assert len(bot_posts(channel)) == 1


async def test_post_without_a_channel_says_how_to_fix_it(world) -> None:
    await make_advocates(world)
    r = await world.alice.slash(world.general, "digest post")
    assert r.ephemeral
    assert "no digest channel" in r.response.content
    assert "/digest configure channel:" in r.response.content


async def test_counters_are_written_when_the_activity_cog_unloads(world, bots) -> None:
    # Unloading the cog (e.g. a reload) writes the waiting counters too.
    await world.bob.send(world.general, "just before shutdown")
    bot = bots.current
    assert await bot.db.fetchval("SELECT COUNT(*) FROM activity_member_day") == 0
    await bot.remove_cog("ActivityCog")
    assert await bot.db.fetchval("SELECT SUM(messages) FROM activity_member_day") == 1


async def test_auckland_digest_posts_at_local_monday_and_covers_the_local_week(world) -> None:
    env = world.env
    # Thursday 1 January 13:00 in Auckland (UTC+13): inside Mon 29 Dec - Sun 4 Jan.
    channel, r = await setup_digest(world, timezone="Pacific/Auckland")
    monday_9_auckland = datetime(2026, 1, 4, 20, 0, tzinfo=UTC)
    assert f"<t:{int(monday_9_auckland.timestamp())}:F>" in r.response.content
    await chat(world, {world.bob: 2})
    await advance_to(env, monday_9_auckland - timedelta(minutes=1))
    assert bot_posts(channel) == []
    await env.advance_time(120)
    [post] = bot_posts(channel)
    assert post.content == (
        "📬 **Weekly digest** · Mon 29 Dec – Sun 04 Jan 2026 (Pacific/Auckland)"
    )
    assert "💬 Messages: **2**" in post.embeds[0].description
    assert post.embeds[-1].footer.text == "Hallway · weekly digest · 2025-12-29"


async def test_a_channel_the_bot_cannot_post_in_is_refused(world, bots) -> None:
    await make_advocates(world)
    locked = world.guild.create_text_channel(
        "locked", overwrites={bots.current.user: discord.PermissionOverwrite(attach_files=False)}
    )
    await world.env.settle()
    r = await world.alice.slash(world.general, "digest configure", channel=locked)
    assert r.ephemeral
    assert f"I can't post the digest in <#{locked.id}>: I'm missing Attach Files" in (
        r.response.content
    )
    r = await world.alice.slash(world.general, "digest configure")
    assert "Channel: not set" in r.response.content


async def test_using_hallway_reacting_and_joining_a_call_make_a_member_active(world, bots) -> None:
    # Nobody writes a message here, yet five members are active this day.
    env = world.env
    await make_advocates(world)  # the admin's /setup: a command
    stage = world.guild.create_stage_channel("office-hours-stage")
    voice = world.guild.create_voice_channel("call")
    announcer = world.guild.create_webhook(world.general, "Announcer")
    dave = world.guild.add_member(env.create_user("dave"))
    erin = world.guild.add_member(env.create_user("erin"))
    await env.settle()
    note = await announcer.send("Release day")
    await world.bob.slash(world.general, "officehours upcoming")  # a command
    shown = await world.carol.slash(world.general, "feedback submit")
    await world.carol.submit_modal(shown, {"summary": "Dark mode please", "details": ""})  # form
    await dave.react(note, "🎉")  # a reaction
    await erin.join_voice(stage)  # office hours on stage
    await erin.set_voice(self_mute=True)  # the same presence, not a second join
    await erin.leave_voice()
    await erin.join_voice(voice)  # a call
    await env.advance_time(6)  # one flush window
    rows = await bots.current.db.fetchall("SELECT user_id, messages FROM activity_member_day")
    assert {tuple(r) for r in rows} == {
        (world.admin.id, 0),
        (world.bob.id, 0),
        (world.carol.id, 0),
        (dave.id, 0),
        (erin.id, 0),
    }
    assert await bots.current.db.fetchval("SELECT COUNT(*) FROM activity_channel_day") == 0

    r = await world.alice.slash(world.general, "stats summary", days=1)
    text = r.response.embeds[0].description
    assert "👥 Active members: **6**" in text  # and alice, for asking
    assert "💬 Messages: **0**" in text
