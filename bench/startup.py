"""4. Start-up restore: opening the database to every alarm job rebuilt.

Runs the bot's real ``setup_hook`` (open, migrate, build services, load cogs, each feature's
job rebuild, ``alarm.start()``) on a database holding 10,000 active announcements and 1,000
recurring office-hours sessions. The command sync that follows the rebuild talks to Discord,
so it is replaced by a timestamp: the clock stops when the jobs are all in the alarm.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import aiosqlite

from bench.common import (
    CACHE,
    Result,
    fresh_copy,
    median,
    ms,
    now_ns,
    remove_db,
    settings_for,
)
from bench.data import schedules_db
from bot import create_bot
from services.time.clock import FixedClock

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TARGET_S = 1.0


async def _bot_restore(path) -> tuple[int, int]:
    """Nanoseconds from setup_hook's start to the jobs rebuilt, and the job count."""
    settings = settings_for(path)
    bot = create_bot(settings, clock=FixedClock(NOW))
    done: list[int] = []

    async def jobs_rebuilt() -> None:
        done.append(now_ns())

    bot.sync_commands_if_changed = jobs_rebuilt  # type: ignore[method-assign]
    try:
        start = now_ns()
        await bot.setup_hook()
        return done[0] - start, len(bot.alarm.names())
    finally:
        await bot.close()


async def _baseline(path) -> int:
    """Plain aiosqlite: open and read every row the rebuild needs."""
    start = now_ns()
    conn = await aiosqlite.connect(path)
    try:
        for sql in (
            "SELECT * FROM announcements WHERE status = 'scheduled' AND next_run_at IS NOT NULL",
            "SELECT * FROM oh_sessions WHERE status IN ('scheduled', 'live')",
        ):
            cursor = await conn.execute(sql)
            await cursor.fetchall()
            await cursor.close()
        return now_ns() - start
    finally:
        await conn.close()


async def _run(quick: bool) -> Result:
    announcements, series = (2_000, 200) if quick else (10_000, 1_000)
    runs = 3 if quick else 5
    template = await asyncio.to_thread(schedules_db, announcements, series, now=NOW)
    work = CACHE / "startup-work.db"
    # The bot's own log lines at start-up are not what is measured.
    logging.getLogger("hallway").setLevel(logging.WARNING)
    bot_times, base_times = [], []
    jobs = 0
    try:
        for _ in range(runs):
            fresh_copy(template, work)
            base_times.append(await _baseline(work))
            fresh_copy(template, work)
            elapsed, jobs = await _bot_restore(work)
            bot_times.append(elapsed)
    finally:
        remove_db(work)
    value = median(bot_times) / 1e9
    base = median(base_times) / 1e9
    return Result(
        key="startup",
        name="Start-up restore",
        value=round(value, 4),
        unit="s",
        baseline=round(base, 4),
        baseline_name="plain aiosqlite open + read of the same schedule rows",
        ratio=round(value / base, 2),
        ratio_name="bot / baseline",
        target=f"< {TARGET_S:g} s",
        met=value < TARGET_S,
        rank_by="value",
        details={
            "announcements": announcements,
            "recurring_sessions": series,
            "alarm_jobs": jobs,
            "runs": runs,
            "min_ms": round(ms(min(bot_times)), 1),
            "max_ms": round(ms(max(bot_times)), 1),
        },
    )


def run(quick: bool) -> Result:
    return asyncio.run(_run(quick))
