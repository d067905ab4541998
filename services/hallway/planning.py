"""From the members who take part to a round's plan: the pool, its groups, who sits out.

Pure: everything comes in as values (members, zones, history, the round's time), so
a preview and a run of the same round plan the same groups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.hallway.hours import free_slots, week_start
from services.hallway.matching import Candidate, Pool, match, pair_key
from storage.hallway import HallwayMember

NEWCOMER_DAYS = 30
LONG_STANDING_DAYS = 180
MAX_SUGGESTIONS = 3
# Suggested times start this long after the round, so nobody is asked to meet right now.
SUGGEST_FROM = timedelta(hours=2)

SAT_OUT_ODD = (
    "there was an odd number of people this round and groups are pairs only, so one person "
    "sits out in turn. You'll be matched first next round."
)
SAT_OUT_ALONE = "you were the only one in the pool this round. Invite a friend to `/hallway join`!"
SAT_OUT_NEVER = 'everyone else in this round is on a "never" list, yours or theirs.'

_STARTERS_SHARED = (
    "You both like **{topic}**: what got you into it?",
    "What's the most surprising thing you've learned about **{topic}** lately?",
    "If you had a free week to build something with **{topic}**, what would it be?",
)
_STARTERS_ANY = (
    "What are you working on this month, and what's in your way?",
    "Swap one tool you couldn't work without, and why.",
    "What's a talk, post or repo you'd recommend to each other?",
)


@dataclass(frozen=True)
class PlannedGroup:
    members: tuple[int, ...]
    reasons: tuple[str, ...]
    suggested: tuple[datetime, ...]
    repeat: bool


@dataclass(frozen=True)
class Plan:
    round_number: int
    at: datetime
    pool_size: int
    groups: list[PlannedGroup]
    sitouts: list[tuple[int, str, bool]]  # user, reason, sat out in turn


def _turn_key(member: HallwayMember, round_number: int) -> tuple[int, int]:
    # Whoever sat out longest ago (or never) goes next; a fixed hash orders the rest.
    last = -1 if member.last_sat_out_round is None else member.last_sat_out_round
    spin = (member.user_id * 2654435761 + round_number * 40503) % (1 << 32)
    return (last, spin)


def candidate(member: HallwayMember, zone: str | None, at: datetime, start: datetime) -> Candidate:
    slots: tuple[int, ...] | None = None
    if member.free_hours and zone:
        slots = free_slots(member.free_hours, zone, start)
    joined = member.server_joined_at
    return Candidate(
        user_id=member.user_id,
        interests=tuple(i.lower() for i in member.interests),
        slots=slots,
        newcomer=joined is not None and at - joined < timedelta(days=NEWCOMER_DAYS),
        long_standing=joined is not None and at - joined > timedelta(days=LONG_STANDING_DAYS),
    )


def plan_round(
    *,
    guild_id: int,
    round_number: int,
    at: datetime,
    members: Sequence[HallwayMember],
    zones: Mapping[int, str],
    history: Mapping[tuple[int, int], int],
    never: frozenset[tuple[int, int]],
    group_size: int,
) -> Plan:
    """The groups for round ``round_number`` at ``at`` among the members given (the pool)."""
    start = week_start(at)
    sitouts: list[tuple[int, str, bool]] = []
    pool = sorted(members, key=lambda m: m.user_id)
    if len(pool) == 1:
        return Plan(round_number, at, 1, [], [(pool[0].user_id, SAT_OUT_ALONE, False)])
    if len(pool) % 2 == 1 and group_size == 2:
        out = min(pool, key=lambda m: _turn_key(m, round_number))
        sitouts.append((out.user_id, SAT_OUT_ODD, True))
        pool = [m for m in pool if m.user_id != out.user_id]
    candidates = {m.user_id: candidate(m, zones.get(m.user_id), at, start) for m in pool}
    matching = match(
        Pool(
            list(candidates.values()),
            history=history,
            never=never,
            round_number=round_number,
            seed=guild_id,
        )
    )
    sitouts += [(uid, SAT_OUT_NEVER, False) for uid in matching.left_out]
    groups = [
        describe_group(group, candidates, history, start, at, round_number)
        for group in matching.groups
    ]
    return Plan(round_number, at, len(members), groups, sitouts)


def shared_interests(candidates: Sequence[Candidate]) -> list[str]:
    """Interests at least two of the group hold, most-shared first."""
    counts: dict[str, int] = {}
    for c in candidates:
        for interest in dict.fromkeys(c.interests):
            counts[interest] = counts.get(interest, 0) + 1
    return sorted((t for t, n in counts.items() if n > 1), key=lambda t: (-counts[t], t))


def common_slots(candidates: Sequence[Candidate]) -> list[int] | None:
    """Hours all of them are free (None when someone gave no hours)."""
    if any(c.slots is None for c in candidates):
        return None
    common = set(candidates[0].slots or ())
    for c in candidates[1:]:
        common &= set(c.slots or ())
    return sorted(common)


def suggest_times(slots: Sequence[int], start: datetime, at: datetime) -> tuple[datetime, ...]:
    """Up to three hours inside the overlap, on different days where possible."""
    times = [start + timedelta(hours=h) for h in slots]
    times = [t for t in times if t >= at + SUGGEST_FROM]
    chosen: list[datetime] = []
    for t in times:
        if len(chosen) == MAX_SUGGESTIONS:
            break
        if all(t.date() != c.date() for c in chosen):
            chosen.append(t)
    for t in times:  # fewer days than suggestions: add other hours, 2 h or more apart
        if len(chosen) >= 2:
            break
        if all(abs(t - c) >= timedelta(hours=2) for c in chosen):
            chosen.append(t)
    return tuple(sorted(chosen))


def starter(candidates: Sequence[Candidate], round_number: int) -> str:
    shared = shared_interests(candidates)
    spin = (sum(c.user_id for c in candidates) + round_number) % 997
    if shared:
        topic = shared[spin % len(shared)]
        return _STARTERS_SHARED[spin % len(_STARTERS_SHARED)].format(topic=topic)
    return _STARTERS_ANY[spin % len(_STARTERS_ANY)]


def describe_group(
    group: Sequence[int],
    candidates: Mapping[int, Candidate],
    history: Mapping[tuple[int, int], int],
    start: datetime,
    at: datetime,
    round_number: int,
) -> PlannedGroup:
    members = [candidates[uid] for uid in group]
    reasons: list[str] = []
    shared = shared_interests(members)
    if shared:
        reasons.append("shared interests: " + ", ".join(shared))
    slots = common_slots(members)
    suggested: tuple[datetime, ...] = ()
    if slots is None:
        reasons.append("free hours not given by everyone")
    elif slots:
        reasons.append(f"{len(slots)} free hour{'s' if len(slots) != 1 else ''} in common")
        suggested = suggest_times(slots, start, at)
    else:
        reasons.append("no free hours in common")
    pairs = [pair_key(a, b) for i, a in enumerate(group) for b in group[i + 1 :]]
    met = [history[p] for p in pairs if p in history]
    if met:
        reasons.append(f"met before, {min(met)} round{'s' if min(met) != 1 else ''} ago")
    else:
        reasons.append("never met before")
    if any(m.newcomer for m in members) and any(m.long_standing for m in members):
        reasons.append("a newcomer meets a long-standing member")
    reasons.append("starter: " + starter(members, round_number))
    return PlannedGroup(tuple(group), tuple(reasons), suggested, repeat=bool(met))
