"""DevRel metrics end to end: /stats funnel, responsiveness, retention, loop, and the digest.

Every expected number is worked out by hand from the small history each test builds.
SimCord's clock starts on Thursday 1 January 2026 00:00 UTC, whose UTC week starts on
Monday 29 December 2025. The world's four members (alice, bob, carol, admin) join then.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from PIL import Image
from simcord import OptionError

from services.errors import InvalidInput
from tests.cogs.test_office_hours import card_in, setup_office
from tests.conftest import make_advocates, submit_feedback

HOUR = 3600
DAY = 24 * HOUR


async def advance_to(env, when: datetime) -> None:
    from discord.utils import utcnow

    await env.advance_time((when - utcnow()).total_seconds())


async def answer_next(world, office) -> None:
    """The host takes the next question now and marks it answered."""
    await world.alice.slash(world.general, "officehours next")
    thread = max(office.threads, key=lambda t: t.id)
    r = await world.alice.click(card_in(thread), label="Answered")
    assert "Answered by" in r.followups[0].content


async def office_hours_history(world) -> None:
    """Thu 1 Jan 00:00: bob, admin and carol ask, in that order; the session starts.
    02:00 bob's is taken up and answered (2 h); 05:00 admin's (5 h); carol's waits."""
    env = world.env
    office = await setup_office(world)
    await world.bob.send(world.general, "hello, I'm new")
    await world.carol.send(world.general, "hi all")
    r = await world.alice.slash(
        world.general,
        "officehours schedule",
        title="Office hours",
        start="2026-01-02 17:00",
        duration=480,
    )
    assert r.ephemeral
    for member in (world.bob, world.admin, world.carol):
        await member.slash(world.general, "officehours ask", question=f"From {member.name}")
    r = await world.alice.slash(world.general, "officehours start")
    assert "is live" in r.response.content
    await env.advance_time(2 * HOUR)
    await answer_next(world, office)
    await env.advance_time(3 * HOUR)
    await answer_next(world, office)


async def test_funnel_per_join_week_with_conversion_and_time_to_answer(world, restart) -> None:
    env = world.env
    await office_hours_history(world)
    # Week of 5 Jan: dave joins on Tuesday and writes; erin joins on Wednesday, silent.
    await advance_to(env, datetime(2026, 1, 6, 10, tzinfo=UTC))
    dave = world.guild.add_member(env.create_user("dave"))
    await env.settle()
    await dave.send(world.general, "hello")
    await advance_to(env, datetime(2026, 1, 7, 10, tzinfo=UTC))
    world.guild.add_member(env.create_user("erin"))
    await env.settle()
    # Thu 8 Jan is day 7 after bob's join day: his second week.
    await advance_to(env, datetime(2026, 1, 8, 10, tzinfo=UTC))
    await world.bob.send(world.general, "back again")
    await env.advance_time(10)
    await restart()  # everything above is in the database, not only in memory

    await advance_to(env, datetime(2026, 1, 19, 12, tzinfo=UTC))
    r = await world.alice.slash(world.general, "stats funnel", weeks=4)
    assert r.ephemeral
    [embed] = r.response.embeds
    assert embed.title == "Activation funnel · last 4 join weeks"
    text = embed.description
    # 29 Dec: alice, bob, carol, admin joined; bob and carol wrote and asked (admin asked
    # without ever writing, so the funnel loses him at step 2); bob was answered and back.
    assert "29 Dec 25       4    2    2    1     1" in text
    # 5 Jan: dave and erin joined, dave wrote; their second week isn't over (*).
    assert "05 Jan 26       2    1    0    0    0*" in text
    assert "12 Jan 26       0    0    0    0    0*" in text
    assert "1. Joined: **6**" in text
    assert "2. First message: **3** · 50% of the step before" in text
    assert "3. First question or feedback: **2** · 67% of the step before" in text
    assert "4. First answer received: **1** · 50% of the step before" in text
    assert "5. Active in week 2: **1** · 100% of the step before" in text
    # bob: 2 h, admin: 5 h (answered, though out of the funnel at step 2): median 3.5 h.
    assert "Median time from joining to a first answer: **3.5 h** (2 members)" in text


