from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from services.errors import InvalidInput
from services.time.timezones import COMMON_ZONES, resolve_zone, suggest_zones


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("  Asia/Singapore  ", "Asia/Singapore"),
        ("america/new_york", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("\u200bPacific/Auckland\u200b", "Pacific/Auckland"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
    ],
)
def test_resolves_names_case_insensitively(typed: str, expected: str) -> None:
    zone = resolve_zone(typed)
    assert isinstance(zone, ZoneInfo)
    assert zone.key == expected


def test_unknown_zone_names_the_input_and_gives_examples() -> None:
    with pytest.raises(InvalidInput) as info:
        resolve_zone("Mars/Base")
    message = str(info.value)
    assert "`Mars/Base` isn't a time zone I know." in message
    assert "`Europe/Berlin`" in message
    assert "`America/New_York`" in message
    assert "`Asia/Singapore`" in message


@pytest.mark.parametrize(
    ("typed", "suggestion"),
    [
        ("Europe/Berln", "Europe/Berlin"),
        ("europe/berlim", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("Amerika/New_York", "America/New_York"),
        ("Asia/Singapur", "Asia/Singapore"),
    ],
)
def test_close_matches_are_suggested(typed: str, suggestion: str) -> None:
    with pytest.raises(InvalidInput, match=f"Did you mean `{suggestion}`\\?"):
        resolve_zone(typed)


def test_no_suggestion_when_nothing_is_close() -> None:
    with pytest.raises(InvalidInput) as info:
        resolve_zone("Mars/Base")
    assert "Did you mean" not in str(info.value)


@pytest.mark.parametrize("typed", ["", "   ", "\u200b", "x" * 65, "Europe/" + "a" * 80])
def test_empty_and_overlong_rejected_with_examples(typed: str) -> None:
    with pytest.raises(InvalidInput, match="Europe/Berlin"):
        resolve_zone(typed)


def test_backticks_in_input_cannot_break_the_reply() -> None:
    with pytest.raises(InvalidInput) as info:
        resolve_zone("Eu`rope")
    assert "Eu`rope" not in str(info.value)


@pytest.mark.parametrize("typed", ["localtime", "Factory", "posixrules"])
def test_non_places_are_not_zones(typed: str) -> None:
    with pytest.raises(InvalidInput):
        resolve_zone(typed)


def test_empty_prefix_gives_common_zones() -> None:
    common = suggest_zones("")
    assert common[0] == "UTC"
    for name in (
        "America/Los_Angeles",
        "America/New_York",
        "Europe/London",
        "Europe/Berlin",
        "Asia/Kolkata",
        "Asia/Singapore",
        "Asia/Tokyo",
        "Australia/Sydney",
    ):
        assert name in common
    assert all(resolve_zone(name).key == name for name in COMMON_ZONES)


def test_empty_prefix_respects_limit() -> None:
    assert suggest_zones("  ", limit=3) == ["UTC", "America/Los_Angeles", "America/Denver"]


def test_prefix_matches_come_first() -> None:
    found = suggest_zones("eur")
    assert found
    assert all(name.startswith("Europe/") for name in found)
    assert found == sorted(found)


def test_city_prefix_before_plain_substring() -> None:
    found = suggest_zones("ber")
    assert "Europe/Berlin" in found
    # Europe/Berlin matches at the city; anything merely containing "ber" comes later.
    substring_only = [
        n for n in found if not any(p.startswith("ber") for p in n.lower().split("/"))
    ]
    if substring_only:
        assert found.index("Europe/Berlin") < found.index(substring_only[0])


def test_case_insensitive_substring() -> None:
    assert "America/New_York" in suggest_zones("NEW_YORK")
    assert "America/New_York" in suggest_zones("new york")
    assert "Asia/Singapore" in suggest_zones("gapo")


def test_limit_is_respected_and_discord_sized_by_default() -> None:
    assert len(suggest_zones("a")) == 25
    assert len(suggest_zones("a", limit=5)) == 5
    assert suggest_zones("a", limit=0) == []


def test_nothing_matches() -> None:
    assert suggest_zones("zzzzzz") == []
    assert suggest_zones("x" * 500) == []


def test_suggestions_resolve() -> None:
    suggested = suggest_zones("america")
    assert len(suggested) == 25 and all(n.startswith("America/") for n in suggested)
    for name in suggested:
        assert resolve_zone(name).key == name
