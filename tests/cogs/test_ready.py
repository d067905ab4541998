"""What the bot does once Discord says it is ready."""

from __future__ import annotations

import gc


def _is_collected_over(obj: object) -> bool:
    """Whether the collector's passes still walk ``obj`` (frozen objects are not listed)."""
    return any(o is obj for o in gc.get_objects())


async def test_ready_keeps_the_start_up_caches_out_of_the_collectors_passes(world, restart) -> None:
    """At 2,500 guilds a full collection over the caches stopped the loop for ~340 ms; the
    caches built at start-up are frozen when the bot is ready, and what comes later is
    still collected."""
    gc.unfreeze()
    bot = await restart()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    assert gc.get_freeze_count() > 0
    assert not _is_collected_over(guild)
    later: list[object] = [object()]
    assert _is_collected_over(later)
