"""storage/privacy.py against a real migrated database: collect, forget, prune."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from services.tagging.similarity import terms
from storage.activity import ActivityRepository
from storage.announcements import AnnouncementRepository, NewAnnouncement
from storage.boundaries import BoundariesRepository, HoursRow
from storage.calls import CallsRepository, OccurrenceRepository
from storage.database import Database
from storage.feedback.items import FeedbackRepository, NewItem
from storage.feedback.tags import FeedbackTagRepository
from storage.hallway import HallwayRepository, NewGroup
from storage.help_channels import HelpChannelsRepository
from storage.members import MemberSettingsRepository
from storage.office_hours.rows import NewSession
from storage.office_hours.sessions import OfficeHoursRepository
from storage.oncall import OnCallRepository
from storage.privacy import (
    FORGOTTEN_ID,
    FORMER_MEMBER,
    USER_ID_COLUMNS,
    PrivacyRepository,
)
from storage.surveys import NewSurvey, SurveyRepository

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
G, OTHER_G = 1456074443980800010, 1456074443980800099
ME, YOU, HOST = 1456074443980800017, 1456074443980800018, 1456074443980800019


async def find_id(db: Database, user_id: int) -> list[tuple[str, str, int]]:
    """Every (table, column, rows) where the id appears: as an integer, as text, inside text."""
    hits: list[tuple[str, str, int]] = []
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for (table,) in tables:
        for column in await db.fetchall(f'PRAGMA table_info("{table}")'):
            name = column["name"]
            n = await db.fetchval(
                f'SELECT count(*) FROM "{table}" WHERE "{name}" = ? OR "{name}" = ? '
                f'OR CAST("{name}" AS TEXT) LIKE ?',
                (user_id, str(user_id), f"%{user_id}%"),
            )
            if n:
                hits.append((table, name, n))
    return hits


def session(guild_id: int, host: int, status_title: str = "EMEA hours") -> NewSession:
    return NewSession(
        guild_id=guild_id,
        title=status_title,
        description=f"Hosted by <@{host}>",
        host_id=host,
        starts_at=T0,
        ends_at=T0 + timedelta(hours=1),
        zone="UTC",
        repeat_spec="none",
        series_anchor=T0,
        location_channel_id=None,
        location_kind=None,
        text_channel_id=500,
    )


def item(guild_id: int, reporter: int, captured_by: int, summary: str) -> NewItem:
    return NewItem(
        guild_id=guild_id,
        summary=summary,
        details="",
        product_area=None,
        source="command",
        reporter_id=reporter,
        reporter_name=f"member {reporter}",
        captured_by_id=captured_by,
        channel_id=None,
        message_id=None,
        source_url=None,
        attachments=[],
        fields={},
        created_at=T0,
    )


def announcement(guild_id: int, author: int, body: str) -> NewAnnouncement:
    return NewAnnouncement(
        guild_id=guild_id,
        author_id=author,
        channel_id=600,
        channel_kind="text",
        title=None,
        body=body,
        image_url=None,
        ping_role_id=None,
        ping_everyone=False,
        repeat_spec="weekly",
        zone="UTC",
        anchor=T0,
        next_run_at=T0 + timedelta(days=1),
        late_policy="default",
    )


def survey(guild_id: int, author: int, title: str) -> NewSurvey:
    return NewSurvey(
        guild_id=guild_id,
        kind="survey",
        title=title,
        anonymous=False,
        public_results=False,
        closes_at=None,
        zone="UTC",
        author_id=author,
        created_at=T0,
    )


async def seed(db: Database, guild_id: int) -> dict[str, int]:
    """ME in every role a member can have, YOU and HOST beside them."""
    oh = OfficeHoursRepository(db)
    fb = FeedbackRepository(db)
    tags = FeedbackTagRepository(db)
    ann = AnnouncementRepository(db)
    act = ActivityRepository(db)
    hosted = await oh.insert_session(session(guild_id, ME), T0)
    other = await oh.insert_session(session(guild_id, HOST), T0)
    await oh.mark_live(guild_id, other.id, T0)
    mine = await oh.questions.add_question(guild_id, other.id, ME, "How do webhooks retry?", T0)
    # A carried-over copy of my question references the original.
    await oh.questions.add_question(
        guild_id, hosted.id, ME, "How do webhooks retry?", T0, priority=0, carried_from=mine.id
    )
    yours = await oh.questions.add_question(guild_id, other.id, YOU, f"Same as <@{ME}> asked", T0)
    await oh.questions.mark_taken(guild_id, yours.id, ME, T0)
    text = f"SDK 401 after refresh, see <@!{ME}>"
    reported = await fb.create_item(item(guild_id, ME, ME, "SDK 401 after refresh"), [], {})
    captured = await fb.create_item(
        item(guild_id, YOU, ME, text), [("auth", 0.9, "rule")], terms(text)
    )
    theirs = await fb.create_item(item(guild_id, YOU, YOU, "Docs are thin"), [], {})
    await fb.add_vote(guild_id, theirs, ME, T0)
    # My later duplicate merged into theirs makes me one of its reporters.
    dup = await fb.create_item(item(guild_id, ME, ME, "Docs thin again"), [], {})
    await fb.merge(guild_id, dup, theirs, YOU, "dup", T0)
    await fb.add_vote(guild_id, reported, YOU, T0)
    await fb.set_status(guild_id, theirs, "planned", ME, f"thanks <@{ME}>", T0)
    # Told by DM that an item shipped (loop closure): ids and a time.
    await fb.record_told(guild_id, theirs, [ME, YOU], T0)
    await tags.retag(guild_id, theirs, ["docs"], [], ME, T0, [("docs", str(ME), 1)], [("docs", 1)])
    await ann.create(announcement(guild_id, ME, "Release notes"), T0)
    await ann.create(announcement(guild_id, YOU, f"Welcome <@{ME}> to the team"), T0)
    await ann.create_draft(guild_id, ME, None, '{"title": "Draft"}', T0)
    await act.add_counts(
        [(guild_id, "2026-03-01", 700, 5)],
        [(guild_id, "2026-03-01", ME, 3), (guild_id, "2026-03-01", YOU, 2)],
        [(guild_id, "2026-03-01", 1, 0)],
        milestones=[(guild_id, ME, T0, T0), (guild_id, YOU, T0, None)],
    )
    # Hallway: a zone, answers, never lists both ways, a group with YOU and a sit-out.
    await MemberSettingsRepository(db).set_timezone(guild_id, ME, "Europe/Berlin", T0)
    hallway = HallwayRepository(db)
    for who in (ME, YOU):
        await hallway.save_member(
            guild_id,
            who,
            interests=["rust"],
            intro=f"hi, ask <@{ME}>" if who == YOU else "hello",
            free_hours="18-21 weekdays",
            server_joined_at=T0,
            now=T0,
        )
    await hallway.add_never(guild_id, ME, HOST, T0)
    await hallway.add_never(guild_id, HOST, ME, T0)
    together = NewGroup((ME, YOU), ("shared interests: rust",), (T0,))
    await hallway.claim_round(guild_id, 1, T0, 2, [together], [], T0)
    await hallway.claim_round(
        guild_id,
        2,
        T0 + timedelta(days=7),
        3,
        [NewGroup((YOU, HOST), (), ())],
        [(ME, "odd pool", True)],
        T0,
    )
    # Surveys: I created one; I answered and was reminded about an attributed one of yours.
    surveys = SurveyRepository(db)
    await surveys.create(survey(guild_id, ME, f"Mine, ask <@{ME}>"))
    yours_survey = await surveys.create(survey(guild_id, YOU, "Pulse"))
    await surveys.add_question(guild_id, yours_survey, "nps", "Recommend?", [], False, limit=10)
    await surveys.mark_open(guild_id, yours_survey, channel_id=700, opened_at=T0, secret=None)
    for who in (ME, YOU):
        await surveys.save_answer(
            guild_id, yours_survey, 1, 9, member_id=who, member_hash=None, now=T0
        )
        await surveys.submit(guild_id, yours_survey, member_id=who, member_hash=None, now=T0)
    await surveys.claim_reminders(guild_id, yours_survey, [ME], T0)
    # Help channels: a post of mine (answered by YOU) and one of YOU's.
    help_posts = HelpChannelsRepository(db)
    day = timedelta(days=1)
    await help_posts.track(guild_id, 901, 800, None, ME, T0, T0 + day, T0 + 2 * day)
    await help_posts.answer(guild_id, 901, T0 + timedelta(hours=1))
    await help_posts.track(guild_id, 902, 800, None, YOU, T0, T0 + day, T0 + 2 * day)
    # A call series ME signed up to host, hosted one call of, and added an agenda item to.
    series = await CallsRepository(db).create_series(
        guild_id,
        title="Community call",
        cadence="weekly",
        mode="parallel",
        duration_minutes=60,
        channel_id=None,
        location="https://example.com/call",
        anchor=T0.date(),
        now=T0,
    )
    slot = await CallsRepository(db).add_slot(
        guild_id, series.id, name="APAC", weekday=2, local_time="10:00", zone="Asia/Tokyo", now=T0
    )
    calls = OccurrenceRepository(db)
    await calls.add_host(guild_id, series.id, slot.id, ME, T0)
    await calls.claim(
        guild_id,
        series.id,
        slot_id=slot.id,
        slot_name="APAC",
        cycle=0,
        starts_at=T0,
        host_id=ME,
        now=T0,
    )
    await calls.add_item(guild_id, series.id, ME, "Release notes", T0)
    # Boundaries: my hours, a week off, one notice delivered and one still held.
    bounds = BoundariesRepository(db)
    await bounds.set_hours(HoursRow(guild_id, ME, (0, 1, 2, 3, 4), 540, 1020, "Europe/Berlin"), T0)
    await bounds.add_away(guild_id, ME, T0, T0 + timedelta(days=7), "holiday", T0)
    sent = await bounds.hold(guild_id, ME, "triage", "1 feedback item needs triage", T0)
    await bounds.claim(guild_id, ME, [sent], "While you were off: 1 feedback item", T0)
    await bounds.hold(guild_id, ME, "host", f"you host Thursday's call, ask <@{ME}>", T0)
    # On call: I rotate, held a shift with a note, and cover for YOU (who set it up).
    oncall = OnCallRepository(db)
    await oncall.join(guild_id, ME, T0)
    shift = await oncall.claim_shift(guild_id, T0, T0 + timedelta(days=1), ME, T0)
    assert shift is not None
    await oncall.set_note(guild_id, shift.id, f"ask <@{ME}> later")
    await oncall.add_override(guild_id, ME, T0, T0 + timedelta(hours=2), YOU, T0)
    await oncall.add_override(guild_id, YOU, T0, T0 + timedelta(hours=2), ME, T0)
    return {
        "reported": reported,
        "captured": captured,
        "theirs": theirs,
        "live": other.id,
        "hosted": hosted.id,
    }


async def test_collect_finds_every_kind_of_data(db) -> None:
    await seed(db, G)
    data = await PrivacyRepository(db).collect(G, ME)
    counts = data.counts()
    assert all(counts.values()), counts  # the seed covers every section
    assert counts["office_hours_questions"] == 2
    assert data.feedback_reported[0]["summary"] == "SDK 401 after refresh"
    # Own reports (1, 4) and a +1 on 3.
    assert {v["item_id"] for v in data.feedback_votes} == {1, 3, 4}
    assert [r["item_id"] for r in data.feedback_also_reported] == [3]
    assert data.announcement_drafts[0]["options"] == {"title": "Draft"}
    assert data.activity_days == [{"day": "2026-03-01", "messages": 3}]
    # Only this member: YOU's question is not in ME's export, and no other guild leaks in.
    assert all(q["question"] == "How do webhooks retry?" for q in data.office_hours_questions)
    assert data.member_settings[0]["timezone"] == "Europe/Berlin"
    assert data.hallway_profile[0]["interests"] == ["rust"]
    assert [n["other_user_id"] for n in data.hallway_never_list] == [HOST]
    assert [(g["round"], g["partners"]) for g in data.hallway_groups] == [(1, str(YOU))]
    assert [s["round"] for s in data.hallway_sat_out] == [2]
    assert (await PrivacyRepository(db).collect(OTHER_G, ME)).counts() == dict.fromkeys(counts, 0)


async def test_forget_leaves_no_trace_of_the_id_and_keeps_shared_records(db) -> None:
    ids = await seed(db, G)
    await seed(db, OTHER_G)
    repo = PrivacyRepository(db)
    before_other = await repo.collect(OTHER_G, ME)
    result = await repo.forget(G, ME)
    assert result.sessions_changed == sorted([ids["hosted"], ids["live"]])
    assert result.deleted["office_hours_questions"] == 2
    assert result.deleted["feedback_votes"] == 3 and result.deleted["announcement_drafts"] == 1

    # The other guild still holds everything: forgetting is per server.
    assert (await repo.collect(OTHER_G, ME)).counts() == before_other.counts()
    assert await find_id(db, ME) != []
    await repo.forget(OTHER_G, ME)
    assert await find_id(db, ME) == []

    fb = FeedbackRepository(db)
    reported = await fb.get(G, ids["reported"])
    assert reported is not None
    assert (reported.reporter_id, reported.reporter_name) == (FORGOTTEN_ID, FORMER_MEMBER)
    assert reported.votes == 1 and await fb.voters(G, reported.id) == [YOU]  # YOU's vote stays
    theirs = await fb.get(G, ids["theirs"])
    assert theirs is not None and theirs.votes == 1 and theirs.status == "planned"
    assert (await fb.history(G, theirs.id))[-1].note == f"thanks @{FORMER_MEMBER}"
    captured = await fb.get(G, ids["captured"])
    assert captured is not None
    assert captured.summary == f"SDK 401 after refresh, see @{FORMER_MEMBER}"
    assert captured.reporter_id == YOU and captured.captured_by_id == FORGOTTEN_ID
    # YOU's data is untouched; YOU's question text no longer names ME.
    you = await repo.collect(G, YOU)
    assert you.office_hours_questions[0]["question"] == f"Same as @{FORMER_MEMBER} asked"
    assert len(you.feedback_votes) == 3
    oh = OfficeHoursRepository(db)
    assert [q.user_id for q in await oh.questions.waiting(G, ids["live"])] == []  # YOU's was taken
    rows = await db.fetchall("SELECT author_id, status FROM announcements WHERE guild_id = ?", (G,))
    assert sorted(r[0] for r in rows) == [FORGOTTEN_ID, YOU]
    assert all(r[1] == "scheduled" for r in rows)
    # YOU's hallway history keeps the group, with ME as "a former member" (id 0).
    past = await HallwayRepository(db).past_groups(G, YOU)
    assert [g.members for g in past] == [(YOU, HOST), (FORGOTTEN_ID, YOU)]
    assert await HallwayRepository(db).never_pairs(G) == []
    # Index counts stay consistent after the id's term went.
    df_total = await db.fetchval("SELECT sum(df) FROM feedback_doc_freq WHERE guild_id = ?", (G,))
    terms_total = await db.fetchval("SELECT count(*) FROM feedback_terms WHERE guild_id = ?", (G,))
    assert df_total == terms_total
    assert await db.fetchall("PRAGMA foreign_key_check") == []


async def test_every_member_id_column_in_the_schema_is_handled(db) -> None:
    """A new feature's column that names a person must be added to USER_ID_COLUMNS."""
    person = re.compile(r"(user|host|author|actor|reporter|captured_by|member|voter|owner|asker)")
    found = set()
    tables = await db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for (table,) in tables:
        for column in await db.fetchall(f'PRAGMA table_info("{table}")'):
            if person.search(column["name"]) and column["name"] != "reporter_name":
                found.add((table, column["name"]))
    assert found == set(USER_ID_COLUMNS)


