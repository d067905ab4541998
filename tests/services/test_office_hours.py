"""Office-hours rules against a real SQLite file and a fixed clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.errors import Conflict, InvalidInput, NotFound
from services.guild_settings import GuildSettingsService
from services.office_hours import OfficeHoursService, format_offset, parse_offsets
from services.time.clock import FixedClock
from storage.database import Database
from storage.guild_settings import GuildSettingsRepository
from storage.office_hours.rows import Session
from storage.office_hours.sessions import OfficeHoursRepository

GUILD = 10
OTHER_GUILD = 20
CHANNEL = 555
HOST, BOB, CAROL, DAVE = 1, 2, 3, 4
NOW = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@dataclass
class Rig:
    db: Database
    clock: FixedClock
    service: OfficeHoursService
    settings: GuildSettingsService

    async def session(self, start: str = "2026-01-02 17:00", **options: object) -> Session:
        plan = await self.service.plan_session(
            GUILD, host_id=HOST, title="Office hours", start=start, **options
        )
        return await self.service.create_session(plan, event_id=999)


@pytest.fixture
async def rig(tmp_path) -> AsyncIterator[Rig]:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        clock = FixedClock(NOW)
        settings = GuildSettingsService(GuildSettingsRepository(db), clock, "UTC")
        await settings.set_channel(GUILD, "office-hours", CHANNEL)
        service = OfficeHoursService(OfficeHoursRepository(db), settings, clock)
        yield Rig(db, clock, service, settings)


async def test_plan_validates_each_option(rig: Rig) -> None:
    plan = await rig.service.plan_session(
        GUILD,
        host_id=HOST,
        title="  APAC  hours ",
        start="tomorrow 10:00",
        timezone="asia/singapore",
        repeat="weekly",
        duration_minutes=45,
    )
    assert plan.new.title == "APAC hours"
    assert plan.new.zone == "Asia/Singapore"
    assert plan.new.starts_at == datetime(2026, 1, 2, 2, 0, tzinfo=UTC)
    assert plan.new.ends_at - plan.new.starts_at == timedelta(minutes=45)
    assert plan.new.text_channel_id == CHANNEL
    assert plan.next_dates == [datetime(2026, 1, d, 2, 0, tzinfo=UTC) for d in (9, 16, 23)]
    assert plan.repeat_text == "every Friday at 10:00 (Asia/Singapore)"

    cases = [
        ({"duration_minutes": 14}, "15–480"),
        ({"duration_minutes": 481}, "15–480"),
        ({"repeat": "daily"}, "`none`, `weekly` or `every-2-weeks`"),
        ({"timezone": "Nowhere/Land"}, "isn't a time zone"),
        ({"start": "yesterday-ish"}, "couldn't read"),
        ({"start": "2025-06-01 10:00"}, "already passed"),
        ({"title": "t" * 101}, "Discord allows 100"),
        ({"title": " \u200b "}, "Please give the session a title"),
        ({"description": "d" * 1001}, "Discord allows 1000"),
    ]
    for options, message in cases:
        kwargs: dict = {"title": "T", "start": "tomorrow 10:00", **options}
        with pytest.raises(InvalidInput, match=message):
            await rig.service.plan_session(GUILD, host_id=HOST, **kwargs)
    with pytest.raises(InvalidInput, match="/setup channel kind:office-hours"):
        await rig.service.plan_session(OTHER_GUILD, host_id=HOST, title="T", start="tomorrow 9am")
    assert await rig.service.repo.count_sessions(GUILD) == 0


async def test_questions_wait_for_the_next_session_in_order(rig: Rig) -> None:
    session = await rig.session()
    first = await rig.service.ask(GUILD, BOB, "  How do I paginate?  ")
    assert (first.session.id, first.position, first.replaced) == (session.id, 1, False)
    assert first.question.question == "How do I paginate?"
    assert first.estimated_wait == timedelta(0)
    second = await rig.service.ask(GUILD, CAROL, "Webhooks?")
    assert second.position == 2
    assert second.estimated_wait == timedelta(minutes=5)  # default pace, no history
    again = await rig.service.ask(GUILD, BOB, "How do I paginate cursors?")
    assert again.replaced and again.position == 1
    view = await rig.service.queue_view(GUILD)
    assert [(q.user_id, q.question) for q in view.waiting] == [
        (BOB, "How do I paginate cursors?"),
        (CAROL, "Webhooks?"),
    ]
    left = await rig.service.leave(GUILD, BOB)
    assert left.user_id == BOB
    with pytest.raises(NotFound, match="nothing to withdraw"):
        await rig.service.leave(GUILD, BOB)
    with pytest.raises(InvalidInput, match="empty"):
        await rig.service.ask(GUILD, BOB, " \u200b\n ")
    with pytest.raises(InvalidInput, match="limit is 1000"):
        await rig.service.ask(GUILD, BOB, "x" * 1001)
    assert len(await rig.service.repo.questions.session_questions(GUILD, session.id)) == 2
    with pytest.raises(NotFound, match="No office hours are scheduled"):
        await rig.service.ask(OTHER_GUILD, BOB, "Hello?")


async def test_next_skip_and_answer(rig: Rig) -> None:
    session = await rig.session()
    for user in (BOB, CAROL, DAVE):
        await rig.service.ask(GUILD, user, f"q{user}")
    with pytest.raises(NotFound, match="No office hours are live"):
        await rig.service.take_next(GUILD, HOST)
    await rig.service.start(GUILD)
    with pytest.raises(Conflict, match="already live"):
        await rig.service.start(GUILD, session.id)

    taken = await rig.service.take_next(GUILD, HOST)
    assert taken.question is not None and taken.question.user_id == BOB
    assert taken.up_next is not None and taken.up_next.user_id == CAROL
    rig.clock.advance(minutes=6)
    # next again answers the host's current question and takes the next one.
    result = await rig.service.take_next(GUILD, HOST)
    assert result.closed_previous is not None and result.closed_previous.user_id == BOB
    assert result.question is not None and result.question.user_id == CAROL

    skipped = await rig.service.skip(GUILD, result.question.id, HOST)
    assert not skipped.dropped
    view = await rig.service.queue_view(GUILD)
    assert [q.user_id for q in view.waiting] == [DAVE, CAROL]
    assert view.seconds_per_question == 6 * 60  # this series' pace now
    ask = await rig.service.ask(GUILD, BOB, "follow-up")
    assert ask.position == 3 and ask.estimated_wait == timedelta(minutes=12)

    dave = await rig.service.take_next(GUILD, HOST)
    await rig.service.mark_answered(GUILD, dave.question.id, HOST)  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="already closed"):
        await rig.service.mark_answered(GUILD, dave.question.id, HOST)  # type: ignore[union-attr]
    carol_again = await rig.service.take_next(GUILD, HOST)
    assert carol_again.question is not None and carol_again.question.user_id == CAROL
    dropped = await rig.service.skip(GUILD, carol_again.question.id, HOST)
    assert dropped.dropped and dropped.question.outcome == "skipped"
    questions = await rig.service.repo.questions.session_questions(GUILD, session.id)
    outcomes = sorted((q.id, q.user_id, q.outcome, q.skip_count) for q in questions)
    assert [o[1:] for o in outcomes] == [
        (BOB, "answered", 0),
        (CAROL, "skipped", 1),
        (DAVE, "answered", 0),
        (BOB, None, 0),  # the follow-up still waits
    ]


async def test_end_carries_over_to_next_weekly_occurrence(rig: Rig) -> None:
    session = await rig.session(repeat="weekly")
    for user in (BOB, CAROL, DAVE):
        await rig.service.ask(GUILD, user, f"q{user}")
    rig.clock.set(session.starts_at)
    await rig.service.start(GUILD)
    rig.clock.advance(minutes=2)
    await rig.service.take_next(GUILD, HOST)  # BOB waited 2 min
    rig.clock.advance(minutes=10)
    recap = await rig.service.end(GUILD)
    assert [q.user_id for q in recap.answered] == [BOB]  # in progress at the end counts
    assert [q.user_id for q in recap.carried] == [CAROL, DAVE]
    assert recap.dropped == []
    assert recap.unique_askers == 3
    assert recap.median_wait_seconds == 120
    assert recap.actual_duration == timedelta(minutes=12)
    nxt = recap.next_session
    assert nxt is not None and nxt.starts_at == session.starts_at + timedelta(days=7)
    assert nxt.series_id == session.series_id == session.id
    # Carried questions come first, then first come, first served.
    await rig.service.ask(GUILD, HOST + 100, "new")
    view = await rig.service.queue_view(GUILD, nxt.id)
    assert [q.user_id for q in view.waiting] == [CAROL, DAVE, HOST + 100]
    assert [q.priority for q in view.waiting] == [0, 0, 1]
    figures = await rig.service.digest_figures(
        GUILD, session.starts_at - timedelta(days=1), session.starts_at + timedelta(days=1)
    )
    assert (figures.sessions_held, figures.asked, figures.answered, figures.carried_over) == (
        1,
        3,
        1,
        2,
    )
    assert figures.median_wait_seconds == 120 and figures.host_ids == [HOST]


async def test_one_off_session_drops_unanswered_at_end(rig: Rig) -> None:
    await rig.session()
    await rig.service.ask(GUILD, BOB, "q")
    await rig.service.start(GUILD)
    recap = await rig.service.end(GUILD)
    assert recap.next_session is None and [q.user_id for q in recap.dropped] == [BOB]
    with pytest.raises(NotFound):
        await rig.service.end(GUILD)


async def test_weekly_keeps_17_berlin_across_march_dst(rig: Rig) -> None:
    session = await rig.session(start="2026-03-26 17:00", timezone="Europe/Berlin", repeat="weekly")
    assert session.starts_at == datetime(2026, 3, 26, 16, 0, tzinfo=UTC)
    nxt = rig.service.next_occurrence_start(session)
    assert nxt == datetime(2026, 4, 2, 15, 0, tzinfo=UTC)
    assert nxt.astimezone(ZoneInfo("Europe/Berlin")).hour == 17
    fortnightly = await rig.session(
        start="2026-03-19 17:00", timezone="Europe/Berlin", repeat="every-2-weeks"
    )
    assert rig.service.next_occurrence_start(fortnightly) == datetime(2026, 4, 2, 15, 0, tzinfo=UTC)


async def test_cancel_this_keeps_the_series_and_series_ends_it(rig: Rig) -> None:
    session = await rig.session(repeat="weekly")
    await rig.service.ask(GUILD, BOB, "q")
    result = await rig.service.cancel(GUILD, session.id, "this")
    assert result.next_session is not None
    assert [q.user_id for q in result.carried] == [BOB]
    series = await rig.service.cancel(GUILD, result.next_session.id, "series")
    assert series.next_session is None and [q.user_id for q in series.dropped] == [BOB]
    with pytest.raises(Conflict, match="was cancelled"):
        await rig.service.cancel(GUILD, session.id, "this")
    with pytest.raises(NotFound):
        await rig.service.cancel(OTHER_GUILD, session.id, "this")  # scoped by guild


async def test_reminders_due_claim_once_and_skip_late(rig: Rig) -> None:
    session = await rig.session(start="2026-01-03 12:00")
    settings = await rig.service.settings(GUILD)
    due = rig.service.reminders_due(session, settings)
    assert [(r.offset_minutes, r.due) for r in due] == [
        (1440, datetime(2026, 1, 2, 12, 0, tzinfo=UTC)),
        (15, datetime(2026, 1, 3, 11, 45, tzinfo=UTC)),
    ]
    rig.clock.set(datetime(2026, 1, 2, 12, 0, 30, tzinfo=UTC))
    assert [r.offset_minutes for r in rig.service.reminders_due(session, settings)] == [15]
    assert await rig.service.claim_reminder(GUILD, session.id, 1440) is not None
    assert await rig.service.claim_reminder(GUILD, session.id, 1440) is None  # never twice
    rig.clock.set(datetime(2026, 1, 3, 11, 55, tzinfo=UTC))  # 10 min late: missed
    assert await rig.service.claim_reminder(GUILD, session.id, 15) is None
    assert not await rig.service.repo.reminder_claimed(GUILD, session.id, 15)


async def test_settings_and_offsets(rig: Rig) -> None:
    assert parse_offsets("24h, 15m") == (1440, 15)
    assert parse_offsets("2d,1 hour, 30 minutes") == (2880, 60, 30)
    assert parse_offsets("none") == ()
    assert [format_offset(o) for o in (1440, 60, 15)] == ["1d", "1h", "15m"]
    for bad, message in (
        ("soon", "isn't a reminder time"),
        ("1m", "5 minutes and 7 days"),
        ("1h,2h,3h,4h", "At most 3"),
    ):
        with pytest.raises(InvalidInput, match=message):
            parse_offsets(bad)
    updated = await rig.service.update_settings(
        GUILD, auto_start=False, grace_minutes=0, reminders="1h", reminder_role_id=77
    )
    assert (updated.auto_start, updated.auto_end, updated.grace_minutes) == (False, True, 0)
    assert updated.reminder_offsets == (60,) and updated.reminder_role_id == 77
    assert await rig.service.settings(GUILD) == updated
    cleared = await rig.service.update_settings(GUILD, clear_reminder_role=True)
    assert cleared.reminder_role_id is None
    with pytest.raises(InvalidInput, match="0–240"):
        await rig.service.update_settings(GUILD, grace_minutes=241)


async def test_next_session_upcoming_between_and_history(rig: Rig) -> None:
    assert await rig.service.next_session(GUILD) is None
    later = await rig.session(start="2026-01-05 10:00")
    sooner = await rig.session(start="2026-01-03 10:00")
    nxt = await rig.service.next_session(GUILD)
    assert nxt is not None and (nxt.id, nxt.title) == (sooner.id, "Office hours")
    between = await rig.service.upcoming_between(
        GUILD, datetime(2026, 1, 4, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC)
    )
    assert [s.id for s in between] == [later.id]
    assert (
        await rig.service.upcoming_between(
            OTHER_GUILD, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
        )
        == []
    )
    await rig.service.start(GUILD, sooner.id)
    await rig.service.end(GUILD)
    [(past, figures)] = await rig.service.history(GUILD, 5)
    assert past.id == sooner.id and figures.sessions_held == 1
    with pytest.raises(InvalidInput, match="1–25"):
        await rig.service.history(GUILD, 0)


async def test_ask_position_matches_the_queue_view(rig: Rig) -> None:
    # The reply's place in line is counted in SQL; it must agree with the queue as shown.
    session = await rig.session()
    await rig.service.ask(GUILD, BOB, "first")
    await rig.service.repo.questions.add_question(
        GUILD, session.id, CAROL, "carried over", rig.clock.now(), priority=0
    )
    await rig.service.start(GUILD)
    await rig.service.take_next(GUILD, HOST)  # takes the carried question
    for user, named in ((DAVE, False), (BOB, False), (DAVE, True), (HOST, True)):
        result = await rig.service.ask(
            GUILD, user, f"from {user}", session_id=session.id if named else None
        )
        view = await rig.service.queue_view(GUILD)
        place = next(i for i, q in enumerate(view.waiting, 1) if q.id == result.question.id)
        assert (result.position, result.estimated_wait) == (place, view.wait_for(place))
        assert len(view.in_progress) == 1
