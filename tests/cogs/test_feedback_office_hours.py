"""The office-hours capture path, end to end through the real "Convert to feedback" button."""

from __future__ import annotations

from tests.cogs.test_office_hours import start_with_queue
from tests.conftest import card_in


async def test_convert_to_feedback_creates_a_tagged_item_and_forum_post(world, bots) -> None:
    env = world.env
    forum = world.guild.create_forum_channel("feedback")
    await env.settle()
    office, _ = await start_with_queue(world, bots, askers=[world.bob])
    await world.alice.slash(world.general, "setup channel", kind="feedback", channel=forum)
    await world.alice.slash(world.general, "officehours next")
    [thread] = office.threads
    r = await world.alice.click(card_in(thread), label="Convert to feedback")
    assert "Saved as feedback **#1**" in r.response.content
    assert "Tags:" in r.response.content and "Captured by <@" in r.response.content
    item = await bots.current.services.feedback.item(world.guild.id, 1)
    assert item.source == "office-hours"
    assert item.reporter_id == world.bob.id and item.reporter_name == "bob"
    assert item.captured_by_id == world.alice.id
    assert item.details.startswith("Question 1 from bob")
    assert item.forum_thread_id is not None  # the forum hears about it too
    card = await world.carol.slash(world.general, "feedback show", item=1)
    assert card.response.embeds[0].footer.text == "Captured via office-hours"


async def test_convert_to_feedback_lists_similar_open_items_in_the_thread(world, bots) -> None:
    await bots.current.services.feedback.capture(
        guild_id=world.guild.id,
        source="command",
        reporter_id=world.carol.id,
        reporter_name="carol",
        captured_by_id=world.carol.id,
        summary="Question 1 from bob",
        details="Question 1 from bob",
    )
    office, _ = await start_with_queue(world, bots, askers=[world.bob])
    await world.alice.slash(world.general, "officehours next")
    [thread] = office.threads
    r = await world.alice.click(card_in(thread), label="Convert to feedback")
    assert not r.ephemeral  # the thread sees it
    assert "Saved as feedback **#2**" in r.response.content
    assert (
        "Similar open items:" in r.response.content
        and "#1 Question 1 from bob" in r.response.content
    )
    button = r.response.message.components[0].children[0]
    assert button.custom_id == "hallway:feedback:dup:2:1"
    folded = await world.alice.click(r.response.message, custom_id="hallway:feedback:dup:2:1")
    assert "#1" in folded.response.content
    assert (await bots.current.services.feedback.item(world.guild.id, 2)).status == "duplicate"