async def test_retention_and_pruning_are_per_guild(db) -> None:
    repo = PrivacyRepository(db)
    assert await repo.retention_days(G) == 180
    await repo.set_retention_days(G, 30, T0)
    await repo.set_retention_days(G, 45, T0)
    assert await repo.retention_days(G) == 45 and await repo.retention_days(OTHER_G) == 180
    act = ActivityRepository(db)
    for guild in (G, OTHER_G):
        await act.add_counts(
            [(guild, "2026-01-01", 1, 1), (guild, "2026-02-01", 1, 1)],
            [(guild, "2026-01-01", ME, 1), (guild, "2026-02-01", ME, 1)],
            [(guild, "2026-01-01", 1, 0), (guild, "2026-02-01", 0, 1)],
        )
    assert sorted(await repo.activity_guilds()) == [G, OTHER_G]
    assert await repo.prune_activity(G, date(2026, 2, 1)) == 3
    assert await repo.oldest_activity_day(G) == date(2026, 2, 1)
    assert await repo.oldest_activity_day(OTHER_G) == date(2026, 1, 1)
    await repo.record_prune(date(2026, 3, 2), T0, 3)
    await repo.record_prune(date(2026, 3, 2), T0 + timedelta(hours=1), 2)
    last = await repo.last_prune()
    assert last is not None and last.rows_deleted == 5 and last.ran_at == T0 + timedelta(hours=1)


async def test_the_database_refuses_a_retention_outside_the_range(db) -> None:
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        await PrivacyRepository(db).set_retention_days(G, 10, T0)
