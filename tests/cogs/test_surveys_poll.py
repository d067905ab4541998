"""/survey poll: a native Discord poll, and its final counts read when it ends."""

from __future__ import annotations

from tests.conftest import make_advocates

HOUR = 3600


async def test_poll_posts_native_poll_and_stores_final_counts(world, bots, restart) -> None:
    env = world.env
    await make_advocates(world)
    r = await world.alice.slash(
        world.general,
        "survey poll",
        question="Which SDK next?",
        options="Python, Go, Rust",
        duration="2h",
        multi=True,
    )
    assert r.ephemeral and "Poll **#1** posted" in r.response.content, r.response.content
    message = world.general.last_message
    assert message.poll is not None and message.poll.multiple
    assert [a.text for a in message.poll.answers] == ["Python", "Go", "Rust"]
    await world.bob.vote(message, answer=1)
    await world.bob.vote(message, answer=3)
    await world.carol.vote(message, answer=1)
    await world.admin.vote(message, answer=2)
    await world.admin.remove_vote(message, answer=2)
    # Before it ends: no counts yet, even for the advocate.
    early = await world.alice.slash(world.general, "survey results", survey=1)
    assert "final counts show here then" in early.response.embeds[0].description
    # A restart while the poll runs: the read is rebuilt from the database.
    bot = await restart()
    assert bot.alarm.names("survey-poll:") == ["survey-poll:1"]
    await world.carol.vote(message, answer=2)
    await env.advance_time(2 * HOUR + 10)
    await bot.alarm.drain()
    assert await bot.services.surveys.repo.poll_counts(world.guild.id, 1) == [2, 1, 1]
    # Polls' results are public once ended: a member sees them too.
    shown = await world.bob.slash(world.general, "survey results", survey=1)
    text = shown.response.embeds[0].description
    assert "Votes: **4**" in text
    assert "Python: 2" in text and "Go: 1" in text and "Rust: 1" in text
    assert shown.response.attachments  # the chart
    # Votes after the end change nothing Hallway stored.
    assert bot.alarm.names("survey-poll:") == []


async def test_poll_input_is_checked_and_members_are_refused(world, bots) -> None:
    await make_advocates(world)
    g, alice = world.general, world.alice
    refused = await world.bob.slash(g, "survey poll", question="Q?", options="A, B")
    assert refused.ephemeral and "Only advocates" in refused.response.content
    eleven = ", ".join(f"option {i}" for i in range(11))
    cases = {
        eleven: "the most is 10",
        "A, , B": "is empty",
        "A": "at least 2",
    }
    for options, expected in cases.items():
        r = await alice.slash(g, "survey poll", question="Q?", options=options)
        assert r.ephemeral and expected in r.response.content, r.response.content
    r = await alice.slash(g, "survey poll", question="Q?", options="A, B", duration="40d")
    assert "1 hour to 32 days" in r.response.content
    r = await alice.slash(g, "survey poll", question="   ", options="A, B")
    assert "question is empty" in r.response.content
    assert [m for m in g.history() if m.poll is not None] == []
    assert await bots.current.db.fetchval("SELECT count(*) FROM surveys") == 0


async def test_close_ends_a_poll_early_and_keeps_its_counts(world, bots) -> None:
    await make_advocates(world)
    await world.alice.slash(
        world.general, "survey poll", question="Tabs or spaces?", options="Tabs, Spaces"
    )
    message = world.general.last_message
    await world.bob.vote(message, answer=2)
    refused = await world.bob.slash(world.general, "survey close", survey=1)
    assert "Only advocates" in refused.response.content
    r = await world.alice.slash(world.general, "survey close", survey=1)
    assert "Poll **#1** has ended" in r.response.content, r.response.content
    assert any(req.path.endswith(f"/polls/{message.id}/expire") for req in world.env.http_requests)
    assert await bots.current.services.surveys.repo.poll_counts(world.guild.id, 1) == [0, 1]
    assert bots.current.alarm.names("survey-poll:") == []
    again = await world.alice.slash(world.general, "survey close", survey=1)
    assert "already ended" in again.response.content
    # Quick polls are not surveys: no questions, no export, no repeat.
    r = await world.alice.slash(world.general, "survey question", survey=1, kind="nps", prompt="?")
    assert "quick poll" in r.response.content
    r = await world.alice.slash(world.general, "survey export", survey=1, format="csv")
    assert "keep only their counts" in r.response.content
