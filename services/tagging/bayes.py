"""Per-guild naive Bayes that learns pain-point tags from advocates' retag corrections.

Every correction is an example: the tags an advocate confirmed or added are *present*,
the ones they removed are *absent*. For each tag the model keeps two classes, "tag present"
and "tag absent", and scores a new message one-vs-rest with a binarised multinomial naive
Bayes (each distinct token counted once per message, which suits short texts better than
raw counts) and Laplace smoothing.

The state is plain counts so a storage layer can keep it as rows:

* ``(label, token, count)`` for token counts, and
* ``(label, examples)`` for the number of examples per class,

where ``label`` is the tag name for the "present" class and ``"!" + tag`` for "absent".
Tag names never start with "!", so the two cannot collide.

Tokens should come from ``services.text.content_tokens`` so the model sees words the same
way the rest of the feedback pipeline does; ``tokens_for`` is a shortcut for that.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from services import text as textmod

__all__ = ["ABSENT_PREFIX", "MIN_EXAMPLES", "TagModel", "distinct_tokens", "tokens_for"]

ABSENT_PREFIX = "!"
# Below this many examples on either side of a tag, the model's opinion is noise.
MIN_EXAMPLES = 3
# Distinct tokens kept per example: bounds storage growth from very long messages.
MAX_TOKENS_PER_EXAMPLE = 64
_ALPHA = 1.0
# Keeps log-odds finite so a single run of rare tokens cannot produce exactly 0 or 1.
_MAX_LOG_ODDS = 30.0


def tokens_for(text: str) -> list[str]:
    """The tokens the model should learn from and score: ``text.content_tokens``."""
    return textmod.content_tokens(text)


@dataclass
class TagModel:
    """Counts for one guild. Mutable; persist with ``to_rows`` and rebuild with ``from_rows``."""

    # label -> number of examples; label is "tag" (present) or "!tag" (absent).
    tag_docs: dict[str, int] = field(default_factory=dict)
    # (label, token) -> number of examples of that class containing the token.
    token_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    # Derived from token_counts, never persisted:
    # label -> sum of its token counts (the multinomial denominator),
    token_totals: dict[str, int] = field(init=False, default_factory=dict)
    # token -> number of labels it was counted under; the keys are the vocabulary.
    _vocab: dict[str, int] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._rebuild_derived()

    # ------------------------------------------------------------------ learning

    def learn(
        self,
        tokens: Iterable[str],
        tags_present: Iterable[str],
        tags_absent: Iterable[str] = (),
    ) -> None:
        """Record one corrected message.

        ``tags_present`` are tags the message should have; ``tags_absent`` are tags it
        should not have (typically the ones an advocate removed). Tags in neither are left
        alone: silence about a tag is not evidence against it.
        """
        present = _clean_tags(tags_present)
        absent = _clean_tags(tags_absent)
        overlap = present & absent
        if overlap:
            raise ValueError(f"tags both present and absent: {', '.join(sorted(overlap))}")
        distinct = distinct_tokens(tokens)
        for label in [*present, *(ABSENT_PREFIX + t for t in absent)]:
            self.tag_docs[label] = self.tag_docs.get(label, 0) + 1
            if not distinct:
                continue
            for tok in distinct:
                key = (label, tok)
                prev = self.token_counts.get(key, 0)
                self.token_counts[key] = prev + 1
                if prev == 0:
                    self._vocab[tok] = self._vocab.get(tok, 0) + 1
            self.token_totals[label] = self.token_totals.get(label, 0) + len(distinct)

    # ------------------------------------------------------------------ scoring

    @property
    def tags(self) -> list[str]:
        """Tags the model has any examples for, present or absent."""
        names = {label.removeprefix(ABSENT_PREFIX) for label in self.tag_docs}
        return sorted(names)

    def examples(self, tag: str) -> tuple[int, int]:
        """(present, absent) example counts for ``tag``."""
        return self.tag_docs.get(tag, 0), self.tag_docs.get(ABSENT_PREFIX + tag, 0)

    def ready_tags(self, min_examples: int = MIN_EXAMPLES) -> list[str]:
        """Tags with enough examples on both sides to be scored."""
        return [t for t in self.tags if min(self.examples(t)) >= min_examples]

    def scores(self, tokens: Iterable[str], min_examples: int = MIN_EXAMPLES) -> dict[str, float]:
        """P(tag present | tokens) for every tag the model knows enough about, in 0..1.

        Tags with fewer than ``min_examples`` examples on either side are omitted, and so are
        tags for which none of the tokens has ever been seen: a prior alone says nothing
        about *this* message. Returns {} when the model has nothing to say.
        """
        ready = self.ready_tags(min_examples)
        if not ready:
            return {}
        distinct = [t for t in distinct_tokens(tokens) if t in self._vocab]
        if not distinct:
            return {}
        vocab_size = len(self._vocab)
        out: dict[str, float] = {}
        for tag in ready:
            neg = ABSENT_PREFIX + tag
            n_pos, n_neg = self.tag_docs[tag], self.tag_docs[neg]
            pos_den = self.token_totals.get(tag, 0) + _ALPHA * vocab_size
            neg_den = self.token_totals.get(neg, 0) + _ALPHA * vocab_size
            log_odds = math.log((n_pos + _ALPHA) / (n_neg + _ALPHA))
            informative = False
            for tok in distinct:
                c_pos = self.token_counts.get((tag, tok), 0)
                c_neg = self.token_counts.get((neg, tok), 0)
                if c_pos or c_neg:
                    informative = True
                log_odds += math.log((c_pos + _ALPHA) / pos_den) - math.log(
                    (c_neg + _ALPHA) / neg_den
                )
            if not informative:
                continue
            log_odds = max(-_MAX_LOG_ODDS, min(_MAX_LOG_ODDS, log_odds))
            out[tag] = round(1.0 / (1.0 + math.exp(-log_odds)), 3)
        return out

    def suggested_weight(self, max_weight: float = 0.6, half_at: int = 10) -> float:
        """A blend weight for ``tagging.combine`` that grows with the amount of feedback.

        With few corrections the rules should dominate; the weight approaches
        ``max_weight`` as examples accumulate (``half_at`` examples give half of it).
        """
        n = sum(self.tag_docs.values())
        return round(max_weight * n / (n + half_at), 3) if n else 0.0

    # ------------------------------------------------------------------ persistence

    def to_rows(self) -> tuple[list[tuple[str, str, int]], list[tuple[str, int]]]:
        """(token rows ``(label, token, count)``, example rows ``(label, examples)``), sorted."""
        token_rows = sorted((label, tok, n) for (label, tok), n in self.token_counts.items())
        example_rows = sorted(self.tag_docs.items())
        return token_rows, example_rows

    @classmethod
    def from_rows(
        cls,
        token_rows: Iterable[Sequence[object]],
        example_rows: Iterable[Sequence[object]],
    ) -> TagModel:
        """Rebuild a model from rows produced by ``to_rows`` (or read back from storage)."""
        model = cls()
        for row in example_rows:
            label, n = _row(row, 2, "example")
            model.tag_docs[str(label)] = model.tag_docs.get(str(label), 0) + _count(n)
        for row in token_rows:
            label, tok, n = _row(row, 3, "token")
            key = (str(label), str(tok))
            model.token_counts[key] = model.token_counts.get(key, 0) + _count(n)
        model._rebuild_derived()
        return model

    def _rebuild_derived(self) -> None:
        self.token_totals = {}
        self._vocab = {}
        for (label, tok), n in self.token_counts.items():
            self.token_totals[label] = self.token_totals.get(label, 0) + n
            self._vocab[tok] = self._vocab.get(tok, 0) + 1


def _clean_tags(tags: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for tag in tags:
        if not isinstance(tag, str) or not tag or tag.startswith(ABSENT_PREFIX):
            raise ValueError(f"invalid tag name: {tag!r}")
        out.add(tag)
    return out


def distinct_tokens(tokens: Iterable[str]) -> list[str]:
    """The tokens one example counts, in order: each once, at most ``MAX_TOKENS_PER_EXAMPLE``."""
    seen: dict[str, None] = {}
    for tok in tokens:
        if tok and tok not in seen:
            seen[tok] = None
            if len(seen) >= MAX_TOKENS_PER_EXAMPLE:
                break
    return list(seen)


def _row(row: Sequence[object], width: int, kind: str) -> Sequence[object]:
    if len(row) != width:
        raise ValueError(f"{kind} row must have {width} columns, got {row!r}")
    return row


def _count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"counts must be non-negative integers, got {n!r}")
    return n
