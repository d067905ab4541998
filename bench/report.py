"""`/report` (the monthly impact report) over 1 and 10 years of a 50,000-member guild's history.

Members join evenly over the history until there are 50,000; 1,000 of them are active each
day (activity counters), with three office-hours sessions a week (20k questions a year),
10k feedback items a year (with their moves to a status), one help post an hour, and a
daily announcement. Times MetricsService.report (every figure of the month and the month
before, programme reach included) and the CSV, median of the rounds; the PNG is drawn in the
chart worker process and not timed here. Also times `/stats retention` at its widest
(26 join weeks) with its CSV on the same history. Targets for both: < 500 ms, and
10 years <= 1.5x one year.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import CACHE, GUILD_ID, Result, fresh_copy, latency_stats, now_ns, remove_db
from bench.data import _announcement_rows, _cached, _feedback_rows, _office_hours_rows
from services.metrics.service import MAX_WEEKS, MetricsService
from storage.database import Database
from storage.metrics import MetricsRepository
from storage.timeutil import to_db

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
MEMBERS = 50_000
ACTIVE_PER_DAY = 1_000
TARGET_MS = 500.0
TARGET_RATIO = 1.5


class FixedClock:
    def now(self) -> datetime:
        return NOW


def _report_db(years: int, scale: float):
    def fill(conn: sqlite3.Connection) -> None:
        rng = random.Random(years)
        start = NOW - timedelta(days=365 * years)
        members = int(MEMBERS * scale)
        span = (NOW - start).total_seconds()
        joined = [start + timedelta(seconds=span * i / members) for i in range(members)]
        conn.executemany(
            "INSERT INTO member_milestones (guild_id, user_id, joined_at, first_message_at) "
            "VALUES (?, ?, ?, ?)",
            [
                (GUILD_ID, 20_000 + i, to_db(at), to_db(at + timedelta(hours=5)) if i % 2 else None)
                for i, at in enumerate(joined)
            ],
        )
        active = max(10, int(ACTIVE_PER_DAY * scale))
        day, rows, channels, guild_days = start.date(), [], [], []
        while day <= NOW.date():
            d = day.isoformat()
            # Members who joined by that day.
            present = max(active, int(members * (day - start.date()).days * 86400 / span))
            rows.extend(
                (GUILD_ID, d, 20_000 + u, rng.randint(1, 20))
                for u in rng.sample(range(min(present, members)), active)
            )
            channels.extend((GUILD_ID, d, 100 + c, rng.randint(0, 80)) for c in range(20))
            guild_days.append((GUILD_ID, d, rng.randint(0, 30), rng.randint(0, 10)))
            if len(rows) > 200_000:
                conn.executemany("INSERT INTO activity_member_day VALUES (?, ?, ?, ?)", rows)
                rows = []
            day += timedelta(days=1)
        conn.executemany("INSERT INTO activity_member_day VALUES (?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO activity_channel_day (guild_id, day, channel_id, messages) "
            "VALUES (?, ?, ?, ?)",
            channels,
        )
        conn.executemany(
            "INSERT INTO activity_guild_day (guild_id, day, joins, leaves) VALUES (?, ?, ?, ?)",
            guild_days,
        )
        _office_hours_rows(conn, rng, start, NOW, years, scale)
        _announcement_rows(conn, rng, start, NOW)
        _feedback_rows(
            conn, guild_id=GUILD_ID, count=int(10_000 * scale) * years, start=start,
            end=NOW - timedelta(minutes=5), seed=7, with_terms=False,
        )  # fmt: skip
        posts, moment, pid = [], start, 1
        while moment < NOW:
            answered = moment + timedelta(minutes=rng.randint(5, 3000))
            posts.append(
                (GUILD_ID, 55, 10**17 + pid, 20_000 + rng.randrange(members), to_db(moment),
                 to_db(answered) if answered < NOW else None, to_db(moment), to_db(moment))
            )  # fmt: skip
            pid += 1
            moment += timedelta(hours=1)
        conn.executemany(
            "INSERT INTO help_posts (guild_id, channel_id, message_id, author_id, posted_at, "
            "answered_at, nudge_due_at, escalate_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            posts,
        )

    tag = f"{scale:g}".replace(".", "_")
    return _cached(f"report-{years}y-x{tag}", fill)


async def _one(path, rounds: int) -> dict[str, Any]:
    db = Database(path)
    await db.open()
    try:
        service = MetricsService(MetricsRepository(db), FixedClock())  # type: ignore[arg-type]
        samples, retention, figures = [], [], 0
        for _ in range(rounds):
            start = now_ns()
            report = await service.report(GUILD_ID, None)
            service.report_csv(report)
            samples.append(now_ns() - start)
            figures = len(report.figures)
            # /stats retention at its widest (26 join weeks) with its CSV; the heat-map
            # PNG is drawn in the chart worker and not timed, as for the report.
            start = now_ns()
            service.retention_csv(await service.retention(GUILD_ID, MAX_WEEKS))
            retention.append(now_ns() - start)
        return {
            "time": latency_stats(samples),
            "retention": latency_stats(retention),
            "figures": figures,
        }
    finally:
        await db.close()


async def _run(quick: bool) -> Result:
    scale = 0.1 if quick else 1.0
    rounds = 3 if quick else 7
    found: dict[int, dict[str, Any]] = {}
    for years in (1, 10):
        began = time.perf_counter()
        template = await asyncio.to_thread(_report_db, years, scale)
        print(f"  report database, {years} y: ready in {time.perf_counter() - began:.1f} s")
        work = fresh_copy(template, CACHE / f"report-{years}.db")
        try:
            found[years] = await _one(work, rounds)
        finally:
            remove_db(work)
        f = found[years]
        print(f"  /report, {years} y: p50 {f['time']['p50_ms']:.1f} ms, max "
              f"{f['time']['max_ms']:.1f} ms ({f['figures']} figures); /stats retention "
              f"weeks:{MAX_WEEKS}: p50 {f['retention']['p50_ms']:.1f} ms")  # fmt: skip
    ten, one = found[10]["time"]["p50_ms"], found[1]["time"]["p50_ms"]
    ratio = round(ten / one, 2)
    r_ten, r_one = found[10]["retention"]["p50_ms"], found[1]["retention"]["p50_ms"]
    r_ratio = round(r_ten / r_one, 2)
    r_met = r_ten < TARGET_MS and r_ratio <= TARGET_RATIO
    return Result(
        key="report",
        name="/report (monthly impact report), 10 years of a 50,000-member guild",
        value=ten,
        unit="ms",
        baseline=one,
        baseline_name="the same after 1 year (p50)",
        ratio=ratio,
        ratio_name="10 y / 1 y",
        target=f"< {TARGET_MS:g} ms, 10 y <= {TARGET_RATIO:g}x 1 y",
        met=ten < TARGET_MS and ratio <= TARGET_RATIO and r_met,
        details={
            "scale": scale,
            "rounds": rounds,
            "one_year": found[1],
            "ten_years": found[10],
            "table_rows": [
                (
                    f"  /stats retention weeks:{MAX_WEEKS} + CSV, 10 y (p50)",
                    f"{r_ten:.1f} ms",
                    f"{r_one:.1f} ms (1 y)",
                    f"{r_ratio:g}",
                    f"< {TARGET_MS:g} ms, 10 y <= {TARGET_RATIO:g}x 1 y",
                    "yes" if r_met else "NO",
                )
            ],
        },
    )


def run(quick: bool) -> Result:
    return asyncio.run(_run(quick))
