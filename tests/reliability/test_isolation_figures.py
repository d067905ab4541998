"""Guild isolation of figures: two guilds with different, known activity each see exactly
their own numbers in every figure Hallway shows.

Guild A and guild B both have feedback, tags, votes, chat, joins, an office-hours session
and announcements, in different amounts, so a query that forgot its `guild_id = ?` shows
the sum of both (or the other guild's rows) and a test below fails with the wrong number.
Each expected figure is written out by hand from the activity arranged here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from tests.conftest import World, make_advocates, schedule_announcement, submit_feedback

# SimCord starts on Thursday 1 January 2026. Everything below happens that Thursday and
# Friday; the figures are read on Monday 5 January, whose digest week is 29 Dec – 4 Jan.
MONDAY = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@dataclass
class Side:
    """One guild and the handles its figures are read with."""

    guild: Any
    general: Any
    office: Any
    news: Any
    advocate: Any
    feedback_ids: list[int]
    session_id: int
    people: dict[str, Any] = field(default_factory=dict)  # members by name, for mentions


async def _ask_and_hold(env: Any, advocate: Any, general: Any, askers: list[Any], title: str):
    r = await advocate.slash(general, "officehours schedule", title=title, start="2026-01-02 17:00")
    assert "Scheduled" in r.response.content, r.response.content
    for n, member in enumerate(askers, 1):
        r = await member.slash(general, "officehours ask", question=f"{title} question {n}")
        assert "queued" in r.response.content, r.response.content
    r = await advocate.slash(general, "officehours start")
    assert "is live" in r.response.content, r.response.content
    await env.advance_time(120)
    # The first asker is taken, then answered when the second is taken; the rest are
    # carried over when the session ends.
    for _ in askers[:2]:
        r = await advocate.slash(general, "officehours next")
        assert r.ephemeral, r.response.content
        await env.advance_time(60)
    r = await advocate.slash(general, "officehours end")
    assert "Ended" in r.response.content, r.response.content


async def _feedback(member: Any, general: Any, summaries: list[str]) -> list[int]:
    ids = []
    for summary in summaries:
        r = await submit_feedback(member, general, summary)
        assert "Saved as feedback" in r.response.content, r.response.content
        found = re.search(r"Saved as feedback \*\*#(\d+)\*\*", r.response.content)
        assert found, r.response.content
        ids.append(int(found.group(1)))
    return ids


async def _tag(advocate: Any, general: Any, item: int, tags: str) -> None:
    r = await advocate.slash(general, "feedback tag", item=item, add=tags)
    assert "tags:" in r.response.content, r.response.content


async def _chat(general: Any, counts: dict[Any, int]) -> None:
    for member, count in counts.items():
        for i in range(count):
            await member.send(general, f"hello {i}")


@dataclass
class TwoGuilds:
    a: Side
    b: Side


@pytest.fixture
async def two(world: World, bots: Any) -> TwoGuilds:
    env = world.env
    # -- guild A: 3 feedback items, 5 messages by 3 members, 3 asked, 2 announcements
    await make_advocates(world)
    office_a = world.guild.create_text_channel("office-hours")
    news_a = world.guild.create_text_channel("announcements")
    await env.settle()
    r = await world.alice.slash(
        world.general, "setup channel", kind="office-hours", channel=office_a
    )
    assert "✅" in r.response.content, r.response.content
    a_ids = await _feedback(
        world.bob,
        world.general,
        ["Webhooks drop events", "Pagination cursor resets", "Rate limit headers missing"],
    )
    # Every tag is set by hand, whatever the tagger guessed, so the counts below don't move
    # when the tagger does.
    await _tag(world.alice, world.general, a_ids[0], "docs, integrations")
    await _tag(world.alice, world.general, a_ids[1], "docs, api-sdk")
    await _tag(world.alice, world.general, a_ids[2], "auth, api-sdk")
    for voter in (world.carol, world.admin):
        r = await voter.slash(world.general, "feedback vote", item=a_ids[0])
        assert "counted" in r.response.content, r.response.content
    await _chat(world.general, {world.bob: 3, world.carol: 1, world.admin: 1})
    for body in ("A first news", "A second news"):
        r = await schedule_announcement(world, news_a, body, when="2026-01-01 12:00")
        assert "Scheduled announcement" in r.response.content, r.response.content

    # -- guild B: 1 feedback item, 2 messages by 1 member, 1 joiner, 1 asked, 1 announcement
    other = env.create_guild("Other Community")
    general_b = other.create_text_channel("general-b")
    office_b = other.create_text_channel("office-b")
    news_b = other.create_text_channel("news-b")
    boss_role = other.create_role("Bosses", permissions=discord.Permissions(manage_guild=True))
    boss = other.add_member(env.create_user("boss"), roles=[boss_role])
    dave = other.add_member(env.create_user("dave"))
    await env.settle()
    r = await boss.slash(general_b, "setup channel", kind="office-hours", channel=office_b)
    assert "✅" in r.response.content, r.response.content
    b_ids = await _feedback(dave, general_b, ["Invoices show wrong currency"])
    await _tag(boss, general_b, b_ids[0], "pricing")
    await _chat(general_b, {dave: 2})
    r = await schedule_announcement(
        world, news_b, "B only news", actor=boss, typed_in=general_b, when="2026-01-01 12:00"
    )
    assert "Scheduled announcement" in r.response.content, r.response.content
    erin = other.add_member(env.create_user("erin"))  # a join that only B counts
    await env.settle()
    assert erin is not None

    await env.advance_time(13 * 3600)  # both guilds' announcements go out at 12:00
    await _ask_and_hold(env, world.alice, world.general, [world.bob, world.carol, world.admin], "A")
    await _ask_and_hold(env, boss, general_b, [dave], "B")
    await env.advance_time((MONDAY - env.now()).total_seconds())

    async def session_of(guild_id: int) -> int:
        value = await bots.current.db.fetchval(
            "SELECT id FROM oh_sessions WHERE guild_id = ? AND status = 'ended'", (guild_id,)
        )
        assert value is not None
        return int(value)

    return TwoGuilds(
        a=Side(
            world.guild,
            world.general,
            office_a,
            news_a,
            world.alice,
            a_ids,
            await session_of(world.guild.id),
        ),
        b=Side(
            other,
            general_b,
            office_b,
            news_b,
            boss,
            b_ids,
            await session_of(other.id),
            {"dave": dave, "erin": erin},
        ),
    )


def _text(r: Any) -> str:
    parts = []
    for message in [r.response, *r.followups]:
        if message is None:
            continue
        parts.append(message.content or "")
        for embed in message.embeds:
            parts.append(json.dumps(embed.to_dict(), ensure_ascii=False))
    return "\n".join(parts)


def _embeds(r: Any) -> dict[str, str]:
    """Each embed of the reply (or its first followup) by title: its description."""
    message = r.response
    return {e.title: e.description for e in message.embeds}


def _health(active: int, new: int, messages: int, versus: str) -> str:
    return (
        f"👥 Active members: **{active}** ▲ new ({versus}: 0)\n"
        f"🆕 New members: **{new}** ▲ new ({versus}: 0)\n"
        f"🔁 Returning members: **0** – ({versus}: 0)\n"
        f"💬 Messages: **{messages}** ▲ new ({versus}: 0)"
    )


def _office_hours(asked: int, answered: int, askers: int, host: Any) -> str:
    return (
        "Sessions held: **1**\n"
        f"Questions: **{asked}** asked · **{answered}** answered · **0** skipped · "
        "**0** carried over\n"
        "Median wait: **2 min**\n"
        f"Unique askers: **{askers}**\n"
        f"Hosts:\n<@{host.id}>"
    )


def _expected_digest(two: TwoGuilds, versus: str) -> tuple[dict[str, str], dict[str, str]]:
    a, b = two.a, two.b
    a1, a2, a3 = a.feedback_ids
    [b1] = b.feedback_ids
    news_a = [m for m in a.news.history() if m.author.bot]
    news_b = [m for m in b.news.history() if m.author.bot]
    assert [m.content for m in news_a] == ["A first news", "A second news"]
    assert [m.content for m in news_b] == ["B only news"]
    for_a = {
        "Community health": _health(active=4, new=4, messages=5, versus=versus),
        "🎙️ Office hours": _office_hours(asked=3, answered=2, askers=3, host=a.advocate),
        "🧭 Pain points": (
            "New feedback items: **3**\n"
            f"**By tag** ({versus} in brackets):\n"
            f"`api-sdk` 2 ▲ new ({versus}: 0)\n"
            f"`docs` 2 ▲ new ({versus}: 0)\n"
            f"`auth` 1 ▲ new ({versus}: 0)\n"
            f"`integrations` 1 ▲ new ({versus}: 0)\n"
            "**Most-voted open items** (votes this period):\n"
            f"#{a1} Webhooks drop events — 3 votes\n"
            f"#{a3} Rate limit headers missing — 1 vote\n"
            f"#{a2} Pagination cursor resets — 1 vote"
        ),
        "📣 Content": (
            "Announcements sent: **2**\n**Best by reactions:**\n"
            f"[A first news]({news_a[0].jump_url}) — 0 reactions\n"
            f"[A second news]({news_a[1].jump_url}) — 0 reactions"
        ),
        # bob taken 2 min after asking, carol 3 min; admin's carried over, never answered.
        "📈 Activation and responsiveness": (
            "🌱 Newcomers who got a first answer: **2** (joined in the last 4 weeks; "
            "4 joined in this one)\n"
            "⏱️ Time to a first answer (3 questions asked): median **2 min**, "
            "90th percentile **3 min**\n"
            "⌛ Unanswered after 24 hours: **1** of 3\n"
            # From observer to participant (carol, admin) or contributor (alice, bob): the
            # scores are worked out in test_levels_show_each_guilds_own_figures.
            "🏅 Levels this week: **4** moved up, **0** moved down"
        ),
    }
    for_b = {
        "Community health": _health(active=2, new=3, messages=2, versus=versus),
        "🎙️ Office hours": _office_hours(asked=1, answered=1, askers=1, host=b.advocate),
        "🧭 Pain points": (
            "New feedback items: **1**\n"
            f"**By tag** ({versus} in brackets):\n"
            f"`pricing` 1 ▲ new ({versus}: 0)\n"
            "**Most-voted open items** (votes this period):\n"
            f"#{b1} Invoices show wrong currency — 1 vote"
        ),
        "📣 Content": (
            "Announcements sent: **1**\n**Best by reactions:**\n"
            f"[B only news]({news_b[0].jump_url}) — 0 reactions"
        ),
        # boss, dave and erin joined B; dave's question was taken 2 min after he asked.
        "📈 Activation and responsiveness": (
            "🌱 Newcomers who got a first answer: **1** (joined in the last 4 weeks; "
            "3 joined in this one)\n"
            "⏱️ Time to a first answer (1 question asked): median **2 min**, "
            "90th percentile **2 min**\n"
            "⌛ Unanswered after 24 hours: **0** of 1\n"
            # dave to participant, boss to contributor (see the levels test).
            "🏅 Levels this week: **2** moved up, **0** moved down"
        ),
    }
    return for_a, for_b


async def test_trends_show_each_guilds_own_counts(two: TwoGuilds) -> None:
    a, b = two.a, two.b
    a1, a2, a3 = a.feedback_ids
    [b1] = b.feedback_ids
    r = await a.advocate.slash(a.general, "feedback trends")
    assert r.response.content == (
        "**Feedback trends: last 30 days** vs the 30 days before\n"
        "New items: **3** (before: 0)\n"
        "`api-sdk` 2 (before 0, new)\n"
        "`docs` 2 (before 0, new)\n"
        "`auth` 1 (before 0, new)\n"
        "`integrations` 1 (before 0, new)\n"
        "**Most-voted items this period:**\n"
        f"#{a1} Webhooks drop events — 3 votes\n"
        f"#{a3} Rate limit headers missing — 1 vote\n"
        f"#{a2} Pagination cursor resets — 1 vote"
    )
    r = await b.advocate.slash(b.general, "feedback trends")
    assert r.response.content == (
        "**Feedback trends: last 30 days** vs the 30 days before\n"
        "New items: **1** (before: 0)\n"
        "`pricing` 1 (before 0, new)\n"
        "**Most-voted items this period:**\n"
        f"#{b1} Invoices show wrong currency — 1 vote"
    )


async def test_digest_preview_shows_each_guilds_own_figures(two: TwoGuilds, bots: Any) -> None:
    for_a, for_b = _expected_digest(two, "last week")
    for side, expected in ((two.a, for_a), (two.b, for_b)):
        r = await side.advocate.slash(side.general, "digest preview")
        assert r.response.content.startswith(
            "📬 **Weekly digest** · Mon 29 Dec 08:00 – Mon 05 Jan 2026 08:00 (UTC)"
        ), r.response.content
        assert _embeds(r) == expected, side.guild.name
    # The chart behind the preview's PNG: messages and active members per day.
    for side, messages, active in ((two.a, 5, 4), (two.b, 2, 2)):
        digest = await bots.current.services.digest.build_week(side.guild.id, chart=False)
        by_day = {p.day.isoformat(): (p.messages, p.active_members) for p in digest.chart.days}
        assert by_day["2026-01-01"] == (messages, active), side.guild.name
        assert sum(m for m, _ in by_day.values()) == messages, side.guild.name


async def test_stats_show_each_guilds_own_figures(two: TwoGuilds) -> None:
    for days, versus in ((7, "previous 7 days"), (30, "previous 30 days")):
        for_a, for_b = _expected_digest(two, versus)
        for side, expected in ((two.a, for_a), (two.b, for_b)):
            r = await side.advocate.slash(side.general, "stats summary", days=days)
            assert _embeds(r) == expected, (side.guild.name, days)


async def test_office_hours_history_and_recap_show_each_guilds_own_figures(
    two: TwoGuilds,
) -> None:
    a, b = two.a, two.b
    r = await a.advocate.slash(a.general, "officehours history")
    assert r.response.content == (
        "**Past office hours**\n"
        "• **A** <t:1767272400:f>, 4 min: 3 asked, 2 answered, 0 skipped, 0 carried over; "
        f"3 askers, median wait 2 min; hosts <@{a.advocate.id}>"
    )
    r = await b.advocate.slash(b.general, "officehours history")
    assert r.response.content == (
        "**Past office hours**\n"
        "• **B** <t:1767272640:f>, 3 min: 1 asked, 1 answered, 0 skipped, 0 carried over; "
        f"1 asker, median wait 2 min; hosts <@{b.advocate.id}>"
    )
    for side, figures in (
        (a, {"Answered (2)", "Skipped (0)", "Unanswered (1)", "3", "2 min", "4 min"}),
        (b, {"Answered (1)", "Skipped (0)", "Unanswered (0)", "1", "2 min", "3 min"}),
    ):
        [recap] = [m for m in side.office.history() if m.embeds and "Recap" in m.embeds[0].title]
        fields = recap.embeds[0].fields
        shown = {f.name for f in fields[:3]} | {f.value for f in fields[3:]}
        assert shown == figures, side.guild.name


async def test_export_holds_exactly_each_guilds_rows(two: TwoGuilds) -> None:
    for side, count, summaries in (
        (
            two.a,
            "📦 3 feedback items.",
            ["Webhooks drop events", "Pagination cursor resets", "Rate limit headers missing"],
        ),
        (two.b, "📦 1 feedback item.", ["Invoices show wrong currency"]),
    ):
        r = await side.advocate.slash(side.general, "feedback export", format="json")
        assert r.response.content == count
        rows = json.loads(await r.response.attachments[0].read())
        assert [row["id"] for row in rows] == side.feedback_ids
        assert [row["summary"] for row in rows] == summaries
        assert [row["votes"] for row in rows] == ([3, 1, 1] if side is two.a else [1])
        r = await side.advocate.slash(side.general, "feedback export", format="csv")
        lines = (await r.response.attachments[0].read()).decode().splitlines()
        assert len(lines) == 1 + len(summaries), lines  # a header and one row per item
        assert [line.split(",")[0] for line in lines[1:]] == [str(i) for i in side.feedback_ids]


async def test_autocomplete_offers_exactly_each_guilds_own(two: TwoGuilds) -> None:
    a, b = two.a, two.b
    for side in (a, b):
        choices = await side.advocate.autocomplete(side.general, "feedback show", "item", "")
        assert [c["value"] for c in choices] == sorted(side.feedback_ids, reverse=True)
    # Typed text and typed ids only find the guild's own.
    choices = await b.advocate.autocomplete(b.general, "feedback show", "item", "e")
    assert [c["value"] for c in choices] == b.feedback_ids
    choices = await b.advocate.autocomplete(
        b.general, "feedback show", "item", str(a.feedback_ids[0])
    )
    assert choices == []
    choices = await a.advocate.autocomplete(a.general, "feedback show", "item", "Invoices")
    assert choices == []


async def test_returning_members_count_only_the_guilds_own_activity(
    two: TwoGuilds, world: World
) -> None:
    """A member of both guilds who came back to A (active on Thursday and on Monday) is
    returning in A, not in B, where Monday is their first message. The advocate reading
    /stats is active too (a command is activity), and so returning in each guild.

    Carol, active in A on Thursday, writes only in B on Monday: she is returning in
    neither. A read that took "active now" from every guild would make her returning in A."""
    a, b = two.a, two.b
    admin_in_b = b.guild.add_member(world.admin.user)
    carol_in_b = b.guild.add_member(world.carol.user)
    await world.env.settle()
    await world.admin.send(a.general, "back again")
    await admin_in_b.send(b.general, "first time here")
    await carol_in_b.send(b.general, "hello from carol")
    r = await a.advocate.slash(a.general, "stats summary", days=4)
    assert _embeds(r)["Community health"] == (
        "👥 Active members: **2** ▼ 50% (previous 4 days: 4)\n"
        "🆕 New members: **0** ▼ 100% (previous 4 days: 4)\n"
        "🔁 Returning members: **2** ▲ new (previous 4 days: 0)\n"
        "💬 Messages: **1** ▼ 80% (previous 4 days: 5)"
    )
    r = await b.advocate.slash(b.general, "stats summary", days=4)
    assert _embeds(r)["Community health"] == (
        "👥 Active members: **3** ▲ 50% (previous 4 days: 2)\n"
        "🆕 New members: **2** ▼ 33% (previous 4 days: 3)\n"
        "🔁 Returning members: **1** ▲ new (previous 4 days: 0)\n"
        "💬 Messages: **2** ±0% (previous 4 days: 2)"
    )


def _levels(counts: dict[str, int], ups: list[tuple[Any, str]]) -> str:
    lines = [f"**{name}**: {n}" for name, n in counts.items()]
    moves = ", ".join(f"<@{m.id}> (observer → {level})" for m, level in ups)
    return "\n".join(
        [*lines, "", f"⬆️ Moved up this week: {moves}", "⬇️ Moved down this week: nobody"]
    )


async def test_levels_show_each_guilds_own_figures(two: TwoGuilds, world: World) -> None:
    a, b = two.a, two.b
    # Scores over the 90 days to Monday 08:00, at the default weights (message 1,
    # question 3, feedback 3, vote 1, answer given 5, session hosted 8). A reporter's own
    # item carries their vote, so bob has 3 votes (one on each of his items).
    #   A: alice answered 2 (bob's, carol's) and hosted 1:  2×5 + 8             = 18
    #      bob: 3 items, 3 votes, 3 messages, 1 question:  3×3 + 3 + 3 + 3     = 18
    #      carol: 1 vote, 1 message, 1 question:           1 + 1 + 3           = 5
    #      admin: 1 vote, 1 message, 1 question (carried): 1 + 1 + 3           = 5
    #   Thresholds from the non-zero scores [5, 5, 18, 18], nearest rank: 25th → the
    #   1st = 5, 75th → the 3rd = 18, 95th → the 4th = 18, forced above the 75th: 19.
    #   So carol and admin (5) are participants, alice and bob (18) contributors.
    #   B: boss answered dave's and hosted 1:               5 + 8               = 13
    #      dave: 1 item, its vote, 2 messages, 1 question: 3 + 1 + 2 + 3       = 9
    #      erin only joined: no score, not counted.
    #   Thresholds from [9, 13]: 25th → the 1st = 9, 75th → the 2nd = 13, 95th → the
    #   2nd = 13, forced: 14. dave (9) is a participant, boss (13) a contributor.
    # A week earlier (Mon 29 Dec) nobody had a score, so everyone listed moved up from
    # observer: 4 in A, 2 in B, as the digest's "Levels this week" says.
    carol, admin, bob = world.carol, world.admin, world.bob
    expected_a = _levels(
        {"Observer": 0, "Participant": 2, "Contributor": 2, "Champion": 0},
        sorted(
            [(a.advocate, "contributor"), (bob, "contributor"), (carol, "participant"),
             (admin, "participant")],
            key=lambda m: m[0].id,
        ),
    )  # fmt: skip
    dave = b.people["dave"]
    expected_b = _levels(
        {"Observer": 0, "Participant": 1, "Contributor": 1, "Champion": 0},
        sorted([(b.advocate, "contributor"), (dave, "participant")], key=lambda m: m[0].id),
    )
    for side, expected in ((a, expected_a), (b, expected_b)):
        r = await side.advocate.slash(side.general, "stats levels")
        [embed] = r.response.embeds
        assert embed.description == expected, side.guild.name


def _funnel(rows: list[str], steps: list[str], median: str) -> str:
    return "\n".join(
        [
            "```",
            f"{'Join week':<10}{'Joined':>7}{'Msg':>5}{'Ask':>5}{'Ans':>5}{'Wk 2':>6}",
            *rows,
            "```",
            *steps,
            f"⏱️ Median time from joining to a first answer: {median}",
            "-# Each step counts members who reached it and every step before. "
            "Weeks are UTC, Monday to Sunday. * the week's second week isn't over yet.",
        ]
    )


async def test_funnel_responsiveness_loop_and_retention_show_each_guilds_own(
    two: TwoGuilds, world: World
) -> None:
    a, b = two.a, two.b
    env = world.env
    # Monday 5 Jan, join weeks 29 Dec and 5 Jan. Every member joined on Thursday 1 Jan
    # 00:00; nobody joined since, and nobody's second week (8-14 Jan) is over.
    #   A: alice, bob, carol, admin joined; bob, carol and admin wrote and asked (alice
    #      only ran commands); bob and carol were answered, at 13:02 and 13:03.
    #   B: boss, dave, erin joined; only dave wrote and asked, answered at 13:06.
    week_5 = "05 Jan 26       0    0    0    0    0*"
    expected = [
        _funnel(
            ["29 Dec 25       4    3    3    2    0*", week_5],
            [
                "1. Joined: **4**",
                "2. First message: **3** · 75% of the step before",
                "3. First question or feedback: **3** · 100% of the step before",
                "4. First answer received: **2** · 67% of the step before",
                "5. Active in week 2: **0** · 0% of the step before",
            ],
            "**13.0 h** (2 members)",  # 13 h 2 min and 13 h 3 min
        ),
        _funnel(
            ["29 Dec 25       3    1    1    1    0*", week_5],
            [
                "1. Joined: **3**",
                "2. First message: **1** · 33% of the step before",
                "3. First question or feedback: **1** · 100% of the step before",
                "4. First answer received: **1** · 100% of the step before",
                "5. Active in week 2: **0** · 0% of the step before",
            ],
            "**13.1 h** (1 member)",  # 13 h 6 min
        ),
    ]
    for side, funnel in zip((a, b), expected, strict=True):
        r = await side.advocate.slash(side.general, "stats funnel", weeks=2)
        [embed] = r.response.embeds
        assert embed.description == funnel, side.guild.name

    # Waits: A's bob 2 min and carol 3 min (median of the two rounds to 2 min, nearest-rank
    # 90th is the second), admin's carried and never answered; B's dave 2 min.
    for side, asked, median, p90, unanswered in (
        (a, "**3**, answered: **2**", "2 min", "3 min", "**1** of 3 (33%)"),
        (b, "**1**, answered: **1**", "2 min", "2 min", "**0** of 1 (0%)"),
    ):
        r = await side.advocate.slash(side.general, "stats responsiveness", days=7)
        [embed] = r.response.embeds
        assert embed.description.splitlines()[:3] == [
            f"❓ Office-hours questions asked: {asked}",
            f"⏱️ Time to a first answer: median **{median}**, 90th percentile **{p90}**",
            f"⌛ Unanswered after 24 hours: {unanswered}",
        ], side.guild.name

    # Tue 6 Jan 10:00: A ships its most-voted item (bob's, voted by carol and admin), bob
    # and carol write; dave writes in B. Wed 7 Jan 10:00: B ships dave's item.
    await env.advance_time(26 * 3600)
    r = await a.advocate.slash(
        a.general, "feedback status", item=a.feedback_ids[0], status="shipped"
    )
    assert "is now **shipped**" in r.response.content, r.response.content
    await world.bob.send(a.general, "thanks")
    await world.carol.send(a.general, "nice")
    await b.people["dave"].send(b.general, "hello again")
    await env.advance_time(24 * 3600)
    r = await b.advocate.slash(
        b.general, "feedback status", item=b.feedback_ids[0], status="shipped"
    )
    assert "is now **shipped**" in r.response.content, r.response.content
    await env.advance_time(5 * 24 * 3600 - 2 * 3600)  # Monday 12 Jan 08:00

    # Captured on Thursday 1 Jan 00:00: A's shipped after 5 days 10 h, B's after 6 days 10 h.
    for side, people, told, days, tags in (
        (a, "3 reporters and voters", "**3** of 3", "5.4 days", ["docs", "integrations"]),
        (b, "1 reporter or voter", "**1** of 1", "6.4 days", ["pricing"]),
    ):
        r = await side.advocate.slash(side.general, "stats loop", days=30)
        [embed] = r.response.embeds
        assert embed.description.splitlines() == [
            f"🚀 Items shipped: **1**, reaching **{people}**",
            f"📨 Told by DM that it shipped: told {told} reporters and voters",
            f"⏱️ Median time from capture to shipped: **{days}**",
            "**By tag**",
            *(f"• {tag}: 1 shipped, median {days}" for tag in tags),
        ], side.guild.name

    # Week 1 after the 29 Dec cohort is 5-11 Jan: in A, alice (her commands), bob and carol
    # were active, 3 of 4; in B, boss (his commands) and dave, 2 of 3. Week 2 isn't over.
    blank = ["", ""]
    for side, joined, active, share in ((a, "4", "3", "0.750"), (b, "3", "2", "0.667")):
        r = await side.advocate.slash(side.general, "stats retention", weeks=2, format="csv")
        [attachment] = r.response.attachments
        rows = list(csv.reader(io.StringIO((await attachment.read()).decode())))
        assert rows[1:] == [
            ["2025-12-29", joined, active, share, *blank * 7],
            ["2026-01-05", "0", *blank * 8],
        ], side.guild.name


async def test_monthly_report_shows_each_guilds_own_figures(two: TwoGuilds, world: World) -> None:
    a, b = two.a, two.b
    env = world.env
    # Monday 5 Jan 08:00: admin, a newcomer in A whose question A carried over unanswered,
    # joins B, asks there and is answered. Reading answers (office hours, then help
    # channels, below) from every guild would count him as answered in A.
    admin_in_b = b.guild.add_member(world.admin.user)
    await env.settle()
    r = await b.advocate.slash(
        b.general, "officehours schedule", title="B2", start="2026-01-06 17:00"
    )
    assert "Scheduled" in r.response.content, r.response.content
    r = await admin_in_b.slash(b.general, "officehours ask", question="B2 question")
    assert "queued" in r.response.content, r.response.content
    r = await b.advocate.slash(b.general, "officehours start")
    assert "is live" in r.response.content, r.response.content
    await env.advance_time(120)
    r = await b.advocate.slash(b.general, "officehours next")
    assert r.ephemeral, r.response.content
    r = await b.advocate.slash(b.general, "officehours end")  # answered, as in the fixture
    assert "Ended" in r.response.content, r.response.content
    # Alice, a newcomer in A who never asked there, joins B and posts in its help channel;
    # boss replies: the help-channel half of the same read.
    help_b = b.guild.create_text_channel("help-b")
    alice_in_b = b.guild.add_member(world.alice.user)
    await env.settle()
    r = await b.advocate.slash(b.general, "setup channel", kind="help", channel=help_b)
    assert "is now a help channel" in r.response.content, r.response.content
    post = await alice_in_b.send(help_b, "How do I rotate a token?")
    await env.advance_time(60)
    await b.advocate.send(help_b, "Like this", reply_to=post)
    # January so far, with the activity the fixture arranged and the above:
    #   A: alice (commands), bob, carol and admin active; 5 messages; 4 joined, 3 of them
    #      wrote and 2 were answered (bob, carol); 3 questions; 3 items; 1 session with
    #      3 askers; 2 announcements.
    #   B: boss, dave, admin and alice active; 4 messages (alice's post and boss's reply
    #      too); 5 joined (admin and alice too), dave, alice and boss (his reply) wrote;
    #      dave, admin and alice were answered; 2 questions; 1 help post; 1 item;
    #      2 sessions with 2 askers; 1 announcement.
    keys = [
        "active_members", "messages", "new_members", "new_members_wrote",
        "new_members_answered", "oh_questions", "help_posts", "feedback_captured",
        "office_hours_sessions", "office_hours_attendees", "announcements_posts",
    ]  # fmt: skip
    for side, values in (
        (a, ["4", "5", "4", "3", "2", "3", "0", "3", "1", "3", "2"]),
        (b, ["4", "4", "5", "3", "3", "2", "1", "1", "2", "2", "1"]),
    ):
        r = await side.advocate.slash(side.general, "report", month="2026-01")
        [sheet] = [f for f in r.response.attachments if f.filename.endswith(".csv")]
        rows = {row[3]: row for row in csv.reader(io.StringIO((await sheet.read()).decode()))}
        assert [rows[key][5] for key in keys] == values, side.guild.name


# ------------------------------------------------------------------ issue 22, the rest
# The features below keep their own state, so each test builds its own second guild
# rather than the `two` fixture's (which would add nothing they read).


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
