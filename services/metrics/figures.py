"""The metrics' arithmetic, pure: join weeks, medians, the funnel, retention, answers.

Weeks are UTC weeks starting on Monday, like the activity counters' UTC days. The
90th percentile is the nearest-rank one: the smallest time that at least 90% of the
answers took no longer than, so it is always a time that really happened.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from storage.metrics import AnsweredQuestion, Joiner, RetentionCell, ShippedItem

WEEK = timedelta(days=7)
RETENTION_WEEKS = 8
UNANSWERED_AFTER = timedelta(hours=24)
FUNNEL_STEPS = (
    "Joined",
    "First message",
    "First question or feedback",
    "First answer received",
    "Active in week 2",
)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), UTC)


def last_weeks(today: date, weeks: int) -> list[date]:
    """The Mondays of the last ``weeks`` UTC weeks, this one included, oldest first."""
    this = monday_of(today)
    return [this - WEEK * i for i in range(weeks - 1, -1, -1)]


def median(values: Sequence[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def percentile(values: Sequence[timedelta], share: float) -> timedelta | None:
    """Nearest rank: the ceil(share × n)-th smallest value."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --------------------------------------------------------------------------- funnel


@dataclass(frozen=True)
class FunnelWeek:
    week: date  # Monday of the join week
    counts: tuple[int, ...]  # members at each of FUNNEL_STEPS
    second_week_over: bool  # every joiner's second week has ended


@dataclass(frozen=True)
class Funnel:
    weeks: list[FunnelWeek]
    median_to_answer: timedelta | None  # join -> first answer, over members who got one
    answered: int

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(sum(w.counts[i] for w in self.weeks) for i in range(len(FUNNEL_STEPS)))

    def conversion(self, counts: Sequence[int]) -> list[float | None]:
        """Each step as a share of the step before it (None for the first, or after 0)."""
        return [None] + [share(counts[i], counts[i - 1]) for i in range(1, len(counts))]


def _steps(joiner: Joiner) -> int:
    """How far down the funnel a member got: each step needs every one before it."""
    reached = [
        True,
        joiner.first_message_at is not None,
        joiner.first_ask_at is not None,
        joiner.first_answer_at is not None,
        joiner.active_second_week,
    ]
    depth = 0
    for step in reached:
        if not step:
            break
        depth += 1
    return depth


def funnel(joiners: Iterable[Joiner], weeks: Sequence[date], today: date) -> Funnel:
    by_week: dict[date, list[int]] = {w: [0] * len(FUNNEL_STEPS) for w in weeks}
    waits: list[timedelta] = []
    for joiner in joiners:
        week = monday_of(joiner.joined_at.astimezone(UTC).date())
        if week not in by_week:
            continue
        for i in range(_steps(joiner)):
            by_week[week][i] += 1
        if joiner.first_answer_at is not None and joiner.first_answer_at >= joiner.joined_at:
            waits.append(joiner.first_answer_at - joiner.joined_at)
    rows = [
        # The last joiner of a week (Sunday) has their second week over 20 days after Monday.
        FunnelWeek(w, tuple(by_week[w]), today >= w + timedelta(days=20))
        for w in weeks
    ]
    return Funnel(rows, median(waits), len(waits))


# --------------------------------------------------------------------------- retention


@dataclass(frozen=True)
class RetentionRow:
    cohort: date
    size: int
    # Share of the cohort active in each week after its join week; None: not over yet.
    shares: tuple[float | None, ...]
    active: tuple[int | None, ...]


def retention(
    cohorts: Sequence[date],
    sizes: dict[date, int],
    cells: Iterable[RetentionCell],
    today: date,
    weeks_after: int = RETENTION_WEEKS,
) -> list[RetentionRow]:
    found = {(c.cohort, c.week): c.active for c in cells}
    rows = []
    for cohort in cohorts:
        size = sizes.get(cohort, 0)
        active: list[int | None] = []
        for k in range(1, weeks_after + 1):
            over = today >= cohort + WEEK * (k + 1)
            active.append(found.get((cohort, k), 0) if over else None)
        rows.append(
            RetentionRow(
                cohort,
                size,
                tuple(None if a is None else share(a, size) for a in active),
                tuple(active),
            )
        )
    return rows


# --------------------------------------------------------------------------- responsiveness


@dataclass(frozen=True)
class Responsiveness:
    asked: int
    answered: int
    median: timedelta | None
    p90: timedelta | None
    # Questions asked at least 24 h ago, and those of them not answered within 24 h.
    due: int
    unanswered_after_24h: int
    # The same figures for help-channel posts (first reply by someone else), where asked.
    help: Responsiveness | None = None

    @property
    def unanswered_share(self) -> float | None:
        return share(self.unanswered_after_24h, self.due)


def responsiveness(questions: Iterable[AnsweredQuestion], now: datetime) -> Responsiveness:
    waits: list[timedelta] = []
    asked = due = late = 0
    for q in questions:
        asked += 1
        wait = None if q.answered_at is None else max(q.answered_at - q.asked_at, timedelta(0))
        if wait is not None:
            waits.append(wait)
        if now - q.asked_at >= UNANSWERED_AFTER:
            due += 1
            if wait is None or wait > UNANSWERED_AFTER:
                late += 1
    return Responsiveness(asked, len(waits), median(waits), percentile(waits, 0.9), due, late)


# --------------------------------------------------------------------------- loop closure


@dataclass(frozen=True)
class TagClosure:
    tag: str
    shipped: int
    median_to_ship: timedelta | None


@dataclass(frozen=True)
class LoopClosure:
    shipped: int
    people: int  # reporters and voters of the shipped items, counted per item
    told: int  # of them, those a "shipped" DM reached
    median_to_ship: timedelta | None
    by_tag: list[TagClosure]


def loop_closure(items: Sequence[ShippedItem]) -> LoopClosure:
    tags: dict[str, list[timedelta]] = {}
    for item in items:
        for tag in item.tags or ("untagged",):
            tags.setdefault(tag, []).append(item.shipped_at - item.captured_at)
    by_tag = [
        TagClosure(tag, len(waits), median(waits))
        for tag, waits in sorted(tags.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    return LoopClosure(
        len(items),
        sum(i.people for i in items),
        sum(i.told for i in items),
        median([i.shipped_at - i.captured_at for i in items]),
        by_tag,
    )


def duration(value: timedelta | None) -> str:
    """A wait in words a reader takes in at a glance: 45 min, 3.5 h, 2.0 days."""
    if value is None:
        return "—"
    minutes = value.total_seconds() / 60
    if minutes < 1:
        return "under a minute"  # as the recap and the digest say it
    if minutes < 90:
        return f"{round(minutes)} min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"
