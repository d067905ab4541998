from __future__ import annotations

import pytest

from services.tagging.bayes import ABSENT_PREFIX, MIN_EXAMPLES, TagModel, tokens_for
from services.tagging.tagger import Tagger
from services.tagging.taxonomy import load_taxonomy

# Feedback from a guild where "webhook retries are slow" is how people describe a Stripe
# integration problem, not a performance one: advocates keep retagging it.
CORRECTIONS = [
    "stripe webhook retries are slow to arrive",
    "the stripe webhook retry schedule is slow",
    "webhook retries from stripe take ages",
    "stripe retries our webhook way too slowly",
]
UNRELATED_PERF = [
    "the search endpoint is slow",
    "dashboard is slow to load",
    "bulk export is slow for big projects",
]


def trained_model() -> TagModel:
    model = TagModel()
    for text in CORRECTIONS:
        model.learn(tokens_for(text), ["integrations"], ["performance"])
    for text in UNRELATED_PERF:
        model.learn(tokens_for(text), ["performance"], ["integrations"])
    return model


def test_learn_records_plain_counts() -> None:
    model = TagModel()
    model.learn(["webhook", "slow", "webhook"], ["integrations"], ["performance"])
    assert model.tag_docs == {"integrations": 1, ABSENT_PREFIX + "performance": 1}
    # Binarised: a token counts once per example however often it repeats.
    assert model.token_counts[("integrations", "webhook")] == 1
    assert model.token_counts[(ABSENT_PREFIX + "performance", "slow")] == 1
    assert model.token_totals == {"integrations": 2, ABSENT_PREFIX + "performance": 2}
    assert model.examples("performance") == (0, 1)


def test_scores_are_empty_without_enough_data() -> None:
    model = TagModel()
    assert model.scores(["anything"]) == {}
    for _ in range(MIN_EXAMPLES - 1):
        model.learn(["webhook"], ["integrations"], ["performance"])
        model.learn(["search"], ["performance"], ["integrations"])
    assert model.ready_tags() == []
    assert model.scores(["webhook"]) == {}
    model.learn(["webhook"], ["integrations"], ["performance"])
    model.learn(["search"], ["performance"], ["integrations"])
    assert model.ready_tags() == ["integrations", "performance"]
    assert set(model.scores(["webhook"])) == {"integrations", "performance"}


def test_unknown_tokens_give_no_opinion() -> None:
    assert trained_model().scores(["completely", "unseen", "words"]) == {}


def test_scores_are_probabilities_that_follow_the_corrections() -> None:
    scores = trained_model().scores(tokens_for("stripe webhook retries are slow again"))
    assert set(scores) == {"integrations", "performance"}
    assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert scores["integrations"] > 0.8
    assert scores["performance"] < 0.2
    perf = trained_model().scores(tokens_for("the search page is slow"))
    assert perf["performance"] > perf["integrations"]


def test_learning_changes_a_prediction_after_a_few_corrections() -> None:
    # The rules alone, so the blend is read against known rule scores; the learned base model
    # with a guild's corrections on top is tested in test_tagger_model.py.
    tagger = Tagger(load_taxonomy(), model=None)
    text = "stripe webhook retries are painfully slow"
    before = tagger.tag(text)
    assert "performance" in before.tags

    model = TagModel()
    for i, correction in enumerate(CORRECTIONS + UNRELATED_PERF):
        model.learn(
            tokens_for(correction),
            ["integrations"] if i < len(CORRECTIONS) else ["performance"],
            ["performance"] if i < len(CORRECTIONS) else ["integrations"],
        )
    weight = model.suggested_weight()
    assert 0 < weight < 0.6
    after = tagger.tag_with_model(text, model.scores(tokens_for(text)), weight)
    assert "performance" not in after.tags
    assert "integrations" in after.tags
    # Messages unlike the corrections keep their rule-based tags.
    other = "the search endpoint is slow"
    assert (
        "performance" in tagger.tag_with_model(other, model.scores(tokens_for(other)), weight).tags
    )


def test_rows_round_trip() -> None:
    model = trained_model()
    token_rows, example_rows = model.to_rows()
    assert all(
        isinstance(label, str) and isinstance(tok, str) and isinstance(n, int)
        for label, tok, n in token_rows
    )
    assert all(isinstance(label, str) and isinstance(n, int) for label, n in example_rows)
    assert token_rows == sorted(token_rows)

    restored = TagModel.from_rows(token_rows, example_rows)
    assert restored.tag_docs == model.tag_docs
    assert restored.token_counts == model.token_counts
    assert restored.token_totals == model.token_totals
    query = tokens_for("stripe webhook retries are slow")
    assert restored.scores(query) == model.scores(query)
    assert restored.to_rows() == (token_rows, example_rows)


def test_from_rows_accepts_lists_as_read_from_a_database() -> None:
    model = TagModel.from_rows([["docs", "guide", 2]], [["docs", 2], ["!docs", 1]])
    assert model.token_counts == {("docs", "guide"): 2}
    assert model.examples("docs") == (2, 1)


@pytest.mark.parametrize(
    ("token_rows", "example_rows"),
    [
        ([("docs", "guide")], []),
        ([("docs", "guide", -1)], []),
        ([], [("docs", "many")]),
        ([], [("docs", True)]),
    ],
)
def test_from_rows_rejects_bad_rows(token_rows: list[tuple], example_rows: list[tuple]) -> None:
    with pytest.raises(ValueError):
        TagModel.from_rows(token_rows, example_rows)


def test_learning_continues_after_restore() -> None:
    model = TagModel.from_rows(*trained_model().to_rows())
    model.learn(tokens_for("brand new words here"), ["docs"], [])
    assert model.tag_docs["docs"] == 1
    assert model.token_totals["docs"] == len(set(tokens_for("brand new words here")))


def test_learn_rejects_contradictions_and_bad_tags() -> None:
    model = TagModel()
    with pytest.raises(ValueError, match="both present and absent"):
        model.learn(["x"], ["docs"], ["docs"])
    with pytest.raises(ValueError, match="invalid tag"):
        model.learn(["x"], ["!docs"], [])
    with pytest.raises(ValueError, match="invalid tag"):
        model.learn(["x"], [""], [])
    assert model.tag_docs == {}


def test_learn_without_tokens_still_counts_the_example() -> None:
    model = TagModel()
    model.learn([], ["docs"], ["errors"])
    assert model.examples("docs") == (1, 0)
    assert model.token_counts == {}


def test_suggested_weight_grows_with_data() -> None:
    model = TagModel()
    assert model.suggested_weight() == 0.0
    weights = []
    for _ in range(5):
        model.learn(["x"], ["docs"], ["errors"])
        weights.append(model.suggested_weight())
    assert weights == sorted(weights)
    assert weights[-1] < 0.6


def test_tags_lists_both_sides() -> None:
    model = TagModel()
    model.learn(["x"], ["docs"], ["errors"])
    assert model.tags == ["docs", "errors"]
