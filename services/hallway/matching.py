"""Who meets whom: score every pair, then find groups that maximise the total.

Pure and deterministic: the same pool and round give the same groups, so
``/hallway preview`` shows what ``/hallway run`` will make.

Scores (higher is better) for a pair a, b:

* a repeat costs ``REPEAT_COST`` halving every ``REPEAT_HALF_LIFE`` rounds since they
  last met, plus ``RECENT_COST`` within the last ``RECENT_ROUNDS`` rounds: so large
  that any matching without a recent repeat beats every matching with one;
* "never" pairs cost ``NEVER_COST`` and are dropped from the result if still chosen;
* each shared interest adds ``INTEREST_BONUS``;
* overlapping free hours (in each member's own zone, compared in UTC) add
  ``OVERLAP_BONUS`` an hour up to ``OVERLAP_CAP`` hours; none at all costs
  ``NO_OVERLAP_COST`` (members who gave no hours are neither);
* a newcomer with a long-standing member adds ``NEWCOMER_BONUS``;
* a jitter below 0.01 from the round and the two ids breaks ties.

Small pools (``EXACT_LIMIT``) are solved exactly (dynamic programming over subsets).
Larger ones: vectorised scores (numpy), the greedy matching on the best edges
(found as mutually-best pairs, which gives the same result as sorting every edge),
then swaps between pairs while any swap improves the total. An odd pool makes one
group of three: the member greedy leaves over joins the pair it scores best with.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

REPEAT_COST = 200.0
REPEAT_HALF_LIFE = 8.0
RECENT_ROUNDS = 4
RECENT_COST = 1e6
NEVER_COST = 1e9
IMPOSSIBLE = -1e8  # a group containing a pair at or below this is not made
INTEREST_BONUS = 10.0
OVERLAP_BONUS = 1.0
OVERLAP_CAP = 10
NO_OVERLAP_COST = 50.0
NEWCOMER_BONUS = 15.0
JITTER = 0.01

EXACT_LIMIT = 12
FULL_SWAP_PAIRS = 600  # up to this many pairs, every pair is tried against every other
WORST_SWAP_ROWS = 256  # above it, only the worst pairs are
MAX_SWAP_PASSES = 30
EDGES_PER_MEMBER = 48


@dataclass(frozen=True)
class Candidate:
    user_id: int
    interests: tuple[str, ...] = ()
    slots: tuple[int, ...] | None = None  # free UTC hours of the round's week; None: not given
    newcomer: bool = False
    long_standing: bool = False


@dataclass(frozen=True)
class Pool:
    members: Sequence[Candidate]
    # (smaller id, larger id) -> rounds since they were last grouped (1 = last round).
    history: Mapping[tuple[int, int], int] = field(default_factory=dict)
    never: frozenset[tuple[int, int]] = frozenset()  # (smaller id, larger id)
    round_number: int = 1
    seed: int = 0


@dataclass(frozen=True)
class Matching:
    groups: list[tuple[int, ...]]  # user ids, each group sorted
    left_out: list[int]  # no possible partner (every choice was a "never")
    total: float


def pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def repeat_cost(rounds_since: int) -> float:
    cost = REPEAT_COST * 0.5 ** (max(0, rounds_since - 1) / REPEAT_HALF_LIFE)
    return cost + (RECENT_COST if rounds_since <= RECENT_ROUNDS else 0.0)


def _mix(values: np.ndarray, salt: int) -> np.ndarray:
    """A 64-bit hash of each value (splitmix64), as floats in [0, 1)."""
    with np.errstate(over="ignore"):
        x = values.astype(np.uint64) + np.uint64(salt & 0xFFFFFFFFFFFFFFFF)
        x = x * np.uint64(0x9E3779B97F4A7C15)
        x ^= x >> np.uint64(30)
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x = x * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def score_matrix(pool: Pool) -> tuple[np.ndarray, list[int]]:
    """The n x n pair scores (float32, diagonal -inf) for the members sorted by id."""
    members = sorted(pool.members, key=lambda m: m.user_id)
    ids = [m.user_id for m in members]
    n = len(ids)
    position = {uid: i for i, uid in enumerate(ids)}
    # Shared interests, the jitter and newcomers in one product; only interests that two
    # members hold matter.
    counts: dict[str, int] = {}
    for m in members:
        for interest in set(m.interests):
            counts[interest] = counts.get(interest, 0) + 1
    shared = {t: i for i, t in enumerate(sorted(t for t, c in counts.items() if c > 1))}
    v = len(shared)
    # Columns: shared interests, 2 of jitter, 2 for newcomers with long-standing members.
    left = np.zeros((n, v + 4), dtype=np.float32)
    right = np.zeros((n, v + 4), dtype=np.float32)
    for i, m in enumerate(members):
        for interest in set(m.interests):
            column = shared.get(interest)
            if column is not None:
                left[i, column] = right[i, column] = 1.0
    id_array = np.array(ids, dtype=np.uint64)
    salt = (pool.seed * 1_000_003 + pool.round_number) & 0xFFFFFFFFFFFFFFFF
    u, w = _mix(id_array, salt), _mix(id_array, salt ^ 0x5DEECE66D)
    root = np.float32(np.sqrt(JITTER / 2))
    left[:, v], left[:, v + 1] = u * root, w * root
    right[:, v], right[:, v + 1] = w * root, u * root
    left[:, :v] *= np.float32(INTEREST_BONUS)
    new = np.array([m.newcomer for m in members], dtype=np.float32)
    old = np.array([m.long_standing for m in members], dtype=np.float32)
    left[:, v + 2], right[:, v + 2] = new * np.float32(NEWCOMER_BONUS), old
    left[:, v + 3], right[:, v + 3] = old * np.float32(NEWCOMER_BONUS), new
    scores = left @ right.T
    # Overlapping free hours. Members type a few patterns per zone, so the hours score
    # is worked out between unique patterns and then spread to every pair.
    patterns: dict[tuple[int, ...] | None, int] = {None: 0}
    which = np.array([patterns.setdefault(m.slots, len(patterns)) for m in members])
    if len(patterns) > 1:
        hours = np.zeros((len(patterns), 168), dtype=np.float32)
        for slots, row in patterns.items():
            if slots:
                hours[row, list(slots)] = 1.0
        overlap = hours @ hours.T
        given = np.ones(len(patterns), dtype=bool)
        given[0] = False  # the pattern of members who gave no hours
        none = (overlap == 0) & given[:, None] & given[None, :]
        pattern_score = np.minimum(overlap, OVERLAP_CAP) * np.float32(OVERLAP_BONUS)
        pattern_score[none] = -NO_OVERLAP_COST
        scores += _sub(pattern_score, which, which)
    # History and "never" lists are sparse: applied pair by pair.
    if pool.history:
        rows, columns, costs = [], [], []
        for (a, b), since in pool.history.items():
            i, j = position.get(a), position.get(b)
            if i is not None and j is not None:
                rows.append(i)
                columns.append(j)
                costs.append(repeat_cost(since))
        cost = np.array(costs, dtype=np.float32)
        scores[rows, columns] -= cost
        scores[columns, rows] -= cost
    for a, b in pool.never:
        i, j = position.get(a), position.get(b)
        if i is not None and j is not None:
            scores[i, j] = scores[j, i] = -NEVER_COST
    np.fill_diagonal(scores, -np.inf)
    return scores, ids


# --------------------------------------------------------------------------- exact


def _sub(matrix: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """matrix[rows][:, columns]: two takes are ~20x faster than fancy np.ix_ indexing."""
    return np.take(np.take(matrix, rows, axis=0), columns, axis=1)


def _exact(scores: np.ndarray) -> list[tuple[int, ...]]:
    n = len(scores)
    s = scores.astype(float).tolist()

    @functools.cache
    def best(mask: int, triple: bool) -> tuple[float, tuple[tuple[int, ...], ...]]:
        if mask == 0:
            return (-np.inf, ()) if triple else (0.0, ())
        i = (mask & -mask).bit_length() - 1
        rest = mask & ~(1 << i)
        found: tuple[float, tuple[tuple[int, ...], ...]] = (-np.inf, ())
        for j in range(i + 1, n):
            if not rest >> j & 1:
                continue
            after = rest & ~(1 << j)
            value, groups = best(after, triple)
            if value > -np.inf and value + s[i][j] > found[0]:
                found = (value + s[i][j], ((i, j), *groups))
            if triple:
                for k in range(j + 1, n):
                    if not after >> k & 1:
                        continue
                    value, groups = best(after & ~(1 << k), False)
                    total = value + s[i][j] + s[i][k] + s[j][k]
                    if value > -np.inf and total > found[0]:
                        found = (total, ((i, j, k), *groups))
        return found

    _, groups = best((1 << n) - 1, n % 2 == 1)
    return list(groups)


# --------------------------------------------------------------------------- heuristic


def _mutual_best(sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that are each other's best choice (the single best edge if ties hide all)."""
    best = sub.argmax(axis=1)
    k = np.arange(len(sub))
    chosen = np.flatnonzero((best[best] == k) & (k < best))
    if len(chosen) == 0:
        i, j = divmod(int(sub.argmax()), len(sub))
        return np.array([i]), np.array([j])
    return chosen, best[chosen]


