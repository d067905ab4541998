from __future__ import annotations

import csv
import io

import discord

from tests.conftest import make_advocates, mentions_of, submit_feedback


def items(bot):
    return bot.services.feedback


def bot_requests(env):
    return [r for r in env.http_requests if r.method in ("POST", "PATCH") and r.json]


async def test_submit_modal_captures_tags_and_shows_card(world, bots) -> None:
    await make_advocates(world)
    r = await submit_feedback(
        world.bob,
        world.general,
        "Python SDK throws 401 after token refresh",
        "acme-sdk 2.3.1 returns HTTP 401 unauthorized when the OAuth token refreshes",
    )
    assert r.ephemeral
    assert "Saved as feedback **#1**" in r.response.content
    assert "`auth`" in r.response.content
    item = await items(bots.current).item(world.guild.id, 1)
    assert item.reporter_id == world.bob.id and item.votes == 1 and item.source == "command"
    card = await world.carol.slash(world.general, "feedback show", item=1)
    embed = card.response.embeds[0]
    assert embed.title.startswith("#1 Python SDK throws 401")
    values = {f.name: f.value for f in embed.fields}
    assert "new" in values["Status"] and values["Votes"] == "1"
    assert "HTTP 401" in values["Details found"] and "History" in values


async def test_dedupe_offers_plus_one_instead_and_keep_separate(world, bots) -> None:
    await make_advocates(world)
    await submit_feedback(
        world.bob, world.general, "Webhook retries are not documented", "webhook retry docs"
    )
    r = await submit_feedback(
        world.carol, world.general, "Docs for webhook retry backoff", "webhook retries?"
    )
    assert "Saved as feedback **#2**" in r.response.content
    assert "#1 Webhook retries are not documented" in r.response.content
    msg = r.response.message
    keep = await world.carol.click(msg, custom_id="hallway:feedback:keep:2")
    assert "Kept #2" in keep.response.content
    r3 = await submit_feedback(
        world.carol, world.general, "Webhook retry docs missing", "webhook retry"
    )
    clicked = await world.carol.click(r3.response.message, custom_id="hallway:feedback:dup:3:1")
    assert "Folded #3 into **#1**" in clicked.response.content
    one = await items(bots.current).item(world.guild.id, 1)
    assert one.votes == 2  # bob + carol
    three = await items(bots.current).item(world.guild.id, 3)
    assert three.status == "duplicate" and three.duplicate_of == 1


async def test_context_menu_capture_by_author_and_by_advocate(world, bots) -> None:
    await make_advocates(world)
    mine = await world.bob.send(world.general, "The quickstart guide skips the API key step")
    r = await world.bob.context_menu(world.general, "Capture feedback", mine)
    assert r.ephemeral and "Saved as feedback **#1**" in r.response.content
    item = await items(bots.current).item(world.guild.id, 1)
    assert item.source_url == mine.jump_url and item.message_id == mine.id

    theirs = await world.carol.send(
        world.general,
        "Node SDK crashes with ECONNRESET on large uploads\nsee trace",
        attachments=[("trace.txt", b"Error: ECONNRESET")],
    )
    refused = await world.bob.context_menu(world.general, "Capture feedback", theirs)
    assert refused.ephemeral and "only advocates" in refused.response.content
    shown = await world.alice.context_menu(world.general, "Capture feedback", theirs)
    assert shown.modal is not None
    done = await world.alice.submit_modal(shown, {"summary": "Node SDK ECONNRESET on uploads"})
    assert "Saved as feedback **#2**" in done.response.content
    item = await items(bots.current).item(world.guild.id, 2)
    assert item.reporter_id == world.carol.id and item.captured_by_id == world.alice.id
    assert item.summary == "Node SDK ECONNRESET on uploads"
    assert "ECONNRESET" in item.details and len(item.attachments) == 1
    assert "ECONNRESET" in item.fields["error_codes"]
    # Capturing it again is a vote, not a second item.
    again = await world.carol.context_menu(world.general, "Capture feedback", theirs)
    assert "already feedback **#2**" in again.response.content


