"""How well capture's "similar items" find real duplicates, through `python bot.py similar`.

    python tools/eval_similar.py

The corpus is every original issue of tests/data/real/dupes.jsonl (indexed as open items of one
guild through the capture itself); the queries are each duplicate, which should be offered its
original, and every distractor (another issue of the same repositories), which should be
offered nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "real"


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


def main() -> int:
    pairs = read("dupes.jsonl")
    distractors = read("distractors.jsonl")
    corpus = [{"id": p["id"], "text": p["orig_text"]} for p in pairs]
    answers = offered(corpus, [p["dup_text"] for p in pairs] + [d["text"] for d in distractors])
    dup_answers, distractor_answers = answers[: len(pairs)], answers[len(pairs) :]
    found = sum(p["id"] in got for p, got in zip(pairs, dup_answers, strict=True))
    top1 = sum(got[:1] == [p["id"]] for p, got in zip(pairs, dup_answers, strict=True))
    quiet = sum(not got for got in distractor_answers)
    print(
        json.dumps(
            {
                "pairs": len(pairs),
                "original_offered": found,
                "recall": round(found / len(pairs), 3),
                "original_first": top1,
                "distractors": len(distractors),
                "distractors_offered_nothing": quiet,
                "quiet_rate": round(quiet / len(distractors), 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
