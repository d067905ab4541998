"""Per-tag precision, recall and F1 of today's rules and of the learned tagger on a split.

python tools/eval_tagger.py test       # the held-out test split (score it once)
python tools/eval_tagger.py dev
python tools/eval_tagger.py regression # tests/data/feedback_dev.jsonl, text written for it
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.tagging.evaluate import Evaluation, evaluate  # noqa: E402
from services.tagging.tagger import Tagger  # noqa: E402
from services.tagging.taxonomy import load_taxonomy  # noqa: E402

FILES = {
    "train": ROOT / "tests/data/real/labelled_train.jsonl",
    "dev": ROOT / "tests/data/real/labelled_dev.jsonl",
    "test": ROOT / "tests/data/real/labelled_test.jsonl",
    "regression": ROOT / "tests/data/feedback_dev.jsonl",
}


def table(rules: Evaluation, learned: Evaluation) -> str:
    lines = [
        "| tag | support | rules P / R / F1 | learned P / R / F1 |",
        "|---|---|---|---|",
    ]
    for a, b in zip(rules.per_tag, learned.per_tag, strict=True):
        lines.append(
            f"| {a.tag} | {a.support} | {a.precision:.2f} / {a.recall:.2f} / {a.f1:.2f} "
            f"| {b.precision:.2f} / {b.recall:.2f} / {b.f1:.2f} |"
        )
    lines.append(
        f"| **macro-F1** | {rules.passages} passages "
        f"| {rules.macro_f1:.3f} | {learned.macro_f1:.3f} |"
    )
    lines.append(f"| **micro-F1** | | {rules.micro_f1:.3f} | {learned.micro_f1:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split", choices=sorted(FILES))
    args = parser.parse_args(argv)
    with FILES[args.split].open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    taxonomy = load_taxonomy()
    tags = list(taxonomy.names)
    rules = evaluate(Tagger(taxonomy, model=None), rows, tags)
    learned = evaluate(Tagger(taxonomy), rows, tags)
    print(table(rules, learned))
    return 0


if __name__ == "__main__":
    sys.exit(main())
