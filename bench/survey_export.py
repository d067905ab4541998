"""`/survey export` of a survey left open for 10 years (issue 20: every answer that grows with
history, measured at 10 years).

An onboarding survey answered by about 14 new members a day: 5,000 responses a year,
50,000 after 10 years, each with six answers (NPS, CSAT, a scale, a choice, two texts).
Times SurveyService.export_file (the database read in the event loop, the file built and
zipped in a worker thread) and records how late the event loop answers meanwhile, against the
same survey after one year. The Discord upload is the commands bench's, not timed here.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import CACHE, GUILD_ID, Result, fresh_copy, latency_stats, remove_db
from bench.data import _cached
from bench.scale import timed_with_lag
from services.surveys.service import SurveyService
from storage.database import Database
from storage.surveys import SurveyRepository
from storage.timeutil import to_db

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PER_YEAR = 5_000
SURVEY = 1
UNBOOSTED_LIMIT = 10 * 1024 * 1024
TARGET_LAG_MS = 100.0
QUESTIONS = [
    ("nps", "How likely are you to recommend us?", []),
    ("csat", "How happy are you with the docs?", []),
    ("scale", "How hard was the first install?", []),
    ("choice", "Where did you hear about us?", ["Search", "A friend", "A talk", "Social"]),
    ("text", "What almost made you give up?", []),
    ("text", "What should we build next?", []),
]
# Words for the free-text answers: their length, not their meaning, is what costs.
_WORDS = [
    "the",
    "install",
    "guide",
    "skipped",
    "a",
    "step",
    "so",
    "I",
    "asked",
    "in",
    "the",
    "forum",
    "and",
    "got",
    "an",
    "answer",
]


def _survey_db(years: int, scale: float):
    def fill(conn: sqlite3.Connection) -> None:
        rng = random.Random(years)
        start = NOW - timedelta(days=365 * years)
        conn.execute(
            "INSERT INTO surveys (id, guild_id, kind, title, status, zone, author_id, "
            "created_at, opened_at) VALUES (?, ?, 'survey', 'Onboarding', 'open', 'UTC', 1, ?, ?)",
            (SURVEY, GUILD_ID, to_db(start), to_db(start)),
        )
        conn.executemany(
            "INSERT INTO survey_questions (guild_id, survey_id, position, kind, prompt, options) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (GUILD_ID, SURVEY, i, kind, prompt, json.dumps(options))
                for i, (kind, prompt, options) in enumerate(QUESTIONS, 1)
            ],
        )
        total = int(PER_YEAR * years * scale)
        responses, answers = [], []
        for rid in range(1, total + 1):
            at = to_db(start + timedelta(seconds=rid * 365 * 86400 * years / total))
            responses.append((rid, GUILD_ID, SURVEY, 10_000 + rid, at, at))
            values = [
                rng.randint(0, 10),
                rng.randint(1, 5),
                rng.randint(1, 5),
                [rng.randrange(4)],
                " ".join(rng.choices(_WORDS, k=rng.randint(4, 30))),
                " ".join(rng.choices(_WORDS, k=rng.randint(4, 30))),
            ]
            answers.extend(
                (GUILD_ID, rid, i, json.dumps(v, ensure_ascii=False))
                for i, v in enumerate(values, 1)
            )
        conn.executemany(
            "INSERT INTO survey_responses (id, guild_id, survey_id, member_id, submitted, "
            "submitted_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
            responses,
        )
        conn.executemany(
            "INSERT INTO survey_answers (guild_id, response_id, position, value) "
            "VALUES (?, ?, ?, ?)",
            answers,
        )

    tag = f"{scale:g}".replace(".", "_")
    return _cached(f"survey-{years}y-x{tag}", fill)


async def _one(path, rounds: int) -> dict[str, Any]:
    db = Database(path)
    await db.open()
    try:
        # The export needs neither guild settings nor a tagger.
        service = SurveyService(SurveyRepository(db), None, None)  # type: ignore[arg-type]
        found: dict[str, Any] = {}
        for fmt in ("csv", "json"):
            samples, lag, (upload, count) = await timed_with_lag(
                lambda fmt=fmt: service.export_file(GUILD_ID, SURVEY, fmt), rounds
            )
            found[fmt] = {
                "responses": count,
                "time": latency_stats(samples),
                "loop_lag_max_ms": lag,
                "file": upload.filename,
                "bytes": len(upload.data),
                "fits_unboosted": len(upload.data) <= UNBOOSTED_LIMIT,
            }
        return found
    finally:
        await db.close()


async def _run(quick: bool) -> Result:
    scale = 0.1 if quick else 1.0
    rounds = 3 if quick else 5
    found: dict[int, dict[str, Any]] = {}
    for years in (1, 10):
        began = time.perf_counter()
        template = await asyncio.to_thread(_survey_db, years, scale)
        print(f"  survey database, {years} y: ready in {time.perf_counter() - began:.1f} s")
        work = fresh_copy(template, CACHE / f"survey-export-{years}.db")
        try:
            found[years] = await _one(work, rounds)
        finally:
            remove_db(work)
    for years, by_fmt in found.items():
        for fmt, f in by_fmt.items():
            print(
                f"  /survey export {fmt}, {years} y ({f['responses']:,} responses): p50 "
                f"{f['time']['p50_ms']:.0f} ms, max {f['time']['max_ms']:.0f} ms; loop lag max "
                f"{f['loop_lag_max_ms']:.0f} ms (median of rounds); {f['file']} "
                f"{f['bytes'] / 1024:,.0f} KiB, fits 10 MiB: {f['fits_unboosted']}"
            )
    ten, one = found[10]["csv"], found[1]["csv"]
    worst_lag = max(f["loop_lag_max_ms"] for f in found[10].values())
    return Result(
        key="survey_export",
        name="/survey export (csv), a survey open for 10 years",
        value=ten["time"]["p50_ms"],
        unit="ms",
        baseline=one["time"]["p50_ms"],
        baseline_name="the same after 1 year (p50)",
        ratio=round(ten["time"]["p50_ms"] / one["time"]["p50_ms"], 2),
        ratio_name="10 y / 1 y",
        target=f"loop lag < {TARGET_LAG_MS:g} ms, file fits 10 MiB",
        met=worst_lag < TARGET_LAG_MS and all(f["fits_unboosted"] for f in found[10].values()),
        details={"scale": scale, "rounds": rounds, "one_year": found[1], "ten_years": found[10]},
    )


def run(quick: bool) -> Result:
    return asyncio.run(_run(quick))
