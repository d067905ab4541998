"""/survey through discord.py with SimCord: drafting, answering, closing, results, rounds."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import discord

from cogs.surveys.views import capture_view
from tests.conftest import make_advocates
from tests.storage.test_privacy_repo import find_id

HOUR = 3600
DAY = 24 * HOUR


def fresh(channel, message_id: int) -> Any:
    """The message as Discord holds it now."""
    return next(m for m in channel.history() if m.id == message_id)


async def build_survey(world, *, anonymous: bool, closes: str | None = None, **extra: Any) -> int:
    """A draft with one question of each kind, made by the advocate."""
    g, alice = world.general, world.alice
    options: dict[str, Any] = {"title": "Release 2.0 pulse", "anonymous": anonymous, **extra}
    if closes:
        options["closes"] = closes
    r = await alice.slash(g, "survey create", **options)
    assert "Draft survey" in r.response.content, r.response.content
    survey = int(r.response.content.split("**#")[1].split("**")[0])
    on = True
    questions = [
        {"kind": "nps", "prompt": "How likely are you to recommend us?"},
        {"kind": "csat", "prompt": "How happy are you with the docs?"},
        {"kind": "scale", "prompt": "The SDK is easy to set up"},
        {
            "kind": "choice",
            "prompt": "What do you use?",
            "options": "Python, Go, CLI",
            "multi": on,
        },
        {"kind": "text", "prompt": "What slowed you down?"},
    ]
    for q in questions:
        r = await alice.slash(g, "survey question", survey=survey, **q)
        assert "added" in r.response.content, r.response.content
    return survey


async def open_survey(world, survey: int) -> Any:
    r = await world.alice.slash(world.general, "survey open", survey=survey)
    assert "is open" in r.response.content, r.response.content
    card = world.general.last_message
    assert card.components, "the card has its button"
    return card


async def answer_all(
    member, card, survey: int, nps: int, csat: int, scale: int, choice: list[int], text: str
) -> Any:
    """Take the survey through the real components: selects, the text modal, Submit."""
    taken = await member.click(card, custom_id=f"hallway:survey:take:{survey}")
    assert taken.ephemeral, taken.response.content
    sheet = taken.response.message
    for position, value in ((1, [nps]), (2, [csat]), (3, [scale]), (4, choice)):
        r = await member.select(
            sheet, [str(v) for v in value], custom_id=f"hallway:survey:ans:{survey}:{position}"
        )
        sheet = r.response.message or sheet
    assert "question 5 of 5" in sheet.content
    shown = await member.click(sheet, custom_id=f"hallway:survey:write:{survey}:5")
    assert shown.modal is not None
    r = await member.submit_modal(shown, {"answer": text})
    sheet = r.response.message or sheet
    done = await member.click(sheet, custom_id=f"hallway:survey:submit:{survey}:5")
    return done


async def test_members_answer_every_kind_and_advocates_see_results(world, bots) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False, closes="in 3 days")
    preview = await world.alice.slash(world.general, "survey preview", survey=survey)
    assert preview.ephemeral
    for line in ("1.** How likely", "NPS, 0-10", "several of: Python, Go, CLI", "free text"):
        assert line in preview.response.content, preview.response.content
    card = await open_survey(world, survey)
    assert "Take the survey" in json.dumps(card.components[0].to_dict())
    done = await answer_all(world.bob, card, survey, 10, 5, 4, [0, 2], "The build is slow")
    assert "Thanks" in done.followups[-1].content
    await answer_all(world.carol, card, survey, 6, 3, 2, [1], "Docs for auth are missing")
    # Results: NPS (1 promoter, 1 detractor of 2 = 0), CSAT share (1 of 2 = 50%).
    r = await world.alice.slash(world.general, "survey results", survey=survey)
    assert r.ephemeral
    text = r.response.embeds[0].description
    assert "Responses: **2**" in text and "Headline: **NPS 0**" in text
    assert "promoters 1 · passives 0 · detractors 1" in text
    assert "CSAT **50%** satisfied" in text
    assert "Python: 1" in text and "Go: 1" in text and "CLI: 1" in text
    assert r.response.attachments and r.response.attachments[0].filename == "survey.png"
    texts = r.response.embeds[1].description
    assert "The build is slow" in texts and "Docs for auth are missing" in texts
    # Members can't see results unless the survey was made with public-results.
    refused = await world.bob.slash(world.general, "survey results", survey=survey)
    assert "Only advocates" in refused.response.content


async def test_changing_an_answer_keeps_one_response(world, bots) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False)
    card = await open_survey(world, survey)
    await answer_all(world.bob, card, survey, 3, 2, 2, [0], "meh")
    again = await world.bob.click(card, custom_id=f"hallway:survey:take:{survey}")
    assert "Submitted" in again.response.content
    assert "Your answer: 3" in again.response.content  # starts where it was, showing the answer
    await world.bob.select(
        again.response.message, ["9"], custom_id=f"hallway:survey:ans:{survey}:1"
    )
    repo = bots.current.services.surveys.repo
    [response] = await repo.submitted(world.guild.id, survey)
    assert response.answers[1] == 9 and response.member_id == world.bob.id
    r = await world.alice.slash(world.general, "survey results", survey=survey)
    assert "Responses: **1**" in r.response.embeds[0].description
    assert "NPS **100**" in r.response.embeds[0].description


async def test_submit_needs_the_required_answers(world, bots) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False)
    card = await open_survey(world, survey)
    taken = await world.bob.click(card, custom_id=f"hallway:survey:take:{survey}")
    r = await world.bob.select(
        taken.response.message, ["8"], custom_id=f"hallway:survey:ans:{survey}:1"
    )
    refused = await world.bob.click(
        r.response.message, custom_id=f"hallway:survey:submit:{survey}:2"
    )
    assert "Answer questions 2, 3, 4 first" in refused.response.content
    assert await bots.current.services.surveys.repo.submitted_count(world.guild.id, survey) == 0


async def test_close_in_virtual_time_across_a_restart(world, bots, restart) -> None:
    env = world.env
    await make_advocates(world)
    survey = await build_survey(world, anonymous=True, closes="in 2 days")
    card = await open_survey(world, survey)
    await answer_all(world.bob, card, survey, 9, 4, 4, [0], "fine")
    sheet = await world.carol.click(card, custom_id=f"hallway:survey:take:{survey}")
    bot = await restart()
    assert bot.alarm.names("survey-close:") == [f"survey-close:{survey}"]
    await env.advance_time(2 * DAY + 1)
    await bot.alarm.drain()
    found = await bot.services.surveys.get(world.guild.id, survey)
    assert found.status == "closed" and found.secret is None
    card = fresh(world.general, card.id)
    [button] = card.components[0].children
    assert button.disabled and button.label == "Survey closed"
    assert "Closed" in card.embeds[0].description
    # A sheet opened before the close can't change anything after it.
    late = await world.carol.select(
        sheet.response.message, ["5"], custom_id=f"hallway:survey:ans:{survey}:1"
    )
    assert "is closed" in late.response.content


async def test_a_survey_whose_time_passed_while_down_closes_at_start(world, bots, restart) -> None:
    env = world.env
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False, closes="in 1 hour")
    card = await open_survey(world, survey)
    old = bots.current
    await old.alarm.stop()  # the process dies before the close
    await env.advance_time(2 * HOUR)
    bot = await restart()
    await bot.alarm.drain()
    assert (await bot.services.surveys.get(world.guild.id, survey)).status == "closed"
    [button] = fresh(world.general, card.id).components[0].children
    assert button.disabled


async def test_anonymous_survey_leaves_nothing_linking_answers_to_members(world, bots) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=True)
    card = await open_survey(world, survey)
    members = [world.bob, world.carol, world.admin]
    for i, member in enumerate(members):
        await answer_all(member, card, survey, 9 - i, 4, 3, [i], f"answer from respondent {i}")
    db = bots.current.db
    rows = await db.fetchall("SELECT member_id, member_hash, submitted_at FROM survey_responses")
    assert all(r[0] is None and r[1] and r[2] is None for r in rows)  # hashes only while open
    # Too few anonymous responses while open or below 5: no breakdown at all.
    r = await world.alice.slash(world.general, "survey results", survey=survey)
    text = r.response.embeds[0].description
    assert "Responses: **3**" in text and "shown when the survey closes" in text
    assert "NPS" not in text and not r.response.attachments and len(r.response.embeds) == 1
    await world.alice.slash(world.general, "survey close", survey=survey)
    assert await db.fetchval("SELECT secret FROM surveys WHERE id = ?", (survey,)) is None
    assert (
        await db.fetchval("SELECT count(*) FROM survey_responses WHERE member_hash IS NOT NULL")
        == 0
    )
    for member in members:
        assert await find_id(db, member.id) == [], member
    r = await world.alice.slash(world.general, "survey results", survey=survey)
    text = r.response.embeds[0].description
    assert "Only 3 responses" in text and "at least 5" in text
    assert "respondent" not in json.dumps([e.to_dict() for e in r.response.embeds])
    assert not r.response.attachments
    refused = await world.alice.slash(world.general, "survey export", survey=survey, format="csv")
    assert "from 5 responses" in refused.response.content


async def test_anonymous_breakdown_and_export_from_five_responses(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    extra = [world.guild.add_member(env.create_user(f"dev{i}")) for i in range(3)]
    await env.settle()
    survey = await build_survey(world, anonymous=True)
    card = await open_survey(world, survey)
    members = [world.bob, world.carol, *extra]
    for i, member in enumerate(members):
        await answer_all(member, card, survey, 10 - i, 5 - i % 2, 4, [0], f"slow CI number {i}")
    await world.alice.slash(world.general, "survey close", survey=survey)
    r = await world.alice.slash(world.general, "survey results", survey=survey)
    text = r.response.embeds[0].description
    # 10, 9 promoters; 8, 7 passives; 6 detractor: 40% - 20% = 20.
    assert "NPS **20**" in text and "promoters 2 · passives 2 · detractors 1" in text
    assert r.response.attachments
    for fmt in ("csv", "json"):
        r = await world.alice.slash(world.general, "survey export", survey=survey, format=fmt)
        [attachment] = r.response.attachments
        body = (await attachment.read()).decode()
        for member in [*members, world.alice]:
            assert str(member.id) not in body
        assert "member_id" not in body and "hash" not in body and "submitted_at" not in body
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(body)))
            assert [row["response"] for row in rows] == ["1", "2", "3", "4", "5"]
            assert rows[0]["q1"] == "10" and rows[0]["q4"] == "Python"
        else:
            doc = json.loads(body)
            assert doc["survey"]["anonymous"] is True and len(doc["responses"]) == 5
            assert doc["responses"][4]["q5"] == "slow CI number 4"


async def test_attributed_export_names_members(world, bots) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False)
    card = await open_survey(world, survey)
    await answer_all(world.bob, card, survey, 8, 4, 5, [1, 2], "ok")
    r = await world.alice.slash(world.general, "survey export", survey=survey, format="json")
    doc = json.loads(await r.response.attachments[0].read())
    [row] = doc["responses"]
    assert row["member_id"] == str(world.bob.id) and row["q4"] == ["Go", "CLI"]
    assert row["q2"] == 4 and row["q5"] == "ok"


async def test_reminders_go_once_and_only_to_those_who_have_not_answered(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    devs = world.guild.create_role("Developers")
    d1, d2, d3 = (
        world.guild.add_member(env.create_user(f"dev{i}"), roles=[devs]) for i in range(3)
    )
    await env.settle()
    survey = await build_survey(world, anonymous=False)
    card = await open_survey(world, survey)
    await answer_all(d1, card, survey, 9, 5, 5, [0], "")
    r = await world.alice.slash(world.general, "survey remind", survey=survey, role=devs)
    assert "Reminded 2 members" in r.response.content, r.response.content
    assert "1 already answered" in r.response.content
    for member in (d2, d3):
        dm = member.user.dm_channel.last_message
        assert "Release 2.0 pulse" in dm.content
        assert f"/{world.general.id}/{card.id}" in dm.content
    assert d1.user.dm_channel is None or d1.user.dm_channel.last_message is None
    assert world.bob.user.dm_channel.last_message is None  # not in the role
    again = await world.alice.slash(world.general, "survey remind", survey=survey, role=devs)
    assert "Reminded 0 members" in again.response.content
    assert "2 were reminded before" in again.response.content
    for member in (d2, d3):
        assert len(list(member.user.dm_channel.history())) == 1
    refused = await world.bob.slash(world.general, "survey remind", survey=survey, role=devs)
    assert "Only advocates" in refused.response.content
    anonymous = await build_survey(world, anonymous=True)
    await open_survey(world, anonymous)
    refused = await world.alice.slash(world.general, "survey remind", survey=anonymous, role=devs)
    assert "anonymous" in refused.response.content


async def test_a_sheet_opened_before_a_restart_still_works(world, bots, restart) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=True)
    card = await open_survey(world, survey)
    taken = await world.bob.click(card, custom_id=f"hallway:survey:take:{survey}")
    await world.bob.select(
        taken.response.message, ["7"], custom_id=f"hallway:survey:ans:{survey}:1"
    )
    await restart()
    r = await world.bob.select(
        taken.response.message, ["2"], custom_id=f"hallway:survey:ans:{survey}:2"
    )
    assert "question 3 of 5" in r.response.message.content
    again = await world.bob.click(card, custom_id=f"hallway:survey:take:{survey}")
    assert "Answered 2 of 5" in again.response.content  # the same anonymous response


async def answered_round(world, survey: int, scores: list[int]) -> None:
    """Open, have members answer with these NPS scores, close."""
    env = world.env
    card = await open_survey(world, survey)
    for i, score in enumerate(scores):
        member = world.guild.add_member(env.create_user(f"r{survey}-{i}"))
        await env.settle()
        await answer_all(member, card, survey, score, 4, 4, [0], "")
    await world.alice.slash(world.general, "survey close", survey=survey)


async def test_repeat_copies_a_closed_survey_and_results_compare_rounds(world, bots) -> None:
    await make_advocates(world)
    first = await build_survey(world, anonymous=False)
    early = await world.alice.slash(world.general, "survey repeat", survey=first)
    assert "repeat it once it's closed" in early.response.content
    # Round 1: 3 promoters, 1 passive, 1 detractor = 60% - 20% = 40.
    await answered_round(world, first, [10, 9, 9, 8, 3])
    r = await world.alice.slash(world.general, "survey repeat", survey=first, closes="in 7 days")
    assert "Round 2" in r.response.content and "#2" in r.response.content, r.response.content
    preview = await world.alice.slash(world.general, "survey preview", survey=2)
    assert preview.response.content.count("**") >= 5 and "What slowed you down?" in (
        preview.response.content
    )
    twice = await world.alice.slash(world.general, "survey repeat", survey=first)
    assert "already has a next round: #2" in twice.response.content
    # Round 2: 4 promoters, 1 detractor of 5 = 80% - 20% = 60.
    await answered_round(world, 2, [10, 10, 9, 9, 0])
    shown = await world.alice.slash(world.general, "survey results", survey=2)
    text = shown.response.embeds[0].description
    assert shown.response.embeds[0].title == "Results: Release 2.0 pulse (round 2)"
    assert "Since round 1: **NPS 40 → 60 (+20)**" in text, text


async def test_public_results_are_for_everyone_after_the_close(world, bots) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False, **{"public-results": True})
    card = await open_survey(world, survey)
    await answer_all(world.bob, card, survey, 9, 5, 5, [0], "Great docs")
    early = await world.carol.slash(world.general, "survey results", survey=survey)
    assert "shared when it closes" in early.response.content
    await world.alice.slash(world.general, "survey close", survey=survey)
    shown = await world.carol.slash(world.general, "survey results", survey=survey)
    assert "NPS **100**" in shown.response.embeds[0].description
    # Members see the answers but get no Capture buttons.
    assert shown.response.message.components == []


async def test_capture_as_feedback_from_free_text_answers(world, bots) -> None:
    env = world.env
    await make_advocates(world)
    attributed = await build_survey(world, anonymous=False)
    card = await open_survey(world, attributed)
    await answer_all(world.bob, card, attributed, 9, 5, 5, [0], "The CLI login times out on WSL")
    r = await world.alice.slash(world.general, "survey results", survey=attributed)
    texts = r.response.embeds[1].description
    assert "The CLI login times out on WSL" in texts
    button = f"hallway:survey:capture:{attributed}:1:5"
    # The results are ephemeral; even a public copy of the button refuses members.
    copy = await bots.current.get_channel(world.general.id).send(
        "copy", view=capture_view(attributed, [(1, 1, 5)])
    )
    refused = await world.bob.click(copy, custom_id=button)
    assert "Only advocates" in refused.response.content
    assert await bots.current.db.fetchval("SELECT count(*) FROM feedback_items") == 0
    done = await world.alice.click(r.response.message, custom_id=button)
    assert "Saved as feedback **#1**" in done.response.content, done.response.content
    item = await bots.current.services.feedback.item(world.guild.id, 1)
    assert item.reporter_id == world.bob.id and item.source == "survey"
    assert "The CLI login times out on WSL" in item.details
    # Anonymous: the reporter is "a survey response", with no member id.
    anonymous = await build_survey(world, anonymous=True)
    card = await open_survey(world, anonymous)
    for i in range(5):
        member = world.guild.add_member(env.create_user(f"anon{i}"))
        await env.settle()
        await answer_all(member, card, anonymous, 8, 4, 4, [0], f"Rate limits are unclear {i}")
    await world.alice.slash(world.general, "survey close", survey=anonymous)
    r = await world.alice.slash(world.general, "survey results", survey=anonymous)
    response_id = await bots.current.db.fetchval(
        "SELECT min(id) FROM survey_responses WHERE survey_id = ?", (anonymous,)
    )
    done = await world.alice.click(
        r.response.message, custom_id=f"hallway:survey:capture:{anonymous}:{response_id}:5"
    )
    assert "Saved as feedback **#2**" in done.response.content, done.response.content
    item = await bots.current.services.feedback.item(world.guild.id, 2)
    assert (item.reporter_id, item.reporter_name) == (0, "a survey response")


async def test_free_text_answers_are_grouped_by_pain_point_tag(world, bots) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False)
    card = await open_survey(world, survey)
    await answer_all(world.bob, card, survey, 9, 5, 5, [0], "The docs are outdated and confusing")
    await answer_all(world.carol, card, survey, 9, 5, 5, [0], "I like turtles")
    r = await world.alice.slash(world.general, "survey results", survey=survey)
    texts = r.response.embeds[1].description
    tagger = await bots.current.services.feedback.tags.tagger(world.guild.id)
    [tag, *_] = tagger.tag("The docs are outdated and confusing").tags
    assert f"**{tag}** (1)" in texts and "**untagged** (1)" in texts
    assert texts.index(tag) < texts.index("outdated") < texts.index("untagged")


async def test_bad_input_gets_a_clear_error_and_writes_nothing(world, bots) -> None:
    await make_advocates(world)
    g, alice = world.general, world.alice
    past = await alice.slash(
        g, "survey create", title="Q1", anonymous=False, closes="2025-12-01 10:00"
    )
    assert past.ephemeral and "already passed" in past.response.content, past.response.content
    assert await bots.current.db.fetchval("SELECT count(*) FROM surveys") == 0
    r = await alice.slash(g, "survey create", title="Q1", anonymous=False)
    eleven = ", ".join(f"o{i}" for i in range(11))
    for options, expected in ((eleven, "the most is 10"), ("A,,B", "is empty"), (None, "commas")):
        extra = {"options": options} if options else {}
        r = await alice.slash(g, "survey question", survey=1, kind="choice", prompt="Q?", **extra)
        assert r.ephemeral and expected in r.response.content, r.response.content
    r = await alice.slash(g, "survey question", survey=1, kind="nps", prompt="Q?", options="A,B")
    assert "Only `choice` questions take options" in r.response.content
    r = await alice.slash(g, "survey question", survey=9, kind="nps", prompt="Q?")
    assert "no survey #9" in r.response.content
    nothing = await alice.slash(g, "survey open", survey=1)
    assert "no questions yet" in nothing.response.content
    for i in range(10):
        await alice.slash(g, "survey question", survey=1, kind="text", prompt=f"Q{i}?")
    full = await alice.slash(g, "survey question", survey=1, kind="text", prompt="Q11?")
    assert "already has 10 questions" in full.response.content
    await alice.slash(g, "survey open", survey=1)
    late = await alice.slash(g, "survey question", survey=1, kind="nps", prompt="Another?")
    assert "already open, so its questions are fixed" in late.response.content
    assert await bots.current.db.fetchval("SELECT count(*) FROM survey_questions") == 10
    twice = await alice.slash(g, "survey open", survey=1)
    assert "already open" in twice.response.content
    await alice.slash(g, "survey close", survey=1)
    again = await alice.slash(g, "survey close", survey=1)
    assert "is closed, not open" in again.response.content
    long = await alice.slash(g, "survey create", title="x" * 101, anonymous=False)
    assert "keep it to 100" in long.response.content


async def test_members_are_refused_on_advocate_commands(world, bots) -> None:
    await make_advocates(world)
    survey = await build_survey(world, anonymous=False)
    g, bob = world.general, world.bob
    calls = {
        "survey create": {"title": "Mine", "anonymous": False},
        "survey question": {"survey": survey, "kind": "nps", "prompt": "Q?"},
        "survey preview": {"survey": survey},
        "survey open": {"survey": survey},
        "survey close": {"survey": survey},
        "survey repeat": {"survey": survey},
        "survey export": {"survey": survey, "format": "csv"},
        "survey remind": {"survey": survey, "role": world.advocates},
        "survey poll": {"question": "Q?", "options": "A, B"},
    }
    for name, options in calls.items():
        r = await bob.slash(g, name, **options)
        assert r.ephemeral and "Only advocates" in r.response.content, name
    assert (await bots.current.services.surveys.get(world.guild.id, survey)).status == "draft"
    # The admin (Manage Server) is an advocate too.
    r = await world.admin.slash(g, "survey preview", survey=survey)
    assert "Preview of survey" in r.response.content


async def test_attributed_answers_are_in_privacy_export_and_forget(world, bots) -> None:
    await make_advocates(world)
    attributed = await build_survey(world, anonymous=False)
    card = await open_survey(world, attributed)
    await answer_all(world.bob, card, attributed, 9, 5, 5, [0], "Attributed words")
    anonymous = await build_survey(world, anonymous=True)
    anon_card = await open_survey(world, anonymous)
    await answer_all(world.bob, anon_card, anonymous, 3, 1, 1, [1], "Anonymous words")
    await world.alice.slash(world.general, "survey close", survey=anonymous)
    await world.bob.slash(world.general, "privacy export")
    message = world.bob.user.dm_channel.last_message
    doc = json.loads(await message.attachments[0].read())
    data = doc["servers"][0]["data"]
    assert {a["prompt"] for a in data["survey_answers"]} >= {"What slowed you down?"}
    assert all(a["survey_id"] == attributed for a in data["survey_answers"])
    assert "Attributed words" in json.dumps(data) and "Anonymous words" not in json.dumps(data)
    r = await world.bob.slash(world.general, "privacy forget")
    assert "answers to attributed surveys: 5" in r.response.content, r.response.content
    await world.bob.click(r.response.message, label="Erase my data")
    assert await find_id(bots.current.db, world.bob.id) == []
    # The anonymous response stays: it was never linked to him.
    assert await bots.current.services.surveys.repo.submitted_count(world.guild.id, anonymous) == 1


async def test_a_large_export_is_zipped_and_past_the_upload_limit_nothing_is_attached(
    world, bots, monkeypatch
) -> None:
    import zipfile

    import services.files

    await make_advocates(world)
    survey = await build_survey(world, anonymous=False)
    card = await open_survey(world, survey)
    await answer_all(world.bob, card, survey, 8, 4, 5, [1, 2], "ok " * 100)
    monkeypatch.setattr(services.files, "ZIP_OVER", 100)
    r = await world.alice.slash(world.general, "survey export", survey=survey, format="json")
    assert r.ephemeral
    assert "1 response from survey" in r.response.content and "zipped to" in r.response.content
    [attachment] = r.response.attachments
    assert attachment.filename == f"survey-{survey}.json.zip"
    with zipfile.ZipFile(io.BytesIO(await attachment.read())) as z:
        doc = json.loads(z.read(f"survey-{survey}.json"))
    assert doc["responses"][0]["member_id"] == str(world.bob.id)

    monkeypatch.setattr(discord.Guild, "filesize_limit", property(lambda self: 100))
    r = await world.alice.slash(world.general, "survey export", survey=survey, format="csv")
    assert r.ephemeral and r.response.attachments == []
    assert "over this server's upload limit of 1 KiB, so no file is attached" in (
        r.response.content
    )


async def test_a_one_question_survey_can_be_taken(world, bots) -> None:
    """With one question, Previous and Next both pointed at question 1 under the same
    custom id, which Discord refuses: the sheet never showed. Found by the issue 22 audit."""
    await make_advocates(world)
    g = world.general
    r = await world.alice.slash(g, "survey create", title="One thing", anonymous=False)
    survey = int(r.response.content.split("**#")[1].split("**")[0])
    await world.alice.slash(g, "survey question", survey=survey, kind="csat", prompt="Happy?")
    card = await open_survey(world, survey)
    taken = await world.bob.click(card, custom_id=f"hallway:survey:take:{survey}")
    assert "question 1 of 1" in taken.response.content, taken.response.content
    ids = [c.custom_id for row in taken.response.message.components for c in row.children]
    assert len(ids) == len(set(ids)), ids
    r = await world.bob.select(
        taken.response.message, ["4"], custom_id=f"hallway:survey:ans:{survey}:1"
    )
    done = await world.bob.click(
        r.response.message or taken.response.message,
        custom_id=f"hallway:survey:submit:{survey}:1",
    )
    assert "Thanks" in done.followups[-1].content
    r = await world.alice.slash(g, "survey results", survey=survey)
    assert "Responses: **1**" in r.response.embeds[0].description
