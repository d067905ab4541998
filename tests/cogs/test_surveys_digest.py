"""Surveys in the weekly digest: closed ones with their headline and change, open ones."""

from __future__ import annotations

from tests.cogs.test_surveys import answered_round, build_survey, open_survey
from tests.conftest import make_advocates

DAY = 24 * 3600


async def test_digest_lists_closed_surveys_with_change_and_open_ones(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    # Round 1: 3 promoters, 1 passive, 1 detractor = 40; round 2: 80 - 20 = 60.
    first = await build_survey(world, anonymous=True)
    await answered_round(world, first, [10, 9, 9, 8, 3])
    await world.alice.slash(world.general, "survey repeat", survey=first)
    await answered_round(world, 2, [10, 10, 9, 9, 0])
    # An anonymous survey with too few responses gives no headline in the digest either.
    small = await build_survey(world, anonymous=True)
    await answered_round(world, small, [10, 10])
    still_open = await build_survey(world, anonymous=False, closes="in 10 days")
    card = await open_survey(world, still_open)
    taken = await world.bob.click(card, custom_id=f"hallway:survey:take:{still_open}")
    assert taken.ephemeral
    await world.alice.slash(
        world.general, "survey poll", question="Best SDK?", options="Python, Go", duration="1d"
    )
    poll = world.general.last_message
    await world.bob.vote(poll, answer=2)
    # The by-hand window is the 7×24 hours up to and including now, so it leaves out
    # what happened exactly 7×24 hours ago: look a little before that edge.
    await env.advance_time(7 * DAY - 60)
    await bots.current.alarm.drain()
    digest = await bots.current.services.digest.build_week(world.guild.id, chart=False)
    [section] = [s for s in digest.sections if s.key == "surveys"]
    text = section.text()
    assert "**Release 2.0 pulse** — NPS 60 (NPS 40 → 60 (+20)) · 5 responses" in text, text
    assert "**Release 2.0 pulse** — NPS 40 · 5 responses" in text
    assert "**Release 2.0 pulse** · 2 responses" in text  # the small anonymous one
    assert "**Best SDK?** — top answer: Go · 1 vote" in text
    assert "Open:" in text and "0 responses so far, closes <t:" in text
