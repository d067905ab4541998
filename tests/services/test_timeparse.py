from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.errors import InvalidInput
from services.time.timefmt import discord_timestamp
from services.time.timeparse import parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SINGAPORE = ZoneInfo("Asia/Singapore")
AUCKLAND = ZoneInfo("Pacific/Auckland")

# Thursday 2026-05-14, 12:00:37 in Berlin (CEST, UTC+2).
NOW = datetime(2026, 5, 14, 10, 0, 37, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # ISO-ish dates
        ("2026-12-01 17:00", berlin(2026, 12, 1, 17, 0)),
        ("2026-12-01T17:00", berlin(2026, 12, 1, 17, 0)),
        ("2026-12-01 5pm", berlin(2026, 12, 1, 17, 0)),
        ("2026-12-01 5:30 pm", berlin(2026, 12, 1, 17, 30)),
        ("2026-12-01 5:30 P.M.", berlin(2026, 12, 1, 17, 30)),
        ("2026/12/01 09:15", berlin(2026, 12, 1, 9, 15)),
        ("2026-12-01 17:00:00", berlin(2026, 12, 1, 17, 0)),
        ("2026-12-01T17:00Z", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        ("2026-12-01 17:00 UTC", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
        # month names, either order, optional year and ordinal
        ("dec 1 17:00", berlin(2026, 12, 1, 17, 0)),
        ("December 1 17:00", berlin(2026, 12, 1, 17, 0)),
        ("1 dec 9am", berlin(2026, 12, 1, 9, 0)),
        ("dec 1st 5pm", berlin(2026, 12, 1, 17, 0)),
        ("dec 1, 2026 9am", berlin(2026, 12, 1, 9, 0)),
        ("1 dec 2026 9am", berlin(2026, 12, 1, 9, 0)),
        ("the 1st of dec at 5 p.m.", berlin(2026, 12, 1, 17, 0)),
        ("5pm dec 1", berlin(2026, 12, 1, 17, 0)),
        ("may 13 9am", berlin(2027, 5, 13, 9, 0)),  # yesterday -> next year
        ("may 14 17:00", berlin(2026, 5, 14, 17, 0)),  # today, still ahead
        # today / tomorrow
        ("today 17:00", berlin(2026, 5, 14, 17, 0)),
        ("tomorrow 17:00", berlin(2026, 5, 15, 17, 0)),
        ("tomorrow 9am", berlin(2026, 5, 15, 9, 0)),
        ("tomorrow at 9am", berlin(2026, 5, 15, 9, 0)),
        ("5pm tomorrow", berlin(2026, 5, 15, 17, 0)),
        ("Tomorrow 12am", berlin(2026, 5, 15, 0, 0)),
        ("tomorrow 12pm", berlin(2026, 5, 15, 12, 0)),
        ("tomorrow noon", berlin(2026, 5, 15, 12, 0)),
        # weekdays (today is Thursday, 12:00:37 local)
        ("friday 9am", berlin(2026, 5, 15, 9, 0)),
        ("fri 17:00", berlin(2026, 5, 15, 17, 0)),
        ("on friday at 9am", berlin(2026, 5, 15, 9, 0)),
        ("next friday 9am", berlin(2026, 5, 15, 9, 0)),
        ("monday 10:00", berlin(2026, 5, 18, 10, 0)),
        ("tues 10:00", berlin(2026, 5, 19, 10, 0)),
        ("wednesday 10:00", berlin(2026, 5, 20, 10, 0)),
        ("thursday 13:00", berlin(2026, 5, 14, 13, 0)),  # today, still ahead
        ("this thursday 13:00", berlin(2026, 5, 14, 13, 0)),
        ("thursday 11:00", berlin(2026, 5, 21, 11, 0)),  # today, passed -> next week
        ("thu 12:00", berlin(2026, 5, 21, 12, 0)),  # 12:00:00 is before 12:00:37
        ("next thursday 13:00", berlin(2026, 5, 21, 13, 0)),  # "next" is never today
        # bare times: the next time the wall clock shows it
        ("17:00", berlin(2026, 5, 14, 17, 0)),
        ("5pm", berlin(2026, 5, 14, 17, 0)),
        ("11:00", berlin(2026, 5, 15, 11, 0)),
        ("noon", berlin(2026, 5, 15, 12, 0)),
        ("12:01", berlin(2026, 5, 14, 12, 1)),
        # relative, floored to the whole minute
        ("in 2 hours", datetime(2026, 5, 14, 12, 0, tzinfo=UTC)),
        ("in 30 minutes", datetime(2026, 5, 14, 10, 30, tzinfo=UTC)),
        ("in 90 min", datetime(2026, 5, 14, 11, 30, tzinfo=UTC)),
        ("in 1 day", datetime(2026, 5, 15, 10, 0, tzinfo=UTC)),
        ("in 2h", datetime(2026, 5, 14, 12, 0, tzinfo=UTC)),
        ("in 45m", datetime(2026, 5, 14, 10, 45, tzinfo=UTC)),
        ("in 1h30m", datetime(2026, 5, 14, 11, 30, tzinfo=UTC)),
        ("in 1 hour and 15 minutes", datetime(2026, 5, 14, 11, 15, tzinfo=UTC)),
        ("in an hour", datetime(2026, 5, 14, 11, 0, tzinfo=UTC)),
        ("in a day", datetime(2026, 5, 15, 10, 0, tzinfo=UTC)),
        ("in 1 week", datetime(2026, 5, 21, 10, 0, tzinfo=UTC)),
        ("in 1.5 hours", datetime(2026, 5, 14, 11, 30, tzinfo=UTC)),
        ("In 2 Hours", datetime(2026, 5, 14, 12, 0, tzinfo=UTC)),
        # invisible and full-width characters from phones and copy-paste
        ("\u200btomorrow 9am\u200b", berlin(2026, 5, 15, 9, 0)),
        ("  tomorrow\u00a0 9am \n", berlin(2026, 5, 15, 9, 0)),
        ("\ufeff１７：００", berlin(2026, 5, 14, 17, 0)),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    result = parse_when(text, now=NOW, zone=BERLIN)
    assert result == expected
    assert result.tzinfo is UTC


def _has_working_example(message: str) -> bool:
    return re.search(r"`[^`]*\d[^`]*`", message) is not None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Please say when"),
        ("   ", "Please say when"),
        ("\u200b\u200b", "Please say when"),
        ("x" * 101, "too long"),
        ("garbage", "couldn't read `garbage`"),
        ("next week", "couldn't read"),
        ("tomorrow 17:00 18:00", "couldn't read"),
        ("in two hours", "couldn't read"),
        ("in 2 fortnights", "in 2 hours"),
        ("in 2 hours ago", "couldn't read"),
        ("in", "couldn't read"),
        ("12/01 17:00", "YYYY-MM-DD"),
        ("01.12 17:00", "YYYY-MM-DD"),
        ("12-01-2026 5pm", "YYYY-MM-DD"),
        ("12/01", "YYYY-MM-DD"),
        ("monday", "add a time of day"),
        ("next friday", "add a time of day"),
        ("tomorrow", "add a time of day"),
        ("dec 1", "add a time of day"),
        ("2026-12-01", "add a time of day"),
        ("tomorrow 9", "`am`/`pm`"),
        ("9", "`am`/`pm`"),
        ("now", "`now`"),
        ("Now", "`now`"),
        ("25:00", "isn't a time of day"),
        ("12:60", "isn't a time of day"),
        ("13pm", "isn't a time of day"),
        ("0am", "isn't a time of day"),
        ("feb 30 5pm", "isn't a real date"),
        ("feb 29 5pm", "isn't a real date in 2027"),
        ("2026-02-30 10:00", "isn't a real date"),
        ("2026-13-01 10:00", "isn't a real date"),
        ("in 0 minutes", "less than a minute"),
        ("in 0.5 min", "less than a minute"),
        ("2028-01-01 10:00", "too far ahead"),
        ("in 400 days", "too far ahead"),
        ("in 99999999999999 weeks", "too far ahead"),
        ("today 9am", "already passed"),
        ("may 14 9am", "already passed"),
        ("2026-01-01 10:00", "already passed"),
    ],
)
def test_rejections_explain_and_show_examples(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_when(text, now=NOW, zone=BERLIN)
    message = str(info.value)
    assert fragment in message
    assert _has_working_example(message), message


def test_past_says_when_it_was() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_when("today 9am", now=NOW, zone=BERLIN)
    it_was = discord_timestamp(berlin(2026, 5, 14, 9, 0), "R")
    assert f"That time has already passed (it was {it_was})." in str(info.value)


def test_too_far_respects_custom_max_ahead() -> None:
    week = timedelta(days=7)
    assert parse_when("in 6 days", now=NOW, zone=BERLIN, max_ahead=week)
    with pytest.raises(InvalidInput, match="up to 7 days"):
        parse_when("in 8 days", now=NOW, zone=BERLIN, max_ahead=week)
    with pytest.raises(InvalidInput, match="up to 7 days"):
        parse_when("2026-05-22 12:00", now=NOW, zone=BERLIN, max_ahead=week)


def test_zone_is_named_in_the_hint() -> None:
    with pytest.raises(InvalidInput, match="Asia/Singapore"):
        parse_when("whenever", now=NOW, zone=SINGAPORE)


def test_user_backticks_cannot_break_the_reply() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_when("`@everyone`", now=NOW, zone=BERLIN)
    assert "`@everyone`" not in str(info.value)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_when("tomorrow 9am", now=NOW.replace(tzinfo=None), zone=BERLIN)


# --- DST ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone", "later"),
    [
        ("2026-03-29 02:30", BERLIN, "`2026-03-29 03:30`"),
        ("2026-03-29 2:00am", BERLIN, "`2026-03-29 03:00`"),
        ("2026-03-08 2:30am", NEW_YORK, "`2026-03-08 03:30`"),
        ("2026-09-27 02:15", AUCKLAND, "`2026-09-27 03:15`"),
    ],
)
def test_wall_time_skipped_by_dst_is_rejected_with_an_hour_later(
    text: str, zone: ZoneInfo, later: str
) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput) as info:
        parse_when(text, now=now, zone=zone)
    message = str(info.value)
    assert "doesn't exist" in message
    assert zone.key in message
    assert later in message


