"""Guild isolation of the figures of features that keep their own state: the advocates'
load view, the on-call handoff's open counts, the hallway track's stats and survey results.

Each test builds its own second guild (alice is an advocate in both), with different, known
activity in each, so a read that forgot its `guild_id = ?` shows the other guild's numbers
and the test fails. Each expected figure is written out by hand in the test's docstring.
Split from test_isolation_figures.py, which covers the figures built on the shared fixture.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import discord

from tests.conftest import World, make_advocates
from tests.reliability.test_isolation_figures import _feedback


async def _second_guild(world: World, name: str) -> tuple[Any, Any, Any, Any]:
    """Guild B with its own Advocates role held by alice (a member of both guilds) and a
    boss with Manage Server who sets that role: (guild, general, advocates role, alice in B)."""
    env = world.env
    other = env.create_guild(name)
    general_b = other.create_text_channel("general-b")
    advocates_b = other.create_role("Advocates B")
    bosses = other.create_role("Bosses", permissions=discord.Permissions(manage_guild=True))
    boss = other.add_member(env.create_user("boss"), roles=[bosses])
    alice_in_b = other.add_member(world.alice.user, roles=[advocates_b])
    await env.settle()
    r = await boss.slash(general_b, "setup advocate-role", role=advocates_b)
    assert r.ephemeral, r
    return other, general_b, advocates_b, alice_in_b


async def test_advocate_load_counts_only_the_guilds_own_work(world: World, bots: Any) -> None:
    """alice is the only advocate of both guilds and works in both, so every read behind
    `/advocate load` that forgot its guild shows up in her figures in the other guild.

    Read on Thursday 15 January 00:01 over 1 week (from Thursday 8 January 00:01):
      A: 1 session Tue 13 10:00 with 1 question answered then, 1 call Mon 12 14:00,
         1 status change Wed 14 16:00, 1 shift, 1 held notice, a message on Sun 11.
         Hours Mon-Fri 09-17: nothing outside them. Days with work: 11-14, a run of 4.
      B: 2 sessions, Thu 8 19:00 and Fri 9 13:00, each with 1 question answered then,
         2 calls Fri 9 14:00 and 16:00, 2 status changes Thu 8 and Fri 9 15:00, 2 shifts,
         2 held notices, a message on Sat 10. Hours Mon-Fri 12-20: nothing outside them.
         Days with work: 8-10, a run of 3.
    Each guild's work is outside the other's hours twice (A's 10:00 session and answer, B's
    19:00 ones), so the other guild's hours change `outside`; each kind differs by count;
    B's Saturday message would lengthen A's run to 5, A's Sunday one B's to 4.
    The work is written through the repositories (as the one-guild load test does): the
    read under test is the load view's, through the real command.
    """
    from datetime import timedelta

    from storage.boundaries import BoundariesRepository
    from storage.feedback.items import FeedbackRepository
    from storage.office_hours.sessions import OfficeHoursRepository
    from storage.oncall import OnCallRepository
    from storage.timeutil import to_db
    from tests.storage.test_privacy_repo import item, session

    env = world.env
    await make_advocates(world)
    other, general_b, _, alice_in_b = await _second_guild(world, "Other Community")
    for who, channel, start, end in (
        (world.alice, world.general, "09:00", "17:00"),
        (alice_in_b, general_b, "12:00", "20:00"),
    ):
        r = await who.slash(
            channel, "advocate hours", days="mon-fri", start=start, end=end, timezone="UTC"
        )
        assert "Your working hours are now" in r.response.content, r.response.content
    await env.advance_time((datetime(2026, 1, 15, tzinfo=UTC) - env.now()).total_seconds())
    db = bots.current.db
    now = env.now()
    oh, fb = OfficeHoursRepository(db), FeedbackRepository(db)
    oncall, inbox = OnCallRepository(db), BoundariesRepository(db)
    alice = world.alice.id

    def jan(day: int, hour: int) -> datetime:
        return datetime(2026, 1, day, hour, tzinfo=UTC)

    work = {
        world.guild.id: {
            "sessions": [jan(13, 10)],
            "calls": [jan(12, 14)],
            "status": [jan(14, 16)],
            "shifts": [jan(14, 9)],
            "held": 1,
            "message_day": "2026-01-11",
        },
        other.id: {
            "sessions": [jan(8, 19), jan(9, 13)],
            "calls": [jan(9, 14), jan(9, 16)],
            "status": [jan(8, 15), jan(9, 15)],
            "shifts": [jan(8, 9), jan(9, 9)],
            "held": 2,
            "message_day": "2026-01-10",
        },
    }
    for g, w in work.items():
        for at in w["sessions"]:
            s = await oh.insert_session(session(g, alice), now)
            await oh.mark_live(g, s.id, at)
            await db.execute(
                "UPDATE oh_sessions SET started_at = ?, status = 'ended' WHERE id = ?",
                (to_db(at), s.id),
            )
            q = await oh.questions.add_question(g, s.id, world.bob.id, "q", at)
            await oh.questions.finish(g, q.id, "answered", at, host_id=alice)
        series_id = await db.execute(
            "INSERT INTO call_series (guild_id, title, cadence, mode, duration_minutes, "
            "anchor, created_at) VALUES (?, 'Community call', 'weekly', 'rotating', 60, "
            "'2026-01-05', ?)",
            (g, to_db(now)),
        )
        for cycle, at in enumerate(w["calls"]):
            await db.execute(
                "INSERT INTO call_occurrences (guild_id, series_id, slot_id, slot_name, cycle, "
                "starts_at, host_id, created_at) VALUES (?, ?, 1, 'EMEA', ?, ?, ?, ?)",
                (g, series_id, cycle, to_db(at), alice, to_db(now)),
            )
        item_id = await fb.create_item(item(g, world.bob.id, world.bob.id, "SDK bug"), [], {})
        for status, at in zip(("triaged", "planned"), w["status"], strict=False):
            await fb.set_status(g, item_id, status, alice, "", at)
        for at in w["shifts"]:
            await oncall.claim_shift(g, at, at + timedelta(days=1), alice, at)
        for n in range(w["held"]):
            await inbox.hold(g, alice, "notice", f"held {n}", now - timedelta(days=1))
        await db.execute(
            "INSERT INTO activity_member_day (guild_id, day, user_id, messages) "
            "VALUES (?, ?, ?, 1)",
            (g, w["message_day"], alice),
        )
    await env.advance_time(60)
    header = "⚖️ **Load over the last 1 week** (shown to advocates only)"
    r = await world.alice.slash(world.general, "advocate load", weeks=1)
    assert r.response.content.splitlines() == [
        header,
        f"<@{alice}>: 1 session hosted · 1 call hosted · 1 feedback status change · "
        "1 question answered · 1 on-call shift · 1 notice held · 0 outside their hours · "
        "longest run 4 days",
    ]
    r = await alice_in_b.slash(general_b, "advocate load", weeks=1)
    assert r.response.content.splitlines() == [
        header,
        f"<@{alice}>: 2 sessions hosted · 2 calls hosted · 2 feedback status changes · "
        "2 questions answered · 2 on-call shifts · 2 notices held · 0 outside their hours · "
        "longest run 3 days",
    ]


async def _rotation_of_one(advocate: Any, general: Any, guild: Any, env: Any) -> Any:
    """A daily rotation handing off at 09:00 UTC with the advocate alone in it: its channel."""
    role = guild.create_role("On call")
    channel = guild.create_text_channel("advocates-oncall")
    await env.settle()
    r = await advocate.slash(
        general,
        "oncall configure",
        role=role,
        shift="daily",
        handoff="09:00",
        timezone="UTC",
        channel=channel,
    )
    assert "On-call rotation set" in r.response.content, r.response.content
    r = await advocate.slash(general, "oncall join")
    assert "You're in the on-call rotation" in r.response.content, r.response.content
    return channel


async def test_oncall_handoff_counts_only_the_guilds_own_open_work(world: World) -> None:
    """The handoff note's "Open" lines in each guild, on Saturday 3 January at 09:00.

    On Thursday 1 January, just after midnight:
      A: 2 questions queued for a session on Monday 5 January (still scheduled), 3 feedback
         items (still `new`), 1 help post nobody answers.
      B: 1 question queued the same way, 1 feedback item, 2 help posts nobody answers.
    By Saturday 09:00 each is over a day (questions, help posts) or over 2 days (items)
    old, so A's note lists 2 / 3 / 1 and B's 1 / 1 / 2; a read across guilds shows
    3 / 4 / 3 in both.
    """
    env = world.env
    await make_advocates(world)
    other, general_b, _, alice_in_b = await _second_guild(world, "Other Community")
    dave = other.add_member(env.create_user("dave"))
    sides = []
    for guild, general, advocate in (
        (world.guild, world.general, world.alice),
        (other, general_b, alice_in_b),
    ):
        office = guild.create_text_channel("office-hours")
        help_channel = guild.create_text_channel("help")
        await env.settle()
        for kind, channel in (("office-hours", office), ("help", help_channel)):
            r = await advocate.slash(general, "setup channel", kind=kind, channel=channel)
            assert "✅" in r.response.content, r.response.content
        r = await advocate.slash(
            general, "officehours schedule", title="Monday", start="2026-01-05 17:00"
        )
        assert "Scheduled" in r.response.content, r.response.content
        sides.append((general, help_channel, await _rotation_of_one(advocate, general, guild, env)))
    (general_a, help_a, notes_a), (_, help_b, notes_b) = sides
    for member, general in ((world.bob, general_a), (world.carol, general_a), (dave, general_b)):
        r = await member.slash(general, "officehours ask", question="When is the SDK out?")
        assert "queued" in r.response.content, r.response.content
    await _feedback(world.bob, general_a, ["Webhooks drop events", "Docs 404", "Login loops"])
    await _feedback(dave, general_b, ["Invoices show wrong currency"])
    await world.carol.send(help_a, "How do I rotate a token?")
    await dave.send(help_b, "Where are the webhook logs?")
    await dave.send(help_b, "Is there a sandbox?")
    await env.advance_time((datetime(2026, 1, 3, 9, 1, tzinfo=UTC) - env.now()).total_seconds())
    await env.settle()

    def open_lines(channel: Any) -> list[str]:
        posts = [m.content for m in channel.history() if "On-call handoff" in m.content]
        assert posts, "no handoff note"
        lines = posts[-1].splitlines()  # the latest: Saturday's
        return lines[lines.index("**Open:**") + 1 :]

    assert open_lines(notes_a) == [
        "• 2 office-hours questions waiting over a day",
        "• 3 feedback items still `new` after 2 days",
        "• 1 help post without a reply for over a day",
    ]
    assert open_lines(notes_b) == [
        "• 1 office-hours question waiting over a day",
        "• 1 feedback item still `new` after 2 days",
        "• 2 help posts without a reply for over a day",
    ]


async def test_hallway_stats_show_each_guilds_own_figures(world: World, bots: Any) -> None:
    """`/hallway stats` in both guilds, weekly rounds of pairs run by hand on Thursday 1 Jan.

    A: bob, carol, admin and frank join; one round makes 2 pairs; 4 days later bob answers
       "no" on his pair's follow-up: pool 4, 1 round, 2 groups, met 0 of 1 (0%), no
       repeats (0 of 2 groups, 0%).
    B: dave and erin join; two rounds pair them twice (the second a repeat); dave answers
       "yes" on the first: pool 2, 2 rounds, 2 groups, met 1 of 1 (100%), 1 repeat (50%).
    Read across guilds: pool 6, 3 rounds, 4 groups, met 1 of 2 (50%), and in A one repeat
    (B's second pair), 1 of 4.
    """
    from tests.cogs.test_hallway import bot_messages, join, set_zone

    env = world.env
    await make_advocates(world)
    other, general_b, _, alice_in_b = await _second_guild(world, "Other Community")
    frank = world.guild.add_member(env.create_user("frank"))
    dave = other.add_member(env.create_user("dave"))
    erin = other.add_member(env.create_user("erin"))
    halls = {}
    for guild, general, advocate, members, rounds in (
        (world.guild, world.general, world.alice, [world.bob, world.carol, world.admin, frank], 1),
        (other, general_b, alice_in_b, [dave, erin], 2),
    ):
        hall = guild.create_text_channel("hallway")
        await env.settle()
        r = await advocate.slash(
            general,
            "hallway configure",
            channel=hall,
            cadence="weekly",
            day="monday",
            time="09:00",
            timezone="UTC",
            **{"group-size": 2},
        )
        assert "Hallway rounds are set" in r.response.content, r.response.content
        for member in members:
            await set_zone(member, general)
            r = await join(member, general, "rust", f"I'm {member.user.name}", "9-17 mon-fri")
            assert "joined the hallway track" in r.response.content, r.response.content
        for _ in range(rounds):
            r = await advocate.slash(general, "hallway run")
            assert "started" in r.response.content, r.response.content
            await env.advance_time(60)
            await bots.current.alarm.drain()
        halls[guild.id] = hall
    assert len(halls[world.guild.id].threads) == 2 and len(halls[other.id].threads) == 2
    await env.advance_time(4 * 24 * 3600 + 600)
    await bots.current.alarm.drain()

    async def answer(hall: Any, member: Any, value: str) -> None:
        thread = next(t for t in hall.threads if member.id in t._channel.thread_members)
        followup = bot_messages(thread)[-1]
        assert "Did you meet?" in followup.content, followup.content
        ids = [c.custom_id for row in followup.components for c in row.children]
        [custom_id] = [i for i in ids if i.endswith(f":{value}")]
        r = await member.click(followup, custom_id=custom_id)
        assert r.ephemeral, r

    await answer(halls[world.guild.id], world.bob, "no")
    await answer(halls[other.id], dave, "yes")  # the first thread with dave: round 1's
    for advocate, general, lines in (
        (
            world.alice,
            world.general,
            [
                "Members in the pool: **4**",
                "Rounds: **1** · groups: **2**",
                "Met rate: **0%** (0 of 1 groups that answered)",
                "Repeat rate: **0%** (0 groups had met before)",
            ],
        ),
        (
            alice_in_b,
            general_b,
            [
                "Members in the pool: **2**",
                "Rounds: **2** · groups: **2**",
                "Met rate: **100%** (1 of 1 groups that answered)",
                "Repeat rate: **50%** (1 groups had met before)",
            ],
        ),
    ):
        r = await advocate.slash(general, "hallway stats")
        assert r.response.content.splitlines() == ["**Hallway track**", *lines]


async def _nps_survey(advocate: Any, general: Any, title: str, scores: dict[Any, int]) -> int:
    """A one-question NPS survey, opened and answered by each member with their score."""
    r = await advocate.slash(general, "survey create", title=title, anonymous=False)
    assert "Draft survey" in r.response.content, r.response.content
    survey = int(r.response.content.split("**#")[1].split("**")[0])
    r = await advocate.slash(
        general, "survey question", survey=survey, kind="nps", prompt="Would you recommend us?"
    )
    assert "added" in r.response.content, r.response.content
    r = await advocate.slash(general, "survey open", survey=survey)
    assert "is open" in r.response.content, r.response.content
    card = general.last_message
    for member, score in scores.items():
        taken = await member.click(card, custom_id=f"hallway:survey:take:{survey}")
        r = await member.select(
            taken.response.message, [str(score)], custom_id=f"hallway:survey:ans:{survey}:1"
        )
        sheet = r.response.message or taken.response.message
        done = await member.click(sheet, custom_id=f"hallway:survey:submit:{survey}:1")
        assert "Thanks" in done.followups[-1].content, done
    return survey


async def test_survey_results_export_and_autocomplete_are_each_guilds_own(world: World) -> None:
    """Survey ids are global, so guild A's advocate can name guild B's survey: it must be
    "no survey" there, and each guild's results, export and autocomplete hold only its own.

    A: survey #1, bob scores 10 and carol 9: 2 responses, 2 promoters, NPS 100.
    B: survey #2, dave scores 0: 1 response, 1 detractor, NPS -100.
    """
    env = world.env
    await make_advocates(world)
    other, general_b, _, alice_in_b = await _second_guild(world, "Other Community")
    dave = other.add_member(env.create_user("dave"))
    await env.settle()
    a = await _nps_survey(world.alice, world.general, "A pulse", {world.bob: 10, world.carol: 9})
    b = await _nps_survey(alice_in_b, general_b, "B pulse", {dave: 0})
    assert (a, b) == (1, 2)
    for advocate, general, own, foreign, figures, scores in (
        (world.alice, world.general, a, b, ("2", "2 · passives 0 · detractors 0"), ["10", "9"]),
        (alice_in_b, general_b, b, a, ("1", "0 · passives 0 · detractors 1"), ["0"]),
    ):
        r = await advocate.slash(general, "survey results", survey=own)
        text = r.response.embeds[0].description
        assert f"Responses: **{figures[0]}**" in text, text
        assert f"promoters {figures[1]}" in text, text
        r = await advocate.slash(general, "survey export", survey=own, format="csv")
        [sheet] = r.response.attachments
        rows = list(csv.DictReader(io.StringIO((await sheet.read()).decode())))
        assert [row["q1"] for row in rows] == scores
        for command, options in (("survey results", {}), ("survey export", {"format": "csv"})):
            r = await advocate.slash(general, command, survey=foreign, **options)
            assert f"no survey #{foreign}" in r.response.content, r.response.content
        offered = await advocate.autocomplete(general, "survey results", "survey", "")
        assert [o["value"] for o in offered] == [own]
        offered = await advocate.autocomplete(general, "survey results", "survey", str(foreign))
        assert offered == []
