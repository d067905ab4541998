"""Free hours as members type them, read in their own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.errors import InvalidInput
from services.hallway.hours import FreeWindow, free_slots, parse_free_hours, week_start

WEEKDAYS = frozenset(range(5))
# Monday 5 January 2026, 00:00 UTC.
MONDAY = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "windows"),
    [
        ("18-21 weekdays", (FreeWindow(WEEKDAYS, 18 * 60, 21 * 60),)),
        ("9-17 mon-fri", (FreeWindow(WEEKDAYS, 9 * 60, 17 * 60),)),
        ("9:30-12 sat", (FreeWindow(frozenset({5}), 9 * 60 + 30, 12 * 60),)),
        ("7pm-10pm weekends", (FreeWindow(frozenset({5, 6}), 19 * 60, 22 * 60),)),
        ("22-2 fri", (FreeWindow(frozenset({4}), 22 * 60, 26 * 60),)),
        ("10-12", (FreeWindow(frozenset(range(7)), 10 * 60, 12 * 60),)),
        ("fri-mon 8 to 9", None),  # hours first: refused below
        (
            "9-12 sat; 19-22 mon-thu",
            (
                FreeWindow(frozenset({5}), 9 * 60, 12 * 60),
                FreeWindow(frozenset({0, 1, 2, 3}), 19 * 60, 22 * 60),
            ),
        ),
        ("9-17 mon, wed", (FreeWindow(frozenset({0, 2}), 9 * 60, 17 * 60),)),
        ("", ()),
    ],
)
def test_parses_the_usual_ways_of_writing_hours(text, windows) -> None:
    if windows is None:
        with pytest.raises(InvalidInput):
            parse_free_hours(text)
        return
    assert parse_free_hours(text) == windows


@pytest.mark.parametrize(
    ("text", "told"),
    [
        ("after lunch", "has no hours like 18-21"),
        ("25-27 mon", "isn't a time of day"),
        ("9-9 mon", "a different end"),
        ("9-17 funday", "isn't a day"),
        ("13pm-2pm", "isn't a time"),
        ("9-17 mon" + " mon" * 40, "under 100 characters"),
    ],
)
def test_refuses_what_it_cannot_read_and_says_how(text, told) -> None:
    with pytest.raises(InvalidInput, match=told) as caught:
        parse_free_hours(text)
    assert "18-21 weekdays" in str(caught.value)


def test_slots_are_the_members_own_hours_in_utc() -> None:
    berlin = free_slots("18-21 weekdays", "Europe/Berlin", MONDAY)
    # 18-21 in Berlin (UTC+1 in January) is 17-20 UTC, Monday to Friday.
    assert berlin == tuple(d * 24 + h for d in range(5) for h in (17, 18, 19))
    new_york = free_slots("12-15 weekdays", "America/New_York", MONDAY)
    assert new_york == berlin  # 12-15 EST is also 17-20 UTC
    # Half-hour zones keep only whole UTC hours inside the window.
    kolkata = free_slots("18-21 mon", "Asia/Kolkata", MONDAY)
    assert kolkata == (13, 14)  # 18:00-21:00 IST = 12:30-15:30 UTC
    assert free_slots("", "UTC", MONDAY) == ()


def test_overnight_windows_run_into_the_next_day() -> None:
    assert free_slots("22-2 fri", "UTC", MONDAY) == (4 * 24 + 22, 4 * 24 + 23, 5 * 24, 5 * 24 + 1)


def test_slots_follow_dst() -> None:
    # The week of the spring change in Europe (29 March 2026).
    start = datetime(2026, 3, 23, tzinfo=UTC)
    slots = free_slots("18-19 daily", "Europe/Berlin", start)
    hours = [(start + timedelta(hours=h)) for h in slots]
    assert [t.hour for t in hours] == [17] * 6 + [16]  # UTC+1 until Sunday, then UTC+2


def test_week_start_is_the_hour_of_the_round() -> None:
    assert week_start(datetime(2026, 1, 5, 9, 30, 12, tzinfo=UTC)) == datetime(
        2026, 1, 5, 9, tzinfo=UTC
    )
