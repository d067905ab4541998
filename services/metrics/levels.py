"""Member levels, Orbit style, pure: weights, a rolling score, thresholds and movement.

A member's score is the weighted sum of what they did in the last 90 days. Four levels
by score: observer below the first threshold, then participant, contributor and
champion. A guild may set its own thresholds; without them, the defaults come from the
percentiles of the guild's own scores, so the levels mean something in a small server
and a big one alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from services.errors import InvalidInput

WINDOW_DAYS = 90
LEVELS = ("observer", "participant", "contributor", "champion")
DEFAULT_WEIGHTS: dict[str, float] = {
    "message": 1.0,
    "question": 3.0,
    "feedback": 3.0,
    "vote": 1.0,
    "answer": 5.0,
    "hosting": 8.0,
}
# Participant, contributor, champion start at these percentiles of the non-zero scores.
DEFAULT_PERCENTILES = (0.25, 0.75, 0.95)


@dataclass(frozen=True)
class Movement:
    user_id: int
    before: str
    after: str

    @property
    def up(self) -> bool:
        return LEVELS.index(self.after) > LEVELS.index(self.before)


def check_weights(weights: Mapping[str, object]) -> dict[str, float]:
    """Weights for known kinds, each a non-negative number; raises InvalidInput otherwise."""
    checked = dict(DEFAULT_WEIGHTS)
    for kind, raw in weights.items():
        if kind not in DEFAULT_WEIGHTS:
            known = ", ".join(DEFAULT_WEIGHTS)
            raise InvalidInput(f"'{kind}' is not an activity with a weight. Use one of: {known}.")
        try:
            value = float(str(raw).strip())
        except ValueError:
            raise InvalidInput(
                f"The weight for {kind} must be a number, like 3 or 0.5 (got '{raw}')."
            ) from None
        if not math.isfinite(value) or value < 0:
            raise InvalidInput(f"The weight for {kind} must be 0 or more (got '{raw}').")
        checked[kind] = value
    return checked


def check_thresholds(thresholds: Sequence[float]) -> tuple[float, float, float]:
    """Three scores, each above the one before: where participant, contributor, champion start."""
    if len(thresholds) != 3:
        raise InvalidInput(
            "Give three thresholds: where participant, contributor and champion start."
        )
    values = tuple(float(t) for t in thresholds)
    if any(not math.isfinite(v) or v <= 0 for v in values):
        raise InvalidInput("Each threshold must be a score above 0.")
    if not values[0] < values[1] < values[2]:
        raise InvalidInput(
            "Thresholds must increase: participant < contributor < champion "
            f"(got {values[0]:g}, {values[1]:g}, {values[2]:g})."
        )
    return values[0], values[1], values[2]


def score(counts: Mapping[str, int], weights: Mapping[str, float]) -> float:
    return sum(weights.get(kind, 0.0) * n for kind, n in counts.items())


def _nearest_rank(ordered: Sequence[float], share: float) -> float:
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def default_thresholds(scores: Iterable[float]) -> tuple[float, float, float]:
    """Thresholds at the 25th, 75th and 95th percentile of the non-zero scores.

    Forced to increase (by at least 1 point each) so a guild where everyone scores the same
    still has four distinct levels rather than everyone a champion.
    """
    ordered = sorted(s for s in scores if s > 0)
    if not ordered:
        return 1.0, 2.0, 3.0
    low, mid, high = (_nearest_rank(ordered, p) for p in DEFAULT_PERCENTILES)
    low = max(low, 1.0)
    mid = max(mid, low + 1)
    high = max(high, mid + 1)
    return low, mid, high


def level_of(value: float, thresholds: Sequence[float]) -> str:
    level = LEVELS[0]
    for name, start in zip(LEVELS[1:], thresholds, strict=True):
        if value >= start:
            level = name
    return level


def movement(
    before: Mapping[int, str], after: Mapping[int, str]
) -> tuple[list[Movement], list[Movement]]:
    """Who moved up and who moved down between two snapshots (missing means observer)."""
    ups: list[Movement] = []
    downs: list[Movement] = []
    for user_id in sorted(set(before) | set(after)):
        was = before.get(user_id, LEVELS[0])
        now = after.get(user_id, LEVELS[0])
        if was == now:
            continue
        (ups if LEVELS.index(now) > LEVELS.index(was) else downs).append(
            Movement(user_id, was, now)
        )
    return ups, downs


def counts_per_level(levels: Iterable[str]) -> dict[str, int]:
    counts = dict.fromkeys(LEVELS, 0)
    for level in levels:
        counts[level] += 1
    return counts
