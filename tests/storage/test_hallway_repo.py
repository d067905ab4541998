"""The hallway repository's digest figures: only the window's groups are counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.hallway.matching import pair_key
from storage.database import Database
from storage.hallway import HallwayRepository, NewGroup

GUILD, OTHER = 1, 2
MON_5_JAN = datetime(2026, 1, 5, 9, tzinfo=UTC)
# The window: Wed 14 Jan to Wed 21 Jan (7 × 24 h).
START, END = datetime(2026, 1, 14, tzinfo=UTC), datetime(2026, 1, 21, tzinfo=UTC)


def day(n: int) -> datetime:
    """n January 2026, 12:00 UTC."""
    return datetime(2026, 1, n, 12, tzinfo=UTC)


@pytest.fixture
async def repo(tmp_path) -> AsyncIterator[HallwayRepository]:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        yield HallwayRepository(db)


async def round_of(repo, guild_id, number, at, *groups) -> list[int]:
    made = await repo.claim_round(
        guild_id, number, at, 4, [NewGroup(tuple(g), (), ()) for g in groups], [], at
    )
    assert made is not None
    return [g.id for g in await repo.round_groups(made.id)]


async def history(repo) -> dict[str, int]:
    """Weekly rounds on Mondays; members 10-14, 0 for a forgotten member."""
    ids: dict[str, int] = {}
    # The other guild first: its (10, 12) pair is earlier than ours and must not make
    # our C a repeat; its in-window "yes" must not count for us.
    [ids["X"]] = await round_of(repo, OTHER, 1, MON_5_JAN - timedelta(days=4), (10, 12))
    [ids["Y"]] = await round_of(repo, OTHER, 2, MON_5_JAN + timedelta(days=7), (10, 11))
    ids["A"], ids["B"] = await round_of(repo, GUILD, 1, MON_5_JAN, (10, 11), (12, 13))
    ids["C"], ids["D"] = await round_of(repo, GUILD, 2, day(12), (10, 12), (11, 13))
    ids["E"], ids["F"], ids["H"] = await round_of(
        repo, GUILD, 3, day(19), (10, 11), (12, 0), (13, 14)
    )
    [ids["G"]] = await round_of(repo, GUILD, 4, day(26), (12, 13))
    answers = [
        ("A", 10, "yes", day(8)),  # before the window: would add a "met"
        ("B", 12, "no", day(8)),  # B's first answer is before the window…
        ("B", 13, "yes", day(15)),  # …so its in-window "yes" doesn't count either
        ("C", 10, "yes", day(15)),  # met, new: 10 and 12 were never grouped (here)
        ("D", 11, "not-yet", day(15)),  # first answer in the window…
        ("D", 13, "yes", day(22)),  # …and a "yes" after it: met, new
        ("E", 11, "yes", day(20)),  # met, but A paired 10 and 11 in round 1: not new
        ("F", 12, "yes", day(20)),  # met; a former member makes no pair: new
        ("H", 14, "no", day(20)),  # answered, not met
        ("G", 13, "yes", day(29)),  # after the window: would add a "met" (and B repeats)
        ("Y", 10, "yes", day(15)),  # the other guild's
    ]
    for name, user, answer, at in answers:
        guild = OTHER if name in "XY" else GUILD
        assert await repo.set_answer(guild, ids[name], user, answer, at)
    return ids


async def old_figures(repo, guild_id, start, end) -> tuple[int, int, int]:
    """The figures as they were computed before, from every past group in Python."""
    answered = set(await repo.answered_between(guild_id, start, end))
    past = sorted(await repo.past_groups(guild_id), key=lambda g: (g.round_number, g.group_id))
    seen: set[tuple[int, int]] = set()
    met = new = 0
    for group in past:
        pairs = {pair_key(a, b) for a in group.members for b in group.members if a < b and a}
        if group.group_id in answered and group.met:
            met += 1
            new += not pairs & seen
        seen |= pairs
    return len(answered), met, new


async def test_met_and_new_connections_count_only_the_windows_groups(repo) -> None:
    ids = await history(repo)
    assert await repo.answered_between(GUILD, START, END) == sorted(
        ids[n] for n in ("C", "D", "E", "F", "H")
    )
    # Met in the window: C, D, E and F; new among them: C, D and F (E repeats A's pair).
    assert await repo.met_between(GUILD, START, END) == [
        (ids["C"], True), (ids["D"], True), (ids["E"], False), (ids["F"], True)
    ]  # fmt: skip
    # Reading every group instead would have counted A, B and G too: 7 met.
    # Over all January: A and B are new in round 1 (nothing is before them; later repeats
    # don't count), G repeats B's 12 and 13.
    everything = dict(await repo.met_between(GUILD, day(1), day(31)))
    new = {name: everything[ids[name]] for name in "ABCDEFG"}
    assert new == dict(A=True, B=True, C=True, D=True, E=False, F=True, G=False)
    assert await repo.met_between(OTHER, START, END) == [(ids["Y"], True)]


async def test_the_bounded_read_gives_the_same_figures_as_reading_every_group(repo) -> None:
    await history(repo)
    windows = [(START, END), (day(1), day(31)), (day(8), day(9)), (day(22), day(30))]
    windows += [(day(30), day(31))]
    for guild_id in (GUILD, OTHER):
        for start, end in windows:
            met = await repo.met_between(guild_id, start, end)
            answered = await repo.answered_between(guild_id, start, end)
            now = (len(answered), len(met), sum(1 for _, new in met if new))
            assert now == await old_figures(repo, guild_id, start, end), (guild_id, start)


async def test_the_figures_read_only_the_window_through_indexes(repo) -> None:
    """Years of rounds must not slow the digest: each read seeks the window (0020) and each
    pair's earlier groups, never scanning a table or ranging over a guild's members (with
    ten years of weekly 400-member rounds, reading every group took 953 ms; a range over
    member ids, 39 s)."""
    db = repo._db
    for name, sql, params in (
        ("delivered", repo._DELIVERED, 3),
        ("met", repo._MET, 5),
    ):
        details = [r[3] for r in await db.fetchall("EXPLAIN QUERY PLAN " + sql, (1,) * params)]
        assert not any(d.startswith("SCAN hallway") for d in details), (name, details)
        assert not any("user_id<?" in d or "user_id>?" in d for d in details), (name, details)
    used = " ".join(r[3] for r in await db.fetchall("EXPLAIN QUERY PLAN " + repo._MET, (1,) * 5))
    assert "hallway_group_members_answered (guild_id=? AND answered_at>? AND answered_at<?)" in used
    # Each pair's first group: a primary-key look-up (0021), not the members' past groups.
    assert "SEARCH p USING PRIMARY KEY (guild_id=? AND user_id=? AND other_user_id=?)" in used
    assert "hallway_group_members_user" not in used
    plan = await db.fetchall("EXPLAIN QUERY PLAN " + repo._DELIVERED, (1,) * 3)
    assert "hallway_groups_delivered" in " ".join(r[3] for r in plan)


async def test_groups_made_before_the_pairs_table_are_backfilled_in_round_order(repo) -> None:
    """0021 fills hallway_pairs from the groups already there: a database upgraded from
    0020 must give the same figures as one that recorded each pair as its groups were made."""
    ids = await history(repo)
    db = repo._db
    before = await db.fetchall("SELECT * FROM hallway_pairs ORDER BY 1, 2, 3")
    # Round 3's E repeats round 1's A: the pair (10, 11) keeps A, the earlier group.
    assert (GUILD, 10, 11, ids["A"]) in [tuple(r) for r in before]
    await db.execute("DROP TABLE hallway_pairs")
    await db.execute("PRAGMA user_version = 20")
    await db.migrate()
    assert await db.fetchall("SELECT * FROM hallway_pairs ORDER BY 1, 2, 3") == before
    for guild_id in (GUILD, OTHER):
        met = await repo.met_between(guild_id, day(1), day(31))
        answered = await repo.answered_between(guild_id, day(1), day(31))
        now = (len(answered), len(met), sum(1 for _, new in met if new))
        assert now == await old_figures(repo, guild_id, day(1), day(31))
