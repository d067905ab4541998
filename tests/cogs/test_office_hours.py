"""Office hours end to end through discord.py, with SimCord and virtual time.

The jobs that run on the alarm clock (reminders, automatic start and end, sessions missed
while offline) are tested in test_office_hours_jobs.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import discord
import pytest
from simcord import OptionError

from services.feedback.capture import CaptureResult
from storage.office_hours.rows import OfficeHoursSettings
from tests.conftest import card_in, make_advocates

START = datetime(2026, 1, 1, tzinfo=UTC)


async def setup_office(world):
    await make_advocates(world)
    office = world.guild.create_text_channel("office-hours")
    await world.env.settle()
    r = await world.alice.slash(world.general, "setup channel", kind="office-hours", channel=office)
    assert "office-hours channel" in r.response.content
    return office


def events(world) -> dict:
    return world.env.backend.get_guild(world.guild.id).scheduled_events


def service(bots):
    return bots.current.services.office_hours


def ts(when: datetime, style: str) -> str:
    return f"<t:{int(when.timestamp())}:{style}>"


def board_message(office, session_id: int) -> discord.Message:
    for message in office.history():
        for row in message.components:
            for item in getattr(row, "children", [row]):
                if getattr(item, "custom_id", None) == f"hallway:oh:join:{session_id}":
                    return message
    raise AssertionError("no board message")


def board_text(message: discord.Message) -> str:
    embed = message.embeds[0]
    return "\n".join(f"{f.name}: {f.value}" for f in embed.fields) + (embed.description or "")


async def schedule(world, **options):
    options.setdefault("title", "EMEA office hours")
    options.setdefault("start", "2026-01-02 17:00")
    r = await world.alice.slash(world.general, "officehours schedule", **options)
    assert r.ephemeral
    return r


async def test_scheduling_creates_the_event_and_upcoming_lists_it(world, bots) -> None:
    office = await setup_office(world)
    r = await schedule(world, duration=90, description="Bring your API questions")
    starts = datetime(2026, 1, 2, 17, 0, tzinfo=UTC)
    text = r.response.content
    assert "Scheduled **EMEA office hours**" in text
    assert ts(starts, "F") in text and ts(starts, "R") in text
    [event] = events(world).values()
    assert event.name == "EMEA office hours"
    assert event.entity_type == 3  # external: the office-hours text channel
    assert event.entity_metadata == {"location": "#office-hours"}
    assert datetime.fromisoformat(event.scheduled_start_time) == starts
    assert datetime.fromisoformat(event.scheduled_end_time) == datetime(
        2026, 1, 2, 18, 30, tzinfo=UTC
    )
    assert event.description == "Bring your API questions"
    [session] = await service(bots).repo.upcoming(world.guild.id, START, 10)
    assert session.event_id == event.id and session.text_channel_id == office.id

    await world.carol.slash(world.general, "officehours ask", question="How do webhooks retry?")
    r = await world.bob.slash(world.general, "officehours upcoming")
    assert r.ephemeral
    assert "EMEA office hours" in r.response.content
    assert ts(starts, "F") in r.response.content
    assert f"host <@{world.alice.id}>" in r.response.content
    assert "1 question waiting" in r.response.content


async def test_voice_and_stage_locations_and_repeat_dates(world, bots) -> None:
    await setup_office(world)
    voice = world.guild.create_voice_channel("Office voice")
    stage = world.guild.create_stage_channel("Town hall")
    await world.env.settle()
    r = await schedule(world, location=voice, repeat="weekly", timezone="Europe/Berlin")
    assert "Repeats every Friday at 17:00 (Europe/Berlin)" in r.response.content
    for day in (9, 16, 23):  # 17:00 Berlin is 16:00 UTC in winter
        assert ts(datetime(2026, 1, day, 16, 0, tzinfo=UTC), "F") in r.response.content
    await schedule(world, title="Stage AMA", location=stage)
    by_name = {e.name: e for e in events(world).values()}
    assert by_name["EMEA office hours"].entity_type == 2
    assert by_name["EMEA office hours"].channel_id == voice.id
    assert by_name["Stage AMA"].entity_type == 1
    assert by_name["Stage AMA"].channel_id == stage.id


async def test_questions_before_the_session_wait_for_it_in_order(world, bots) -> None:
    await setup_office(world)
    await schedule(world)
    r = await world.bob.slash(world.general, "officehours ask", question="First question")
    assert r.ephemeral
    assert "#1** in line" in r.response.content
    assert "It waits for **EMEA office hours**" in r.response.content
    r = await world.carol.slash(world.general, "officehours ask", question="Second question")
    assert "#2** in line" in r.response.content
    assert "about 5 min after it starts" in r.response.content  # default pace, no history yet
    # Asking again replaces the question and keeps the place in line.
    r = await world.bob.slash(world.general, "officehours ask", question="First, reworded")
    assert "updated" in r.response.content and "#1** in line" in r.response.content
    r = await world.carol.slash(world.general, "officehours queue")
    lines = r.response.content.splitlines()
    assert f"1. <@{world.bob.id}> “First, reworded”" in lines[1]
    assert f"2. <@{world.carol.id}> “Second question”" in lines[2] and "← you" in lines[2]
    r = await world.bob.slash(world.general, "officehours leave")
    assert "withdrawn" in r.response.content
    r = await world.carol.slash(world.general, "officehours queue")
    assert f"1. <@{world.carol.id}>" in r.response.content
    r = await world.bob.slash(world.general, "officehours leave")
    assert "nothing to withdraw" in r.response.content


async def start_with_queue(world, bots, *, askers=None, **options):
    office = await setup_office(world)
    await schedule(world, **options)
    for n, member in enumerate(askers or [world.bob, world.carol], 1):
        await member.slash(
            world.general, "officehours ask", question=f"Question {n} from {member.name}"
        )
    r = await world.alice.slash(world.general, "officehours start")
    assert "is live" in r.response.content, r.response.content
    [session] = await service(bots).repo.sessions_with_status(world.guild.id, ("live",))
    return office, session


async def test_start_posts_the_board_and_the_event_turns_active(world, bots) -> None:
    office, session = await start_with_queue(world, bots)
    event = events(world)[session.event_id]
    assert event.status == 2  # ACTIVE, set by the bot before the start time
    board = board_message(office, session.id)
    text = board_text(board)
    assert "Now answering: Nobody yet" in text
    assert f"1. <@{world.bob.id}> “Question 1 from bob”" in text
    assert "In the queue: 2" in text
    # The board follows the queue: a member joins through the button and modal.
    shown = await world.admin.click(board, custom_id=f"hallway:oh:join:{session.id}")
    assert shown.modal is not None
    r = await world.admin.submit_modal(shown, {"question": "Do you support OAuth device flow?"})
    assert r.ephemeral and "#3** in line" in r.response.content
    text = board_text(board_message(office, session.id))
    assert "In the queue: 3" in text and "OAuth device flow" in text
    r = await world.carol.click(board, custom_id=f"hallway:oh:leave:{session.id}")
    assert "withdrawn" in r.response.content
    assert "In the queue: 2" in board_text(board_message(office, session.id))


async def test_next_opens_a_thread_and_mentions_the_asker(world, bots) -> None:
    voice = world.guild.create_voice_channel("Office voice")
    office, session = await start_with_queue(world, bots, location=voice)
    env = world.env
    before = len(env.http_requests)
    r = await world.alice.slash(world.general, "officehours next")
    assert r.ephemeral and "Now answering" in r.response.content
    [thread] = office.threads
    assert thread.name == "Question 1 from bob"
    card = thread.history()[-1] if thread.history()[-1].components else thread.history()[0]
    assert f"<@{world.bob.id}>, you're up!" in card.content
    assert f"join <#{voice.id}>" in card.content
    sent = [
        req
        for req in env.http_requests[before:]
        if req.method == "POST" and req.path == f"/channels/{thread.id}/messages"
    ]
    assert sent[0].json["allowed_mentions"]["users"] == [world.bob.id]
    assert sent[0].json["allowed_mentions"]["parse"] == []
    # carol is next and hears about it by DM.
    assert "You're up next" in world.carol.user.dm_channel.last_message.content
    text = board_text(board_message(office, session.id))
    assert f"Now answering: <@{world.bob.id}>" in text and "In the queue: 1" in text


async def test_answered_and_skip_behave_as_described(world, bots) -> None:
    office, session = await start_with_queue(world, bots, askers=[world.bob, world.carol])
    env = world.env
    await world.alice.slash(world.general, "officehours next")  # bob's question
    await env.advance_time(300)
    [bob_thread] = office.threads
    bob_card = card_in(bob_thread)
    r = await world.alice.click(bob_card, label="Answered")
    assert "Answered by" in r.followups[0].content
    assert card_in_none(bob_thread)
    bob_q = (await service(bots).repo.questions.session_questions(world.guild.id, session.id))[0]
    assert (bob_q.outcome, bob_q.host_id) == ("answered", world.alice.id)

    # carol doesn't show up: the first skip moves her to the end, behind admin.
    await world.admin.slash(world.general, "officehours ask", question="Late question")
    await world.alice.slash(world.general, "officehours next")
    carol_thread = next(t for t in office.threads if t.name.startswith("Question 2"))
    r = await world.alice.click(card_in(carol_thread), label="Skip")
    assert "moves to the end" in r.followups[0].content
    waiting = await service(bots).repo.questions.waiting(world.guild.id, session.id)
    assert [q.user_id for q in waiting] == [world.admin.id, world.carol.id]
    r = await world.carol.slash(world.general, "officehours queue")
    assert "1. <@" + str(world.admin.id) in r.response.content

    # `next` answers the host's current question (admin's) and takes carol's again.
    await world.alice.slash(world.general, "officehours next")
    await world.alice.slash(world.general, "officehours next")
    carol_threads = [t for t in office.threads if t.name.startswith("Question 2")]
    assert len(carol_threads) == 2
    r = await world.alice.click(card_in(carol_threads[-1]), label="Skip")
    assert "dropped" in r.followups[0].content
    outcomes = {
        q.user_id: q.outcome
        for q in await service(bots).repo.questions.session_questions(world.guild.id, session.id)
    }
    assert outcomes == {
        world.bob.id: "answered",
        world.admin.id: "answered",
        world.carol.id: "skipped",
    }
    # Closed cards lose their buttons, so they can't be used twice.
    assert card_in_none(bob_thread) and card_in_none(carol_threads[-1])


def card_in_none(thread) -> bool:
    return all(not m.components for m in thread.history())


async def test_convert_to_feedback_seam(world, bots) -> None:
    office, _ = await start_with_queue(world, bots, askers=[world.bob])
    await world.alice.slash(world.general, "officehours next")
    [thread] = office.threads
    card = card_in(thread)
    bots.current.services.feedback = None
    r = await world.alice.click(card, label="Convert to feedback")
    assert r.ephemeral and "isn't available" in r.response.content

    captured = []

    class FakeFeedback:
        async def capture_from_office_hours(self, **kwargs):
            captured.append(kwargs)
            item = SimpleNamespace(id=41, summary="Question 1", tags=[], tag_names=[], votes=1)
            return CaptureResult(item, created=True)  # type: ignore[arg-type]

    bots.current.services.feedback = FakeFeedback()
    r = await world.alice.click(card, label="Convert to feedback")
    assert "Saved as feedback **#41**" in r.response.content
    assert captured == [
        {
            "guild_id": world.guild.id,
            "reporter_id": world.bob.id,
            "captured_by_id": world.alice.id,
            "text": "Question 1 from bob",
            "source_url": f"https://discord.com/channels/{world.guild.id}/{thread.id}",
        }
    ]
    r = await world.alice.click(card, label="Convert to feedback")
    assert "Already saved as feedback #41" in r.response.content
    bots.current.services.feedback = None


async def test_end_posts_recap_carries_over_and_completes_the_event(world, bots) -> None:
    office, session = await start_with_queue(
        world, bots, askers=[world.bob, world.carol, world.admin], repeat="weekly"
    )
    env = world.env
    await env.advance_time(60)
    await world.alice.slash(world.general, "officehours next")  # bob
    await env.advance_time(240)
    await world.alice.slash(world.general, "officehours next")  # bob answered, carol taken
    [_, carol_thread] = sorted(office.threads, key=lambda t: t.id)
    await world.alice.click(card_in(carol_thread), label="Skip")  # back in line behind admin
    assert carol_thread._channel.thread_metadata.archived  # a no-show's thread is done with
    await env.advance_time(600)
    r = await world.alice.slash(world.general, "officehours end")
    assert "Ended **EMEA office hours**" in r.response.content
    assert events(world)[session.event_id].status == 3  # COMPLETED

    recap = office.last_message
    embed = recap.embeds[0]
    fields = {f.name.split(" (")[0]: f.value for f in embed.fields}
    assert "Question 1 from bob" in fields["Answered"]
    assert f"answered by <@{world.alice.id}>" in fields["Answered"]
    threads = sorted(office.threads, key=lambda t: t.id)
    assert f"<#{threads[0].id}>" in fields["Answered"]
    carried_name = next(n for n in fields if n.startswith("Carried over"))
    assert "Question 3 from admin" in fields[carried_name]
    assert "Question 2 from carol" in fields[carried_name]
    assert fields["Unique askers"] == "3"
    # Only bob was taken for good (after 1 min); carol's skipped turn isn't a wait served.
    assert fields["Median wait"] == "1 min"
    assert fields["Duration"] == "15 min"
    # Its question threads are archived (a reply would reopen them); the recap links to them.
    assert threads[0]._channel.thread_metadata.archived
    # The board shows the session has ended and its buttons are gone.
    board = next(m for m in office.history() if m.embeds and m.embeds[0].title.startswith("🙋"))
    assert "ended" in board.embeds[0].description and not board.components

    # The next weekly occurrence exists, with its own event, and the leftovers lead its queue.
    [nxt] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    assert nxt.starts_at == datetime(2026, 1, 9, 17, 0, tzinfo=UTC)
    assert nxt.series_id == session.series_id
    assert events(world)[nxt.event_id].status == 1
    waiting = await service(bots).repo.questions.waiting(world.guild.id, nxt.id)
    assert [q.user_id for q in waiting] == [world.admin.id, world.carol.id]  # order kept
    assert all(q.priority == 0 and q.carried_from for q in waiting)
    assert "carried over" in world.admin.user.dm_channel.last_message.content
    r = await world.carol.slash(world.general, "officehours ask", question="New one")
    r = await world.bob.slash(world.general, "officehours ask", question="Fresh question")
    assert "#3** in line" in r.response.content  # carried-over questions come first
    assert "about 8 min after it starts" in r.response.content  # this series' pace: 4 min

    r = await world.bob.slash(world.general, "officehours history")
    assert "EMEA office hours" in r.response.content
    assert "3 asked, 1 answered, 0 skipped, 2 carried over" in r.response.content


async def test_weekly_berlin_session_stays_at_17_local_after_march_dst(world, bots) -> None:
    office = await setup_office(world)
    r = await schedule(world, start="2026-03-26 17:00", timezone="Europe/Berlin", repeat="weekly")
    first = datetime(2026, 3, 26, 16, 0, tzinfo=UTC)  # 17:00 CET (UTC+1)
    assert ts(first, "F") in r.response.content
    # After the change on 2026-03-29 17:00 in Berlin is 15:00 UTC (CEST, UTC+2).
    for day in (2, 9, 16):
        assert ts(datetime(2026, 4, day, 15, 0, tzinfo=UTC), "F") in r.response.content
    await world.alice.slash(world.general, "officehours start")
    await world.alice.slash(world.general, "officehours end")
    [nxt] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    assert nxt.starts_at == datetime(2026, 4, 2, 15, 0, tzinfo=UTC)
    assert nxt.ends_at == datetime(2026, 4, 2, 16, 0, tzinfo=UTC)
    event = events(world)[nxt.event_id]
    assert datetime.fromisoformat(event.scheduled_start_time) == nxt.starts_at
    from zoneinfo import ZoneInfo

    assert nxt.starts_at.astimezone(ZoneInfo("Europe/Berlin")).hour == 17
    assert office.last_message is not None


async def test_restart_mid_session_keeps_queue_order_and_board_buttons(
    world, bots, restart
) -> None:
    office, session = await start_with_queue(
        world, bots, askers=[world.bob, world.carol, world.admin]
    )
    new_bot = await restart()
    assert f"oh-end:{session.id}" in new_bot.alarm.names("oh-end:")
    r = await world.bob.slash(world.general, "officehours queue")
    lines = r.response.content.splitlines()[1:]
    assert [line.split(">")[0] for line in lines] == [
        f"1. <@{world.bob.id}",
        f"2. <@{world.carol.id}",
        f"3. <@{world.admin.id}",
    ]
    board = board_message(office, session.id)
    r = await world.carol.click(board, custom_id=f"hallway:oh:leave:{session.id}")
    assert "withdrawn" in r.response.content
    shown = await world.carol.click(board, label="Join queue")
    r = await world.carol.submit_modal(shown, {"question": "Back again"})
    assert "#3** in line" in r.response.content
    r = await world.alice.click(board, custom_id=f"hallway:oh:next:{session.id}")
    assert "Now answering" in r.response.content
    [thread] = office.threads
    assert thread.name == "Question 1 from bob"
    text = board_text(board_message(office, session.id))
    assert f"1. <@{world.admin.id}>" in text and f"2. <@{world.carol.id}> “Back again”" in text
    r = await world.alice.click(card_in(thread), label="Answered")
    assert "Answered by" in r.followups[0].content


async def test_advocate_only_actions_are_refused_to_a_member(world, bots) -> None:
    office, session = await start_with_queue(world, bots, askers=[world.bob])
    await world.alice.slash(world.general, "officehours next")
    [thread] = office.threads
    for name, options in [
        ("officehours schedule", {"title": "Mine", "start": "tomorrow 10:00"}),
        ("officehours cancel", {"session": session.id}),
        ("officehours start", {}),
        ("officehours next", {}),
        ("officehours end", {}),
        ("officehours settings", {"auto_start": False}),
    ]:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral, name
        assert "Only advocates can do that" in r.response.content, name
    board = board_message(office, session.id)
    r = await world.bob.click(board, custom_id=f"hallway:oh:next:{session.id}")
    assert "Only advocates can do that" in r.response.content
    for label in ("Answered", "Skip", "Convert to feedback"):
        r = await world.bob.click(card_in(thread), label=label)
        assert "Only advocates can do that" in r.response.content, label
    [question] = await service(bots).repo.questions.in_progress(world.guild.id, session.id)
    assert question.user_id == world.bob.id  # still being answered: nothing changed
    assert (await service(bots).repo.get_session(world.guild.id, session.id)).status == "live"
    assert len(events(world)) == 1
    assert (await service(bots).settings(world.guild.id)).auto_start is True
    # The admin (Manage Server) and the advocate are allowed.
    r = await world.admin.slash(world.general, "officehours end")
    assert "Ended" in r.response.content


async def test_every_bad_input_gets_its_error_and_nothing_is_stored(world, bots) -> None:
    await make_advocates(world)
    repo = service(bots).repo

    async def refused(actor, name, expected, **options):
        r = await actor.slash(world.general, name, **options)
        assert r.ephemeral, name
        assert expected in r.response.content, (name, r.response.content)
        return r.response.content

    text = await refused(
        world.alice,
        "officehours schedule",
        "/setup channel kind:office-hours",
        title="T",
        start="tomorrow 17:00",
    )
    forum = world.guild.create_forum_channel("questions")
    await world.env.settle()
    await world.alice.slash(world.general, "setup channel", kind="office-hours", channel=forum)
    await refused(
        world.alice, "officehours schedule", "must be a text channel", title="T", start="9pm"
    )
    office = world.guild.create_text_channel("office-hours")
    await world.env.settle()
    await world.alice.slash(world.general, "setup channel", kind="office-hours", channel=office)
    text = await refused(
        world.alice, "officehours schedule", "already passed", title="T", start="2025-12-31 17:00"
    )
    assert "`tomorrow 9am`" in text  # examples that work
    text = await refused(
        world.alice, "officehours schedule", "couldn't read", title="T", start="whenever suits"
    )
    assert "`2026-12-01 17:00`" in text
    await refused(
        world.alice,
        "officehours schedule",
        "isn't a time zone",
        title="T",
        start="tomorrow 17:00",
        timezone="Mars/Olympus",
    )
    await refused(
        world.alice,
        "officehours schedule",
        "Discord allows 100",
        title="x" * 101,
        start="tomorrow 17:00",
    )
    await refused(
        world.alice,
        "officehours schedule",
        "Please give the session a title",
        title="   ",
        start="tomorrow 17:00",
    )
    await refused(
        world.alice,
        "officehours schedule",
        "Discord allows 1000",
        title="T",
        start="tomorrow 17:00",
        description="d" * 1001,
    )
    # Discord's client enforces the duration range and the repeat choices.
    for bad in ({"duration": 10}, {"duration": 481}, {"repeat": "daily"}):
        with pytest.raises(OptionError):
            await world.alice.slash(
                world.general, "officehours schedule", title="T", start="tomorrow 17:00", **bad
            )

    await refused(world.bob, "officehours ask", "No office hours are scheduled", question="Hi?")
    await refused(world.bob, "officehours queue", "No office hours are scheduled")
    await refused(world.alice, "officehours start", "no scheduled session")
    await refused(world.alice, "officehours next", "No office hours are live")
    await refused(world.alice, "officehours end", "No office hours are live")
    await refused(world.alice, "officehours cancel", "no office-hours session #999", session=999)
    await refused(
        world.alice, "officehours settings", "grace period must be 0–240", grace_minutes=999
    )
    await refused(world.alice, "officehours settings", "isn't a reminder time", reminders="soon")
    await refused(
        world.alice, "officehours settings", "between 5 minutes and 7 days", reminders="1m"
    )
    assert await repo.count_sessions(world.guild.id) == 0
    assert events(world) == {}
    assert await repo.get_settings(world.guild.id) == OfficeHoursSettings(world.guild.id)

    await schedule(world)
    await refused(world.bob, "officehours ask", "Your question is empty", question="  \u200b ")
    await refused(world.bob, "officehours ask", "the limit is 1000", question="q" * 1001)
    await refused(world.bob, "officehours leave", "nothing to withdraw")
    [session] = await repo.sessions_with_status(world.guild.id, ("scheduled",))
    assert await repo.questions.session_questions(world.guild.id, session.id) == []
    await world.alice.slash(world.general, "officehours start")
    await refused(world.alice, "officehours start", "no scheduled session")
    await refused(world.alice, "officehours cancel", "is live right now", session=session.id)
    r = await world.alice.slash(world.general, "officehours next")
    assert "The queue is empty" in r.response.content


async def test_cancel_this_or_series_cancels_the_discord_event(world, bots) -> None:
    await setup_office(world)
    await schedule(world, repeat="every-2-weeks")
    await world.bob.slash(world.general, "officehours ask", question="Still on?")
    [first] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    choices = await world.alice.autocomplete(world.general, "officehours cancel", "session", "EMEA")
    assert choices == [
        {"name": f"#{first.id} EMEA office hours · Fri 02 Jan 17:00 UTC", "value": first.id}
    ]
    r = await world.alice.slash(world.general, "officehours cancel", session=first.id)
    assert "Cancelled **EMEA office hours**" in r.response.content
    second_start = datetime(2026, 1, 16, 17, 0, tzinfo=UTC)
    assert f"The series continues {ts(second_start, 'F')}" in r.response.content
    assert events(world)[first.event_id].status == 4  # CANCELED
    [second] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    assert second.starts_at == second_start and events(world)[second.event_id].status == 1
    [carried] = await service(bots).repo.questions.waiting(world.guild.id, second.id)
    assert carried.user_id == world.bob.id and carried.priority == 0
    assert bots.current.alarm.names(f"oh-start:{first.id}") == []
    assert bots.current.alarm.names(f"oh-start:{second.id}") == [f"oh-start:{second.id}"]

    r = await world.alice.slash(
        world.general, "officehours cancel", session=second.id, scope="series"
    )
    assert "The series won't repeat" in r.response.content
    assert events(world)[second.event_id].status == 4
    assert await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",)) == []
    assert "no further session" in world.bob.user.dm_channel.last_message.content
    assert bots.current.alarm.names("oh-") == []
    r = await world.alice.slash(world.general, "officehours cancel", session=second.id)
    assert "was cancelled; nothing to cancel" in r.response.content


async def test_timezone_autocomplete(world) -> None:
    await make_advocates(world)
    choices = await world.alice.autocomplete(
        world.general, "officehours schedule", "timezone", "berl"
    )
    assert {"name": "Europe/Berlin", "value": "Europe/Berlin"} in choices


async def test_thread_refused_by_discord_is_reported_not_crashed(world, bots) -> None:
    office, session = await start_with_queue(world, bots, askers=[world.bob])
    world.env.inject_error("POST", "/channels/*/threads", status=403, times=1)
    r = await world.alice.slash(world.general, "officehours next")
    assert "couldn't open its thread" in r.response.content
    [question] = await service(bots).repo.questions.in_progress(world.guild.id, session.id)
    assert question.user_id == world.bob.id and question.thread_id is None
    assert office.threads == []


def test_fit_lines_keeps_whole_lines_within_the_limit() -> None:
    from cogs.office_hours.render import fit_lines

    lines = [f"{i}. " + "x" * 95 for i in range(1, 31)]
    text = fit_lines(lines, 1024)
    assert len(text) <= 1024
    kept = text.splitlines()
    assert kept[:-1] == lines[: len(kept) - 1]
    assert kept[-1] == f"…and {30 - (len(kept) - 1)} more"
    assert fit_lines(lines[:3], 1024) == "\n".join(lines[:3])
    assert fit_lines([], 1024, "Nobody yet") == "Nobody yet"


async def test_convert_to_feedback_with_the_real_feedback_service(world, bots) -> None:
    assert bots.current.services.feedback is not None  # bot.py always wires feedback
    office, _ = await start_with_queue(world, bots, askers=[world.bob])
    await world.alice.slash(world.general, "officehours next")
    [thread] = office.threads
    r = await world.alice.click(card_in(thread), label="Convert to feedback")
    match = re.search(r"Saved as feedback \*\*#(\d+)\*\*", r.response.content)
    assert match, r.response.content
    item_id = int(match.group(1))
    item = await bots.current.services.feedback.item(world.guild.id, item_id)
    assert (item.reporter_id, item.captured_by_id) == (world.bob.id, world.alice.id)
    assert item.source_url == f"https://discord.com/channels/{world.guild.id}/{thread.id}"


async def test_a_session_started_early_runs_its_length_from_the_actual_start(world, bots) -> None:
    # Scheduled for 2 January 17:00 (60 min), started 41 hours early on 1 January 00:00.
    office, session = await start_with_queue(world, bots, repeat="weekly")
    assert session.ends_at == datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    assert session.duration.total_seconds() == 3600
    assert f"Ends: {ts(session.ends_at, 'R')}" in board_text(board_message(office, session.id))

    # The automatic end follows the new end (plus the 10-minute grace), not the planned one.
    await world.env.advance_time(70 * 60 + 60)
    ended = await service(bots).repo.get_session(world.guild.id, session.id)
    assert ended.status == "ended"
    # The weekly series still meets at its planned time, once.
    [nxt] = await service(bots).repo.sessions_with_status(world.guild.id, ("scheduled",))
    assert nxt.starts_at == datetime(2026, 1, 9, 17, 0, tzinfo=UTC)
    assert nxt.duration.total_seconds() == 3600


async def test_a_session_started_and_ended_at_once_ran_under_a_minute(world, bots) -> None:
    office, _ = await start_with_queue(world, bots)
    await world.alice.slash(world.general, "officehours end")
    fields = {f.name.split(" (")[0]: f.value for f in office.last_message.embeds[0].fields}
    assert fields["Duration"] == "under a minute"


def _label_mentions(embed: discord.Embed) -> list[str]:
    """Mentions where Discord shows them raw: the title, field names and the footer."""
    labels = [embed.title or "", embed.footer.text or "", *(f.name for f in embed.fields)]
    return [label for label in labels if re.search(r"<(@!?|@&|#)\d+>", label)]


async def test_mentions_stay_out_of_embed_titles_field_names_and_footers(world, bots) -> None:
    office, session = await start_with_queue(
        world, bots, title=f"Q&A with <@{world.alice.id}> in <#{world.general.id}>"
    )
    board = board_message(office, session.id).embeds[0]
    assert _label_mentions(board) == []
    assert board.title == "🙋 Office hours: Q&A with @member in #channel"
    # Values still carry them: Discord shows those as names.
    assert f"<@{world.bob.id}>" in board_text(board_message(office, session.id))
    await world.alice.slash(world.general, "officehours next")
    await world.alice.slash(world.general, "officehours end")
    recap = office.last_message.embeds[0]
    assert recap.title.startswith("📋 Recap") and _label_mentions(recap) == []
    assert any(f"<@{world.bob.id}>" in f.value for f in recap.fields)
