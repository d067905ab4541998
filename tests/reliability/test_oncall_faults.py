"""Faults during the on-call handoff (the alarm that moves the role and posts the note):
a 500 on the note, a 403 on the role move, and dropped connections before and after
Discord acted. Each time: the note is posted once, the role moved once, no restart.

The rotation (tests/cogs/test_oncall.py) is alice, dave, erin, daily at 09:00 UTC;
SimCord starts Thursday 1 January 2026 00:00, so dave takes over at 09:00.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.cogs.test_oncall import advance_to, holders, notes, rotation
from tests.reliability._helpers import NetworkFaults

HANDOFF = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
ROLE_PATH = "/guilds/*/members/*/roles/*"


def role_calls(env, role, method: str) -> int:
    return sum(
        1
        for r in env.http_requests
        if r.method == method and r.path.endswith(f"/roles/{role.id}") and "/members/" in r.path
    )


async def before_handoff(world):
    role, channel, dave, _ = await rotation(world)
    await advance_to(world.env, datetime(2026, 1, 1, 8, 59, 50, tzinfo=UTC))
    assert len(notes(channel)) == 1 and holders(world, role) == ["alice"]
    return role, channel, dave


async def after_handoff(world) -> None:
    await world.env.advance_time(20)
    await world.env.advance_time(60)  # the retry policy's 5 s and 30 s waits
    await world.env.settle()


async def test_a_500_on_the_note_posts_it_once(world) -> None:
    env = world.env
    role, channel, dave = await before_handoff(world)
    adds, removes = role_calls(env, role, "PUT"), role_calls(env, role, "DELETE")
    env.inject_error("POST", f"/channels/{channel.id}/messages", status=500, times=1)
    await after_handoff(world)
    assert len(notes(channel)) == 2 and dave.mention in notes(channel)[-1]
    assert holders(world, role) == ["dave"]
    assert role_calls(env, role, "PUT") == adds + 1
    assert role_calls(env, role, "DELETE") == removes + 1
    await env.advance_time(3600)
    assert len(notes(channel)) == 2


async def test_a_403_on_the_role_move_is_explained_in_the_note(world) -> None:
    env = world.env
    _, channel, dave = await before_handoff(world)
    env.inject_error("DELETE", ROLE_PATH, status=403, times=1)
    await after_handoff(world)
    [*_, note] = notes(channel)
    assert len(notes(channel)) == 2 and dave.mention in note
    assert "Manage Roles" in note and "Server Settings → Roles" in note, note
    await env.advance_time(3600)
    assert len(notes(channel)) == 2
    env.errors.clear()


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("error", ["disconnect", "timeout"])
@pytest.mark.parametrize("target", ["note", "role"])
async def test_a_dropped_connection_during_the_handoff(world, bots, when, error, target) -> None:
    env = world.env
    role, channel, dave = await before_handoff(world)
    adds = role_calls(env, role, "PUT")
    faults = NetworkFaults(bots.current)
    if target == "note":
        faults.drop("POST", f"/channels/{channel.id}/messages", when=when, error=error)
    else:
        faults.drop("PUT", ROLE_PATH, when=when, error=error)
    await after_handoff(world)
    assert [f[2] for f in faults.raised] == [when]
    assert len(notes(channel)) == 2 and dave.mention in notes(channel)[-1]
    assert holders(world, role) == ["dave"]
    # Reached Discord once per attempt: a lost reply ("after") still moved it once.
    # SimCord sees a call dropped "before" not at all; one dropped "after" it did.
    twice = target == "role" and when == "after"
    assert role_calls(env, role, "PUT") == adds + (2 if twice else 1)
    await env.advance_time(3600)
    assert len(notes(channel)) == 2
