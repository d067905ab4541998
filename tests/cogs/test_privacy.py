"""/privacy through discord.py with SimCord: export, forget with confirmation, retention."""

from __future__ import annotations

import json

import discord
import pytest
from simcord import SetupError

from cogs.privacy import PRUNE_JOB, ForgetButton, KeepButton
from storage.activity import ActivityRepository
from storage.privacy import FORGOTTEN_ID, FORMER_MEMBER, PrivacyRepository
from tests.conftest import make_advocates, submit_feedback
from tests.storage.test_privacy_repo import find_id

DAY = 24 * 3600


def privacy(bots):
    return bots.current.get_cog("Privacy").service


def dm_export(member) -> dict:
    message = member.user.dm_channel.last_message
    assert message is not None and message.attachments
    return message


async def read_export(message) -> dict:
    return json.loads(await message.attachments[0].read())


async def busy_server(world) -> dict:
    """Alice in every feature, through the bot's own commands; bob and carol beside her."""
    env, alice, bob, admin, general = world.env, world.alice, world.bob, world.admin, world.general
    await make_advocates(world)
    office = world.guild.create_text_channel("office-hours")
    news = world.guild.create_text_channel("news")
    await env.settle()
    await admin.slash(general, "setup channel", kind="office-hours", channel=office)
    # Office hours: admin hosts today's session, alice hosts tomorrow's.
    r = await admin.slash(general, "officehours schedule", title="Today", start="2026-01-01 01:00")
    assert "Scheduled" in r.response.content, r.response.content
    r = await alice.slash(
        general, "officehours schedule", title="Alice's", start="2026-01-02 17:00"
    )
    assert "Scheduled" in r.response.content, r.response.content
    await bob.slash(general, "officehours ask", question=f"Is <@{alice.id}> hosting tomorrow?")
    await alice.slash(general, "officehours ask", question="How do webhook retries back off?")
    await world.carol.slash(general, "officehours ask", question="Where are the SDK docs?")
    await admin.slash(general, "officehours start")
    taken = await alice.slash(general, "officehours next")  # alice answers bob's question
    assert "Now answering" in taken.response.content, taken.response.content
    # Feedback: alice reports, votes, captures bob's message and moves an item on.
    r = await submit_feedback(alice, general, "Python SDK 401 after token refresh", "acme-sdk 2.3")
    assert "Saved as feedback **#1**" in r.response.content, r.response.content
    r = await submit_feedback(bob, general, "Webhook docs are thin", f"as <@{alice.id}> said")
    assert "Saved as feedback **#2**" in r.response.content, r.response.content
    await alice.slash(general, "feedback vote", item=2)
    await bob.slash(general, "feedback vote", item=1)
    said = await bob.send(general, "The quickstart skips the API key step entirely")
    shown = await alice.context_menu(general, "Capture feedback", said)
    done = await alice.submit_modal(shown, {"summary": "Quickstart skips the API key step"})
    assert "Saved as feedback **#3**" in done.response.content, done.response.content
    await alice.slash(general, "feedback status", item=2, status="planned", note="on it")
    # Announcements: one scheduled, one left as a draft (modal never submitted).
    shown = await alice.slash(general, "announce schedule", channel=news, when="2026-01-03 10:00")
    r = await alice.submit_modal(shown, {"body": "Release day!", "image_url": ""})
    assert "Scheduled announcement **#1**" in r.response.content, r.response.content
    draft = await alice.slash(general, "announce schedule", channel=news, when="2026-01-04 10:00")
    assert draft.modal is not None
    # Help channels: alice asks in one, bob replies.
    help_ch = world.guild.create_text_channel("help")
    await env.settle()
    await admin.slash(general, "setup channel", kind="help", channel=help_ch)
    asked = await alice.send(help_ch, "Which SDK version fixes the 401?")
    await bob.send(help_ch, "2.4", reply_to=asked)
    # Activity: messages counted (written by the flush loop after a few seconds).
    await alice.send(general, "hello everyone")
    await alice.send(general, "see you at office hours")
    await bob.send(general, "hi!")
    await env.advance_time(10)
    return {"office": office, "news": news}


