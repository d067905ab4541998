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
from sandbox.server import INSTALL_HINT, Sandbox, SandboxUnavailable, missing_preview_modules

# Only the tests that serve the preview need the extra; CI installs it.
needs_preview = pytest.mark.skipif(
    bool(missing_preview_modules()),
    reason=f"SimCord's preview is not installed: {INSTALL_HINT}",
)


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


@needs_preview
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
    assert "2 question(s) waiting" in reply
    assert f"<@{running.world.you.id}>" in reply  # hosted by the advocate


@needs_preview
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
    [announcement] = await services.announcements.list(guild)
    assert announcement.status == "scheduled"
    assert announcement.channel_id == world.announcements.id
    digest = await services.digest.settings(guild)
    assert digest.config.stored and digest.config.enabled
    assert digest.channel_id == world.digest.id and digest.day_name == "monday"
    # A quick poll that ended in the seeded week, with its counts; an open survey with answers.
    poll = await services.surveys.get(guild, 1)
    assert (poll.kind, poll.status) == ("poll", "closed")
    assert await services.surveys.repo.poll_counts(guild, 1) == [2, 1, 0]
    survey = await services.surveys.draft(guild, 2)
    assert survey.survey.status == "open" and survey.responses == 3
    assert [q.kind for q in survey.questions] == ["nps", "choice", "text"]


@needs_preview
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


@needs_preview
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


@needs_preview
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


@needs_preview
async def test_a_kept_database_opens_again_without_seeding_twice(tmp_path: Path) -> None:
    path = tmp_path / "kept.db"
    async with sandbox_module.open_sandbox(None, str(path), create_bot=create_bot) as first:
        assert first.seed_failures == []
        sessions = await first.bot.services.office_hours.upcoming(first.world.guild.id, 10)
    async with sandbox_module.open_sandbox(None, str(path), create_bot=create_bot) as second:
        again = await second.bot.services.office_hours.upcoming(second.world.guild.id, 10)
    assert sessions and [e.session.id for e in again] == [e.session.id for e in sessions]
    assert path.exists()  # --database is kept after the sandbox stops
