from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.errors import InvalidInput
from services.time.recurrence import (
    NO_REPEAT,
    Repeat,
    describe,
    next_after,
    next_occurrences,
    parse_repeat,
    validate_min_interval,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SINGAPORE = ZoneInfo("Asia/Singapore")
UTC_ZONE = ZoneInfo("UTC")


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def occurrences(spec: str, anchor: datetime, zone: ZoneInfo, count: int = 5) -> list[datetime]:
    return next_occurrences(parse_repeat(spec), anchor=anchor, zone=zone, after=anchor, count=count)


# --- parse_repeat ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kind", "spec"),
    [
        ("none", "none", "none"),
        ("daily", "daily", "daily"),
        ("weekdays", "weekdays", "weekdays"),
        ("weekly", "weekly", "weekly"),
        ("every-2-weeks", "every-2-weeks", "every-2-weeks"),
        ("monthly", "monthly", "monthly"),
        ("  Weekly ", "weekly", "weekly"),
        ("EVERY-2-WEEKS", "every-2-weeks", "every-2-weeks"),
        ("every 2 weeks", "every-2-weeks", "every-2-weeks"),
        ("biweekly", "every-2-weeks", "every-2-weeks"),
        ("every day", "daily", "daily"),  # aliases are looked up with spaces as dashes
        ("Every Other Week", "every-2-weeks", "every-2-weeks"),
        ("never", "none", "none"),
        ("\u200bdaily", "daily", "daily"),
    ],
)
def test_parse_simple_kinds(typed: str, kind: str, spec: str) -> None:
    repeat = parse_repeat(typed)
    assert (repeat.kind, repeat.cron, repeat.spec) == (kind, None, spec)


@pytest.mark.parametrize(
    ("typed", "cron"),
    [
        ("cron:0 9 * * mon-fri", "0 9 * * mon-fri"),
        ("CRON: 0  9 * *   MON,WED", "0 9 * * mon,wed"),
        ("cron:30 17 1 * *", "30 17 1 * *"),
        ("cron:0 9 last * *", "0 9 last * *"),
        ("cron:0 9 * jan-jun *", "0 9 * jan-jun *"),
        ("cron:0 */2 * * *", "0 */2 * * *"),
        ("cron:0 0 29 2 *", "0 0 29 2 *"),
    ],
)
def test_parse_cron(typed: str, cron: str) -> None:
    repeat = parse_repeat(typed)
    assert repeat == Repeat("cron", cron, f"cron:{cron}")


def test_a_rule_of_exactly_the_maximum_length_is_accepted() -> None:
    cron = ",".join(str(minute) for minute in range(10, 39)) + " 10 * * *"
    assert len(f"cron:{cron}") == 100
    assert parse_repeat(f"cron:{cron}").cron == cron


@pytest.mark.parametrize(
    "typed",
    ["none", "daily", "weekdays", "weekly", "every-2-weeks", "monthly", "cron:0 9 * * 1-5"],
)
def test_spec_round_trips(typed: str) -> None:
    repeat = parse_repeat(typed)
    assert parse_repeat(repeat.spec) == repeat


