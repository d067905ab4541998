"""Counts in replies with the right noun: "1 question", "2 questions"."""

from __future__ import annotations


def plural(count: int, singular: str, many: str | None = None) -> str:
    """``count`` and the noun that fits it; ``many`` for irregular plurals ("person", "people")."""
    noun = singular if count == 1 else (many or f"{singular}s")
    return f"{count} {noun}"
