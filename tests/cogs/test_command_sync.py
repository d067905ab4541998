"""Commands sync only when the tree changed, or always to the dev guild."""

from __future__ import annotations

from pathlib import Path

from simcord import Env

from bot import create_bot
from tests.conftest import SimClock, make_settings

DEV_GUILD = 1456074443980812345


async def test_dev_guild_gets_commands_at_every_start(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, HALLWAY_DEV_GUILD_ID=str(DEV_GUILD))
    bot = create_bot(settings, clock=SimClock())
    env = Env(bot)
    guild = env.create_guild("Dev", id=DEV_GUILD)
    await env.start()
    try:
        general = guild.create_text_channel("general")
        admin = guild.add_member(env.create_user("owner"))
        await env.settle()
        assert bot.synced_commands
        syncs = [r for r in env.http_requests if r.method == "PUT" and "/commands" in r.path]
        assert any(f"/guilds/{DEV_GUILD}/commands" in r.path for r in syncs)
        assert not any(r.path.endswith("/commands") and "/guilds/" not in r.path for r in syncs)
        result = await admin.slash(general, "setup show")
        assert "Only advocates" in result.response.content
    finally:
        await env.shutdown()
        await bot.close()


async def test_global_sync_happens_once_per_tree_change(world, bots, restart) -> None:
    first = bots.current
    assert first.synced_commands  # fresh database: nothing synced yet
    first_hash = first.command_tree_hash()
    second = await restart()
    assert not second.synced_commands  # same tree, same hash: no sync
    assert second.command_tree_hash() == first_hash


async def test_a_changed_tree_is_synced_again(world, bots, restart) -> None:
    from storage.guild_settings import COMMAND_HASH_KEY, MetaRepository

    # What an upgrade that adds a command looks like: the stored hash no longer matches.
    await MetaRepository(bots.current.db).set(COMMAND_HASH_KEY, "hash-of-an-older-release")
    second = await restart()
    assert second.synced_commands
    assert await MetaRepository(second.db).get(COMMAND_HASH_KEY) == second.command_tree_hash()
