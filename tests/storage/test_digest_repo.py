from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from storage.activity import ActivityRepository
from storage.database import Database
from storage.digest import DigestConfig, DigestRepository

NOW = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
G = 10


async def test_config_defaults_round_trip_and_schedule(tmp_path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        repo = DigestRepository(db)
        default = await repo.get_config(G)
        assert default == DigestConfig(guild_id=G)
        assert (default.weekday, default.post_time, default.enabled, default.stored) == (
            0,
            "09:00",
            True,
            False,
        )
        config = DigestConfig(
            guild_id=G,
            channel_id=55,
            weekday=4,
            post_time="17:30",
            timezone="Pacific/Auckland",
            enabled=True,
            skip_empty=False,
            pin=True,
            next_run_at=NOW,
            stored=True,
        )
        await repo.save_config(config, NOW)
        assert await repo.get_config(G) == config
        await repo.set_pinned(G, 55, 999, NOW)
        await repo.set_next_run(G, NOW + timedelta(days=7), NOW)
        stored = await repo.get_config(G)
        assert (stored.pinned_channel_id, stored.pinned_message_id) == (55, 999)
        assert await repo.scheduled() == [(G, NOW + timedelta(days=7))]
        assert await repo.get_config(G + 1) == DigestConfig(guild_id=G + 1)


async def test_a_week_is_claimed_once(tmp_path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        repo = DigestRepository(db)
        week = date(2026, 1, 5)
        run, created = await repo.claim_run(G, week, NOW)
        assert created and run.status == "claimed" and run.message_id is None
        again, created_again = await repo.claim_run(G, week, NOW)
        assert not created_again and again.id == run.id
        other_guild, created_other = await repo.claim_run(G + 1, week, NOW)
        assert created_other and other_guild.id != run.id

        await repo.finish_run(G, run.id, "posted", 1, 2, NOW)
        posted = await repo.get_run(G, week)
        assert posted is not None
        assert (posted.status, posted.channel_id, posted.message_id) == ("posted", 1, 2)
        await repo.release_run(G, run.id)  # a posted run is never released
        assert await repo.get_run(G, week) is not None

        await repo.release_run(G + 1, other_guild.id)
        assert await repo.get_run(G + 1, week) is None


async def test_activity_counts_add_up_and_are_scoped(tmp_path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        repo = ActivityRepository(db)
        await repo.add_counts(
            [(G, "2026-01-05", 1, 3), (G, "2026-01-06", 2, 1), (G + 1, "2026-01-05", 9, 50)],
            [(G, "2026-01-05", 100, 2), (G, "2026-01-05", 101, 1), (G, "2026-01-06", 100, 1)],
            [(G, "2026-01-05", 2, 1)],
        )
        await repo.add_counts([(G, "2026-01-05", 1, 2)], [(G, "2026-01-05", 100, 2)], [])
        totals = await repo.window_totals(G, date(2026, 1, 5), date(2026, 1, 6))
        assert (totals.messages, totals.active_members, totals.joins, totals.leaves) == (
            6,
            2,
            2,
            1,
        )
        daily = await repo.daily(G, date(2026, 1, 5), date(2026, 1, 6))
        assert daily[date(2026, 1, 5)].messages == 5
        assert daily[date(2026, 1, 5)].active_members == 2
        assert daily[date(2026, 1, 6)].active_members == 1
        returning = await repo.returning_members(
            G, date(2026, 1, 6), date(2026, 1, 6), date(2026, 1, 5), date(2026, 1, 5)
        )
        assert returning == 1
        rows = await db.fetchall("SELECT * FROM activity_member_day WHERE user_id = 100")
        assert {tuple(r) for r in rows} == {(G, "2026-01-05", 100, 4), (G, "2026-01-06", 100, 1)}
