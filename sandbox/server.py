"""`python bot.py --sandbox`: the real bot in SimCord's simulated Discord, in a browser.

No token and no network: SimCord runs discord.py's own code against an
in-memory Discord, and its preview serves that Discord on 127.0.0.1. The demo
server and its seeded week are in sandbox/seed.py; this module starts the bot,
drives /sandbox and serves the preview.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sandbox.preview_fixes import (
    answer_user_errors_quietly,
    fall_back_to_general,
    keep_links_local,
    keep_the_clock_still,
    point_page,
    render_embed_mentions,
    showable_places,
)
from sandbox.seed import TIMEZONE, World, build_world, post_clock, post_guide, seed_week

if TYPE_CHECKING:
    from simcord import Env
    from simcord.builders import ChannelHandle, GuildHandle
    from simcord.preview import Preview

    from bot import HallwayBot

    BotFactory = Callable[..., HallwayBot]

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install -e '.[sandbox]'"
# simcord itself plus what its preview imports when it starts serving.
PREVIEW_MODULES = ("simcord", "aiohttp", "markdown_it", "linkify_it", "regex", "PIL")


class SandboxUnavailable(Exception):
    """The preview extra is not installed; the message is one line saying what to run."""


def missing_preview_modules() -> list[str]:
    missing = []
    for name in PREVIEW_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def require_preview() -> None:
    """Raise SandboxUnavailable with one clear line if SimCord's preview can't run."""
    missing = missing_preview_modules()
    if missing:
        raise SandboxUnavailable(
            f"the sandbox needs SimCord's preview ({', '.join(missing)} missing): "
            f"run `{INSTALL_HINT}` in the repository, then `python bot.py --sandbox` again"
        )


class VirtualClock:
    """Hallway's clock in the sandbox: SimCord's virtual time, which /sandbox advance moves."""

    def __init__(self) -> None:
        self.env: Env | None = None

    def now(self) -> datetime:
        if self.env is None:
            raise RuntimeError("the sandbox clock is read before SimCord's Env exists")
        return self.env.now()


@dataclass
class Sandbox:
    """A running sandbox: what tests and the command line need to reach."""

    env: Env
    bot: HallwayBot
    world: World
    preview: Preview
    database: Path
    driver: Driver
    seed_failures: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.preview.url


async def _reset_command_hash(database: Path) -> None:
    """Every sandbox is a fresh simulated Discord, so the bot must sync its commands."""
    from storage.database import Database
    from storage.guild_settings import COMMAND_HASH_KEY, MetaRepository

    async with Database(database) as db:
        await db.migrate()
        await MetaRepository(db).set(COMMAND_HASH_KEY, "sandbox: sync on start")


class Driver:
    """Runs what /sandbox asks for (moving the clock, switching channel) outside the bot.

    SimCord refuses to move its clock from inside the bot's own work, and the
    command's interaction must settle first, so commands only queue a job here.
    """

    def __init__(self, sandbox_env: Env) -> None:
        self.env = sandbox_env
        self.preview: Preview | None = None
        self.guild: GuildHandle | None = None
        self.world: World | None = None
        self.jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self.busy = False

    def _queue(self, job: Callable[[], Awaitable[None]]) -> bool:
        if self.busy:
            return False
        self.busy = True
        self.jobs.put_nowait(job)
        return True

    def advance(self, seconds: float, channel_id: int | None = None) -> bool:
        return self._queue(lambda: self._advance(seconds, channel_id))

    def show(self, channel_id: int) -> bool:
        return self._queue(lambda: self._show(channel_id))

    def places(self, user_id: int) -> list[tuple[int, str]]:
        """What /sandbox show can open for this member: channels, threads, forum posts."""
        preview, world = self.preview, self.world
        if preview is None or world is None:
            return []
        viewer = next((v for v in (world.you, *world.developers) if v.id == user_id), None)
        if viewer is None:
            return []
        return showable_places(preview, world.guild.id, viewer)

    async def run(self) -> None:
        while True:
            job = await self.jobs.get()
            try:
                await job()
            except Exception:
                log.exception("A /sandbox job failed")
            finally:
                self.busy = False

    async def _when_idle(self, operation: Callable[[], Awaitable[None]]) -> None:
        from simcord import SetupError

        while True:
            try:
                await operation()
                return
            except SetupError as exc:
                # The /sandbox interaction (or another page's action) is still running.
                if "overlaps" not in str(exc):
                    raise
                await asyncio.sleep(0.05)

    async def _advance(self, seconds: float, channel_id: int | None) -> None:
        await self._when_idle(lambda: self.env.advance_time(seconds))
        if self.world is not None:
            # The reply was sent before the clock moved; this says where it stopped.
            try:
                await post_clock(self.world, self.env.now(), channel_id)
            except Exception:
                log.exception("Could not post the sandbox clock")
        if self.preview is not None:
            await self._when_idle(self.preview.refresh)

    async def _show(self, channel_id: int) -> None:
        preview = self.preview
        if preview is None:
            return
        await self._when_idle(preview.refresh)
        self.show_now(channel_id)

    def show_now(self, channel_id: int) -> bool:
        """Switch every page to a channel, thread or forum post; False if there is none."""
        preview, guild = self.preview, self.guild
        if preview is None or guild is None:
            return False
        channel = channel_handle(self.env, guild, channel_id)
        if channel is None:
            return False
        show_channel(preview, channel)
        return True


def channel_handle(env: Env, guild: GuildHandle, channel_id: int) -> ChannelHandle | None:
    """A handle for any channel of the guild, threads and forum posts included."""
    from simcord.builders import ChannelHandle

    stored = env.backend.channels.get(channel_id)
    if stored is None or stored.guild_id != guild.id:
        return None
    return ChannelHandle(env, guild, stored)


def show_channel(preview: Preview, channel: ChannelHandle) -> None:
    """Point the preview and every open page at another channel.

    SimCord 3.2.1's preview presents one channel; this mirrors what its own
    viewer switch does to a page (simcord/preview/_action_plans.py, run_viewer).
    """
    preview.channel = channel
    for page in tuple(preview._pages.values()):
        point_page(preview, page, channel.id)
        preview._publish(page, reason="navigation")


@contextlib.asynccontextmanager
async def open_sandbox(
    port: int | None, database: str | None, *, create_bot: BotFactory
) -> AsyncIterator[Sandbox]:
    """Start the bot in SimCord, seed the demo server and serve the preview on 127.0.0.1.

    `create_bot` is bot.py's own factory, handed in so the sandbox never imports bot.py.
    """
    require_preview()
    from simcord import Env

    from cogs.sandbox import SandboxCog
    from config.settings import load_settings

    with contextlib.ExitStack() as stack:
        if database is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="hallway-sandbox-"))
            path = Path(folder) / "sandbox.db"
        else:
            path = Path(database)
        # Only the database and zone come from here: the sandbox never uses a token
        # or a dev guild, whatever .env says.
        settings = load_settings({"HALLWAY_DATABASE": str(path), "HALLWAY_TIMEZONE": TIMEZONE})
        fresh = not path.exists()
        await _reset_command_hash(path)
        clock = VirtualClock()
        bot = create_bot(settings, clock=clock)
        # check_errors=False: SimCord would otherwise treat the friendly replies
        # Hallway gives to user mistakes as failures; they're logged below instead.
        env = Env(bot, check_errors=False)
        clock.env = env
        env.backend.bot_user.name = "Hallway"
        driver = Driver(env)
        keep_the_clock_still(bot, env)
        await bot.add_cog(SandboxCog(clock, driver))
        driver_task: asyncio.Task[None] | None = None
        preview: Preview | None = None
        try:
            await env.start()
            answer_user_errors_quietly(bot)
            render_embed_mentions()
            world = build_world(env)
            await env.settle()
            failures = await seed_week(env, world) if fresh else []
            try:
                await post_guide(world, bot.services, env.now())
            except Exception:
                log.exception("Could not post the sandbox guide")
            preview = env.preview(
                world.general,
                viewers=[world.you, *world.developers],
                layout="channel",
                timezone=TIMEZONE,
                port=port,
                width=1280,
                height=800,
            )
            fall_back_to_general(preview, world.general)
            stack.callback(keep_links_local(preview, world.guild.id, driver.show_now))
            await preview.__aenter__()
            driver.preview, driver.guild, driver.world = preview, world.guild, world
            driver_task = asyncio.create_task(driver.run(), name="sandbox-driver")
            yield Sandbox(env, bot, world, preview, path, driver, failures)
        finally:
            if driver_task is not None:
                driver_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await driver_task
            if preview is not None:
                await preview.close()
            with contextlib.suppress(Exception):
                await env.shutdown()
            await bot.close()


async def run_sandbox(
    port: int | None,
    database: str | None,
    *,
    create_bot: BotFactory,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Sandbox], None] | None = None,
) -> None:
    """Serve the sandbox until `stop` is set, the page ends the session, or Ctrl-C."""
    stop = stop or asyncio.Event()
    async with open_sandbox(port, database, create_bot=create_bot) as sandbox:
        print(f"Hallway sandbox: open {sandbox.url}  (Ctrl-C to stop)", flush=True)
        if on_ready is not None:
            on_ready(sandbox)
        closed = asyncio.create_task(sandbox.preview.wait_closed())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({closed, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (closed, stopping):
                task.cancel()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bot.py --sandbox",
        description="Run Hallway in a simulated Discord in your browser; no token needed.",
    )
    parser.add_argument("--sandbox", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: any)")
    parser.add_argument(
        "--database", default=None, help="SQLite file to keep (default: a temporary one)"
    )
    return parser


def main_sandbox(argv: Sequence[str] | None, create_bot: BotFactory) -> int:
    """Command line for the sandbox; bot.py's main calls this for --sandbox."""
    args = _parser().parse_known_args(argv)[0]
    if args.port is not None and not 0 <= args.port <= 65535:
        print("hallway: --port must be between 0 and 65535", file=sys.stderr)
        return 1
    if args.database is not None and Path(args.database).is_dir():
        print(
            f"hallway: --database must be a file, but {args.database} is a folder", file=sys.stderr
        )
        return 1
    try:
        require_preview()
    except SandboxUnavailable as exc:
        print(f"hallway: {exc}", file=sys.stderr)
        return 1
    level = os.environ.get("HALLWAY_LOG_LEVEL", "").strip().upper()
    logging.basicConfig(
        level=getattr(logging, level or "WARNING", logging.WARNING),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if not level:
        # discord.py warns about voice support and intents SimCord doesn't model;
        # the sandbox's own output should be just its URL.
        logging.getLogger("discord").setLevel(logging.ERROR)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
                loop.add_signal_handler(sig, stop.set)
        await run_sandbox(args.port, args.database, create_bot=create_bot, stop=stop)

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        from simcord import SetupError

        from storage.database import DatabaseError

        if isinstance(exc, SetupError):
            hint = "; choose another --port or leave it out" if args.port else ""
            print(f"hallway: the sandbox could not start: {exc}{hint}", file=sys.stderr)
            return 1
        if isinstance(exc, DatabaseError):
            print(f"hallway: {exc}", file=sys.stderr)
            return 1
        raise
    return 0
