"""When rounds happen, and the planning around them (sit-outs in turn, suggested times)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from services.errors import InvalidInput
from services.hallway.planning import SAT_OUT_ODD, plan_round, suggest_times
from services.hallway.schedule import first_round, next_round, parse_day, parse_time_of_day
from storage.hallway import HallwayConfig, HallwayMember

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday


def config(cadence: str, weekday: int = 0, post_time: str = "09:00") -> HallwayConfig:
    anchor = first_round(cadence, weekday, post_time, BERLIN, NOW)
    return HallwayConfig(1, 2, cadence, weekday, post_time, "Europe/Berlin", 2, 4, anchor, anchor)


def test_weekly_every_two_weeks_and_monthly_rounds_keep_local_time_across_dst() -> None:
    weekly = config("weekly")
    assert weekly.anchor == datetime(2026, 1, 5, 8, tzinfo=UTC)  # Monday 09:00 CET
    times = [weekly.anchor]
    for _ in range(14):
        times.append(next_round(weekly, times[-1]))
    assert all(
        b - a in (timedelta(days=7), timedelta(days=7, hours=-1)) for a, b in pairwise(times)
    )
    assert {t.astimezone(BERLIN).hour for t in times} == {9}
    assert times[-1].astimezone(BERLIN).date().isoformat() == "2026-04-13"
    fortnightly = config("every-2-weeks")
    assert next_round(fortnightly, fortnightly.anchor) == datetime(2026, 1, 19, 8, tzinfo=UTC)
    monthly = config("monthly", weekday=2)  # the first Wednesday
    assert monthly.anchor == datetime(2026, 1, 7, 8, tzinfo=UTC)
    assert next_round(monthly, monthly.anchor) == datetime(2026, 2, 4, 8, tzinfo=UTC)
    assert next_round(monthly, datetime(2026, 3, 1, tzinfo=UTC)) == datetime(
        2026, 3, 4, 8, tzinfo=UTC
    )


def test_days_and_times_are_checked() -> None:
    assert parse_day("Wed") == 2 and parse_time_of_day("7:05") == "07:05"
    for bad in ("someday", "mo"):
        with pytest.raises(InvalidInput, match="isn't a day"):
            parse_day(bad)
    for bad in ("24:00", "9:60", "noon", "1:2:3"):
        with pytest.raises(InvalidInput, match="isn't a time of day"):
            parse_time_of_day(bad)


def member(uid: int, sat_out: int | None = None, hours: str = "") -> HallwayMember:
    return HallwayMember(1, uid, ("rust",), "", hours, True, None, None, sat_out, NOW)


def test_with_pairs_only_whoever_sat_out_longest_ago_sits_out_next() -> None:
    pool = [member(10, sat_out=3), member(11, sat_out=None), member(12, sat_out=1)]
    kwargs = dict(guild_id=1, at=NOW, zones={}, history={}, never=frozenset(), group_size=2)
    plan = plan_round(round_number=4, members=pool, **kwargs)
    assert plan.sitouts == [(11, SAT_OUT_ODD, True)]  # never sat out: goes first
    pool[1] = replace(pool[1], last_sat_out_round=4)
    plan = plan_round(round_number=5, members=pool, **kwargs)
    assert plan.sitouts == [(12, SAT_OUT_ODD, True)]
    assert plan.groups[0].members == (10, 11)


def test_suggested_times_are_inside_the_overlap_on_different_days() -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    slots = [8, 9, 10, 32, 33, 56]  # 17:00-19:00 on Monday, Tuesday, 17:00 Wednesday
    times = suggest_times(slots, start, start)
    assert times == (
        datetime(2026, 1, 5, 17, tzinfo=UTC),
        datetime(2026, 1, 6, 17, tzinfo=UTC),
        datetime(2026, 1, 7, 17, tzinfo=UTC),
    )
    # One day only: two hours at least 2 h apart; none too soon after the round.
    assert suggest_times([0, 1, 2, 3, 4], start, start) == (
        datetime(2026, 1, 5, 11, tzinfo=UTC),
        datetime(2026, 1, 5, 13, tzinfo=UTC),
    )
