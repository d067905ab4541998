"""When rounds happen, and the planning around them (sit-outs in turn, suggested times)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from services.errors import InvalidInput
from services.hallway.planning import SAT_OUT_ODD, plan_round, suggest_times
from services.hallway.schedule import (
    CADENCES,
    describe,
    first_round,
    next_round,
    parse_day,
    parse_time_of_day,
)
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


def test_a_first_round_keeps_its_minutes_and_a_monthly_one_waits_for_the_first_weekday() -> None:
    # Mid-month on purpose: the next Wednesday (the 14th) isn't the first of any month.
    mid_january = datetime(2026, 1, 10, tzinfo=UTC)
    weekly = first_round("weekly", 2, "09:30", BERLIN, mid_january)
    assert weekly == datetime(2026, 1, 14, 8, 30, tzinfo=UTC)
    monthly = first_round("monthly", 2, "17:45", BERLIN, mid_january)
    assert monthly == datetime(2026, 2, 4, 16, 45, tzinfo=UTC)
    monthly_config = HallwayConfig(
        1, 2, "monthly", 2, "17:45", "Europe/Berlin", 2, 4, monthly, monthly
    )
    assert next_round(monthly_config, monthly) == datetime(2026, 3, 4, 16, 45, tzinfo=UTC)


def test_the_first_round_is_strictly_after_now_even_at_the_round_time() -> None:
    monday_nine = datetime(2026, 1, 5, 8, tzinfo=UTC)  # 09:00 in Berlin
    assert first_round("weekly", 0, "09:00", BERLIN, monday_nine) == monday_nine + timedelta(days=7)


def test_times_of_day_at_the_edges_and_a_bare_hour_are_read() -> None:
    cases = {"0:00": "00:00", "00:59": "00:59", "23:59": "23:59", "9": "09:00", " 17 ": "17:00"}
    assert {text: parse_time_of_day(text) for text in cases} == cases


def test_describe_names_each_cadence_with_day_time_and_zone() -> None:
    assert [describe(config(cadence, weekday=4, post_time="17:30")) for cadence in CADENCES] == [
        "every Friday at 17:30 (Europe/Berlin)",
        "every other Friday at 17:30 (Europe/Berlin)",
        "the first Friday of each month at 17:30 (Europe/Berlin)",
    ]


def test_a_day_is_known_by_its_first_three_letters() -> None:
    # "Weds" and "Sun." are how people write days; only the first three letters decide.
    assert [parse_day(text) for text in ("Weds", "thurs", "Sun.", "MONDAYS")] == [2, 3, 6, 0]


def test_rounds_are_strictly_after_to_the_microsecond_and_in_utc() -> None:
    # Stored times keep microseconds, so "strictly after" holds at that step: a round one
    # microsecond away is the next round, not skipped for a week (or a month).
    monday_nine = datetime(2026, 1, 5, 8, tzinfo=UTC)  # 09:00 in Berlin, the first Monday
    step = timedelta(microseconds=1)
    weekly = first_round("weekly", 0, "09:00", BERLIN, monday_nine - step)
    monthly = first_round("monthly", 0, "09:00", BERLIN, monday_nine - step)
    assert (weekly, monthly) == (monday_nine, monday_nine)
    config = HallwayConfig(
        1, 2, "monthly", 0, "09:00", "Europe/Berlin", 2, 4, monday_nine, monday_nine
    )
    february = datetime(2026, 2, 2, 8, tzinfo=UTC)  # the first Monday of February
    after = next_round(config, february - step)
    assert after == february
    # Equal instants compare equal in any zone; what is handed on is UTC itself.
    assert weekly.tzinfo is UTC and monthly.tzinfo is UTC and after.tzinfo is UTC
