"""The metrics service: reads ids and times through MetricsRepository, returns figures.

Time comes from the injected clock; ``before_read`` writes the activity counters
still in memory first, so a figure includes the last few seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.errors import InvalidInput
from services.metrics import levels
from services.metrics import report as monthly
from services.metrics.chart import render_report, render_retention, retention_csv
from services.metrics.figures import (
    RETENTION_WEEKS,
    WEEK,
    Funnel,
    LoopClosure,
    Responsiveness,
    RetentionRow,
    funnel,
    last_weeks,
    loop_closure,
    monday_of,
    responsiveness,
    retention,
    start_of,
)
from services.time.clock import Clock
from services.worker_process import InThread, Worker
from storage.metrics import LevelSettings, MetricsRepository

log = logging.getLogger(__name__)

# A programme's figures for [start, end): each feature's digest_figures, wired in bot.py.
Programme = Callable[[int, datetime, datetime], Awaitable[Any]]

MAX_WEEKS = 26
MAX_DAYS = 90
# The digest's retention line: the join week that is this many weeks back.
DIGEST_COHORT_WEEKS_AGO = 4


def check_weeks(weeks: int) -> None:
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(f"`weeks` must be between 1 and {MAX_WEEKS}; you gave {weeks}.")


def check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"`days` must be between 1 and {MAX_DAYS}; you gave {days}.")


@dataclass(frozen=True)
class MetricsDigest:
    """The weekly digest's metrics lines for one window."""

    newcomers: int  # joined in the window
    newcomers_answered: int  # of the members who joined in the last 4 weeks, first answer now
    cohort: RetentionRow | None  # the join week 4 weeks back, its first weeks
    responsiveness: Responsiveness
    # Help-channel posts made in the window, and their first replies by someone else.
    help: Responsiveness | None = None
    # Members whose level is higher (lower) at the window's end than 7 days before it.
    moved_up: int = 0
    moved_down: int = 0

    @property
    def any_at_all(self) -> bool:
        return bool(
            self.newcomers
            or self.newcomers_answered
            or (self.cohort is not None and self.cohort.size)
            or self.responsiveness.asked
            or (self.help is not None and self.help.asked)
            or self.moved_up
            or self.moved_down
        )


def _through(now: datetime) -> datetime:
    """The exclusive end of a window "up to now" that still holds what happened now."""
    return now + timedelta(microseconds=1)


