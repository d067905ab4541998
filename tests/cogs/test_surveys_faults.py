"""Survey jobs through Discord faults: the closed card and a poll's counts, each once."""

from __future__ import annotations

import pytest

from tests.cogs.test_surveys import build_survey, fresh, open_survey
from tests.conftest import make_advocates
from tests.reliability._helpers import NetworkFaults

HOUR = 3600
BOTH_MODES = pytest.mark.parametrize("when", ["before", "after"])
BOTH_ERRORS = pytest.mark.parametrize("error", ["disconnect", "timeout"])


@BOTH_MODES
@BOTH_ERRORS
async def test_the_close_redraws_the_card_through_a_dropped_connection(
    world, bots, when, error
) -> None:
    env = world.env
    await make_advocates(world)
    survey = await build_survey(world, anonymous=True, closes="in 1 hour")
    card = await open_survey(world, survey)
    faults = NetworkFaults(bots.current)
    faults.drop("PATCH", "/channels/*/messages/*", when=when, error=error)
    await env.advance_time(HOUR + 1)
    await env.advance_time(60)  # the 5 s back-off passes
    await bots.current.alarm.drain()
    assert faults.raised == [("PATCH", f"/channels/{world.general.id}/messages/{card.id}", when)]
    found = await bots.current.services.surveys.get(world.guild.id, survey)
    assert found.status == "closed" and found.card_closed and found.secret is None
    [button] = fresh(world.general, card.id).components[0].children
    assert button.disabled and button.label == "Survey closed"


async def test_discord_failing_every_try_redraws_the_card_later(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False, closes="in 1 hour")
    card = await open_survey(world, survey)
    env.inject_error("PATCH", "/channels/*/messages/*", status=500, times=3)
    await env.advance_time(HOUR + 60)
    await bots.current.alarm.drain()
    found = await bots.current.services.surveys.get(world.guild.id, survey)
    assert found.status == "closed" and not found.card_closed  # closed, card not yet redrawn
    await env.advance_time(2 * 60)  # the job's retry a minute later
    await bots.current.alarm.drain()
    assert (await bots.current.services.surveys.get(world.guild.id, survey)).card_closed
    assert fresh(world.general, card.id).components[0].children[0].disabled


@BOTH_MODES
async def test_a_poll_is_read_through_a_dropped_connection(world, bots, when) -> None:
    env = world.env
    await make_advocates(world)
    await world.alice.slash(
        world.general, "survey poll", question="Docs or SDK?", options="Docs, SDK", duration="1h"
    )
    message = world.general.last_message
    await world.bob.vote(message, answer=1)
    faults = NetworkFaults(bots.current)
    faults.drop("GET", "/channels/*/messages/*", when=when, error="timeout")
    await env.advance_time(HOUR + 10)
    await env.advance_time(60)
    await bots.current.alarm.drain()
    assert len(faults.raised) == 1
    assert await bots.current.services.surveys.repo.poll_counts(world.guild.id, 1) == [1, 0]


async def test_a_card_or_poll_discord_refused_leaves_nothing_half_open(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    survey = await build_survey(world, anonymous=True)
    env.inject_error("POST", "/channels/*/messages", status=403, times=1)
    r = await world.alice.slash(world.general, "survey open", survey=survey)
    assert r.ephemeral and "missing a permission" in r.response.content, r.response.content
    found = await bots.current.services.surveys.get(world.guild.id, survey)
    assert (found.status, found.secret) == ("draft", None)
    await open_survey(world, survey)  # it can be opened once Discord lets it
    env.inject_error("POST", "/channels/*/messages", status=403, times=1)
    r = await world.alice.slash(world.general, "survey poll", question="Q?", options="A, B")
    assert "missing a permission" in r.response.content
    assert await bots.current.db.fetchval("SELECT count(*) FROM surveys WHERE kind = 'poll'") == 0
    assert bots.current.alarm.names("survey-poll:") == []
    # Reading SimCord's record acknowledges the two refusals the bot answered on purpose.
    assert [type(getattr(e, "original", e)).__name__ for e in env.errors] == ["Forbidden"] * 2
