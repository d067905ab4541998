"""Host rotation (pure): who hosts the next call among those signed up for its slot."""

from __future__ import annotations

# Fairness counts the series' last 8 calls, whatever their region.
WINDOW = 8


def choose_host(candidates: list[int], recent: list[int | None]) -> int | None:
    """The candidate who hosted least in ``recent`` (the series' last calls, newest first);
    ties go to whoever hosted longest ago (not in the window at all counts as longest),
    then to whoever signed up first (``candidates`` is in sign-up order)."""
    if not candidates:
        return None
    window = recent[:WINDOW]

    def key(user_id: int) -> tuple[int, int, int]:
        hosted = sum(1 for h in window if h == user_id)
        latest = next((i for i, h in enumerate(window) if h == user_id), len(window))
        return (hosted, -latest, candidates.index(user_id))

    return min(candidates, key=key)
