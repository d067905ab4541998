"""Survey results arithmetic on known answers: NPS, CSAT, distributions, comparisons."""

from __future__ import annotations

import pytest

from services.errors import InvalidInput
from services.surveys import results as calc
from services.surveys.rules import parse_duration, parse_options
from storage.surveys import Question


def test_nps_is_promoters_minus_detractors_in_percent() -> None:
    # 5 promoters (9, 10), 3 passives (7, 8), 2 detractors (0-6) of 10: 50% - 20% = 30.
    score = calc.nps([10, 9, 9, 10, 9, 7, 8, 8, 6, 0])
    assert (score.score, score.promoters, score.passives, score.detractors, score.total) == (
        30,
        5,
        3,
        2,
        10,
    )


def test_nps_rounds_and_goes_negative() -> None:
    # 1 promoter, 2 detractors of 3: 33.3% - 66.7% = -33.3 -> -33.
    assert calc.nps([10, 3, 6]).score == -33
    # 2 of 3 promoters: 66.7 -> 67.
    assert calc.nps([9, 9, 7]).score == 67
    assert calc.nps([]).score == 0
    assert calc.nps([10] * 4).score == 100 and calc.nps([0, 6]).score == -100


def test_csat_is_the_share_of_four_and_five() -> None:
    share = calc.csat([5, 4, 4, 3, 1, 2, 5])
    assert (share.share, share.satisfied, share.total) == (57, 4, 7)  # 4/7 = 57.1%
    assert calc.csat([]).share == 0


def test_distributions_per_kind() -> None:
    choice = Question(1, "choice", "Which?", ["Docs", "SDK", "CLI"], True)
    result = calc.question_result(choice, [(1, [0, 1]), (2, [1]), (3, [2, 1])])
    assert [(b.label, b.count) for b in result.buckets] == [("Docs", 1), ("SDK", 3), ("CLI", 1)]
    scale = Question(2, "scale", "Easy?", [], False)
    result = calc.question_result(scale, [(1, 5), (2, 4), (3, 4)])
    assert [b.count for b in result.buckets] == [0, 0, 0, 2, 1]
    assert result.mean == pytest.approx(13 / 3)
    text = Question(3, "text", "Anything else?", [], False)
    result = calc.question_result(text, [(1, "slow builds"), (2, "  ")])
    assert result.texts == [(1, "slow builds")] and result.answered == 1


def test_headline_prefers_nps_then_csat_and_compares_rounds() -> None:
    nps_q = Question(1, "nps", "Recommend?", [], False)
    csat_q = Question(2, "csat", "Happy?", [], False)
    before = calc.headline([calc.question_result(nps_q, [(1, 10), (2, 6), (3, 9)])], 3)
    assert before.text() == "NPS 33"
    after = calc.headline(
        [
            calc.question_result(csat_q, [(1, 5)]),
            calc.question_result(nps_q, [(1, 10), (2, 10), (3, 8), (4, 9), (5, 5)]),
        ],
        5,
    )
    assert after.text() == "NPS 40"
    assert calc.comparison(after, before) == "NPS 33 → 40 (+7)"
    assert calc.comparison(before, after) == "NPS 40 → 33 (−7)"
    only_csat = calc.headline([calc.question_result(csat_q, [(1, 5), (2, 2)])], 2)
    assert only_csat.text() == "CSAT 50%"
    assert calc.comparison(only_csat, before) is None  # different measures don't compare
    assert calc.headline([], 4).text() == "Responses 4"
    assert calc.response_rate(3, 8) == 38 and calc.response_rate(3, None) is None


def test_options_and_durations_are_checked() -> None:
    assert parse_options(" Yes ,No,  Maybe", minimum=2) == ["Yes", "No", "Maybe"]
    with pytest.raises(InvalidInput, match="most is 10"):
        parse_options(",".join(str(i) for i in range(11)), minimum=2)
    with pytest.raises(InvalidInput, match="empty"):
        parse_options("Yes,,No", minimum=2)
    with pytest.raises(InvalidInput, match="empty"):
        parse_options("Yes, No,", minimum=2)
    with pytest.raises(InvalidInput, match="at least 2"):
        parse_options("Yes", minimum=2)
    with pytest.raises(InvalidInput, match="the same"):
        parse_options("Yes, yes", minimum=2)
    assert parse_duration("4h").total_seconds() == 4 * 3600
    assert parse_duration("2 days").total_seconds() == 48 * 3600
    assert parse_duration("32d").total_seconds() == 32 * 24 * 3600
    for bad in ("0h", "33d", "soon", "5w"):
        with pytest.raises(InvalidInput):
            parse_duration(bad)
