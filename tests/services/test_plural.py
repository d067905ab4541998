from __future__ import annotations

import re
from pathlib import Path

from services.plural import plural

ROOT = Path(__file__).resolve().parents[2]
# "question(s)", not a call such as len(s) or the word http(s).
BRACKETED = re.compile(r"\b(?!len\b|https?\b)[a-z]+\(s\)")


def test_plural_picks_the_noun_for_the_count() -> None:
    assert plural(0, "question") == "0 questions"
    assert plural(1, "question") == "1 question"
    assert plural(2, "hour") == "2 hours"
    assert plural(1, "person", "people") == "1 person"
    assert plural(3, "person", "people") == "3 people"


def test_no_reply_says_s_in_brackets() -> None:
    # "question(s)" reads as a template; replies use plural() instead.
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("cogs", "services")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if BRACKETED.search(line)
    ]
    assert found == []
