"""/report month: the monthly impact report, on a small known history.

SimCord's clock starts on Thu 1 January 2026 00:00 UTC, when the world's four members join.
January: the admin runs /setup (active), bob and carol write one message each.
February: dave joins on the 3rd and writes; bob writes. The report is asked for on 2 March.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import discord

from tests.cogs.test_metrics import advance_to
from tests.conftest import make_advocates


async def two_months(world):
    env = world.env
    await make_advocates(world)
    await advance_to(env, datetime(2026, 1, 10, 9, tzinfo=UTC))
    await world.bob.send(world.general, "january")
    await world.carol.send(world.general, "january too")
    await advance_to(env, datetime(2026, 2, 3, 9, tzinfo=UTC))
    dave = world.guild.add_member(env.create_user("dave"))
    await env.settle()
    await dave.send(world.general, "hello, new here")
    await world.bob.send(world.general, "february")
    await advance_to(env, datetime(2026, 3, 2, 9, tzinfo=UTC))


async def read_csv(result) -> dict[str, list[str]]:
    [csv_file] = [a for a in result.response.attachments if a.filename.endswith(".csv")]
    rows = list(csv.reader(io.StringIO((await csv_file.read()).decode())))
    assert rows[0] == [
        "month", "section", "figure", "key", "unit", "value", "previous", "change", "change_pct"
    ]  # fmt: skip
    return {row[3]: row for row in rows[1:]}


async def quiet_guild(world):
    """Another guild, with an admin who may run /report and a room: figures that leaked
    from the world's guild would show in its report."""
    env = world.env
    other = env.create_guild("Quiet Community")
    room = other.create_text_channel("room")
    admins = other.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    quinn = other.add_member(env.create_user("quinn"), roles=[admins])
    await env.settle()
    return quinn, room


async def test_report_february_against_january(world) -> None:
    await two_months(world)
    r = await world.alice.slash(world.general, "report", month="2026-02")
    assert r.ephemeral
    names = sorted(a.filename for a in r.response.attachments)
    assert names == ["report-2026-02.csv", "report-2026-02.png"]
    [png] = [a for a in r.response.attachments if a.filename.endswith(".png")]
    assert (await png.read()).startswith(b"\x89PNG")
    assert r.response.embeds[0].image.url == "attachment://report-2026-02.png"
    rows = await read_csv(r)
    # Active: Feb bob and dave (2); Jan admin, bob, carol (3). Bob is both: returning 1.
    assert rows["active_members"][4:] == ["count", "2", "3", "-1", "-33.3"]
    assert rows["returning_members"][5:7] == ["1", "0"]
    assert rows["messages"][5:] == ["2", "2", "0", "0.0"]
    # New members: dave in Feb (he wrote); the world's four in Jan (bob and carol wrote).
    assert rows["new_members"][5:] == ["1", "4", "-3", "-75.0"]
    assert rows["new_members_wrote"][5:8] == ["1", "2", "-1"]
    assert rows["new_members_answered"][5:7] == ["0", "0"]
    assert rows["feedback_captured"][5:7] == ["0", "0"]
    assert all(row[0] == "2026-02" for row in rows.values())
    # No programme had anything in either month: none is in the report.
    assert not any(k.startswith(("office_hours_", "calls_", "hallway_")) for k in rows)
    text = r.response.embeds[0].description
    assert "Active members: **2** (-1 (-33%))" in text


async def test_default_is_last_whole_month_with_no_earlier_month(world) -> None:
    await two_months(world)
    r = await world.alice.slash(world.general, "report", month="2026-01")
    rows = await read_csv(r)
    # December 2025 is before the guild's first data: no previous month, no change.
    assert rows["active_members"][5:] == ["3", "", "", ""]
    r = await world.alice.slash(world.general, "report")  # on 2 March: February
    assert r.response.embeds[0].title == "Impact report · February 2026"


