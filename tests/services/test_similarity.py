from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from services.tagging.similarity import (
    DEFAULT_THRESHOLD,
    MAX_TERMS,
    cosine,
    idf,
    rank_similar,
    rarest_terms,
    terms,
    tfidf,
)

DEV_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "feedback_dev.jsonl"

# Reworded reports of the same problem: must score at or above the threshold.
NEAR_DUPLICATES = [
    (
        "SDK times out when uploading big files",
        "upload times out in the python sdk for large files",
    ),
    (
        "OAuth redirect fails with invalid_redirect_uri even though the URL matches",
        "getting invalid_redirect_uri from the oauth flow, redirect url is exactly as configured",
    ),
    (
        "webhooks arrive out of order so updated comes before created",
        "webhook events are delivered out of order (updated before created)",
    ),
    ("Please add a dark mode to the dashboard", "dark mode for the dashboard please!"),
    ("we got charged twice for March", "double charge on our March invoice"),
    ("the CLI ignores HTTPS_PROXY", "acme cli doesn't respect the HTTPS_PROXY env var"),
    (
        "The python SDK crashes on import with python 3.12",
        "import error in the python sdk on 3.12, it crashes immediately",
    ),
    ("docs for pagination are missing", "there's no documentation about pagination"),
    (
        "Login with GitHub loops back to the login page",
        "github sign in keeps redirecting me back to the login screen",
    ),
    ("Dashboard takes forever to load", "the dashboard is really slow to load"),
    (
        "The Zapier integration stopped triggering on new records",
        "zapier zap no longer triggers when a record is created",
    ),
    ("memory leak in the node sdk, process gets OOM killed", "node SDK leaks memory until OOM"),
    ("feature request: export audit logs as CSV", "can we export the audit log to csv?"),
]

# Different problems, often sharing a product word: must score below the threshold.
UNRELATED = [
    ("SDK times out when uploading big files", "the python SDK docs are outdated"),
    ("SDK times out when uploading big files", "dashboard takes forever to load"),
    ("OAuth redirect fails with invalid_redirect_uri", "please add SAML support"),
    ("webhooks arrive out of order", "Any plans for a native Slack integration?"),
    (
        "Please add a dark mode to the dashboard",
        "The dashboard crashes every time I open the usage tab",
    ),
    ("we got charged twice for March", "is there a discount for open source projects?"),
    (
        "the CLI ignores HTTPS_PROXY",
        "the CLI is sluggish, even acme --version takes over a second",
    ),
    (
        "The python SDK crashes on import with python 3.12",
        "Please add async support to the python client",
    ),
    ("docs for pagination are missing", "pagination is inconsistent across endpoints"),
    ("Login with GitHub loops back to the login page", "please support SAML login"),
    ("Dashboard takes forever to load", "dashboard search is case sensitive"),
    ("feature request: export audit logs as CSV", "feature request: dark mode"),
    ("memory leak in the node sdk", "node sdk types are wrong"),
    ("webhook signature check fails", "webhook deliveries time out after 5s"),
]


@pytest.fixture(scope="module")
def corpus() -> tuple[list[dict[str, int]], Counter[str], int]:
    """A realistic collection to take document frequencies from: the dev set."""
    with DEV_SET.open(encoding="utf-8") as fh:
        docs = [terms(json.loads(line)["text"]) for line in fh if line.strip()]
    doc_freq: Counter[str] = Counter(t for tf in docs for t in tf)
    return docs, doc_freq, len(docs)


def similarity(a: str, b: str, doc_freq: Counter[str], n_docs: int) -> float:
    return cosine(tfidf(terms(a), doc_freq, n_docs), tfidf(terms(b), doc_freq, n_docs))


# --------------------------------------------------------------------------- terms


def test_terms_counts_stemmed_content_words() -> None:
    assert terms("Uploads fail. Upload failed again, uploading is broken!") == {
        "upload": 3,
        "fail": 2,
        "broken": 1,
    }


def test_terms_drops_stop_words_noise_and_short_numbers() -> None:
    tf = terms("Feature request: please add it to the SDK in 2 weeks, error 500")
    assert "featurerequest" not in tf and "add" not in tf and "the" not in tf
    assert "2" not in tf
    assert tf["500"] == 1
    assert tf["sdk"] == 1


def test_terms_caps_distinct_terms() -> None:
    text = " ".join(f"word{i}x" for i in range(200)) + " word3x word3x"
    tf = terms(text)
    assert len(tf) == MAX_TERMS
    assert tf["word3x"] == 3


