"""Network faults while the calls jobs post: the host's 24-hour notice (a DM, through the
advocate inbox), the recap of /calls notes (the thread it opens, then the post) and the
call's Discord event. With no restart, each must post exactly once and be recorded.
"""

from __future__ import annotations

import pytest

from tests.cogs.test_calls import add_slot, create_series
from tests.cogs.test_calls_hosting import calls_of, dms, events
from tests.conftest import bot_posts
from tests.reliability._helpers import NetworkFaults

HOUR = 3600
DAY = 24 * HOUR

BOTH_MODES = pytest.mark.parametrize("when", ["before", "after"])
BOTH_ERRORS = pytest.mark.parametrize("error", ["disconnect", "timeout"])


@BOTH_MODES
@BOTH_ERRORS
async def test_the_host_notice_is_sent_once_through_a_network_fault(
    world, bots, when, error
) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    await world.alice.slash(world.general, "calls host", series="Community call", slot="EMEA")
    # The call is Wednesday 7 January 14:00 UTC; the notice is due Tuesday 14:00.
    await world.env.advance_time(5 * DAY + 13 * HOUR)
    faults = NetworkFaults(bots.current)
    faults.drop("POST", "/channels/*/messages", when=when, error=error)
    await world.env.advance_time(2 * HOUR)
    await world.env.advance_time(60)  # the back-off passes
    assert [(m, w) for m, _, w in faults.raised] == [("POST", when)]
    assert len([m for m in dms(world.alice) if "You host" in m]) == 1
    (call,) = await calls_of(bots, world)
    assert call.notice_sent_at is not None


async def write_recap(world, bots):
    await create_series(world)
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    # After APAC's call of 7 January (02:00 UTC).
    await world.env.advance_time(6 * DAY + 3 * HOUR)
    apac = next(c for c in await calls_of(bots, world) if c.slot_name == "APAC")
    shown = await world.alice.slash(world.general, "calls notes", occurrence=apac.id)
    assert shown.modal is not None
    return apac, shown


def recap_posts(world) -> list:
    threads = [t for t in world.general.threads if "recaps" in t.name]
    return [m for t in threads for m in bot_posts(t) if "Recap" in m.content]


@BOTH_MODES
@BOTH_ERRORS
async def test_the_recap_is_posted_once_through_a_network_fault(world, bots, when, error) -> None:
    apac, shown = await write_recap(world, bots)
    faults = NetworkFaults(bots.current)
    faults.drop("POST", "/channels/*/messages", when=when, error=error)
    r = await world.alice.submit_modal(
        shown, {"summary": "We went through the release.", "decisions": "Ship in March"}
    )
    await world.env.advance_time(60)
    assert [(m, w) for m, _, w in faults.raised] == [("POST", when)]
    assert "Posted the recap" in r.response.content
    [post] = recap_posts(world)
    assert "We went through the release." in post.content
    call = next(c for c in await calls_of(bots, world) if c.id == apac.id)
    assert call.notes_message_id == post.id
    # The decision went to the other region once, not once per try.
    r = await world.bob.slash(world.general, "calls agenda-list", series="Community call")
    assert r.response.content.count("Decided in APAC: Ship in March") == 1


@BOTH_MODES
@BOTH_ERRORS
async def test_the_recap_thread_is_opened_once_through_a_network_fault(
    world, bots, when, error
) -> None:
    _, shown = await write_recap(world, bots)
    faults = NetworkFaults(bots.current)
    faults.drop("POST", "/channels/*/threads", when=when, error=error)
    r = await world.alice.submit_modal(shown, {"summary": "Short call."})
    await world.env.advance_time(60)
    assert [(m, w) for m, _, w in faults.raised] == [("POST", when)]
    assert "Posted the recap" in r.response.content
    assert len([t for t in world.general.threads if "recaps" in t.name]) == 1
    assert len(recap_posts(world)) == 1


async def test_a_recap_that_keeps_failing_is_kept_retried_and_reported(world, bots) -> None:
    _, shown = await write_recap(world, bots)
    faults = NetworkFaults(bots.current)
    # Every try of the first round fails (the first post and its two resends).
    faults.drop("POST", "/channels/*/messages", when="before", times=3)
    r = await world.alice.submit_modal(shown, {"summary": "Short call."})
    await world.env.advance_time(40)  # the 5 s and 30 s back-offs pass
    assert "I'll keep trying" in r.response.content
    assert recap_posts(world) == []
    again = await world.alice.slash(world.general, "calls notes", occurrence=1)
    assert "already written" in again.response.content
    await world.env.advance_time(11 * 60)  # the retry 10 minutes later succeeds
    assert len(recap_posts(world)) == 1


async def test_a_recap_claimed_before_a_restart_is_posted_once_after_it(
    world, bots, restart
) -> None:
    apac, shown = await write_recap(world, bots)
    faults = NetworkFaults(bots.current)
    faults.drop("POST", "/channels/*/messages", when="before", times=3)
    r = await world.alice.submit_modal(shown, {"summary": "Short call."})
    await world.env.advance_time(40)  # the 5 s and 30 s back-offs pass
    assert "I'll keep trying" in r.response.content
    assert recap_posts(world) == []
    await restart()  # before the retry 10 minutes later: start-up posts it
    await world.env.advance_time(60)
    assert len(recap_posts(world)) == 1
    call = next(c for c in await calls_of(bots, world) if c.id == apac.id)
    assert call.notes_message_id == recap_posts(world)[0].id


@BOTH_MODES
@BOTH_ERRORS
async def test_the_calls_event_is_created_once_through_a_network_fault(
    world, bots, when, error
) -> None:
    await create_series(world)
    faults = NetworkFaults(bots.current)
    faults.drop("POST", "/guilds/*/scheduled-events", when=when, error=error)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    await world.env.advance_time(60)
    assert [(m, w) for m, _, w in faults.raised] == [("POST", when)]
    assert len(events(world)) == 1
