"""Generated databases, filled with executemany straight into Hallway's tables.

Each generator migrates a new file with the real ``Database.migrate`` (so the schema is the
shipped one), fills it with plain ``sqlite3`` executemany in one transaction, and caches the
result under ``CACHE`` keyed by its parameters. Benchmarks copy the cached file before use.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from bench.common import CACHE, GUILD_ID, messages, remove_db, schema_key, summary_of
from services.tagging import similarity
from services.tagging.tagger import Tagger
from services.tagging.taxonomy import load_taxonomy
from storage.database import Database
from storage.timeutil import to_db

log = logging.getLogger(__name__)

STATUSES = ["new"] * 6 + ["acknowledged", "planned", "in-progress", "shipped", "declined"]


async def _migrate(path: Path) -> None:
    async with Database(path) as db:
        await db.migrate()


def _cached(name: str, fill: Callable[[sqlite3.Connection], None]) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}-{schema_key()}.db"
    if path.exists():
        return path
    # Copies for an older schema are never used again, and the large ones take 1 GB.
    for stale in CACHE.glob(f"{name}-*.db"):
        stale.unlink()
    log.warning("generating %s (cached for later runs)", path.name)
    tmp = path.with_suffix(".tmp")
    remove_db(tmp)
    _migrate_sync(tmp)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        fill(conn)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    tmp.rename(path)
    return path


def _migrate_sync(path: Path) -> None:
    # Callers may be inside a running loop: migrate on a helper thread with its own loop.
    import threading

    error: list[BaseException] = []

    def work() -> None:
        try:
            asyncio.run(_migrate(path))
        except BaseException as exc:  # re-raised in the caller's thread
            error.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if error:
        raise error[0]


# --------------------------------------------------------------------------- feedback


def _feedback_rows(
    conn: sqlite3.Connection,
    *,
    guild_id: int,
    count: int,
    start: datetime,
    end: datetime,
    seed: int,
    with_terms: bool,
    first_id: int = 1,
    spread_over: list[int] | None = None,
) -> None:
    """``count`` items created between start and end, with every row capture writes
    (in ``guild_id``, or shared evenly by the guilds of ``spread_over``).

    Rows the schema's triggers derive (reporter, first vote, history, index counts) are left
    to them.
    """
    rng = random.Random(seed)
    tagger = Tagger(load_taxonomy())
    span = (end - start).total_seconds()
    # Items in contiguous blocks, one block per guild, when spread over several.
    owners = spread_over or [guild_id]
    # The same few hundred texts over and over would make dedupe look cheaper (and the
    # term index smaller) than a real guild's: every text is a variant.
    texts = messages(count, seed=seed)
    rows: dict[str, list[tuple]] = {k: [] for k in _FEEDBACK_SQL}
    stamps = sorted(start + timedelta(seconds=rng.random() * span) for _ in range(count))
    for n, (text, created) in enumerate(zip(texts, stamps, strict=True)):
        item_id = first_id + n
        status = rng.choice(STATUSES)
        reporter = 1_000 + rng.randrange(20_000)
        stamp = to_db(created)
        guild_id = owners[n * len(owners) // count]
        nvotes = int(rng.paretovariate(2.0))
        summary = summary_of(text)
        rows["items"].append(
            (item_id, guild_id, summary, text, status, "command", reporter, f"member {reporter}",
             reporter, nvotes, stamp, stamp)
        )  # fmt: skip
        result = tagger.tag(text)
        rows["tags"].extend((item_id, guild_id, t, result.scores[t], "rule") for t in result.tags)
        rows["votes"].extend(
            (item_id, guild_id, reporter + k + 1, stamp) for k in range(nvotes - 1)
        )
        if status != "new":
            later = to_db(created + timedelta(days=rng.randint(1, 20)))
            rows["history"].append((item_id, guild_id, status, 5, "", later))
        if with_terms:
            tf = similarity.terms(f"{summary}\n{text}")
            rows["terms"].extend((guild_id, item_id, t, k) for t, k in tf.items())
        if len(rows["items"]) >= 50_000:
            _flush(conn, rows)
    _flush(conn, rows)


_FEEDBACK_SQL = {
    "items": "INSERT INTO feedback_items (id, guild_id, summary, details, status, source, "
    "reporter_id, reporter_name, captured_by_id, votes, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "tags": "INSERT INTO feedback_tags (item_id, guild_id, tag, score, source) "
    "VALUES (?, ?, ?, ?, ?)",
    "votes": "INSERT OR IGNORE INTO feedback_votes (item_id, guild_id, user_id, created_at) "
    "VALUES (?, ?, ?, ?)",
    "history": "INSERT INTO feedback_history (item_id, guild_id, status, actor_id, note, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
    "terms": "INSERT INTO feedback_terms (guild_id, item_id, term, tf) VALUES (?, ?, ?, ?)",
}


def _flush(conn: sqlite3.Connection, rows: dict[str, list[tuple]]) -> None:
    # Items first: the other tables reference them (and their triggers fire on them).
    for key, sql in _FEEDBACK_SQL.items():
        if rows[key]:
            conn.executemany(sql, rows[key])
        rows[key].clear()


def feedback_db(items: int, *, now: datetime) -> Path:
    """A guild holding ``items`` feedback items over the year before ``now``, fully indexed."""

    def fill(conn: sqlite3.Connection) -> None:
        _feedback_rows(
            conn,
            guild_id=GUILD_ID,
            count=items,
            start=now - timedelta(days=365),
            end=now - timedelta(hours=1),
            seed=7,
            with_terms=True,
        )

    return _cached(f"feedback-{items}-{now:%Y%m%d}", fill)


# --------------------------------------------------------------------------- digest history


def history_db(years: int, *, now: datetime, scale: float = 1.0) -> Path:
    """``years`` of a busy guild's history up to ``now``: feedback, office hours, activity.

    Per year: 100k feedback items, 20k office-hours questions over 156 sessions, 365 days of
    counters for 50 channels and ~300 active members a day, and 365 announcement posts.
    ``scale`` shrinks every count (the --quick run).
    """

    def fill(conn: sqlite3.Connection) -> None:
        rng = random.Random(years)
        start = now - timedelta(days=365 * years)
        per_year_items = int(100_000 * scale)
        _feedback_rows(
            conn,
            guild_id=GUILD_ID,
            count=per_year_items * years,
            start=start,
            end=now - timedelta(minutes=5),
            seed=11,
            with_terms=False,
        )
        _office_hours_rows(conn, rng, start, now, years, scale)
        _activity_rows(conn, rng, start, now, scale)
        _announcement_rows(conn, rng, start, now)

    tag = f"{scale:g}".replace(".", "_")
    return _cached(f"history-{years}y-x{tag}-{now:%Y%m%d}", fill)


def _office_hours_rows(conn, rng, start, now, years, scale) -> None:
    sessions_per_year = 156  # three a week
    per_session = max(1, int(20_000 * scale) // sessions_per_year)
    sessions, questions = [], []
    qid = 1
    total = sessions_per_year * years
    for sid in range(1, total + 1):
        starts = start + timedelta(days=sid * 365 * years / total)
        if starts >= now - timedelta(hours=2):
            break
        ends = starts + timedelta(hours=1)
        s, e = to_db(starts), to_db(ends)
        sessions.append(
            (sid, GUILD_ID, 1, "Weekly office hours", 42, s, e, "UTC", "weekly", to_db(start),
             7, "ended", s, e, s)
        )  # fmt: skip
        for k in range(per_session):
            asked = starts + timedelta(seconds=rng.randint(0, 3000))
            taken = asked + timedelta(seconds=rng.randint(10, 600))
            outcome = rng.choice(["answered"] * 6 + ["skipped", "withdrawn", "carried"])
            questions.append(
                (qid, GUILD_ID, sid, 10_000 + rng.randrange(5_000), f"question {qid}",
                 to_db(asked), 1, k, to_db(taken), to_db(taken + timedelta(minutes=4)),
                 outcome, 42)
            )  # fmt: skip
            qid += 1
    conn.executemany(
        "INSERT INTO oh_sessions (id, guild_id, series_id, title, host_id, starts_at, ends_at, "
        "zone, repeat_spec, series_anchor, text_channel_id, status, started_at, ended_at, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        sessions,
    )
    conn.executemany(
        "INSERT INTO oh_questions (id, guild_id, session_id, user_id, question, asked_at, "
        "priority, queue_key, taken_at, finished_at, outcome, host_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        questions,
    )


def _activity_rows(conn, rng, start, now, scale) -> None:
    channels, members, guild_days = [], [], []
    day = start.date()
    active = max(10, int(300 * scale))
    while day <= now.date():
        d = day.isoformat()
        channels.extend((GUILD_ID, d, 100 + c, rng.randint(0, 80)) for c in range(50))
        members.extend(
            (GUILD_ID, d, u, rng.randint(1, 20))
            for u in rng.sample(range(20_000, 20_000 + 10 * active), active)
        )
        guild_days.append((GUILD_ID, d, rng.randint(0, 30), rng.randint(0, 10)))
        day += timedelta(days=1)
    conn.executemany(
        "INSERT INTO activity_channel_day (guild_id, day, channel_id, messages) "
        "VALUES (?, ?, ?, ?)",
        channels,
    )
    conn.executemany(
        "INSERT INTO activity_member_day (guild_id, day, user_id, messages) VALUES (?, ?, ?, ?)",
        members,
    )
    conn.executemany(
        "INSERT INTO activity_guild_day (guild_id, day, joins, leaves) VALUES (?, ?, ?, ?)",
        guild_days,
    )


def _announcement_rows(conn, rng, start, now) -> None:
    conn.execute(
        "INSERT INTO announcements (id, guild_id, author_id, channel_id, channel_kind, title, "
        "body, repeat_spec, zone, anchor, next_run_at, status, created_at, updated_at) "
        "VALUES (1, ?, 42, 7, 'text', 'Daily tip', 'A tip', 'daily', 'UTC', ?, ?, "
        "'scheduled', ?, ?)",
        (GUILD_ID, to_db(start), to_db(now + timedelta(hours=3)), to_db(start), to_db(start)),
    )
    deliveries = []
    moment = start
    while moment < now - timedelta(days=1):
        stamp = to_db(moment)
        deliveries.append(
            (1, GUILD_ID, stamp, "sent", 1, stamp, stamp, rng.randint(10**17, 10**18), 7,
             rng.randint(0, 40), stamp)
        )  # fmt: skip
        moment += timedelta(days=1)
    conn.executemany(
        "INSERT INTO announcement_deliveries (announcement_id, guild_id, scheduled_for, status, "
        "attempts, claimed_at, sent_at, message_id, channel_id, reactions, "
        "reactions_recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        deliveries,
    )


# --------------------------------------------------------------------------- many guilds


def guilds_db(
    guilds: list[tuple[int, int]],
    *,
    now: datetime,
    items: int = 200,
    announcements: int = 10,
    series: int = 2,
) -> Path:
    """What each of many guilds holds (issue 20's "many guilds"): settings, a weekly digest,
    ``series`` weekly office-hours series, ``announcements`` recurring announcements and
    ``items`` feedback items, fully indexed. ``guilds`` are (guild id, channel id) pairs of a
    SimCord world, whose ids are the same on every run that builds the same world."""
    key = hashlib.sha256(repr(guilds).encode()).hexdigest()[:10]

    def fill(conn: sqlite3.Connection) -> None:
        rng = random.Random(11)
        stamp = to_db(now)
        zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
        monday = now + timedelta(days=(7 - now.weekday()) % 7 or 7)
        digest_at = to_db(monday.replace(hour=9, minute=0, second=0, microsecond=0))
        settings, oh, digests, anns, sessions = [], [], [], [], []
        for gid, channel in guilds:
            zone = rng.choice(zones)
            settings.append((gid, zone, channel, channel, channel, channel, stamp))
            oh.append((gid, stamp))
            digests.append((gid, channel, zone, digest_at, stamp))
            for _ in range(announcements):
                due = now + timedelta(minutes=rng.randint(60, 60 * 24 * 30))
                anns.append(
                    (gid, 42, channel, "Community update", "Hello " * 20,
                     rng.choice(["daily", "weekly", "monthly"]), zone, to_db(due), to_db(due),
                     stamp, stamp)
                )  # fmt: skip
            for s in range(series):
                starts = now + timedelta(hours=rng.randint(2, 24 * 7))
                sessions.append(
                    (gid, len(sessions) + 1, f"Office hours {s + 1}", 42, to_db(starts),
                     to_db(starts + timedelta(hours=1)), zone, "weekly", to_db(starts), channel,
                     stamp)
                )  # fmt: skip
        conn.executemany(
            "INSERT INTO guild_settings (guild_id, timezone, office_hours_channel_id, "
            "announcements_channel_id, digest_channel_id, feedback_channel_id, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            settings,
        )
        conn.executemany("INSERT INTO oh_settings (guild_id, updated_at) VALUES (?, ?)", oh)
        conn.executemany(
            "INSERT INTO digest_config (guild_id, channel_id, timezone, next_run_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?)",
            digests,
        )
        conn.executemany(
            "INSERT INTO announcements (guild_id, author_id, channel_id, channel_kind, title, "
            "body, repeat_spec, zone, anchor, next_run_at, status, created_at, updated_at) "
            "VALUES (?, ?, ?, 'text', ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?)",
            anns,
        )
        conn.executemany(
            "INSERT INTO oh_sessions (guild_id, series_id, title, host_id, starts_at, ends_at, "
            "zone, repeat_spec, series_anchor, text_channel_id, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?)",
            sessions,
        )
        _feedback_rows(
            conn,
            guild_id=guilds[0][0],
            count=items * len(guilds),
            start=now - timedelta(days=365),
            end=now - timedelta(hours=1),
            seed=13,
            with_terms=True,
            spread_over=[gid for gid, _ in guilds],
        )

    return _cached(f"guilds-{len(guilds)}-{key}-{now:%Y%m%d}", fill)


# --------------------------------------------------------------------------- start-up


def schedules_db(announcements: int, series: int, *, now: datetime, guilds: int = 20) -> Path:
    """Active announcements and recurring office-hours sessions, spread over ``guilds``."""

    def fill(conn: sqlite3.Connection) -> None:
        rng = random.Random(5)
        stamp = to_db(now)
        repeats = ["none", "daily", "weekdays", "weekly", "every-2-weeks", "monthly"]
        zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
        rows = []
        for n in range(1, announcements + 1):
            due = now + timedelta(minutes=rng.randint(5, 60 * 24 * 60))
            rows.append(
                (n, GUILD_ID + n % guilds, 42, 7, "text", f"Announcement {n}", "Hello " * 20,
                 rng.choice(repeats), rng.choice(zones), to_db(due), to_db(due), "scheduled",
                 stamp, stamp)
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO announcements (id, guild_id, author_id, channel_id, channel_kind, title, "
            "body, repeat_spec, zone, anchor, next_run_at, status, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        sessions = []
        for n in range(1, series + 1):
            starts = now + timedelta(hours=rng.randint(2, 24 * 14))
            sessions.append(
                (n, GUILD_ID + n % guilds, n, f"Office hours {n}", 42, to_db(starts),
                 to_db(starts + timedelta(hours=1)), rng.choice(zones),
                 rng.choice(["weekly", "every-2-weeks", "daily", "weekdays"]), to_db(starts),
                 7, "scheduled", stamp)
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO oh_sessions (id, guild_id, series_id, title, host_id, starts_at, "
            "ends_at, zone, repeat_spec, series_anchor, text_channel_id, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            sessions,
        )
        conn.executemany(
            "INSERT INTO oh_settings (guild_id, updated_at) VALUES (?, ?)",
            [(GUILD_ID + g, stamp) for g in range(guilds)],
        )

    return _cached(f"schedules-{announcements}-{series}-{now:%Y%m%d}", fill)
