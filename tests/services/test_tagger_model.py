"""The learned tagger: the shipped model, its figures on real text it never saw, and what a
guild's corrections do on top of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.feedback.capture import FeedbackService
from services.feedback.tags import FeedbackTags
from services.tagging.evaluate import evaluate
from services.tagging.model import DEFAULT_MODEL_PATH, LinearModel, features, word_features
from services.tagging.tagger import Tagger
from services.tagging.taxonomy import load_taxonomy
from services.time.clock import FixedClock
from storage.database import Database
from storage.feedback.items import FeedbackRepository
from storage.feedback.tags import FeedbackTagRepository

REAL = Path(__file__).resolve().parents[2] / "tests" / "data" / "real"
# Set from the one scoring of the held-out test split (macro 0.758, micro 0.729; the table is in
# docs/feedback.md): a little under what it measured, so a regression fails and a retrain's
# noise doesn't.
TEST_MACRO_F1_FLOOR = 0.73
TEST_MICRO_F1_FLOOR = 0.70


def rows(name: str) -> list[dict]:
    with (REAL / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_taxonomy())


def test_the_shipped_model_knows_the_taxonomy_and_reads_back_byte_for_byte() -> None:
    text = DEFAULT_MODEL_PATH.read_text(encoding="utf-8")
    model = LinearModel.from_json(text)
    assert set(model.tags) == set(load_taxonomy().names)
    assert model.to_json() == text
    assert 0 < len(text) < 3_000_000
    assert all(0.05 <= t <= 0.95 for t in model.thresholds)


def test_a_model_for_other_tags_leaves_the_rules_alone() -> None:
    model = LinearModel(("x",), (5.0,), (0.5,), {})
    tagger = Tagger(load_taxonomy(), model=model)
    assert tagger.tag("the docs are wrong").tags == ["docs"]


@pytest.mark.parametrize(
    "bad",
    [
        '{"format": 9}',
        '{"format": 1, "tags": ["a"], "bias": [], "thresholds": [0.5], "weights": {}}',
    ],
)
def test_a_broken_model_file_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        LinearModel.from_json(bad)


def test_training_and_run_time_read_the_same_features() -> None:
    norm_tagger = Tagger(load_taxonomy(), model=None)
    _, raw, evidence = norm_tagger.evidence("The SDK isn't slow, but love the docs. Crash!")
    feats = features(raw, evidence[:11])
    assert set(word_features(raw)) <= set(feats)
    assert "n:slow" in feats and "u:slow" not in feats  # denied
    assert "p:doc" in feats and "u:doc" not in feats  # praised
    assert any(k.startswith("r") for k in feats)


def test_the_bots_fast_path_scores_exactly_what_training_saw() -> None:
    """``score_tokens`` walks tokens without building feature names; on every real passage
    (and a few edge cases) it must equal the named-feature path the model was fitted on."""
    model = LinearModel.from_json(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    norm_tagger = Tagger(load_taxonomy(), model=None)
    texts = [r["text"] for name in ("train", "dev", "test") for r in rows(f"labelled_{name}.jsonl")]
    texts += ["", "not not slow. love love", "docs docs docs!", "would love dark mode"]
    checked = 0
    for text in texts:
        _, raw, evidence = norm_tagger.evidence(text)
        ev = evidence[: len(model.tags)]
        fast = model.score_tokens(raw, ev)
        slow = model.probabilities(word_features(raw), ev)
        assert fast == pytest.approx(slow, abs=1e-12), text
        checked += 1
    assert checked == len(texts) > 900


@pytest.mark.parametrize(
    ("text", "absent", "present"),
    [
        ("love the new docs, great job", "docs", None),
        ("the docs are wrong about pagination", None, "docs"),
        ("performance isn't the problem here, the login is", "performance", "auth"),
        ("thanks so much for the quick answer!", None, None),
    ],
)
def test_praise_and_denial_are_not_pain_points(tagger, text, absent, present) -> None:
    tags = tagger.tag(text).tags
    if absent is not None:
        assert absent not in tags
    if present is not None:
        assert present in tags
    if absent is None and present is None:
        assert tags == []


def test_held_out_real_text_stays_above_its_floors(tagger) -> None:
    test = rows("labelled_test.jsonl")
    assert len(test) >= 150
    result = evaluate(tagger, test, list(load_taxonomy().names))
    assert result.macro_f1 >= TEST_MACRO_F1_FLOOR, result
    assert result.micro_f1 >= TEST_MICRO_F1_FLOOR, result


def test_the_splits_share_no_product() -> None:
    products = {
        name: {r["product"] for r in rows(f"labelled_{name}.jsonl")}
        for name in ("train", "dev", "test")
    }
    weak = {r["product"] for r in rows("weak.jsonl")}
    assert not products["train"] & products["dev"]
    assert not products["train"] & products["test"]
    assert not products["dev"] & products["test"]
    assert not weak & (products["dev"] | products["test"])


G, OTHER = 111, 222


async def test_ten_corrections_change_one_guilds_tags_and_no_other(tmp_path) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    async with Database(tmp_path / "t.db") as db:
        await db.migrate()
        items = FeedbackRepository(db)
        svc = FeedbackService(
            items, clock, tags=FeedbackTags(FeedbackTagRepository(db), items, clock)
        )

        async def capture(guild: int, text: str):
            r = await svc.capture(
                guild_id=guild,
                source="command",
                reporter_id=1,
                reporter_name="Ada",
                captured_by_id=1,
                summary=text,
            )
            return r.item

        text = "the grafana panel keeps flickering"
        before_a = (await capture(G, text)).tag_names
        before_b = (await capture(OTHER, text)).tag_names
        assert "integrations" not in before_a and before_a == before_b
        for n in range(10):
            item = await capture(G, f"grafana panel number {n} flickers on refresh")
            await svc.tags.retag(G, item.id, actor_id=9, add=["integrations"], remove=[])
        # The guild's other corrections are what tell its model when the tag is absent.
        for other in ("invoice totals are wrong", "seat price too high", "billing page 500s"):
            item = await capture(G, other)
            await svc.tags.retag(G, item.id, actor_id=9, add=["pricing"], remove=[])
        after_a = (await capture(G, "our grafana panel is flickering again")).tag_names
        after_b = (await capture(OTHER, "our grafana panel is flickering again")).tag_names
        assert "integrations" in after_a
        assert "integrations" not in after_b
        await svc.index.flush()
