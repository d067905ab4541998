"""Regional calls' pure rules: occurrences in both modes across DST, DST gaps, suggestions."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.calls.schedule import (
    awake,
    first_gap,
    local_exists,
    occurrences,
    parse_time,
    parse_weekday,
    suggest_slots,
)
from services.errors import InvalidInput
from storage.calls import CallSeries, CallSlot

# Monday 2 March 2026: the US moves its clocks on 8 March, Europe on 29 March, Singapore never.
ANCHOR = date(2026, 3, 2)


def series(mode: str, cadence: str = "weekly") -> CallSeries:
    return CallSeries(1, 9, "Community call", cadence, mode, 60, 5, None, ANCHOR)


SLOTS = [
    CallSlot(1, 9, 1, "APAC", 2, "10:00", "Asia/Singapore"),  # Wednesday
    CallSlot(2, 9, 1, "Americas", 2, "12:00", "America/New_York"),
]


def test_parallel_meets_in_every_slot_each_cycle_and_keeps_local_time_across_dst() -> None:
    found = occurrences(series("parallel"), SLOTS, datetime(2026, 3, 1, tzinfo=UTC), 6)
    assert [(o.slot.name, o.cycle) for o in found] == [
        ("APAC", 0), ("Americas", 0), ("APAC", 1), ("Americas", 1), ("APAC", 2), ("Americas", 2),
    ]  # fmt: skip
    # Singapore has no DST: 02:00 UTC every week.
    assert {o.starts_at.hour for o in found if o.slot.name == "APAC"} == {2}
    americas = [o.starts_at for o in found if o.slot.name == "Americas"]
    # 12:00 in New York is 17:00 UTC before 8 March, 16:00 UTC after.
    assert [a.hour for a in americas] == [17, 16, 16]
    assert all(
        o.starts_at.astimezone(ZoneInfo(o.slot.zone)).time() == parse_time(o.slot.local_time)
        for o in found
    )


def test_rotating_moves_one_call_per_cycle_from_slot_to_slot() -> None:
    found = occurrences(series("rotating"), SLOTS, datetime(2026, 3, 1, tzinfo=UTC), 5)
    assert [(o.slot.name, o.cycle) for o in found] == [
        ("APAC", 0), ("Americas", 1), ("APAC", 2), ("Americas", 3), ("APAC", 4),
    ]  # fmt: skip
    assert [o.starts_at.date() for o in found] == [
        date(2026, 3, 4), date(2026, 3, 11), date(2026, 3, 18), date(2026, 3, 25), date(2026, 4, 1),
    ]  # fmt: skip
    assert found[1].starts_at == datetime(2026, 3, 11, 16, tzinfo=UTC)  # after the US change


def test_every_two_weeks_and_monthly_cadences() -> None:
    after = datetime(2026, 3, 1, tzinfo=UTC)
    two = occurrences(series("parallel", "every-2-weeks"), SLOTS[:1], after, 3)
    assert [o.starts_at.date() for o in two] == [
        date(2026, 3, 4),
        date(2026, 3, 18),
        date(2026, 4, 1),
    ]
    monthly = occurrences(series("parallel", "monthly"), SLOTS[:1], after, 3)
    # The first Wednesday of each month.
    assert [o.starts_at.date() for o in monthly] == [
        date(2026, 3, 4), date(2026, 4, 1), date(2026, 5, 6),
    ]  # fmt: skip


def test_occurrences_only_after_the_given_time_and_none_without_slots() -> None:
    after = datetime(2026, 3, 11, 3, tzinfo=UTC)  # APAC's 11 March call has begun
    found = occurrences(series("parallel"), SLOTS, after, 2)
    assert [(o.slot.name, o.starts_at.date()) for o in found] == [
        ("Americas", date(2026, 3, 11)), ("APAC", date(2026, 3, 18)),
    ]  # fmt: skip
    assert occurrences(series("parallel"), [], after, 3) == []


def test_a_time_in_the_spring_forward_gap_is_found() -> None:
    new_york = ZoneInfo("America/New_York")
    assert not local_exists(date(2026, 3, 8), time(2, 30), new_york)
    assert local_exists(date(2026, 3, 8), time(3, 30), new_york)
    assert first_gap(6, time(2, 30), new_york, date(2026, 1, 1)) == date(2026, 3, 8)
    assert first_gap(0, time(2, 30), new_york, date(2026, 1, 1)) is None  # not a Monday
    assert first_gap(6, time(2, 30), ZoneInfo("Asia/Singapore"), date(2026, 1, 1)) is None


def test_times_and_weekdays_are_parsed_or_refused() -> None:
    assert parse_time("9:05") == time(9, 5)
    assert parse_time("21.30") == time(21, 30)
    assert parse_weekday("Tue") == 1
    for bad in ("25:00", "noon", ""):
        with pytest.raises(InvalidInput, match="isn't a time"):
            parse_time(bad)
    with pytest.raises(InvalidInput, match="isn't a weekday"):
        parse_weekday("someday")


def test_awake_means_the_whole_call_fits_between_8_and_21_local() -> None:
    assert awake(8 * 60, 0, 60)
    assert awake(20 * 60, 0, 60)
    assert not awake(20 * 60 + 30, 0, 60)
    assert not awake(7 * 60, 0, 60)
    assert awake(0, 9 * 60, 60)  # 00:00 UTC is 09:00 at UTC+9
    assert awake(23 * 60, -5 * 60, 60)  # 23:00 UTC is 18:00 at UTC−5


def test_suggestion_on_a_small_known_case() -> None:
    # Three at UTC+0, two at UTC+9, one at UTC−5 (minutes).
    offsets = [0, 0, 0, 540, 540, -300]
    one = suggest_slots(offsets, 1, 60)
    # UTC+0 may start 08:00–20:00 UTC, UTC+9 23:00–11:00 UTC, UTC−5 13:00–19:00 UTC: the
    # first hour reaching the most is 08:00 UTC (17:00 at UTC+9), which leaves out UTC−5.
    assert one.slots[0].utc_minute == 8 * 60
    assert (one.slots[0].reaches, one.covered, one.members) == (5, 5, 6)
    assert one.left_out_offsets == (-300, -300)
    assert round(one.share, 4) == round(5 / 6, 4)
    two = suggest_slots(offsets, 2, 60)
    assert two.covered == 6 and two.left_out_offsets is None
    assert [(s.utc_minute, s.reaches, s.new) for s in two.slots] == [(480, 5, 5), (780, 4, 1)]
    # Once everyone is reached, no further slot is proposed.
    assert len(suggest_slots(offsets, 4, 60).slots) == 2


def test_suggestion_on_a_generated_spread_of_zones() -> None:
    rng = random.Random(16)
    offsets = [rng.choice([-480, -300, 0, 60, 330, 480, 540, 600]) for _ in range(400)]
    for count in (1, 2, 3, 4):
        s = suggest_slots(offsets, count, 60)
        # Check the arithmetic against a direct count for the chosen slots.
        reached = [
            i for i, off in enumerate(offsets) if any(awake(x.utc_minute, off, 60) for x in s.slots)
        ]
        assert s.covered == len(reached)
        assert s.members == 400
        for x in s.slots:
            assert x.reaches == sum(1 for off in offsets if awake(x.utc_minute, off, 60))
        assert sum(x.new for x in s.slots) == s.covered
        missed = [off for i, off in enumerate(offsets) if i not in set(reached)]
        assert s.left_out_offsets == ((min(missed), max(missed)) if missed else None)
    # More slots never reach fewer members.
    covered = [suggest_slots(offsets, n, 60).covered for n in (1, 2, 3, 4)]
    assert covered == sorted(covered) and covered[-1] == 400
