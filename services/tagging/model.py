"""The learned half of the tagger: a linear model over word features and the rules' evidence.

Trained offline (tools/train_tagger.py, scikit-learn) on real developer text and exported to
config/tagger_model.json, which this module scores in plain Python: a message's features are
looked up in a dict of per-tag weights, so nothing heavier than the standard library runs in the
bot. ``features`` is the one feature extractor: training calls the same function, so what the
model learnt is exactly what it sees at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from services import text as textmod

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "config" / "tagger_model.json"

# Words that deny what follows ("performance isn't the problem", "no issues with auth"): the
# next few words get their own features, so the model can learn that a denied topic is no
# pain point. Kept short: do-support negations ("doesn't work") describe a failure.
_NEGATORS = textmod.wordset("not no never isn't isnt aren't arent wasn't wasnt nothing without")
_NEGATION_SPAN = 3
# Praise that names a topic ("love the new docs", "thanks for the SDK fix") is no pain point
# about it: the topic words after it count apart, as denied words do. "Would love" and "I'd
# love" ask for something, so they are left alone.
PRAISE = textmod.wordset("love loving loved thanks thank kudos enjoy enjoying appreciate")
WISHES = textmod.wordset("would i'd we'd id wed really")
_WORD, _NEGATOR, _PRAISE = 0, 1, 2
_TOKEN_CACHE_MAX = 100_000
_Entries = tuple[tuple[int, float], ...]
# stem, role, plain, negated and praised weights, and the bigrams this word starts
_TokenInfo = tuple[
    str, int, "_Entries | None", "_Entries | None", "_Entries | None", "dict[str, _Entries] | None"
]
# Rule evidence is unbounded; past this much it says nothing new.
_EVIDENCE_CAP = 3.0


def word_features(raw: Sequence[str]) -> list[str]:
    """The binary word features of ``raw`` (tokens, with punctuation kept as clause breaks):
    stems, pairs of stems, and stems just after a denial, which count apart."""
    boundaries = textmod.BOUNDARIES
    cache_ = textmod._STEM_CACHE
    stem = textmod.stem
    out: list[str] = []
    prev: str | None = None
    prev_tok = ""
    negated = praised = 0
    for tok in raw:
        if tok in boundaries:
            prev = None
            prev_tok = ""
            negated = praised = 0
            continue
        st = cache_.get(tok) or stem(tok)
        if tok in _NEGATORS:
            negated = _NEGATION_SPAN
            out.append("neg")
        elif tok in PRAISE and prev_tok not in WISHES:
            praised = _NEGATION_SPAN
            out.append("praise")
        elif negated:
            negated -= 1
            out.append("n:" + st)
        elif praised:
            praised -= 1
            out.append("p:" + st)
        else:
            out.append("u:" + st)
        if prev is not None:
            out.append("b:" + prev + " " + st)
        prev = st
        prev_tok = tok
    return out


def features(raw: Sequence[str], evidence: Sequence[float]) -> dict[str, float]:
    """Every feature of a message as training sees it: the word features, each 1.0, and the
    rules' evidence for tag ``i`` as ``r<i>``."""
    out = dict.fromkeys(word_features(raw), 1.0)
    for i, ev in enumerate(evidence):
        if ev > 0:
            out[f"r{i}"] = min(ev, _EVIDENCE_CAP)
    return out


