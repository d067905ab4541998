from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.announcements import AnnouncementRepository, ContentFigures, NewAnnouncement
from storage.database import Database

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
async def repo(tmp_path):
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        yield AnnouncementRepository(db)


def new(guild_id: int = 1, *, title: str | None = None, body: str = "Body text", at=T0):
    return NewAnnouncement(
        guild_id=guild_id,
        author_id=7,
        channel_id=100 + guild_id,
        channel_kind="text",
        title=title,
        body=body,
        image_url=None,
        ping_role_id=None,
        ping_everyone=False,
        repeat_spec="none",
        zone="UTC",
        anchor=at,
        next_run_at=at,
        late_policy="default",
    )


async def test_an_occurrence_can_be_claimed_only_once(repo) -> None:
    a = await repo.create(new(), T0)
    first = await repo.insert_delivery(a, T0, status="claimed", now=T0, rendered="{}")
    assert first is not None
    assert await repo.insert_delivery(a, T0, status="claimed", now=T0) is None
    assert [d.id for d in await repo.claimed()] == [first]
    assert await repo.mark_sent(first, message_id=5, channel_id=101, now=T0)
    assert not await repo.mark_sent(first, message_id=6, channel_id=101, now=T0)
    assert await repo.claimed() == []
    delivery = await repo.get_delivery(first)
    assert delivery.message_id == 5
    assert delivery.jump_url() == "https://discord.com/channels/1/101/5"


async def test_queries_are_scoped_by_guild(repo) -> None:
    a = await repo.create(new(1), T0)
    await repo.create(new(2), T0)
    assert await repo.get(2, a.id) is None
    assert [x.guild_id for x in await repo.list_in_guild(1)] == [1]
    assert await repo.count_active(1) == 1
    assert [x.id for x in await repo.search(1, str(a.id))] == [a.id]
    assert await repo.search(2, "nothing-like-this") == []
    assert await repo.history(2, a.id) == []


async def test_digest_figures_and_upcoming(repo) -> None:
    start, end = T0, T0 + timedelta(days=7)
    best = await repo.create(new(title="Launch"), T0)
    plain = await repo.create(new(body="A fairly long body " * 10), T0)
    other_guild = await repo.create(new(2, title="Elsewhere"), T0)
    for a, when, reactions in (
        (best, T0 + timedelta(days=1), 9),
        (plain, T0 + timedelta(days=2), 3),
        (plain, T0 + timedelta(days=3), None),  # not counted yet
        (plain, end, 50),  # outside [start, end)
        (other_guild, T0 + timedelta(days=1), 99),
    ):
        delivery_id = await repo.insert_delivery(a, when, status="claimed", now=when)
        await repo.mark_sent(delivery_id, message_id=delivery_id, channel_id=a.channel_id, now=when)
        if reactions is not None:
            await repo.record_reactions(delivery_id, reactions, when)
    missed = await repo.create(new(title="Missed one"), T0)
    await repo.insert_delivery(missed, T0 + timedelta(days=1), status="missed", now=T0)

    figures = await repo.digest_figures(1, start, end)
    assert isinstance(figures, ContentFigures)
    assert figures.sent == 3
    assert [(i, label, n) for i, label, n, _ in figures.best] == [
        (best.id, "Launch", 9),
        (plain.id, "A fairly long body A fairly long body A fairly long body A …", 3),
    ]
    assert figures.best[0][3] == f"https://discord.com/channels/1/101/{1}"

    later = await repo.create(new(title="Next week", at=T0 + timedelta(days=8)), T0)
    upcoming = await repo.upcoming_between(1, T0 + timedelta(days=7), T0 + timedelta(days=14))
    assert upcoming == [(later.id, "Next week", T0 + timedelta(days=8))]
    assert await repo.upcoming_between(2, T0 + timedelta(days=7), T0 + timedelta(days=14)) == []


async def test_drafts_expire(repo) -> None:
    draft_id = await repo.create_draft(1, 7, None, "{}", T0)
    assert (await repo.get_draft(1, draft_id)).options == "{}"
    assert await repo.get_draft(2, draft_id) is None
    await repo.delete_drafts_before(T0 + timedelta(seconds=1))
    assert await repo.get_draft(1, draft_id) is None


async def test_best_by_reactions_shows_what_was_posted_not_the_template(repo) -> None:
    from services.announcements.text import RenderedPost

    def posted(content: str | None, title: str | None, description: str | None, **ping) -> str:
        return RenderedPost(
            content=content,
            embed_title=title,
            embed_description=description,
            image_url=None,
            thread_name=None,
            ping_role_id=ping.get("role"),
            ping_everyone=False,
        ).to_json()

    template = await repo.create(new(body="**Python SDK 2.4 is out** on {date}!"), T0)
    pinged = await repo.create(new(body="Ship day {date}"), T0)
    titled = await repo.create(new(title="Release {date}", body="Notes"), T0)
    for a, rendered, reactions in (
        (template, posted("**Python SDK 2.4 is out** on <t:1767603600:D>!", None, None), 5),
        (pinged, posted("<@&55>\nShip day <t:1767603600:D>", None, None, role=55), 4),
        (titled, posted(None, "Release <t:1767603600:D>", "Notes"), 3),
    ):
        when = T0 + timedelta(hours=1)
        delivery_id = await repo.insert_delivery(
            a, when, status="claimed", now=when, rendered=rendered
        )
        await repo.mark_sent(delivery_id, message_id=delivery_id, channel_id=a.channel_id, now=when)
        await repo.record_reactions(delivery_id, reactions, when)

    labels = [
        label for _, label, _, _ in (await repo.digest_figures(1, T0, T0 + timedelta(7))).best
    ]
    assert labels == [
        "**Python SDK 2.4 is out** on <t:1767603600:D>!",
        "Ship day <t:1767603600:D>",
        "Release <t:1767603600:D>",
    ]
    assert not any("{date}" in label for label in labels)
