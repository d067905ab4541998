"""Advocates' boundaries through discord.py with SimCord: working hours, time off, and the
advocate inbox that holds notices outside them and delivers them as one message.

SimCord starts on Thursday 1 January 2026 00:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cogs._common import ADVOCATE_NEEDED
from cogs.boundaries.inbox import job_name
from services.boundaries.service import HEADER
from tests.conftest import make_advocates
from tests.reliability._helpers import NetworkFaults

HOUR = 3600
DAY = 24 * HOUR
MESSAGES = "/channels/*/messages"


def dms(member) -> list[str]:
    channel = member.user.dm_channel
    return [] if channel is None else [m.content for m in channel.history()]


async def advance_to(env, when: datetime) -> None:
    await env.advance_time((when - env.now()).total_seconds())


async def log_channel(world):
    channel = world.guild.create_text_channel("hallway-log")
    await world.env.settle()
    r = await world.alice.slash(world.general, "setup channel", kind="log", channel=channel)
    assert "✅" in r.response.content, r.response.content
    return channel


async def office_hours(world, days="mon-fri", start="09:00", end="17:00", zone="UTC"):
    await make_advocates(world)
    r = await world.alice.slash(
        world.general, "advocate hours", days=days, start=start, end=end, timezone=zone
    )
    assert r.ephemeral and "Your working hours are now" in r.response.content, r.response.content
    return r


def inbox(bots):
    return bots.current.inbox


# ------------------------------------------------------------------ hours, time off, /advocate me


async def test_hours_are_set_shown_and_survive_a_restart(world, restart) -> None:
    r = await office_hours(world, zone="Europe/Berlin")
    assert "**Mon–Fri 09:00–17:00 Europe/Berlin**" in r.response.content
    await restart()
    r = await world.alice.slash(world.general, "advocate me")
    assert r.ephemeral
    text = r.response.content
    assert "Working hours: Mon–Fri 09:00–17:00 Europe/Berlin" in text
    # 00:00 UTC is 01:00 in Berlin: off until 09:00 Berlin, 08:00 UTC, that same Thursday.
    back = int(datetime(2026, 1, 1, 8, tzinfo=UTC).timestamp())
    assert "you're **off**" in text and f"<t:{back}:F>" in text


async def test_days_read_in_several_spellings(world) -> None:
    r = await office_hours(world, days="mon,wed,fri", start="9am", end="5:30pm")
    assert "Mon, Wed, Fri 09:00–17:30 UTC" in r.response.content
    r = await office_hours(world, days="fri-mon", start="10:00", end="24:00")
    assert "Mon, Fri, Sat, Sun 10:00–24:00 UTC" in r.response.content


async def test_time_off_is_recorded_listed_and_cancelled(world, restart) -> None:
    await office_hours(world, days="mon-sun", start="00:00", end="24:00")
    r = await world.alice.slash(
        world.general, "advocate away", until="2026-01-05 09:00", note="holiday @everyone"
    )
    assert r.ephemeral and "Time off recorded" in r.response.content, r.response.content
    assert "/advocate back id:1" in r.response.content
    await restart()
    r = await world.alice.slash(world.general, "advocate me")
    assert "holiday @\u200beveryone" in r.response.content
    assert "you're **off**" in r.response.content
    back = int(datetime(2026, 1, 5, 9, tzinfo=UTC).timestamp())
    assert f"<t:{back}:F>" in r.response.content
    r = await world.alice.slash(world.general, "advocate back", id=1)
    assert "removed" in r.response.content
    r = await world.alice.slash(world.general, "advocate me")
    assert "Time off: none planned" in r.response.content
    assert "you're **in**" in r.response.content


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"start": "17:00", "end": "09:00"}, "the start must be before the end"),
        ({"start": "09:00", "end": "09:00"}, "the start must be before the end"),
        ({"timezone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"days": "weekdays"}, "Write days like `mon-fri`"),
        ({"start": "nine"}, "Write times like `09:00`"),
        ({"end": "25:00"}, "isn't a time of day"),
        ({"start": "13pm"}, "12-hour clock"),
    ],
)
async def test_bad_hours_are_refused_and_nothing_is_stored(world, options, expected) -> None:
    await make_advocates(world)
    values = {"days": "mon-fri", "start": "09:00", "end": "17:00", "timezone": "UTC"} | options
    r = await world.alice.slash(world.general, "advocate hours", **values)
    assert r.ephemeral and expected in r.response.content, r.response.content
    r = await world.alice.slash(world.general, "advocate me")
    assert "Working hours: not set" in r.response.content


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"from": "2026-01-10 09:00", "until": "2026-01-09 09:00"}, "`until` must be after"),
        ({"until": "yesterday-ish"}, "couldn't read"),
        ({"until": "in 2 days", "note": "x" * 201}, "The note is too long"),
        ({"from": "in 1 day", "until": "in 380 days"}, "at most"),
    ],
)
async def test_bad_time_off_is_refused_and_nothing_is_stored(world, options, expected) -> None:
    await make_advocates(world)
    r = await world.alice.slash(world.general, "advocate away", **options)
    assert r.ephemeral and expected in r.response.content, r.response.content
    r = await world.alice.slash(world.general, "advocate me")
    assert "Time off: none planned" in r.response.content


async def test_unknown_time_off_id_is_explained(world) -> None:
    await make_advocates(world)
    r = await world.alice.slash(world.general, "advocate back", id=7)
    assert r.ephemeral and "no time off with id 7" in r.response.content


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            "advocate hours",
            {"days": "mon-fri", "start": "09:00", "end": "17:00", "timezone": "UTC"},
        ),
        ("advocate away", {"until": "in 2 days"}),
        ("advocate back", {"id": 1}),
        ("advocate me", {}),
        ("advocate load", {"weeks": 1}),
    ],
)
async def test_members_are_refused_every_advocate_command(world, command, options) -> None:
    await make_advocates(world)
    r = await world.bob.slash(world.general, command, **options)
    assert r.ephemeral and r.response.content == ADVOCATE_NEEDED


# ------------------------------------------------------------------ the inbox


async def test_in_hours_a_notice_is_sent_at_once(world, bots) -> None:
    await office_hours(world, days="mon-sun", start="00:00", end="24:00")
    outcome = await inbox(bots).tell(world.guild.id, world.alice.id, "Ping from a job")
    assert outcome == "sent"
    assert dms(world.alice)[-1] == "Ping from a job"


async def test_no_hours_means_always_in(world, bots) -> None:
    await make_advocates(world)
    assert await inbox(bots).tell(world.guild.id, world.alice.id, "Hello") == "sent"


async def test_notices_held_off_hours_arrive_as_one_message_across_a_restart(
    world, bots, restart
) -> None:
    env = world.env
    await office_hours(world)  # Mon–Fri 09:00–17:00 UTC; it is Thursday 00:00
    before = dms(world.alice)
    assert await inbox(bots).tell(world.guild.id, world.alice.id, "2 questions waited") == "held"
    assert await inbox(bots).tell(world.guild.id, world.alice.id, "1 feedback item") == "held"
    assert dms(world.alice) == before
    r = await world.alice.slash(world.general, "advocate me")
    assert "Held for you: 2 notices." in r.response.content
    await restart()
    await advance_to(env, datetime(2026, 1, 1, 8, 59, tzinfo=UTC))
    assert dms(world.alice) == before
    await env.advance_time(2 * 60)
    new = dms(world.alice)[len(before) :]
    assert len(new) == 1
    assert new[0].startswith(HEADER) and "2 notices held for you" in new[0]
    assert "• 2 questions waited" in new[0] and "• 1 feedback item" in new[0]
    await env.advance_time(3 * DAY)
    await restart()
    await env.advance_time(DAY)
    assert len(dms(world.alice)) == len(before) + 1
    r = await world.alice.slash(world.general, "advocate me")
    assert "Held for you" not in r.response.content


async def test_a_weekend_holds_until_monday_in_the_advocates_zone(world, bots) -> None:
    env = world.env
    await office_hours(world, zone="America/New_York")
    # Friday 2 January 22:30 UTC is 17:30 in New York: just after hours.
    await advance_to(env, datetime(2026, 1, 2, 22, 30, tzinfo=UTC))
    before = len(dms(world.alice))
    assert await inbox(bots).tell(world.guild.id, world.alice.id, "Weekend news") == "held"
    monday_nine = datetime(2026, 1, 5, 14, tzinfo=UTC)  # 09:00 EST
    assert bots.current.alarm.due_time(job_name(world.guild.id, world.alice.id)) == monday_nine
    await advance_to(env, monday_nine - timedelta(minutes=1))
    assert len(dms(world.alice)) == before
    await env.advance_time(120)
    assert len(dms(world.alice)) == before + 1


async def test_time_off_holds_notices_until_the_first_working_hours_after_it(world, bots) -> None:
    env = world.env
    await office_hours(world, days="mon-sun", start="09:00", end="17:00")
    await advance_to(env, datetime(2026, 1, 1, 10, tzinfo=UTC))
    r = await world.alice.slash(world.general, "advocate away", until="2026-01-03 12:00")
    assert "Time off recorded" in r.response.content
    before = len(dms(world.alice))
    assert await inbox(bots).tell(world.guild.id, world.alice.id, "While away") == "held"
    await advance_to(env, datetime(2026, 1, 3, 11, 59, tzinfo=UTC))
    assert len(dms(world.alice)) == before
    await env.advance_time(120)  # back at 12:00, inside Saturday's hours
    assert len(dms(world.alice)) == before + 1
    assert "While away" in dms(world.alice)[-1]


async def test_changing_hours_moves_the_held_delivery(world, bots) -> None:
    env = world.env
    await office_hours(world)
    assert await inbox(bots).tell(world.guild.id, world.alice.id, "Early bird") == "held"
    before = len(dms(world.alice))
    await office_hours(world, days="mon-sun", start="00:00", end="24:00")
    await env.advance_time(60)
    assert len(dms(world.alice)) == before + 1


async def test_urgent_notice_goes_to_the_advocates_channel_not_the_advocate(world, bots) -> None:
    env = world.env
    await office_hours(world)
    log = await log_channel(world)
    before = len(dms(world.alice))
    soon = env.now() + timedelta(minutes=30)
    outcome = await inbox(bots).tell(
        world.guild.id, world.alice.id, "Your session starts soon", starts_at=soon
    )
    assert outcome == "covered"
    post = log.last_message
    assert f"For <@{world.alice.id}>, who is off until" in post.content
    assert "Your session starts soon" in post.content
    assert len(dms(world.alice)) == before
    sent = [
        r for r in env.http_requests if r.method == "POST" and r.path.endswith(f"{log.id}/messages")
    ]
    assert sent[-1].json["allowed_mentions"]["parse"] == []
    # Not urgent once more than an hour away: held for her instead.
    later = env.now() + timedelta(hours=3)
    assert await inbox(bots).tell(world.guild.id, world.alice.id, "x", starts_at=later) == "held"


async def test_urgent_notice_goes_to_whoever_covers_when_they_are_in(world, bots) -> None:
    await office_hours(world)
    log = await log_channel(world)
    carol = world.carol
    inbox(bots).cover = lambda guild_id: _value(carol.id)
    soon = world.env.now() + timedelta(minutes=30)
    outcome = await inbox(bots).tell(world.guild.id, world.alice.id, "Starts soon", starts_at=soon)
    assert outcome == "covered"
    assert "Starts soon" in dms(carol)[-1] and f"<@{world.alice.id}>" in dms(carol)[-1]
    assert log.last_message is None or "Starts soon" not in log.last_message.content


async def _value(value):
    return value


async def test_delivery_survives_an_http_error(world, bots) -> None:
    env = world.env
    await office_hours(world)
    await inbox(bots).tell(world.guild.id, world.alice.id, "Held through a 500")
    before = len(dms(world.alice))
    await advance_to(env, datetime(2026, 1, 1, 8, 59, tzinfo=UTC))
    env.inject_error("POST", MESSAGES, status=500, times=1)
    await env.advance_time(120)
    await env.advance_time(60)  # the 5 s back-off
    assert len(dms(world.alice)) == before + 1
    await env.advance_time(DAY)
    assert len(dms(world.alice)) == before + 1


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("error", ["disconnect", "timeout"])
async def test_delivery_survives_a_dropped_connection_once(world, bots, when, error) -> None:
    env = world.env
    await office_hours(world)
    await inbox(bots).tell(world.guild.id, world.alice.id, "Held through a fault")
    before = len(dms(world.alice))
    await advance_to(env, datetime(2026, 1, 1, 8, 59, tzinfo=UTC))
    faults = NetworkFaults(bots.current)
    faults.drop("POST", MESSAGES, when=when, error=error)
    await env.advance_time(120)
    await env.advance_time(60)
    assert [f[2] for f in faults.raised] == [when]
    assert len(dms(world.alice)) == before + 1
    await env.advance_time(DAY)
    assert len(dms(world.alice)) == before + 1


async def test_a_long_outage_releases_the_notices_for_a_later_try(world, bots) -> None:
    env = world.env
    await office_hours(world)
    await inbox(bots).tell(world.guild.id, world.alice.id, "Held through an outage")
    before = len(dms(world.alice))
    await advance_to(env, datetime(2026, 1, 1, 8, 59, tzinfo=UTC))
    env.inject_error("POST", MESSAGES, status=503, times=3)
    await env.advance_time(120)
    await env.advance_time(60)
    assert len(dms(world.alice)) == before
    await env.advance_time(HOUR)
    assert len(dms(world.alice)) == before + 1
    assert "Held through an outage" in dms(world.alice)[-1]


async def test_crash_after_the_claim_sends_once_after_restart(world, bots, restart) -> None:
    env = world.env
    await office_hours(world)
    await inbox(bots).tell(world.guild.id, world.alice.id, "Claimed then crashed")
    before = len(dms(world.alice))
    service = bots.current.services.boundaries
    await advance_to(env, datetime(2026, 1, 1, 9, 0, tzinfo=UTC) - timedelta(seconds=1))
    await bots.current.alarm.stop()
    await env.advance_time(60)
    # The process claimed the delivery and died before sending it.
    assert await service.claim_delivery(world.guild.id, world.alice.id) is not None
    await restart()
    await env.advance_time(60)
    assert len(dms(world.alice)) == before + 1
    await restart()
    await env.advance_time(DAY)
    assert len(dms(world.alice)) == before + 1


async def test_crash_after_the_send_does_not_send_twice(world, bots, restart) -> None:
    env = world.env
    await office_hours(world)
    await inbox(bots).tell(world.guild.id, world.alice.id, "Sent then crashed")
    before = len(dms(world.alice))
    bot = bots.current
    await advance_to(env, datetime(2026, 1, 1, 9, 0, tzinfo=UTC) - timedelta(seconds=1))
    await bot.alarm.stop()
    await env.advance_time(60)
    # Sent, but the process died before recording it.
    delivery = await bot.services.boundaries.claim_delivery(world.guild.id, world.alice.id)
    await bot.inbox._send(delivery)
    assert len(dms(world.alice)) == before + 1
    await restart()
    await env.advance_time(DAY)
    assert len(dms(world.alice)) == before + 1
    r = await world.alice.slash(world.general, "advocate me")
    assert "Held for you" not in r.response.content


async def test_a_missed_announcements_notice_to_its_author_waits_for_their_hours(
    world, bots, restart
) -> None:
    env = world.env
    await office_hours(world, start="13:00", end="17:00")
    news = world.guild.create_text_channel("news")
    await env.settle()
    r = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="2026-01-01 09:00", repeat="daily"
    )
    await world.alice.submit_modal(r, {"body": "Daily news", "image_url": ""})
    await env.advance_time(8 * HOUR)
    await bots.current.alarm.stop()
    await env.advance_time(4 * HOUR)  # down over 09:00, back at 12:00: too late to post
    await restart()
    await env.settle()
    assert not any("I was offline" in d for d in dms(world.alice))
    await advance_to(env, datetime(2026, 1, 1, 13, 1, tzinfo=UTC))
    [told] = [d for d in dms(world.alice) if "I was offline" in d]
    assert told.startswith(HEADER)


# ------------------------------------------------------------------ /advocate load


async def test_load_view_figures_on_a_known_week(world, bots) -> None:
    from storage.feedback.items import FeedbackRepository
    from storage.oncall import OnCallRepository
    from storage.timeutil import to_db
    from tests.storage.test_privacy_repo import item, session

    await make_advocates(world)
    env = world.env
    dave = world.guild.add_member(env.create_user("dave"), roles=[world.advocates])
    erin = world.guild.add_member(env.create_user("erin"), roles=[world.advocates])
    await env.settle()
    # alice works 09-17 UTC on weekdays; dave and erin set no hours.
    await office_hours(world)
    await env.advance_time(14 * DAY)  # Thursday 15 January, 00:00 UTC
    db = bots.current.db
    now = env.now()
    from storage.office_hours.sessions import OfficeHoursRepository

    oh = OfficeHoursRepository(db)
    g = world.guild.id
    # alice hosted two sessions (one at 20:00, outside her hours) and answered 3 questions.
    for hour in (10, 20):
        s = await oh.insert_session(session(g, world.alice.id), now)
        at = now - timedelta(days=2) + timedelta(hours=hour)
        await oh.mark_live(g, s.id, at)
        await db.execute(
            "UPDATE oh_sessions SET started_at = ?, status = 'ended' WHERE id = ?",
            (to_db(at), s.id),
        )
        for n in range(2 if hour == 10 else 1):
            q = await oh.questions.add_question(g, s.id, world.bob.id, f"q{n}", at)
            await oh.questions.finish(g, q.id, "answered", at, host_id=world.alice.id)
    # A regional call alice hosted on Monday 12 January 14:00 (in her hours); its
    # office-hours session counts as a call, not as a session hosted.
    call_at = datetime(2026, 1, 12, 14, tzinfo=UTC)
    series_id = await db.execute(
        "INSERT INTO call_series (guild_id, title, cadence, mode, duration_minutes, anchor, "
        "created_at) VALUES (?, 'Community call', 'weekly', 'rotating', 60, '2026-01-05', ?)",
        (g, to_db(now)),
    )
    call_session = await oh.insert_session(session(g, world.alice.id), now)
    await db.execute(
        "UPDATE oh_sessions SET started_at = ?, status = 'ended', origin = 'call' WHERE id = ?",
        (to_db(call_at), call_session.id),
    )
    await db.execute(
        "INSERT INTO call_occurrences (guild_id, series_id, slot_id, slot_name, cycle, "
        "starts_at, session_id, host_id, created_at) VALUES (?, ?, 1, 'EMEA', 1, ?, ?, ?, ?)",
        (g, series_id, to_db(call_at), call_session.id, world.alice.id, to_db(now)),
    )
    # ...and one more than a week ago, outside the window.
    await db.execute(
        "INSERT INTO call_occurrences (guild_id, series_id, slot_id, slot_name, cycle, "
        "starts_at, host_id, created_at) VALUES (?, ?, 1, 'EMEA', 0, ?, ?, ?)",
        (g, series_id, to_db(call_at - timedelta(days=7)), world.alice.id, to_db(now)),
    )
    fb = FeedbackRepository(db)
    item_id = await fb.create_item(item(g, world.bob.id, world.bob.id, "SDK bug"), [], {})
    for status in ("triaged", "planned"):
        await fb.set_status(g, item_id, status, dave.id, "", now - timedelta(days=1))
    oncall = OnCallRepository(db)
    for d in range(3):
        start = now - timedelta(days=3 - d)
        await oncall.claim_shift(g, start, start + timedelta(days=1), erin.id, start)

    r = await world.bob.slash(world.general, "advocate load", weeks=1)
    assert r.ephemeral and r.response.content == ADVOCATE_NEEDED
    # A notice held for alice (it is Thursday 00:00, outside her hours).
    assert await inbox(bots).tell(g, world.alice.id, "Held for the load view") == "held"
    await env.advance_time(60)
    r = await world.alice.slash(world.general, "advocate load", weeks=1)
    assert r.ephemeral, r
    assert r.response.content.splitlines() == [
        "⚖️ **Load over the last 1 week** (shown to advocates only)",
        # The 20:00 session and its question fall outside alice's hours; the call does not.
        f"<@{world.alice.id}>: 2 sessions hosted · 1 call hosted · 0 feedback status changes · "
        "3 questions answered · 0 on-call shifts · 1 notice held · 2 outside their hours · "
        "longest run 2 days",
        "  ⚠️ sessions hosted above twice the team's median (0)",
        "  ⚠️ questions answered above twice the team's median (0)",
        "  ⚠️ work outside their hours above twice the team's median (0)",
        f"<@{dave.id}>: 0 sessions hosted · 0 calls hosted · 2 feedback status changes · "
        "0 questions answered · 0 on-call shifts · 0 notices held · 0 outside their hours · "
        "longest run 1 day",
        "  ⚠️ feedback status changes above twice the team's median (0)",
        f"<@{erin.id}>: 0 sessions hosted · 0 calls hosted · 0 feedback status changes · "
        "0 questions answered · 3 on-call shifts · 0 notices held · 0 outside their hours · "
        "longest run 0 days",
        "  ⚠️ on-call shifts above twice the team's median (0)",
    ]


async def test_load_view_flags_more_than_12_days_without_a_day_off(world, bots) -> None:
    """Over 2 weeks to Thursday 15 January: alice wrote in the server 13 days in a row
    (2-14 January), dave 12 (3-14 January): only alice is flagged."""
    from datetime import date

    await make_advocates(world)
    env = world.env
    dave = world.guild.add_member(env.create_user("dave"), roles=[world.advocates])
    await env.settle()
    await env.advance_time(14 * DAY)
    db = bots.current.db
    g = world.guild.id
    for who, first in ((world.alice.id, 2), (dave.id, 3)):
        for d in range(first, 15):
            await db.execute(
                "INSERT INTO activity_member_day (guild_id, day, user_id, messages) "
                "VALUES (?, ?, ?, 1)",
                (g, date(2026, 1, d).isoformat(), who),
            )
    r = await world.alice.slash(world.general, "advocate load", weeks=2)
    lines = r.response.content.splitlines()
    [mine] = [i for i, line in enumerate(lines) if line.startswith(f"<@{world.alice.id}>")]
    assert lines[mine].endswith("longest run 13 days")
    assert lines[mine + 1] == "  ⚠️ 13 days in a row without a day off"
    [his] = [i for i, line in enumerate(lines) if line.startswith(f"<@{dave.id}>")]
    assert lines[his].endswith("longest run 12 days")
    assert his + 1 == len(lines) or not lines[his + 1].startswith("  ⚠️")
