"""Discord faults on every REST route the bot uses: 500, 429, 403 and 404.

The promise: scheduled deliveries retry server errors and record a failure (telling the
author) otherwise; an interaction always gets a clear reply; no exception goes
unhandled (the fixtures fail the test on anything the bot did not handle, and on
anything in bot.unexpected_errors).

SimCord turns an injected status into the matching discord.py exception after one
attempt (429 arrives as a plain HTTPException with status 429, not a rate limit).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from tests.conftest import (
    bot_posts,
    card_in,
    make_advocates,
    schedule_announcement,
    submit_feedback,
)
from tests.reliability._helpers import configure_guild, diff, snapshot

HOUR = 3600
DAY = 24 * HOUR
MESSAGES = "/channels/*/messages"


def requests_to(env, method: str, suffix: str) -> list:
    return [r for r in env.http_requests if r.method == method and r.path.endswith(suffix)]


def acknowledge_forbidden(env) -> list[BaseException]:
    """Forbidden errors the tree answered with its permission message (inspected, not bugs)."""
    seen = env.errors
    originals = [getattr(e, "original", e) for e in seen]
    assert all(isinstance(e, discord.Forbidden) for e in originals), seen
    return originals


# ------------------------------------------------------------------ announcements


@pytest.mark.parametrize("status", [500, 502, 429])
async def test_announcement_retries_transient_errors_and_posts_once(world, bots, status) -> None:
    env = world.env
    channels = await configure_guild(world)
    await schedule_announcement(world, channels.news, "Release day", when="in 1 hour")
    env.inject_error("POST", MESSAGES, status=status, times=2)
    await env.advance_time(HOUR + 60)  # the first try fails at once
    await env.advance_time(60)  # 5 s and 30 s backoffs pass
    assert [m.content for m in bot_posts(channels.news)] == ["Release day"]
    [delivery] = await bots.current.services.announcements.history(world.guild.id, 1)
    assert (delivery.status, delivery.attempts) == ("sent", 2)


@pytest.mark.parametrize(
    ("status", "code", "told"),
    [
        (403, 50013, "I can't post in #announcements"),
        (404, 10003, "no longer exists"),
        (500, 0, "Discord kept failing"),
    ],
)
async def test_announcement_failure_is_recorded_and_the_author_told(
    world, bots, status, code, told
) -> None:
    env = world.env
    channels = await configure_guild(world)
    await schedule_announcement(world, channels.news, "Release day", when="in 1 hour")
    # Exactly as many faults as tries: the DM to the author must then go through.
    env.inject_error("POST", MESSAGES, status=status, code=code, times=3 if status >= 500 else 1)
    await env.advance_time(HOUR + 60)
    await env.advance_time(60)
    assert bot_posts(channels.news) == []
    [delivery] = await bots.current.services.announcements.history(world.guild.id, 1)
    assert delivery.status == "failed" and told in (delivery.error or "")
    assert delivery.attempts == (3 if status >= 500 else 1)  # only server errors are retried
    assert told in world.alice.user.dm_channel.last_message.content
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert "failed" in r.response.content
    # Nothing is retried later by itself: a one-off that failed is not sent twice.
    await env.advance_time(DAY)
    assert bot_posts(channels.news) == []


async def test_send_now_reports_a_failure_clearly(world, bots) -> None:
    env = world.env
    channels = await configure_guild(world)
    await schedule_announcement(world, channels.news, "Hotfix out", when="in 3 hours")
    env.inject_error("POST", MESSAGES, status=403, code=50013, times=1)
    r = await world.alice.slash(world.general, "announce send-now", id=1)
    assert r.ephemeral and "Couldn't post #1" in r.response.content
    assert "I can't post in #announcements" in r.response.content
    assert bot_posts(channels.news) == []


async def test_forum_post_retries_thread_creation(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    forum = world.guild.create_forum_channel("releases")
    await env.settle()
    await schedule_announcement(world, forum, "v3 is out", when="in 1 hour", title="v3")
    env.inject_error("POST", "/channels/*/threads", status=503, times=1)
    await env.advance_time(HOUR + 60)
    await env.advance_time(60)
    assert [t.name for t in forum.threads] == ["v3"]


@pytest.mark.parametrize(("status", "published"), [(403, True), (500, True), (404, False)])
async def test_crosspost_faults_keep_the_post(world, bots, status, published) -> None:
    env = world.env
    await make_advocates(world)
    news = world.guild.create_news_channel("news")
    await env.settle()
    await schedule_announcement(world, news, "Big news", when="in 1 hour")
    env.inject_error("POST", "/channels/*/messages/*/crosspost", status=status, times=1)
    await env.advance_time(HOUR + 60)
    assert len(bot_posts(news)) == 1  # the post stands; only publishing failed
    [delivery] = await bots.current.services.announcements.history(world.guild.id, 1)
    assert delivery.status == "sent"
    # 403 can never succeed: the author is told and it is not retried. A 500 is retried
    # (5 s later) and then goes through; a 404 is left for the restart's publish job.
    assert (delivery.published_at is not None) is published
    if status == 403:
        assert "couldn't publish" in world.alice.user.dm_channel.last_message.content


# ------------------------------------------------------------------ digest


async def _digest_ready(world):
    channels = await configure_guild(world)
    r = await world.alice.slash(world.general, "digest configure", channel=channels.digest)
    assert r.ephemeral
    await world.bob.send(world.general, "hello")
    await world.env.advance_time(DAY)
    return channels


@pytest.mark.parametrize("status", [500, 429, 404])
async def test_digest_post_command_reports_discord_errors(world, bots, status) -> None:
    channels = await _digest_ready(world)
    before = await snapshot(bots.current)
    world.env.inject_error("POST", MESSAGES, status=status, times=1)
    r = await world.alice.slash(world.general, "digest post")
    assert r.ephemeral
    assert f"Discord didn't accept the post (error {status})" in r.response.content
    assert bot_posts(channels.digest) == []
    # Nothing of the digest is written; running a command is activity, so Alice's day is.
    changed = diff(before, await snapshot(bots.current))
    assert [row[2] for row in changed.pop("activity_member_day")["added"]] == [world.alice.id]
    assert changed == {}
    r = await world.alice.slash(world.general, "digest post")  # and it works once Discord does
    assert "Posted the digest" in r.response.content


async def test_digest_post_forbidden_names_the_permission(world, bots) -> None:
    await _digest_ready(world)
    world.env.inject_error("POST", MESSAGES, status=403, code=50013, times=1)
    r = await world.alice.slash(world.general, "digest post")
    assert r.ephemeral and "missing a permission" in r.response.content
    assert len(acknowledge_forbidden(world.env)) == 1


@pytest.mark.parametrize("status", [500, 429])
async def test_scheduled_digest_retries_after_an_error_and_posts_once(world, bots, status) -> None:
    env = world.env
    channels = await _digest_ready(world)
    # Every in-process try fails (services/retry.py); the alarm tries again 15 min later.
    env.inject_error("POST", MESSAGES, status=status, times=3)
    monday_9 = datetime(2026, 1, 5, 9, 1, tzinfo=UTC)
    await env.advance_time((monday_9 - env.now()).total_seconds())
    assert bot_posts(channels.digest) == []
    await env.advance_time(HOUR)
    assert len(bot_posts(channels.digest)) == 1
    await env.advance_time(DAY)
    assert len(bot_posts(channels.digest)) == 1


@pytest.mark.parametrize("status", [403, 500])
async def test_pin_failure_still_posts_the_digest(world, bots, status) -> None:
    channels = await _digest_ready(world)
    await world.alice.slash(world.general, "digest configure", pin=True)
    world.env.inject_error("PUT", "/channels/*/pins/*", status=status, times=1)
    world.env.inject_error("PUT", "/channels/*/messages/pins/*", status=status, times=1)
    r = await world.alice.slash(world.general, "digest post")
    assert "Posted the digest" in r.response.content
    assert len(bot_posts(channels.digest)) == 1
    assert channels.digest.pinned_messages() == []


# ------------------------------------------------------------------ office hours


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, "Discord didn't create the event (error 500)"),
        (429, "Discord didn't create the event (error 429)"),
        (403, "give my role the Manage Events permission"),
    ],
)
async def test_schedule_without_an_event_stores_nothing(world, bots, status, expected) -> None:
    await configure_guild(world)
    before = await snapshot(bots.current)
    world.env.inject_error("POST", "/guilds/*/scheduled-events", status=status, times=1)
    r = await world.alice.slash(
        world.general, "officehours schedule", title="Office hours", start="tomorrow 17:00"
    )
    assert r.ephemeral and expected in r.response.content, r.response.content
    assert diff(before, await snapshot(bots.current)) == {}


async def _live_session(world, bots):
    channels = await configure_guild(world)
    await world.alice.slash(
        world.general, "officehours schedule", title="Office hours", start="tomorrow 17:00"
    )
    for member, text in ((world.bob, "Bob asks"), (world.carol, "Carol asks")):
        await member.slash(world.general, "officehours ask", question=text)
    return channels


async def test_start_with_event_and_board_errors_still_goes_live(world, bots) -> None:
    channels = await _live_session(world, bots)
    env = world.env
    env.inject_error("PATCH", "/guilds/*/scheduled-events/*", status=500, times=1)
    env.inject_error("POST", MESSAGES, status=500, times=1)
    r = await world.alice.slash(world.general, "officehours start")
    assert r.ephemeral and "is live" in r.response.content
    assert "I couldn't post the queue board" in r.response.content
    assert bot_posts(channels.office) == []  # the board failed; the session still runs
    r = await world.bob.slash(world.general, "officehours queue")
    assert "live now" in r.response.content and "Bob asks" in r.response.content


@pytest.mark.parametrize("status", [500, 403])
async def test_end_when_the_recap_cannot_be_posted(world, bots, status) -> None:
    channels = await _live_session(world, bots)
    await world.alice.slash(world.general, "officehours start")
    world.env.inject_error("POST", MESSAGES, status=status, times=1)
    r = await world.alice.slash(world.general, "officehours end")
    assert r.ephemeral and "Ended **Office hours**" in r.response.content
    assert "I couldn't post the recap" in r.response.content
    titles = [m.embeds[0].title or "" for m in bot_posts(channels.office) if m.embeds]
    assert not any("Recap" in t for t in titles)
    r = await world.bob.slash(world.general, "officehours history")
    assert "2 asked, 0 answered" in r.response.content


@pytest.mark.parametrize("status", [403, 500, 404])
async def test_next_when_the_thread_cannot_be_opened(world, bots, status) -> None:
    channels = await _live_session(world, bots)
    await world.alice.slash(world.general, "officehours start")
    world.env.inject_error("POST", "/channels/*/threads", status=status, times=1)
    r = await world.alice.slash(world.general, "officehours next")
    assert r.ephemeral and "I couldn't open its thread" in r.response.content
    assert channels.office.threads == []
    # The asker still hears it's their turn, in the channel, pinged (and only them).
    assert "I told them in the channel instead" in r.response.content
    notice = channels.office.last_message
    assert notice.content.startswith(f"<@{world.bob.id}>, you're up!")
    [sent] = requests_to(world.env, "POST", f"/channels/{channels.office.id}/messages")[-1:]
    assert sent.json["allowed_mentions"]["users"] == [world.bob.id]
    assert sent.json["allowed_mentions"]["parse"] == []
    r = await world.carol.slash(world.general, "officehours queue")
    assert f"Now answering: <@{world.bob.id}>" in r.response.content


@pytest.mark.parametrize("status", [403, 500])
async def test_closed_dms_do_not_break_next_or_end(world, bots, status) -> None:
    channels = await _live_session(world, bots)
    await world.alice.slash(world.general, "officehours start")
    # carol is "up next" (DM), then left over at the end (DM): both DMs fail.
    world.env.inject_error("POST", "/users/@me/channels", status=status, times=None)
    r = await world.alice.slash(world.general, "officehours next")
    assert "Now answering" in r.response.content
    card = card_in(channels.office.threads[0])
    world.env.inject_error("PATCH", "/channels/*/messages/*", status=status, times=1)
    r = await world.alice.click(card, label="Answered")
    assert r.followups and "Answered by" in r.followups[0].content
    r = await world.alice.slash(world.general, "officehours end")
    assert r.ephemeral and "Ended **Office hours**" in r.response.content
    assert any(m.embeds and m.embeds[0].title.startswith("📋") for m in channels.office.history())


@pytest.mark.parametrize("status", [403, 500])
async def test_a_thread_that_cannot_be_archived_does_not_stop_the_end(world, bots, status) -> None:
    channels = await _live_session(world, bots)
    await world.alice.slash(world.general, "officehours start")
    await world.alice.slash(world.general, "officehours next")
    [thread] = channels.office.threads
    world.env.inject_error("PATCH", f"/channels/{thread.id}", status=status, times=1)
    r = await world.alice.slash(world.general, "officehours end")
    assert r.ephemeral and "Ended **Office hours**" in r.response.content
    assert any(m.embeds and m.embeds[0].title.startswith("📋") for m in channels.office.history())
    assert not thread._channel.thread_metadata.archived  # refused, logged, and left open


async def test_reminder_post_failure_is_not_sent_late(world, bots) -> None:
    env = world.env
    channels = await configure_guild(world)
    await world.alice.slash(
        world.general, "officehours schedule", title="Office hours", start="2026-01-03 12:00"
    )
    env.inject_error("POST", MESSAGES, status=500, times=3)  # every try of the 24 h one
    await env.advance_time((datetime(2026, 1, 2, 12, 1, tzinfo=UTC) - env.now()).total_seconds())
    assert bot_posts(channels.office) == []  # the 24 h reminder failed
    await env.advance_time(timedelta(hours=23, minutes=50).total_seconds())
    reminders = [m for m in bot_posts(channels.office) if m.content.startswith("⏰")]
    assert len(reminders) == 1  # only the 15-minute one; the failed one is not sent late


# ------------------------------------------------------------------ feedback


@pytest.mark.parametrize("status", [403, 500])
async def test_status_change_with_failing_dms_tells_people_in_the_channel(
    world, bots, status
) -> None:
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Rate limits are undocumented")
    world.env.inject_error("POST", "/users/@me/channels", status=status, times=None)
    r = await world.alice.slash(world.general, "feedback status", item=1, status="planned")
    assert r.ephemeral and "#1 is now **planned**" in r.response.content
    assert "were told in" in r.response.content
    told = world.general.last_message
    assert f"<@{world.bob.id}>" in told.content and "planned" in told.content


@pytest.mark.parametrize("status", [500, 403])
async def test_feedback_forum_post_failure_keeps_the_item(world, bots, status) -> None:
    await make_advocates(world)
    forum = world.guild.create_forum_channel("feedback")
    await world.env.settle()
    await world.alice.slash(world.general, "setup channel", kind="feedback", channel=forum)
    world.env.inject_error("POST", "/channels/*/threads", status=status, times=1)
    r = await submit_feedback(world.bob, world.general, "Dashboard export times out")
    assert r.ephemeral and "Saved as feedback **#1**" in r.response.content
    assert forum.threads == []
    item = await bots.current.services.feedback.item(world.guild.id, 1)
    assert item.forum_thread_id is None
    await submit_feedback(world.carol, world.general, "CLI login loops forever")
    assert len(forum.threads) == 1  # the next one posts: nothing is stuck


@pytest.mark.parametrize("status", [403, 500])
async def test_a_failed_acknowledgement_reaction_still_tells_the_advocate(
    world, bots, status
) -> None:
    env = world.env
    await make_advocates(world)
    message = await world.bob.send(world.general, "Webhook retries are not documented")
    env.inject_error("PUT", "/channels/*/messages/*/reactions/*", status=status, times=1)
    await world.alice.react(message, "📝")
    await env.settle()
    item = await bots.current.services.feedback.repo.by_message(world.guild.id, message.id)
    assert item is not None
    dm = world.alice.user.dm_channel.last_message
    assert dm is not None and f"**#{item.id}**" in dm.content


@pytest.mark.parametrize("status", [403, 404, 500])
async def test_reaction_capture_survives_reaction_and_dm_faults(world, bots, status) -> None:
    env = world.env
    await make_advocates(world)
    message = await world.bob.send(world.general, "The sandbox keys expire after an hour")
    env.inject_error("PUT", "/channels/*/messages/*/reactions/*", status=status, times=1)
    env.inject_error("POST", "/users/@me/channels", status=status, times=1)
    await world.alice.react(message, "📝")
    await env.settle()
    item = await bots.current.services.feedback.repo.by_message(world.guild.id, message.id)
    assert item is not None and item.reporter_id == world.bob.id