async def test_export_dms_a_json_file_with_every_kind_of_data(world, bots) -> None:
    await busy_server(world)
    r = await world.alice.slash(world.general, "privacy export")
    assert r.ephemeral
    assert "📬 Sent you a DM" in r.response.content
    assert "office-hours questions you asked: 1" in r.response.content
    doc = await read_export(dm_export(world.alice))
    [server] = doc["servers"]
    assert (doc["user_id"], server["guild_id"]) == (world.alice.id, world.guild.id)
    assert server["guild_name"] == "DevRel Community"
    data = server["data"]
    assert [q["question"] for q in data["office_hours_questions"]] == [
        "How do webhook retries back off?"
    ]
    assert [s["title"] for s in data["office_hours_hosted_sessions"]] == ["Alice's"]
    assert len(data["office_hours_questions_taken"]) == 1
    assert [i["summary"] for i in data["feedback_reported"]] == [
        "Python SDK 401 after token refresh"
    ]
    assert [i["summary"] for i in data["feedback_captured_for_others"]] == [
        "Quickstart skips the API key step"
    ]
    assert {v["item_id"] for v in data["feedback_votes"]} == {1, 2}
    assert any(h["status"] == "planned" for h in data["feedback_status_changes"])
    assert [a["body"] for a in data["announcements_authored"]] == ["Release day!"]
    assert len(data["announcement_drafts"]) == 1
    assert data["activity_days"] == [{"day": "2026-01-01", "messages": 3}]
    [post] = data["help_channel_posts"]
    assert post["answered_at"] is not None and "question" not in post
    # Nothing of bob's: his question and his report are not alice's data.
    text = json.dumps(data)
    assert "Webhook docs are thin" in text  # only as the item alice voted on
    assert "Where are the SDK docs?" not in text


async def test_export_only_ever_covers_the_member_who_asks(world, bots) -> None:
    await busy_server(world)
    commands = {c.qualified_name: c for c in bots.current.tree.walk_commands()}
    export, forget = commands["privacy export"], commands["privacy forget"]
    assert export.parameters == [] and forget.parameters == []  # no way to name someone else
    await world.carol.slash(world.general, "privacy export")
    doc = await read_export(dm_export(world.carol))
    assert doc["user_id"] == world.carol.id
    assert doc["counts"]["office_hours_questions"] == 1
    assert str(world.alice.id) not in json.dumps(doc["servers"])


async def test_export_attaches_the_file_when_dms_are_closed(world, bots) -> None:
    env = world.env
    await world.bob.send(world.general, "hello")
    env.inject_error(
        "POST", "/channels/*/messages", status=403, code=50007, message="Cannot send messages"
    )
    r = await world.bob.slash(world.general, "privacy export")
    assert r.ephemeral
    assert "couldn't DM you" in r.response.content
    [attachment] = r.response.attachments
    doc = json.loads(await attachment.read())
    assert doc["user_id"] == world.bob.id
    assert doc["servers"][0]["data"]["activity_days"] == [{"day": "2026-01-01", "messages": 1}]


