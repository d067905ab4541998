from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.metrics.figures import duration
from services.time.timefmt import both, discord_timestamp, span_text

INSTANT = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
UNIX = 1796140800


@pytest.mark.parametrize("style", ["t", "T", "d", "D", "f", "F", "R"])
def test_every_style(style: str) -> None:
    assert discord_timestamp(INSTANT, style) == f"<t:{UNIX}:{style}>"


def test_default_style_is_long_date_time() -> None:
    assert discord_timestamp(INSTANT) == f"<t:{UNIX}:F>"


def test_same_instant_in_any_zone_gives_same_markup() -> None:
    berlin = INSTANT.astimezone(ZoneInfo("Europe/Berlin"))
    offset = INSTANT.astimezone(timezone(timedelta(hours=-5)))
    assert discord_timestamp(berlin) == discord_timestamp(offset) == f"<t:{UNIX}:F>"


def test_sub_second_instants_floor() -> None:
    assert discord_timestamp(INSTANT + timedelta(milliseconds=999)) == f"<t:{UNIX}:F>"
    before_epoch = datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)
    assert discord_timestamp(before_epoch, "R") == "<t:-1:R>"


@pytest.mark.parametrize("style", ["", "x", "FF", "r", " F"])
def test_unknown_style_rejected(style: str) -> None:
    with pytest.raises(ValueError, match="style"):
        discord_timestamp(INSTANT, style)


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        discord_timestamp(INSTANT.replace(tzinfo=None))


def test_both() -> None:
    assert both(INSTANT) == f"<t:{UNIX}:F> (<t:{UNIX}:R>)"


def test_both_rejects_naive() -> None:
    with pytest.raises(ValueError):
        both(INSTANT.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "under a minute"),
        (59.4, "under a minute"),
        (60, "1 min"),
        (89, "1 min"),
        (90, "2 min"),
        (3599, "1 h"),
        (3600 + 29 * 60, "1 h 29 min"),
        (26 * 3600, "26 h"),
    ],
)
def test_span_text_says_a_length_as_people_do(seconds: float, text: str) -> None:
    assert span_text(seconds) == text
    assert span_text(timedelta(seconds=seconds)) == text


def test_a_wait_under_a_minute_reads_the_same_in_stats_as_in_the_recap_and_digest() -> None:
    # The digest once said "0 s" and /stats "0 min" where the recap said "under a minute".
    assert duration(timedelta(seconds=12)) == span_text(12) == "under a minute"
    assert duration(timedelta(minutes=1)) == "1 min"
    assert duration(None) == "—"
