"""Network faults, not HTTP errors: a dropped connection or a timeout while a job posts.

SimCord can't drop a connection, so NetworkFaults (tests/reliability/_helpers.py) raises
aiohttp's ServerDisconnectedError or a TimeoutError from discord.py's HTTP layer, either
before the request reaches SimCord ("before": nothing was posted) or after SimCord handled
it ("after": the post exists, the reply was lost). Every job must then, with no restart,
post exactly once, record it, and publish it where the channel is an announcement channel
(services/retry.py and cogs/_send.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.cogs.test_office_hours import board_message, events, schedule, service, setup_office
from tests.conftest import bot_posts, make_advocates, schedule_announcement
from tests.reliability._helpers import NetworkFaults

HOUR = 3600
DAY = 24 * HOUR
MESSAGES = "/channels/*/messages"
CROSSPOST = "/channels/*/messages/*/crosspost"

BOTH_MODES = pytest.mark.parametrize("when", ["before", "after"])
BOTH_ERRORS = pytest.mark.parametrize("error", ["disconnect", "timeout"])


def crossposts(env, message_id: int) -> list:
    return [
        r
        for r in env.http_requests
        if r.method == "POST" and r.path.endswith(f"/messages/{message_id}/crosspost")
    ]


def dms(member) -> list[str]:
    channel = member.user.dm_channel
    return [] if channel is None else [m.content for m in channel.history()]


async def log_channel(world):
    """The advocates' channel (`/setup channel kind:log`), where jobs without an author report."""
    channel = world.guild.create_text_channel("hallway-log")
    await world.env.settle()
    r = await world.alice.slash(world.general, "setup channel", kind="log", channel=channel)
    assert "✅" in r.response.content, r.response.content
    return channel


async def advance_to(env, when: datetime) -> None:
    await env.advance_time((when - env.now()).total_seconds())


# ------------------------------------------------------------------ announcements


@BOTH_MODES
@BOTH_ERRORS
async def test_announcement_in_a_news_channel_posts_once_records_and_publishes(
    world, bots, when, error
) -> None:
    env = world.env
    await make_advocates(world)
    news = world.guild.create_news_channel("news")
    await env.settle()
    await schedule_announcement(world, news, "Big news", when="in 1 hour")
    faults = NetworkFaults(bots.current)
    faults.drop("POST", MESSAGES, when=when, error=error)
    await env.advance_time(HOUR + 60)
    await env.advance_time(60)  # the 5 s back-off passes
    assert faults.raised == [("POST", f"/channels/{news.id}/messages", when)]
    [post] = bot_posts(news)
    assert post.content == "Big news"
    [delivery] = await bots.current.services.announcements.history(world.guild.id, 1)
    assert (delivery.status, delivery.message_id) == ("sent", post.id)
    assert delivery.attempts == 1  # the lost try is counted in /announce history
    assert delivery.published_at is not None
    assert len(crossposts(env, post.id)) == 1
    assert dms(world.alice) == []  # nothing failed: the author isn't bothered
    await env.advance_time(DAY)
    assert len(bot_posts(news)) == 1


@BOTH_MODES
async def test_announcement_publish_survives_a_network_fault(world, bots, when) -> None:
    env = world.env
    await make_advocates(world)
    news = world.guild.create_news_channel("news")
    await env.settle()
    await schedule_announcement(world, news, "Big news", when="in 1 hour")
    faults = NetworkFaults(bots.current)
    faults.drop("POST", CROSSPOST, when=when, error="timeout")
    await env.advance_time(HOUR + 60)
    await env.advance_time(60)
    [post] = bot_posts(news)
    assert [r[2] for r in faults.raised] == [when]
    [delivery] = await bots.current.services.announcements.history(world.guild.id, 1)
    assert delivery.status == "sent" and delivery.published_at is not None
    # Before: only the retry reached Discord; after: both did (publishing twice is harmless).
    assert len(crossposts(env, post.id)) == (1 if when == "before" else 2)
    assert dms(world.alice) == []


@BOTH_MODES
async def test_forum_announcement_opens_one_thread(world, bots, when) -> None:
    env = world.env
    await make_advocates(world)
    forum = world.guild.create_forum_channel("releases")
    await env.settle()
    await schedule_announcement(world, forum, "v3 is out", when="in 1 hour", title="v3")
    faults = NetworkFaults(bots.current)
    faults.drop("POST", "/channels/*/threads", when=when, error="disconnect")
    await env.advance_time(HOUR + 60)
    await env.advance_time(60)
    assert len(faults.raised) == 1
    [thread] = forum.threads
    assert thread.name == "v3"
    [delivery] = await bots.current.services.announcements.history(world.guild.id, 1)
    assert (delivery.status, delivery.channel_id) == ("sent", thread.id)