async def test_forget_erases_the_id_from_every_table_and_column(world, bots) -> None:
    env = world.env
    places = await busy_server(world)
    db = bots.current.db
    assert len(await find_id(db, world.alice.id)) >= 10  # she really is everywhere
    r = await world.alice.slash(world.general, "privacy forget")
    assert r.ephemeral and "can't be undone" in r.response.content
    assert "feedback votes: 2" in r.response.content
    assert await find_id(db, world.alice.id) != []  # nothing happens before confirming
    done = await world.alice.click(r.response.message, label="Erase my data")
    assert "✅ Done" in done.response.content
    await env.advance_time(10)  # any activity flush that could write her back
    await bots.current.alarm.drain()

    assert await find_id(db, world.alice.id) == []
    # The shared records keep working without her.
    feedback = bots.current.services.feedback
    # Nor does the counts' in-memory copy keep index terms made of her id (#2 mentions her).
    counts, _ = await feedback.index.counts(world.guild.id)
    assert counts and not any(str(world.alice.id) in term for term in counts)
    one = await feedback.item(world.guild.id, 1)
    assert (one.reporter_id, one.reporter_name, one.votes) == (FORGOTTEN_ID, FORMER_MEMBER, 1)
    two = await feedback.item(world.guild.id, 2)
    assert two.votes == 1 and two.details == f"as @{FORMER_MEMBER} said"
    card = await world.carol.slash(world.general, "feedback show", item=1)
    assert card.response.embeds[0].title.startswith("#1 Python SDK 401")
    card_text = json.dumps(card.response.embeds[0].to_dict())
    assert "a former member" in card_text and "<@0>" not in card_text
    queue = await world.bob.slash(world.general, "officehours queue")
    assert "Where are the SDK docs?" in queue.response.content
    assert "webhook retries" not in queue.response.content
    board = [m for m in places["office"].history() if m.embeds and m.author.bot]
    assert board and "webhook retries" not in json.dumps([e.to_dict() for e in board[0].embeds])
    # Her announcement still goes out on time.
    await env.advance_time(2 * DAY + 10 * 3600)
    posts = [m for m in places["news"].history() if m.author.bot]
    assert [p.content for p in posts] == ["Release day!"]
    assert await find_id(db, world.alice.id) == []
    # Other members keep everything.
    bob = await privacy(bots).collect(world.guild.id, world.bob.id)
    # His own two reports (one captured by her) count as his votes, plus his +1 on #1.
    assert bob.counts()["feedback_votes"] == 3 and bob.counts()["feedback_reported"] == 2


async def test_cancel_erases_nothing(world, bots) -> None:
    await world.bob.send(world.general, "hello")
    r = await world.bob.slash(world.general, "privacy forget")
    before = await find_id(bots.current.db, world.bob.id)
    assert before
    c = await world.bob.click(r.response.message, label="Cancel")
    assert c.response.content == "Cancelled: nothing was erased."
    assert c.response.message.components == []
    assert await find_id(bots.current.db, world.bob.id) == before


async def test_nobody_else_can_confirm_someone_elses_forget(world, bots) -> None:
    env = world.env
    await world.bob.send(world.general, "hello")
    await env.advance_time(10)
    r = await world.bob.slash(world.general, "privacy forget")
    # The prompt is ephemeral: Discord shows it to bob alone.
    with pytest.raises(SetupError, match="not visible"):
        await world.carol.click(r.response.message, label="Erase my data")
    # Even a copy of bob's button somewhere public only refuses others.
    custom_id = r.response.message.components[0].children[0].custom_id
    expires = int(custom_id.rsplit(":", 1)[1])
    view = discord.ui.View()
    view.add_item(ForgetButton(world.bob.id, expires))
    view.add_item(KeepButton(world.bob.id))
    channel = bots.current.get_channel(world.general.id)
    copy = await channel.send("copied", view=view)
    for clicker in (world.carol, world.alice):
        refused = await clicker.click(copy, label="Erase my data")
        assert refused.ephemeral and "belongs to someone else" in refused.response.content
        refused = await clicker.click(copy, label="Cancel")
        assert "belongs to someone else" in refused.response.content
    assert await find_id(bots.current.db, world.bob.id) != []


async def test_confirmation_survives_a_restart_then_expires(world, bots, restart) -> None:
    env = world.env
    await world.bob.send(world.general, "hello")
    await world.carol.send(world.general, "hello")
    await env.advance_time(10)
    r = await world.bob.slash(world.general, "privacy forget")
    late = await world.carol.slash(world.general, "privacy forget")
    await restart()
    done = await world.bob.click(r.response.message, label="Erase my data")
    assert "✅ Done" in done.response.content
    assert await find_id(bots.current.db, world.bob.id) == []
    await env.advance_time(5 * 60 + 1)  # one second past the 5-minute window
    expired = await world.carol.click(late.response.message, label="Erase my data")
    assert expired.ephemeral
    assert "expired, so nothing was erased" in expired.response.content
    assert await find_id(bots.current.db, world.carol.id) != []


