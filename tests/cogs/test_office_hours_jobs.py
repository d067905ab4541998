"""Office hours on the alarm clock: reminders, automatic start and end, and sessions or
reminders missed while the bot was offline.

The alarm-driven side of cogs/office_hours/jobs.py; the commands are tested in
test_office_hours.py, whose helpers these tests share.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.cogs.test_office_hours import board_message, events, schedule, service, setup_office, ts
from tests.conftest import bot_posts


async def test_reminders_fire_at_24h_and_15min_then_auto_start_and_end(world, bots) -> None:
    office = await setup_office(world)
    env = world.env
    r = await world.alice.slash(
        world.general, "officehours settings", reminder_role=world.advocates
    )
    assert "Reminders before start: 1d, 15m" in r.response.content
    await schedule(world, start="2026-01-03 12:00")  # T-24h is 2026-01-02 12:00 UTC
    await world.bob.slash(world.general, "officehours ask", question="Rate limits?")
    await world.carol.slash(world.general, "officehours ask", question="SDK roadmap?")

    await env.advance_time(36 * 3600 - 60)
    assert bot_posts(office) == []
    before = len(env.http_requests)
    await env.advance_time(60)
    [reminder] = bot_posts(office)
    starts = datetime(2026, 1, 3, 12, 0, tzinfo=UTC)
    assert ts(starts, "F") in reminder.content and ts(starts, "R") in reminder.content
    assert f"<@{world.bob.id}> <@{world.carol.id}>" in reminder.content
    assert f"<@&{world.advocates.id}>" in reminder.content
    [post] = [r for r in env.http_requests[before:] if r.path == f"/channels/{office.id}/messages"]
    mentions = post.json["allowed_mentions"]
    assert sorted(mentions["users"]) == sorted([world.bob.id, world.carol.id])
    assert mentions["roles"] == [world.advocates.id]
    assert mentions["parse"] == []

    await env.advance_time(23 * 3600 + 44 * 60)  # 11:44 on the day
    assert len(bot_posts(office)) == 1
    await env.advance_time(60)
    assert len(bot_posts(office)) == 2
    assert "starts" in bot_posts(office)[-1].content

    # Auto start at the start time posts the board; auto end comes after the grace period.
    await env.advance_time(15 * 60)
    [session] = await service(bots).repo.sessions_with_status(world.guild.id, ("live",))
    assert board_message(office, session.id)
    assert events(world)[session.event_id].status == 2
    await env.advance_time(60 * 60 + 9 * 60)  # end 13:00, grace 10 min
    assert (await service(bots).repo.get_session(world.guild.id, session.id)).status == "live"
    await env.advance_time(60)
    ended = await service(bots).repo.get_session(world.guild.id, session.id)
    assert ended.status == "ended" and ended.recap_message_id is not None
    assert events(world)[session.event_id].status == 3
    assert "Recap" in office.last_message.embeds[0].title


async def test_reminder_missed_while_offline_is_skipped_not_sent_late(world, bots, restart) -> None:
    office = await setup_office(world)
    env = world.env
    await schedule(world, start="2026-01-03 12:00")
    await world.bob.slash(world.general, "officehours ask", question="Rate limits?")
    await bots.current.alarm.stop()  # the bot is down from here...
    await env.advance_time(37 * 3600)  # ...past T-24h
    new_bot = await restart()
    names = new_bot.alarm.names("oh-")
    assert not any(name.endswith(":1440") for name in names)
    assert any(name.endswith(":15") for name in names)
    assert bot_posts(office) == []
    await env.advance_time(22 * 3600 + 45 * 60)  # 11:45
    [reminder] = bot_posts(office)
    assert "Rate limits" not in reminder.content and f"<@{world.bob.id}>" in reminder.content
    # Restarting after the send doesn't send it again.
    await restart()
    await env.advance_time(5 * 60)
    assert len(bot_posts(office)) == 1


async def test_session_missed_while_offline_is_cancelled_and_series_continues(
    world, bots, restart
) -> None:
    await setup_office(world)
    await schedule(world, start="2026-01-01 02:00", repeat="weekly")
    await world.bob.slash(world.general, "officehours ask", question="Anyone there?")
    [missed] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    await bots.current.alarm.stop()
    await world.env.advance_time(4 * 3600)
    await restart()
    await world.env.settle()
    assert (await service(bots).repo.get_session(world.guild.id, missed.id)).status == "cancelled"
    assert events(world)[missed.event_id].status in (3, 4)  # Discord may have closed it itself
    [nxt] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    assert nxt.starts_at == datetime(2026, 1, 8, 2, 0, tzinfo=UTC)
    [carried] = await service(bots).repo.questions.waiting(world.guild.id, nxt.id)
    assert carried.user_id == world.bob.id


async def test_auto_start_off_leaves_it_to_the_host_and_unstarted_sessions_lapse(
    world, bots
) -> None:
    await setup_office(world)
    await schedule(world, start="2026-01-01 02:00")
    r = await world.alice.slash(
        world.general, "officehours settings", auto_start=False, grace_minutes=5, reminders="none"
    )
    assert (
        "Auto start: off" in r.response.content
        and "Reminders before start: none" in r.response.content
    )
    [session] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    assert bots.current.alarm.names(f"oh-start:{session.id}") == []
    assert bots.current.alarm.due_time(f"oh-end:{session.id}") == datetime(
        2026, 1, 1, 3, 5, tzinfo=UTC
    )
    await world.env.advance_time(3 * 3600 + 4 * 60)  # 03:04, past the start: nobody started it
    assert (await service(bots).repo.get_session(world.guild.id, session.id)).status == "scheduled"
    await world.env.advance_time(60)
    assert (await service(bots).repo.get_session(world.guild.id, session.id)).status == "cancelled"
    # SimCord, like Discord for external events, already closed the event at its end time.
    assert events(world)[session.event_id].status in (3, 4)
