"""Hallway's composition root: the only place objects are wired together.

``create_bot`` builds everything without touching the network, so tests and
tools can use it. ``main`` is the command line: run the bot, ``--check`` the
setup, or one of the offline tools.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import discord
from discord.ext import commands

from cogs._common import HallwayTree
from cogs.setup import SetupCog
from config.settings import Settings, SettingsError, configure_logging, load_settings
from services.alarm import Alarm
from services.clock import Clock, SystemClock
from services.guild_settings import GuildSettingsService
from storage.database import Database, DatabaseError
from storage.guild_settings import GuildSettingsRepository, MetaRepository

log = logging.getLogger("hallway")

COMMAND_HASH_KEY = "command_tree_hash"


def build_intents() -> discord.Intents:
    """Only what the features use; the README explains each privileged one."""
    intents = discord.Intents.default()
    intents.members = True  # member joins and leaves for community health
    intents.message_content = True  # reaction capture reads the captured message's text
    intents.typing = False
    intents.presences = False
    return intents


@dataclass
class Services:
    guild_settings: GuildSettingsService
    # Each feature's service is set by its wire_* method in setup_hook.
    office_hours: Any = None
    feedback: Any = None
    announcements: Any = None
    digest: Any = None


class HallwayBot(commands.Bot):
    def __init__(self, settings: Settings, clock: Clock) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=build_intents(),
            tree_cls=HallwayTree,
            # Nothing the bot posts pings anyone unless a feature opts in.
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.clock = clock
        self.db = Database(settings.database)
        self.alarm = Alarm(clock, on_error=self._job_failed)
        self.unexpected_errors: list[BaseException] = []
        self._services: Services | None = None
        self.synced_commands = False

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are built in setup_hook")
        return self._services

    def record_unexpected_error(self, error: BaseException) -> None:
        self.unexpected_errors.append(error)

    def _job_failed(self, name: str, error: BaseException) -> None:
        self.unexpected_errors.append(error)

    def build_services(self) -> Services:
        settings_repo = GuildSettingsRepository(self.db)
        return Services(
            guild_settings=GuildSettingsService(settings_repo, self.clock, self.settings.timezone),
        )

    async def setup_hook(self) -> None:
        await self.db.open()
        await self.db.migrate()
        self._services = self.build_services()
        await self.add_cog(SetupCog(self.services.guild_settings))
        await self.wire_office_hours()
        await self.wire_feedback()
        await self.wire_announcements()
        await self.wire_digest()
        self.alarm.start()
        await self.sync_commands_if_changed()

    # Each wire_* builds one feature: its repository and service (stored on
    # self.services), its cog, its persistent DynamicItems, and its alarm jobs
    # rebuilt from the database.

    async def wire_office_hours(self) -> None:
        pass

    async def wire_feedback(self) -> None:
        pass

    async def wire_announcements(self) -> None:
        pass

    async def wire_digest(self) -> None:
        pass

    def command_tree_hash(self) -> str:
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands()]
        payload.sort(key=lambda c: (c.get("type", 1), c["name"]))
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    async def sync_commands_if_changed(self) -> None:
        if self.settings.dev_guild_id is not None:
            guild = discord.Object(id=self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
            log.info("Synced commands to the dev guild %s", self.settings.dev_guild_id)
            self.synced_commands = True
            return
        meta = MetaRepository(self.db)
        current = self.command_tree_hash()
        if await meta.get(COMMAND_HASH_KEY) == current:
            return
        await self.tree.sync()
        await meta.set(COMMAND_HASH_KEY, current)
        self.synced_commands = True
        log.info("Command tree changed: synced global commands")

    async def close(self) -> None:
        await self.alarm.stop()
        await self.db.close()
        await super().close()


def create_bot(settings: Settings, *, clock: Clock | None = None) -> HallwayBot:
    """Build the bot without opening any connection."""
    return HallwayBot(settings, clock or SystemClock())


async def check(settings: Settings) -> list[str]:
    """Validate the database: migrations and integrity. Returns problems."""
    db = Database(settings.database)
    try:
        await db.open()
        version = await db.migrate()
        result = await db.integrity_check()
    except DatabaseError as exc:
        return [str(exc)]
    finally:
        await db.close()
    if result != ["ok"]:
        return [f"integrity_check failed for {settings.database}: {'; '.join(result[:5])}"]
    print(f"OK: settings valid; {settings.database} at schema version {version}; integrity ok")
    return []


async def serve(settings: Settings) -> None:
    token = settings.require_token()
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
    async with bot:
        await bot.start(token)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python bot.py", description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="validate settings and database, then exit"
    )
    return parser


def main(argv: Sequence[str] | None = None, environ: dict[str, Any] | None = None) -> int:
    import os

    from dotenv import load_dotenv

    args = _parser().parse_args(argv)
    if environ is None:
        load_dotenv()
        environ = dict(os.environ)
    try:
        settings = load_settings(environ)
        configure_logging(settings.log_level)
        if args.check:
            settings.require_token()
            problems = asyncio.run(check(settings))
        else:
            asyncio.run(serve(settings))
            problems = []
    except SettingsError as exc:
        problems = exc.problems
    except DatabaseError as exc:
        problems = [str(exc)]
    except discord.LoginFailure:
        problems = ["DISCORD_TOKEN was rejected by Discord: copy a fresh token from the portal"]
    except discord.PrivilegedIntentsRequired:
        problems = [
            "Discord refused the Server Members or Message Content intent: turn both on "
            "under Bot > Privileged Gateway Intents in the developer portal"
        ]
    if problems:
        print(f"hallway: {'; '.join(problems)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