async def test_responsiveness_median_p90_and_unanswered_after_24h(world) -> None:
    env = world.env
    await office_hours_history(world)
    await advance_to(env, datetime(2026, 1, 1, 12, tzinfo=UTC))
    r = await world.alice.slash(world.general, "stats responsiveness", days=7)
    assert r.ephemeral
    text = r.response.embeds[0].description
    assert "Office-hours questions asked: **3**, answered: **2**" in text
    # Waits 2 h and 5 h: median 3.5 h; nearest-rank 90th percentile of two is the second.
    assert "median **3.5 h**, 90th percentile **5.0 h**" in text
    assert "Unanswered after 24 hours: — (no question is 24 hours old yet)" in text
    assert "No help-channel posts in this window" in text

    await advance_to(env, datetime(2026, 1, 2, 12, tzinfo=UTC))
    r = await world.alice.slash(world.general, "stats responsiveness")  # default 28 days
    text = r.response.embeds[0].description
    assert "Unanswered after 24 hours: **1** of 3 (33%)" in text  # carol's

    # Nine days on, a 7-day window no longer holds them.
    await advance_to(env, datetime(2026, 1, 10, 12, tzinfo=UTC))
    r = await world.alice.slash(world.general, "stats responsiveness", days=7)
    text = r.response.embeds[0].description
    assert "Office-hours questions asked: **0**, answered: **0**" in text
    assert "median **—**, 90th percentile **—**" in text


async def retention_history(world) -> None:
    """Cohort 29 Dec: the world's 4. Week 1 after it (5-11 Jan): bob and carol write;
    week 2 (12-18 Jan): bob. Cohort 5 Jan: dave, joins on the 6th, writes on the 13th
    (his week 1). Cohort 12 Jan: nobody."""
    env = world.env
    await make_advocates(world)
    await advance_to(env, datetime(2026, 1, 6, 9, tzinfo=UTC))
    dave = world.guild.add_member(env.create_user("dave"))
    await env.settle()
    await advance_to(env, datetime(2026, 1, 8, 9, tzinfo=UTC))
    await world.bob.send(world.general, "week one")
    await world.carol.send(world.general, "week one too")
    await advance_to(env, datetime(2026, 1, 13, 9, tzinfo=UTC))
    await world.bob.send(world.general, "week two")
    await dave.send(world.general, "my week one")
    await advance_to(env, datetime(2026, 1, 19, 9, tzinfo=UTC))


async def test_retention_csv_by_join_week(world) -> None:
    await retention_history(world)
    r = await world.alice.slash(world.general, "stats retention", weeks=3, format="csv")
    assert r.ephemeral
    [attachment] = r.response.attachments
    assert attachment.filename == "retention.csv"
    rows = list(csv.reader(io.StringIO((await attachment.read()).decode())))
    header = ["join_week", "joined"]
    for k in range(1, 9):
        header += [f"week_{k}_active", f"week_{k}_share"]
    assert rows[0] == header
    blank = ["", ""]
    assert rows[1] == ["2025-12-29", "4", "2", "0.500", "1", "0.250", *blank * 6]
    assert rows[2] == ["2026-01-05", "1", "1", "1.000", *blank * 7]
    assert rows[3] == ["2026-01-12", "0", *blank * 8]
    assert len(rows) == 4
    text = r.response.embeds[0].description
    assert "29 Dec 25     4  50%  25%" in text
    assert "05 Jan 26     1 100%" in text