async def test_reaction_capture_is_idempotent_and_acknowledged(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    msg = await world.bob.send(world.general, "Pricing page doesn't say what counts as a seat")
    await world.bob.react(msg, "📝")  # a plain member's reaction captures nothing
    await env.settle()
    assert await items(bots.current).repo.by_message(world.guild.id, msg.id) is None

    await world.alice.react(msg, "📝")
    await env.settle()
    item = await items(bots.current).repo.by_message(world.guild.id, msg.id)
    assert item is not None and item.source == "reaction" and item.captured_by_id == world.alice.id
    dm = world.alice.user.dm_channel.last_message
    assert f"feedback **#{item.id}**" in dm.content and "`pricing`" in dm.content
    reacted = [r for r in env.http_requests if r.method == "PUT" and "/reactions/" in r.path]
    assert len(reacted) == 1

    await world.admin.react(msg, "📝")  # a second advocate: one item, one more vote
    await env.settle()
    again = await items(bots.current).repo.by_message(world.guild.id, msg.id)
    assert again.id == item.id and again.votes == 2  # bob (the reporter) and admin
    for _ in range(2):  # alice again: her capture now counts as her vote, once
        await world.alice.unreact(msg, "📝")
        await world.alice.react(msg, "📝")
    await env.settle()
    again = await items(bots.current).repo.by_message(world.guild.id, msg.id)
    assert again.id == item.id and again.votes == 3
    assert (
        await items(bots.current).repo.count_created(
            world.guild.id, item.created_at, item.created_at.replace(year=2100)
        )
        == 1
    )


async def test_office_hours_seam_creates_an_item(world, bots) -> None:
    await make_advocates(world)
    result = await items(bots.current).capture_from_office_hours(
        guild_id=world.guild.id,
        reporter_id=world.bob.id,
        captured_by_id=world.alice.id,
        text="How do I paginate the list endpoint? The docs don't say.",
        source_url=None,
    )
    item = result.item
    assert item.id == 1 and item.reporter_name == "bob" and "docs" in item.tag_names


async def test_votes_once_and_card_button(world, bots) -> None:
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Add a CLI --json flag")
    card = await world.carol.slash(world.general, "feedback show", item=1)
    first = await world.carol.click(card.response.message, custom_id="hallway:feedback:vote:1")
    assert first.followups[-1].content.startswith("👍 Your +1 on **#1** is counted")
    second = await world.carol.click(card.response.message, custom_id="hallway:feedback:vote:1")
    assert "already voted" in second.response.content
    r = await world.bob.slash(world.general, "feedback vote", item=1)  # reporter counts already
    assert "already voted" in r.response.content
    assert (await items(bots.current).item(world.guild.id, 1)).votes == 2


async def test_status_change_dms_reporter_and_voters_with_fallback(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Go SDK please")
    await world.carol.slash(world.general, "feedback vote", item=1)
    await world.alice.slash(
        world.general, "feedback link", item=1, url="https://github.com/acme/sdk/issues/7"
    )
    env.inject_error(
        "POST", f"/channels/{world.carol.user.dm_channel.id}/messages", status=403, code=50007
    )
    r = await world.alice.slash(
        world.general, "feedback status", item=1, status="planned", note="Q3 @everyone"
    )
    assert r.ephemeral and "now **planned**" in r.response.content
    dm = world.bob.user.dm_channel.last_message
    assert "now **planned**" in dm.content and "Q3" in dm.content
    assert "https://github.com/acme/sdk/issues/7" in dm.content
    fallback = world.general.last_message
    assert f"<@{world.carol.id}>" in fallback.content and "planned" in fallback.content
    posted = [req for req in bot_requests(env) if "/messages" in req.path]
    assert posted  # the fallback post above at least
    for req in posted:
        assert mentions_of(req) == {"parse": []}, req.path
    card = await world.alice.slash(world.general, "feedback show", item=1)
    history = {f.name: f.value for f in card.response.embeds[0].fields}["History"]
    assert "**planned**" in history and "Q3" in history


async def test_merge_moves_votes(world, bots) -> None:
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Rate limit headers undocumented")
    await submit_feedback(world.carol, world.general, "Which header says my rate limit?")
    await world.admin.slash(world.general, "feedback vote", item=2)
    r = await world.alice.slash(world.general, "feedback merge", duplicate=2, into=1)
    assert "#2 is now a duplicate of **#1**" in r.response.content
    kept = await items(bots.current).item(world.guild.id, 1)
    assert kept.votes == 3
    card = await world.alice.slash(world.general, "feedback show", item=1)
    reporters = {f.name: f.value for f in card.response.embeds[0].fields}["Reported by"]
    assert f"<@{world.carol.id}>" in reporters


async def test_csv_export(world, bots) -> None:
    await make_advocates(world)
    await submit_feedback(
        world.bob, world.general, "=cmd() Docs search broken", "searching docs finds nothing"
    )
    await world.alice.slash(world.general, "feedback link", item=1, url="https://x.org/1")
    r = await world.alice.slash(world.general, "feedback export", format="csv")
    assert r.ephemeral
    data = (await r.response.attachments[0].read()).decode()
    rows = list(csv.DictReader(io.StringIO(data)))
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == "1" and row["status"] == "new" and row["votes"] == "1"
    assert row["summary"] == "'=cmd() Docs search broken"
    assert row["reporter_id"] == str(world.bob.id) and row["reporter_name"] == "bob"
    assert "docs" in row["tags"].split("; ")
    assert row["link_url"] == "https://x.org/1" and row["source"] == "command"
    r = await world.alice.slash(world.general, "feedback export", format="json", since="bogus")
    assert "isn't a date" in r.response.content


async def test_restart_keeps_buttons_working(world, bots, restart) -> None:
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Onboarding email never arrives")
    card = await world.carol.slash(world.general, "feedback show", item=1)
    for n in range(11):
        await submit_feedback(
            world.bob, world.general, f"Unrelated idea number {n} about widgets {n}"
        )
    listing = await world.alice.slash(world.general, "feedback list", sort="recent")
    assert "Page 1 of 2" in listing.response.content
    await restart()
    r = await world.carol.click(card.response.message, custom_id="hallway:feedback:vote:1")
    assert "counted" in r.followups[-1].content
    nxt = await world.alice.click(listing.response.message, label="Next ▶")
    assert "Page 2 of 2" in nxt.response.content


async def test_index_terms_a_stop_left_unwritten_are_written_at_the_next_start(
    world, bots, restart, monkeypatch
) -> None:
    """A capture replies before its index terms are written (they follow in a statement of
    their own). If the bot stops in between, the item is not lost and the next start
    indexes it, so later captures find it as similar again."""
    await make_advocates(world)
    repo = items(bots.current).repo

    async def stopped(*args: object) -> None:
        raise RuntimeError("the bot stopped before the index write")

    monkeypatch.setattr(repo.index, "write_terms", stopped)
    r = await submit_feedback(
        world.bob, world.general, "Webhook retries are not documented", "webhook retry docs"
    )
    assert "Saved as feedback **#1**" in r.response.content
    await items(bots.current).index.flush()
    assert [p[1] for p in await repo.index.pending_index()] == [1]

    await restart()
    assert await items(bots.current).repo.index.pending_index() == []
    again = await submit_feedback(
        world.carol, world.general, "Docs for webhook retry backoff", "webhook retries?"
    )
    assert "#1 Webhook retries are not documented" in again.response.content


async def test_everyone_in_feedback_text_never_pings(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    forum = world.guild.create_forum_channel("feedback")
    await env.settle()
    await world.alice.slash(world.general, "setup channel", kind="feedback", channel=forum)
    msg = await world.bob.send(world.general, "@everyone <@&1> the docs are wrong @here")
    await world.alice.react(msg, "📝")
    await submit_feedback(world.bob, world.general, "@everyone ping", "@here docs broken")
    await world.carol.slash(world.general, "feedback show", item=2)
    await world.carol.slash(world.general, "feedback search", query="everyone docs")
    checked = 0
    for req in bot_requests(env):
        text = str(req.json)
        if "@everyone" in text or "@here" in text:
            assert mentions_of(req) == {"parse": []}, (req.path, req.json)
            checked += 1
    assert checked >= 4


async def test_forum_posts_with_tags_and_status_updates(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    forum = world.guild.create_forum_channel("feedback")
    await env.settle()
    await world.alice.slash(world.general, "setup channel", kind="feedback", channel=forum)
    await submit_feedback(
        world.bob, world.general, "Docs for auth tokens are wrong", "login fails, docs"
    )
    item = await items(bots.current).item(world.guild.id, 1)
    assert item.forum_thread_id is not None
    thread = bots.current.get_channel(item.forum_thread_id)
    assert isinstance(thread, discord.Thread) and thread.name.startswith("#1 Docs for auth")
    forum_channel = bots.current.get_channel(forum.id)
    applied = {t.name for t in thread.applied_tags}
    assert applied and applied <= set(item.tag_names)
    assert {t.name for t in forum_channel.available_tags} >= applied
    await world.alice.slash(world.general, "feedback status", item=1, status="shipped")
    thread = bots.current.get_channel(item.forum_thread_id)
    assert thread.name.startswith("[shipped] #1")
    starter = [m async for m in thread.history(limit=1, oldest_first=True)]
    assert "shipped" in starter[0].content


async def test_members_are_refused_advocate_commands(world) -> None:
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Something")
    for name, options in [
        ("feedback status", {"item": 1, "status": "planned"}),
        ("feedback link", {"item": 1, "url": "https://x.org"}),
        ("feedback merge", {"duplicate": 1, "into": 1}),
        ("feedback tag", {"item": 1, "add": "docs"}),
        ("feedback export", {"format": "csv"}),
        ("feedback tags add", {"name": "x", "keywords": "y"}),
        ("feedback tags remove", {"name": "x"}),
        ("feedback areas set", {"areas": "CLI"}),
    ]:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral, name
        assert "Only advocates can do that" in r.response.content, name


async def test_bad_input_gets_clear_errors(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    r = await submit_feedback(world.bob, world.general, "   ", "x")
    assert r.ephemeral and "summary is empty" in r.response.content
    await submit_feedback(world.bob, world.general, "Real item")
    # Discord enforces the modal's lengths itself; a slash option's length is ours to check.
    r = await world.alice.slash(
        world.general, "feedback status", item=1, status="planned", note="n" * 501
    )
    assert "Keep the note to 500 characters" in r.response.content
    r = await world.bob.slash(world.general, "feedback show", item=99)
    assert "no feedback item #99" in r.response.content
    r = await world.alice.slash(world.general, "feedback link", item=1, url="javascript:alert(1)")
    assert "Only http and https" in r.response.content
    other = env.create_guild("Other Place")
    ch = other.create_text_channel("general")
    mallory = other.add_member(env.create_user("mallory"))
    await env.settle()
    r = await mallory.slash(ch, "feedback vote", item=1)
    assert "no feedback item #1 in this server" in r.response.content
    r = await world.alice.slash(world.general, "feedback tag", item=1, add="nonsense")
    assert "Unknown tag" in r.response.content
    r = await world.alice.slash(world.general, "feedback status", item=1, status="new")
    assert "already **new**" in r.response.content
    assert (await items(bots.current).item(world.guild.id, 1)).link_url is None


async def test_tags_areas_trends_search_and_retag(world, bots) -> None:
    await make_advocates(world)
    r = await world.alice.slash(world.general, "feedback areas set", areas="Dashboard, CLI")
    assert "Dashboard, CLI" in r.response.content
    r = await submit_feedback(world.bob, world.general, "Invoice download", "", area="Billing")
    assert "isn't one of this server's product areas" in r.response.content
    await world.alice.slash(
        world.general, "feedback tags add", name="billing-portal", keywords="invoice, receipt"
    )
    r = await submit_feedback(
        world.bob, world.general, "Invoice download broken", "", area="dashboard"
    )
    assert "`billing-portal`" in r.response.content
    r = await world.alice.slash(world.general, "feedback tag", item=1, add="docs")
    assert "`docs`" in r.response.content
    r = await world.carol.slash(world.general, "feedback tags list")
    assert "`billing-portal` 1 · 1" in r.response.content
    # Built-in tags show their whole description, not the first 60 characters.
    tools = (
        "Developer tools: CLI, IDE extensions, local dev and emulators, CI, containers, debugging."
    )
    assert tools in r.response.content
    r = await world.carol.slash(world.general, "feedback trends")
    assert "`billing-portal` 1 (before 0, new)" in r.response.content
    r = await world.carol.slash(world.general, "feedback search", query="invoice")
    assert "**#1**" in r.response.content
    r = await world.carol.slash(world.general, "feedback list", tag="docs")
    assert "#1" in r.response.content
    choices = await world.carol.autocomplete(world.general, "feedback show", "item", "inv")
    assert choices and choices[0]["value"] == 1


async def test_reaction_capture_with_closed_dms_replies_without_ping(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    msg = await world.bob.send(world.general, "The CLI login command hangs @everyone")
    env.inject_error(
        "POST", f"/channels/{world.alice.user.dm_channel.id}/messages", status=403, code=50007
    )
    await world.alice.react(msg, "📝")
    await env.settle()
    reply = world.general.last_message
    assert "Saved as feedback **#1**" in reply.content
    assert reply.reference is not None and reply.reference.message_id == msg.id
    posts = [r for r in env.http_requests if r.path == f"/channels/{world.general.id}/messages"]
    assert posts and all(mentions_of(r) in ({"parse": []}, {"parse": [], "replied_user": False})
                         for r in posts)  # fmt: skip