def _top_edges_greedy(sub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greedy over the best edges only (about EDGES_PER_MEMBER each), best first."""
    m = len(sub)
    sample = sub.ravel()[np.linspace(0, m * m - 1, min(m * m, 200_000)).astype(np.int64)]
    sample = sample[np.isfinite(sample)]
    threshold = np.quantile(sample, max(0.0, 1 - EDGES_PER_MEMBER / m))
    rows, columns = np.nonzero(sub >= threshold)
    upper = rows < columns
    rows, columns = rows[upper], columns[upper]
    order = np.lexsort((columns, rows, -sub[rows, columns]))
    taken = [False] * m
    first: list[int] = []
    second: list[int] = []
    for a, b in zip(rows[order].tolist(), columns[order].tolist(), strict=True):
        if not taken[a] and not taken[b]:
            taken[a] = taken[b] = True
            first.append(a)
            second.append(b)
    return np.array(first, dtype=np.int64), np.array(second, dtype=np.int64)


def _greedy(scores: np.ndarray) -> tuple[list[tuple[int, int]], int | None]:
    """The greedy matching (best edge first) without sorting all n^2 edges.

    Edges above a threshold are taken best first; the members left over (their best
    partners were taken) are matched the same way among themselves. Any edge below
    the threshold comes after every edge above it in a full sort too, so this is the
    greedy matching exactly.
    """
    remaining = np.arange(len(scores))
    pairs: list[tuple[int, int]] = []
    sub = scores
    while len(remaining) > 1:
        if len(remaining) > 4 * EDGES_PER_MEMBER:
            a, b = _top_edges_greedy(sub)
            if len(a) == 0:
                a, b = _mutual_best(sub)
        else:
            a, b = _mutual_best(sub)
        pairs += list(zip(remaining[a].tolist(), remaining[b].tolist(), strict=True))
        keep = np.ones(len(remaining), dtype=bool)
        keep[a] = False
        keep[b] = False
        alive = np.flatnonzero(keep)
        remaining = remaining[alive]
        sub = _sub(sub, alive, alive)
    return pairs, (int(remaining[0]) if len(remaining) else None)


def _improve(scores: np.ndarray, pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Swap partners between two pairs while it raises the total."""
    if len(pairs) < 2:
        return pairs
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    m = len(pairs)
    for _ in range(MAX_SWAP_PASSES):
        weight = scores[a, b]
        rows = (
            np.arange(m)
            if m <= FULL_SWAP_PAIRS
            else np.sort(np.argsort(weight, kind="stable")[:WORST_SWAP_ROWS])
        )
        ra, rb = a[rows], b[rows]
        base = weight[rows][:, None] + weight[None, :]
        cross = _sub(scores, ra, a) + _sub(scores, rb, b) - base  # (a,c) (b,d)
        twist = _sub(scores, ra, b) + _sub(scores, rb, a) - base  # (a,d) (b,c)
        gain = np.maximum(cross, twist)
        gain[np.arange(len(rows)), rows] = -np.inf
        best_q = gain.argmax(axis=1)
        best_gain = gain[np.arange(len(rows)), best_q]
        order = np.argsort(-best_gain, kind="stable")
        used = np.zeros(m, dtype=bool)
        changed = False
        for r in order:
            g = float(best_gain[r])
            if g <= 1e-6:
                break
            p, q = int(rows[r]), int(best_q[r])
            if used[p] or used[q]:
                continue
            used[p] = used[q] = True
            if cross[r, q] >= twist[r, q]:
                b[p], a[q] = a[q], b[p]
            else:
                b[p], b[q] = b[q], b[p]
            changed = True
        if not changed:
            break
    return list(zip(a.tolist(), b.tolist(), strict=True))


def _group_score(scores: np.ndarray, group: Sequence[int]) -> float:
    return float(
        sum(scores[group[x], group[y]] for x in range(len(group)) for y in range(x + 1, len(group)))
    )


def match(pool: Pool) -> Matching:
    """Groups of two (and one of three for an odd pool) maximising the total score."""
    scores, ids = score_matrix(pool)
    n = len(ids)
    if n < 2:
        return Matching([], list(ids), 0.0)
    if n <= EXACT_LIMIT:
        groups: list[tuple[int, ...]] = _exact(scores)
    else:
        pairs, extra = _greedy(scores)
        pairs = _improve(scores, pairs)
        groups = list(pairs)
        if extra is not None:
            gains = [scores[extra, x] + scores[extra, y] for x, y in pairs]
            best = int(np.argmax(gains))
            groups[best] = (*pairs[best], extra)
    made: list[tuple[int, ...]] = []
    left_out: list[int] = []
    total = 0.0
    for group in groups:
        group = tuple(sorted(group))
        if len(group) == 3 and _group_score(scores, group) <= IMPOSSIBLE:
            # Keep the best possible pair of the three; the third sits out.
            options = [(x, y) for x in group for y in group if x < y]
            x, y = max(options, key=lambda o: scores[o[0], o[1]])
            left_out += [g for g in group if g not in (x, y)]
            group = (x, y)
        if _group_score(scores, group) <= IMPOSSIBLE:
            left_out += list(group)
            continue
        total += _group_score(scores, group)
        made.append(group)
    result = sorted(tuple(ids[i] for i in g) for g in made)
    return Matching(result, sorted(ids[i] for i in left_out), total)
