"""How `/officehours ask` grows with the guild's office-hours history (not one of issue 9's six
targets; it watches the growth the six don't cover).

The command benchmark's harness (the real bot under SimCord, interactions handed straight to
discord.py, timed to the reply reaching the HTTP layer) on the digest benchmark's databases:
one year of history (156 sessions, 20k questions) against ten (1,559 sessions, 200k
questions), with the new session in the same weekly series, so the wait estimate reads that
series' answers. The two histories run one after the other, in two bot processes' worth of
set-up, so machine load can differ between them: each is divided by the floor command
measured alongside it, and the growth figure is the 10-year ratio over the 1-year ratio.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bench.commands import (
    NOW,
    TARGET_P99_MS,
    add_session,
    asker,
    bench_bot,
    floor_action,
)
from bench.common import (
    CACHE,
    Result,
    fresh_copy,
    interleaved,
    latency_stats,
    messages,
    remove_db,
    summary_of,
)
from bench.data import history_db

HISTORY_SERIES = 1  # bench.data puts every generated session in series 1
TARGET_RATIO = 1.5  # the digest's growth target, borrowed


async def _one(path: Path, rounds: int, warmup: int) -> dict[str, Any]:
    async with bench_bot(path, 40) as (bench, members):
        await add_session(bench, members[0].id, series_id=HISTORY_SERIES)
        questions = [summary_of(t) for t in messages(100, seed=31)]
        samples = await interleaved(
            rounds,
            warmup,
            {"floor": floor_action(bench, members), "ask": asker(bench, members, questions)},
        )
        sizes = {
            "sessions": await bench.bot.db.fetchval("SELECT count(*) FROM oh_sessions"),
            "questions": await bench.bot.db.fetchval("SELECT count(*) FROM oh_questions"),
        }
    return {name: latency_stats(values) for name, values in samples.items()} | sizes


async def _run(quick: bool) -> Result:
    scale = 0.1 if quick else 1.0
    rounds = 40 if quick else 300
    warmup = 10 if quick else 30
    found: dict[int, dict[str, Any]] = {}
    for years in (1, 10):
        template = await asyncio.to_thread(history_db, years, now=NOW, scale=scale)
        work = fresh_copy(template, CACHE / f"ask-growth-{years}.db")
        try:
            found[years] = await _one(work, rounds, warmup)
        finally:
            remove_db(work)
    small, large = found[1], found[10]
    to_floor = {
        years: f["ask"]["p50_ms"] / f["floor"]["p50_ms"] for years, f in ((1, small), (10, large))
    }
    ratio = to_floor[10] / to_floor[1]
    return Result(
        key="ask_growth",
        name="/officehours ask, 10 years of office hours",
        value=large["ask"]["p50_ms"],
        unit="ms",
        baseline=small["ask"]["p50_ms"],
        baseline_name="the same with 1 year of office hours (p50)",
        ratio=round(ratio, 2),
        ratio_name="10 y / 1 y, each over its floor",
        target=f"ratio <= {TARGET_RATIO} (not an issue target)",
        met=ratio <= TARGET_RATIO and large["ask"]["p99_ms"] < TARGET_P99_MS,
        details={
            "scale": scale,
            "rounds": rounds,
            "one_year": small,
            "ten_years": large,
            "ask_to_floor_p50": {
                "one_year": round(to_floor[1], 2),
                "ten_years": round(to_floor[10], 2),
            },
        },
    )


def run(quick: bool) -> Result:
    return asyncio.run(_run(quick))