@dataclass(frozen=True)
class LinearModel:
    """One logistic regression per tag. ``weights`` maps a feature to its non-zero
    ``(tag index, weight)`` pairs; features the model never saw are simply absent."""

    tags: tuple[str, ...]
    bias: tuple[float, ...]
    thresholds: tuple[float, ...]
    weights: dict[str, tuple[tuple[int, float], ...]]

    def __post_init__(self) -> None:
        # The rules' evidence is the one non-binary input; its rows are looked up once.
        rules = tuple(self.weights.get(f"r{i}", ()) for i in range(len(self.tags)))
        object.__setattr__(self, "_rules", rules)
        # For ``score_tokens``: the word features split by kind and keyed by stems, so a
        # message is scored without building a feature name per word.
        kinds: dict[str, dict] = {"u": {}, "n": {}, "p": {}, "b": {}}
        for name, entries in self.weights.items():
            kind, _, key = name.partition(":")
            if kind == "b":
                first, _, second = key.partition(" ")
                kinds["b"].setdefault(first, {})[second] = entries
            elif kind in kinds and key:
                kinds[kind][key] = entries
        object.__setattr__(self, "_kinds", kinds)
        object.__setattr__(self, "_token_infos", {})
        object.__setattr__(
            self, "_flags", (self.weights.get("neg", ()), self.weights.get("praise", ()))
        )

    def score_tokens(self, raw: Sequence[str], evidence: Sequence[float]) -> list[float]:
        """``probabilities(word_features(raw), evidence)``, without the feature names: the
        bot's path. It walks the tokens exactly as ``word_features`` does, and adds each
        feature's weights as it is found, in the order ``_combine`` would."""
        boundaries = textmod.BOUNDARIES
        infos = self._token_infos  # type: ignore[attr-defined]
        logits = list(self.bias)
        hits: set[int] = set()  # each feature counts once, as a set of names would
        denial = praise = False
        # The bigrams the previous word starts, by their second word: most words start none,
        # so most tokens skip the bigram look-up.
        following: dict | None = None
        prev_tok = ""
        negated = praised = 0
        for tok in raw:
            if tok in boundaries:
                following = None
                prev_tok = ""
                negated = praised = 0
                continue
            info = infos.get(tok) or self._token_info(tok)
            st, role, plain, denied, lauded, starts = info
            entries = None
            if role == _NEGATOR:
                negated = _NEGATION_SPAN
                denial = True
            elif role == _PRAISE and prev_tok not in WISHES:
                praised = _NEGATION_SPAN
                praise = True
            elif negated:
                negated -= 1
                entries = denied
            elif praised:
                praised -= 1
                entries = lauded
            else:
                entries = plain
            if entries is not None:
                key = id(entries)
                if key not in hits:
                    hits.add(key)
                    for tag, w in entries:
                        logits[tag] += w
            if following is not None:
                pair = following.get(st)
                if pair is not None:
                    key = id(pair)
                    if key not in hits:
                        hits.add(key)
                        for tag, w in pair:
                            logits[tag] += w
            following = starts
            prev_tok = tok
        denial_w, praise_w = self._flags  # type: ignore[attr-defined]
        if denial:
            for tag, w in denial_w:
                logits[tag] += w
        if praise:
            for tag, w in praise_w:
                logits[tag] += w
        return self._finish(logits, evidence)

    def _token_info(self, tok: str) -> _TokenInfo:
        """A token's stem, role and weights, memoised: messages repeat their words."""
        kinds = self._kinds  # type: ignore[attr-defined]
        st = textmod.stem(tok)
        role = _NEGATOR if tok in _NEGATORS else _PRAISE if tok in PRAISE else _WORD
        info = (
            st,
            role,
            kinds["u"].get(st),
            kinds["n"].get(st),
            kinds["p"].get(st),
            kinds["b"].get(st),
        )
        infos = self._token_infos  # type: ignore[attr-defined]
        if len(infos) >= _TOKEN_CACHE_MAX:
            infos.clear()  # arbitrary text could grow it forever; a reset is cheap
        infos[tok] = info
        return info

    def probabilities(self, words: Sequence[str], evidence: Sequence[float]) -> list[float]:
        """Each tag's probability for a message's ``word_features`` and rule ``evidence``."""
        get = self.weights.get
        found = [e for e in map(get, set(words)) if e is not None]
        return self._combine(found, evidence)

    def _combine(self, found: Sequence[_Entries], evidence: Sequence[float]) -> list[float]:
        """Each tag's probability from the word features found and the rules' evidence."""
        logits = list(self.bias)
        for entries in found:
            for tag, w in entries:
                logits[tag] += w
        return self._finish(logits, evidence)

    def _finish(self, logits: list[float], evidence: Sequence[float]) -> list[float]:
        """Add the rules' evidence to the word features' ``logits``; each tag's probability."""
        rules: tuple[tuple[tuple[int, float], ...], ...] = self._rules  # type: ignore[attr-defined]
        for i, ev in enumerate(evidence):
            if ev > 0:
                v = min(ev, _EVIDENCE_CAP)
                for tag, w in rules[i]:
                    logits[tag] += v * w
        # The logistic function, inline: it runs for every tag of every message, and each
        # branch keeps exp() from overflowing.
        exp = math.exp
        out = []
        for z in logits:
            if z >= 0:
                out.append(1.0 / (1.0 + exp(-z)))
            else:
                e = exp(z)
                out.append(e / (1.0 + e))
        return out

    def to_json(self) -> str:
        """A stable text form: the same model always writes the same bytes."""
        payload = {
            "format": 1,
            "tags": list(self.tags),
            "bias": [round(b, 5) for b in self.bias],
            "thresholds": [round(t, 3) for t in self.thresholds],
            "weights": {
                name: [[t, round(w, 5)] for t, w in entries]
                for name, entries in sorted(self.weights.items())
            },
        }
        return json.dumps(payload, separators=(",", ":"), sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LinearModel:
        data = json.loads(text)
        if data.get("format") != 1:
            raise ValueError("unknown tagger model format")
        tags = tuple(data["tags"])
        n = len(tags)
        if not (len(data["bias"]) == len(data["thresholds"]) == n):
            raise ValueError("tagger model: bias and thresholds must have one entry per tag")
        weights = {
            name: tuple((int(t), float(w)) for t, w in entries)
            for name, entries in data["weights"].items()
        }
        if any(not 0 <= t < n for entries in weights.values() for t, _ in entries):
            raise ValueError("tagger model: a weight names a tag that is not in the model")
        return cls(tags, tuple(data["bias"]), tuple(data["thresholds"]), weights)


@cache
def load_model(path: Path = DEFAULT_MODEL_PATH) -> LinearModel | None:
    """The shipped model, or None where there is none (the tagger then uses its rules alone)."""
    if not path.exists():
        return None
    return LinearModel.from_json(path.read_text(encoding="utf-8"))