def test_skipped_wall_time_via_weekday_is_rejected_too() -> None:
    # Friday 2026-03-27; "sunday 02:30" lands in the Berlin gap.
    now = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="doesn't exist"):
        parse_when("sunday 02:30", now=now, zone=BERLIN)


@pytest.mark.parametrize(
    ("text", "zone", "expected_utc"),
    [
        # 02:30 happens twice in Berlin on 2026-10-25; the first is still CEST (+2).
        ("2026-10-25 02:30", BERLIN, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        # 01:30 happens twice in New York on 2026-11-01; the first is still EDT (-4).
        ("2026-11-01 1:30am", NEW_YORK, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ],
)
def test_repeated_wall_time_takes_the_first_occurrence(
    text: str, zone: ZoneInfo, expected_utc: datetime
) -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    assert parse_when(text, now=now, zone=zone) == expected_utc


def test_wall_time_keeps_local_hour_across_dst() -> None:
    now = datetime(2026, 3, 20, tzinfo=UTC)
    before = parse_when("2026-03-28 17:00", now=now, zone=BERLIN)
    after = parse_when("2026-03-30 17:00", now=now, zone=BERLIN)
    assert (before.hour, after.hour) == (16, 15)


# --- other zones, relative to a given now -------------------------------------

# 2026-05-14 10:00:37 UTC is 18:00:37 Thursday in Singapore (UTC+8, no DST)
# and 22:00:37 Thursday in Auckland (NZST, UTC+12).


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17:00", datetime(2026, 5, 15, 9, 0, tzinfo=UTC)),  # passed locally -> tomorrow
        ("19:00", datetime(2026, 5, 14, 11, 0, tzinfo=UTC)),
        ("tomorrow 9am", datetime(2026, 5, 15, 1, 0, tzinfo=UTC)),
        ("friday 9am", datetime(2026, 5, 15, 1, 0, tzinfo=UTC)),
        ("thursday 19:00", datetime(2026, 5, 14, 11, 0, tzinfo=UTC)),
        ("thursday 17:00", datetime(2026, 5, 21, 9, 0, tzinfo=UTC)),
        ("2026-12-01 17:00", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),
        ("in 2 hours", datetime(2026, 5, 14, 12, 0, tzinfo=UTC)),
    ],
)
def test_singapore(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW, zone=SINGAPORE) == expected