async def test_office_hours_and_announcements_reach_appear_when_they_have_data(world) -> None:
    from tests.cogs.test_metrics import office_hours_history

    await office_hours_history(world)  # 1 Jan: 3 questions, 2 answered (2 h and 5 h)
    await advance_to(world.env, datetime(2026, 1, 3, 9, tzinfo=UTC))
    await world.alice.slash(world.general, "officehours end")
    await advance_to(world.env, datetime(2026, 2, 2, 9, tzinfo=UTC))
    r = await world.alice.slash(world.general, "report", month="2026-01")
    rows = await read_csv(r)
    assert rows["office_hours_sessions"][5] == "1"
    assert rows["office_hours_attendees"][5] == "3"  # bob, admin and carol asked
    assert rows["oh_questions"][5] == "3"
    assert rows["oh_answer_median_hours"][5] == "3.50"  # 2 h and 5 h
    # bob and admin joined on 1 Jan and got their first answers after 2 h and 5 h.
    assert rows["new_members_answered"][5] == "2"
    assert rows["join_to_answer_hours"][5] == "3.50"
    assert not any(k.startswith("calls_") for k in rows)


async def test_members_refused_and_bad_input(world) -> None:
    await two_months(world)
    r = await world.bob.slash(world.general, "report", month="2026-02")
    assert r.ephemeral and "Only advocates can do that" in r.response.content
    assert not r.response.attachments
    for month, said in [
        ("2026-13", "must look like 2026-01"),
        ("feb", "must look like 2026-01"),
        ("2026-04", "April 2026 hasn't started yet"),
        ("2025-12", "starts in January 2026 (2026-01)"),
    ]:
        r = await world.alice.slash(world.general, "report", month=month)
        assert r.ephemeral, month
        assert said in r.response.content, (month, r.response.content)
        assert not r.response.attachments


async def test_each_guild_sees_only_its_own_figures(world) -> None:
    zed, room = await quiet_guild(world)
    await two_months(world)  # the other guild's members joined on 1 Jan, too
    for _ in range(3):
        await zed.send(room, "only here")
    r = await zed.slash(room, "report", month="2026-03")
    rows = await read_csv(r)
    assert rows["messages"][5:7] == ["3", "0"]
    assert rows["new_members"][5:7] == ["0", "0"]  # zed joined in January
    assert rows["active_members"][5:7] == ["1", "0"]  # zed, in March only
    r = await world.alice.slash(world.general, "report", month="2026-02")
    rows = await read_csv(r)
    assert rows["messages"][5:7] == ["2", "2"]
    assert rows["active_members"][5:7] == ["2", "3"]
    assert rows["new_members"][5:7] == ["1", "4"]


async def test_a_closed_poll_counts_in_the_surveys_reach(world) -> None:
    quinn, room = await quiet_guild(world)
    await make_advocates(world)
    r = await world.alice.slash(
        world.general, "survey poll", question="Which SDK next?", options="Python, Go",
        duration="2h",
    )  # fmt: skip
    assert r.ephemeral, r.response.content
    poll = world.general.last_message
    await world.bob.vote(poll, answer=1)
    await world.carol.vote(poll, answer=2)
    await world.admin.vote(poll, answer=1)
    await advance_to(world.env, datetime(2026, 1, 1, 3, tzinfo=UTC))  # the poll has ended
    await advance_to(world.env, datetime(2026, 2, 2, 9, tzinfo=UTC))
    r = await world.alice.slash(world.general, "report", month="2026-01")
    rows = await read_csv(r)
    assert rows["surveys_closed"][5] == "1"
    assert rows["surveys_responses"][5] == "3"  # bob, carol and the admin voted
    assert not any(k.startswith(("calls_", "hallway_")) for k in rows)
    rows = await read_csv(await quinn.slash(room, "report", month="2026-01"))
    assert not any(k.startswith("surveys_") for k in rows)  # the poll was the other guild's


