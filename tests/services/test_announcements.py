from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from services.announcements.delivery import DeliveryService
from services.announcements.scheduling import AnnouncementService
from services.announcements.text import check_image_url, check_template, defuse_mass_mentions
from services.errors import Conflict, InvalidInput, NotFound
from services.time.clock import FixedClock
from storage.announcements import AnnouncementRepository

GUILD = 10
AUTHOR = 20
START = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)


@dataclass
class Session:
    title: str
    starts_at: datetime


class FakeOfficeHours:
    def __init__(self, session: Session | None) -> None:
        self.session = session
        self.asked: list[int] = []

    async def next_session(self, guild_id: int) -> Session | None:
        self.asked.append(guild_id)
        return self.session


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def make_service(db, clock, office_hours=None) -> AnnouncementService:
    async def zone(guild_id: int) -> str:
        return "Europe/Berlin"

    return AnnouncementService(
        AnnouncementRepository(db),
        clock,
        default_zone=zone,
        server_name=lambda guild_id: "DevRel",
        office_hours=lambda: office_hours,
    )


def make_deliveries(svc: AnnouncementService) -> DeliveryService:
    return DeliveryService(svc.repo, svc.clock, get=svc.get, render=svc.render)


async def create(svc, *, when="2026-01-01 10:00", repeat="none", body="Hi {server}", **extra):
    options = {
        "channel_id": 30,
        "channel_kind": "text",
        "when": when,
        "repeat": repeat,
        "zone": "UTC",
        "ping_role_id": None,
        "ping_everyone": False,
        "title": None,
        "late": None,
    }
    image = extra.pop("image_url", None)
    options.update(extra)
    draft = await svc.start_draft(GUILD, AUTHOR, **options)
    return await svc.create_from_draft(GUILD, AUTHOR, draft.id, body=body, image_url=image)


# ------------------------------------------------------------------ templates


def test_unknown_variable_lists_the_ones_that_exist() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_template("Hello {user}")
    text = str(caught.value)
    assert "`{user}`" in text
    for name in ("{server}", "{date}", "{next_office_hours}"):
        assert name in text


def test_literal_braces_and_stray_braces() -> None:
    check_template('JSON looks like {{"a": 1}} on {date}')
    with pytest.raises(InvalidInput, match="stray brace"):
        check_template("oops {")
    with pytest.raises(InvalidInput, match="isn't a template variable"):
        check_template("{server.__class__}")


def test_mass_mentions_are_defused() -> None:
    assert defuse_mass_mentions("@everyone and @here") == "@\u200beveryone and @\u200bhere"


def test_image_url_must_be_http() -> None:
    assert check_image_url("  https://x.io/a.png ") == "https://x.io/a.png"
    assert check_image_url("") is None
    for bad in ("ftp://x.io/a.png", "javascript:alert(1)", "https://", "x.io/a.png"):
        with pytest.raises(InvalidInput):
            check_image_url(bad)


# ------------------------------------------------------------------ rendering


async def test_render_plain_embed_forum_and_variables(db, clock) -> None:
    office = FakeOfficeHours(Session("API clinic", datetime(2026, 1, 2, 17, tzinfo=UTC)))
    svc = make_service(db, clock, office)
    a = await create(svc, body="{server}: {next_office_hours} on {date}")
    post = await svc.preview(a)
    assert post.content == "DevRel: API clinic (<t:1767373200:F>) on <t:1767261600:D>"
    assert not post.has_embed and post.thread_name is None
    assert office.asked == [GUILD]

    titled = await create(svc, title="News", image_url="https://x.io/b.png", ping_role_id=5)
    post = await svc.preview(titled)
    assert post.content == "<@&5>"  # the ping stays outside the embed, where it works
    assert (post.embed_title, post.embed_description, post.image_url) == (
        "News",
        "Hi DevRel",
        "https://x.io/b.png",
    )

    long = await create(svc, body="x" * 2500)
    post = await svc.preview(long)
    assert post.content is None and post.embed_description == "x" * 2500

    forum = await create(svc, channel_kind="forum", body="\n# Launch day\nDetails")
    assert (await svc.preview(forum)).thread_name == "Launch day"


async def test_no_office_hours_service_means_none_scheduled(db, clock) -> None:
    svc = make_service(db, clock, None)
    a = await create(svc, body="{next_office_hours}")
    assert (await svc.preview(a)).content == "none scheduled"
    svc = make_service(db, clock, FakeOfficeHours(None))
    assert (await svc.preview(a)).content == "none scheduled"


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"when": "2025-12-31 10:00"}, "passed"),
        ({"repeat": "cron:0 9 * *"}, "needs 5"),
        ({"repeat": "cron:*/20 * * * *"}, "at least an hour apart"),
        ({"repeat": "sometimes"}, "isn't a repeat I know"),
        ({"zone": "Nowhere/City"}, "isn't a time zone"),
        ({"late": "maybe"}, "`late` must be"),
        ({"channel_kind": "voice"}, "text, announcement or forum"),
    ],
)
async def test_start_draft_rejects_bad_options(db, clock, options, message) -> None:
    svc = make_service(db, clock)
    with pytest.raises(InvalidInput, match=message):
        await create(svc, **options)
    assert await svc.list(GUILD) == []


