"""`/report` (the monthly impact report) over 1 and 10 years of a 50,000-member guild's history.

Members join evenly over the history until there are 50,000; 1,000 of them are active each
day (activity counters), with three office-hours sessions a week (20k questions a year),
10k feedback items a year (with their moves to a status), one help post an hour, and a
daily announcement. Times MetricsService.report (every figure of the month and the month
before, programme reach included) and the CSV, median of the rounds; the PNG is drawn in the
chart worker process and not timed here. Also times `/stats retention` at its widest
(26 join weeks) with its CSV on the same history. Targets for both: < 500 ms, and
10 years <= 1.5x one year.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import CACHE, GUILD_ID, Result, fresh_copy, latency_stats, now_ns, remove_db
from bench.data import _announcement_rows, _cached, _feedback_rows, _office_hours_rows
from services.calls import CallsService
from services.guild_settings import GuildSettingsService
from services.hallway.service import HallwayService
from services.members import MembersService
from services.metrics.service import MAX_WEEKS, MetricsService
from services.office_hours import OfficeHoursService
from services.surveys.service import SurveyService
from storage.calls import CallsRepository
from storage.database import Database
from storage.guild_settings import GuildSettingsRepository
from storage.hallway import HallwayRepository
from storage.members import MemberSettingsRepository
from storage.metrics import MetricsRepository
from storage.office_hours.sessions import OfficeHoursRepository
from storage.surveys import SurveyRepository
from storage.timeutil import to_db

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
MEMBERS = 50_000
ACTIVE_PER_DAY = 1_000
TARGET_MS = 500.0
TARGET_RATIO = 1.5


class FixedClock:
    def now(self) -> datetime:
        return NOW


PROGRAMME_KEYS = ("office_hours_", "calls_", "surveys_", "hallway_", "announcements_")
HALLWAY_POOL = 400
SURVEY_RESPONSES = 300
ZONED_MEMBERS = 5_000
CALL_SLOTS = (("Europe", "Europe/Berlin", "17:00"), ("Americas", "America/New_York", "12:00"),
              ("APAC", "Asia/Tokyo", "10:00"))  # fmt: skip
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "Asia/Kolkata",
         "America/Los_Angeles", "America/Sao_Paulo", "Australia/Sydney")  # fmt: skip


def _hallway_rows(conn: sqlite3.Connection, rng: random.Random, start, scale: float) -> None:
    """A weekly round since the start: the pool paired off, and each group asked "did you
    meet?" four days later; most answer, half of those say yes."""
    pool = max(4, int(HALLWAY_POOL * scale))
    s = to_db(start)
    conn.execute(
        "INSERT INTO hallway_config (guild_id, channel_id, cadence, weekday, post_time, "
        "timezone, group_size, anchor, updated_at) VALUES (?, 77, 'weekly', 0, '10:00', "
        "'UTC', 2, ?, ?)",
        (GUILD_ID, s, s),
    )
    conn.executemany(
        "INSERT INTO hallway_members (guild_id, user_id, joined_at, updated_at) "
        "VALUES (?, ?, ?, ?)",
        [(GUILD_ID, 20_000 + u, s, s) for u in range(pool)],
    )
    rounds, groups, members = [], [], []
    moment, number, gid = start, 1, 1
    while moment < NOW - timedelta(days=1):
        at = to_db(moment)
        rounds.append((number, GUILD_ID, number, at, "done", pool, at, at))
        people = rng.sample(range(pool), pool)
        for i in range(0, pool - 1, 2):
            groups.append((gid, GUILD_ID, number, "created", 10**15 + gid, at, at))
            for user in people[i : i + 2]:
                asked = moment + timedelta(days=4, minutes=rng.randint(0, 2000))
                if rng.random() < 0.8 and asked < NOW:
                    answer, answered = rng.choice(("yes", "yes", "no", "not-yet")), to_db(asked)
                else:
                    answer, answered = None, None
                members.append((gid, GUILD_ID, 20_000 + user, answer, answered))
            gid += 1
        moment += timedelta(days=7)
        number += 1
    conn.executemany(
        "INSERT INTO hallway_rounds (id, guild_id, number, scheduled_for, status, pool_size, "
        "claimed_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rounds,
    )
    conn.executemany(
        "INSERT INTO hallway_groups (id, guild_id, round_id, status, thread_id, creating_at, "
        "delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        groups,
    )
    conn.executemany(
        "INSERT INTO hallway_group_members (group_id, guild_id, user_id, answer, answered_at) "
        "VALUES (?, ?, ?, ?, ?)",
        members,
    )


