"""The one error path: user errors answer privately, surprises get a reference id."""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_advocates


async def test_unexpected_error_is_logged_with_a_reference_the_user_sees(
    world, bots, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await make_advocates(world)
    service = bots.current.services.guild_settings

    async def broken(guild_id: int):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "config", broken)
    result = await world.alice.slash(world.general, "setup show")
    assert result.ephemeral
    match = re.search(r"Something went wrong \(ref `([0-9a-f]{6})`\)", result.response.content)
    assert match, result.response.content
    assert "disk on fire" not in result.response.content
    assert any(match.group(1) in r.getMessage() and r.exc_info for r in caplog.records)
    # Recorded for the test harness; clear it, since this one was on purpose.
    assert [str(e) for e in bots.current.unexpected_errors] == ["disk on fire"]
    bots.current.unexpected_errors.clear()
    world.env.errors  # noqa: B018 - acknowledges what SimCord recorded


async def test_error_after_the_interaction_was_answered_goes_to_a_followup(
    world, bots, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A handler that already deferred still gets its error shown, as a followup."""
    from services.errors import InvalidInput

    await make_advocates(world)
    cog = bots.current.get_cog("SetupCog")

    async def defer_then_fail(interaction, config, note):
        await interaction.response.defer(ephemeral=True)
        raise InvalidInput("That emoji is already in use.")

    monkeypatch.setattr(cog, "_show", defer_then_fail)
    result = await world.alice.slash(world.general, "setup capture-emoji", emoji="🔥")
    assert result.ephemeral
    assert result.response.content == "That emoji is already in use."
