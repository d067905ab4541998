"""2. Tagger throughput: messages a second through the pain-point tagger, one core.

Measured on the real, held-out test passages (tests/data/real/labelled_test.jsonl), after
warming the tagger on the train passages; the figure is the median of the passes.
"""

from __future__ import annotations

import json
import statistics

from bench.common import ROOT, Result, now_ns
from services import text as textmod
from services.tagging.tagger import Tagger
from services.tagging.taxonomy import load_taxonomy

TARGET_PER_S = 20_000
REAL = ROOT / "tests" / "data" / "real"


def _passages(name: str) -> list[str]:
    with (REAL / name).open(encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def _rates(fn, texts: list[str], repeats: int) -> list[float]:
    rates = []
    for _ in range(repeats):
        start = now_ns()
        for text in texts:
            fn(text)
        rates.append(len(texts) / ((now_ns() - start) / 1e9))
    return rates


def run(quick: bool) -> Result:
    count = 2_000 if quick else 10_000
    repeats = 3 if quick else 5
    test = _passages("labelled_test.jsonl")
    texts = (test * (count // len(test) + 1))[:count]
    taxonomy = load_taxonomy()
    # A bot's tagger has already seen traffic: warm it on other passages, not these.
    tagger = Tagger(taxonomy)
    for text in _passages("labelled_train.jsonl"):
        tagger.tag(text)
    rules = Tagger(taxonomy, model=None)
    for text in _passages("labelled_train.jsonl"):
        rules.tag(text)

    rates = _rates(tagger.tag, texts, repeats)
    rate = statistics.median(rates)
    rules_rate = statistics.median(_rates(rules.tag, texts, repeats))
    # Baseline: only normalising and splitting into words, the floor under any tagger.
    floor = statistics.median(_rates(textmod.tokenize, texts, repeats))
    tagged = sum(1 for t in test if tagger.tag(t).tags)
    return Result(
        key="tagger",
        name="Tagger throughput (real passages)",
        value=round(rate),
        unit="msg/s",
        baseline=round(floor),
        baseline_name="tokenize only (normalise + split)",
        ratio=round(rate / floor, 3),
        ratio_name="tagger / tokenize",
        target=f">= {TARGET_PER_S:,} msg/s",
        met=rate >= TARGET_PER_S,
        rank_by="value",
        details={
            "passages": len(test),
            "messages": count,
            "passes": repeats,
            "min_per_s": round(min(rates)),
            "max_per_s": round(max(rates)),
            "rules_alone_per_s": round(rules_rate),
            "share_with_a_tag": round(tagged / len(test), 3),
            "mean_words": round(sum(len(t.split()) for t in test) / len(test), 1),
        },
    )
