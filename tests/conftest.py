"""Shared fixtures: the real bot under SimCord, a virtual clock, and restarts."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from simcord import Env

from bot import HallwayBot, create_bot
from cogs._common import Refusal
from config.settings import Settings, load_settings
from services.errors import HallwayError
from storage.database import Database


class SimClock:
    """Reads SimCord's virtual clock, which env.advance_time() moves."""

    def now(self) -> datetime:
        return discord.utils.utcnow()


def make_settings(tmp_path: Path, **extra: str) -> Settings:
    environ = {"HALLWAY_DATABASE": str(tmp_path / "hallway.db"), "HALLWAY_TIMEZONE": "UTC"}
    environ.update(extra)
    return load_settings(environ)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a temporary file, for service and storage tests."""
    async with Database(tmp_path / "h.db") as database:
        await database.migrate()
        yield database


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@dataclass
class Bots:
    """Every bot a test created, so all of them get closed."""

    settings: Settings
    all: list[HallwayBot]

    @property
    def current(self) -> HallwayBot:
        return self.all[-1]

    def new(self) -> HallwayBot:
        bot = create_bot(self.settings, clock=SimClock())
        self.all.append(bot)
        return bot


@pytest.fixture
async def bots(settings: Settings) -> AsyncIterator[Bots]:
    holder = Bots(settings, [])
    yield holder
    for bot in holder.all:
        await bot.close()
    # Each bot freezes the heap when it is ready (HallwayBot.on_ready). In a long-lived
    # bot that is what it should do; here a closed bot and its world would stay frozen,
    # never collected, for the rest of the run.
    gc.unfreeze()
    errors = [e for bot in holder.all for e in bot.unexpected_errors]
    assert not errors, f"unexpected errors in the bot: {errors!r}"


@pytest.fixture
def simcord_bot(bots: Bots) -> HallwayBot:
    return bots.new()


def is_user_error(error: BaseException) -> bool:
    """Errors the bot answers with a friendly reply: they are behaviour, not bugs."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    return isinstance(error, HallwayError | Refusal)


@pytest_asyncio.fixture
async def simcord_env(simcord_bot, request) -> AsyncIterator[Env]:
    """SimCord's env, except that user errors the bot answered don't fail the test.

    SimCord records every error that reaches the command tree's on_error, even
    the ones Hallway turns into a friendly reply on purpose. Anything else still
    fails the test at teardown.
    """
    marker = request.node.get_closest_marker("simcord")
    options = dict(marker.kwargs) if marker else {}
    options["check_errors"] = False
    env = Env(simcord_bot, **options)
    await env.start()
    try:
        yield env
    finally:
        await env.shutdown()
    leftover = [e for e in env.errors_since(env._errors_acknowledged) if not is_user_error(e)]
    assert not leftover, f"errors the bot did not handle: {leftover!r}"


@pytest.fixture
def restart(simcord_env, bots: Bots) -> Callable[..., Awaitable[HallwayBot]]:
    """Replace the running bot with a fresh one on the same database, like a process restart.

    With crash=True the old process dies mid-job: the alarm stops without letting
    running jobs finish.
    """

    async def do_restart(crash: bool = False) -> HallwayBot:
        old = bots.current
        if crash:
            await old.alarm.stop()
        else:
            await old.alarm.drain()
        new = bots.new()
        await simcord_env.restart_bot(new)
        await old.close()
        return new

    return do_restart


@dataclass
class World:
    env: object
    guild: object
    general: object
    advocates: object
    alice: object  # advocate (has the Advocates role once configured)
    bob: object  # plain member
    carol: object  # plain member
    admin: object  # Manage Server, no advocate role


@pytest.fixture
async def world(simcord_env) -> World:
    """A guild with an Advocates role, one advocate, two members and an admin."""
    env = simcord_env
    guild = env.create_guild("DevRel Community")
    general = guild.create_text_channel("general")
    advocates = guild.create_role("Advocates")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    alice = guild.add_member(env.create_user("alice"), roles=[advocates])
    bob = guild.add_member(env.create_user("bob"))
    carol = guild.add_member(env.create_user("carol"))
    admin = guild.add_member(env.create_user("admin"), roles=[admins])
    await env.settle()
    return World(env, guild, general, advocates, alice, bob, carol, admin)


async def make_advocates(world: World) -> None:
    """Have the admin configure the Advocates role, as a real server would."""
    result = await world.admin.slash(world.general, "setup advocate-role", role=world.advocates)
    assert result.ephemeral, result


def bot_posts(channel: Any) -> list[discord.Message]:
    """The bot's own ordinary posts (no system notices such as thread-created or pins)."""
    return [m for m in channel.history() if m.author.bot and m.type is discord.MessageType.default]


def card_in(thread: Any) -> discord.Message:
    """The first message in the thread that carries buttons."""
    for message in thread.history():
        if message.components:
            return message
    raise AssertionError("no card with buttons in the thread")


async def schedule_announcement(
    world: World,
    channel: Any,
    body: str = "Hello {server}!",
    image: str = "",
    *,
    actor: Any = None,
    typed_in: Any = None,
    **options: Any,
) -> Any:
    """/announce schedule and its modal, typed by the advocate in #general unless told."""
    actor = actor or world.alice
    typed_in = typed_in or world.general
    shown = await actor.slash(typed_in, "announce schedule", channel=channel, **options)
    assert shown.modal is not None, shown.response.content
    return await actor.submit_modal(shown, {"body": body, "image_url": image})


async def submit_feedback(
    user: Any, channel: Any, summary: str, details: str = "", area: str = ""
) -> Any:
    """/feedback submit and its modal."""
    shown = await user.slash(channel, "feedback submit")
    assert shown.modal is not None, shown.response.content
    return await user.submit_modal(shown, {"summary": summary, "details": details, "area": area})


def message_payload(request: Any) -> dict[str, Any]:
    """The message part of a recorded request: interaction replies and forum posts nest it."""
    data = request.json if isinstance(request.json, dict) else {}
    for nested in ("data", "message"):
        if isinstance(data.get(nested), dict):
            data = data[nested]
    return data


def mentions_of(request: Any) -> Any:
    return message_payload(request).get("allowed_mentions")
