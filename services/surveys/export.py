"""/survey export: one row per response, as CSV or JSON.

An anonymous survey's export holds response numbers only: no member ids, no hashes
and no times (the storage never had ids, and the hashes are gone after the close).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from services.surveys.results import value_labels
from storage.surveys import Question, Response, Survey


def _label(question: Question, value: Any) -> Any:
    if question.kind == "text":
        return value
    labels = dict(value_labels(question))
    if question.kind == "choice":
        return [labels.get(v, str(v)) for v in (value if isinstance(value, list) else [value])]
    return value


def rows(survey: Survey, questions: list[Question], responses: list[Response]) -> list[dict]:
    out: list[dict[str, Any]] = []
    for number, response in enumerate(responses, start=1):
        row: dict[str, Any] = {"response": number}
        if not survey.anonymous:
            row["member_id"] = str(response.member_id)
            row["submitted_at"] = (
                response.submitted_at.isoformat() if response.submitted_at else None
            )
        for q in questions:
            value = response.answers.get(q.position)
            row[f"q{q.position}"] = None if value is None else _label(q, value)
        out.append(row)
    return out


def export_text(
    survey: Survey, questions: list[Question], responses: list[Response], fmt: str
) -> str:
    data = rows(survey, questions, responses)
    if fmt == "json":
        return json.dumps(
            {
                "survey": {
                    "id": survey.id,
                    "title": survey.title,
                    "round": survey.round,
                    "anonymous": survey.anonymous,
                    "status": survey.status,
                    "closed_at": survey.closed_at.isoformat() if survey.closed_at else None,
                },
                "questions": [
                    {
                        "id": f"q{q.position}",
                        "kind": q.kind,
                        "prompt": q.prompt,
                        "options": q.options,
                        "multi": q.multi,
                    }
                    for q in questions
                ],
                "responses": data,
            },
            ensure_ascii=False,
            indent=2,
        )
    buffer = io.StringIO()
    header = ["response"] + ([] if survey.anonymous else ["member_id", "submitted_at"])
    header += [f"q{q.position}" for q in questions]
    writer = csv.DictWriter(buffer, fieldnames=header)
    writer.writeheader()
    for row in data:
        writer.writerow(
            {
                k: "; ".join(v) if isinstance(v, list) else ("" if v is None else v)
                for k, v in row.items()
            }
        )
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return "" if value is None else value