def test_repeat_is_frozen_and_knows_whether_it_repeats() -> None:
    assert not NO_REPEAT.repeats
    assert parse_repeat("daily").repeats
    with pytest.raises(AttributeError):
        parse_repeat("daily").kind = "weekly"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("", "how it repeats"),
        ("   ", "how it repeats"),
        ("x" * 101, "too long"),
        ("hourly", "`hourly` isn't a repeat I know"),
        ("every 3 weeks", "isn't a repeat I know"),
        ("cron:", "has 0 fields;"),
        ("cron:0 9 * *", "has 4 fields;"),
        ("cron:0 9 * * * *", "has 6 fields;"),
        ("cron:@daily", "has 1 field;"),
        ("cron:61 9 * * *", "minute field `61`"),
        ("cron:0 24 * * *", "hour field `24`"),
        ("cron:0 9 32 * *", "day field `32`"),
        ("cron:0 9 0 * *", "day field `0`"),
        ("cron:0 9 * 13 *", "month field `13`"),
        ("cron:0 9 * jan-jun/2 *", "month field `jan-jun/2`"),
        ("cron:0 9 * foo *", "month field `foo`"),
        ("cron:0 9 * * 8", "weekday field `8`"),
        ("cron:0 9 * * funday", "weekday field `funday`"),
        ("cron:0 9 * * fri-mon", "weekday field `fri-mon`"),
        ("cron:0 9 * * 5-1", "weekday field `5-1`"),
        ("cron:*/0 9 * * *", "minute field `*/0`"),
        ("cron:a b c d e", "minute field `a`"),
        ("cron:0 9 ? * mon", "day field `?`"),
        ("cron:0 9 1 * mon", "both a day of the month and a weekday"),
        ("cron:0 0 30 2 *", "never fires"),
        ("cron:0 0 31 4 *", "never fires"),
        # What was typed is echoed in a code span: whole up to 60 characters, then cut with
        # an ellipsis, and a backtick in it can't close the span early.
        ("x" * 60, f"`{'x' * 60}` isn't a repeat I know"),
        ("y" * 61, f"`{'y' * 59}…` isn't a repeat I know"),
        ("a`b", "`a'b` isn't a repeat I know"),
    ],
)
def test_parse_rejections_name_the_problem_and_show_an_example(typed: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_repeat(typed)
    message = str(info.value)
    assert fragment in message
    assert "`cron:0 9 " in message


# --- next_occurrences basics -----------------------------------------------------


def test_none_is_just_the_anchor() -> None:
    anchor = local(BERLIN, 2026, 5, 14, 17, 0)
    before = anchor - timedelta(days=1)
    assert next_occurrences(NO_REPEAT, anchor=anchor, zone=BERLIN, after=before, count=5) == [
        anchor
    ]
    assert next_occurrences(NO_REPEAT, anchor=anchor, zone=BERLIN, after=anchor, count=5) == []
    assert next_after(NO_REPEAT, anchor=anchor, zone=BERLIN, after=anchor) is None


def test_anchor_is_first_and_after_is_exclusive() -> None:
    anchor = local(BERLIN, 2026, 5, 14, 17, 0)
    daily = parse_repeat("daily")
    before = next_occurrences(
        daily, anchor=anchor, zone=BERLIN, after=anchor - timedelta(1), count=2
    )
    assert before == [anchor, anchor + timedelta(days=1)]
    at = next_occurrences(daily, anchor=anchor, zone=BERLIN, after=anchor, count=1)
    assert at == [anchor + timedelta(days=1)]
    # Exactly on a later occurrence: that one is excluded too.
    second = anchor + timedelta(days=1)
    assert next_after(daily, anchor=anchor, zone=BERLIN, after=second) == second + timedelta(1)
    # Stored times keep microseconds: one microsecond before an occurrence, it is next.
    just_before = second - timedelta(microseconds=1)
    assert next_after(daily, anchor=anchor, zone=BERLIN, after=just_before) == second


def test_count_is_respected() -> None:
    anchor = local(BERLIN, 2026, 5, 14, 17, 0)
    assert len(occurrences("daily", anchor, BERLIN, count=7)) == 7
    assert occurrences("daily", anchor, BERLIN, count=0) == []
    # Not even the anchor, when it is still ahead.
    daily = parse_repeat("daily")
    before = anchor - timedelta(days=1)
    assert next_occurrences(daily, anchor=anchor, zone=BERLIN, after=before, count=0) == []


def test_results_are_aware_utc() -> None:
    anchor = local(BERLIN, 2026, 5, 14, 17, 0).astimezone(BERLIN)
    for moment in occurrences("weekly", anchor, BERLIN):
        assert moment.tzinfo is UTC
    # The anchor itself too, when it is the first occurrence and was given in its zone.
    weekly = parse_repeat("weekly")
    before = anchor - timedelta(days=1)
    first = next_occurrences(weekly, anchor=anchor, zone=BERLIN, after=before, count=2)[0]
    assert first == anchor and first.tzinfo is UTC


def test_naive_datetimes_are_rejected() -> None:
    anchor = datetime(2026, 5, 14, 17, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError):
        next_occurrences(parse_repeat("daily"), anchor=anchor, zone=BERLIN, after=anchor, count=1)
    aware = anchor.replace(tzinfo=BERLIN)
    with pytest.raises(ValueError, match="anchor"):  # each of the two is checked
        next_occurrences(parse_repeat("daily"), anchor=anchor, zone=BERLIN, after=aware, count=1)
    with pytest.raises(ValueError, match="after"):
        next_occurrences(parse_repeat("daily"), anchor=aware, zone=BERLIN, after=anchor, count=1)


def test_next_after_far_in_the_future() -> None:
    anchor = local(BERLIN, 2026, 5, 14, 17, 0)  # Thursday
    found = next_after(
        parse_repeat("weekly"), anchor=anchor, zone=BERLIN, after=anchor + timedelta(days=1000)
    )
    assert found is not None
    assert found.astimezone(BERLIN).strftime("%a %H:%M") == "Thu 17:00"
    assert timedelta(0) < found - (anchor + timedelta(days=1000)) <= timedelta(days=7)


# --- DST: wall-clock time is kept ------------------------------------------------


def test_weekly_berlin_across_march_change() -> None:
    anchor = local(BERLIN, 2026, 3, 19, 17, 0)  # Thursday, CET
    got = occurrences("weekly", anchor, BERLIN, count=3)
    assert got == [
        datetime(2026, 3, 26, 16, 0, tzinfo=UTC),
        datetime(2026, 4, 2, 15, 0, tzinfo=UTC),  # CEST: 17:00 local is 15:00 UTC
        datetime(2026, 4, 9, 15, 0, tzinfo=UTC),
    ]
    assert {(m.astimezone(BERLIN).hour, m.astimezone(BERLIN).minute) for m in got} == {(17, 0)}
    assert {m.astimezone(BERLIN).strftime("%A") for m in got} == {"Thursday"}


def test_weekly_berlin_across_october_change() -> None:
    anchor = local(BERLIN, 2026, 10, 15, 17, 0)  # Thursday, CEST
    assert anchor == datetime(2026, 10, 15, 15, 0, tzinfo=UTC)
    got = occurrences("weekly", anchor, BERLIN, count=3)
    assert got == [
        datetime(2026, 10, 22, 15, 0, tzinfo=UTC),
        datetime(2026, 10, 29, 16, 0, tzinfo=UTC),  # CET again
        datetime(2026, 11, 5, 16, 0, tzinfo=UTC),
    ]
    assert [m.astimezone(BERLIN).strftime("%a %H:%M %Z") for m in got] == [
        "Thu 17:00 CEST",
        "Thu 17:00 CET",
        "Thu 17:00 CET",
    ]


def test_weekly_new_york_across_march_8() -> None:
    anchor = local(NEW_YORK, 2026, 3, 2, 9, 0)  # Monday, EST
    assert anchor == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    got = occurrences("weekly", anchor, NEW_YORK, count=2)
    assert got == [
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC),  # EDT
        datetime(2026, 3, 16, 13, 0, tzinfo=UTC),
    ]
    assert [m.astimezone(NEW_YORK).strftime("%a %H:%M %Z") for m in got] == [
        "Mon 09:00 EDT",
        "Mon 09:00 EDT",
    ]


