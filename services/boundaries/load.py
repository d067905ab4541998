"""The fair-load view: who carries what, over the last weeks (advocates only, never public).

Pure arithmetic over the events storage hands over: per advocate, sessions hosted,
regional calls hosted (read through a seam wired in bot.py),
feedback status changes, questions answered, on-call shifts, notices held by quiet
hours, and how much of that work fell outside their own hours. A figure above twice the
team's median is flagged, and so is a stretch of more than 12 days in a row with work.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from services.boundaries.hours import Hours, in_hours

FIGURES = ("sessions", "calls", "status_changes", "answered", "shifts", "held")
LABELS = {
    "sessions": "sessions hosted",
    "calls": "calls hosted",
    "status_changes": "feedback status changes",
    "answered": "questions answered",
    "shifts": "on-call shifts",
    "held": "notices held",
}
# Work whose moment says something about hours (a shift or a held notice does not).
TIMED = ("sessions", "calls", "status_changes", "answered")
MAX_STREAK = 12


@dataclass
class Load:
    user_id: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    outside_hours: int = 0
    longest_streak: int = 0
    flags: list[str] = field(default_factory=list)


def longest_run(days: set[date]) -> int:
    best = run = 0
    previous: date | None = None
    for day in sorted(days):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return best


def compute(
    advocates: Sequence[int],
    events: Mapping[str, Sequence[tuple[int, datetime]]],
    hours: Mapping[int, Hours],
    active_days: Mapping[int, set[date]],
) -> list[Load]:
    loads = {a: Load(a) for a in advocates}
    worked: dict[int, set[date]] = {a: set(active_days.get(a, set())) for a in advocates}
    for kind in FIGURES:
        for user_id, at in events.get(kind, ()):
            load = loads.get(user_id)
            if load is None:
                continue
            load.counts[kind] += 1
            if kind in TIMED:
                worked[user_id].add(at.date())
                own = hours.get(user_id)
                if own is not None and not in_hours(own, at):
                    load.outside_hours += 1
    for kind in (*FIGURES, "outside_hours"):
        values = [
            (x.outside_hours if kind == "outside_hours" else x.counts[kind]) for x in loads.values()
        ]
        if len(values) < 2:
            continue
        median = statistics.median(values)
        for load, value in zip(loads.values(), values, strict=True):
            # "Above twice the median"; with a median of 0, two or more stands out.
            if value > 2 * median and value >= 2:
                label = "work outside their hours" if kind == "outside_hours" else LABELS[kind]
                load.flags.append(f"{label} above twice the team's median ({median:g})")
    for user_id, load in loads.items():
        load.longest_streak = longest_run(worked[user_id])
        if load.longest_streak > MAX_STREAK:
            load.flags.append(f"{load.longest_streak} days in a row without a day off")
    return [loads[a] for a in advocates]
