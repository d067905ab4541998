"""`python bot.py --sandbox`: the real bot in SimCord's simulated Discord, in a browser.

No token and no network: SimCord runs discord.py's own code against an
in-memory Discord, and its preview serves that Discord on 127.0.0.1. The demo
server is seeded through the bot's own commands, as its members would use them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import re
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simcord import Env
    from simcord.actors import MemberActor
    from simcord.builders import ChannelHandle, GuildHandle, RoleHandle
    from simcord.preview import Preview

    from bot import HallwayBot

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install -e '.[sandbox]'"
# simcord itself plus what its preview imports when it starts serving.
PREVIEW_MODULES = ("simcord", "aiohttp", "markdown_it", "linkify_it", "regex", "PIL")
SERVER_NAME = "Hallway Sandbox"
TIMEZONE = "Europe/Berlin"
DEVELOPERS = ("priya", "marco", "sam")


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
class World:
    guild: GuildHandle
    general: ChannelHandle
    staff: ChannelHandle  # #advocates, where the seeding advocate runs admin commands
    office_hours: ChannelHandle
    announcements: ChannelHandle
    digest: ChannelHandle
    stage: ChannelHandle
    advocates: RoleHandle
    you: MemberActor
    developers: list[MemberActor]


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


def build_world(env: Env) -> World:
    """The demo server; ids come out the same on every run, so --database stays valid."""
    import discord

    you_user = env.create_user("you", global_name="You (advocate)")
    guild = env.create_guild(SERVER_NAME, owner=you_user)
    advocates = guild.create_role("Advocates", hoist=True, mentionable=True)
    general = guild.create_text_channel("general", topic="Say hi! Try /officehours upcoming")
    staff = guild.create_text_channel(
        "advocates",
        topic="The DevRel team's channel: the sandbox's week was set up here",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            advocates: discord.PermissionOverwrite(view_channel=True),
        },
    )
    office_hours = guild.create_text_channel("office-hours", topic="Queue up with /officehours ask")
    announcements = guild.create_news_channel("announcements")
    digest = guild.create_text_channel("digest")
    stage = guild.create_stage_channel("office-hours-stage")
    you = guild.add_member(you_user, roles=[advocates])
    developers = [guild.add_member(env.create_user(name)) for name in DEVELOPERS]
    return World(
        guild=guild,
        general=general,
        staff=staff,
        office_hours=office_hours,
        announcements=announcements,
        digest=digest,
        stage=stage,
        advocates=advocates,
        you=you,
        developers=developers,
    )


_ITEM = re.compile(r"feedback \*\*#(\d+)\*\*")


def _content(result: Any) -> str:
    response = getattr(result, "response", None)
    return (getattr(response, "content", None) or "") if response is not None else ""


async def seed_week(env: Env, world: World) -> list[str]:
    """Set up a week of activity through the bot's commands; returns the steps that failed.

    A feature that misbehaves must not keep the sandbox from opening, so each
    step is tried on its own and a failure is logged and skipped.
    """
    you, (priya, marco, sam) = world.you, world.developers
    # Developers talk in #general; the advocate's admin commands go to #advocates,
    # so their replies read as a log of how the week was set up.
    general, staff = world.general, world.staff
    failures: list[str] = []
    items: list[int] = []

    async def step(name: str, action: Callable[[], Awaitable[Any]]) -> Any:
        cursor = env.error_cursor
        try:
            result = await action()
        except Exception as exc:
            log.warning("Sandbox seeding: %s failed: %s", name, exc)
            failures.append(name)
            return None
        errors = env.errors_since(cursor)
        if errors:
            log.warning("Sandbox seeding: %s raised in the bot: %r", name, errors[-1])
            failures.append(name)
        return result

    async def submit_feedback(actor: MemberActor, summary: str, details: str, area: str) -> Any:
        shown = await actor.slash(general, "feedback submit")
        if shown.modal is None:
            raise RuntimeError(f"no modal: {_content(shown)}")
        done = await actor.submit_modal(
            shown, {"summary": summary, "details": details, "area": area}
        )
        match = _ITEM.search(_content(done))
        if match is None:
            raise RuntimeError(f"unexpected reply: {_content(done)[:200]}")
        items.append(int(match.group(1)))
        return done

    async def schedule_announcement() -> Any:
        shown = await you.slash(
            staff,
            "announce schedule",
            channel=world.announcements,
            when="tomorrow 09:00",
            title="Office hours today",
        )
        if shown.modal is None:
            raise RuntimeError(f"no modal: {_content(shown)}")
        return await you.submit_modal(
            shown,
            {
                "body": "Bring your API questions to office hours today at 17:00 "
                "(Berlin time). Queue up early with /officehours ask!",
                "image_url": "",
            },
        )

    # -- /setup: the owner makes the Advocates role the advocates, then picks channels.
    await step(
        "/setup advocate-role",
        lambda: you.slash(staff, "setup advocate-role", role=world.advocates),
    )
    await step("/setup timezone", lambda: you.slash(staff, "setup timezone", name=TIMEZONE))
    for kind, channel in (
        ("office-hours", world.office_hours),
        ("announcements", world.announcements),
        ("digest", world.digest),
    ):
        await step(
            f"/setup channel {kind}",
            lambda kind=kind, channel=channel: you.slash(
                staff, "setup channel", kind=kind, channel=channel
            ),
        )

    # -- Office hours: a weekly session tomorrow evening with two questions queued.
    await step(
        "/officehours schedule",
        lambda: you.slash(
            staff,
            "officehours schedule",
            title="Weekly API office hours",
            start="tomorrow 17:00",
            duration=60,
            repeat="weekly",
            location=world.stage,
            description="Live Q&A with the developer-relations team.",
        ),
    )
    await step(
        "/officehours ask (priya)",
        lambda: priya.slash(
            general,
            "officehours ask",
            question="How do I refresh an OAuth token without logging the user out?",
        ),
    )
    await step(
        "/officehours ask (marco)",
        lambda: marco.slash(
            general,
            "officehours ask",
            question="Is there a sandbox for testing webhooks locally?",
        ),
    )

    # -- Feedback: a few items, tagged by the bot's tagger, with votes.
    for actor, summary, details, area in (
        (
            priya,
            "Python SDK throws 401 after token refresh",
            "acme-sdk 2.3.1 returns HTTP 401 unauthorized right after the OAuth token refreshes.",
            "SDK",
        ),
        (
            marco,
            "Webhook retries are not documented",
            "The docs don't say how often or how long webhook deliveries are retried.",
            "Docs",
        ),
        (
            sam,
            "Search API rate limit is too low for batch jobs",
            "We hit 429 Too Many Requests after 100 calls a minute on /v2/search.",
            "API",
        ),
        (
            priya,
            "Dashboard needs a dark mode",
            "The developer dashboard is very bright at night; a dark theme would help.",
            "",
        ),
    ):
        await step(
            f"/feedback submit ({summary[:30]})",
            lambda actor=actor, summary=summary, details=details, area=area: submit_feedback(
                actor, summary, details, area
            ),
        )
    votes = [(marco, 0), (sam, 0), (you, 0), (priya, 1), (sam, 1), (marco, 2)]
    for voter, index in votes:
        if index < len(items):
            await step(
                f"/feedback vote #{items[index]}",
                lambda voter=voter, item=items[index]: voter.slash(
                    staff if voter is you else general, "feedback vote", item=item
                ),
            )
    if len(items) > 3:
        # The tagger found nothing in the last one; the advocate tags it by hand.
        await step(
            f"/feedback tag #{items[3]}",
            lambda: you.slash(staff, "feedback tag", item=items[3], add="feature-request"),
        )

    # -- Announcements and the weekly digest.
    await step("/announce schedule", schedule_announcement)
    await step(
        "/digest configure",
        lambda: you.slash(
            staff,
            "digest configure",
            channel=world.digest,
            day="monday",
            time="09:00",
        ),
    )
    await env.settle()
    return failures


GUIDE = """\
👋 **Welcome to the Hallway sandbox.** This is the real bot in a simulated Discord on your \
own machine: no token, and nothing leaves 127.0.0.1.
• You are **You (advocate)**. Pick **priya**, **marco** or **sam** under *Viewing as* to be a \
developer instead.
• A week is set up: weekly office hours tomorrow at 17:00 (Berlin) with two questions queued, \
four feedback items with tags and votes, an announcement for tomorrow 09:00, and a Monday digest. \
The advocate's commands that did it are in {staff}.
• Try `/officehours upcoming`, `/officehours queue`, `/feedback list`, `/feedback submit`, \
`/announce list` or `/digest preview`.
• `/sandbox advance hours:24` moves the clock, so reminders, announcements and the digest fire. \
`/sandbox show channel:#office-hours` looks at another channel ({announcements}, {digest}, ...)."""


async def post_guide(world: World) -> None:
    """A note in #general telling the visitor where they are and what to try."""
    guide = world.guild.create_webhook(world.general, "Sandbox guide")
    await guide.send(
        GUIDE.format(
            staff=world.staff.mention,
            announcements=world.announcements.mention,
            digest=world.digest.mention,
        )
    )


async def _reset_command_hash(database: Path) -> None:
    """Every sandbox is a fresh simulated Discord, so the bot must sync its commands."""
    from bot import COMMAND_HASH_KEY
    from storage.database import Database
    from storage.guild_settings import MetaRepository

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


@contextlib.asynccontextmanager
async def open_sandbox(port: int | None, database: str | None) -> AsyncIterator[Sandbox]:
    """Start the bot in SimCord, seed the demo server and serve the preview on 127.0.0.1."""
    require_preview()
    from simcord import Env

    from bot import create_bot
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
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Sandbox], None] | None = None,
) -> None:
    """Serve the sandbox until `stop` is set, the page ends the session, or Ctrl-C."""
    stop = stop or asyncio.Event()
    async with open_sandbox(port, database) as sandbox:
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


def main_sandbox(argv: Sequence[str] | None = None) -> int:
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
        await run_sandbox(args.port, args.database, stop=stop)

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


if __name__ == "__main__":
    sys.exit(main_sandbox())