def test_weekly_new_york_across_november_1() -> None:
    anchor = local(NEW_YORK, 2026, 10, 26, 9, 0)  # Monday, EDT
    assert anchor == datetime(2026, 10, 26, 13, 0, tzinfo=UTC)
    got = occurrences("weekly", anchor, NEW_YORK, count=2)
    assert got == [
        datetime(2026, 11, 2, 14, 0, tzinfo=UTC),  # EST
        datetime(2026, 11, 9, 14, 0, tzinfo=UTC),
    ]
    assert {m.astimezone(NEW_YORK).strftime("%a %H:%M") for m in got} == {"Mon 09:00"}


def test_every_two_weeks_across_spring_change() -> None:
    anchor = local(BERLIN, 2026, 3, 17, 10, 0)  # Tuesday, CET
    got = occurrences("every-2-weeks", anchor, BERLIN, count=3)
    assert got == [
        datetime(2026, 3, 31, 8, 0, tzinfo=UTC),  # CEST
        datetime(2026, 4, 14, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 28, 8, 0, tzinfo=UTC),
    ]
    assert {m.astimezone(BERLIN).strftime("%a %H:%M") for m in got} == {"Tue 10:00"}


def test_every_two_weeks_across_autumn_change_in_new_york() -> None:
    anchor = local(NEW_YORK, 2026, 10, 20, 9, 0)  # Tuesday, EDT
    got = occurrences("every-2-weeks", anchor, NEW_YORK, count=2)
    assert got == [
        datetime(2026, 11, 3, 14, 0, tzinfo=UTC),  # EST
        datetime(2026, 11, 17, 14, 0, tzinfo=UTC),
    ]