async def test_retention_png_heat_map(world) -> None:
    await retention_history(world)
    r = await world.alice.slash(world.general, "stats retention", weeks=2)  # png by default
    [attachment] = r.response.attachments
    assert attachment.filename == "retention.png"
    data = await attachment.read()
    assert data.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(data))
    assert image.size[0] == 800
    assert r.response.embeds[0].image.url == "attachment://retention.png"
    # weeks=2 ends last week: 5 Jan and 12 Jan.
    text = r.response.embeds[0].description
    assert "29 Dec" not in text and "05 Jan 26     1 100%" in text


async def test_loop_closure_median_capture_to_shipped_by_tag(world) -> None:
    env = world.env
    await make_advocates(world)
    for summary in ("SDK crashes on start", "Docs page is wrong", "Login is slow"):
        r = await submit_feedback(world.bob, world.general, summary)
        assert r.ephemeral
    # The tagger tags them: #1 errors and api-sdk, #2 docs, #3 performance and auth.
    await world.carol.slash(world.general, "feedback vote", item=1)
    await env.advance_time(2 * DAY)
    await world.alice.slash(world.general, "feedback status", item=1, status="shipped")
    await env.advance_time(2 * DAY)
    r = await world.alice.slash(world.general, "feedback status", item=2, status="shipped")
    assert "is now **shipped**" in r.response.content, r.response.content
    # item 3 never ships.
    r = await world.alice.slash(world.general, "stats loop", days=30)
    assert r.ephemeral
    text = r.response.embeds[0].description
    # item 1: bob reported, carol voted; item 2: bob reported.
    assert "Items shipped: **2**, reaching **3 reporters and voters**" in text
    assert "Median time from capture to shipped: **3.0 days**" in text  # 2 and 4 days
    assert "• api-sdk: 1 shipped, median 2.0 days" in text
    assert "• docs: 1 shipped, median 4.0 days" in text
    assert "• errors: 1 shipped, median 2.0 days" in text
    assert "performance" not in text


async def test_digest_preview_shows_newcomers_answered_and_responsiveness(world) -> None:
    env = world.env
    await office_hours_history(world)
    await advance_to(env, datetime(2026, 1, 2, 12, tzinfo=UTC))
    r = await world.alice.slash(world.general, "digest preview")
    text = "\n".join(e.description or "" for e in r.response.embeds)
    assert "📈 Activation and responsiveness" in [e.title for e in r.response.embeds] or (
        "Activation and responsiveness" in text
    )
    assert (
        "🌱 Newcomers who got a first answer: **2** (joined in the last 4 weeks; "
        "4 joined in this one)" in text
    )
    assert "⏱️ Time to a first answer (3 questions asked): median **3 h 30 min**, " in text
    assert "90th percentile **5 h**" in text
    assert "⌛ Unanswered after 24 hours: **1** of 3" in text


async def test_digest_shows_the_cohort_from_four_weeks_ago(world) -> None:
    await retention_history(world)
    # Preview on Mon 26 Jan: the cohort 4 weeks back is 29 Dec; weeks 1-3 are over.
    await advance_to(world.env, datetime(2026, 1, 26, 9, tzinfo=UTC))
    r = await world.alice.slash(world.general, "digest preview")
    text = "\n".join(e.description or "" for e in r.response.embeds)
    assert "🔁 Joined the week of 29 Dec (4): W1 50%, W2 25%, W3 0%" in text


async def test_members_are_refused_and_bad_input_is_explained(world, bots) -> None:
    await make_advocates(world)
    for name, options in [
        ("stats funnel", {}),
        ("stats responsiveness", {"days": 3}),
        ("stats retention", {"format": "csv"}),
        ("stats loop", {}),
    ]:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral, name
        assert "Only advocates can do that" in r.response.content, name
        assert not r.response.attachments
    # Discord itself refuses weeks and days out of range...
    for name, options in [
        ("stats funnel", {"weeks": 0}),
        ("stats funnel", {"weeks": 27}),
        ("stats retention", {"weeks": 40}),
        ("stats responsiveness", {"days": 91}),
        ("stats retention", {"format": "pdf"}),
    ]:
        with pytest.raises(OptionError):
            await world.alice.slash(world.general, name, **options)
    # ...and the service says why to anything that gets past it.
    service = bots.current.services.metrics
    with pytest.raises(InvalidInput, match="between 1 and 26; you gave 27"):
        await service.funnel(world.guild.id, 27)
    with pytest.raises(InvalidInput, match="between 1 and 90; you gave 0"):
        await service.responsiveness(world.guild.id, 0)


