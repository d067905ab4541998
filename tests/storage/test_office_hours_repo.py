"""The office-hours repository: schema, guild scoping, queue order and digest figures."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from storage.database import Database
from storage.office_hours.rows import NewSession, OfficeHoursFigures, OfficeHoursSettings
from storage.office_hours.sessions import OfficeHoursRepository

GUILD, OTHER = 1, 2
T0 = datetime(2026, 2, 2, 17, 0, tzinfo=UTC)


def new_session(guild_id: int = GUILD, start: datetime = T0, **extra: object) -> NewSession:
    values: dict = {
        "guild_id": guild_id,
        "title": "Office hours",
        "description": None,
        "host_id": 100,
        "starts_at": start,
        "ends_at": start + timedelta(hours=1),
        "zone": "Europe/Berlin",
        "repeat_spec": "weekly",
        "series_anchor": start,
        "location_channel_id": None,
        "location_kind": None,
        "text_channel_id": 50,
    }
    values.update(extra)
    return NewSession(**values)


@pytest.fixture
async def repo(tmp_path) -> AsyncIterator[OfficeHoursRepository]:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        yield OfficeHoursRepository(db)


async def test_session_round_trip_and_series_id(repo: OfficeHoursRepository) -> None:
    session = await repo.insert_session(new_session(event_id=7), T0)
    assert session.series_id == session.id and session.event_id == 7
    assert session.starts_at == T0 and session.starts_at.tzinfo is not None
    assert session.status == "scheduled" and session.duration == timedelta(hours=1)
    follow = await repo.insert_session(
        new_session(start=T0 + timedelta(days=7), series_id=session.id), T0
    )
    assert follow.series_id == session.id
    assert [s.id for s in await repo.series_sessions(GUILD, session.id)] == [session.id, follow.id]
    assert await repo.get_session(OTHER, session.id) is None  # scoped by guild
    assert await repo.mark_live(GUILD, session.id, T0)
    assert not await repo.mark_live(GUILD, session.id, T0)  # only once
    assert not await repo.mark_cancelled(GUILD, session.id, T0)  # live can't be cancelled
    assert await repo.mark_ended(GUILD, session.id, T0 + timedelta(minutes=50))
    assert (await repo.get_session(GUILD, session.id)).status == "ended"  # type: ignore[union-attr]


async def test_one_open_question_per_member_and_queue_order(repo: OfficeHoursRepository) -> None:
    session = await repo.insert_session(new_session(), T0)
    bob = await repo.questions.add_question(GUILD, session.id, 2, "bob?", T0)
    carol = await repo.questions.add_question(GUILD, session.id, 3, "carol?", T0)
    with pytest.raises(sqlite3.IntegrityError):
        await repo.questions.add_question(GUILD, session.id, 2, "bob again", T0)
    carried = await repo.questions.add_question(GUILD, session.id, 4, "old", T0, priority=0)
    assert [q.id for q in await repo.questions.waiting(GUILD, session.id)] == [
        carried.id,
        bob.id,
        carol.id,
    ]
    assert await repo.questions.requeue_at_end(GUILD, bob)
    assert [q.id for q in await repo.questions.waiting(GUILD, session.id)] == [
        carried.id,
        carol.id,
        bob.id,
    ]
    assert (await repo.questions.get_question(GUILD, bob.id)).skip_count == 1  # type: ignore[union-attr]
    assert await repo.questions.finish(GUILD, bob.id, "withdrawn", T0)
    assert not await repo.questions.finish(GUILD, bob.id, "answered", T0)  # closed stays closed
    # Once closed, the member may ask again.
    await repo.questions.add_question(GUILD, session.id, 2, "bob again", T0)
    assert await repo.questions.waiting(OTHER, session.id) == []


async def test_settings_defaults_and_save(repo: OfficeHoursRepository) -> None:
    assert await repo.get_settings(GUILD) == OfficeHoursSettings(
        GUILD, True, True, 10, (1440, 15), None
    )
    custom = OfficeHoursSettings(GUILD, False, True, 5, (), 9)
    await repo.save_settings(custom, T0)
    assert await repo.get_settings(GUILD) == custom
    assert await repo.get_settings(OTHER) == OfficeHoursSettings(OTHER)


async def test_reminder_claim_is_once_only(repo: OfficeHoursRepository) -> None:
    session = await repo.insert_session(new_session(), T0)
    assert await repo.claim_reminder(GUILD, session.id, 15, T0)
    assert not await repo.claim_reminder(GUILD, session.id, 15, T0)
    assert await repo.claim_reminder(GUILD, session.id, 1440, T0)


async def test_digest_figures_and_upcoming_between(repo: OfficeHoursRepository) -> None:
    held = await repo.insert_session(new_session(), T0)
    await repo.mark_live(GUILD, held.id, T0)
    q1 = await repo.questions.add_question(GUILD, held.id, 2, "a", T0 - timedelta(hours=1))
    q2 = await repo.questions.add_question(GUILD, held.id, 3, "b", T0 + timedelta(minutes=5))
    q3 = await repo.questions.add_question(GUILD, held.id, 4, "c", T0)
    await repo.questions.mark_taken(GUILD, q1.id, 101, T0 + timedelta(minutes=2))  # waited 2 min
    await repo.questions.finish(GUILD, q1.id, "answered", T0 + timedelta(minutes=10))
    await repo.questions.mark_taken(GUILD, q2.id, 100, T0 + timedelta(minutes=11))  # waited 6 min
    await repo.questions.finish(GUILD, q2.id, "skipped", T0 + timedelta(minutes=12))
    await repo.questions.finish(GUILD, q3.id, "carried", T0 + timedelta(minutes=60))
    await repo.mark_ended(GUILD, held.id, T0 + timedelta(minutes=60))
    nxt = await repo.insert_session(
        new_session(start=T0 + timedelta(days=7), series_id=held.id), T0
    )
    await repo.questions.add_question(GUILD, nxt.id, 4, "c", T0, priority=0, carried_from=q3.id)
    await repo.insert_session(new_session(OTHER), T0)

    week = (T0 - timedelta(days=1), T0 + timedelta(days=6))
    figures = await repo.digest_figures(GUILD, *week)
    assert figures == OfficeHoursFigures(
        sessions_held=1,
        asked=3,
        answered=1,
        skipped=1,
        carried_over=1,
        median_wait_seconds=240.0,
        unique_askers=3,
        host_ids=[100, 101],
    )
    empty = await repo.digest_figures(GUILD, T0 + timedelta(days=1), T0 + timedelta(days=2))
    assert empty == OfficeHoursFigures(0, 0, 0, 0, 0, None, 0, [])
    assert await repo.questions.answer_durations(GUILD, held.id) == [480.0]
    upcoming = await repo.upcoming_between(GUILD, T0, T0 + timedelta(days=8))
    assert [s.id for s in upcoming] == [nxt.id]  # the held one has ended
    assert await repo.upcoming_between(GUILD, T0, T0 + timedelta(days=1)) == []


async def test_ask_new_is_one_statement_that_agrees_with_the_general_path(
    repo: OfficeHoursRepository,
) -> None:
    now = T0 - timedelta(days=1)
    assert await repo.questions.ask_new(GUILD, 2, "nothing scheduled?", now, 1) is None
    first = await repo.insert_session(new_session(start=T0 - timedelta(days=7)), now)
    # Two answers in the series' earlier session: 5 and 15 minutes.
    for user, minutes in ((7, 5), (8, 15)):
        q = await repo.questions.add_question(GUILD, first.id, user, "old", now)
        await repo.questions.mark_taken(GUILD, q.id, 100, T0 - timedelta(days=7))
        await repo.questions.finish(
            GUILD, q.id, "answered", T0 - timedelta(days=7) + timedelta(minutes=minutes)
        )
    await repo.mark_ended(GUILD, first.id, now)
    session = await repo.insert_session(new_session(series_id=first.id), now)
    carried = await repo.questions.add_question(GUILD, session.id, 4, "carried", now, priority=0)
    taken = await repo.questions.add_question(GUILD, session.id, 5, "being answered", now)
    await repo.questions.mark_taken(GUILD, taken.id, 100, now)
    await repo.questions.add_question(GUILD, session.id, 6, "waiting", now)

    made = await repo.questions.ask_new(GUILD, 2, "How do I paginate?", now, 1)
    assert made is not None
    question, context = made
    # The general path's estimate for the same saved question.
    position, in_progress, answers = await repo.questions.ask_estimate(
        GUILD, question, session.series_id
    )
    expected = SimpleNamespace(position=position, in_progress=in_progress, answer_seconds=answers)
    assert context.session == await repo.get_session(GUILD, session.id)
    assert question == await repo.questions.get_question(GUILD, question.id)
    assert (question.user_id, question.question, question.session_id) == (
        2,
        "How do I paginate?",
        session.id,
    )
    assert (
        (context.position, context.in_progress)
        == (expected.position, expected.in_progress)
        == (3, 1)
    )
    assert context.answer_seconds == expected.answer_seconds == [300.0, 900.0]
    waiting = await repo.questions.waiting(GUILD, session.id)
    assert [q.id for q in waiting].index(question.id) + 1 == context.position
    assert waiting[0].id == carried.id

    # Already in line, or asked from another guild: not this path.
    assert await repo.questions.ask_new(GUILD, 2, "again", now, 1) is None
    assert await repo.questions.ask_new(OTHER, 3, "elsewhere", now, 1) is None
    assert len(await repo.questions.waiting(GUILD, session.id)) == 3


async def test_ask_lookups_do_not_scan_the_guilds_history(repo: OfficeHoursRepository) -> None:
    """`/officehours ask` must cost the same after years of sessions: the target session,
    its next queue key and the series' recent answers are index seeks (0008), never a
    guild-wide index that grows with every session or question (with ten years of weekly
    sessions the answers alone took 56 ms)."""
    from storage.office_hours import queue as queue

    db = repo._db
    plans = {
        "ask_new": (queue._ASK_NEW, 8),
        "next key": (f"SELECT {queue._next_queue_key('?', '?')}", 2),
        "recent answers": (queue._recent_answers("?", "?"), 4),
        "estimate": ("SELECT " + queue._answers_json("?", "?"), 4),
    }
    for name, (sql, params) in plans.items():
        rows = await db.fetchall("EXPLAIN QUERY PLAN " + sql, (1,) * params)
        details = [r[3] for r in rows]
        assert not any("oh_questions_guild_asked" in d for d in details), (name, details)
        assert not any("oh_sessions_series (guild_id=?)" in d for d in details), (name, details)
        assert not any(d.startswith("SCAN a") or d.startswith("SCAN k") for d in details), (
            name,
            details,
        )
    used = " ".join(
        r[3] for r in await db.fetchall("EXPLAIN QUERY PLAN " + queue._ASK_NEW, (1,) * 8)
    )
    assert "oh_questions_session_key" in used and "oh_questions_answered" in used
    assert "oh_sessions_guild_status (guild_id=? AND status=?)" in used
