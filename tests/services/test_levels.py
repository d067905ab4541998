"""Levels' pure rules: weights, scores, percentile thresholds, movement (numbers by hand)."""

from __future__ import annotations

import pytest

from services.errors import InvalidInput
from services.metrics import levels


def test_score_uses_the_orbit_weights() -> None:
    # 4 messages (4) + 1 question (3) + 2 feedback (6) + 3 votes (3) + 1 answer (5) + 1 hosting (8)
    counts = {"message": 4, "question": 1, "feedback": 2, "vote": 3, "answer": 1, "hosting": 1}
    assert levels.score(counts, levels.DEFAULT_WEIGHTS) == 29


def test_default_thresholds_come_from_percentiles_of_non_zero_scores() -> None:
    # Non-zero scores sorted: 1..20 (20 values). Nearest rank: 25% -> 5th = 5,
    # 75% -> 15th = 15, 95% -> 19th = 19. The zeros are ignored.
    scores = [0, 0, *range(1, 21)]
    assert levels.default_thresholds(scores) == (5, 15, 19)
    assert levels.level_of(4, (5, 15, 19)) == "observer"
    assert levels.level_of(5, (5, 15, 19)) == "participant"
    assert levels.level_of(18, (5, 15, 19)) == "contributor"
    assert levels.level_of(19, (5, 15, 19)) == "champion"


def test_default_thresholds_stay_distinct_when_everyone_scores_the_same() -> None:
    assert levels.default_thresholds([3, 3, 3]) == (3, 4, 5)
    assert levels.default_thresholds([]) == (1, 2, 3)


def test_movement_up_and_down() -> None:
    before = {1: "observer", 2: "champion", 3: "participant"}
    after = {1: "contributor", 2: "participant", 3: "participant", 4: "participant"}
    ups, downs = levels.movement(before, after)
    assert [(m.user_id, m.before, m.after) for m in ups] == [
        (1, "observer", "contributor"),
        (4, "observer", "participant"),
    ]
    assert [(m.user_id, m.before, m.after) for m in downs] == [(2, "champion", "participant")]
    assert levels.counts_per_level(after.values()) == {
        "observer": 0,
        "participant": 3,
        "contributor": 1,
        "champion": 0,
    }


@pytest.mark.parametrize(
    ("weights", "says"),
    [
        ({"message": "lots"}, "must be a number"),
        ({"vote": "-1"}, "must be 0 or more"),
        ({"vote": "nan"}, "must be 0 or more"),
        ({"likes": "1"}, "not an activity"),
    ],
)
def test_bad_weights_are_explained(weights: dict[str, object], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        levels.check_weights(weights)


def test_good_weights_replace_only_what_was_given() -> None:
    weights = levels.check_weights({"message": "0.5", "hosting": 10})
    assert weights["message"] == 0.5
    assert weights["hosting"] == 10
    assert weights["question"] == 3


@pytest.mark.parametrize(
    ("thresholds", "says"),
    [
        ((5, 5, 9), "must increase"),
        ((9, 5, 20), "must increase"),
        ((0, 5, 9), "above 0"),
        ((1, 2), "three thresholds"),
    ],
)
def test_bad_thresholds_are_explained(thresholds: tuple[float, ...], says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        levels.check_thresholds(thresholds)


async def test_configure_levels_is_stored_per_guild_and_bad_input_writes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from services.metrics.service import MetricsService
    from services.time.clock import FixedClock
    from storage.metrics import MetricsRepository

    service = MetricsService(
        MetricsRepository(db), FixedClock(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    )
    await service.configure_levels(1, {"message": "2"}, [4, 10, 30])
    with pytest.raises(InvalidInput, match="must increase"):
        await service.configure_levels(1, {"vote": "0"}, [10, 4, 30])
    with pytest.raises(InvalidInput, match="must be a number"):
        await service.configure_levels(1, {"vote": "x"}, None)

    weights = await service.level_weights(1)
    assert weights["message"] == 2
    assert weights["vote"] == 1  # the refused changes left nothing behind
    stored = await MetricsRepository(db).level_settings(1)
    assert stored.thresholds == [4, 10, 30]
    # Another guild keeps the defaults.
    assert await service.level_weights(2) == levels.DEFAULT_WEIGHTS


async def test_levels_move_in_virtual_time_from_the_counters(db) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from services.metrics.service import MetricsService
    from services.time.clock import FixedClock
    from storage.metrics import MetricsRepository

    clock = FixedClock(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    service = MetricsService(MetricsRepository(db), clock)
    await service.configure_levels(1, {}, [5, 20, 50])
    rows = [
        # Member 10: 30 messages on 2026-09-10, which leaves the 90 days on 2026-12-09.
        (1, "2026-09-10", 10, 30),
        # Member 11: 4 messages in November and 2 this week.
        (1, "2026-11-01", 11, 4),
        (1, "2026-12-02", 11, 2),
        # Member 12: 60 messages; guild 2's member 10 must not leak into guild 1.
        (1, "2026-11-30", 12, 60),
        (2, "2026-11-30", 10, 999),
    ]
    await db.executemany(
        "INSERT INTO activity_member_day (guild_id, day, user_id, messages) VALUES (?, ?, ?, ?)",
        rows,
    )
    # On 2026-12-03 the window is [2026-09-04, 2026-12-03): 10 -> 30 (contributor),
    # 11 -> 6 (participant), 12 -> 60 (champion). A week before, 12 had not written yet
    # and 11 had only the 4 (observer).
    counts, ups, downs = await service.level_movement(1)
    assert counts == {"observer": 0, "participant": 1, "contributor": 1, "champion": 1}
    assert [(m.user_id, m.before, m.after) for m in ups] == [
        (11, "observer", "participant"),
        (12, "observer", "champion"),
    ]
    assert downs == []

    # Ten days later member 10's 30 messages are out of the window: down to observer.
    clock.advance(days=10)
    counts, ups, downs = await service.level_movement(1)
    assert counts == {"observer": 1, "participant": 1, "contributor": 0, "champion": 1}
    assert [(m.user_id, m.before, m.after) for m in downs] == [(10, "contributor", "observer")]
    assert ups == []

    levels_2 = await service.levels_at(2, clock.now())
    assert list(levels_2) == [10]
