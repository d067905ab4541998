"""TF-IDF cosine similarity for spotting duplicate feedback.

Shaped for an index kept in SQLite rather than in memory:

* each item stores its term frequencies, ``terms(text)`` (at most ``MAX_TERMS`` terms), as
  rows ``(item_id, term, tf)``;
* a document-frequency table ``(term, df)`` plus a total item count give the IDF;
* to check a new message, storage fetches only items that share one of the query's
  ``rarest_terms`` (an indexed ``WHERE term IN (...)``) and hands them to ``rank_similar``.

Vectors use sublinear TF (1 + ln tf) and smoothed IDF (ln((1 + N) / (1 + df)) + 1), then
L2 normalisation, so cosine similarity is a plain dot product.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from typing import TypeVar

from services import text as textmod

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_THRESHOLD",
    "MAX_TERMS",
    "cosine",
    "idf",
    "rank_similar",
    "rarest_terms",
    "terms",
    "tfidf",
]

MAX_TERMS = 64
# Tuned on the paired examples in tests/services/test_similarity.py: reworded reports of the
# same problem score 0.5 and up, different problems that share a product word ("node sdk",
# "login") reach about 0.35, so 0.4 leaves a margin on both sides.
DEFAULT_THRESHOLD = 0.4
DEFAULT_LIMIT = 3

_K = TypeVar("_K", bound=Hashable)


# Words that say what *kind* of message it is, or how the writer feels, rather than what it
# is about. Two unrelated feature requests must not look alike because both say "feature
# request"; two praise messages are not duplicates of each other.
_NOISE_WORDS = """
    featurerequest feature bug issue problem question add help great good nice love awesome
    cool bad terrible annoying frustrating hate work guys team
"""
_NOISE = frozenset(textmod.stem(w) for w in _NOISE_WORDS.split())


def terms(text: str) -> dict[str, int]:
    """Term frequencies of ``text`` after normalising, stemming and dropping stop words.

    At most ``MAX_TERMS`` distinct terms are kept (the most frequent, ties by first use) so
    one pasted log cannot bloat the index. Bare numbers are dropped unless they look like
    an HTTP status or error code (three or more digits), which is what duplicates share.
    """
    counts: Counter[str] = Counter()
    for tok in textmod.content_tokens(text):
        if tok in _NOISE or (tok.isdigit() and len(tok) < 3):
            continue
        counts[tok] += 1
    if len(counts) <= MAX_TERMS:
        return dict(counts)
    # Counter.most_common is stable for ties, so first occurrence wins among equals.
    return dict(counts.most_common(MAX_TERMS))


def idf(df: int, n_docs: int) -> float:
    """Smoothed inverse document frequency; a term unseen so far gets the highest weight."""
    n = max(n_docs, 0)
    return math.log((1 + n) / (1 + max(0, min(df, n)))) + 1.0


def tfidf(
    tf: Mapping[str, int],
    doc_freq: Mapping[str, int],
    n_docs: int,
    idfs: dict[str, float] | None = None,
) -> dict[str, float]:
    """L2-normalised TF-IDF vector for one item's term frequencies.

    ``idfs``, if given, caches each term's idf (a log) across calls with the same
    ``doc_freq`` and ``n_docs``: vectors of similar items share most of their terms.
    """
    vec: dict[str, float] = {}
    for term, count in tf.items():
        if count <= 0:
            continue
        if idfs is None:
            weight = idf(doc_freq.get(term, 0), n_docs)
        else:
            weight = idfs.get(term)
            if weight is None:
                weight = idfs[term] = idf(doc_freq.get(term, 0), n_docs)
        vec[term] = (1.0 + math.log(count)) * weight
    norm = math.sqrt(sum(w * w for w in vec.values()))
    if norm == 0.0:
        return {}
    return {term: w / norm for term, w in vec.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """Cosine similarity of two sparse vectors (need not be normalised); 0.0 if either is empty."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(w * b[t] for t, w in a.items() if t in b)
    if dot == 0.0:
        return 0.0
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return min(1.0, dot / (na * nb))


def rarest_terms(tf: Mapping[str, int], doc_freq: Mapping[str, int], k: int = 8) -> list[str]:
    """The query's ``k`` most distinctive terms, to fetch candidate items by.

    Terms no stored item has (df 0) cannot find candidates, so they go last; among the rest
    the rarest come first, ties broken alphabetically for stable queries.
    """
    if k <= 0:
        return []
    ranked = sorted(tf, key=lambda t: (doc_freq.get(t, 0) == 0, doc_freq.get(t, 0), t))
    return ranked[:k]


def rank_similar(
    query_text: str,
    candidates: Iterable[tuple[_K, Mapping[str, int]]],
    doc_freq: Mapping[str, int],
    n_docs: int,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = DEFAULT_LIMIT,
    *,
    query_terms: Mapping[str, int] | None = None,
) -> list[tuple[_K, float]]:
    """Candidates at least ``threshold`` similar to ``query_text``, best first, at most ``limit``.

    ``candidates`` are ``(id, term_frequencies)`` pairs as stored by ``terms``; ``doc_freq``
    and ``n_docs`` describe the stored collection; ``query_terms``, if given, are
    ``terms(query_text)`` already computed. Scores are rounded to 3 places; equal
    scores keep the order the candidates came in.
    """
    if limit <= 0:
        return []
    query = tfidf(terms(query_text) if query_terms is None else query_terms, doc_freq, n_docs)
    if not query:
        return []
    idfs: dict[str, float] = {}
    scored: list[tuple[_K, float]] = []
    for item_id, tf in candidates:
        vec = tfidf(tf, doc_freq, n_docs, idfs)
        # Both vectors are unit length, so the dot product is the cosine.
        score = sum(w * vec[t] for t, w in query.items() if t in vec) if vec else 0.0
        if score >= threshold:
            scored.append((item_id, round(min(score, 1.0), 3)))
    scored.sort(key=lambda pair: -pair[1])
    return scored[:limit]