def test_terms_of_empty_text() -> None:
    assert terms("") == {}
    assert terms("the and of") == {}


# --------------------------------------------------------------------------- vectors


def test_tfidf_is_l2_normalised_and_weights_rare_terms_higher() -> None:
    doc_freq = {"sdk": 50, "timeout": 2}
    vec = tfidf({"sdk": 1, "timeout": 1}, doc_freq, 100)
    assert math.isclose(math.sqrt(sum(w * w for w in vec.values())), 1.0)
    assert vec["timeout"] > vec["sdk"]


def test_tfidf_handles_unseen_terms_and_empty_input() -> None:
    assert tfidf({}, {}, 0) == {}
    assert tfidf({"x": 0}, {}, 10) == {}
    vec = tfidf({"brandnew": 1}, {}, 10)
    assert vec == {"brandnew": 1.0}


def test_idf_and_tfidf_follow_the_documented_formulas() -> None:
    # Smoothed IDF ln((1 + N) / (1 + df)) + 1, sublinear TF 1 + ln tf: DEFAULT_THRESHOLD was
    # tuned on these exact weights, so a drift in a constant must show here.
    assert idf(0, 0) == 1.0
    assert math.isclose(idf(3, 9), math.log(10 / 4) + 1)
    assert math.isclose(idf(0, 9), math.log(10) + 1)  # unseen: the highest weight
    assert math.isclose(idf(20, 9), 1.0)  # df is capped at N
    doc_freq = {"seen": 4}
    vec = tfidf({"new": 1, "seen": 3, "gone": 0}, doc_freq, 9)
    new, seen = math.log(10) + 1, (1 + math.log(3)) * (math.log(10 / 5) + 1)
    norm = math.hypot(new, seen)
    assert vec.keys() == {"new", "seen"}
    assert math.isclose(vec["new"], new / norm) and math.isclose(vec["seen"], seen / norm)
    # A zero count is skipped, not the end of the item.
    assert tfidf({"gone": 0, "new": 1}, doc_freq, 9) == {"new": 1.0}
    # A lone term whose weight is exactly 1 (it is in every item) is still a vector.
    assert tfidf({"everywhere": 1}, {"everywhere": 5}, 5) == {"everywhere": 1.0}


def test_tfidf_with_an_idf_cache_gives_the_same_vectors() -> None:
    doc_freq = {"sdk": 40, "timeout": 3}
    cache: dict[str, float] = {}
    for tf in ({"sdk": 1, "timeout": 2}, {"timeout": 1, "unseen": 1}, {"sdk": 2}):
        assert tfidf(tf, doc_freq, 50, cache) == tfidf(tf, doc_freq, 50)
    assert cache.keys() == {"sdk", "timeout", "unseen"}


def test_cosine_basics() -> None:
    a = {"x": 1.0, "y": 2.0}
    assert math.isclose(cosine(a, a), 1.0)
    assert cosine(a, {"z": 1.0}) == 0.0
    assert cosine(a, {}) == 0.0
    assert math.isclose(cosine(a, {"x": 3.0}), cosine({"x": 3.0}, a))
    assert 0 < cosine(a, {"x": 1.0}) < 1


# --------------------------------------------------------------------------- candidates


def test_rarest_terms_orders_by_document_frequency() -> None:
    tf = {"sdk": 1, "timeout": 1, "upload": 2, "zzz": 1}
    doc_freq = {"sdk": 40, "timeout": 3, "upload": 3}
    assert rarest_terms(tf, doc_freq, k=3) == ["timeout", "upload", "sdk"]
    # A term nobody else used cannot find candidates, so it comes last.
    assert rarest_terms(tf, doc_freq) == ["timeout", "upload", "sdk", "zzz"]
    assert rarest_terms(tf, doc_freq, k=1) == ["timeout"]
    assert rarest_terms(tf, doc_freq, k=0) == []


# --------------------------------------------------------------------------- threshold


@pytest.mark.parametrize(("a", "b"), NEAR_DUPLICATES)
def test_near_duplicates_score_above_threshold(
    a: str, b: str, corpus: tuple[list[dict[str, int]], Counter[str], int]
) -> None:
    _, doc_freq, n_docs = corpus
    assert similarity(a, b, doc_freq, n_docs) >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(("a", "b"), UNRELATED)
def test_unrelated_items_score_below_threshold(
    a: str, b: str, corpus: tuple[list[dict[str, int]], Counter[str], int]
) -> None:
    _, doc_freq, n_docs = corpus
    assert similarity(a, b, doc_freq, n_docs) < DEFAULT_THRESHOLD


