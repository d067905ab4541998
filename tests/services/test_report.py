"""The monthly report's arithmetic: months, parsing, change, activation, programmes shown."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.errors import InvalidInput
from services.metrics.figures import loop_closure, responsiveness
from services.metrics.report import (
    Figure,
    MonthData,
    activation,
    build_report,
    change_text,
    last_whole_month,
    next_month,
    parse_month,
    previous_month,
    report_csv,
)
from storage.metrics import MonthTotals, Newcomer

T = datetime(2026, 2, 3, 9, tzinfo=UTC)


def test_months() -> None:
    assert last_whole_month(date(2026, 3, 2)) == date(2026, 2, 1)
    assert last_whole_month(date(2026, 1, 31)) == date(2025, 12, 1)
    assert previous_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert next_month(date(2026, 2, 1)) == date(2026, 3, 1)


def test_parse_month_and_its_refusals() -> None:
    today, first = date(2026, 3, 2), date(2026, 1, 1)
    assert parse_month(None, today, first) == date(2026, 2, 1)
    assert parse_month(" 2026-03 ", today, first) == date(2026, 3, 1)  # this month, so far
    for bad in ("2026-1", "2026-00", "26-01", "March"):
        with pytest.raises(InvalidInput, match="YYYY-MM"):
            parse_month(bad, today, first)
    with pytest.raises(InvalidInput, match="hasn't started"):
        parse_month("2026-04", today, first)
    with pytest.raises(InvalidInput, match="starts in January 2026"):
        parse_month("2025-12", today, first)
    with pytest.raises(InvalidInput, match="no activity"):
        parse_month("2026-02", today, None)


def test_change_and_its_share() -> None:
    f = Figure("community", "active_members", "Active", 15, 12)
    assert (f.change, f.change_share) == (3, 0.25)
    assert change_text(f) == "+3 (+25%)"
    assert Figure("c", "k", "l", 4, 0).change_share is None  # no share of nothing
    assert change_text(Figure("c", "k", "l", 4, None)) == "no earlier month"


def test_activation_counts_first_answers_after_the_join() -> None:
    newcomers = [
        Newcomer(1, datetime(2026, 2, 1, tzinfo=UTC), T),
        Newcomer(2, datetime(2026, 2, 2, tzinfo=UTC), None),
        Newcomer(3, datetime(2026, 2, 2, tzinfo=UTC), T),
    ]
    answers = [
        (1, datetime(2026, 2, 1, 6, tzinfo=UTC)),  # 6 h after joining
        (1, datetime(2026, 2, 1, 3, tzinfo=UTC)),  # ... the first is 3 h
        (3, datetime(2026, 2, 2, 9, tzinfo=UTC)),  # 9 h
        (99, datetime(2026, 2, 2, 9, tzinfo=UTC)),  # not a newcomer
        (2, datetime(2026, 2, 1, 9, tzinfo=UTC)),  # before member 2 joined: not theirs
    ]
    assert activation(newcomers, answers) == (3, 2, 2, 6.0)  # median of 3 h and 9 h


def _month(active: int, reach: dict) -> MonthData:
    return MonthData(
        MonthTotals(active, 10, 1, 0), [], [], responsiveness([], T),
        responsiveness([], T), 0, loop_closure([]), reach,
    )  # fmt: skip


def test_a_programme_shows_only_with_data_and_csv_rows() -> None:
    report = build_report(
        date(2026, 2, 1),
        _month(5, {"office_hours": {"sessions": 2, "questions": 7, "attendees": 4}}),
        _month(4, {"office_hours": {"sessions": 0, "questions": 0, "attendees": 0}}),
        None,
    )
    keys = [f.key for f in report.figures]
    assert "office_hours_sessions" in keys
    assert not any(k.startswith(("calls_", "surveys_", "hallway_", "announcements_")) for k in keys)
    lines = report_csv(report).decode().splitlines()
    assert "2026-02,community,Active members,active_members,count,5,4,1,25.0" in lines
    assert "2026-02,office hours,Office-hours sessions,office_hours_sessions,count,2,0,2," in lines
