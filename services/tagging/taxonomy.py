"""The pain-point taxonomy: its dataclasses, and loading and validating it from TOML.

The taxonomy is data an operator edits (config/pain_points.toml), so every problem in it is
a ``ValueError`` naming the file, table and key. Kept apart from services.tagging.tagger, which only
scores text against an already valid ``Taxonomy``; the few rules both sides must agree on
(tag names, phrase length, how a phrase becomes the stems it matches) live here.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services import text as textmod

__all__ = [
    "DEFAULT_TAXONOMY_PATH",
    "MAX_PHRASE_WORDS",
    "TAG_NAME_RE",
    "PatternSpec",
    "TagSpec",
    "Taxonomy",
    "load_taxonomy",
    "parse_taxonomy",
    "phrase_key",
]

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parents[2] / "config" / "pain_points.toml"

# Custom tags (services.tagging.tagger) obey these too, so a guild's tags look like built-in ones.
MAX_PHRASE_WORDS = 8
TAG_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


@dataclass(frozen=True, slots=True)
class PatternSpec:
    regex: str
    weight: float
    prefilter: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TagSpec:
    name: str
    description: str
    phrases: tuple[tuple[str, float], ...]
    patterns: tuple[PatternSpec, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    tags: tuple[TagSpec, ...]
    threshold: float = 0.5
    saturation: float = 1.0
    negation_window: int = 3
    code_weight: float = 0.5

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tags)

    def get(self, name: str) -> TagSpec | None:
        for spec in self.tags:
            if spec.name == name:
                return spec
        return None


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Read and validate a taxonomy TOML file; ``ValueError`` says what is wrong and where."""
    path = DEFAULT_TAXONOMY_PATH if path is None else Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    return parse_taxonomy(data, source=str(path))


def parse_taxonomy(data: Mapping[str, Any], *, source: str = "taxonomy") -> Taxonomy:
    """Validate an already-parsed taxonomy mapping (the TOML document as a dict)."""
    _only_keys(data, {"scoring", "tags"}, source)
    scoring = data.get("scoring", {})
    if not isinstance(scoring, Mapping):
        raise ValueError(f"{source}: [scoring] must be a table")
    where = f"{source}: [scoring]"
    _only_keys(scoring, {"threshold", "saturation", "negation_window", "code_weight"}, where)
    threshold = _number(scoring.get("threshold", 0.5), f"{where} threshold", 0.0, 1.0)
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"{where} threshold must be between 0 and 1 exclusive")
    saturation = _number(scoring.get("saturation", 1.0), f"{where} saturation", 0.01, 100.0)
    window = scoring.get("negation_window", 3)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= 10:
        raise ValueError(f"{where} negation_window must be an integer from 0 to 10")
    code_weight = _number(scoring.get("code_weight", 0.5), f"{where} code_weight", 0.0, 1.0)

    tags_table = data.get("tags")
    if not isinstance(tags_table, Mapping) or not tags_table:
        raise ValueError(f"{source}: needs at least one [tags.<name>] table")
    specs = tuple(_parse_tag(name, body, source) for name, body in tags_table.items())
    return Taxonomy(
        tags=specs,
        threshold=threshold,
        saturation=saturation,
        negation_window=window,
        code_weight=code_weight,
    )


def _parse_tag(name: object, body: object, source: str) -> TagSpec:
    where = f"{source}: [tags.{name}]"
    if not isinstance(name, str) or not TAG_NAME_RE.match(name):
        raise ValueError(f"{where}: tag names must be lower-case letters, digits and dashes")
    if not isinstance(body, Mapping):
        raise ValueError(f"{where}: must be a table")
    _only_keys(body, {"description", "phrases", "patterns"}, where)
    for key in ("description", "phrases", "patterns"):
        if key not in body:
            raise ValueError(f"{where}: missing '{key}'")

    description = body["description"]
    if not isinstance(description, str) or not description.strip():
        raise ValueError(f"{where}: 'description' must be a non-empty string")

    raw_phrases = body["phrases"]
    if not isinstance(raw_phrases, Mapping) or not raw_phrases:
        raise ValueError(f"{where}: 'phrases' must be a non-empty table of phrase = weight")
    phrases: list[tuple[str, float]] = []
    seen: dict[tuple[str, ...], str] = {}
    for phrase, weight in raw_phrases.items():
        w = _number(weight, f"{where} phrase {phrase!r}", -5.0, 5.0)
        if w == 0:
            raise ValueError(f"{where}: phrase {phrase!r} has weight 0; remove it instead")
        key = phrase_key(phrase)
        if not key:
            raise ValueError(f"{where}: phrase {phrase!r} contains no words")
        if len(key) > MAX_PHRASE_WORDS:
            raise ValueError(f"{where}: phrase {phrase!r} is longer than {MAX_PHRASE_WORDS} words")
        if key in seen:
            raise ValueError(
                f"{where}: phrase {phrase!r} matches the same words as {seen[key]!r}; keep one"
            )
        seen[key] = phrase
        phrases.append((phrase, w))

    raw_patterns = body["patterns"]
    if not isinstance(raw_patterns, list) or not raw_patterns:
        raise ValueError(f"{where}: 'patterns' must be a non-empty list of {{ regex, weight }}")
    patterns = tuple(_parse_pattern(i, p, where) for i, p in enumerate(raw_patterns))
    return TagSpec(name, description.strip(), tuple(phrases), patterns)


def _parse_pattern(index: int, raw: object, where: str) -> PatternSpec:
    here = f"{where} pattern #{index + 1}"
    if not isinstance(raw, Mapping):
        raise ValueError(f"{here}: must be a table like {{ regex = '...', weight = 1.0 }}")
    _only_keys(raw, {"regex", "weight", "prefilter"}, here)
    regex = raw.get("regex")
    if not isinstance(regex, str) or not regex:
        raise ValueError(f"{here}: 'regex' must be a non-empty string")
    try:
        re.compile(regex)
    except re.error as exc:
        raise ValueError(f"{here}: invalid regex {regex!r}: {exc}") from exc
    weight = _number(raw.get("weight"), f"{here} weight", -5.0, 5.0)
    prefilter = raw.get("prefilter", [])
    if not isinstance(prefilter, list) or not all(isinstance(p, str) and p for p in prefilter):
        raise ValueError(f"{here}: 'prefilter' must be a list of non-empty strings")
    return PatternSpec(regex, weight, tuple(p.lower() for p in prefilter))


def _only_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        noun = "key" if len(unknown) == 1 else "keys"
        raise ValueError(f"{where}: unknown {noun} {', '.join(unknown)}")


def _number(value: object, where: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{where}: must be a number")
    if not lo <= value <= hi or math.isnan(value):
        raise ValueError(f"{where}: must be between {lo} and {hi}")
    return float(value)


def phrase_key(phrase: str) -> tuple[str, ...]:
    """The stems a phrase matches on; phrases with equal keys are the same phrase to a Tagger."""
    return tuple(textmod.stems(textmod.tokenize(phrase)))