def test_singapore_today_already_passed() -> None:
    with pytest.raises(InvalidInput, match="already passed"):
        parse_when("today 17:00", now=NOW, zone=SINGAPORE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Tomorrow in Auckland is still today in UTC.
        ("tomorrow 9am", datetime(2026, 5, 14, 21, 0, tzinfo=UTC)),
        ("friday 9am", datetime(2026, 5, 14, 21, 0, tzinfo=UTC)),
        ("23:00", datetime(2026, 5, 14, 11, 0, tzinfo=UTC)),
        ("21:00", datetime(2026, 5, 15, 9, 0, tzinfo=UTC)),
        ("today 23:30", datetime(2026, 5, 14, 11, 30, tzinfo=UTC)),
        # December is NZDT (UTC+13).
        ("2026-12-01 17:00", datetime(2026, 12, 1, 4, 0, tzinfo=UTC)),
    ],
)
def test_auckland(text: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW, zone=AUCKLAND) == expected


def test_auckland_new_year_is_local() -> None:
    # 2026-12-31 12:00 UTC is already 2027-01-01 01:00 in Auckland.
    now = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)
    assert parse_when("jan 1 9am", now=now, zone=AUCKLAND) == datetime(
        2026, 12, 31, 20, 0, tzinfo=UTC
    )
    # "dec 31" is yesterday there, so it means the next one.
    assert parse_when("dec 31 17:00", now=now, zone=AUCKLAND) == datetime(
        2027, 12, 31, 4, 0, tzinfo=UTC
    )
    with pytest.raises(InvalidInput, match="already passed"):
        parse_when("today 00:30", now=now, zone=AUCKLAND)
