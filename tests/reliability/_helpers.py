"""What the reliability tests share: a configured guild, database snapshots, message lookups,
and network faults SimCord can't make (NetworkFaults)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
import discord

from tests.conftest import World, make_advocates, schedule_announcement, submit_feedback

# Tables a command never writes on a user's behalf, so they can't show a lost or
# half-written row: bot_meta holds the command-tree hash written at start-up only.
# SQLite's own sqlite_* tables are internal bookkeeping.
TECHNICAL_TABLES = frozenset({"bot_meta"})


async def user_tables(bot: Any) -> list[str]:
    rows = await bot.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [row["name"] for row in rows if row["name"] not in TECHNICAL_TABLES]


async def snapshot(bot: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table Hallway keeps for guilds, in a stable order."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for name in await user_tables(bot):
        rows = await bot.db.fetchall(f'SELECT * FROM "{name}"')  # names from sqlite_master
        tables[name] = sorted((tuple(row) for row in rows), key=repr)
    return tables


def diff(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, Any]:
    """Tables whose rows changed, with what was added and removed (empty when equal)."""
    changed: dict[str, Any] = {}
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            changed[name] = {
                "added": [r for r in new if r not in old],
                "removed": [r for r in old if r not in new],
            }
    return changed


@dataclass
class Channels:
    office: Any
    news: Any
    digest: Any
    feedback: Any


async def configure_guild(world: World) -> Channels:
    """Advocates, and every Hallway channel set through /setup as an advocate would."""
    await make_advocates(world)
    guild = world.guild
    office = guild.create_text_channel("office-hours")
    news = guild.create_text_channel("announcements")
    digest = guild.create_text_channel("digest")
    feedback = guild.create_text_channel("feedback-log")
    await world.env.settle()
    for kind, channel in (
        ("office-hours", office),
        ("announcements", news),
        ("digest", digest),
    ):
        r = await world.alice.slash(world.general, "setup channel", kind=kind, channel=channel)
        assert r.ephemeral and "✅" in r.response.content, r.response.content
    return Channels(office, news, digest, feedback)


def custom_ids(message: discord.Message) -> list[str]:
    ids = []
    for row in message.components:
        for item in getattr(row, "children", [row]):
            custom_id = getattr(item, "custom_id", None)
            if custom_id:
                ids.append(custom_id)
    return ids


def message_with(channel: Any, custom_id: str) -> discord.Message:
    for message in channel.history():
        if custom_id in custom_ids(message):
            return message
    raise AssertionError(f"no message in #{channel.name} has a {custom_id} button")


@dataclass
class OtherGuild:
    """A second server with its own data, to prove ids from it are useless in the first."""

    guild: Any
    general: Any
    office: Any
    news: Any
    boss: Any  # Manage Server: an advocate there, nobody here
    dave: Any  # a plain member there
    session_id: int
    feedback_id: int
    announcement_id: int


@dataclass
class Arranged:
    channels: Channels
    other: OtherGuild
    session_id: int
    feedback_id: int
    announcement_id: int
    everyone_role: Any  # guild A's @everyone, for the ping cases


async def _latest(bot: Any, table: str, guild_id: int) -> int:
    value = await bot.db.fetchval(f"SELECT max(id) FROM {table} WHERE guild_id = ?", (guild_id,))
    assert value is not None, f"nothing in {table} for guild {guild_id}"
    return int(value)


async def arrange_two_guilds(world: World, bot: Any) -> Arranged:
    """Guild A (the world) and guild B, each with a session, a question, feedback and a post."""
    env = world.env
    channels = await configure_guild(world)
    r = await world.alice.slash(
        world.general, "officehours schedule", title="A office hours", start="2026-01-02 17:00"
    )
    assert "Scheduled" in r.response.content, r.response.content
    r = await world.bob.slash(world.general, "officehours ask", question="A: how do I log in?")
    assert "queued" in r.response.content, r.response.content
    r = await submit_feedback(world.bob, world.general, "A: the SDK login fails with 401")
    assert "Saved as feedback" in r.response.content, r.response.content
    r = await schedule_announcement(
        world, channels.news, "A news for {server}", when="2026-01-03 10:00"
    )
    assert "Scheduled announcement" in r.response.content, r.response.content

    other = env.create_guild("Other Community")
    general = other.create_text_channel("general-b")
    office = other.create_text_channel("office-b")
    news = other.create_text_channel("news-b")
    boss_role = other.create_role("Bosses", permissions=discord.Permissions(manage_guild=True))
    boss = other.add_member(env.create_user("boss"), roles=[boss_role])
    dave = other.add_member(env.create_user("dave"))
    await env.settle()
    r = await boss.slash(general, "setup channel", kind="office-hours", channel=office)
    assert "✅" in r.response.content, r.response.content
    r = await boss.slash(
        general, "officehours schedule", title="B office hours", start="2026-01-02 18:00"
    )
    assert "Scheduled" in r.response.content, r.response.content
    r = await dave.slash(general, "officehours ask", question="B: secret roadmap question")
    assert "queued" in r.response.content, r.response.content
    r = await submit_feedback(dave, general, "B: private billing complaint")
    assert "Saved as feedback" in r.response.content, r.response.content
    r = await schedule_announcement(
        world, news, "B secret launch", actor=boss, typed_in=general, when="2026-01-03 11:00"
    )
    assert "Scheduled announcement" in r.response.content, r.response.content

    a, b = world.guild.id, other.id
    return Arranged(
        channels=channels,
        other=OtherGuild(
            guild=other,
            general=general,
            office=office,
            news=news,
            boss=boss,
            dave=dave,
            session_id=await _latest(bot, "oh_sessions", b),
            feedback_id=await _latest(bot, "feedback_items", b),
            announcement_id=await _latest(bot, "announcements", b),
        ),
        session_id=await _latest(bot, "oh_sessions", a),
        feedback_id=await _latest(bot, "feedback_items", a),
        announcement_id=await _latest(bot, "announcements", a),
        everyone_role=world.guild.default_role,
    )


# ------------------------------------------------------------------ network faults

Mode = Literal["before", "after"]
ERRORS: dict[str, Callable[[], Exception]] = {
    "disconnect": lambda: aiohttp.ServerDisconnectedError(),
    # asyncio.TimeoutError is the builtin TimeoutError since Python 3.11.
    "timeout": lambda: TimeoutError(),
}


def _api_path(url: str) -> str:
    # "https://discord.com/api/v10/channels/1/messages?x=1" -> "/channels/1/messages"
    path = url.split("?", 1)[0]
    marker = "/api/v"
    at = path.find(marker)
    if at != -1:
        path = path[at + len(marker) :]
        path = path[path.find("/") :]
    return path


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    when: Mode
    error: str
    left: int


@dataclass
class NetworkFaults:
    """Make the bot's next matching REST call fail as a network fault would.

    Hooked on discord.py's ``HTTPClient.request`` of the running bot, which SimCord
    replaced with its in-memory Discord: ``when="before"`` raises before SimCord sees
    the call (nothing happened); ``when="after"`` lets SimCord handle it, then raises
    (Discord did it, and the reply was lost). ``raised`` lists what fired.
    """

    bot: Any
    faults: list[_Fault] = field(default_factory=list)
    raised: list[tuple[str, str, Mode]] = field(default_factory=list)

    def __post_init__(self) -> None:
        http = self.bot.http
        original = http.request

        async def request(route: Any, **kwargs: Any) -> Any:
            path = _api_path(route.url)
            fault = self._take(route.method, path)
            if fault is not None and fault.when == "before":
                self.raised.append((route.method, path, "before"))
                raise ERRORS[fault.error]()
            result = await original(route, **kwargs)
            if fault is not None:
                self.raised.append((route.method, path, "after"))
                raise ERRORS[fault.error]()
            return result

        http.request = request

    def drop(
        self,
        method: str,
        path: str,
        *,
        when: Mode = "before",
        error: str = "disconnect",
        times: int = 1,
    ) -> None:
        """The next ``times`` calls of ``method`` on ``path`` (``*`` = one segment) fail."""
        assert error in ERRORS, error
        self.faults.append(_Fault(method, _segments(path), when, error, times))

    def _take(self, method: str, path: str) -> _Fault | None:
        for fault in self.faults:
            if fault.left > 0 and fault.method == method and fault.pattern.match(path):
                fault.left -= 1
                return fault
        return None


def _segments(glob: str) -> re.Pattern[str]:
    return re.compile("^" + "[^/]+".join(re.escape(part) for part in glob.split("*")) + "$")