async def test_default_zone_is_the_guilds(db, clock) -> None:
    svc = make_service(db, clock)
    a = await create(svc, zone=None, when="2026-01-01 10:00")
    assert a.zone == "Europe/Berlin"
    assert a.next_run_at == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


async def test_active_limit_counts_scheduled_and_paused(db, clock) -> None:
    svc = make_service(db, clock)
    for _ in range(200):
        await create(svc)
    with pytest.raises(Conflict, match="200"):
        await create(svc)
    await svc.cancel(GUILD, 1)
    await create(svc)


async def test_drafts_belong_to_their_author_and_guild(db, clock) -> None:
    svc = make_service(db, clock)
    draft = await svc.start_draft(
        GUILD,
        AUTHOR,
        channel_id=1,
        channel_kind="text",
        when="in 2 hours",
        repeat="none",
        zone=None,
        ping_role_id=None,
        ping_everyone=False,
        title=None,
        late=None,
    )
    with pytest.raises(NotFound, match="expired"):
        await svc.create_from_draft(GUILD, AUTHOR + 1, draft.id, body="x", image_url=None)
    with pytest.raises(NotFound):
        await svc.create_from_draft(GUILD + 1, AUTHOR, draft.id, body="x", image_url=None)
    await svc.create_from_draft(GUILD, AUTHOR, draft.id, body="x", image_url=None)
    with pytest.raises(NotFound):  # used up
        await svc.create_from_draft(GUILD, AUTHOR, draft.id, body="x", image_url=None)


# ------------------------------------------------------------------ delivery