async def test_digest_shows_help_channel_responsiveness_and_level_movement(world) -> None:
    """The help-channel history of test_help_channels: posts at 00:00, 01:00, 02:00, 03:00 on
    Jan 1; replies by someone else after 1 h, 2 h and 30 h; the 03:00 post only gets its
    author's own reply. Previewed on Jan 3 06:00 (the last 7 × 24 h):
    - 4 posts; waits 1 h, 2 h, 30 h: median 2 h, nearest-rank p90 of three is 30 h;
    - all four are 24 h old; without a reply after 24 h: the 30 h one and the unanswered
      one, 2 of 4.
    Levels start at 3 / 6 / 100. Messages this week: bob 2 (q1, q3), alice 2 (a1, a2),
    carol 4 (q2, q4, self, a3): carol alone moves up, observer → participant; nobody down."""
    from tests.cogs.test_help_channels import help_setup, known_help_history

    env = world.env
    _, help_ch = await help_setup(world)
    await world.alice.slash(world.general, "stats levels-configure", thresholds="3, 6, 100")
    await known_help_history(world, help_ch)

    r = await world.alice.slash(world.general, "digest preview")
    text = "\n".join(e.description or "" for e in r.response.embeds)
    lines = text.splitlines()
    assert (
        "🙋 Time to a first reply in help channels (4 posts): median **2 h**, "
        "90th percentile **30 h**" in lines
    )
    assert "⌛ Help posts without a reply after 24 hours: **2** of 4" in lines
    assert "🏅 Levels this week: **1** moved up, **0** moved down" in lines

    # 91 days on, carol's messages have left the 90 days: she moves down, and the
    # week's window holds no help post, so its lines are gone.
    await env.advance_time(91 * DAY)
    r = await world.alice.slash(world.general, "digest preview")
    text = "\n".join(e.description or "" for e in r.response.embeds)
    assert "🏅 Levels this week: **0** moved up, **1** moved down" in text.splitlines()
    assert "help channels" not in text


async def test_loop_closure_counts_only_the_dms_that_arrived(world, bots) -> None:
    """Bob reports #1; carol and admin vote. Moving it to planned tells all three, but only
    a move to shipped counts. At the ship, carol's DM fails (403, closed DMs): she is named
    in the channel instead, which is not a DM, so 2 of 3 were told."""
    env = world.env
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Go SDK please")
    await world.carol.slash(world.general, "feedback vote", item=1)
    await world.admin.slash(world.general, "feedback vote", item=1)
    await world.alice.slash(world.general, "feedback status", item=1, status="planned")
    assert await bots.current.db.fetchval("SELECT COUNT(*) FROM feedback_told") == 0
    env.inject_error(
        "POST", f"/channels/{world.carol.user.dm_channel.id}/messages", status=403, code=50007
    )
    r = await world.alice.slash(world.general, "feedback status", item=1, status="shipped")
    assert "told 2 by DM; 1 with closed DMs" in r.response.content, r.response.content
    r = await world.alice.slash(world.general, "stats loop", days=30)
    text = r.response.embeds[0].description
    assert "Items shipped: **1**, reaching **3 reporters and voters**" in text
    assert "📨 Told by DM that it shipped: told **2** of 3 reporters and voters" in text
    # Ids and times only; carol's failed DM left no row.
    rows = await bots.current.db.fetchall("SELECT item_id, user_id FROM feedback_told")
    assert sorted(tuple(r) for r in rows) == sorted([(1, world.bob.id), (1, world.admin.id)])
