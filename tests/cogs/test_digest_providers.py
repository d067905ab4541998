"""The digest reads the other features' figures through their real repositories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.announcements import AnnouncementRepository, NewAnnouncement
from storage.feedback.items import FeedbackRepository, NewItem
from storage.hallway import HallwayRepository, NewGroup
from storage.office_hours.rows import NewSession
from storage.office_hours.sessions import OfficeHoursRepository
from tests.conftest import make_advocates


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


async def seed(world, db) -> None:
    g = world.guild.id
    office = OfficeHoursRepository(db)

    def session(title: str, starts: datetime) -> NewSession:
        return NewSession(
            guild_id=g,
            title=title,
            description=None,
            host_id=world.alice.id,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            zone="UTC",
            repeat_spec="none",
            series_anchor=starts,
            location_channel_id=None,
            location_kind=None,
            text_channel_id=world.general.id,
        )

    held = await office.insert_session(session("Weekly AMA", at(2, 17)), at(1))
    await office.mark_live(g, held.id, at(2, 17))
    answered = await office.questions.add_question(g, held.id, world.bob.id, "How?", at(2, 17, 5))
    skipped = await office.questions.add_question(g, held.id, world.carol.id, "Why?", at(2, 17, 6))
    await office.questions.mark_taken(g, answered.id, world.alice.id, at(2, 17, 10))
    await office.questions.finish(g, answered.id, "answered", at(2, 17, 20), host_id=world.alice.id)
    await office.questions.finish(g, skipped.id, "skipped", at(2, 17, 30))
    await office.mark_ended(g, held.id, at(2, 18))
    await office.insert_session(session("Friday clinic", at(9, 16)), at(1))

    feedback = FeedbackRepository(db)

    def item(summary: str, day: int) -> NewItem:
        return NewItem(
            guild_id=g,
            summary=summary,
            details=summary,
            product_area=None,
            source="command",
            reporter_id=world.bob.id,
            reporter_name="Bob the Builder",
            captured_by_id=world.alice.id,
            channel_id=None,
            message_id=None,
            source_url=None,
            attachments=[],
            fields={},
            created_at=at(day),
        )

    shipped_id = await feedback.create_item(item("Login loops", 3), [("auth", 1.0, "model")], {})
    await feedback.set_status(g, shipped_id, "shipped", world.alice.id, "v2", at(4))
    await feedback.create_item(item("Docs search", 5), [("docs", 1.0, "model")], {})

    announcements = AnnouncementRepository(db)

    def announcement(title: str, next_run: datetime | None) -> NewAnnouncement:
        return NewAnnouncement(
            guild_id=g,
            author_id=world.alice.id,
            channel_id=world.general.id,
            channel_kind="text",
            title=title,
            body=f"{title}!",
            image_url=None,
            ping_role_id=None,
            ping_everyone=False,
            repeat_spec="none",
            zone="UTC",
            anchor=next_run or at(2),
            next_run_at=next_run,
            late_policy="default",
        )

    launch = await announcements.create(announcement("Launch week", None), at(1))
    delivery = await announcements.insert_delivery(launch, at(2), status="claimed", now=at(2))
    assert delivery is not None
    await announcements.mark_sent(delivery, message_id=123, channel_id=world.general.id, now=at(2))
    await announcements.record_reactions(delivery, 7, at(3))
    await announcements.create(announcement("Release notes", at(10, 15)), at(1))

    hallway = HallwayRepository(db)
    pairs = [(world.bob.id, world.carol.id), (world.alice.id, world.admin.id)]
    made = await hallway.claim_round(
        g, 1, at(2), 4, [NewGroup(p, (), ()) for p in pairs], [], at(2)
    )
    assert made is not None
    first, second = await hallway.round_groups(made.id)
    for group in (first, second):
        await hallway.mark_created(group.id, 900 + group.id, at(6), at(2))
    await hallway.set_answer(g, first.id, world.bob.id, "yes", at(4))
    await hallway.set_answer(g, second.id, world.admin.id, "no", at(5))


async def test_preview_shows_every_feature_from_its_own_records(world, bots) -> None:
    await make_advocates(world)
    await seed(world, bots.current.db)
    await world.env.advance_time(7 * 86400)  # Thursday 8 January: covers 1-7 January

    r = await world.alice.slash(world.general, "digest preview")
    assert r.ephemeral
    embeds = {e.title: e.description for e in r.response.embeds}
    office = embeds["🎙️ Office hours"]
    assert "Sessions held: **1**" in office
    assert "Questions: **2** asked · **1** answered · **1** skipped · **0** carried over" in office
    assert "Unique askers: **2**" in office
    assert f"<@{world.alice.id}>" in office
    pain = embeds["🧭 Pain points"]
    assert "New feedback items: **2**" in pain
    assert "`auth` 1 ▲ new (last week: 0)" in pain
    assert "#2 Docs search — 1 vote" in pain
    assert embeds["🚢 You asked, we shipped"] == "✅ #1 Login loops — thanks Bob the Builder"
    content = embeds["📣 Content"]
    assert "Announcements sent: **1**" in content
    assert "Launch week](https://discord.com/channels/" in content and "7 reactions" in content
    assert embeds["☕ Hallway track"].splitlines() == [
        "Groups made: **2**",
        "Met rate: **50%** (1 of 2 groups that answered)",
        "New connections: **1** (met, never paired before)",
    ]
    coming = embeds["🗓️ Coming up"].splitlines()
    assert coming == [
        f"<t:{int(at(9, 16).timestamp())}:f> · 🎙️ Office hours: **Friday clinic**",
        f"<t:{int(at(10, 15).timestamp())}:f> · 📣 Release notes",
    ]
    # Reporters are thanked by name; nothing in the reply can ping.
    reply = [q for q in world.env.http_requests if q.path.startswith("/webhooks/")][-1]
    assert reply.json["allowed_mentions"] == {"parse": []}
