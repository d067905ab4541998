"""10. `/announce history` after 10 years of a daily announcement (~3,650 deliveries).

Times the reply's database work on bench.data.history_db's guild at 1 and 10 years: the
newest ten deliveries (SQL LIMIT) and the COUNT behind "…and N older deliveries not shown",
against the query it replaced (the newest 50, clipped to one message afterwards) and against
reading every delivery. Repository calls only: the Discord round trip is the commands bench's.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from bench.common import CACHE, GUILD_ID, Result, fresh_copy, latency_stats, now_ns, remove_db
from bench.data import history_db
from cogs.announcements.commands import HISTORY_SHOWN
from storage.announcements import AnnouncementRepository
from storage.database import Database

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TARGET_P99_MS = 10.0
ANNOUNCEMENT = 1  # bench.data's daily tip


async def _time(rounds: int, call) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        start = now_ns()
        await call()
        samples.append(now_ns() - start)
    return latency_stats(samples)


async def _one(path, rounds: int) -> dict[str, Any]:
    db = Database(path)
    await db.open()
    try:
        repo = AnnouncementRepository(db)

        async def page() -> None:
            await repo.history(GUILD_ID, ANNOUNCEMENT, HISTORY_SHOWN)
            await repo.count_deliveries(GUILD_ID, ANNOUNCEMENT)

        async def old_page() -> None:
            await repo.history(GUILD_ID, ANNOUNCEMENT, 50)

        async def everything() -> None:
            await repo.history(GUILD_ID, ANNOUNCEMENT, 1_000_000)

        await page()  # warm the page cache the same way for each
        return {
            "deliveries": await repo.count_deliveries(GUILD_ID, ANNOUNCEMENT),
            "newest_10_plus_count": await _time(rounds, page),
            "newest_50_before": await _time(rounds, old_page),
            "every_delivery": await _time(rounds, everything),
        }
    finally:
        await db.close()


async def _run(quick: bool) -> Result:
    scale = 0.1 if quick else 1.0
    rounds = 50 if quick else 300
    found: dict[int, dict[str, Any]] = {}
    for years in (1, 10):
        template = await asyncio.to_thread(history_db, years, now=NOW, scale=scale)
        work = fresh_copy(template, CACHE / f"announce-history-{years}.db")
        try:
            found[years] = await _one(work, rounds)
        finally:
            remove_db(work)
    ten, one = found[10], found[1]
    value = ten["newest_10_plus_count"]
    for years, f in found.items():
        print(
            f"  /announce history, {years} y ({f['deliveries']} deliveries): newest 10 + count "
            f"p50 {f['newest_10_plus_count']['p50_ms']:.3f} ms, p99 "
            f"{f['newest_10_plus_count']['p99_ms']:.3f} ms; old newest-50 p50 "
            f"{f['newest_50_before']['p50_ms']:.3f} ms; every delivery p50 "
            f"{f['every_delivery']['p50_ms']:.3f} ms"
        )
    return Result(
        key="announce_history",
        name="/announce history, 10 years of a daily announcement",
        value=value["p50_ms"],
        unit="ms",
        baseline=one["newest_10_plus_count"]["p50_ms"],
        baseline_name="the same after 1 year (p50)",
        ratio=round(value["p50_ms"] / one["newest_10_plus_count"]["p50_ms"], 2),
        ratio_name="10 y / 1 y",
        target=f"p99 < {TARGET_P99_MS:g} ms (not an issue target)",
        met=value["p99_ms"] < TARGET_P99_MS,
        details={"scale": scale, "rounds": rounds, "one_year": one, "ten_years": ten},
    )


def run(quick: bool) -> Result:
    return asyncio.run(_run(quick))
