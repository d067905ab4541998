"""Guild isolation: nothing of guild A can be read, changed, voted on, exported or
autocompleted from guild B, even by guild B's own advocates who know A's ids.

Ids are global integers in SQLite, so A's ids are valid rows; the tests prove every
command, button and autocomplete scopes its lookups to the guild it runs in.
"""

from __future__ import annotations

import json
from typing import Any

import discord

from cogs.feedback.views import DedupeButton, KeepButton, VoteButton
from cogs.office_hours.views import BoardButton, CardButton
from tests.reliability._helpers import (
    Arranged,
    arrange_two_guilds,
    diff,
    snapshot,
)

A_SECRETS = ("A office hours", "A: how do I log in?", "A: the SDK login fails", "A news")


def _no_a_secret(text: str) -> bool:
    return not any(secret in text for secret in A_SECRETS)


def _reply_text(r: Any) -> str:
    parts = []
    for message in [r.response, *r.followups]:
        if message is None:
            continue
        parts.append(message.content or "")
        for embed in message.embeds:
            parts.append(json.dumps(embed.to_dict(), ensure_ascii=False))
    return "\n".join(parts)


async def test_b_cannot_read_a(world, bots) -> None:
    arranged = await arrange_two_guilds(world, bots.current)
    b = arranged.other
    reads = [
        (b.boss, "feedback show", {"item": arranged.feedback_id}, "There's no feedback item #"),
        (b.dave, "feedback show", {"item": arranged.feedback_id}, "There's no feedback item #"),
        (b.boss, "announce show", {"id": arranged.announcement_id}, "no announcement #"),
        (b.boss, "announce preview", {"id": arranged.announcement_id}, "no announcement #"),
        (b.boss, "announce history", {"id": arranged.announcement_id}, "no announcement #"),
        (b.boss, "feedback search", {"query": "SDK login fails"}, "No feedback matches"),
        (b.boss, "feedback list", {}, "B: private billing complaint"),
        (b.dave, "officehours queue", {}, "B: secret roadmap question"),
        (b.dave, "officehours upcoming", {}, "B office hours"),
        (b.boss, "announce list", {}, "B secret launch"),
        (b.boss, "officehours history", {}, "No office hours have been held yet"),
        # B's own single item is counted; the exact figures of both guilds are checked in
        # test_isolation_figures.py.
        (b.boss, "feedback trends", {}, "New items: **1** (before: 0)"),
        (b.boss, "digest preview", {}, "Office hours: **B office hours**"),
        (b.boss, "stats summary", {}, "New feedback items: **1**"),
        (b.boss, "setup show", {}, "Hallway settings"),
    ]
    for actor, command, options, expected in reads:
        r = await actor.slash(b.general, command, **options)
        text = _reply_text(r)
        assert r.ephemeral, (command, text)
        assert expected in text, (command, text)
        assert _no_a_secret(text), (command, text)
        assert str(world.guild.id) not in text, (command, text)


async def test_b_cannot_change_or_vote_on_a(world, bots) -> None:
    arranged = await arrange_two_guilds(world, bots.current)
    b = arranged.other
    a_item, a_session, a_post = (
        arranged.feedback_id,
        arranged.session_id,
        arranged.announcement_id,
    )
    writes = [
        (b.dave, "feedback vote", {"item": a_item}),
        (b.boss, "feedback status", {"item": a_item, "status": "declined", "note": "no"}),
        (b.boss, "feedback link", {"item": a_item, "url": "https://evil.example/1"}),
        (b.boss, "feedback merge", {"duplicate": a_item, "into": b.feedback_id}),
        (b.boss, "feedback merge", {"duplicate": b.feedback_id, "into": a_item}),
        (b.boss, "feedback tag", {"item": a_item, "add": "docs"}),
        (b.boss, "officehours cancel", {"session": a_session, "scope": "series"}),
        (b.boss, "officehours start", {"session": a_session}),
        (b.boss, "officehours end", {"session": a_session}),
        (b.boss, "officehours next", {"session": a_session}),
        (b.boss, "announce edit", {"id": a_post, "when": "tomorrow 9am"}),
        (b.boss, "announce pause", {"id": a_post}),
        (b.boss, "announce resume", {"id": a_post}),
        (b.boss, "announce cancel", {"id": a_post}),
        (b.boss, "announce send-now", {"id": a_post}),
    ]
    for actor, command, options in writes:
        before = await snapshot(bots.current)
        r = await actor.slash(b.general, command, **options)
        assert r.modal is None and r.ephemeral, command
        text = r.response.content
        assert "There's no" in text or "no announcement #" in text, (command, text)
        assert diff(before, await snapshot(bots.current)) == {}, command
    # A's announcement still posts once, in A, and nothing of B's appears there.
    await world.env.advance_time(2 * 86400 + 11 * 3600)
    a_posts = [m.content for m in arranged.channels.news.history() if m.author.bot]
    assert a_posts == ["A news for DevRel Community"]
    assert [m.content for m in b.news.history() if m.author.bot] == ["B secret launch"]