def test_every_two_weeks_stays_aligned_far_ahead() -> None:
    anchor = local(SINGAPORE, 2026, 5, 12, 10, 0)  # Tuesday
    after = anchor + timedelta(days=400)
    got = next_occurrences(
        parse_repeat("every-2-weeks"), anchor=anchor, zone=SINGAPORE, after=after, count=3
    )
    assert len(got) == 3
    for moment in got:
        assert moment > after
        assert (moment - anchor) % timedelta(weeks=2) == timedelta(0)
    assert got[0] - after <= timedelta(weeks=2)


# DST edge cases inherited from APScheduler (documented in services/time/recurrence.py).


def test_daily_in_the_skipped_hour_fires_an_hour_later_on_the_clock() -> None:
    anchor = local(BERLIN, 2026, 3, 27, 2, 30)
    got = occurrences("daily", anchor, BERLIN, count=3)
    assert got[0] == datetime(2026, 3, 28, 1, 30, tzinfo=UTC)
    assert got[1] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert got[2] == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 CEST


def test_every_two_weeks_in_the_skipped_hour_skips_that_date() -> None:
    anchor = local(BERLIN, 2026, 3, 15, 2, 30)  # Sunday; 2026-03-29 02:30 doesn't exist
    got = occurrences("every-2-weeks", anchor, BERLIN, count=1)
    assert got == [local(BERLIN, 2026, 4, 12, 2, 30)]


def test_repeated_hour_fires_once_at_the_first_occurrence() -> None:
    anchor = local(BERLIN, 2026, 10, 24, 2, 30)
    got = occurrences("daily", anchor, BERLIN, count=2)
    assert got == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST, not also 02:30 CET
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ]
    # Even when asked from inside the repeated hour.
    inside = datetime(2026, 10, 25, 0, 45, tzinfo=UTC)
    assert next_after(parse_repeat("daily"), anchor=anchor, zone=BERLIN, after=inside) == got[1]


# --- weekdays, cron, monthly ------------------------------------------------------


def test_weekdays_skip_the_weekend() -> None:
    anchor = local(NEW_YORK, 2026, 5, 14, 9, 0)  # Thursday
    got = occurrences("weekdays", anchor, NEW_YORK, count=10)
    days = [m.astimezone(NEW_YORK).strftime("%a") for m in got]
    assert days == ["Fri", "Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue", "Wed", "Thu"]
    assert {m.astimezone(NEW_YORK).strftime("%H:%M") for m in got} == {"09:00"}


