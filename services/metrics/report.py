"""The monthly impact report's rules, pure: which month, its figures, month-over-month change.

Months are UTC calendar months. Each figure carries this month's value and last month's
(None before the guild had data), so the change is plain subtraction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.errors import InvalidInput
from services.metrics.figures import LoopClosure, Responsiveness, median
from storage.metrics import MonthTotals, Newcomer

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def previous_month(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def last_whole_month(today: date) -> date:
    return previous_month(today.replace(day=1))


def month_start(month: date) -> datetime:
    return datetime.combine(month, time(0), UTC)


def parse_month(text: str | None, today: date, first_day: date | None) -> date:
    """`YYYY-MM` → the month's first day; None → the last whole month. Refuses a month in
    the future and one before the guild's first data."""
    if text is None or not text.strip():
        month = last_whole_month(today)
    else:
        match = _MONTH.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise InvalidInput(f"`month` must look like 2026-01 (YYYY-MM); you gave `{text[:20]}`.")
        month = date(int(match.group(1)), int(match.group(2)), 1)
    if month > today.replace(day=1):
        raise InvalidInput(f"{month:%B %Y} hasn't started yet: pick this month or an earlier one.")
    if first_day is None:
        raise InvalidInput("Hallway has no activity recorded for this server yet.")
    if month < first_day.replace(day=1):
        raise InvalidInput(
            f"Hallway's data for this server starts in {first_day:%B %Y} "
            f"({first_day:%Y-%m}); pick that month or a later one."
        )
    return month


@dataclass(frozen=True)
class Figure:
    section: str
    key: str
    label: str
    value: float | None
    previous: float | None  # None: no data that month (before the guild's first)
    unit: str = "count"  # count, hours or percent
    headline: bool = False

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def change_share(self) -> float | None:
        if self.change is None or not self.previous:
            return None
        return self.change / self.previous


@dataclass(frozen=True)
class MonthData:
    """What the service read for one month, as plain values."""

    totals: MonthTotals
    newcomers: list[Newcomer]
    answers: list[tuple[int, datetime]]
    questions: Responsiveness
    help: Responsiveness
    captured: int
    loop: LoopClosure
    programmes: dict[str, dict[str, int]]  # section -> key -> value


@dataclass(frozen=True)
class MonthlyReport:
    month: date
    through: datetime | None  # the month isn't over: figures up to this time
    figures: list[Figure]

    @property
    def headline(self) -> list[Figure]:
        return [f for f in self.figures if f.headline]


def activation(newcomers: Iterable[Newcomer], answers: Iterable[tuple[int, datetime]]):
    """(joined, wrote, got a first answer, median hours join → first answer)."""
    firsts: dict[int, datetime] = {}
    for user_id, at in answers:
        if user_id not in firsts or at < firsts[user_id]:
            firsts[user_id] = at
    joined = wrote = 0
    waits: list[timedelta] = []
    for n in newcomers:
        joined += 1
        wrote += n.first_message_at is not None
        first = firsts.get(n.user_id)
        if first is not None and first >= n.joined_at:
            waits.append(first - n.joined_at)
    wait = median(waits)
    return joined, wrote, len(waits), None if wait is None else wait.total_seconds() / 3600


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 3600


def _values(data: MonthData) -> list[tuple[str, str, str, float | None, str, bool]]:
    t = data.totals
    joined, wrote, answered, wait = activation(data.newcomers, data.answers)
    q, h, loop = data.questions, data.help, data.loop
    late = None if not q.due else 100 * q.unanswered_after_24h / q.due
    rows = [
        ("community", "active_members", "Active members", t.active, "count", True),
        ("community", "returning_members", "Active last month too", t.returning, "count", True),
        ("community", "messages", "Messages", t.messages, "count", True),
        ("community", "members_left", "Members who left", t.left, "count", False),
        ("activation", "new_members", "New members", joined, "count", True),
        ("activation", "new_members_wrote", "New members who wrote", wrote, "count", False),
        ("activation", "new_members_answered", "New members answered", answered, "count", True),
        ("activation", "join_to_answer_hours", "Join to first answer", wait, "hours", False),
        ("responsiveness", "oh_questions", "Questions asked", q.asked, "count", False),
        ("responsiveness", "oh_answer_median_hours", "Time to answer", _hours(q.median),
         "hours", True),
        ("responsiveness", "oh_answer_p90_hours", "Time to answer, p90", _hours(q.p90),
         "hours", False),
        ("responsiveness", "oh_unanswered_24h_percent", "Unanswered after 24 h", late,
         "percent", False),
        ("responsiveness", "help_posts", "Help posts", h.asked, "count", False),
        ("responsiveness", "help_reply_median_hours", "Time to a help reply", _hours(h.median),
         "hours", False),
        ("feedback", "feedback_captured", "Feedback captured", data.captured, "count", True),
        ("feedback", "feedback_shipped", "Feedback shipped", loop.shipped, "count", True),
        ("feedback", "shipped_people_told", "Reporters and voters told", loop.people,
         "count", False),
        ("feedback", "capture_to_ship_hours", "Capture to shipped", _hours(loop.median_to_ship),
         "hours", False),
    ]  # fmt: skip
    for section, _label in PROGRAMMES:
        for key, (name, headline) in PROGRAMME_FIGURES[section].items():
            value = data.programmes.get(section, {}).get(key)
            rows.append((section, f"{section}_{key}", name, value, "count", headline))
    # The programme sections keep their label on the figure's section.
    return [(dict(PROGRAMMES).get(r[0], r[0]), *r[1:]) for r in rows]


