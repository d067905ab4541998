"""Time zone names as people type them, and autocomplete for Discord options."""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from zoneinfo import ZoneInfo

from services.errors import InvalidInput
from services.text import strip_invisible

# The longest IANA name is ~32 characters; anything much longer is not a zone name.
MAX_ZONE_NAME = 64

# Entries in the tz database that are not places: "localtime" would silently mean
# whatever the server is set to, and the others are build artefacts.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})

# Shown for an empty autocomplete query: roughly one per populated region, so most
# users see theirs (or a neighbour with the same offset) without typing.
COMMON_ZONES: tuple[str, ...] = (
    "UTC",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)

_EXAMPLES = "Use an IANA name such as `Europe/Berlin`, `America/New_York` or `Asia/Singapore`."


@functools.cache
def _all_zones() -> tuple[str, ...]:
    # available_timezones() walks the disk; autocomplete fires on every keystroke.
    return tuple(sorted(zoneinfo.available_timezones() - _NOT_ZONES))


@functools.cache
def _by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in _all_zones()}


def _clean(text: str) -> str:
    # Mobile keyboards and copy-paste from docs bring zero-width and full-width characters.
    text = strip_invisible(text)
    # "America/New York" is a common way to type America/New_York.
    return "_".join(text.split())


def _echo(text: str) -> str:
    """User text safe to put inside a code span in our reply."""
    shown = text.replace("`", "'")
    return shown if len(shown) <= 40 else shown[:39] + "…"


def _suggestion(key: str) -> str | None:
    names = _by_lower_name()
    if "/" not in key:
        # "berlin" -> Europe/Berlin: people often type just the city.
        cities = [name for low, name in names.items() if low.rsplit("/", 1)[-1] == key]
        if cities:
            return cities[0]
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    if close:
        return names[close[0]]
    last_parts = {low.rsplit("/", 1)[-1]: name for low, name in names.items() if "/" in low}
    close = difflib.get_close_matches(key.rsplit("/", 1)[-1], list(last_parts), n=1, cutoff=0.8)
    return last_parts[close[0]] if close else None


def resolve_zone(name: str) -> ZoneInfo:
    """Turn a user-typed zone name into a ZoneInfo, case-insensitively."""
    cleaned = _clean(name)
    if not cleaned:
        raise InvalidInput(f"Please give a time zone. {_EXAMPLES}")
    if len(cleaned) > MAX_ZONE_NAME:
        raise InvalidInput(f"That's too long to be a time zone name. {_EXAMPLES}")
    canonical = _by_lower_name().get(cleaned.lower())
    if canonical is not None:
        return ZoneInfo(canonical)
    message = f"`{_echo(cleaned)}` isn't a time zone I know. {_EXAMPLES}"
    suggestion = _suggestion(cleaned.lower())
    if suggestion is not None:
        message += f" Did you mean `{suggestion}`?"
    raise InvalidInput(message)


def suggest_zones(prefix: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete: name prefix first, then city prefix, then substring."""
    if limit <= 0:
        return []
    query = _clean(prefix).lower()
    if not query:
        return list(COMMON_ZONES[:limit])
    if len(query) > MAX_ZONE_NAME:
        # Autocomplete must never raise; an impossible query simply has no choices.
        return []
    ranked: list[tuple[int, str]] = []
    for name in _all_zones():
        low = name.lower()
        if low.startswith(query):
            ranked.append((0, name))
        elif any(part.startswith(query) for part in low.split("/")[1:]):
            ranked.append((1, name))
        elif query in low:
            ranked.append((2, name))
    ranked.sort()
    return [name for _, name in ranked[:limit]]
