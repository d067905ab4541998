"""What a survey or poll may hold, checked with messages that say how to fix the input."""

from __future__ import annotations

import re
from datetime import timedelta

from services.errors import InvalidInput
from services.text import is_blank, strip_invisible

KINDS = ("nps", "csat", "scale", "choice", "text")
MAX_QUESTIONS = 10
MAX_OPTIONS = 10
MIN_POLL_OPTIONS = 2
MAX_TITLE = 100
MAX_PROMPT = 300
MAX_OPTION = 55  # Discord's poll answers and select labels both fit this
MAX_POLL_QUESTION = 300
MAX_TEXT_ANSWER = 1000
MIN_POLL_HOURS = 1
MAX_POLL_HOURS = 32 * 24

_DURATION = re.compile(r"^\s*(\d+)\s*(h|hr|hrs|hour|hours|d|day|days|w|week|weeks)?\s*$")


def _echo(text: str) -> str:
    shown = text.replace("`", "'")
    return shown if len(shown) <= 40 else shown[:39] + "…"


def clean_line(text: str, what: str, limit: int) -> str:
    cleaned = " ".join(strip_invisible(text).split())
    if is_blank(cleaned):
        raise InvalidInput(f"The {what} is empty. Type a few words.")
    if len(cleaned) > limit:
        raise InvalidInput(f"The {what} is {len(cleaned)} characters; keep it to {limit}.")
    return cleaned


def parse_options(raw: str | None, *, minimum: int, what: str = "options") -> list[str]:
    """'Yes, No, Maybe' -> ['Yes', 'No', 'Maybe'], refusing empty, repeated or too many."""
    if raw is None or is_blank(raw):
        raise InvalidInput(
            f"Give the {what} separated by commas, e.g. `Docs, SDK, CLI` "
            f"({minimum} to {MAX_OPTIONS})."
        )
    parts = [" ".join(strip_invisible(p).split()) for p in raw.split(",")]
    if any(not p for p in parts):
        raise InvalidInput(
            f"One of the {what} is empty (two commas in a row, or a comma at the end). "
            "Remove it and try again."
        )
    if len(parts) > MAX_OPTIONS:
        raise InvalidInput(f"That's {len(parts)} {what}; the most is {MAX_OPTIONS}.")
    if len(parts) < minimum:
        raise InvalidInput(f"Give at least {minimum} {what}, separated by commas.")
    for part in parts:
        if len(part) > MAX_OPTION:
            raise InvalidInput(
                f"`{_echo(part)}` is {len(part)} characters; keep each option to {MAX_OPTION}."
            )
    lowered = [p.casefold() for p in parts]
    if len(set(lowered)) != len(lowered):
        raise InvalidInput("Two of the options are the same. Make each one different.")
    return parts


def parse_duration(raw: str) -> timedelta:
    """'24h', '3 days', '2w', '6' (hours) -> a whole number of hours, 1 hour to 32 days."""
    match = _DURATION.match(raw.lower())
    if not match:
        raise InvalidInput(
            f"`{_echo(raw)}` isn't a duration. Use hours or days, e.g. `4h`, `2 days` or `1w`."
        )
    amount, unit = int(match.group(1)), (match.group(2) or "h")[0]
    hours = amount * {"h": 1, "d": 24, "w": 24 * 7}[unit]
    if not MIN_POLL_HOURS <= hours <= MAX_POLL_HOURS:
        raise InvalidInput("A poll runs from 1 hour to 32 days. Pick a duration in that range.")
    return timedelta(hours=hours)


def check_text_answer(text: str) -> str:
    cleaned = strip_invisible(text).strip()
    if len(cleaned) > MAX_TEXT_ANSWER:
        raise InvalidInput(
            f"Your answer is {len(cleaned)} characters; the limit is {MAX_TEXT_ANSWER}."
        )
    return cleaned
