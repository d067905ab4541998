"""Hallway matching: a 5,000-member pool with four rounds of history, matched in < 1 s.

The figure is the median of three matchings of the same generated pool (the scores,
the greedy matching and the swaps; the pool's free hours are turned into UTC slots
beforehand, as the bot does once per round). The baseline is scoring alone.
"""

from __future__ import annotations

import random
import statistics
from datetime import UTC, datetime
from itertools import combinations

from bench.common import Result, ms, now_ns
from services.hallway.hours import free_slots, week_start
from services.hallway.matching import Candidate, Pool, match, pair_key, score_matrix

TARGET_S = 1.0
RUNS = 3
INTERESTS = [
    "rust",
    "go",
    "python",
    "typescript",
    "java",
    "kotlin",
    "swift",
    "webhooks",
    "graphql",
    "rest",
    "grpc",
    "sdk",
    "docs",
    "cli",
    "devops",
    "k8s",
    "terraform",
    "aws",
    "gcp",
    "azure",
    "ai",
    "agents",
    "llm",
    "rag",
    "vector-db",
    "postgres",
    "sqlite",
    "redis",
    "kafka",
    "observability",
    "security",
    "auth",
    "oauth",
    "payments",
    "mobile",
    "web3",
    "wasm",
    "edge",
    "serverless",
    "testing",
    "ci",
    "open-source",
    "community",
    "devrel",
    "design",
    "accessibility",
    "data",
    "ml",
    "analytics",
]
HOURS = (
    "18-21 weekdays", "9-17 mon-fri", "12-14 weekdays", "19-22 mon-thu", "10-12 sat",
    "8-10 weekdays", "20-23 daily", "13-17 weekends", "7-9 mon-fri; 18-20 mon-fri",
    "", "", "17-19 tue, thu",
)  # fmt: skip
ZONES = (
    "America/Los_Angeles", "America/New_York", "America/Sao_Paulo", "Europe/London",
    "Europe/Berlin", "Europe/Istanbul", "Africa/Lagos", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Tokyo", "Australia/Sydney", "UTC",
)  # fmt: skip
ROUND_AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def pool_of(size: int, seed: int = 5) -> Pool:
    rng = random.Random(seed)
    start = week_start(ROUND_AT)
    members = []
    for i in range(size):
        hours = rng.choice(HOURS)
        zone = rng.choice(ZONES)
        members.append(
            Candidate(
                user_id=10**17 + i,
                interests=tuple(rng.sample(INTERESTS, rng.randint(0, 5))),
                slots=free_slots(hours, zone, start) if hours else None,
                newcomer=rng.random() < 0.1,
                long_standing=rng.random() < 0.35,
            )
        )
    ids = [m.user_id for m in members]
    history: dict[tuple[int, int], int] = {}
    for since in range(4, 0, -1):  # four past rounds, each a random pairing
        order = ids[:]
        rng.shuffle(order)
        for a, b in zip(order[::2], order[1::2], strict=False):
            history[pair_key(a, b)] = since
    never = frozenset(pair_key(*rng.sample(ids, 2)) for _ in range(size // 100))
    return Pool(members, history=history, never=never, round_number=5, seed=seed)


def run(quick: bool) -> Result:
    size = 1_000 if quick else 5_000
    t0 = now_ns()
    pool = pool_of(size)
    generate_ms = ms(now_ns() - t0)
    times: list[float] = []
    scoring: list[float] = []
    result = None
    for _ in range(RUNS):
        start = now_ns()
        result = match(pool)
        times.append((now_ns() - start) / 1e9)
        start = now_ns()
        score_matrix(pool)
        scoring.append((now_ns() - start) / 1e9)
    assert result is not None
    value = statistics.median(times)
    made = {pair_key(a, b) for g in result.groups for a, b in combinations(g, 2)}
    recent = set(pool.history)
    return Result(
        key="hallway",
        name=f"Hallway matching ({size:,} members)",
        value=round(value, 3),
        unit="s",
        baseline=round(statistics.median(scoring), 3),
        baseline_name="scoring every pair only (numpy)",
        ratio=round(value / statistics.median(scoring), 2),
        ratio_name="matching / scoring",
        target=f"< {TARGET_S:g} s for 5,000 members",
        met=value < TARGET_S,
        rank_by="value",
        details={
            "members": size,
            "runs_s": [round(t, 3) for t in times],
            "groups": len(result.groups),
            "trios": sum(1 for g in result.groups if len(g) == 3),
            "left_out": len(result.left_out),
            "recent_repeats": len(made & recent),
            "pool_generation_ms": round(generate_ms, 1),
        },
    )


if __name__ == "__main__":
    outcome = run(quick=False)
    print(f"{outcome.name}: {outcome.value} s (median of {RUNS}), scoring {outcome.baseline} s")
    print(outcome.details)
