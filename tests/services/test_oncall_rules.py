"""The on-call rotation's pure rules: shift boundaries in local time, the fair order, the
load view's arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.boundaries.load import compute, longest_run
from services.boundaries.oncall import EPOCH, choose, parse_handoff, shift_starts
from services.errors import InvalidInput
from storage.oncall import OnCallConfig


def config(shift: str = "weekly", weekday: int = 0, minute: int = 540, zone: str = "UTC"):
    return OnCallConfig(1, 2, 3, shift, weekday, minute, zone)


def test_weekly_shifts_stay_at_nine_local_across_the_spring_change() -> None:
    c = config(zone="Europe/Berlin")
    starts = shift_starts(c, datetime(2026, 3, 25, 12, 0, tzinfo=UTC), 2)
    # Mon 23 March 09:00 CET, Mon 30 March 09:00 CEST, Mon 6 April 09:00 CEST.
    assert starts == [
        datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 0, tzinfo=UTC),
        datetime(2026, 4, 6, 7, 0, tzinfo=UTC),
    ]


def test_a_daily_shift_before_its_handoff_belongs_to_yesterday() -> None:
    c = config(shift="daily")
    assert shift_starts(c, datetime(2026, 1, 1, 8, 59, tzinfo=UTC), 1) == [
        datetime(2025, 12, 31, 9, 0, tzinfo=UTC),
        datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
    ]


def test_fair_order_fewest_then_longest_ago_then_join_order() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    members = [10, 20, 30]
    assert choose(members, [], {}, set()) == 10
    assert choose(members, [10], {10: t}, set()) == 20
    # 20 and 30 each had one; 30's was longer ago.
    assert choose(members, [20, 30, 10, 10], {10: t, 20: t, 30: t - timedelta(days=2)}, set()) == 30
    assert choose(members, [], {}, {10}) == 20  # away
    assert choose(members, [], {}, {10, 20, 30}) is None
    assert t > EPOCH


@pytest.mark.parametrize(
    ("text", "shift", "message"),
    [
        ("mon 09:00", "daily", "Daily shifts hand off every day"),
        ("funday 09:00", "weekly", "isn't a weekday"),
        ("mon tue 09:00", "weekly", "Write the handoff as"),
        ("24:00", "daily", "can't be at 24:00"),
    ],
)
def test_bad_handoffs_are_explained(text: str, shift: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_handoff(text, shift)


def test_load_flags_above_twice_the_median_and_long_runs() -> None:
    t = datetime(2026, 1, 5, 10, tzinfo=UTC)
    events = {"answered": [(1, t)] * 5 + [(2, t), (3, t)]}
    days = {3: {date(2026, 1, 1) + timedelta(days=d) for d in range(13)}}
    loads = compute([1, 2, 3], events, {}, days)
    assert [x.counts["answered"] for x in loads] == [5, 1, 1]
    assert any("questions answered above twice" in f for f in loads[0].flags)
    assert not loads[1].flags
    assert loads[2].longest_streak == 13 and "13 days in a row" in loads[2].flags[0]
    assert longest_run({date(2026, 1, 1), date(2026, 1, 3)}) == 1