async def test_retention_is_for_advocates_and_checks_its_range(world, bots) -> None:
    await make_advocates(world)
    refused = await world.bob.slash(world.general, "privacy retention", days=30)
    assert refused.ephemeral and "Only advocates" in refused.response.content
    shown = await world.bob.slash(world.general, "privacy retention")
    assert "Only advocates" in shown.response.content
    r = await world.alice.slash(world.general, "privacy retention")
    assert "**180 days**" in r.response.content and "No prune has run yet" in r.response.content
    for bad in (0, 29, 3651, -5):
        r = await world.alice.slash(world.general, "privacy retention", days=bad)
        assert r.ephemeral and "30 to 3650 days" in r.response.content
    await ActivityRepository(bots.current.db).add_counts(
        [(world.guild.id, "2025-11-01", 1, 3)],
        [(world.guild.id, "2025-11-01", world.bob.id, 3)],
        [],
    )
    r = await world.admin.slash(world.general, "privacy retention", days=30)
    assert r.response.content.startswith("✅") and "**30 days**" in r.response.content
    assert "Deleted 2 older activity rows just now." in r.response.content
    assert (await privacy(bots).retention(world.guild.id)).days == 30


async def test_daily_prune_deletes_old_activity_and_keeps_newer(world, bots, restart) -> None:
    env = world.env
    await make_advocates(world)
    await world.alice.slash(world.general, "privacy retention", days=30)
    assert bots.current.alarm.names("privacy:") == [PRUNE_JOB]
    repo = ActivityRepository(bots.current.db)
    gid, uid = world.guild.id, world.bob.id
    old = ["2025-12-02", "2025-12-03", "2025-12-04"]
    await repo.add_counts(
        [(gid, d, 1, 4) for d in old],
        [(gid, d, uid, 4) for d in old],
        [(gid, d, 1, 0) for d in old],
    )
    await world.bob.send(world.general, "today's message")
    store = PrivacyRepository(bots.current.db)
    await env.advance_time(9 * 60)  # 00:09 UTC: the prune runs at 00:10
    assert str(await store.oldest_activity_day(gid)) == "2025-12-02"
    await env.advance_time(2 * 60)
    await bots.current.alarm.drain()
    # On 2026-01-01, 30 days are 2025-12-03 .. 2026-01-01.
    assert str(await store.oldest_activity_day(gid)) == "2025-12-03"
    # A restart rebuilds the job; the next day's run moves the window on by a day.
    bot = await restart()
    assert bot.alarm.due_time(PRUNE_JOB).isoformat() == "2026-01-02T00:10:00+00:00"
    await env.advance_time(DAY)
    await bot.alarm.drain()
    days = [d["day"] for d in (await privacy(bots).collect(gid, uid)).activity_days]
    assert days == ["2025-12-04", "2026-01-01"]
    r = await world.alice.slash(world.general, "privacy retention")
    assert "Last pruned" in r.response.content and "(3 rows)" in r.response.content
    assert bot.alarm.due_time(PRUNE_JOB).isoformat() == "2026-01-03T00:10:00+00:00"


async def test_a_member_who_left_can_still_export_and_erase_by_dm(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Rate limits are unclear")
    await world.carol.slash(world.general, "feedback vote", item=1)
    await world.bob.send(world.general, "bye all")
    await env.advance_time(10)
    world.guild.remove_member(world.bob)
    await env.settle()
    user = world.bob.user
    assert {"privacy export", "privacy forget"} <= set(user.available_commands())

    r = await user.slash("privacy export")
    [attachment] = r.response.attachments
    doc = json.loads(await attachment.read())
    assert doc["scope"] == "every server" and doc["user_id"] == user.id
    assert [s["guild_id"] for s in doc["servers"]] == [world.guild.id]
    assert doc["counts"]["feedback_reported"] == 1 and doc["counts"]["activity_days"] == 1

    r = await user.slash("privacy forget")
    assert "in every server" in r.response.content and "feedback votes: 1" in r.response.content
    done = await user.click(r.response.message, label="Erase my data")
    assert "in any server (1 held something)" in done.response.content
    assert await find_id(bots.current.db, user.id) == []
    item = await bots.current.services.feedback.item(world.guild.id, 1)
    assert (item.reporter_name, item.votes) == (FORMER_MEMBER, 1)  # carol's vote stays
    refused = await user.slash("privacy retention")
    assert "only works in a server" in refused.response.content
