"""services/privacy.py: the export document, confirmation rules, retention and pruning."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.activity import ActivityRecorder
from services.errors import Conflict, InvalidInput, NotAllowed
from services.privacy import CONFIRM_SECONDS, PrivacyService, describe_counts
from services.time.clock import FixedClock
from storage.activity import ActivityRepository
from storage.feedback.items import FeedbackRepository
from storage.privacy import PrivacyRepository
from tests.storage.test_privacy_repo import ME, YOU, G, find_id, item, seed

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def recorder(db, clock) -> ActivityRecorder:
    return ActivityRecorder(ActivityRepository(db), clock)


@pytest.fixture
def service(db, clock, recorder) -> PrivacyService:
    return PrivacyService(PrivacyRepository(db), clock, before_read=recorder.flush)


async def test_export_is_a_json_document_of_every_section(db, service, recorder) -> None:
    await seed(db, G)
    recorder.message(G, 700, ME)  # still buffered: the export must include it
    export = await service.export(G, ME, guild_name=lambda g: f"Server {g}")
    assert export.filename == f"hallway-export-{G}-20260302.json"
    doc = json.loads(export.content)
    assert doc["format"] == "hallway-export" and doc["version"] == 1
    assert (doc["user_id"], doc["scope"], doc["generated_at"]) == (ME, "server", NOW.isoformat())
    [server] = doc["servers"]
    assert (server["guild_id"], server["guild_name"]) == (G, f"Server {G}")
    assert set(server["data"]) == set(server["counts"]) and all(server["counts"].values())
    assert doc["counts"] == server["counts"] == export.counts and not export.empty
    assert {d["day"] for d in server["data"]["activity_days"]} == {"2026-03-01", "2026-03-02"}
    assert server["data"]["feedback_reported"][0]["reporter_name"] == f"member {ME}"
    assert "office-hours questions you asked: 2" in describe_counts(export.counts)


async def test_a_very_large_export_is_gzipped(db, service, monkeypatch) -> None:
    import gzip

    import services.privacy

    await seed(db, G)
    plain = await service.export(G, ME)
    monkeypatch.setattr(services.privacy, "MAX_PLAIN_EXPORT", len(plain.content) - 1)
    packed = await service.export(G, ME)
    assert packed.filename == plain.filename + ".gz"
    assert gzip.decompress(packed.content) == plain.content


async def test_export_of_a_member_with_nothing_stored_is_empty(service) -> None:
    export = await service.export(G, YOU)
    assert export.empty and describe_counts(export.counts) == []
    [server] = json.loads(export.content)["servers"]
    assert server["data"] and all(v == [] for v in server["data"].values())  # every section


async def test_by_dm_export_and_forget_cover_every_server(db, service) -> None:
    other, mention_only = G + 1, G + 2
    await seed(db, G)
    await seed(db, other)
    # In a third server ME has no rows of their own; someone only typed their mention.
    await FeedbackRepository(db).create_item(
        item(mention_only, YOU, YOU, f"ask <@{ME}> about it"), [], {}
    )
    assert await service.scope(None, ME) == [G, other, mention_only]
    assert await service.scope(G, ME) == [G]
    export = await service.export(None, ME)
    doc = json.loads(export.content)
    assert export.filename == "hallway-export-all-20260302.json" and doc["scope"] == "every server"
    assert [s["guild_id"] for s in doc["servers"]] == [G, other, mention_only]
    assert doc["counts"]["office_hours_questions"] == 4  # two per seeded server
    assert (await service.counts(None, ME)) == doc["counts"]
    done = await service.forget(None, ME)
    assert done.guilds == [G, other, mention_only] and done.deleted > 0
    assert len(done.boards) == 4  # two queues per seeded server lost a question
    assert await find_id(db, ME) == []
    assert await service.scope(None, ME) == []
    assert await find_id(db, YOU) != []


async def test_forget_writes_buffered_counters_first_so_none_come_back(
    db, service, recorder
) -> None:
    await seed(db, G)
    recorder.message(G, 700, ME)
    recorder.message(G, 700, YOU)
    await service.forget(G, ME)
    assert await recorder.flush() == 0  # nothing left to write back later
    assert await find_id(db, ME) == []
    assert (await service.collect(G, YOU)).activity_days[-1] == {"day": "2026-03-02", "messages": 1}


def test_only_the_owner_can_confirm_and_only_before_expiry(service, clock) -> None:
    expires = service.confirmation_expiry()
    assert expires == NOW + timedelta(seconds=CONFIRM_SECONDS)
    service.check_confirmation(ME, ME, expires)
    with pytest.raises(NotAllowed, match="run `/privacy forget` yourself"):
        service.check_confirmation(ME, YOU, expires)
    with pytest.raises(NotAllowed):
        service.check_owner(ME, YOU)
    clock.advance(seconds=CONFIRM_SECONDS)
    service.check_confirmation(ME, ME, expires)  # the last second still counts
    clock.advance(seconds=1)
    with pytest.raises(Conflict, match="expired, so nothing was erased"):
        service.check_confirmation(ME, ME, expires)


@pytest.mark.parametrize("days", [-1, 0, 29, 3651, 10**9])
async def test_retention_outside_30_to_3650_days_is_refused(service, days) -> None:
    with pytest.raises(InvalidInput, match="30 to 3650 days"):
        await service.set_retention(G, days)
    assert (await service.retention(G)).days == 180


@pytest.mark.parametrize("days", [30, 365, 3650])
async def test_retention_within_range_is_saved(service, days) -> None:
    info = await service.set_retention(G, days)
    assert info.days == days and (await service.retention(G)).days == days


async def test_a_shorter_retention_applies_at_once_to_that_guild_only(db, service) -> None:
    old = (NOW.date() - timedelta(days=40)).isoformat()
    recent = (NOW.date() - timedelta(days=10)).isoformat()
    for guild in (G, G + 1):
        await ActivityRepository(db).add_counts(
            [(guild, old, 1, 1), (guild, recent, 1, 1)], [(guild, old, ME, 1)], []
        )
    info = await service.set_retention(G, 30)
    assert info.deleted_now == 2
    privacy = PrivacyRepository(db)
    assert str(await privacy.oldest_activity_day(G)) == recent
    assert str(await privacy.oldest_activity_day(G + 1)) == old
    assert info.last_prune is None  # the daily run's record is its own


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 2, 0, 0, tzinfo=UTC), datetime(2026, 3, 2, 0, 10, tzinfo=UTC)),
        (datetime(2026, 3, 2, 0, 10, tzinfo=UTC), datetime(2026, 3, 3, 0, 10, tzinfo=UTC)),
        (datetime(2026, 3, 2, 23, 59, tzinfo=UTC), datetime(2026, 3, 3, 0, 10, tzinfo=UTC)),
        (datetime(2026, 12, 31, 12, tzinfo=UTC), datetime(2027, 1, 1, 0, 10, tzinfo=UTC)),
    ],
)
def test_next_prune_is_the_next_ten_past_midnight_utc(service, now, expected) -> None:
    assert service.next_prune_at(now) == expected


async def test_prune_keeps_exactly_the_retention_window_per_guild(db, service, clock) -> None:
    other = G + 1
    await service.set_retention(G, 30)
    today = NOW.date()
    days = [today - timedelta(days=n) for n in (0, 29, 30, 200)]
    repo = ActivityRepository(db)
    for guild in (G, other):
        await repo.add_counts(
            [(guild, d.isoformat(), 1, 1) for d in days],
            [(guild, d.isoformat(), ME, 1) for d in days],
            [(guild, d.isoformat(), 1, 0) for d in days],
        )
    deleted = await service.prune()
    # G keeps 30 days (today and 29 before); the other guild keeps the default 180.
    assert deleted == 3 * 2 + 3 * 1
    privacy = PrivacyRepository(db)
    assert await privacy.oldest_activity_day(G) == today - timedelta(days=29)
    assert await privacy.oldest_activity_day(other) == today - timedelta(days=30)
    last = (await service.retention(G)).last_prune
    assert last is not None and (last.day, last.rows_deleted) == (today, 9)
    assert await service.prune() == 0  # idempotent
    assert (await service.retention(G)).last_prune.rows_deleted == 9  # type: ignore[union-attr]