class MetricsService:
    def __init__(
        self,
        repo: MetricsRepository,
        clock: Clock,
        *,
        before_read: Callable[[], Awaitable[object]] | None = None,
        charts: Worker | None = None,
    ) -> None:
        self._repo = repo
        # The heat-map is drawn where the digest's chart is (a worker process in the bot).
        self._charts = charts or InThread()
        self._clock = clock
        self._before_read = before_read
        # name -> the feature's digest_figures (office_hours, calls, surveys, hallway).
        self.programmes: dict[str, Programme] = {}

    async def _fresh(self) -> datetime:
        if self._before_read is not None:
            await self._before_read()
        return self._clock.now().astimezone(UTC)

    async def funnel(self, guild_id: int, weeks: int) -> Funnel:
        check_weeks(weeks)
        now = await self._fresh()
        mondays = last_weeks(now.date(), weeks)
        joiners = await self._repo.joiners(
            guild_id, start_of(mondays[0]), start_of(mondays[-1] + WEEK)
        )
        return funnel(joiners, mondays, now.date())

    async def responsiveness(self, guild_id: int, days: int) -> Responsiveness:
        """Office-hours questions first asked in the last ``days`` × 24 hours, and
        help-channel posts made in them (as ``help``)."""
        check_days(days)
        now = await self._fresh()
        start, end = now - timedelta(days=days), _through(now)
        questions = await self._repo.questions(guild_id, start, end)
        posts = await self._repo.help_posts(guild_id, start, end)
        return replace(responsiveness(questions, now), help=responsiveness(posts, now))

    async def retention(self, guild_id: int, weeks: int) -> list[RetentionRow]:
        """The last ``weeks`` join weeks, oldest first, and their 8 weeks after."""
        check_weeks(weeks)
        now = await self._fresh()
        # The newest cohort is last week's: this week's has no week after it yet.
        mondays = last_weeks(monday_of(now.date()) - WEEK, weeks)
        return await self._retention_rows(guild_id, mondays, now)

    async def _retention_rows(
        self, guild_id: int, mondays: list, now: datetime
    ) -> list[RetentionRow]:
        start, end = start_of(mondays[0]), start_of(mondays[-1] + WEEK)
        sizes = await self._repo.cohort_sizes(guild_id, start, end)
        cells = await self._repo.retention(guild_id, start, end, RETENTION_WEEKS)
        return retention(mondays, sizes, cells, now.date())

    async def retention_png(self, rows: list[RetentionRow]) -> bytes:
        return await self._charts.run(render_retention, rows)

    @staticmethod
    def retention_csv(rows: list[RetentionRow]) -> bytes:
        return retention_csv(rows)

    async def loop_closure(self, guild_id: int, days: int) -> LoopClosure:
        check_days(days)
        now = await self._fresh()
        shipped = await self._repo.shipped(guild_id, now - timedelta(days=days), _through(now))
        return loop_closure(shipped)

    async def digest_figures(self, guild_id: int, start: datetime, end: datetime) -> MetricsDigest:
        """For the digest's window [start, end): newcomers, who of them got a first
        answer in it, the join week 4 weeks back, how fast office-hours questions and
        help-channel posts were answered, and how many members moved up or down a level."""
        if self._before_read is not None:
            await self._before_read()
        recent = await self._repo.joiners(guild_id, start - 4 * WEEK, end)
        newcomers = sum(1 for j in recent if start <= j.joined_at < end)
        answered = sum(
            1 for j in recent if j.first_answer_at is not None and start <= j.first_answer_at < end
        )
        cohort_week = monday_of(end.astimezone(UTC).date()) - DIGEST_COHORT_WEEKS_AGO * WEEK
        [cohort] = await self._retention_rows(guild_id, [cohort_week], end)
        questions = await self._repo.questions(guild_id, start, end)
        posts = await self._repo.help_posts(guild_id, start, end)
        # Level movement over the week that ends with the window.
        ups, downs = levels.movement(
            await self.levels_at(guild_id, end - timedelta(days=7)),
            await self.levels_at(guild_id, end),
        )
        return MetricsDigest(
            newcomers,
            answered,
            cohort,
            responsiveness(questions, end),
            help=responsiveness(posts, end),
            moved_up=len(ups),
            moved_down=len(downs),
        )

    # ------------------------------------------------------------------ levels

    async def level_weights(self, guild_id: int) -> dict[str, float]:
        stored = await self._repo.level_settings(guild_id)
        return {**levels.DEFAULT_WEIGHTS, **(stored.weights or {})}

    async def configure_levels(
        self,
        guild_id: int,
        weights: dict[str, object],
        thresholds: list[float] | None,
    ) -> LevelSettings:
        """Check then store the guild's weights and thresholds (None keeps the percentiles)."""
        current = await self._repo.level_settings(guild_id)
        merged = levels.check_weights({**(current.weights or {}), **weights})
        checked = list(levels.check_thresholds(thresholds)) if thresholds is not None else None
        settings = LevelSettings(merged, checked if checked is not None else current.thresholds)
        await self._repo.set_level_settings(guild_id, settings, self._clock.now())
        return settings

    async def _scores_at(
        self, guild_id: int, at: datetime
    ) -> tuple[dict[int, float], tuple[float, ...], dict[str, float]]:
        """Each scoring member's 90-day score before ``at``, the thresholds and weights."""
        window = timedelta(days=levels.WINDOW_DAYS)
        counts = await self._repo.activity_by_kind(guild_id, at - window, at)
        weights = await self.level_weights(guild_id)
        scores = {user: levels.score(kinds, weights) for user, kinds in counts.items()}
        stored = (await self._repo.level_settings(guild_id)).thresholds
        thresholds = tuple(stored or levels.default_thresholds(scores.values()))
        return scores, thresholds, weights

    async def levels_at(self, guild_id: int, at: datetime) -> dict[int, str]:
        """Each scoring member's level over the 90 days before ``at``."""
        scores, thresholds, _ = await self._scores_at(guild_id, at)
        return {user: levels.level_of(value, thresholds) for user, value in scores.items()}

    async def about(self, guild_id: int, user_id: int) -> list[str]:
        """For ``/me show``: the member's own level, 90-day score, and what counts."""
        now = await self._fresh()
        # Up to and including now: a question asked this very instant (the sandbox's clock
        # stands still) already counts.
        scores, thresholds, weights = await self._scores_at(guild_id, _through(now))
        value = scores.get(user_id, 0.0)
        level = levels.level_of(value, thresholds)
        starts = ", ".join(
            f"{name} {start:g}" for name, start in zip(levels.LEVELS[1:], thresholds, strict=True)
        )
        counts = ", ".join(f"{kind} {weight:g}" for kind, weight in weights.items())
        return [
            f"Level: {level} (score {value:g} over the last {levels.WINDOW_DAYS} days)",
            f"Levels start at: {starts}",
            f"What counts (points each): {counts}",
        ]

    async def level_movement(
        self, guild_id: int
    ) -> tuple[dict[str, int], list[levels.Movement], list[levels.Movement]]:
        """Counts per level now, and who moved up and down since a week ago."""
        end = _through(await self._fresh())
        today = await self.levels_at(guild_id, end)
        week_ago = await self.levels_at(guild_id, end - timedelta(days=7))
        ups, downs = levels.movement(week_ago, today)
        # A member whose score fell to nothing this week is still counted, as an observer,
        # so the counts and the "moved down" list agree.
        for user_id in week_ago:
            today.setdefault(user_id, levels.LEVELS[0])
        return levels.counts_per_level(today.values()), ups, downs

    # ------------------------------------------------------------------ monthly report

    async def report(self, guild_id: int, month: str | None) -> monthly.MonthlyReport:
        """The month's figures beside the month before's (UTC months)."""
        now = await self._fresh()
        first = await self._repo.first_day(guild_id)
        chosen = monthly.parse_month(month, now.date(), first)
        assert first is not None
        end = monthly.month_start(monthly.next_month(chosen))
        through = now if end > now else None
        this = await self._month(guild_id, chosen, min(end, _through(now)), now)
        before_month = monthly.previous_month(chosen)
        before = None
        if before_month >= first.replace(day=1):
            before = await self._month(guild_id, before_month, monthly.month_start(chosen), now)
        return monthly.build_report(chosen, this, before, through)

    async def _month(
        self, guild_id: int, month: date, end: datetime, now: datetime
    ) -> monthly.MonthData:
        start = monthly.month_start(month)
        last = (end - timedelta(microseconds=1)).date()
        prev = monthly.previous_month(month)
        totals = await self._repo.month_totals(
            guild_id, month, last, prev, month - timedelta(days=1)
        )
        questions = await self._repo.questions(guild_id, start, end)
        posts = await self._repo.help_posts(guild_id, start, end)
        at = min(end, now)
        programmes: dict[str, dict[str, int]] = {}
        for name, read in self.programmes.items():
            try:
                programmes[name] = monthly.REACH[name](await read(guild_id, start, end))
            except Exception:
                log.exception("The %s figures for the monthly report failed", name)
        sent, reactions = await self._repo.announcement_reach(guild_id, start, end)
        programmes["announcements"] = {"posts": sent, "reactions": reactions}
        return monthly.MonthData(
            totals=totals,
            newcomers=await self._repo.newcomers(guild_id, start, end),
            answers=await self._repo.answers_between(guild_id, start, end),
            questions=responsiveness(questions, at),
            help=responsiveness(posts, at),
            captured=await self._repo.captured(guild_id, start, end),
            loop=loop_closure(await self._repo.shipped(guild_id, start, end)),
            programmes=programmes,
        )

    async def report_png(self, report: monthly.MonthlyReport) -> bytes:
        title = f"Impact report · {report.month:%B %Y}"
        if report.through is not None:
            title += f" (to {report.through:%d %b})"
        tiles = [
            (f.label, monthly.number(f.value, f.unit), monthly.change_text(f))
            for f in report.headline
        ]
        return await self._charts.run(render_report, title, tiles)

    @staticmethod
    def report_csv(report: monthly.MonthlyReport) -> bytes:
        return monthly.report_csv(report)