async def test_the_hallway_tracks_reach_appears_in_its_month_only(world, bots) -> None:
    from tests.cogs.test_hallway import everyone_joins, more_members, setup_hallway

    env = world.env
    quinn, room = await quiet_guild(world)
    # Sun 1 Feb: rounds on the first Monday of each month at 09:00 UTC, so February has
    # exactly one round (Mon 2 Feb) and January none.
    await advance_to(env, datetime(2026, 2, 1, 12, tzinfo=UTC))
    hall = await setup_hallway(world, cadence="monthly")
    [dave] = await more_members(world, "dave")
    await everyone_joins(world, [world.bob, world.carol, world.admin, dave])
    await advance_to(env, datetime(2026, 2, 2, 9, 1, tzinfo=UTC))
    await bots.current.alarm.drain()
    assert len(hall.threads) == 2  # four members, groups of two
    # Fri 6 Feb, four days on: each thread is asked "did you meet?".
    await advance_to(env, datetime(2026, 2, 6, 10, tzinfo=UTC))
    await bots.current.alarm.drain()
    [bobs] = [t for t in hall.threads if world.bob.id in t._channel.thread_members]
    [others] = [t for t in hall.threads if t.id != bobs.id]
    followup = [m for m in bobs.history() if m.components][-1]
    r = await world.bob.click(followup, label="Yes")
    assert r.ephemeral and "Great" in r.response.content, r.response.content
    # The other pair answers "no": asked and answered, but not met.
    [other] = [m for m in others.history() if m.components]
    answerer = next(
        m for m in (world.carol, world.admin, dave) if m.id in others._channel.thread_members
    )
    r = await answerer.click(other, label="No")
    assert r.ephemeral, r.response.content
    await advance_to(env, datetime(2026, 3, 1, 9, tzinfo=UTC))  # before March's round
    rows = await read_csv(await world.alice.slash(world.general, "report", month="2026-02"))
    # Two pairs made on 2 Feb, one of which said it met; none in January.
    assert rows["hallway_pairs"][1] == "hallway track"
    assert rows["hallway_pairs"][5:] == ["2", "0", "2", ""]
    assert rows["hallway_met"][5:8] == ["1", "0", "1"]
    assert not any(k.startswith("calls_") for k in rows)
    # January had no round, and December no data: the hallway rows are left out.
    rows = await read_csv(await world.alice.slash(world.general, "report", month="2026-01"))
    assert not any(k.startswith("hallway_") for k in rows)
    rows = await read_csv(await quinn.slash(room, "report", month="2026-02"))
    assert not any(k.startswith("hallway_") for k in rows)  # the pairs were the other guild's


async def test_regional_calls_reach_appears_in_its_month_only(world, bots) -> None:
    from tests.cogs.test_calls import add_slot, create_series

    env = world.env
    quinn, room = await quiet_guild(world)
    # Sun 1 Feb: a weekly call on Wednesdays at 15:00 Berlin (14:00 UTC, CET), so
    # February holds four: the 4th, 11th, 18th and 25th.
    await advance_to(env, datetime(2026, 2, 1, 12, tzinfo=UTC))
    voice = await create_series(world)
    r = await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    assert r.ephemeral, r.response.content
    # Wed 4 Feb 14:00 UTC: bob and carol join the first call, carol leaves, bob stays.
    await advance_to(env, datetime(2026, 2, 4, 14, tzinfo=UTC))
    await world.bob.join_voice(voice)
    await world.carol.join_voice(voice)
    await env.advance_time(6 * 60)
    await world.carol.leave_voice()
    await env.advance_time(30 * 60)
    await world.bob.leave_voice()
    # Wed 18 Feb: bob alone for the third call; nobody on the 11th or the 25th.
    await advance_to(env, datetime(2026, 2, 18, 14, 5, tzinfo=UTC))
    await world.bob.join_voice(voice)
    await env.advance_time(30 * 60)
    await world.bob.leave_voice()
    await advance_to(env, datetime(2026, 3, 1, 9, tzinfo=UTC))
    rows = await read_csv(await world.alice.slash(world.general, "report", month="2026-02"))
    assert rows["calls_held"][1] == "regional calls"
    assert rows["calls_held"][5:7] == ["4", "0"]
    # Attendance adds each call's peak in the voice channel: 2 (4th) + 0 + 1 (18th) + 0.
    assert rows["calls_attendance"][5:7] == ["3", "0"]
    assert not any(k.startswith("hallway_") for k in rows)
    rows = await read_csv(await world.alice.slash(world.general, "report", month="2026-01"))
    assert not any(k.startswith("calls_") for k in rows)
    rows = await read_csv(await quinn.slash(room, "report", month="2026-02"))
    assert not any(k.startswith("calls_") for k in rows)  # the calls were the other guild's
