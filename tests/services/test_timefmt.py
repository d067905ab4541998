from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from services.time.timefmt import both, discord_timestamp

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
