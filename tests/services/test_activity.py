from __future__ import annotations

from datetime import UTC, datetime

from services.activity import ActivityRecorder
from services.time.clock import FixedClock
from storage.activity import ActivityRepository
from storage.database import Database

G = 1


async def _rows(db: Database, table: str) -> set[tuple]:
    return {tuple(r) for r in await db.fetchall(f"SELECT * FROM {table}")}


async def test_counters_are_batched_and_flushed_by_utc_day(tmp_path) -> None:
    clock = FixedClock(datetime(2026, 1, 5, 23, 59, tzinfo=UTC))
    told: list[int] = []
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        recorder = ActivityRecorder(ActivityRepository(db), clock)
        recorder.on_pending = lambda: told.append(recorder.pending)
        recorder.message(G, 7, 100)
        recorder.message(G, 7, 100)
        recorder.message(G, 8, 101)
        recorder.member_joined(G)
        clock.advance(minutes=2)  # a new UTC day
        recorder.message(G, 7, 100)
        recorder.member_left(G)
        assert told == [2, 2, 4, 5, 7, 8]  # the flusher hears about every counter
        assert await _rows(db, "activity_channel_day") == set()  # nothing written yet

        assert await recorder.flush() == 8
        assert recorder.pending == 0
        assert await _rows(db, "activity_channel_day") == {
            (G, "2026-01-05", 7, 2),
            (G, "2026-01-05", 8, 1),
            (G, "2026-01-06", 7, 1),
        }
        assert await _rows(db, "activity_member_day") == {
            (G, "2026-01-05", 100, 2),
            (G, "2026-01-05", 101, 1),
            (G, "2026-01-06", 100, 1),
        }
        assert await _rows(db, "activity_guild_day") == {
            (G, "2026-01-05", 1, 0),
            (G, "2026-01-06", 0, 1),
        }
        assert await recorder.flush() == 0

        # A second window adds to the stored counts.
        recorder.message(G, 7, 100)
        await recorder.flush()
        assert (G, "2026-01-06", 7, 2) in await _rows(db, "activity_channel_day")


async def test_a_failed_flush_keeps_the_counts_for_the_next_one(tmp_path) -> None:
    clock = FixedClock(datetime(2026, 1, 5, tzinfo=UTC))

    class Flaky(ActivityRepository):
        fail = True

        async def add_counts(self, *args, **kwargs):
            if self.fail:
                raise OSError("disk full")
            await super().add_counts(*args, **kwargs)

    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        repo = Flaky(db)
        recorder = ActivityRecorder(repo, clock)
        recorder.message(G, 7, 100)
        assert await recorder.flush() == 0
        assert recorder.pending == 2
        recorder.message(G, 7, 100)
        repo.fail = False
        assert await recorder.flush() == 2
        assert await _rows(db, "activity_channel_day") == {(G, "2026-01-05", 7, 2)}
        # The first-message time was kept through the failure too.
        assert await _rows(db, "member_milestones") == {
            (G, 100, None, "2026-01-05T00:00:00.000000Z")
        }


async def test_flush_after_close_loses_only_the_window(tmp_path) -> None:
    clock = FixedClock(datetime(2026, 1, 5, tzinfo=UTC))
    db = Database(tmp_path / "h.db")
    await db.open()
    await db.migrate()
    recorder = ActivityRecorder(ActivityRepository(db), clock)
    recorder.message(G, 7, 100)
    await db.close()
    assert await recorder.flush() == 0  # logged, not raised


async def test_other_activity_makes_a_member_active_without_counting_a_message(tmp_path) -> None:
    clock = FixedClock(datetime(2026, 1, 5, 12, tzinfo=UTC))
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        recorder = ActivityRecorder(ActivityRepository(db), clock)
        recorder.message(G, 7, 100)
        recorder.interaction(G, 100)  # already active: the message count stays
        recorder.interaction(G, 101)
        recorder.reaction(G, 101)
        recorder.voice_joined(G, 102)
        recorder.interaction(G, 103)
        recorder.forget_pending(G, 103)  # erased meanwhile: nothing of 103 is written
        assert recorder.pending == 5  # a channel, a message count and three marks
        await recorder.flush()
        recorder.reaction(G, 100)  # a later window keeps the written count
        await recorder.flush()
        assert await _rows(db, "activity_member_day") == {
            (G, "2026-01-05", 100, 1),
            (G, "2026-01-05", 101, 0),
            (G, "2026-01-05", 102, 0),
        }
        assert await _rows(db, "activity_channel_day") == {(G, "2026-01-05", 7, 1)}
        day = clock.now().date()
        totals = await ActivityRepository(db).window_totals(G, day, day)
        assert (totals.messages, totals.active_members) == (1, 3)
