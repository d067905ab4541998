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
from typing import TYPE_CHECKING, Any

from sandbox.seed import TIMEZONE, World, build_world, post_guide, seed_week

if TYPE_CHECKING:
    import discord
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
        self.jobs: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self.busy = False

    def _queue(self, job: Callable[[], Awaitable[None]]) -> bool:
        if self.busy:
            return False
        self.busy = True
        self.jobs.put_nowait(job)
        return True

    def advance(self, seconds: float) -> bool:
        return self._queue(lambda: self._advance(seconds))

    def show(self, channel_id: int) -> bool:
        return self._queue(lambda: self._show(channel_id))

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

    async def _advance(self, seconds: float) -> None:
        await self._when_idle(lambda: self.env.advance_time(seconds))
        if self.preview is not None:
            await self._when_idle(self.preview.refresh)

    async def _show(self, channel_id: int) -> None:
        preview, guild = self.preview, self.guild
        if preview is None or guild is None:
            return
        channel = next((c for c in guild.channels.values() if c.id == channel_id), None)
        if channel is None:
            return
        await self._when_idle(preview.refresh)
        show_channel(preview, channel)


def show_channel(preview: Preview, channel: ChannelHandle) -> None:
    """Point the preview and every open page at another channel.

    SimCord 3.2.1's preview presents one channel; this mirrors what its own
    viewer switch does to a page (simcord/preview/_action_plans.py, run_viewer).
    """
    preview.channel = channel
    for page in tuple(preview._pages.values()):
        preview._clear_page_assets(page)
        page.channel_id = channel.id
        page.generation += 1
        preview._reset_queries(page)
        page.target_id = preview._initial_target(page.viewer, channel.id)
        page.window_end_id = page.target_id
        page.modal = None
        page.modal_handle = None
        page.status = "current"
        preview._publish(page, reason="navigation")


def answer_user_errors_quietly(bot: HallwayBot) -> None:
    """Keep friendly refusals from looking like crashes in the preview.

    SimCord records every error that reaches the tree's on_error, and its preview
    then marks the action "failed" with "Action outcome uncertain", even when
    Hallway answered it with a clear ephemeral reply. A mistake Hallway explains
    (cogs._common.is_user_error) goes straight to Hallway's own handler instead;
    anything unexpected still reaches SimCord and shows as failed.
    """
    from cogs._common import is_user_error, report_error

    tree = bot.tree
    recorded = tree.on_error

    async def on_error(interaction: discord.Interaction, error: Exception) -> None:
        if is_user_error(error):
            await report_error(interaction, error)
        else:
            await recorded(interaction, error)

    tree.on_error = on_error  # type: ignore[method-assign]

    # Modals (and views) get the same treatment: SimCord wraps each one's on_error
    # as it is stored, keeping Hallway's handler as __simcord_original_callback__.
    store = bot._connection._view_store
    store_view = store.add_view

    def add_view(view: Any, message_id: int | None = None) -> None:
        store_view(view, message_id)
        wrapped = view.on_error
        original = getattr(wrapped, "__simcord_original_callback__", None)
        if original is None:
            return

        async def quiet(interaction: discord.Interaction, error: Exception, *args: Any) -> None:
            if is_user_error(error):
                await original(interaction, error, *args)
            else:
                await wrapped(interaction, error, *args)

        quiet.__simcord_original_callback__ = original  # type: ignore[attr-defined]
        view.on_error = quiet

    store.add_view = add_view


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
        await bot.add_cog(SandboxCog(clock, driver))
        driver_task: asyncio.Task[None] | None = None
        preview: Preview | None = None
        try:
            await env.start()
            answer_user_errors_quietly(bot)
            world = build_world(env)
            await env.settle()
            failures = await seed_week(env, world) if fresh else []
            try:
                await post_guide(world)
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
            await preview.__aenter__()
            driver.preview, driver.guild = preview, world.guild
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