def build_report(
    month: date, this: MonthData, before: MonthData | None, through: datetime | None
) -> MonthlyReport:
    """Every figure for ``month`` beside last month's; a programme with nothing in either
    month is left out."""
    now = _values(this)
    then = _values(before) if before is not None else [None] * len(now)
    figures = []
    for row, old in zip(now, then, strict=True):
        section, key, label, value, unit, headline = row
        previous = old[3] if old is not None else None
        figures.append(Figure(section, key, label, value, previous, unit, headline))
    shown = {
        label
        for section, label in PROGRAMMES
        if any(
            f.value or f.previous
            for f in figures
            if f.section == label and f.key.startswith(section)
        )
    }
    programme_labels = {label for _, label in PROGRAMMES}
    kept = [f for f in figures if f.section not in programme_labels or f.section in shown]
    return MonthlyReport(month, through, kept)


# Each programme's reach, read from that feature's digest figures (handed in from bot.py).
PROGRAMMES = (
    ("office_hours", "office hours"),
    ("calls", "regional calls"),
    ("surveys", "surveys"),
    ("hallway", "hallway track"),
    ("announcements", "announcements"),
)
PROGRAMME_FIGURES: dict[str, dict[str, tuple[str, bool]]] = {
    "office_hours": {
        "sessions": ("Office-hours sessions", True),
        "questions": ("Office-hours questions", False),
        "attendees": ("Office-hours askers", True),
    },
    "calls": {"held": ("Regional calls held", False), "attendance": ("Call attendance", True)},
    "surveys": {"closed": ("Surveys closed", False), "responses": ("Survey responses", True)},
    "hallway": {"pairs": ("Hallway pairs made", True), "met": ("Hallway pairs who met", False)},
    "announcements": {
        "posts": ("Announcements posted", False),
        "reactions": ("Announcement reactions", True),
    },
}


def office_hours_reach(figures: Any) -> dict[str, int]:
    return {
        "sessions": int(figures.sessions_held),
        "questions": int(figures.asked),
        "attendees": int(figures.unique_askers),
    }


def calls_reach(figures: Any) -> dict[str, int]:
    held = list(figures.held)
    return {"held": len(held), "attendance": sum(c.present_peak or 0 for c in held)}


def surveys_reach(figures: Any) -> dict[str, int]:
    closed = list(figures.closed)
    return {"closed": len(closed), "responses": sum(s.responses for s in closed)}


def hallway_reach(figures: Any) -> dict[str, int]:
    return {"pairs": int(figures.groups_made), "met": int(figures.met)}


REACH = {
    "office_hours": office_hours_reach,
    "calls": calls_reach,
    "surveys": surveys_reach,
    "hallway": hallway_reach,
}


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "hours":
        return f"{value:.1f} h"
    if unit == "percent":
        return f"{value:.0f}%"
    return f"{value:,.0f}"


def change_text(figure: Figure) -> str:
    if figure.change is None:
        return "no earlier month" if figure.previous is None else "—"
    sign = "+" if figure.change > 0 else ""
    amount = number(figure.change, figure.unit)
    if figure.unit == "percent":
        amount = f"{figure.change:.0f} pts"
    rel = "" if figure.change_share is None else f" ({sign}{figure.change_share * 100:.0f}%)"
    return f"{sign}{amount}{rel}"


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if value != int(value) else str(int(value))


def report_csv(report: MonthlyReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["month", "section", "figure", "key", "unit", "value", "previous", "change", "change_pct"]
    )
    for f in report.figures:
        pct = "" if f.change_share is None else f"{f.change_share * 100:.1f}"
        writer.writerow(
            [f"{report.month:%Y-%m}", f.section, f.label, f.key, f.unit,
             _cell(f.value), _cell(f.previous), _cell(f.change), pct]
        )  # fmt: skip
    return out.getvalue().encode("utf-8")
