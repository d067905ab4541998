"""`python bot.py --sandbox`: the real bot in SimCord, driven over the preview's HTTP interface."""

from __future__ import annotations

import asyncio
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import sandbox.server as sandbox_module
from bot import create_bot
from sandbox.seed import SANDBOX_ISSUE
from sandbox.server import INSTALL_HINT, Sandbox, SandboxUnavailable, missing_preview_modules


def test_the_preview_extra_is_installed() -> None:
    # The test extra installs simcord[preview]; without it the serving tests below fail
    # on their own, and this says why.
    assert missing_preview_modules() == [], f"SimCord's preview is not installed: {INSTALL_HINT}"


class PreviewPage:
    """One browser page of the preview, spoken to the way its bundled client does."""

    def __init__(self, http: Any, url: str) -> None:
        parts = urlsplit(url)
        self.http = http
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.headers = {"X-Simcord-Capability": parts.fragment}
        self.sequence = 0
        self.state: dict[str, Any] = {}

    async def open(self, viewer_id: int) -> None:
        async with self.http.post(
            f"{self.base}/api/pages", headers=self.headers, json={"viewer_id": str(viewer_id)}
        ) as response:
            assert response.status == 200, await response.text()
            self.state = await response.json()
        self.headers["X-Simcord-Context"] = self.state["context"]["id"]

    async def refresh_state(self) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/api/state", headers=self.headers) as response:
            assert response.status == 200, await response.text()
            self.state = await response.json()
        return self.state

    async def run(self, invocation: str, **options: Any) -> dict[str, Any]:
        """Run a slash command from the page's composer; returns the action receipt.

        Like the bundled client, it reads the page just before acting and, if the bot
        published something in between (the preview answers "stale-revision"), reads
        it again and retries: background posts may land at any moment.
        """
        async with self.http.get(f"{self.base}/api/commands", headers=self.headers) as response:
            catalog = await response.json()
        entry = next(e for e in catalog["entries"] if e["invocation"] == invocation)
        for _ in range(20):
            await self.refresh_state()
            body = {
                "protocol_version": 3,
                "sequence": self.sequence + 1,
                "request_id": str(uuid.uuid4()),
                "generation": self.state["context"]["generation"],
                "bot_generation": self.state["botGeneration"],
                "published_revision": self.state["publishedRevision"],
                "kind": "run_command",
                "command_id": entry["commandId"],
                "path": entry["path"],
                "schema_fingerprint": entry["schemaFingerprint"],
                "options": options,
            }
            async with self.http.post(
                f"{self.base}/api/action", headers=self.headers, json=body
            ) as response:
                receipt = await response.json()
            codes = [d["code"] for d in receipt["diagnostics"]] if receipt["rejected"] else []
            if codes != ["stale-revision"]:
                break  # a rejection never consumes the sequence; anything else does
            await asyncio.sleep(0.05)
        assert not receipt["rejected"], receipt["diagnostics"]
        self.sequence += 1
        await self.refresh_state()
        return receipt

    async def act(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Any other page action (switching the viewer, ...), as the bundled client sends it."""
        await self.refresh_state()
        body = {
            "protocol_version": 3,
            "sequence": self.sequence + 1,
            "request_id": str(uuid.uuid4()),
            "generation": self.state["context"]["generation"],
            "bot_generation": self.state["botGeneration"],
            "published_revision": self.state["publishedRevision"],
            "kind": kind,
            **fields,
        }
        async with self.http.post(
            f"{self.base}/api/action", headers=self.headers, json=body
        ) as response:
            receipt = await response.json()
        assert not receipt["rejected"], receipt["diagnostics"]
        self.sequence += 1
        await self.refresh_state()
        return receipt

    def contents(self) -> list[str]:
        """Text of the messages in the page's window (with their embeds), oldest first."""
        messages = self.state["messages"]
        texts = []
        for key in sorted(messages, key=int):
            message = messages[key]
            parts = [message.get("content") or ""]
            for embed in message.get("embeds") or []:
                parts += [embed.get("title") or "", embed.get("description") or ""]
            texts.append("\n".join(p for p in parts if p))
        return texts


@pytest.fixture
async def running(tmp_path: Path, capsys) -> AsyncIterator[Sandbox]:
    """The sandbox started in-process as the command line does, on a free port."""
    ready: asyncio.Future[Sandbox] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(
        sandbox_module.run_sandbox(
            None,
            str(tmp_path / "sandbox.db"),
            create_bot=create_bot,
            stop=stop,
            on_ready=ready.set_result,
        )
    )
    done, _ = await asyncio.wait({ready, task}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        task.cancel()
        raise AssertionError(
            f"the sandbox did not start: {task.exception() if task.done() else ''}"
        )
    yield ready.result()
    stop.set()
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def http() -> AsyncIterator[Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_developer_runs_officehours_upcoming_and_sees_the_seeded_session(
    running: Sandbox, http, capsys
) -> None:
    assert running.seed_failures == []
    printed = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(printed) == 1 and running.url in printed[0]
    assert running.url.startswith("http://127.0.0.1:")

    priya = running.world.developers[0]
    page = PreviewPage(http, running.url)
    await page.open(priya.id)
    assert page.state["viewerId"] == str(priya.id)
    receipt = await page.run("officehours upcoming")
    assert receipt["settlement"] == "settled"
    [reply] = [c for c in page.contents() if "Upcoming office hours" in c]
    assert "**Weekly API office hours**" in reply
    assert "2 questions waiting" in reply
    assert f"<@{running.world.you.id}>" in reply  # hosted by the advocate


async def test_the_seeded_week_is_what_the_docs_promise(running: Sandbox) -> None:
    world, services = running.world, running.bot.services
    guild = world.guild.id
    config = await services.guild_settings.config(guild)
    assert config.advocate_role_id == world.advocates.id and config.timezone == "Europe/Berlin"
    assert config.channel("office-hours") == world.office_hours.id
    [upcoming] = await services.office_hours.upcoming(guild, 10)
    assert upcoming.waiting == 2 and upcoming.session.host_id == world.you.id
    assert upcoming.session.repeat_spec == "weekly"
    assert upcoming.session.location_channel_id == world.stage.id
    items = [await services.feedback.item(guild, n) for n in (1, 2, 3, 4)]
    assert [i.votes for i in items] == [4, 3, 2, 1]
    assert all(i.tags for i in items)
    assert "feature-request" in [tag for tag, _, _ in items[3].tags]
    # Linked to a GitHub issue, shown but not followed: the sandbox has no token or network.
    assert items[0].link_url == SANDBOX_ISSUE
    link = await services.github.link_of(guild, 1)
    assert link is not None and link.ref == "acme/sdk-python#482" and link.observed is None
    assert services.github.client is None
    [announcement] = await services.announcements.list(guild)
    assert announcement.status == "scheduled"
    assert announcement.channel_id == world.announcements.id
    digest = await services.digest.settings(guild)
    assert digest.config.stored and digest.config.enabled
    assert digest.channel_id == world.digest.id and digest.day_name == "monday"
    # The hallway track: four members joined and one round made two private threads.
    hallway = running.bot.services.hallway
    stats = await hallway.stats(world.guild.id)
    assert (stats.pool, stats.rounds, stats.groups) == (4, 1, 2)
    assert sorted(len(t._channel.thread_members) for t in world.hallway.threads) == [3, 3]
    # A weekly call series with three regional slots, each with a next call.
    calls = await services.calls.get(guild, "Community call")
    assert (calls.series.mode, calls.series.channel_id) == ("parallel", world.stage.id)
    assert [s.name for s in calls.slots] == ["APAC", "EMEA", "Americas"]
    upcoming = await services.calls.upcoming(guild, 3)
    assert sorted(o.slot.name for o in upcoming) == ["APAC", "Americas", "EMEA"]
    # Each slot's next call is a Discord event; you host EMEA's; the agenda has two items.
    emea = next(o for o in upcoming if o.slot.name == "EMEA")
    assert emea.host_id == world.you.id and emea.planned_id is not None
    assert sum(o.host_id is None for o in upcoming) == 2
    agenda = await services.calls.calls.open_items(guild, calls.series.id)
    assert [i.text for i in agenda] == [
        "Feedback on the new webhooks API",
        "Should the SDK drop Python 3.9?",
    ]
    # A quick poll that ended in the seeded week, with its counts; an open survey with answers.
    poll = await services.surveys.get(guild, 1)
    assert (poll.kind, poll.status) == ("poll", "closed")
    assert await services.surveys.repo.poll_counts(guild, 1) == [2, 1, 0]
    survey = await services.surveys.draft(guild, 2)
    assert survey.survey.status == "open" and survey.responses == 3
    assert [q.kind for q in survey.questions] == ["nps", "choice", "text"]
    # A help channel with one answered post and one still waiting.
    help_channels = services.help_channels
    assert world.help is not None
    assert (await help_channels.settings(guild)).channel_ids == [world.help.id]
    rows = await running.bot.db.fetchall(
        "SELECT answered_at IS NOT NULL FROM help_posts WHERE guild_id = ? ORDER BY posted_at",
        (guild,),
    )
    assert sorted(r[0] for r in rows) == [0, 1]
    # Boundaries: your hours are set and you hold the on-call shift (and its role).
    hours = await services.boundaries.hours(guild, world.you.id)
    assert hours is not None and hours.zone.key == "Europe/Berlin"
    assert await services.oncall.current(guild) == world.you.id
    assert world.on_call is not None
    member = running.bot.get_guild(guild).get_member(world.you.id)
    assert world.on_call.id in [r.id for r in member.roles]


async def test_the_preview_listens_on_loopback_only(running: Sandbox, http) -> None:
    server = running.preview._server
    addresses = {sock.getsockname()[0] for sock in server.site._server.sockets}
    assert addresses == {"127.0.0.1"}
    port = server.port
    async with http.get(f"http://127.0.0.1:{port}/") as response:
        assert response.status == 200
    # The same port on any other address of this machine is closed.
    outward = _outward_address()
    if outward is not None:
        with pytest.raises(OSError), socket.create_connection((outward, port), timeout=2):
            pass


def _outward_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # UDP: sends nothing
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


async def test_sandbox_show_and_advance_let_you_watch_the_announcement_post(
    running: Sandbox, http
) -> None:
    world, env = running.world, running.env
    page = PreviewPage(http, running.url)
    await page.open(world.you.id)
    await page.run("sandbox show", channel=str(world.announcements.id))
    await _until(lambda: page.state["channelId"] == str(world.announcements.id), page)
    start = env.now()
    # Due tomorrow 09:00 in Berlin: 08:00 UTC, 32 hours after the sandbox's start.
    await page.run("sandbox advance", hours="31")
    await _until(lambda: not running.driver.busy, page)
    assert env.now() == start + timedelta(hours=31)
    assert running.bot.clock.now() == env.now()  # the bot reads SimCord's virtual time
    assert not any("Bring your API questions" in c for c in page.contents())
    await page.run("sandbox advance", hours="2")
    await _until(lambda: any("Bring your API questions" in c for c in page.contents()), page)
    assert env.now() == start + timedelta(hours=33)


async def test_a_second_sandbox_command_waits_for_the_first(running: Sandbox, http) -> None:
    page = PreviewPage(http, running.url)
    await page.open(running.world.developers[1].id)
    running.driver.busy = True  # as while the clock is still moving
    start = running.env.now()
    await page.run("sandbox advance", hours="5")
    assert "still busy" in page.contents()[-1]
    running.driver.busy = False
    assert running.env.now() == start


async def _until(condition: Any, page: PreviewPage) -> None:
    for _ in range(100):
        await page.refresh_state()
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened; page shows {page.contents()[-3:]}")


async def test_a_normal_bot_has_no_sandbox_commands(world, bots) -> None:
    assert bots.current.tree.get_command("sandbox") is None
    assert not any(
        name.startswith("sandbox") for name in world.bob.available_commands(world.general)
    )


def test_missing_preview_extra_is_one_clear_line(monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # makes `import aiohttp` fail
    with pytest.raises(SandboxUnavailable) as raised:
        sandbox_module.require_preview()
    assert INSTALL_HINT in str(raised.value) and "\n" not in str(raised.value)
    assert sandbox_module.main_sandbox(["--sandbox"], create_bot) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert "pip install -e '.[sandbox]'" in lines[0] and "aiohttp" in lines[0]


async def test_a_kept_database_opens_again_without_seeding_twice(tmp_path: Path) -> None:
    path = tmp_path / "kept.db"
    async with sandbox_module.open_sandbox(None, str(path), create_bot=create_bot) as first:
        assert first.seed_failures == []
        sessions = await first.bot.services.office_hours.upcoming(first.world.guild.id, 10)
    async with sandbox_module.open_sandbox(None, str(path), create_bot=create_bot) as second:
        again = await second.bot.services.office_hours.upcoming(second.world.guild.id, 10)
    assert sessions and [e.session.id for e in again] == [e.session.id for e in sessions]
    assert path.exists()  # --database is kept after the sandbox stops


async def test_a_refusal_the_bot_explains_is_not_shown_as_a_failed_action(
    running: Sandbox, http
) -> None:
    page = PreviewPage(http, running.url)
    await page.open(running.world.developers[0].id)  # priya is no advocate
    receipt = await page.run("officehours start")
    assert receipt["settlement"] == "settled", receipt
    assert not receipt.get("uncertain")
    codes = [d["code"] for d in receipt["diagnostics"]]
    assert "action-callback-error" not in codes
    assert any("advocate" in c.lower() for c in page.contents())
    # A form with a bad value is answered the same way.
    receipt = await page.run("digest configure", time="25:00")
    assert receipt["settlement"] == "settled" and not receipt.get("uncertain")


async def test_the_clock_moves_only_with_advance_and_each_advance_says_the_time(
    running: Sandbox, http
) -> None:
    env = running.env
    # No timer of the bot may fire on the wall clock: that moved virtual time by itself.
    on_the_wall_clock = [
        record
        for record in env._work.callbacks
        if record.real_handle is not None
        and record.handle is not None
        and not record.handle.cancelled()
    ]
    assert on_the_wall_clock == []
    page = PreviewPage(http, running.url)
    await page.open(running.world.developers[2].id)
    start = env.now()
    await page.run("sandbox advance", hours="1")
    reply = next(c for c in page.contents() if "Moving the clock" in c)
    assert f"It is <t:{int(start.timestamp())}:F>" in reply and "1 hour forward" in reply
    after = start + timedelta(hours=1)
    note = f"The sandbox clock now reads <t:{int(after.timestamp())}:F>"
    await _until(lambda: any(note in c for c in page.contents()), page)
    assert env.now() == after


async def test_the_welcome_words_its_times_as_the_timestamps_do(running: Sandbox) -> None:
    world, services = running.world, running.bot.services
    guide = next(
        m for m in world.general.history() if "Welcome to the Hallway sandbox" in m.content
    )
    [upcoming] = await services.office_hours.upcoming(world.guild.id, 1)
    stamp = int(upcoming.session.starts_at.timestamp())
    assert f"<t:{stamp}:F> (<t:{stamp}:R>)" in guide.content
    assert "tomorrow" not in guide.content
    # Developers read the welcome too: a mention of #advocates, which they can't see,
    # would show them a raw channel id, so the welcome names it in plain text.
    assert world.staff.mention not in guide.content and "**#advocates**" in guide.content


async def test_a_developer_on_a_channel_they_cant_see_lands_on_general(
    running: Sandbox, http
) -> None:
    world = running.world
    page = PreviewPage(http, running.url)
    await page.open(world.you.id)
    await page.run("sandbox show", channel="advocates")
    await _until(lambda: page.state["channelId"] == str(world.staff.id), page)
    await page.act("viewer", viewer_id=str(world.developers[0].id))
    assert page.state["channelId"] == str(world.general.id)
    assert page.state["status"] != "access_denied"
    assert any("Welcome to the Hallway sandbox" in c for c in page.contents())
    # The page's commands now run in #general too: a developer's command on the page
    # they landed on is not run against #advocates, which they can't see.
    receipt = await page.run("me timezone", zone="Europe/Berlin")
    assert [d["code"] for d in receipt["diagnostics"]] == [], receipt["diagnostics"]
    assert (
        await running.bot.services.members.zone_of(world.guild.id, world.developers[0].id)
        == "Europe/Berlin"
    )


async def _live_question_thread(running: Sandbox) -> Any:
    world = running.world
    await world.you.slash(world.staff, "officehours start")
    await world.you.slash(world.staff, "officehours next")
    [thread] = world.office_hours.threads
    return thread


async def test_sandbox_show_opens_a_question_thread_with_its_card(running: Sandbox, http) -> None:
    world = running.world
    thread = await _live_question_thread(running)
    labels = [label for _, label in running.driver.places(world.you.id)]
    assert f"#office-hours › {thread.name}" in labels
    assert "#advocates" not in [label for _, label in running.driver.places(world.developers[0].id)]
    page = PreviewPage(http, running.url)
    await page.open(world.you.id)
    [choice] = [
        c
        for c in await world.you.autocomplete(world.general, "sandbox show", "channel", "OAuth")
        if c["name"].startswith("#office-hours ›")
    ]
    await page.run("sandbox show", channel=choice["value"])
    await _until(lambda: page.state["channelId"] == str(thread.id), page)
    buttons = [
        component.get("label")
        for message in page.state["messages"].values()
        for row in message.get("components") or []
        for component in row.get("components") or []
    ]
    assert {"Answered", "Skip", "Convert to feedback"} <= set(buttons)
    receipt = await page.run("sandbox show", channel="no-such-place")
    assert receipt["settlement"] == "settled"
    assert "no channel or thread called" in page.contents()[-1]


async def test_links_into_the_server_open_in_the_sandbox(running: Sandbox, http) -> None:
    from simcord.preview import _messages

    world = running.world
    thread = await _live_question_thread(running)
    port, key = running.preview._server.port, running.preview.capability
    link = _messages._discord_message_link(world.guild.id, thread.id, 5)
    assert link == f"http://127.0.0.1:{port}/?show={thread.id}#{key}"
    elsewhere = _messages._discord_message_link(1, 2, 3)
    assert elsewhere == "https://discord.com/channels/1/2/3"  # not the sandbox's server
    async with http.get(f"http://127.0.0.1:{port}/?show={thread.id}") as response:
        assert response.status == 200
    assert running.preview.channel.id == thread.id
    async with http.get(f"http://127.0.0.1:{port}/messages.js") as response:
        script = await response.text()
    assert (
        "url.origin !== window.location.origin" in script
        and 'hostname !== "discord.com"' not in script
    )


async def test_mentions_in_embed_values_render_as_names(running: Sandbox, http) -> None:
    world = running.world
    await world.you.slash(world.staff, "officehours start")
    page = PreviewPage(http, running.url)
    await page.open(world.you.id)
    await page.run("sandbox show", channel="office-hours")
    await _until(lambda: page.state["channelId"] == str(world.office_hours.id), page)
    board = next(
        m
        for m in page.state["messages"].values()
        if any("Office hours" in (e.get("title") or "") for e in m.get("embeds") or [])
    )
    text = repr(board)
    assert "@priya" in text
    assert "'type': 'mention'" in text


async def test_the_digest_preview_right_after_the_seed_shows_the_seeded_week(
    running: Sandbox, http
) -> None:
    # The seeded questions, feedback and votes are stamped at the sandbox's "now": a
    # preview built at that same instant must count them, not call the week empty.
    page = PreviewPage(http, running.url)
    await page.open(running.world.you.id)
    await page.run("digest preview")
    [reply] = [c for c in page.contents() if "Weekly digest" in c]
    assert "Nothing new this week" not in reply
    page_of_items = await running.bot.services.feedback.list_page(
        running.world.guild.id, tag=None, status=None, sort="recent", page=0
    )
    seeded = page_of_items.total
    assert seeded > 0 and f"New feedback items: **{seeded}**" in reply


async def test_the_seeded_week_spreads_members_across_levels(running: Sandbox, http) -> None:
    # /stats levels in the sandbox is not empty, and the welcome says where to look.
    world = running.world
    guide = next(
        m for m in world.general.history() if "Welcome to the Hallway sandbox" in m.content
    )
    assert "`/stats levels` shows how many are at each level" in guide.content
    assert "`/me show` tells you your own" in guide.content
    # Scores at message 1, question 3, feedback 3, vote 1 (each reporter's own vote included):
    # priya 7 messages + 1 question + 2 items + 3 votes = 7 + 3 + 6 + 3 = 19;
    # marco 4 + 1 question + 1 item + 3 votes = 4 + 3 + 3 + 3 = 13;
    # sam 2 messages + 1 item + 3 votes = 2 + 3 + 3 = 8; you 1 vote = 1.
    # At thresholds 2 / 10 / 15: priya a champion, marco a contributor, sam a participant,
    # you an observer. A week ago none of them had a score: the three moved up.
    page = PreviewPage(http, running.url)
    await page.open(world.you.id)
    await page.run("stats levels")
    [reply] = [c for c in page.contents() if "Member levels" in c]
    for level in ("Observer", "Participant", "Contributor", "Champion"):
        assert f"**{level}**: 1" in reply, reply
    priya, marco, sam = world.developers
    assert f"<@{priya.id}> (observer → champion)" in reply
    assert f"<@{marco.id}> (observer → contributor)" in reply
    assert f"<@{sam.id}> (observer → participant)" in reply
    page = PreviewPage(http, running.url)
    await page.open(priya.id)
    await page.run("me show")
    [about] = [c for c in page.contents() if "Your level" in c]
    assert "Level: champion (score 19 over the last 90 days)" in about, about