@BOTH_MODES
async def test_announcement_lost_on_every_try(world, bots, when) -> None:
    """Before: never posted, so it fails once and the author is told once. After: the
    first try did post, so the retry finds it and records it."""
    env = world.env
    await make_advocates(world)
    news = world.guild.create_news_channel("news")
    await env.settle()
    await schedule_announcement(world, news, "Big news", when="in 1 hour")
    faults = NetworkFaults(bots.current)
    faults.drop("POST", MESSAGES, when=when, error="disconnect", times=3)
    await env.advance_time(HOUR + 60)
    await env.advance_time(60)
    [delivery] = await bots.current.services.announcements.history(world.guild.id, 1)
    if when == "before":
        assert len(faults.raised) == 3
        assert bot_posts(news) == []
        assert delivery.status == "failed" and delivery.attempts == 3
        assert "couldn't reach Discord" in (delivery.error or "")
        [told] = dms(world.alice)
        assert "I couldn't post announcement #1" in told and "connection" in told
    else:
        assert len(faults.raised) == 1  # the retry looked first and found the post
        [post] = bot_posts(news)
        assert (delivery.status, delivery.message_id) == ("sent", post.id)
        assert delivery.published_at is not None
        assert dms(world.alice) == []
    await env.advance_time(DAY)
    assert len(bot_posts(news)) == (0 if when == "before" else 1)


# ------------------------------------------------------------------ digest


async def _digest_ready(world):
    await make_advocates(world)
    digest = world.guild.create_text_channel("digest")
    await world.env.settle()
    r = await world.alice.slash(world.general, "digest configure", channel=digest)
    assert r.ephemeral
    await world.bob.send(world.general, "hello")
    await world.env.advance_time(DAY)
    return digest


MONDAY_9 = datetime(2026, 1, 5, 9, 1, tzinfo=UTC)


@BOTH_MODES
@BOTH_ERRORS
async def test_scheduled_digest_posts_once_and_records_it(world, bots, when, error) -> None:
    env = world.env
    digest = await _digest_ready(world)
    faults = NetworkFaults(bots.current)
    faults.drop("POST", MESSAGES, when=when, error=error)
    await advance_to(env, MONDAY_9)
    await env.advance_time(60)
    assert faults.raised == [("POST", f"/channels/{digest.id}/messages", when)]
    [post] = bot_posts(digest)
    [run] = await bots.current.services.digest.runs(world.guild.id)
    assert (run.status, run.message_id) == ("posted", post.id)
    await env.advance_time(DAY)
    assert len(bot_posts(digest)) == 1


async def test_digest_lost_every_time_tells_the_advocates_once_and_posts_later(world, bots) -> None:
    env = world.env
    digest = await _digest_ready(world)
    log = await log_channel(world)
    faults = NetworkFaults(bots.current)
    # Two rounds of three tries fail; the alarm's third round (30 min later) posts.
    faults.drop("POST", f"/channels/{digest.id}/messages", error="timeout", times=6)
    await advance_to(env, MONDAY_9)
    await env.advance_time(60)
    assert bot_posts(digest) == []
    [run] = await bots.current.services.digest.runs(world.guild.id)
    assert run.status == "claimed"  # kept: the retry looks for a lost post first
    await env.advance_time(40 * 60)
    assert len(faults.raised) == 6
    [post] = bot_posts(digest)
    [run] = await bots.current.services.digest.runs(world.guild.id)
    assert (run.status, run.message_id) == ("posted", post.id)
    [notice] = bot_posts(log)
    assert "couldn't post the weekly digest" in notice.content
    assert "didn't answer in time" in notice.content


# ------------------------------------------------------------------ office hours


@BOTH_MODES
@BOTH_ERRORS
async def test_reminder_posts_once_and_records_it(world, bots, when, error) -> None:
    env = world.env
    office = await setup_office(world)
    await schedule(world, start="2026-01-03 12:00")  # the 24 h reminder: 2026-01-02 12:00
    faults = NetworkFaults(bots.current)
    faults.drop("POST", f"/channels/{office.id}/messages", when=when, error=error)
    await advance_to(env, datetime(2026, 1, 2, 12, 1, tzinfo=UTC))
    assert len(faults.raised) == 1
    [reminder] = bot_posts(office)
    assert reminder.content.startswith("⏰")
    message_id = await bots.current.db.fetchval(
        "SELECT message_id FROM oh_reminders_sent WHERE offset_minutes = 1440"
    )
    assert message_id == reminder.id


