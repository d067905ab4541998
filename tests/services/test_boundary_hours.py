"""Advocates' working hours as pure arithmetic (services/boundaries/hours.py): reading what
they type, whether a moment is inside their hours, and when they are next available."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.boundaries.hours import (
    Hours,
    Span,
    days_text,
    in_hours,
    next_available,
    parse_days,
    parse_minute,
)
from services.errors import InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
# Monday to Friday, 09:00-17:00.
WEEKDAYS = Hours(days=(0, 1, 2, 3, 4), start_minute=9 * 60, end_minute=17 * 60, zone=UTC_ZONE)
MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


def test_days_are_read_with_spaces_ranges_and_wrapping() -> None:
    assert parse_days(" Mon - Wed , fri ") == (0, 1, 2, 4)
    assert parse_days("fri-mon") == (0, 4, 5, 6)
    assert parse_days("thurs,tues") == (1, 3)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "which days you work"), ("mon-wed-fri", "`mon-wed-fri` as days"), ("x", "`x`")],
)
def test_unreadable_days_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        parse_days(text)


def test_times_on_both_clocks_at_their_edges() -> None:
    cases = {
        "1am": 60,
        "12am": 0,
        "12pm": 12 * 60,
        "1pm": 13 * 60,
        "11:59pm": 23 * 60 + 59,
        "09:59": 9 * 60 + 59,
        "24:00": 24 * 60,
        "0:00": 0,
    }
    assert {text: parse_minute(text, "start") for text in cases} == cases


@pytest.mark.parametrize("text", ["0am", "13pm", "9:60", "24:30", "25:00"])
def test_impossible_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_minute(text, "start")


def test_days_text_joins_three_or_more_consecutive_days_with_a_dash() -> None:
    assert days_text((1, 2, 3)) == "Tue–Thu"
    assert days_text((0, 1, 2, 3, 4)) == "Mon–Fri"
    assert days_text((0, 1)) == "Mon, Tue"
    assert days_text((0, 2, 4)) == "Mon, Wed, Fri"


def test_hours_end_at_their_end_minute_in_the_advocates_zone() -> None:
    berlin = Hours(days=(0,), start_minute=9 * 60, end_minute=17 * 60, zone=BERLIN)
    # 09:00-17:00 in Berlin in January is 08:00-16:00 UTC.
    assert not in_hours(berlin, datetime(2026, 1, 5, 7, 59, tzinfo=UTC))
    assert in_hours(berlin, datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    assert in_hours(berlin, datetime(2026, 1, 5, 15, 59, tzinfo=UTC))
    assert not in_hours(berlin, datetime(2026, 1, 5, 16, 0, tzinfo=UTC))  # 17:00 is out
    assert not in_hours(berlin, datetime(2026, 1, 5, 16, 30, tzinfo=UTC))
    assert in_hours(None, MONDAY)  # no hours set: always in


def test_next_available_after_time_off_waits_for_working_hours() -> None:
    # Time off ending Friday 20:00, outside hours: back on Monday at 09:00.
    friday = MONDAY + timedelta(days=4)
    off = Span(friday + timedelta(hours=10), friday + timedelta(hours=20))
    back = next_available(WEEKDAYS, [off], friday + timedelta(hours=12))
    assert back == MONDAY + timedelta(days=7, hours=9)
    assert back.tzinfo is UTC  # the start of a window, handed on in UTC itself
    # Time off ending inside hours: back the moment it ends.
    off = Span(MONDAY + timedelta(hours=10), MONDAY + timedelta(hours=11))
    assert next_available(WEEKDAYS, [off], MONDAY + timedelta(hours=10)) == off.ends_at
    # In hours and not away: now.
    assert next_available(WEEKDAYS, [], MONDAY + timedelta(hours=12)) == MONDAY + timedelta(
        hours=12
    )
