"""Precision, recall and F1 of a tagger on labelled text, per tag and macro/micro averaged.

Used by tools/eval_tagger.py (the README's figures) and by the floor test on the test split.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from services.tagging.tagger import Tagger


@dataclass(frozen=True)
class TagFigures:
    tag: str
    support: int
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class Evaluation:
    per_tag: tuple[TagFigures, ...]
    macro_f1: float
    micro_f1: float
    passages: int


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def evaluate(tagger: Tagger, rows: Iterable[Mapping], tags: Sequence[str]) -> Evaluation:
    """Score ``tagger`` on rows of ``{"text", "tags"}``, over the taxonomy's ``tags`` only."""
    counts = {t: [0, 0, 0] for t in tags}  # tp, fp, fn
    n = 0
    wanted = set(tags)
    for row in rows:
        n += 1
        gold = set(row["tags"]) & wanted
        pred = set(tagger.tag(row["text"]).tags) & wanted
        for t in pred & gold:
            counts[t][0] += 1
        for t in pred - gold:
            counts[t][1] += 1
        for t in gold - pred:
            counts[t][2] += 1
    per_tag = []
    for t in tags:
        tp, fp, fn = counts[t]
        p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        per_tag.append(TagFigures(t, tp + fn, p, r, _ratio(2 * tp, 2 * tp + fp + fn)))
    tp = sum(c[0] for c in counts.values())
    fp = sum(c[1] for c in counts.values())
    fn = sum(c[2] for c in counts.values())
    macro = sum(f.f1 for f in per_tag) / len(per_tag)
    return Evaluation(tuple(per_tag), macro, _ratio(2 * tp, 2 * tp + fp + fn), n)
