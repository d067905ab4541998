"""Help channels: posts waiting for a reply, nudges at 24 and 48 hours, and their figures."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
import pytest
import simcord
from discord.utils import utcnow

from tests.conftest import bot_posts, make_advocates

HOUR = 3600


async def advance_to(env, when: datetime) -> None:
    await env.advance_time((when - utcnow()).total_seconds())


async def settle_jobs(bots) -> None:
    await bots.current.alarm.drain()


async def help_setup(world, *, forum: bool = False):
    """Advocates configured, a log (advocates') channel and one help channel."""
    await make_advocates(world)
    log = world.guild.create_text_channel("advocates")
    help_ch = (
        world.guild.create_forum_channel("help-forum")
        if forum
        else world.guild.create_text_channel("help")
    )
    await world.env.settle()
    await world.alice.slash(world.general, "setup channel", kind="log", channel=log)
    r = await world.alice.slash(world.general, "setup channel", kind="help", channel=help_ch)
    assert r.ephemeral
    assert f"✅ <#{help_ch.id}> is now a help channel." in r.response.content
    return log, help_ch


def notices(log) -> list[str]:
    return [m.content for m in bot_posts(log)]


async def forum_post(world, forum, member, title: str, text: str):
    """A member's forum post, as Discord makes it: the thread, then its starter message."""
    backend = world.env.backend
    thread = backend.create_thread(forum.id, title, member.id, broadcast=False)
    backend.announce_thread_create(thread)
    await world.env.settle()
    handle = next(t for t in forum.threads if t.id == thread.id)
    await member.send(handle, text)
    return handle


async def thread_on(world, channel, message, member, name: str = "answer"):
    """A thread a member opens on a message (it shares the message's id)."""
    world.env.backend.create_thread(channel.id, name, member.id, message_id=message.id)
    await world.env.settle()
    return next(t for t in channel.threads if t.id == message.id)


async def test_a_waiting_post_nudges_at_24_hours_then_the_team_at_48_once(world, bots) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    question = await world.bob.send(help_ch, "How do I rotate an API key?")
    posted = utcnow()

    await env.advance_time(23 * HOUR)
    await settle_jobs(bots)
    assert notices(log) == []

    await env.advance_time(HOUR + 1)
    await settle_jobs(bots)
    url = f"https://discord.com/channels/{world.guild.id}/{help_ch.id}/{question.id}"
    [nudge] = notices(log)
    # Nobody is on call on this branch: the first nudge goes to the advocates' channel.
    assert nudge == (
        f"🔔 A question in <#{help_ch.id}> has waited 24 hours with no reply "
        f"(posted <t:{int(posted.timestamp())}:F>): {url}"
    )
    assert "rotate" not in nudge  # the text isn't repeated (or stored)

    await env.advance_time(23 * HOUR)
    await settle_jobs(bots)
    assert len(notices(log)) == 1
    await env.advance_time(HOUR + 1)
    await settle_jobs(bots)
    assert notices(log)[1] == (
        f"⏰ Still no reply after 2 days: a question in <#{help_ch.id}> "
        f"(posted <t:{int(posted.timestamp())}:F>) needs someone: {url}"
    )
    await env.advance_time(5 * 24 * HOUR)
    await settle_jobs(bots)
    assert len(notices(log)) == 2
    for request in env.http_requests:
        if request.method == "POST" and f"/channels/{log.id}/messages" in request.path:
            assert request.json["allowed_mentions"] == {"parse": []}


async def test_a_reply_by_someone_else_clears_it_and_the_authors_own_does_not(world, bots) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    by_reply = await world.bob.send(help_ch, "Webhook retries?")
    await world.bob.send(help_ch, "(it's for the billing webhook)", reply_to=by_reply)
    by_thread = await world.carol.send(help_ch, "SDK install fails on Windows")
    alone = await world.carol.send(help_ch, "Is there a Go SDK?")
    await env.advance_time(2 * HOUR)
    await world.alice.send(help_ch, "They retry 5 times", reply_to=by_reply)
    thread = await thread_on(world, help_ch, by_thread, world.carol, "windows")
    await world.carol.send(thread, "Logs attached")  # the author's own: still waiting
    await world.bob.send(thread, "Same here; use the wheel")

    await env.advance_time(3 * 24 * HOUR)
    await settle_jobs(bots)
    texts = notices(log)
    assert len(texts) == 2  # the nudge and the escalation of the lone post only
    assert all(f"/{help_ch.id}/{alone.id}" in t for t in texts)
    row = await bots.current.db.fetchone(
        "SELECT answered_at FROM help_posts WHERE message_id = ?", (by_reply.id,)
    )
    assert row[0] is not None


async def test_a_forum_post_is_nudged_by_its_link_and_cleared_by_an_answer(world, bots) -> None:
    env = world.env
    log, forum = await help_setup(world, forum=True)
    waiting = await forum_post(world, forum, world.bob, "Rate limits?", "What are the limits?")
    answered = await forum_post(world, forum, world.carol, "Auth", "OAuth scopes?")
    await world.carol.send(answered, "Also: refresh tokens")
    await env.advance_time(HOUR)
    await world.alice.send(answered, "See the scopes page")

    await env.advance_time(24 * HOUR)
    await settle_jobs(bots)
    [nudge] = notices(log)
    assert nudge.endswith(f": https://discord.com/channels/{world.guild.id}/{waiting.id}")
    assert f"<#{forum.id}>" in nudge
    assert "waited 24 hours" in nudge  # sent when it fell due, not when time was read


async def test_a_restart_while_a_nudge_is_pending_sends_each_once(world, bots, restart) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    question = await world.bob.send(help_ch, "Where is the changelog?")
    await env.advance_time(12 * HOUR)
    await restart()
    await env.advance_time(12 * HOUR + 1)
    await settle_jobs(bots)
    assert len(notices(log)) == 1
    await restart()  # after the nudge, before the escalation
    await env.advance_time(12 * HOUR)
    await restart(crash=True)
    await env.advance_time(12 * HOUR + 1)
    await settle_jobs(bots)
    await restart()
    await env.advance_time(3 * 24 * HOUR)
    await settle_jobs(bots)
    texts = notices(log)
    assert len(texts) == 2
    assert texts[1].startswith("⏰ Still no reply after 2 days")
    assert str(question.id) in texts[1]


async def test_a_post_past_both_times_while_offline_is_told_once(world, bots, restart) -> None:
    """Down for three days: one notice (the escalation), not a nudge and an escalation."""
    env = world.env
    log, help_ch = await help_setup(world)
    await world.bob.send(help_ch, "Anyone?")
    await bots.current.alarm.stop()  # the process is down from here
    await env.advance_time(3 * 24 * HOUR)
    await restart(crash=True)
    await settle_jobs(bots)
    texts = notices(log)
    assert len(texts) == 1
    assert texts[0].startswith("⏰ Still no reply after 3 days")


async def test_the_nudge_goes_to_the_on_call_advocate_when_wired(world, bots) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    service = bots.current.services.help_channels
    told: list[tuple[int, int, str]] = []

    async def on_call(guild_id: int) -> int | None:
        return world.alice.id if guild_id == world.guild.id else None

    async def tell_advocate(guild_id: int, user_id: int, text: str, message_id: int) -> None:
        told.append((guild_id, user_id, text))

    service.on_call, service.tell_advocate = on_call, tell_advocate
    await world.bob.send(help_ch, "Sandbox keys expire?")
    await env.advance_time(24 * HOUR + 1)
    await settle_jobs(bots)
    assert [(g, u) for g, u, _ in told] == [(world.guild.id, world.alice.id)]
    assert told[0][2].startswith(f"🔔 A question in <#{help_ch.id}> has waited 24 hours")
    assert notices(log) == []  # not the whole team
    await env.advance_time(24 * HOUR)
    await settle_jobs(bots)
    assert len(told) == 1
    assert notices(log)[0].startswith("⏰ Still no reply after 2 days")


async def test_nudge_hours_are_per_guild_and_move_waiting_posts(world, bots) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    await world.bob.send(help_ch, "Question one")
    r = await world.alice.slash(world.general, "setup help-nudge", hours=6)
    assert "✅ Help posts are nudged after 6 hours without a reply." in r.response.content
    assert "the advocates' channel after 12 hours" in r.response.content
    await env.advance_time(6 * HOUR + 1)
    await settle_jobs(bots)
    assert notices(log)[0].startswith(f"🔔 A question in <#{help_ch.id}> has waited 6 hours")
    await env.advance_time(6 * HOUR)
    await settle_jobs(bots)
    assert notices(log)[1].startswith("⏰ Still no reply after 12 hours")

    r = await world.alice.slash(world.general, "setup show")
    assert f"Help channels: <#{help_ch.id}>" in r.response.content
    assert "Help nudge: on call after 6 hours without a reply" in r.response.content


async def test_several_help_channels_and_unmarking_one_stops_its_nudges(world, bots) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    forum = world.guild.create_forum_channel("questions")
    await env.settle()
    r = await world.alice.slash(world.general, "setup channel", kind="help", channel=forum)
    assert f"Help channels: <#{help_ch.id}>, <#{forum.id}>" in r.response.content
    r = await world.alice.slash(world.general, "setup channel", kind="help", channel=forum)
    assert f"<#{forum.id}> is a help channel already." in r.response.content

    await world.bob.send(help_ch, "Waiting here")
    await forum_post(world, forum, world.carol, "Forum one", "And here")
    r = await world.alice.slash(world.general, "setup help-unmark", channel=help_ch)
    assert f"✅ <#{help_ch.id}> is no longer a help channel." in r.response.content
    assert f"Help channels: <#{forum.id}>" in r.response.content
    await world.bob.send(help_ch, "Not tracked any more")
    await env.advance_time(25 * HOUR)
    await settle_jobs(bots)
    [nudge] = notices(log)
    assert f"<#{forum.id}>" in nudge


async def test_no_message_text_is_stored(world, bots) -> None:
    env = world.env
    _, help_ch = await help_setup(world)
    question = await world.bob.send(help_ch, "zebra-quartz-7 token leaks")
    await world.carol.send(help_ch, "mango-vortex-9 answer", reply_to=question)
    await env.settle()
    db = bots.current.db
    tables = [r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in await db.fetchall(f'SELECT * FROM "{table}"'):
            for value in row:
                assert "zebra" not in str(value) and "mango" not in str(value), table
    columns = [r[1] for r in await db.fetchall("PRAGMA table_info(help_posts)")]
    assert columns == [
        "guild_id",
        "message_id",
        "channel_id",
        "thread_id",
        "author_id",
        "posted_at",
        "answered_at",
        "nudge_due_at",
        "escalate_due_at",
        "nudged_at",
        "escalated_at",
    ]


async def test_members_are_refused_and_nothing_changes(world, bots) -> None:
    await make_advocates(world)
    help_ch = world.guild.create_text_channel("help")
    await world.env.settle()
    for name, options in [
        ("setup channel", {"kind": "help", "channel": help_ch}),
        ("setup help-unmark", {"channel": help_ch}),
        ("setup help-nudge", {"hours": 12}),
    ]:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral, name
        assert "Only advocates can do that" in r.response.content, name
    db = bots.current.db
    assert await db.fetchval("SELECT COUNT(*) FROM help_channels") == 0
    assert await db.fetchval("SELECT COUNT(*) FROM help_settings") == 0
    r = await world.alice.slash(world.general, "setup channel", kind="help", channel=help_ch)
    assert "is now a help channel" in r.response.content


@pytest.mark.parametrize("hours", [0, 169, -3])
async def test_nudge_hours_out_of_range_are_refused(world, bots, hours) -> None:
    await make_advocates(world)
    r = await world.alice.slash(world.general, "setup help-nudge", hours=hours)
    assert r.ephemeral
    assert f"`hours` must be between 1 and 168 (a week); you gave {hours}." in r.response.content
    assert await bots.current.db.fetchval("SELECT COUNT(*) FROM help_settings") == 0


async def test_a_voice_channel_or_an_unmarked_channel_is_refused(world, bots) -> None:
    await make_advocates(world)
    voice = world.guild.create_voice_channel("lounge")
    await world.env.settle()
    with pytest.raises(simcord.OptionError):
        await world.alice.slash(world.general, "setup channel", kind="help", channel=voice)
    r = await world.alice.slash(world.general, "setup help-unmark", channel=world.general)
    assert r.ephemeral
    assert f"<#{world.general.id}> isn't a help channel." in r.response.content
    assert await bots.current.db.fetchval("SELECT COUNT(*) FROM help_channels") == 0


async def test_bots_system_messages_and_other_channels_are_not_tracked(world, bots) -> None:
    _, help_ch = await help_setup(world)
    await world.bob.send(world.general, "not a help channel")
    channel = bots.current.get_channel(help_ch.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("the bot's own message")
    await world.env.settle()
    assert await bots.current.db.fetchval("SELECT COUNT(*) FROM help_posts") == 0


# --------------------------------------------------------------------------- figures


async def known_help_history(world, help_ch) -> None:
    """Posts at 00:00, 01:00, 02:00 and 03:00 on Jan 1; replies by others after 1 h, 2 h
    and 30 h; the 03:00 post gets only its author's own reply. Ends on Jan 3 at 06:00."""
    env = world.env
    await advance_to(env, datetime(2026, 1, 1, 0, tzinfo=UTC))
    p1 = await world.bob.send(help_ch, "q1")
    await advance_to(env, datetime(2026, 1, 1, 1, tzinfo=UTC))
    p2 = await world.carol.send(help_ch, "q2")
    await world.alice.send(help_ch, "a1", reply_to=p1)  # p1: 1 h
    await advance_to(env, datetime(2026, 1, 1, 2, tzinfo=UTC))
    p3 = await world.bob.send(help_ch, "q3")
    await advance_to(env, datetime(2026, 1, 1, 3, tzinfo=UTC))
    p4 = await world.carol.send(help_ch, "q4")
    await world.alice.send(help_ch, "a2", reply_to=p2)  # p2: 2 h
    await world.carol.send(help_ch, "self", reply_to=p4)  # not by someone else
    await advance_to(env, datetime(2026, 1, 2, 8, tzinfo=UTC))
    await world.carol.send(help_ch, "a3", reply_to=p3)  # p3: 30 h
    await advance_to(env, datetime(2026, 1, 3, 6, tzinfo=UTC))


async def test_responsiveness_shows_help_channel_figures_on_a_known_history(world, bots) -> None:
    """Posts at 00:00, 01:00, 02:00 and 03:00 on Jan 1; replies by others after 1 h, 2 h
    and 30 h; the 03:00 post gets only its author's own reply. Read on Jan 3 at 06:00:
    - posts 4, replied to 3; waits 1 h, 2 h, 30 h: median 2.0 h; nearest-rank p90 of three
      is the third, 30.0 h;
    - all four are 24 h old; past 24 h without a reply: the 30 h one and the unanswered
      one, 2 of 4 (50%)."""
    _, help_ch = await help_setup(world)
    await known_help_history(world, help_ch)

    r = await world.alice.slash(world.general, "stats responsiveness", days=7)
    text = r.response.embeds[0].description
    assert "Help-channel posts: **4**, replied to by someone else: **3**" in text
    assert "Time to a first reply: median **2.0 h**, 90th percentile **30.0 h**" in text
    assert "Without a reply after 24 hours: **2** of 4 (50%)" in text
    assert "Office-hours questions asked: **0**" in text


async def test_help_figures_are_per_guild(world, bots) -> None:
    """Guild A: two posts, one replied to after 3 h. Guild B: one post replied to after
    10 min. Read 2 days later: A median 3.0 h, 1 of 2 unanswered (50%); B 10 min, 0 of 1."""
    env = world.env
    _, help_a = await help_setup(world)
    other = env.create_guild("Other Community")
    general_b = other.create_text_channel("general")
    help_b = other.create_text_channel("help")
    owner_b = other.add_member(
        env.create_user("dana"),
        roles=[other.create_role("Mods", permissions=discord.Permissions(manage_guild=True))],
    )
    eve = other.add_member(env.create_user("eve"))
    await env.settle()
    await owner_b.slash(general_b, "setup channel", kind="help", channel=help_b)

    a1 = await world.bob.send(help_a, "A one")
    await world.carol.send(help_a, "A two")
    b1 = await eve.send(help_b, "B one")
    await env.advance_time(600)
    await owner_b.send(help_b, "answer", reply_to=b1)
    await env.advance_time(3 * HOUR - 600)
    await world.carol.send(help_a, "answer", reply_to=a1)
    await env.advance_time(2 * 24 * HOUR)

    a = (await world.alice.slash(world.general, "stats responsiveness", days=7)).response
    b = (await owner_b.slash(general_b, "stats responsiveness", days=7)).response
    text_a, text_b = a.embeds[0].description, b.embeds[0].description
    assert "Help-channel posts: **2**, replied to by someone else: **1**" in text_a
    assert "median **3.0 h**, 90th percentile **3.0 h**" in text_a.split("Help-channel")[1]
    assert "Without a reply after 24 hours: **1** of 2 (50%)" in text_a
    assert "Help-channel posts: **1**, replied to by someone else: **1**" in text_b
    assert "median **10 min**, 90th percentile **10 min**" in text_b.split("Help-channel")[1]
    assert "Without a reply after 24 hours: **0** of 1 (0%)" in text_b


async def test_a_help_reply_is_a_first_answer_in_the_funnel(world, bots) -> None:
    """Two newcomers join on Thu Jan 1 2026 and post in the help channel; only Fay's post
    gets a reply by someone else (Gus answers himself). Funnel: joined 2, first message 2,
    first answer 1; median join to first answer: Fay joined at 00:00, answered at 04:00."""
    env = world.env
    _, help_ch = await help_setup(world)
    await advance_to(env, datetime(2026, 1, 1, 0, tzinfo=UTC))
    fay = world.guild.add_member(env.create_user("fay"))
    gus = world.guild.add_member(env.create_user("gus"))
    await env.settle()
    question = await fay.send(help_ch, "How do I start?")
    mine = await gus.send(help_ch, "Where are the docs?")
    await advance_to(env, datetime(2026, 1, 1, 4, tzinfo=UTC))
    await world.carol.send(help_ch, "Start here", reply_to=question)
    await gus.send(help_ch, "Found them", reply_to=mine)

    r = await world.alice.slash(world.general, "stats funnel", weeks=1)
    text = r.response.embeds[0].description
    assert "Median time from joining to a first answer: **4.0 h** (1 member)" in text
    row = await bots.current.db.fetchall(
        "SELECT author_id, answered_at IS NOT NULL FROM help_posts ORDER BY posted_at"
    )
    assert [tuple(r) for r in row] == [(fay.id, 1), (gus.id, 0)]


async def test_a_reply_after_the_nudge_stops_the_escalation(world, bots) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    question = await world.bob.send(help_ch, "Is v2 stable?")
    await env.advance_time(30 * HOUR)
    await settle_jobs(bots)
    assert len(notices(log)) == 1
    await world.alice.send(help_ch, "Yes, since March", reply_to=question)
    await env.advance_time(3 * 24 * HOUR)
    await settle_jobs(bots)
    assert len(notices(log)) == 1


async def test_a_deleted_post_is_not_nudged(world, bots) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    question = await world.bob.send(help_ch, "Oops, wrong channel")
    await world.bob.delete(question)
    await env.advance_time(3 * 24 * HOUR)
    await settle_jobs(bots)
    assert notices(log) == []
    assert await bots.current.db.fetchval("SELECT COUNT(*) FROM help_posts") == 0


async def test_a_nudge_survives_a_server_error_and_is_posted_once(world, bots) -> None:
    env = world.env
    log, help_ch = await help_setup(world)
    await world.bob.send(help_ch, "Flaky CI?")
    await env.advance_time(24 * HOUR - 10)
    env.inject_error("POST", f"/channels/{log.id}/messages", status=500, times=1)
    await env.advance_time(10)
    await env.advance_time(60)  # the retry policy's waits
    await settle_jobs(bots)
    assert len(notices(log)) == 1
    posts = [
        r
        for r in env.http_requests
        if r.method == "POST" and r.path.endswith(f"/channels/{log.id}/messages")
    ]
    assert len(posts) == 2  # the failed try and the retry
    await env.advance_time(HOUR)
    await settle_jobs(bots)
    assert len(notices(log)) == 1


async def test_with_a_rotation_the_nudge_dms_whoever_is_on_call_and_the_handoff_lists_it(
    world, bots
) -> None:
    """A daily rotation from Thu 1 Jan 00:00 (alice until 09:00, then dave until Fri 09:00);
    bob asks at 00:00 Thursday. At Friday 00:00 dave, on call and with no hours set (always
    in), gets the nudge by DM; the Friday 09:00 handoff note lists the waiting post."""
    from tests.cogs.test_oncall import notes, rotation

    env = world.env
    _, advocates_channel, dave, _ = await rotation(world)
    log = world.guild.create_text_channel("log")
    help_ch = world.guild.create_text_channel("help")
    await env.settle()
    await world.alice.slash(world.general, "setup channel", kind="log", channel=log)
    await world.alice.slash(world.general, "setup channel", kind="help", channel=help_ch)
    question = await world.bob.send(help_ch, "Where do I report a security bug?")
    await advance_to(env, datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC))
    await settle_jobs(bots)
    dm = dave.user.dm_channel.last_message
    assert dm is not None
    assert dm.content.startswith(f"🔔 A question in <#{help_ch.id}> has waited 24 hours")
    assert dm.content.endswith(f"/{help_ch.id}/{question.id}")
    assert notices(log) == []  # not the whole team
    await advance_to(env, datetime(2026, 1, 2, 9, 1, tzinfo=UTC))
    await settle_jobs(bots)
    assert "1 help post without a reply for over a day" in notes(advocates_channel)[-1]


async def _held_nudges_setup(world):
    """The daily rotation (dave on call Thu 09:00 -> Fri 09:00) with dave working Mon-Fri
    09:00-17:00 UTC, a log channel and a help channel."""
    from tests.cogs.test_oncall import rotation

    env = world.env
    _, _, dave, _ = await rotation(world)
    r = await dave.slash(
        world.general, "advocate hours", days="mon-fri", start="09:00", end="17:00", timezone="UTC"
    )
    assert "Your working hours are now" in r.response.content
    log = world.guild.create_text_channel("log")
    help_ch = world.guild.create_text_channel("help")
    await env.settle()
    await world.alice.slash(world.general, "setup channel", kind="log", channel=log)
    await world.alice.slash(world.general, "setup channel", kind="help", channel=help_ch)
    return dave, log, help_ch


def dm_texts(member) -> list[str]:
    channel = member.user.dm_channel
    return [] if channel is None else [m.content for m in channel.history()]


async def test_a_held_nudge_is_dropped_when_the_post_gets_a_reply_before_delivery(
    world, bots
) -> None:
    """Two posts at Thu 00:00 wait 24 h: at Fri 00:00 dave is on call but off until 09:00,
    so both nudges are held for him. One gets a reply at 02:00; at 09:00 his "While you
    were off" message holds only the other."""
    from services.boundaries.service import HEADER

    env = world.env
    dave, log, help_ch = await _held_nudges_setup(world)
    answered = await world.bob.send(help_ch, "Why does the webhook 401?")
    waiting = await world.carol.send(help_ch, "Is there a Rust SDK?")
    await advance_to(env, datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC))
    await settle_jobs(bots)
    assert dm_texts(dave) == []  # held: he is off
    assert notices(log) == []  # not the whole team
    r = await dave.slash(world.general, "advocate me")
    assert "Held for you: 2 notices." in r.response.content

    await advance_to(env, datetime(2026, 1, 2, 2, tzinfo=UTC))
    await world.alice.send(help_ch, "Rotate the secret", reply_to=answered)
    await advance_to(env, datetime(2026, 1, 2, 9, 1, tzinfo=UTC))
    await settle_jobs(bots)
    [delivered] = dm_texts(dave)
    assert delivered.startswith(f"{HEADER} (1 notice held for you):"), delivered
    assert f"/{help_ch.id}/{waiting.id}" in delivered
    assert str(answered.id) not in delivered
    r = await dave.slash(world.general, "advocate me")
    assert "Held for you" not in r.response.content


async def test_when_the_only_held_nudge_is_answered_nothing_is_delivered(
    world, bots, restart
) -> None:
    env = world.env
    dave, log, help_ch = await _held_nudges_setup(world)
    question = await world.bob.send(help_ch, "Docs link is broken")
    await advance_to(env, datetime(2026, 1, 2, 0, 0, 1, tzinfo=UTC))
    await settle_jobs(bots)
    r = await dave.slash(world.general, "advocate me")
    assert "Held for you: 1 notice." in r.response.content
    await world.carol.send(help_ch, "Fixed now, thanks", reply_to=question)
    await restart()  # the held notice and its check survive a restart
    await advance_to(env, datetime(2026, 1, 2, 9, 1, tzinfo=UTC))
    await settle_jobs(bots)
    await env.advance_time(3 * 24 * HOUR)
    await settle_jobs(bots)
    assert dm_texts(dave) == []
    assert notices(log) == []  # answered: no escalation either
    r = await dave.slash(world.general, "advocate me")
    assert "Held for you" not in r.response.content