def test_threshold_separates_the_pairs_with_a_margin(
    corpus: tuple[list[dict[str, int]], Counter[str], int],
) -> None:
    _, doc_freq, n_docs = corpus
    lowest_dup = min(similarity(a, b, doc_freq, n_docs) for a, b in NEAR_DUPLICATES)
    highest_unrelated = max(similarity(a, b, doc_freq, n_docs) for a, b in UNRELATED)
    print(f"lowest duplicate={lowest_dup:.3f} highest unrelated={highest_unrelated:.3f}")
    assert lowest_dup - DEFAULT_THRESHOLD >= 0.05
    assert DEFAULT_THRESHOLD - highest_unrelated >= 0.03


# --------------------------------------------------------------------------- ranking


def test_rank_similar_orders_best_first_and_filters() -> None:
    items = {
        "upload-timeout": "Python SDK upload times out for large files",
        "upload-docs": "docs for the upload endpoint are outdated",
        "pricing": "too expensive for small teams",
        "timeout-2": "large file uploads time out with the python client",
    }
    stored = {item_id: terms(text) for item_id, text in items.items()}
    doc_freq: Counter[str] = Counter(t for tf in stored.values() for t in tf)
    ranked = rank_similar(
        "SDK times out when uploading big files", stored.items(), doc_freq, len(stored)
    )
    assert [item_id for item_id, _ in ranked] == ["upload-timeout", "timeout-2"]
    assert ranked[0][1] >= ranked[1][1] >= DEFAULT_THRESHOLD
    assert all(round(score, 3) == score for _, score in ranked)


def test_rank_similar_respects_limit_and_threshold() -> None:
    stored = [(i, terms("upload times out for large files")) for i in range(5)]
    doc_freq: Counter[str] = Counter(t for _, tf in stored for t in tf)
    query = "large file upload times out"
    assert len(rank_similar(query, stored, doc_freq, 5)) == 3
    assert len(rank_similar(query, stored, doc_freq, 5, limit=1)) == 1
    assert rank_similar(query, stored, doc_freq, 5, limit=0) == []
    assert rank_similar(query, stored, doc_freq, 5, threshold=1.01) == []
    assert rank_similar("", stored, doc_freq, 5) == []
    assert rank_similar(query, [], doc_freq, 5) == []


def test_rank_similar_scores_are_the_rounded_cosine_and_the_threshold_is_inclusive() -> None:
    stored = {
        "same": terms("upload times out"),
        "partly": terms("upload fails with large files"),
        "empty": {},  # an item whose text had no content words
    }
    doc_freq: Counter[str] = Counter(t for tf in stored.values() for t in tf)
    query = "upload times out"
    expected = round(
        cosine(tfidf(terms(query), doc_freq, 3), tfidf(stored["partly"], doc_freq, 3)), 3
    )
    assert 0 < expected < 1
    assert rank_similar(query, stored.items(), doc_freq, 3, threshold=0.1) == [
        ("same", 1.0),
        ("partly", expected),
    ]
    # "at least threshold": a one-term perfect match (a score of exactly 1.0, no rounding
    # error) passes a threshold of exactly 1.
    lone = [("lone", terms("timeout"))]
    assert rank_similar("timeout", lone, {"timeout": 1}, 3, threshold=1.0) == [("lone", 1.0)]
    # Precomputed query terms are used as given (the text is then only for the caller).
    assert rank_similar(
        "", stored.items(), doc_freq, 3, threshold=0.1, query_terms=terms(query)
    ) == [("same", 1.0), ("partly", expected)]


def test_index_workflow_finds_the_duplicate_among_the_dev_set(
    corpus: tuple[list[dict[str, int]], Counter[str], int],
) -> None:
    """What the storage layer will do: fetch by rarest terms, then rank."""
    docs, doc_freq, n_docs = corpus
    query = "the node sdk leaks memory and the process ends up OOM killed"
    wanted = rarest_terms(terms(query), doc_freq)
    candidates = [(i, tf) for i, tf in enumerate(docs) if any(t in tf for t in wanted)]
    assert len(candidates) < n_docs // 4  # the prefilter really narrows the search
    ranked = rank_similar(query, candidates, doc_freq, n_docs)
    assert ranked, "expected the memory-leak report in the dev set to be found"
    best = docs[ranked[0][0]]
    assert {"memori", "oom"} <= set(best)
