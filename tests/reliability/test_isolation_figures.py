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
