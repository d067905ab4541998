"""How well capture's "similar items" find real duplicates, through `python bot.py similar`.

    python tools/eval_similar.py
    python tools/eval_similar.py --embeddings wordllama   # needs wordllama installed

The corpus is every original issue of tests/data/real/dupes.jsonl (indexed as open items of one
guild through the capture itself); the queries are each duplicate, which should be offered its
original, and every distractor (another issue of the same repositories), which should be
offered nothing.

Several pairs share one original, so the corpus holds that original's text once per pair, and
three identical copies can fill the offer. "recall" counts a pair found only when its own row is
offered (the first measure, kept so figures compare across sessions); "recall_by_source" counts
it found when any row of the same original issue is offered, which is what a capture would show.

With --embeddings wordllama the corpus is ranked instead by the cosine similarity of WordLlama
embeddings (best 3), offering only those at or above a threshold. The pairs are split by product
into two halves with a fixed seed; the threshold is picked on half A alone (the highest recall by
source that keeps at least 70% of half A's distractors offered nothing) and both halves are
reported, with today's suggester on the same halves. Nothing of this is wired into the bot.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "real"
QUIET_FLOOR = 0.70
OFFER = 3
SEED = 13


def read(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def offered(corpus: list[dict], queries: list[str]) -> list[list[str]]:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for row in corpus:
            f.write(json.dumps(row) + "\n")
        path = f.name
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "bot.py"), "similar", path],
            input="".join(q.replace("\n", " ") + "\n" for q in queries),
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "HALLWAY_LOG_LEVEL": "WARNING"},
        )
    finally:
        Path(path).unlink()
    return [json.loads(line)["similar"] for line in done.stdout.splitlines() if line.strip()]


def score(
    pairs: Sequence[dict],
    dup_answers: Sequence[Sequence[str]],
    distractor_answers: Sequence[Sequence[str]],
    source_of: dict[str, str],
) -> dict:
    """The figures for one set of answers: each pair's answer is the ids offered for its dup."""
    found = sum(p["id"] in got for p, got in zip(pairs, dup_answers, strict=True))
    by_source = sum(
        any(source_of[i] == p["orig_source"] for i in got)
        for p, got in zip(pairs, dup_answers, strict=True)
    )
    top1 = sum(list(got[:1]) == [p["id"]] for p, got in zip(pairs, dup_answers, strict=True))
    quiet = sum(not got for got in distractor_answers)
    n, d = max(len(pairs), 1), max(len(distractor_answers), 1)
    return {
        "pairs": len(pairs),
        "original_offered": found,
        "recall": round(found / n, 3),
        "original_offered_by_source": by_source,
        "recall_by_source": round(by_source / n, 3),
        "original_first": top1,
        "distractors": len(distractor_answers),
        "distractors_offered_nothing": quiet,
        "quiet_rate": round(quiet / d, 3),
    }


def split_halves(pairs: Sequence[dict], seed: int = SEED) -> set[str]:
    """Half A's products: shuffled with a fixed seed, taken until they hold half the pairs, so
    no product (and none of its distractors) is in both halves."""
    per_product: dict[str, int] = {}
    for p in pairs:
        per_product[p["product"]] = per_product.get(p["product"], 0) + 1
    products = sorted(per_product)
    random.Random(seed).shuffle(products)
    half_a: set[str] = set()
    taken = 0
    for product in products:
        if taken >= len(pairs) / 2:
            break
        half_a.add(product)
        taken += per_product[product]
    return half_a


def offers_at(ranked: Sequence[Sequence[tuple[str, float]]], threshold: float) -> list[list[str]]:
    """What is offered for each query: its best rows (already cut to OFFER) at or above
    the threshold."""
    return [[i for i, s in row if s >= threshold] for row in ranked]


def pick_threshold(
    pairs: Sequence[dict],
    dup_ranked: Sequence[Sequence[tuple[str, float]]],
    distractor_ranked: Sequence[Sequence[tuple[str, float]]],
    source_of: dict[str, str],
    quiet_floor: float = QUIET_FLOOR,
) -> float:
    """The threshold with the highest recall by source among those that keep at least
    quiet_floor of the distractors offered nothing; of equal recalls, the highest threshold
    (the quietest). Only scores that occur can change an answer, so only they are tried."""
    candidates = sorted({s for row in (*dup_ranked, *distractor_ranked) for _, s in row})
    best: tuple[float, float] | None = None
    for t in [*candidates, float("inf")]:
        got = score(
            pairs,
            offers_at(dup_ranked, t),
            offers_at(distractor_ranked, t),
            source_of,
        )
        if got["quiet_rate"] < quiet_floor:
            continue
        key = (got["recall_by_source"], t)
        if best is None or key >= best:
            best = key
    assert best is not None  # infinity offers nothing, so it always keeps every query quiet
    return best[1]


def rank(similarities, ids: Sequence[str]) -> list[list[tuple[str, float]]]:
    """Each query's best OFFER rows, best first; equal scores keep corpus order."""
    import numpy as np

    out = []
    for row in similarities:
        best = np.argsort(-row, kind="stable")[:OFFER]
        out.append([(ids[j], float(row[j])) for j in best])
    return out


def vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def one_core() -> int:
    """Pin this process (and the BLAS/tokenizer pools it is about to start) to one CPU, so the
    speed is a one-core figure whatever else the machine runs."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[var] = "1"
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def evaluate_wordllama(pairs: list[dict], distractors: list[dict], passes: int) -> dict:
    corpus = [{"id": p["id"], "text": p["orig_text"]} for p in pairs]
    source_of = {p["id"]: p["orig_source"] for p in pairs}
    half_a = split_halves(pairs)
    # Today's suggester first, in a child process, before this one is pinned to one core.
    answers = offered(corpus, [p["dup_text"] for p in pairs] + [d["text"] for d in distractors])
    today_dup, today_dis = answers[: len(pairs)], answers[len(pairs) :]

    cpu = one_core()
    rss_before = vm_kib("VmRSS")
    import numpy as np
    import wordllama
    from wordllama import WordLlama

    # The wheel holds weights and tokenizer; cache_dir at the package stops the loader looking
    # elsewhere, and disable_download makes a missing file an error rather than a fetch.
    model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
    rss_loaded = vm_kib("VmRSS")

    queries = [p["dup_text"] for p in pairs] + [d["text"] for d in distractors]
    texts = [row["text"] for row in corpus] + queries
    model.embed(texts[:8], norm=True)  # warm-up
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        vectors = model.embed(texts, norm=True)
        times.append(time.perf_counter() - start)
    rss_embedded = vm_kib("VmRSS")
    corpus_vectors = np.asarray(vectors[: len(corpus)], dtype=np.float64)
    query_vectors = np.asarray(vectors[len(corpus) :], dtype=np.float64)
    ranked = rank(query_vectors @ corpus_vectors.T, [row["id"] for row in corpus])
    dup_ranked, dis_ranked = ranked[: len(pairs)], ranked[len(pairs) :]

    def half(rows: Sequence[dict], in_a: bool) -> list[int]:
        return [k for k, r in enumerate(rows) if (r["product"] in half_a) == in_a]

    halves = {
        name: (half(pairs, in_a), half(distractors, in_a))
        for name, in_a in (("A", True), ("B", False))
    }

    def pick(name: str) -> float:
        ps, ds = halves[name]
        return pick_threshold(
            [pairs[k] for k in ps],
            [dup_ranked[k] for k in ps],
            [dis_ranked[k] for k in ds],
            source_of,
        )

    threshold = pick("A")
    report: dict = {
        "model": f"wordllama {getattr(wordllama, '__version__', '?')} l2_supercat 256",
        "split": {
            "seed": SEED,
            "half_A_products": sorted(half_a),
            "threshold_picked_on": "A",
            "rule": f"max recall_by_source with quiet_rate >= {QUIET_FLOOR}",
        },
        "threshold": round(threshold, 4),
    }
    for name, (ps, ds) in halves.items():
        sub = [pairs[k] for k in ps]
        report[f"half_{name}"] = {
            "wordllama": score(
                sub,
                offers_at([dup_ranked[k] for k in ps], threshold),
                offers_at([dis_ranked[k] for k in ds], threshold),
                source_of,
            ),
            "wordllama_top3_no_threshold": score(
                sub,
                offers_at([dup_ranked[k] for k in ps], float("-inf")),
                offers_at([dis_ranked[k] for k in ds], float("-inf")),
                source_of,
            ),
            "today": score(sub, [today_dup[k] for k in ps], [today_dis[k] for k in ds], source_of),
        }
    # The other way round, as a check on how much the threshold depends on the half.
    swapped = pick("B")
    ps, ds = halves["A"]
    report["swapped"] = {
        "threshold_picked_on_B": round(swapped, 4),
        "half_A_at_that_threshold": score(
            [pairs[k] for k in ps],
            offers_at([dup_ranked[k] for k in ps], swapped),
            offers_at([dis_ranked[k] for k in ds], swapped),
            source_of,
        ),
    }
    report["all_pairs_at_threshold"] = score(
        pairs, offers_at(dup_ranked, threshold), offers_at(dis_ranked, threshold), source_of
    )
    report["speed"] = {
        "cpu": cpu,
        "texts": len(texts),
        "passes": passes,
        "texts_per_s_median": round(len(texts) / statistics.median(times)),
        "mean_words": round(sum(len(t.split()) for t in texts) / len(texts), 1),
    }
    report["memory_kib"] = {
        "vmrss_before_import": rss_before,
        "vmrss_after_import_and_load": rss_loaded,
        "added_by_import_and_load": rss_loaded - rss_before,
        "vmrss_after_embedding": rss_embedded,
    }
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--embeddings",
        choices=["wordllama"],
        help="rank by embedding cosine similarity instead of (and beside) today's suggester",
    )
    parser.add_argument("--passes", type=int, default=5, help="timed embedding passes")
    args = parser.parse_args(argv)
    pairs = read("dupes.jsonl")
    distractors = read("distractors.jsonl")
    if args.embeddings == "wordllama":
        print(json.dumps(evaluate_wordllama(pairs, distractors, args.passes), indent=1))
        return 0
    corpus = [{"id": p["id"], "text": p["orig_text"]} for p in pairs]
    answers = offered(corpus, [p["dup_text"] for p in pairs] + [d["text"] for d in distractors])
    source_of = {p["id"]: p["orig_source"] for p in pairs}
    result = score(pairs, answers[: len(pairs)], answers[len(pairs) :], source_of)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