def _survey_rows(conn: sqlite3.Connection, rng: random.Random, start, scale: float) -> None:
    """Each month a survey (NPS and CSAT, attributed, a round of the month before's) open
    for two weeks, and a four-option poll."""
    responses = max(5, int(SURVEY_RESPONSES * scale))
    surveys, questions, rows, answers, counts = [], [], [], [], []
    moment, sid, rid, previous = start, 1, 1, None
    while moment + timedelta(days=15) < NOW:
        opened, closed = to_db(moment), to_db(moment + timedelta(days=14))
        surveys.append((sid, GUILD_ID, "survey", "Developer experience", "closed", closed,
                        "UTC", opened, opened, closed, previous, sid // 2 + 1))  # fmt: skip
        questions += [(GUILD_ID, sid, 1, "nps", "How likely are you to recommend us?", "[]"),
                      (GUILD_ID, sid, 2, "csat", "Happy with the docs?", "[]")]  # fmt: skip
        for member in rng.sample(range(MEMBERS), responses):
            rows.append((rid, GUILD_ID, sid, 20_000 + member, 1, closed, closed))
            answers += [(GUILD_ID, rid, 1, str(rng.randint(0, 10))),
                        (GUILD_ID, rid, 2, str(rng.randint(1, 5)))]  # fmt: skip
            rid += 1
        previous = sid
        sid += 1
        surveys.append((sid, GUILD_ID, "poll", "Which SDK next?", "closed", closed, "UTC",
                        opened, opened, closed, None, 1))  # fmt: skip
        questions.append((GUILD_ID, sid, 1, "choice", "Which SDK next?",
                          '["Go", "Rust", "Swift", "Kotlin"]'))  # fmt: skip
        counts += [(GUILD_ID, sid, p, rng.randint(0, responses)) for p in range(1, 5)]
        sid += 1
        moment = _next_month(moment)
    conn.executemany(
        "INSERT INTO surveys (id, guild_id, kind, title, status, closes_at, zone, created_at, "
        "opened_at, closed_at, previous_id, round, author_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 42)",
        surveys,
    )
    conn.executemany(
        "INSERT INTO survey_questions (guild_id, survey_id, position, kind, prompt, options) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        questions,
    )
    conn.executemany(
        "INSERT INTO survey_responses (id, guild_id, survey_id, member_id, submitted, "
        "submitted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.executemany("INSERT INTO survey_answers VALUES (?, ?, ?, ?)", answers)
    conn.executemany("INSERT INTO survey_poll_counts VALUES (?, ?, ?, ?)", counts)


def _next_month(moment: datetime) -> datetime:
    year, month = divmod(moment.month, 12)
    return moment.replace(year=moment.year + year, month=month + 1, day=1)


def _call_rows(conn: sqlite3.Connection, rng: random.Random, start, scale: float) -> None:
    """A weekly regional call rotating over three slots since the start, with its
    attendance; and the members whose zone its coverage is counted over."""
    s = to_db(start)
    conn.execute(
        "INSERT INTO call_series (id, guild_id, title, cadence, mode, duration_minutes, "
        "anchor, created_at) VALUES (1, ?, 'Community call', 'weekly', 'rotating', 60, ?, ?)",
        (GUILD_ID, (start - timedelta(days=start.weekday())).date().isoformat(), s),
    )
    conn.executemany(
        "INSERT INTO call_slots (id, guild_id, series_id, name, weekday, local_time, zone, "
        "created_at) VALUES (?, ?, 1, ?, 2, ?, ?, ?)",
        [(i + 1, GUILD_ID, name, at, zone, s) for i, (name, zone, at) in enumerate(CALL_SLOTS)],
    )
    occurrences, moment, cycle = [], start, 0
    while moment < NOW:
        slot = cycle % len(CALL_SLOTS)
        occurrences.append(
            (GUILD_ID, slot + 1, CALL_SLOTS[slot][0], cycle, to_db(moment),
             rng.randint(5, 80), rng.randint(3, 60), s)
        )  # fmt: skip
        moment += timedelta(days=7)
        cycle += 1
    conn.executemany(
        "INSERT INTO call_occurrences (guild_id, series_id, slot_id, slot_name, cycle, "
        "starts_at, interested, present_peak, created_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)",
        occurrences,
    )
    conn.executemany(
        "INSERT INTO member_settings (guild_id, user_id, timezone, updated_at) "
        "VALUES (?, ?, ?, ?)",
        [(GUILD_ID, 20_000 + u, ZONES[u % len(ZONES)], s)
         for u in range(int(ZONED_MEMBERS * scale))],
    )  # fmt: skip


def _metrics(db: Database) -> MetricsService:
    """MetricsService with each programme's figures read through its own service, as
    bot.py wires them for the report."""
    clock = FixedClock()
    settings = GuildSettingsService(GuildSettingsRepository(db), clock, "UTC")  # type: ignore[arg-type]
    members = MembersService(MemberSettingsRepository(db), clock)  # type: ignore[arg-type]
    service = MetricsService(MetricsRepository(db), clock)  # type: ignore[arg-type]
    service.programmes.update(
        office_hours=OfficeHoursService(OfficeHoursRepository(db), settings, clock).digest_figures,  # type: ignore[arg-type]
        calls=CallsService(CallsRepository(db), clock, zones=members.zones).digest_figures,  # type: ignore[arg-type]
        surveys=SurveyService(SurveyRepository(db), settings, clock).digest_figures,  # type: ignore[arg-type]
        hallway=HallwayService(
            HallwayRepository(db), clock, zone_of=members.zone_of, zones=members.zones,  # type: ignore[arg-type]
            set_zone=members.set_zone, guild_zone=settings.zone_name,
        ).digest_figures,
    )  # fmt: skip
    return service


def _report_db(years: int, scale: float):
    def fill(conn: sqlite3.Connection) -> None:
        rng = random.Random(years)
        start = NOW - timedelta(days=365 * years)
        members = int(MEMBERS * scale)
        span = (NOW - start).total_seconds()
        joined = [start + timedelta(seconds=span * i / members) for i in range(members)]
        conn.executemany(
            "INSERT INTO member_milestones (guild_id, user_id, joined_at, first_message_at) "
            "VALUES (?, ?, ?, ?)",
            [
                (GUILD_ID, 20_000 + i, to_db(at), to_db(at + timedelta(hours=5)) if i % 2 else None)
                for i, at in enumerate(joined)
            ],
        )
        active = max(10, int(ACTIVE_PER_DAY * scale))
        day, rows, channels, guild_days = start.date(), [], [], []
        while day <= NOW.date():
            d = day.isoformat()
            # Members who joined by that day.
            present = max(active, int(members * (day - start.date()).days * 86400 / span))
            rows.extend(
                (GUILD_ID, d, 20_000 + u, rng.randint(1, 20))
                for u in rng.sample(range(min(present, members)), active)
            )
            channels.extend((GUILD_ID, d, 100 + c, rng.randint(0, 80)) for c in range(20))
            guild_days.append((GUILD_ID, d, rng.randint(0, 30), rng.randint(0, 10)))
            if len(rows) > 200_000:
                conn.executemany("INSERT INTO activity_member_day VALUES (?, ?, ?, ?)", rows)
                rows = []
            day += timedelta(days=1)
        conn.executemany("INSERT INTO activity_member_day VALUES (?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO activity_channel_day (guild_id, day, channel_id, messages) "
            "VALUES (?, ?, ?, ?)",
            channels,
        )
        conn.executemany(
            "INSERT INTO activity_guild_day (guild_id, day, joins, leaves) VALUES (?, ?, ?, ?)",
            guild_days,
        )
        _office_hours_rows(conn, rng, start, NOW, years, scale)
        _announcement_rows(conn, rng, start, NOW)
        _feedback_rows(
            conn, guild_id=GUILD_ID, count=int(10_000 * scale) * years, start=start,
            end=NOW - timedelta(minutes=5), seed=7, with_terms=False,
        )  # fmt: skip
        posts, moment, pid = [], start, 1
        while moment < NOW:
            answered = moment + timedelta(minutes=rng.randint(5, 3000))
            posts.append(
                (GUILD_ID, 55, 10**17 + pid, 20_000 + rng.randrange(members), to_db(moment),
                 to_db(answered) if answered < NOW else None, to_db(moment), to_db(moment))
            )  # fmt: skip
            pid += 1
            moment += timedelta(hours=1)
        conn.executemany(
            "INSERT INTO help_posts (guild_id, channel_id, message_id, author_id, posted_at, "
            "answered_at, nudge_due_at, escalate_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            posts,
        )
        _hallway_rows(conn, rng, start, scale)
        _survey_rows(conn, rng, start, scale)
        _call_rows(conn, rng, start, scale)

    tag = f"{scale:g}".replace(".", "_")
    # "p2": the rows of the programmes (hallway, surveys, calls) are in it.
    return _cached(f"report-p2-{years}y-x{tag}", fill)


async def _one(path, rounds: int) -> dict[str, Any]:
    db = Database(path)
    await db.open()
    try:
        service = _metrics(db)
        samples, retention, figures, reach = [], [], 0, {}
        for _ in range(rounds):
            start = now_ns()
            report = await service.report(GUILD_ID, None)
            service.report_csv(report)
            samples.append(now_ns() - start)
            figures = len(report.figures)
            # What each programme counted this month: a figure left out means its
            # reader saw nothing, which would make the timing too kind.
            reach = {f.key: f.value for f in report.figures if f.key.startswith(PROGRAMME_KEYS)}
            # /stats retention at its widest (26 join weeks) with its CSV; the heat-map
            # PNG is drawn in the chart worker and not timed, as for the report.
            start = now_ns()
            service.retention_csv(await service.retention(GUILD_ID, MAX_WEEKS))
            retention.append(now_ns() - start)
        return {
            "time": latency_stats(samples),
            "retention": latency_stats(retention),
            "figures": figures,
            "reach": reach,
        }
    finally:
        await db.close()


async def _run(quick: bool) -> Result:
    scale = 0.1 if quick else 1.0
    rounds = 3 if quick else 7
    found: dict[int, dict[str, Any]] = {}
    for years in (1, 10):
        began = time.perf_counter()
        template = await asyncio.to_thread(_report_db, years, scale)
        print(f"  report database, {years} y: ready in {time.perf_counter() - began:.1f} s")
        work = fresh_copy(template, CACHE / f"report-{years}.db")
        try:
            found[years] = await _one(work, rounds)
        finally:
            remove_db(work)
        f = found[years]
        print(f"  /report, {years} y: p50 {f['time']['p50_ms']:.1f} ms, max "
              f"{f['time']['max_ms']:.1f} ms ({f['figures']} figures); /stats retention "
              f"weeks:{MAX_WEEKS}: p50 {f['retention']['p50_ms']:.1f} ms")  # fmt: skip
        print(f"  programme reach, {years} y: {f['reach']}")
    ten, one = found[10]["time"]["p50_ms"], found[1]["time"]["p50_ms"]
    ratio = round(ten / one, 2)
    r_ten, r_one = found[10]["retention"]["p50_ms"], found[1]["retention"]["p50_ms"]
    r_ratio = round(r_ten / r_one, 2)
    r_met = r_ten < TARGET_MS and r_ratio <= TARGET_RATIO
    return Result(
        key="report",
        name="/report (monthly impact report), 10 years of a 50,000-member guild",
        value=ten,
        unit="ms",
        baseline=one,
        baseline_name="the same after 1 year (p50)",
        ratio=ratio,
        ratio_name="10 y / 1 y",
        target=f"< {TARGET_MS:g} ms, 10 y <= {TARGET_RATIO:g}x 1 y",
        met=ten < TARGET_MS and ratio <= TARGET_RATIO and r_met,
        details={
            "scale": scale,
            "rounds": rounds,
            "one_year": found[1],
            "ten_years": found[10],
            "table_rows": [
                (
                    f"  /stats retention weeks:{MAX_WEEKS} + CSV, 10 y (p50)",
                    f"{r_ten:.1f} ms",
                    f"{r_one:.1f} ms (1 y)",
                    f"{r_ratio:g}",
                    f"< {TARGET_MS:g} ms, 10 y <= {TARGET_RATIO:g}x 1 y",
                    "yes" if r_met else "NO",
                )
            ],
        },
    )


def run(quick: bool) -> Result:
    return asyncio.run(_run(quick))
