"""/feedback export's big-file paths: zipped past 1 MiB, nothing attached past the upload limit.

The thresholds are lowered for the test (the zip threshold, and the guild's upload limit that
discord.py derives from its boost tier) so a handful of items crosses them; the code paths are
the ones a 100k-item guild takes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import zipfile

import discord

import services.feedback.export as export_module
from services.worker_process import WorkerError
from tests.conftest import make_advocates, submit_feedback
from tests.test_cli import run_cli

SUMMARIES = [
    "Docs search finds nothing for webhooks",
    "Python SDK throws 401 after token refresh",
    "Rate limit headers are undocumented",
    "Onboarding email never arrives",
]


async def _three_items(world) -> None:
    await make_advocates(world)
    for n, summary in enumerate(SUMMARIES[:3]):
        await submit_feedback(world.bob, world.general, summary, f"details of item {n} " * 20)


def _edit_requests(env) -> list:
    """The edits of the deferred export reply (the followup that carries text and files)."""
    return [r for r in env.http_requests if r.method == "PATCH" and "/messages/@original" in r.path]


async def test_a_large_export_is_zipped_and_the_zip_holds_every_row(
    world, bots, monkeypatch
) -> None:
    await _three_items(world)
    monkeypatch.setattr(export_module, "ZIP_OVER", 200)
    r = await world.alice.slash(world.general, "feedback export", format="csv")
    assert r.ephemeral
    text = r.response.content
    assert text.startswith("📦 3 feedback items (")
    assert "of CSV, zipped to" in text
    [attachment] = r.response.attachments
    assert attachment.filename.endswith(".csv.zip")
    with zipfile.ZipFile(io.BytesIO(await attachment.read())) as z:
        [name] = z.namelist()
        assert name.endswith(".csv") and not name.endswith(".zip")
        rows = list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8"))))
    assert [row["summary"] for row in rows] == SUMMARIES[:3]


async def test_a_small_export_is_attached_as_it_is(world, bots) -> None:
    await _three_items(world)
    before = len(_edit_requests(world.env))
    r = await world.alice.slash(world.general, "feedback export", format="json")
    # The same check the over-limit test makes does see a file when one is sent.
    assert any((e.json or {}).get("attachments") for e in _edit_requests(world.env)[before:])
    [attachment] = r.response.attachments
    assert attachment.filename.endswith(".json")
    assert "zipped" not in r.response.content
    records = json.loads(await attachment.read())
    assert [rec["summary"] for rec in records] == SUMMARIES[:3]


async def test_past_the_upload_limit_nothing_is_attached_and_the_reply_says_how_to_get_it(
    world, bots, monkeypatch, tmp_path
) -> None:
    await _three_items(world)
    monkeypatch.setattr(export_module, "ZIP_OVER", 200)
    # discord.py reads the limit from the guild's boost tier (10 MiB at least); 300 bytes
    # stands in for a file that is still too big once zipped.
    monkeypatch.setattr(discord.Guild, "filesize_limit", property(lambda self: 300))
    before = len(_edit_requests(world.env))
    r = await world.alice.slash(world.general, "feedback export", format="csv")
    text = r.response.content
    assert r.ephemeral
    assert r.response.attachments == []
    edits = _edit_requests(world.env)[before:]
    assert edits and all(not (e.json or {}).get("attachments") for e in edits)
    assert "3 feedback items" in text and "zipped to" in text
    assert "over this server's upload limit of 1 KiB, so no file is attached" in text
    assert "`since:`" in text
    command = re.search(r"`(python bot\.py export [^`]+)`", text)
    assert command is not None, text
    assert f"--guild {world.guild.id}" in command.group(1)

    # The command the reply gives works on the bot's database and exports every item.
    args = shlex.split(command.group(1))[2:]
    done = run_cli(*args, tmp_path=tmp_path, HALLWAY_DATABASE=str(bots.settings.database))
    assert done.returncode == 0, done.stderr
    out = tmp_path / "feedback.csv"
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["summary"] for row in rows] == SUMMARIES[:3]


async def test_a_since_window_exports_only_newer_items(world, bots) -> None:
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, SUMMARIES[0])
    await world.env.advance_time(10 * 86400)
    await submit_feedback(world.bob, world.general, SUMMARIES[1])
    r = await world.alice.slash(world.general, "feedback export", format="json", since="5d")
    assert r.response.content.startswith("📦 1 feedback item")
    records = json.loads(await r.response.attachments[0].read())
    assert [rec["summary"] for rec in records] == [SUMMARIES[1]]


async def test_a_member_cannot_export(world, bots) -> None:
    await _three_items(world)
    r = await world.bob.slash(world.general, "feedback export")
    assert r.ephemeral and r.response.attachments == []
    assert "advocate" in r.response.content.lower()


async def test_the_export_is_built_in_the_bots_worker_process_not_its_event_loop(
    world, bots
) -> None:
    await _three_items(world)
    worker = bots.current.file_worker
    assert worker.started == 0
    r = await world.alice.slash(world.general, "feedback export", format="csv")
    [attachment] = r.response.attachments
    rows = list(csv.DictReader(io.StringIO((await attachment.read()).decode("utf-8"))))
    assert [row["summary"] for row in rows] == SUMMARIES[:3]
    # One process started, and it is not this one: the 100k-item build that stalled the
    # loop for a second now happens there.
    assert worker.started == 1 and worker.pid is not None and worker.pid != os.getpid()
    # Charts have a worker of their own, so an export never holds one up.
    assert bots.current.charts.started == 0


async def test_a_worker_that_stops_gets_a_clear_reply_and_the_next_export_works(
    world, bots, monkeypatch
) -> None:
    await _three_items(world)
    worker = bots.current.file_worker

    async def stopped(fn, *args):
        raise WorkerError("the worker process stopped: BrokenPipeError()")

    monkeypatch.setattr(worker, "run", stopped)
    r = await world.alice.slash(world.general, "feedback export", format="json")
    assert r.ephemeral and r.response.attachments == []
    assert r.response.content.startswith("❌ The export couldn't be built this time")
    assert "python bot.py export --guild" in r.response.content
    monkeypatch.undo()
    r = await world.alice.slash(world.general, "feedback export", format="json")
    [attachment] = r.response.attachments
    assert [rec["summary"] for rec in json.loads(await attachment.read())] == SUMMARIES[:3]