async def test_claim_is_exclusive_and_record_advances(db, clock) -> None:
    svc = make_service(db, clock)
    deliveries = make_deliveries(svc)
    a = await create(svc, repeat="daily")
    assert await deliveries.start_occurrence(a.id) is None  # not due yet
    clock.set(datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    occurrence = await deliveries.start_occurrence(a.id)
    assert occurrence is not None and occurrence.claim is not None
    claim = occurrence.claim
    assert claim.nonce == f"hallway-ann-{claim.delivery_id}"
    again = await deliveries.start_occurrence(a.id)  # claimed: nobody else sends it
    assert again is not None and again.in_flight and again.claim is None

    resumed = await deliveries.claimed_deliveries()
    assert [c.delivery_id for c in resumed] == [claim.delivery_id]
    assert resumed[0].resumed and resumed[0].post == claim.post

    recorded = await deliveries.record_sent(claim, message_id=99, channel_id=30)
    assert recorded.delivery.status == "sent" and recorded.delivery.message_id == 99
    assert recorded.announcement.next_run_at == datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
    assert await deliveries.claimed_deliveries() == []
    jobs = await deliveries.reaction_jobs()
    assert [(d.id, due) for d, due in jobs] == [
        (claim.delivery_id, datetime(2026, 1, 2, 10, 0, tzinfo=UTC))
    ]
    await deliveries.record_reactions(claim.delivery_id, 4)
    assert await deliveries.reaction_jobs() == []


async def test_one_off_completes_after_sending(db, clock) -> None:
    svc = make_service(db, clock)
    deliveries = make_deliveries(svc)
    a = await create(svc)
    clock.set(datetime(2026, 1, 1, 10, 0, 30, tzinfo=UTC))
    claim = (await deliveries.start_occurrence(a.id)).claim
    recorded = await deliveries.record_sent(claim, message_id=1, channel_id=30)
    assert recorded.announcement.status == "completed"
    assert recorded.announcement.next_run_at is None


@pytest.mark.parametrize(
    ("late", "minutes_late", "sends"),
    [
        (None, 3, True),
        (None, 30, True),
        (None, 180, False),
        ("skip", 3, True),  # within the on-time grace
        ("skip", 15, False),
        ("send", 180, True),
    ],
)
async def test_late_policy(db, clock, late, minutes_late, sends) -> None:
    svc = make_service(db, clock)
    deliveries = make_deliveries(svc)
    a = await create(svc, late=late)
    clock.set(datetime(2026, 1, 1, 10, 0, tzinfo=UTC) + timedelta(minutes=minutes_late))
    occurrence = await deliveries.start_occurrence(a.id)
    assert occurrence is not None
    assert (occurrence.claim is not None) is sends
    history = await svc.history(GUILD, a.id)
    assert [d.status for d in history] == ["claimed" if sends else "missed"]
    if not sends:
        assert occurrence.missed == [datetime(2026, 1, 1, 10, 0, tzinfo=UTC)]
        assert (await svc.get(GUILD, a.id)).status == "completed"


async def test_long_outage_records_each_missed_occurrence(db, clock) -> None:
    svc = make_service(db, clock)
    deliveries = make_deliveries(svc)
    a = await create(svc, repeat="daily", late="send")
    clock.set(datetime(2026, 1, 4, 12, 0, tzinfo=UTC))
    occurrence = await deliveries.start_occurrence(a.id)
    assert occurrence.claim is not None
    assert occurrence.claim.scheduled_for == datetime(2026, 1, 4, 10, 0, tzinfo=UTC)
    assert occurrence.missed == [datetime(2026, 1, d, 10, 0, tzinfo=UTC) for d in (1, 2, 3)]
    recorded = await deliveries.record_sent(occurrence.claim, message_id=5, channel_id=30)
    assert recorded.announcement.next_run_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    statuses = [d.status for d in await svc.history(GUILD, a.id)]
    assert statuses == ["sent", "missed", "missed", "missed"]


async def test_failure_ends_a_one_off_but_not_a_repeat(db, clock) -> None:
    svc = make_service(db, clock)
    deliveries = make_deliveries(svc)
    once = await create(svc)
    daily = await create(svc, repeat="daily")
    clock.set(datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    for a, status in ((once, "failed"), (daily, "scheduled")):
        claim = (await deliveries.start_occurrence(a.id)).claim
        await deliveries.record_attempt(claim.delivery_id, "500: boom")
        recorded = await deliveries.record_failed(
            claim, "I can't post in #news: missing Send Messages"
        )
        assert recorded.delivery.status == "failed" and recorded.delivery.attempts == 1
        assert recorded.announcement.status == status


async def test_manual_send_of_a_pending_one_off_completes_it(db, clock) -> None:
    svc = make_service(db, clock)
    deliveries = make_deliveries(svc)
    a = await create(svc)
    claim = await deliveries.claim_now(GUILD, a.id)
    assert claim.manual
    recorded = await deliveries.record_sent(claim, message_id=1, channel_id=30)
    assert recorded.announcement.status == "completed"
    clock.set(datetime(2026, 1, 1, 10, 0, tzinfo=UTC))
    assert await deliveries.start_occurrence(a.id) is None


# ------------------------------------------------------------------ managing


async def test_pause_resume_cancel_transitions(db, clock) -> None:
    svc = make_service(db, clock)
    deliveries = make_deliveries(svc)
    a = await create(svc, repeat="daily")
    with pytest.raises(Conflict, match="only a paused"):
        await svc.resume(GUILD, a.id)
    paused = await svc.pause(GUILD, a.id)
    assert paused.status == "paused" and paused.next_run_at is None
    with pytest.raises(Conflict, match="only a scheduled"):
        await svc.pause(GUILD, a.id)
    clock.set(datetime(2026, 1, 3, 12, 0, tzinfo=UTC))
    resumed = await svc.resume(GUILD, a.id)
    assert resumed.next_run_at == datetime(2026, 1, 4, 10, 0, tzinfo=UTC)
    cancelled = await svc.cancel(GUILD, a.id)
    assert cancelled.status == "cancelled"
    with pytest.raises(Conflict):
        await svc.cancel(GUILD, a.id)
    with pytest.raises(Conflict):
        await deliveries.claim_now(GUILD, a.id)
    with pytest.raises(NotFound):
        await svc.get(GUILD + 1, a.id)


async def test_edit_changes_zone_keeping_wall_time(db, clock) -> None:
    svc = make_service(db, clock)
    a = await create(svc, when="2026-01-05 09:00", repeat="weekly")
    draft, _ = await svc.start_edit(GUILD, AUTHOR, a.id, when=None, zone="Asia/Tokyo", repeat=None)
    edited = await svc.apply_edit(
        GUILD, AUTHOR, draft.id, title="T", body="New {date}", image_url=None
    )
    assert edited.zone == "Asia/Tokyo" and edited.title == "T" and edited.body == "New {date}"
    assert edited.next_run_at == datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput, match="at least an hour"):
        await svc.start_edit(GUILD, AUTHOR, a.id, when=None, zone=None, repeat="cron:* * * * *")
    with pytest.raises(InvalidInput, match="isn't a template variable"):
        draft, _ = await svc.start_edit(GUILD, AUTHOR, a.id, when=None, zone=None, repeat=None)
        await svc.apply_edit(GUILD, AUTHOR, draft.id, title=None, body="{nope}", image_url=None)
    assert (await svc.get(GUILD, a.id)).body == "New {date}"


async def test_upcoming_lists_five_occurrences(db, clock) -> None:
    svc = make_service(db, clock)
    a = await create(svc, repeat="weekdays")
    upcoming = svc.upcoming(a)
    assert [d.day for d in upcoming] == [1, 2, 5, 6, 7]


async def test_failed_send_now_leaves_a_pending_one_off_scheduled(db, clock) -> None:
    svc = make_service(db, clock)
    deliveries = make_deliveries(svc)
    a = await create(svc)
    claim = await deliveries.claim_now(GUILD, a.id)
    recorded = await deliveries.record_failed(claim, "I can't post in #news: missing Send Messages")
    assert recorded.delivery.status == "failed"
    assert recorded.announcement.status == "scheduled"
    assert recorded.announcement.next_run_at == a.next_run_at
