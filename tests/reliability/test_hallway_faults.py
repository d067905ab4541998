"""The hallway track's posting jobs through HTTP errors and network faults, with no restart.

A round makes a private thread and an intro per group and DMs whoever sits out; a few days
later a "did you meet?" follow-up goes in each thread. Each of these survives a 500, a
dropped connection and a timeout (before Discord did it, or after with the reply lost)
and is made exactly once: no second thread, intro, DM or follow-up.
"""

from __future__ import annotations

import pytest

from tests.cogs.test_hallway import (
    bot_messages,
    dms,
    everyone_joins,
    hallway,
    run_round,
    setup_hallway,
    thread_requests,
)
from tests.reliability._helpers import NetworkFaults

DAY = 24 * 3600
# An HTTP error Discord answers, then the two network faults at both moments.
FAULTS = pytest.mark.parametrize(
    "fault",
    ["http-500", "before-disconnect", "after-disconnect", "before-timeout", "after-timeout"],
)


def inject(world, bots, method: str, path: str, fault: str) -> NetworkFaults | None:
    """Make the next ``method`` on ``path`` fail as ``fault`` says."""
    if fault == "http-500":
        world.env.inject_error(method, path, status=500, times=1)
        return None
    when, error = fault.split("-")
    faults = NetworkFaults(bots.current)
    faults.drop(method, path, when=when, error=error)
    return faults


def fired(faults: NetworkFaults | None, count: int = 1) -> None:
    if faults is not None:
        assert len(faults.raised) == count, faults.raised


async def settle_retries(world, bots) -> None:
    # Past the retry policy's back-off (5 s, 30 s) and the round's own 10-minute retry.
    # Virtual time moves first: a drain while a job sleeps in its back-off would wait for
    # it in real time (5 s a test).
    for _ in range(3):
        await world.env.advance_time(6 * 60)
        await bots.current.alarm.drain()


async def run_round_through_fault(world, bots) -> None:
    """/hallway run, and its job through the fault and its retries."""
    r = await world.alice.slash(world.general, "hallway run")
    assert r.ephemeral, r
    await settle_retries(world, bots)


async def pair_round(world, bots):
    hall = await setup_hallway(world)
    await everyone_joins(world, [world.bob, world.carol])
    return hall


async def assert_one_group_done(world, bots, hall) -> None:
    [thread] = hall.threads
    assert {world.bob.id, world.carol.id} <= set(thread._channel.thread_members)
    [intro] = bot_messages(thread)
    assert f"<@{world.bob.id}>" in intro.content and f"<@{world.carol.id}>" in intro.content
    [group] = await hallway(bots).round_groups(1)
    assert (group.status, group.thread_id) == ("created", thread.id)
    done = await hallway(bots).repo.get_round(group.round_id)
    assert done.status == "done"


@FAULTS
async def test_a_round_makes_one_thread_through_a_fault(world, bots, fault) -> None:
    hall = await pair_round(world, bots)
    faults = inject(world, bots, "POST", f"/channels/{hall.id}/threads", fault)
    await run_round_through_fault(world, bots)
    fired(faults)
    await assert_one_group_done(world, bots, hall)
    # Discord saw the refused try of a 500; a lost reply is looked for, not made again.
    assert len(thread_requests(world.env)) == (2 if fault == "http-500" else 1)


@FAULTS
async def test_a_round_sends_one_intro_through_a_fault(world, bots, fault) -> None:
    hall = await pair_round(world, bots)
    # The round's first message is the intro in the new thread.
    faults = inject(world, bots, "POST", "/channels/*/messages", fault)
    await run_round_through_fault(world, bots)
    fired(faults)
    await assert_one_group_done(world, bots, hall)
    assert len(thread_requests(world.env)) == 1


@FAULTS
async def test_the_sit_out_dm_is_sent_once_through_a_fault(world, bots, fault) -> None:
    hall = await setup_hallway(world)
    members = [world.bob, world.carol, world.admin]
    await everyone_joins(world, members)
    # Open the DM channels now so each DM's path is known before the round picks who sits out.
    paths = []
    for member in members:
        dm = await bots.current.get_user(member.id).create_dm()
        paths.append(f"/channels/{dm.id}/messages")
    faults = [inject(world, bots, "POST", path, fault) for path in paths]
    await run_round_through_fault(world, bots)
    if fault != "http-500":
        assert sum(len(f.raised) for f in faults) == 1
    [thread] = hall.threads
    [out] = [m for m in members if m.id not in thread._channel.thread_members]
    told = [m.content for m in dms(out) if "sit out" in m.content]
    assert len(told) == 1, told
    [group] = await hallway(bots).round_groups(1)
    assert (await hallway(bots).repo.get_round(group.round_id)).status == "done"
    assert await hallway(bots).sitouts(group.round_id) == []  # recorded as told
    for other in members:
        if other is not out:
            assert not any("sit out" in m.content for m in dms(other))


@FAULTS
async def test_the_follow_up_is_sent_once_through_a_fault(world, bots, fault) -> None:
    env = world.env
    hall = await pair_round(world, bots)
    await run_round(world, bots)
    [thread] = hall.threads
    faults = inject(world, bots, "POST", f"/channels/{thread.id}/messages", fault)
    await env.advance_time(4 * DAY)
    await settle_retries(world, bots)
    fired(faults)
    followups = [m for m in bot_messages(thread) if "Did you meet?" in m.content]
    assert len(followups) == 1
    [group] = await hallway(bots).round_groups(1)
    assert group.followup_message_id == followups[0].id
    await env.advance_time(3 * DAY)
    assert len([m for m in bot_messages(thread) if "Did you meet?" in m.content]) == 1
