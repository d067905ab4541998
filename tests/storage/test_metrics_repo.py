"""MetricsRepository.questions: office-hours questions carried over several sessions.

A question still waiting when its session ends is carried to the next one as a copy
(``carried_from`` = the copy before). The chain is one question, asked when its root was.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from services.metrics.service import MetricsService
from services.time.clock import FixedClock
from storage.database import Database
from storage.metrics import AnsweredQuestion, MetricsRepository
from storage.office_hours.rows import NewSession
from storage.office_hours.sessions import OfficeHoursRepository

GUILD, HOST = 1, 100
# The window: February 2026. Weekly sessions on Mondays at 17:00 UTC.
START, END = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)


def monday(day: int, month: int = 2, hour: int = 17, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "m.db") as db:
        await db.migrate()
        yield db


async def session(oh: OfficeHoursRepository, start: datetime) -> int:
    new = NewSession(
        guild_id=GUILD, title="Office hours", description=None, host_id=HOST, starts_at=start,
        ends_at=start + timedelta(hours=1), zone="UTC", repeat_spec="weekly", series_anchor=start,
        location_channel_id=None, location_kind=None, text_channel_id=50,
    )  # fmt: skip
    return (await oh.insert_session(new, start)).id


async def chain(oh, user: int, asked: datetime, sessions: list[int], stamp: str) -> list[int]:
    """Ask in sessions[0], carry to each next session as the bot does at a session's end
    (an hour after it starts). ``stamp``: what the copies' asked_at holds — the root's
    (what the bot writes) or the carry time (a copy must still count from the root)."""
    q = await oh.questions.add_question(GUILD, sessions[0], user, "how do I…?", asked)
    ids = [q.id]
    for i, target in enumerate(sessions[1:]):
        session_row = await oh.get_session(GUILD, sessions[i])
        carried_at = session_row.ends_at
        assert await oh.questions.finish(GUILD, ids[-1], "carried", carried_at)
        copy = await oh.questions.add_question(
            GUILD, target, user, "how do I…?", carried_at, priority=0, carried_from=ids[-1],
            asked_at=asked if stamp == "root" else carried_at,
        )  # fmt: skip
        ids.append(copy.id)
    return ids


async def answer(oh, question_id: int, taken: datetime) -> None:
    assert await oh.questions.mark_taken(GUILD, question_id, HOST, taken)
    assert await oh.questions.finish(GUILD, question_id, "answered", taken + timedelta(minutes=9))


@pytest.mark.parametrize("stamp", ["root", "carried"])
async def test_a_question_carried_twice_is_one_question_timed_from_its_first_ask(db, stamp) -> None:
    oh = OfficeHoursRepository(db)
    jan26 = await session(oh, monday(26, month=1))
    feb2, feb9, feb16 = [await session(oh, monday(d)) for d in (2, 9, 16)]
    # Member 7 asks on Mon 2 Feb at 17:10; nobody gets to it on the 2nd or the 9th; the host
    # takes it on Mon 16 Feb at 17:20 (answered at 17:29).
    seven = await chain(oh, 7, monday(2, minute=10), [feb2, feb9, feb16], stamp)
    await answer(oh, seven[2], monday(16, minute=20))
    # Member 8 asked on Mon 26 Jan, before the window; carried to the 2nd and the 9th,
    # answered on the 9th at 17:05: not a February question, however its copies are stamped.
    eight = await chain(oh, 8, monday(26, month=1, minute=30), [jan26, feb2, feb9], stamp)
    await answer(oh, eight[2], monday(9, minute=5))
    # Member 9 asks on the 16th and is answered at once (17:40): the chain's neighbour.
    [nine] = await chain(oh, 9, monday(16, minute=35), [feb16], stamp)
    await answer(oh, nine, monday(16, minute=40))

    found = await MetricsRepository(db).questions(GUILD, START, END)
    # Two February questions; 7's from 2 Feb 17:10 to its first answer on 16 Feb 17:20
    # (14 days 10 minutes), not from when its last copy was made.
    assert found == [
        AnsweredQuestion(monday(2, minute=10), monday(16, minute=20)),
        AnsweredQuestion(monday(16, minute=35), monday(16, minute=40)),
    ]
    # In January, 8's question is January's, answered on 9 Feb through its second copy.
    assert await MetricsRepository(db).questions(GUILD, START - timedelta(days=31), START) == [
        AnsweredQuestion(monday(26, month=1, minute=30), monday(9, minute=5))
    ]
    # Through the service, over the 28 days to 1 March: waits of 14 d 10 min (20,170 min)
    # and 5 min. Their median is their mean, 10,087.5 min; the p90 (nearest rank, the 2nd
    # of 2) is 20,170 min. Both were asked over 24 h ago; 7's waited longer: 1 of 2 late.
    service = MetricsService(MetricsRepository(db), FixedClock(END))
    figures = await service.responsiveness(GUILD, 28)
    assert (figures.asked, figures.answered) == (2, 2)
    assert figures.median == timedelta(minutes=10087.5)
    assert figures.p90 == timedelta(days=14, minutes=10)
    assert (figures.due, figures.unanswered_after_24h) == (2, 1)
