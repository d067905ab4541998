"""Charts drawn in a worker process (services/worker_process.py)."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest
from PIL import Image

from services.chart import ChartData, DayPoint, TagPoint, render_chart
from services.worker_process import WorkerError, WorkerProcess, serve
from tests.test_cli import ROOT


def worker_pid() -> bytes:
    return str(os.getpid()).encode()


def fails(reason: str) -> bytes:
    raise ValueError(reason)


def dies() -> bytes:
    os._exit(3)


def loaded_modules(*names: str) -> bytes:
    return ",".join(n for n in names if n in sys.modules).encode()


def _data() -> ChartData:
    start = date(2026, 1, 1)
    days = [DayPoint(start + timedelta(days=n), n % 5, 3 * n) for n in range(14)]
    return ChartData(days, [TagPoint("docs", 4, 2), TagPoint("auth", 1, 3)])


@pytest.fixture
async def charts():
    process = WorkerProcess()
    yield process
    await process.close()


async def test_the_digest_chart_is_drawn_in_another_process(charts) -> None:
    png = await charts.run(render_chart, _data())
    assert png == render_chart(_data())
    assert Image.open(io.BytesIO(png)).size == (800, 600)
    pid = int(await charts.run(worker_pid))
    assert pid != os.getpid() and pid == charts.pid
    # The worker holds matplotlib; it is started once and reused.
    assert b"matplotlib" in await charts.run(loaded_modules, "matplotlib")
    assert charts.started == 1


async def test_a_failing_chart_raises_and_the_worker_keeps_serving(charts) -> None:
    with pytest.raises(WorkerError, match="ValueError: no data"):
        await charts.run(fails, "no data")
    assert (await charts.run(render_chart, _data())).startswith(b"\x89PNG")
    assert charts.started == 1


async def test_a_worker_that_dies_is_replaced_on_the_next_chart(charts) -> None:
    with pytest.raises(WorkerError, match="stopped"):
        await charts.run(dies)
    assert (await charts.run(render_chart, _data())).startswith(b"\x89PNG")
    assert charts.started == 2


async def test_the_worker_stops_when_idle_and_on_close() -> None:
    charts = WorkerProcess(idle_seconds=0.05)
    try:
        await charts.run(worker_pid)
        assert charts.pid is not None
        for _ in range(200):
            if charts.pid is None:
                break
            await asyncio.sleep(0.05)
        assert charts.pid is None
        await charts.run(worker_pid)
        assert charts.started == 2
    finally:
        await charts.close()
    assert charts.pid is None


async def test_concurrent_charts_are_drawn_one_after_another(charts) -> None:
    pngs = await asyncio.gather(*(charts.run(render_chart, _data()) for _ in range(4)))
    assert len(set(pngs)) == 1 and charts.started == 1


def test_serve_answers_each_request_until_the_input_ends() -> None:
    import pickle

    def frame(obj) -> bytes:
        data = pickle.dumps(obj)
        return len(data).to_bytes(4, "big") + data

    stdin = io.BytesIO(frame((worker_pid, ())) + frame((fails, ("x",))))
    stdout = io.BytesIO()
    serve(stdin, stdout)
    out = io.BytesIO(stdout.getvalue())
    answers = []
    while head := out.read(4):
        answers.append(pickle.loads(out.read(int.from_bytes(head, "big"))))
    assert answers == [("ok", str(os.getpid()).encode()), ("error", "ValueError: x")]


def test_the_bot_never_imports_matplotlib_to_post_a_digest() -> None:
    """A fresh interpreter: build the bot and a digest with its chart, through the bot's own
    wiring; matplotlib must be loaded in the worker only."""
    script = """
import asyncio, sys, tempfile
from pathlib import Path
from datetime import UTC, datetime
from config.settings import load_settings
from bot import create_bot
from services.time.clock import FixedClock

async def main():
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings({"HALLWAY_DATABASE": str(Path(tmp) / "h.db")})
        bot = create_bot(settings, clock=FixedClock(datetime(2026, 1, 5, 9, tzinfo=UTC)))
        async def no_sync():
            return None
        bot.sync_commands_if_changed = no_sync  # no network here
        await bot.setup_hook()
        day = "2026-01-02"
        await bot.db.execute(
            "INSERT INTO activity_member_day (guild_id, user_id, day, messages) "
            "VALUES (1, 2, ?, 5)", (day,))
        digest = await bot.services.digest.build_week(1)
        assert digest.chart_png and digest.chart_png.startswith(b"\\x89PNG"), digest
        print("matplotlib" in sys.modules, bot.charts.started)
        await bot.close()

asyncio.run(main())
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "1"]