def test_cron_mon_wed_fires_on_the_right_days() -> None:
    anchor = local(BERLIN, 2026, 5, 14, 9, 0)  # Thursday
    got = occurrences("cron:0 9 * * mon,wed", anchor, BERLIN, count=4)
    assert [m.astimezone(BERLIN).strftime("%Y-%m-%d %a %H:%M") for m in got] == [
        "2026-05-18 Mon 09:00",
        "2026-05-20 Wed 09:00",
        "2026-05-25 Mon 09:00",
        "2026-05-27 Wed 09:00",
    ]


@pytest.mark.parametrize(
    ("weekday_field", "expected"),
    [
        ("1", {"Mon"}),  # crontab: 1 is Monday (APScheduler 3 alone would say Tuesday)
        ("0", {"Sun"}),
        ("7", {"Sun"}),
        ("1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("mon-fri", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("fri-sun", {"Fri", "Sat", "Sun"}),
        ("5-7", {"Fri", "Sat", "Sun"}),
        ("*/2", {"Sun", "Tue", "Thu", "Sat"}),
        ("1/2", {"Mon", "Wed", "Fri", "Sun"}),
        ("0,6", {"Sat", "Sun"}),
        ("sun-tue", {"Sun", "Mon", "Tue"}),
        (
            "sun/2",
            {"Sun", "Tue", "Thu", "Sat"},
        ),  # a named Sunday opening a step is 0 too  # Sunday opens a range as 0, closes it as 7
        ("0/2", {"Sun", "Tue", "Thu", "Sat"}),
        ("2/2", {"Tue", "Thu", "Sat"}),  # "2-7/2": the step ends at Sunday, not past it
        ("*", {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}),
    ],
)
def test_cron_weekdays_use_crontab_numbering(weekday_field: str, expected: set[str]) -> None:
    anchor = datetime(2026, 5, 14, 8, 0, tzinfo=UTC)
    got = occurrences(f"cron:0 9 * * {weekday_field}", anchor, UTC_ZONE, count=14)
    assert {m.strftime("%a") for m in got} == expected


def test_cron_runs_in_the_given_zone() -> None:
    anchor = local(NEW_YORK, 2026, 3, 2, 8, 0)
    got = occurrences("cron:0 9 * * mon", anchor, NEW_YORK, count=3)
    assert [m.hour for m in got[:2]] == [14, 13]  # EST then EDT, 09:00 local both


def test_monthly_on_an_ordinary_day() -> None:
    anchor = local(BERLIN, 2026, 1, 15, 17, 0)
    got = occurrences("monthly", anchor, BERLIN, count=3)
    assert [m.astimezone(BERLIN).strftime("%m-%d %H:%M") for m in got] == [
        "02-15 17:00",
        "03-15 17:00",
        "04-15 17:00",
    ]


def test_monthly_on_the_31st_uses_the_last_day_of_shorter_months() -> None:
    anchor = local(UTC_ZONE, 2026, 1, 31, 9, 0)
    got = occurrences("monthly", anchor, UTC_ZONE, count=6)
    assert [m.date().isoformat() for m in got] == [
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
        "2026-06-30",
        "2026-07-31",
    ]


def test_monthly_on_the_30th_clamps_only_february() -> None:
    anchor = local(UTC_ZONE, 2026, 1, 30, 9, 0)
    got = occurrences("monthly", anchor, UTC_ZONE, count=3)
    assert [m.date().isoformat() for m in got] == ["2026-02-28", "2026-03-30", "2026-04-30"]


def test_monthly_on_the_29th_in_leap_and_ordinary_years() -> None:
    anchor = local(UTC_ZONE, 2027, 12, 29, 9, 0)
    got = occurrences("monthly", anchor, UTC_ZONE, count=3)
    assert [m.date().isoformat() for m in got] == ["2028-01-29", "2028-02-29", "2028-03-29"]
    anchor = local(UTC_ZONE, 2026, 1, 29, 9, 0)
    got = occurrences("monthly", anchor, UTC_ZONE, count=2)
    assert [m.date().isoformat() for m in got] == ["2026-02-28", "2026-03-29"]


def test_monthly_uses_the_local_day_not_the_utc_day() -> None:
    # 2026-01-31 07:00 in Singapore is still 2026-01-30 in UTC.
    anchor = local(SINGAPORE, 2026, 1, 31, 7, 0)
    got = occurrences("monthly", anchor, SINGAPORE, count=2)
    assert [m.astimezone(SINGAPORE).date().isoformat() for m in got] == [
        "2026-02-28",
        "2026-03-31",
    ]


# --- minimum interval --------------------------------------------------------------


def test_min_interval_rejects_frequent_cron() -> None:
    anchor = local(UTC_ZONE, 2026, 5, 14, 9, 0)
    with pytest.raises(InvalidInput) as info:
        validate_min_interval(parse_repeat("cron:*/5 * * * *"), anchor=anchor, zone=UTC_ZONE)
    assert str(info.value).startswith(
        "Repeats must be at least an hour apart; `cron:*/5 * * * *` fires every 5 minutes."
    )
    assert "`cron:0 9 * * mon-fri`" in str(info.value)


def test_min_interval_finds_the_smallest_gap_not_the_first() -> None:
    anchor = local(UTC_ZONE, 2026, 5, 14, 9, 0)
    with pytest.raises(InvalidInput, match="fires every 30 minutes"):
        validate_min_interval(parse_repeat("cron:0,30 9 * * *"), anchor=anchor, zone=UTC_ZONE)


def test_min_interval_rejects_a_first_repeat_too_close_to_the_anchor() -> None:
    anchor = local(UTC_ZONE, 2026, 5, 14, 8, 30)
    with pytest.raises(InvalidInput, match="only 30 minutes after the start"):
        validate_min_interval(parse_repeat("cron:0 9 * * *"), anchor=anchor, zone=UTC_ZONE)


@pytest.mark.parametrize(
    "spec",
    ["none", "daily", "weekdays", "weekly", "every-2-weeks", "monthly", "cron:0 * * * *"],
)
def test_min_interval_accepts_reasonable_rules(spec: str) -> None:
    anchor = local(BERLIN, 2026, 10, 20, 2, 0)  # hourly cron crosses the repeated hour
    validate_min_interval(parse_repeat(spec), anchor=anchor, zone=BERLIN)


def test_min_interval_reads_the_rule_in_its_zone() -> None:
    # 09:00 in Berlin is 30 minutes after an 08:30 Berlin start (09:00 UTC would be 90).
    anchor = local(BERLIN, 2026, 5, 14, 8, 30)
    with pytest.raises(InvalidInput, match="only 30 minutes after the start"):
        validate_min_interval(parse_repeat("cron:0 9 * * *"), anchor=anchor, zone=BERLIN)


def test_min_interval_custom_minimum() -> None:
    anchor = local(UTC_ZONE, 2026, 5, 14, 0, 0)
    with pytest.raises(InvalidInput, match=r"at least 24 hours apart.*every 12 hours"):
        validate_min_interval(
            parse_repeat("cron:0 */12 * * *"),
            anchor=anchor,
            zone=UTC_ZONE,
            minimum=timedelta(days=1),
        )


def test_min_interval_messages_name_minutes_seconds_and_mixed_spans() -> None:
    anchor = local(UTC_ZONE, 2026, 5, 14, 9, 0)
    with pytest.raises(InvalidInput, match="fires every 1 minute\\."):
        validate_min_interval(parse_repeat("cron:* * * * *"), anchor=anchor, zone=UTC_ZONE)
    just_before = datetime(2026, 5, 14, 8, 59, 30, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="only 30 seconds after the start"):
        validate_min_interval(parse_repeat("cron:0 9 * * *"), anchor=just_before, zone=UTC_ZONE)
    with pytest.raises(InvalidInput, match="at least 1 hour 30 minutes apart;"):
        validate_min_interval(
            parse_repeat("cron:0 9,10 * * *"),
            anchor=anchor,
            zone=UTC_ZONE,
            minimum=timedelta(minutes=90),
        )


# --- describe ------------------------------------------------------------------------


def test_describe_monthly_ordinals() -> None:
    def on(day: int) -> str:
        text = describe(
            parse_repeat("monthly"), anchor=local(UTC_ZONE, 2026, 5, day), zone=UTC_ZONE
        )
        return text.removeprefix("every month on the ").split(" ")[0]

    days = (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)
    assert [on(day) for day in days] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "anchor", "zone", "text"),
    [
        (
            "weekly",
            local(BERLIN, 2026, 5, 14, 17, 0),
            BERLIN,
            "every Thursday at 17:00 (Europe/Berlin)",
        ),
        (
            "every-2-weeks",
            local(SINGAPORE, 2026, 5, 12, 10, 0),
            SINGAPORE,
            "every other Tuesday at 10:00 (Asia/Singapore)",
        ),
        (
            "weekdays",
            local(NEW_YORK, 2026, 5, 14, 9, 0),
            NEW_YORK,
            "weekdays at 09:00 (America/New_York)",
        ),
        ("daily", local(BERLIN, 2026, 5, 14, 8, 5), BERLIN, "every day at 08:05 (Europe/Berlin)"),
        (
            "daily",
            local(BERLIN, 2026, 5, 14, 8, 5, 30),
            BERLIN,
            "every day at 08:05:30 (Europe/Berlin)",
        ),
        ("cron:0 9 * * 1", local(UTC_ZONE, 2026, 5, 18, 9, 0), UTC_ZONE, "cron `0 9 * * 1` (UTC)"),
        (
            "monthly",
            local(BERLIN, 2026, 5, 3, 17, 0),
            BERLIN,
            "every month on the 3rd at 17:00 (Europe/Berlin)",
        ),
        (
            "monthly",
            local(BERLIN, 2026, 5, 11, 17, 0),
            BERLIN,
            "every month on the 11th at 17:00 (Europe/Berlin)",
        ),
        (
            "monthly",
            local(BERLIN, 2026, 5, 31, 17, 0),
            BERLIN,
            "on the last day of every month at 17:00 (Europe/Berlin)",
        ),
        (
            "monthly",
            local(BERLIN, 2026, 4, 30, 17, 0),
            BERLIN,
            "every month on the 30th (the last day of February) at 17:00 (Europe/Berlin)",
        ),
        (
            "monthly",
            local(BERLIN, 2026, 1, 29, 17, 0),
            BERLIN,
            "every month on the 29th (the last day of February) at 17:00 (Europe/Berlin)",
        ),
        (
            "none",
            local(BERLIN, 2026, 5, 14, 17, 0),
            BERLIN,
            "once, on Thursday 2026-05-14 at 17:00 (Europe/Berlin)",
        ),
    ],
)
def test_describe(spec: str, anchor: datetime, zone: ZoneInfo, text: str) -> None:
    assert describe(parse_repeat(spec), anchor=anchor, zone=zone) == text


def test_describe_uses_the_zone_not_utc() -> None:
    # 23:30 UTC Wednesday is Thursday 07:30 in Singapore.
    anchor = datetime(2026, 5, 13, 23, 30, tzinfo=UTC)
    assert describe(parse_repeat("weekly"), anchor=anchor, zone=SINGAPORE) == (
        "every Thursday at 07:30 (Asia/Singapore)"
    )
