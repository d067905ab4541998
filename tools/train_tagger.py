"""Rebuild config/tagger_model.json from the real, labelled developer text in tests/data/real/.

    pip install -e '.[train]'
    python tools/train_tagger.py            # writes config/tagger_model.json (byte for byte)
    python tools/train_tagger.py --report   # also prints dev figures for each feature family

One-vs-rest logistic regression (scikit-learn, liblinear, fixed seed) over the features of
services/tagging/model.py: words, word pairs, denied words and the rules' evidence. The
hand-labelled train split and the weakly labelled issues (maintainers' own labels mapped onto the
tags) are fitted; C, the weak rows' weight and each tag's threshold are chosen on the dev split.
The test split is never read here: tools/eval_tagger.py scores it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.tagging.model import DEFAULT_MODEL_PATH, LinearModel, features  # noqa: E402
from services.tagging.tagger import Tagger  # noqa: E402
from services.tagging.taxonomy import load_taxonomy  # noqa: E402

DATA = ROOT / "tests" / "data" / "real"
SEED = 13
C_GRID = (0.25, 0.35, 0.5, 0.7, 1.0, 2.0, 4.0, 8.0)
WEAK_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
# L1 keeps a few hundred features with one or two tags each, which the bot scores in a few
# microseconds; see the README for what L2 would add on dev and cost in speed.
PENALTY = "l1"
THRESHOLDS = tuple(round(0.1 + 0.025 * i, 3) for i in range(33))  # 0.1 .. 0.9
# Weights smaller than this change no decision; dropping them keeps the file small.
PRUNE = 1e-3


def read(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def featurise(rows: list[dict], rules: Tagger) -> list[dict[str, float]]:
    n = len(rules.taxonomy.names)
    out = []
    for row in rows:
        _, raw, evidence = rules.evidence(row["text"])
        out.append(features(raw, evidence[:n]))
    return out


def f1(tp: int, fp: int, fn: int) -> float:
    return 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)


def best_threshold(probs, gold) -> tuple[float, float]:
    best = (0.5, -1.0)
    for t in THRESHOLDS:
        pred = probs >= t
        tp = int((pred & gold).sum())
        fp = int((pred & ~gold).sum())
        fn = int((~pred & gold).sum())
        score = f1(tp, fp, fn)
        if score > best[1] + 1e-9:
            best = (t, score)
    return best


def fit(x, y, weights, c: float, penalty: str):
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = x.tocsr()
    # liblinear takes 32-bit indices only; a slice of a matrix can come back with 64-bit ones.
    x.indices = x.indices.astype(np.int32)
    x.indptr = x.indptr.astype(np.int32)
    models = []
    for j in range(y.shape[1]):
        clf = LogisticRegression(
            C=c, penalty=penalty, solver="liblinear", random_state=SEED, max_iter=1000
        )
        clf.fit(x, y[:, j], sample_weight=weights)
        models.append(clf)
    return models


def train(
    report: bool = False, family: str = "all", penalty: str = PENALTY
) -> tuple[LinearModel, dict]:
    import numpy as np
    from sklearn.feature_extraction import DictVectorizer

    taxonomy = load_taxonomy()
    tags = list(taxonomy.names)
    rules = Tagger(taxonomy, model=None)
    hand = read("labelled_train.jsonl")
    weak = read("weak.jsonl")
    dev = read("labelled_dev.jsonl")

    def keep(feats: dict[str, float]) -> dict[str, float]:
        if family == "words":
            return {k: v for k, v in feats.items() if not k.startswith("r")}
        if family == "rules":
            return {k: v for k, v in feats.items() if k.startswith("r")}
        return feats

    fx = [keep(f) for f in featurise(hand + weak, rules)]
    dx = [keep(f) for f in featurise(dev, rules)]
    vec = DictVectorizer(sort=True)
    x = vec.fit_transform(fx)
    xd = vec.transform(dx)

    def labels(rows):
        return np.array([[t in r["tags"] for t in tags] for r in rows], dtype=bool)

    y = labels(hand + weak)
    yd = labels(dev)
    best = None
    for c in C_GRID:
        for ww in WEAK_WEIGHTS:
            weights = np.array([1.0] * len(hand) + [ww] * len(weak))
            if ww == 0.0:
                rows = slice(0, len(hand))
                models = fit(x[rows], y[rows], weights[rows], c, penalty)
            else:
                models = fit(x, y, weights, c, penalty)
            probs = np.column_stack([m.predict_proba(xd)[:, 1] for m in models])
            picked = [best_threshold(probs[:, j], yd[:, j]) for j in range(len(tags))]
            macro = sum(s for _, s in picked) / len(tags)
            if report:
                print(f"  C={c:<5} weak={ww:<5} dev macro-F1 {macro:.3f}", file=sys.stderr)
            if best is None or macro > best[0] + 1e-9:
                best = (macro, c, ww, models, [t for t, _ in picked])
    assert best is not None
    macro, c, ww, models, thresholds = best
    names = vec.get_feature_names_out()
    coef = np.vstack([m.coef_.ravel() for m in models])  # tags x features
    # A feature whose every weight is tiny changes no decision; dropping it keeps the file small.
    kept = np.flatnonzero(np.abs(coef).max(axis=0) >= PRUNE)
    model = LinearModel(
        tags=tuple(tags),
        bias=tuple(float(m.intercept_[0]) for m in models),
        thresholds=tuple(thresholds),
        weights={
            str(names[i]): tuple(
                (j, float(coef[j, i])) for j in range(len(tags)) if abs(coef[j, i]) >= PRUNE
            )
            for i in kept
        },
    )
    info = {
        "dev_macro_f1": round(macro, 4),
        "C": c,
        "weak_weight": ww,
        "family": family,
        "penalty": penalty,
    }
    return model, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--report", action="store_true", help="print dev figures per family")
    parser.add_argument("--penalty", choices=("l1", "l2"), default=PENALTY)
    args = parser.parse_args(argv)
    if args.report:
        for family in ("rules", "words"):
            _, info = train(report=False, family=family, penalty=args.penalty)
            print(f"family {family}: {info}", file=sys.stderr)
    model, info = train(report=args.report, penalty=args.penalty)
    args.output.write_text(model.to_json(), encoding="utf-8")
    print(
        f"wrote {args.output}: {len(model.weights)} features, {info}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