async def _forged(bot: Any, channel_id: int, *items: discord.ui.Item[Any]) -> discord.Message:
    """A message in guild B carrying buttons with guild A's ids (a stale or copied button)."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    channel = bot.get_channel(channel_id)
    return await channel.send("buttons", view=view)


async def test_buttons_with_a_ids_do_nothing_in_b(world, bots) -> None:
    arranged = await arrange_two_guilds(world, bots.current)
    b = arranged.other
    env = world.env
    question_id = await bots.current.db.fetchval(
        "SELECT id FROM oh_questions WHERE guild_id = ?", (world.guild.id,)
    )
    # A's session goes live, so its buttons are real and working in A.
    r = await world.alice.slash(world.general, "officehours start", session=arranged.session_id)
    assert "is live" in r.response.content
    forged = await _forged(
        bots.current,
        b.general.id,
        VoteButton(arranged.feedback_id),
        BoardButton("join", arranged.session_id),
        BoardButton("leave", arranged.session_id),
        BoardButton("next", arranged.session_id),
        CardButton("answered", question_id),
        CardButton("skip", question_id),
        CardButton("feedback", question_id),
        DedupeButton(b.feedback_id, arranged.feedback_id),
        KeepButton(arranged.feedback_id),
    )
    await env.settle()
    for actor, custom_id, expected in [
        (b.dave, f"hallway:feedback:vote:{arranged.feedback_id}", "There's no feedback item #"),
        (b.dave, f"hallway:oh:join:{arranged.session_id}", "There's no office-hours session #"),
        (b.dave, f"hallway:oh:leave:{arranged.session_id}", "There's no office-hours session #"),
        (b.boss, f"hallway:oh:next:{arranged.session_id}", "There's no office-hours session #"),
        (b.boss, f"hallway:oh:answered:{question_id}", "That question no longer exists"),
        (b.boss, f"hallway:oh:skip:{question_id}", "That question no longer exists"),
        (b.boss, f"hallway:oh:feedback:{question_id}", "That question no longer exists"),
        (
            b.boss,
            f"hallway:feedback:dup:{b.feedback_id}:{arranged.feedback_id}",
            "There's no feedback item #",
        ),
    ]:
        before = await snapshot(bots.current)
        r = await actor.click(forged, custom_id=custom_id)
        assert r.modal is None, custom_id
        assert r.ephemeral and expected in r.response.content, (custom_id, r.response.content)
        assert diff(before, await snapshot(bots.current)) == {}, custom_id
    # "Keep separate" only edits the message it is on; it reads and writes nothing.
    before = await snapshot(bots.current)
    await b.boss.click(forged, custom_id=f"hallway:feedback:keep:{arranged.feedback_id}")
    assert diff(before, await snapshot(bots.current)) == {}
    # The same vote button, in A, does work: the ids were fine, the guild was not.
    card = await world.carol.slash(world.general, "feedback show", item=arranged.feedback_id)
    r = await world.carol.click(
        card.response.message, custom_id=f"hallway:feedback:vote:{arranged.feedback_id}"
    )
    assert "is counted" in _reply_text(r)


async def test_b_export_and_autocomplete_hold_only_b(world, bots) -> None:
    arranged: Arranged = await arrange_two_guilds(world, bots.current)
    b = arranged.other
    r = await b.boss.slash(b.general, "feedback export", format="json")
    data = json.loads(await r.response.attachments[0].read())
    summaries = json.dumps(data, ensure_ascii=False)
    assert "B: private billing complaint" in summaries
    assert _no_a_secret(summaries) and str(world.guild.id) not in summaries
    r = await b.boss.slash(b.general, "feedback export", format="csv")
    csv_text = (await r.response.attachments[0].read()).decode()
    assert "B: private billing complaint" in csv_text and _no_a_secret(csv_text)

    a_id = {"item": arranged.feedback_id, "session": arranged.session_id}
    a_id |= {"announcement": arranged.announcement_id}
    b_id = {"item": b.feedback_id, "session": b.session_id, "announcement": b.announcement_id}
    for command, option, kind, typed in [
        ("feedback show", "item", "item", ""),
        ("feedback show", "item", "item", "A"),
        ("feedback show", "item", "item", str(arranged.feedback_id)),
        ("feedback vote", "item", "item", "login"),
        ("feedback status", "item", "item", ""),
        ("feedback merge", "into", "item", ""),
        ("officehours cancel", "session", "session", ""),
        ("officehours cancel", "session", "session", str(arranged.session_id)),
        ("officehours start", "session", "session", "A office"),
        ("announce show", "id", "announcement", ""),
        ("announce show", "id", "announcement", str(arranged.announcement_id)),
        ("announce edit", "id", "announcement", "news"),
    ]:
        choices = await b.boss.autocomplete(b.general, command, option, typed)
        assert _no_a_secret(json.dumps(choices, ensure_ascii=False)), (command, typed, choices)
        values = [c["value"] for c in choices]
        assert a_id[kind] not in values, (command, typed, choices)
        if typed == "":
            assert values == [b_id[kind]], (command, choices)  # B's own are still offered
    # And from A, A's own items are offered (the autocomplete works; it is only scoped).
    choices = await world.alice.autocomplete(world.general, "feedback show", "item", "")
    assert any(c["value"] == arranged.feedback_id for c in choices)
    choices = await world.alice.autocomplete(world.general, "announce show", "id", "")
    assert [c["value"] for c in choices] == [arranged.announcement_id]
