"""Counts and validity checks for the real data in tests/data/real/ (the README's "Counts" block).

    python tools/check_real_data.py

Prints the counts, one TARGET line per goal of issue 13, then either ALL VALIDITY CHECKS PASSED
or each failed check (and exits 1). The script that first printed this block was never committed;
this one was written to print the same figures from the same files, and was checked against the
block as it stood (106 pairs) before any row was added.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "real"
TAGS = (
    "ai",
    "api-sdk",
    "auth",
    "docs",
    "errors",
    "feature-request",
    "integrations",
    "onboarding",
    "performance",
    "pricing",
    "tooling",
)
SPLITS = ("train", "dev", "test")
TARGETS = {"labelled": 900, "weak": 2000, "dupes": 120, "distractors": 200}
GITHUB = re.compile(r"^https://github\.com/([^/]+/[^/]+)/(?:issues|pull)/\d+")


def read(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def words(text: str) -> int:
    return len(text.split())


def repo_of(url: str) -> str | None:
    m = GITHUB.match(url)
    return m.group(1) if m else None


def main() -> int:
    split_rows = {s: read(f"labelled_{s}.jsonl") for s in SPLITS}
    labelled = [r for s in SPLITS for r in split_rows[s]]
    weak = read("weak.jsonl")
    dupes = read("dupes.jsonl")
    distractors = read("distractors.jsonl")
    problems: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    # Labelled and weak passages.
    for name, rows in (("labelled", labelled), ("weak", weak)):
        ids = Counter(r["id"] for r in rows)
        check(all(n == 1 for n in ids.values()), f"{name}: duplicate ids")
        for r in rows:
            check(8 <= words(r["text"]) <= 60, f"{name} {r['id']}: {words(r['text'])} words")
            check(set(r["tags"]) <= set(TAGS), f"{name} {r['id']}: unknown tag")
            check(len(r["tags"]) <= 3, f"{name} {r['id']}: more than 3 tags")
    per_product = Counter(r["product"] for r in labelled)
    check(max(per_product.values()) <= 4, "labelled: a product has more than 4 passages")
    split_products = {s: {r["product"] for r in split_rows[s]} for s in SPLITS}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1 :]:
            check(not split_products[a] & split_products[b], f"product in both {a} and {b}")
    held_out = split_products["dev"] | split_products["test"]
    check(not {r["product"] for r in weak} & held_out, "weak: product in dev or test")

    # Duplicate pairs and distractors.
    pair_fields = ("id", "product", "dup_text", "dup_source", "orig_text", "orig_source")
    check(len({p["id"] for p in dupes}) == len(dupes), "dupes: duplicate ids")
    check(len({p["dup_source"] for p in dupes}) == len(dupes), "dupes: a dup issue used twice")
    for p in dupes:
        check(all(p.get(f) for f in pair_fields), f"dupes {p.get('id')}: missing field")
        check(p["dup_source"] != p["orig_source"], f"dupes {p['id']}: dup is its own original")
        for field in ("dup_source", "orig_source"):
            repo = repo_of(p[field])
            check(repo is None or repo == p["product"], f"dupes {p['id']}: {field} not in product")
    dupe_products = {p["product"] for p in dupes}
    used = {p["dup_source"] for p in dupes} | {p["orig_source"] for p in dupes}
    check(len({d["id"] for d in distractors}) == len(distractors), "distractors: duplicate ids")
    check(len({d["source"] for d in distractors}) == len(distractors), "distractors: repeated")
    for d in distractors:
        check(d["product"] in dupe_products, f"distractors {d['id']}: not a dupes product")
        check(d["source"] not in used, f"distractors {d['id']}: is one of the pairs' issues")
        repo = repo_of(d["source"])
        check(repo is None or repo == d["product"], f"distractors {d['id']}: source not in product")
    # Reported, not failed: the 106-pair set already had products with no distractor.
    without = sorted(dupe_products - {d["product"] for d in distractors})

    zero = sum(not r["tags"] for r in labelled)
    print(f"labelled {len(labelled)} products {len(per_product)} zero-tag {zero}")
    print(f"weak {len(weak)} weak products {len({r['product'] for r in weak})}")
    print(f"dupes {len(dupes)} dupe products {len(dupe_products)} distractors {len(distractors)}")
    print(f"dupe products without a distractor {len(without)}: {' '.join(without) or '-'}")
    print(f"{'tag':<16}{'train':>8}{'dev':>8}{'test':>8}{'all':>8}{'weak':>8}")
    for tag in (*TAGS, None):
        label = tag or "(none)"
        counts = [
            sum((tag in r["tags"]) if tag else not r["tags"] for r in split_rows[s]) for s in SPLITS
        ]
        in_weak = sum((tag in r["tags"]) if tag else not r["tags"] for r in weak)
        row = "".join(f"{n:>8}" for n in (*counts, sum(counts), in_weak))
        print(f"{label:<16}{row}")
    for s in SPLITS:
        print(f"{s} passages {len(split_rows[s])} products {len(split_products[s])}")
    sizes = {
        "labelled": len(labelled),
        "weak": len(weak),
        "dupes": len(dupes),
        "distractors": len(distractors),
    }
    for name, target in TARGETS.items():
        print(f"TARGET {name}>={target} {'OK' if sizes[name] >= target else 'SHORT'}")
    if problems:
        for p in sorted(set(problems)):
            print("FAILED:", p)
        return 1
    print("ALL VALIDITY CHECKS PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