async def test_reminder_lost_every_time_tells_the_advocates(world, bots) -> None:
    env = world.env
    office = await setup_office(world)
    log = await log_channel(world)
    await schedule(world, start="2026-01-03 12:00")
    faults = NetworkFaults(bots.current)
    faults.drop("POST", f"/channels/{office.id}/messages", error="disconnect", times=3)
    await advance_to(env, datetime(2026, 1, 2, 12, 1, tzinfo=UTC))
    assert bot_posts(office) == []
    [notice] = bot_posts(log)
    assert "couldn't post the 1d reminder" in notice.content
    assert "connection to Discord dropped" in notice.content
    await env.advance_time(HOUR)
    assert bot_posts(office) == []  # not sent late


@BOTH_MODES
@BOTH_ERRORS
async def test_auto_start_posts_one_board_and_records_it(world, bots, when, error) -> None:
    env = world.env
    office = await setup_office(world)
    await schedule(world, start="2026-01-01 12:00")
    # Past the 15-minute reminder, so the next post in the channel is the board.
    await advance_to(env, datetime(2026, 1, 1, 11, 50, tzinfo=UTC))
    faults = NetworkFaults(bots.current)
    faults.drop("POST", f"/channels/{office.id}/messages", when=when, error=error)
    # SimCord starts the event itself at its time; reading it back still goes over the wire.
    faults.drop("GET", "/guilds/*/scheduled-events/*", when=when, error=error)
    await advance_to(env, datetime(2026, 1, 1, 12, 1, tzinfo=UTC))
    assert sorted(r[0] for r in faults.raised) == ["GET", "POST"]
    [session] = await service(bots).repo.sessions_with_status(world.guild.id, ("live",))
    board = board_message(office, session.id)
    assert session.board_message_id == board.id
    boards = [m for m in bot_posts(office) if m.embeds and "Office hours" in m.embeds[0].title]
    assert len(boards) == 1
    assert events(world)[session.event_id].status == 2  # the event went live too


@BOTH_MODES
@BOTH_ERRORS
async def test_auto_end_posts_one_recap_and_records_it(world, bots, when, error) -> None:
    env = world.env
    office = await setup_office(world)
    await schedule(world, start="2026-01-01 12:00", repeat="weekly")
    await advance_to(env, datetime(2026, 1, 1, 12, 30, tzinfo=UTC))
    [session] = await service(bots).repo.sessions_with_status(world.guild.id, ("live",))
    faults = NetworkFaults(bots.current)
    faults.drop("POST", f"/channels/{office.id}/messages", when=when, error=error)
    # The next week's event is a create too: it must not be made twice.
    faults.drop("POST", "/guilds/*/scheduled-events", when=when, error=error)
    await advance_to(env, datetime(2026, 1, 1, 13, 11, tzinfo=UTC))  # end 13:00 + 10 min grace
    assert sorted(r[0] for r in faults.raised) == ["POST", "POST"]
    ended = await service(bots).repo.get_session(world.guild.id, session.id)
    recaps = [m for m in bot_posts(office) if m.embeds and "Recap" in m.embeds[0].title]
    assert len(recaps) == 1 and ended.recap_message_id == recaps[0].id
    assert ended.status == "ended"
    [nxt] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    upcoming = [e for e in events(world).values() if e.name == nxt.title and e.status == 1]
    assert len(upcoming) == 1 and nxt.event_id == upcoming[0].id


@BOTH_MODES
async def test_digest_post_command_says_it_cannot_tell(world, bots, when) -> None:
    """A command isn't retried behind the user's back: it says what it knows."""
    digest = await _digest_ready(world)
    faults = NetworkFaults(bots.current)
    faults.drop("POST", f"/channels/{digest.id}/messages", when=when, error="disconnect")
    r = await world.alice.slash(world.general, "digest post")
    assert r.ephemeral and "I lost the connection to Discord" in r.response.content
    assert f"Check <#{digest.id}>" in r.response.content
    assert len(bot_posts(digest)) == (0 if when == "before" else 1)
