"""3. Digest at scale: one weekly digest over one year of history vs ten years.

The service is built the way ``HallwayBot.wire_digest`` builds it, with the real office-hours,
feedback and announcement repositories as its providers. Each year holds the same weekly
load (see ``bench.data.history_db``), so any growth from one to ten years is the cost of
history the weekly digest should not be reading.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from bench.common import CACHE, GUILD_ID, Result, fresh_copy, median, ms, now_ns, remove_db
from bench.data import history_db
from services.activity import ActivityRecorder
from services.digest.build import DigestService
from services.guild_settings import GuildSettingsService
from services.time.clock import FixedClock
from storage.activity import ActivityRepository
from storage.announcements import AnnouncementRepository
from storage.database import Database
from storage.digest import DigestRepository
from storage.feedback.items import FeedbackRepository
from storage.guild_settings import GuildSettingsRepository
from storage.office_hours.sessions import OfficeHoursRepository

log = logging.getLogger(__name__)

NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
TARGET_MS = 100.0
TARGET_RATIO = 1.5


def build_service(db: Database, clock: FixedClock) -> DigestService:
    activity = ActivityRepository(db)
    recorder = ActivityRecorder(activity, clock)
    return DigestService(
        DigestRepository(db),
        activity,
        GuildSettingsService(GuildSettingsRepository(db), clock, "UTC"),
        clock,
        office_hours=OfficeHoursRepository(db),
        feedback=FeedbackRepository(db),
        announcements=AnnouncementRepository(db),
        before_build=recorder.flush,
    )


async def _time_builds(paths: dict[int, Path], runs: int, chart_runs: int) -> dict[int, dict]:
    """Builds alternate between the histories, so a change in machine load hits both alike."""
    clock = FixedClock(NOW)
    dbs = {years: Database(path) for years, path in paths.items()}
    found: dict[int, dict] = {}
    try:
        services = {}
        for years, db in dbs.items():
            await db.open()
            services[years] = build_service(db, clock)
            digest = await services[years].build_week(GUILD_ID, chart=False)  # warm the cache
            if not digest.sections:
                raise RuntimeError("the generated history produced an empty digest")
            found[years] = {"sections": len(digest.sections)}
        samples: dict[int, list[int]] = {years: [] for years in dbs}
        charts: dict[int, list[int]] = {years: [] for years in dbs}
        for n in range(runs + chart_runs):
            for years, service in services.items():
                start = now_ns()
                await service.build_week(GUILD_ID, chart=n >= runs)
                (charts if n >= runs else samples)[years].append(now_ns() - start)
        for years, db in dbs.items():
            found[years].update(
                median_ms=ms(median(samples[years])),
                min_ms=ms(min(samples[years])),
                with_chart_median_ms=ms(median(charts[years])) if chart_runs else float("nan"),
                feedback_items=await db.fetchval("SELECT count(*) FROM feedback_items"),
                oh_questions=await db.fetchval("SELECT count(*) FROM oh_questions"),
                activity_member_days=await db.fetchval("SELECT count(*) FROM activity_member_day"),
            )
    finally:
        for db in dbs.values():
            await db.close()
    return found


async def _run(quick: bool) -> Result:
    scale = 0.1 if quick else 1.0
    runs = 20 if quick else 30
    chart_runs = 2 if quick else 5
    paths: dict[int, Path] = {}
    for years in (1, 10):
        template = await asyncio.to_thread(history_db, years, now=NOW, scale=scale)
        paths[years] = fresh_copy(template, CACHE / f"digest-work-{years}.db")
    try:
        found = await _time_builds(paths, runs, chart_runs)
    finally:
        for path in paths.values():
            remove_db(path)
    small, large = found[1], found[10]
    ratio = large["median_ms"] / small["median_ms"]
    return Result(
        key="digest",
        name="Weekly digest, 10 years of history",
        value=round(large["median_ms"], 2),
        unit="ms",
        baseline=round(small["median_ms"], 2),
        baseline_name="the same digest with 1 year of history",
        ratio=round(ratio, 3),
        ratio_name="10 years / 1 year",
        target=f"< {TARGET_MS:g} ms and ratio <= {TARGET_RATIO}",
        met=large["median_ms"] < TARGET_MS and ratio <= TARGET_RATIO,
        rank_by="value",
        details={
            "scale": scale,
            "runs": runs,
            "one_year": {k: round(v, 2) for k, v in small.items()},
            "ten_years": {k: round(v, 2) for k, v in large.items()},
            "table_rows": [
                (
                    "  with the chart PNG (matplotlib, in a thread)",
                    f"{large['with_chart_median_ms']:.1f} ms",
                    f"{small['with_chart_median_ms']:.1f} ms",
                    f"{large['with_chart_median_ms'] / small['with_chart_median_ms']:.2f}",
                    "(not targeted)",
                    "-",
                )
            ],
            "note": "value excludes the chart PNG (constant cost, rendered in a thread); "
            "with_chart_median_ms includes it",
        },
    )


def run(quick: bool) -> Result:
    return asyncio.run(_run(quick))
