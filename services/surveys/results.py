"""Results arithmetic: NPS, CSAT, distributions and round-over-round changes.

Pure functions of the answers, so every figure can be checked on known answers
(tests/services/test_survey_results.py) without a database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.surveys import Question

# Below this many responses an anonymous survey shows no breakdown: with 3 answers and
# 3 known respondents, a distribution can say who answered what.
MIN_BREAKDOWN = 5

SCALE_LABELS = ("Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree")
CSAT_LABELS = ("Very unsatisfied", "Unsatisfied", "Neutral", "Satisfied", "Very satisfied")


@dataclass(frozen=True)
class Nps:
    score: int  # -100 .. 100
    promoters: int  # 9-10
    passives: int  # 7-8
    detractors: int  # 0-6
    total: int


@dataclass(frozen=True)
class Csat:
    share: int  # percent of 4-5 answers, 0 .. 100
    satisfied: int
    total: int


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    answered: int
    buckets: list[Bucket]  # empty for text
    nps: Nps | None = None
    csat: Csat | None = None
    mean: float | None = None  # scale
    texts: list[tuple[int, str]] | None = None  # (response id, text)


@dataclass(frozen=True)
class Headline:
    label: str  # "NPS", "CSAT", "Responses"
    value: int
    unit: str  # "" or "%"

    def text(self) -> str:
        return f"{self.label} {self.value}{self.unit}"


def _percent(part: int, whole: int) -> float:
    return part * 100 / whole if whole else 0.0


def nps(values: Iterable[int]) -> Nps:
    """% promoters (9-10) minus % detractors (0-6), rounded half away from zero."""
    scores = list(values)
    promoters = sum(1 for v in scores if v >= 9)
    detractors = sum(1 for v in scores if v <= 6)
    passives = len(scores) - promoters - detractors
    raw = _percent(promoters, len(scores)) - _percent(detractors, len(scores))
    score = int(abs(raw) + 0.5) * (1 if raw >= 0 else -1)
    return Nps(score, promoters, passives, detractors, len(scores))


def csat(values: Iterable[int]) -> Csat:
    """The share of 4 and 5 answers on the 1-5 scale, in whole percent."""
    scores = list(values)
    satisfied = sum(1 for v in scores if v >= 4)
    return Csat(int(_percent(satisfied, len(scores)) + 0.5), satisfied, len(scores))


def value_labels(question: Question) -> list[tuple[int, str]]:
    """(stored value, label) for the answers a question offers, in order."""
    if question.kind == "nps":
        return [(v, str(v)) for v in range(11)]
    if question.kind == "csat":
        return [(v, f"{v} · {CSAT_LABELS[v - 1]}") for v in range(1, 6)]
    if question.kind == "scale":
        return [(v, f"{v} · {SCALE_LABELS[v - 1]}") for v in range(1, 6)]
    if question.kind == "choice":
        return list(enumerate(question.options))
    return []


def question_result(question: Question, answers: Sequence[tuple[int, Any]]) -> QuestionResult:
    """One question's figures from (response id, answer) pairs of those who answered it."""
    if question.kind == "text":
        texts = [(rid, str(a)) for rid, a in answers if str(a).strip()]
        return QuestionResult(question, len(texts), [], texts=texts)
    counts: Counter[int] = Counter()
    for _rid, answer in answers:
        if isinstance(answer, list):
            counts.update(int(v) for v in answer)
        else:
            counts[int(answer)] += 1
    buckets = [Bucket(label, counts.get(value, 0)) for value, label in value_labels(question)]
    numbers = [int(a) for _r, a in answers if not isinstance(a, list)]
    return QuestionResult(
        question,
        len(answers),
        buckets,
        nps=nps(numbers) if question.kind == "nps" else None,
        csat=csat(numbers) if question.kind == "csat" else None,
        mean=(sum(numbers) / len(numbers)) if question.kind == "scale" and numbers else None,
    )


def headline(results: Sequence[QuestionResult], responses: int) -> Headline:
    """The figure a survey is known by: its first NPS, else its first CSAT, else responses."""
    for result in results:
        if result.nps is not None and result.nps.total:
            return Headline("NPS", result.nps.score, "")
    for result in results:
        if result.csat is not None and result.csat.total:
            return Headline("CSAT", result.csat.share, "%")
    return Headline("Responses", responses, "")


def comparison(current: Headline, previous: Headline | None) -> str | None:
    """'NPS 32 → 41 (+9)' against the previous round, when both measure the same thing."""
    if previous is None or previous.label != current.label:
        return None
    delta = current.value - previous.value
    sign = "+" if delta > 0 else ("±" if delta == 0 else "−")
    return (
        f"{current.label} {previous.value}{previous.unit} → {current.value}{current.unit} "
        f"({sign}{abs(delta)})"
    )


def response_rate(responses: int, audience: int | None) -> int | None:
    """Whole percent of the audience (the server's members) who responded."""
    if not audience:
        return None
    return int(_percent(responses, audience) + 0.5)
