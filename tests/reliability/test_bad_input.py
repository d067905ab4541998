"""Malformed input, table-driven: every case gets a clear private error and changes nothing.

Each case runs a real command (or submits a real form) through SimCord as a user would,
then checks three things: the reply is ephemeral and contains the text that tells the
user what was wrong, no form opened, and every row of every table is exactly as before
(see _helpers.snapshot for the one table left out, and why).

Ids "from another guild" are real rows of a second server (guild B); in guild A they
must behave exactly like ids that don't exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from simcord import OptionError

from tests.conftest import message_payload, schedule_announcement, submit_feedback
from tests.reliability._helpers import (
    Arranged,
    arrange_two_guilds,
    configure_guild,
    diff,
    snapshot,
)

ZW = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters only
RTL = "\u202e\u200f"  # right-to-left override and mark
HUGE = 2**53 - 1  # the largest integer option Discord sends
UNKNOWN_ZONE = "isn't a time zone I know"
NO_SESSION = "There's no office-hours session #"
NO_ANNOUNCEMENT = "no announcement #"
NO_ITEM = "There's no feedback item #"
PASSED = "That time has already passed"
TOO_FAR = "That's too far ahead"
BAD_REPEAT = "isn't a repeat I know"
NOT_EMOJI = "isn't an emoji"
BAD_LINK = "Only http and https links can be attached"
BAD_DIGEST_TIME = "isn't a time of day. Use 24-hour HH:MM"

Options = dict[str, Any] | Callable[[Arranged], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """One malformed command: who runs it, with what, and what they must be told."""

    label: str
    command: str
    options: Options
    expected: str
    actor: str = "alice"  # an advocate of guild A, so only the input is wrong


@dataclass(frozen=True)
class FormCase:
    """A malformed form: the command that opens it is valid, the submitted values are not."""

    label: str
    command: str
    options: Options
    values: dict[str, str]
    expected: str
    actor: str = "alice"
    extra: dict[str, Any] = field(default_factory=dict)


def B(attr: str) -> Callable[[Arranged], int]:
    return lambda arranged: getattr(arranged.other, attr)


def _opts(case_options: Options, arranged: Arranged) -> dict[str, Any]:
    raw = case_options(arranged) if callable(case_options) else dict(case_options)
    return {k: (v(arranged) if callable(v) else v) for k, v in raw.items()}


def S(**options: Any) -> dict[str, Any]:
    return {"title": "EMEA office hours", "start": "2026-01-05 17:00", **options}


def W(**options: Any) -> Callable[[Arranged], dict[str, Any]]:
    def build(arranged: Arranged) -> dict[str, Any]:
        return {"channel": arranged.channels.news, "when": "2026-01-04 10:00", **options}

    return build


SETUP_CASES = [
    Case("zone empty", "setup timezone", {"name": ""}, "Please give a time zone"),
    Case("zone whitespace", "setup timezone", {"name": "   "}, "Please give a time zone"),
    Case("zone zero-width", "setup timezone", {"name": ZW}, "Please give a time zone"),
    Case("zone unknown", "setup timezone", {"name": "Mars/Olympus"}, UNKNOWN_ZONE),
    Case("zone too long", "setup timezone", {"name": "Europe/" + "x" * 300}, "too long"),
    Case("zone rtl", "setup timezone", {"name": RTL + "UTC"}, UNKNOWN_ZONE),
    Case("zone role mention", "setup timezone", {"name": "<@&123456789>"}, UNKNOWN_ZONE),
    Case("zone everyone", "setup timezone", {"name": "@everyone"}, UNKNOWN_ZONE),
    Case("zone offset", "setup timezone", {"name": "+05:00"}, UNKNOWN_ZONE),
    Case("zone sql", "setup timezone", {"name": "UTC'; DROP TABLE guild_settings;--"}, "zone"),
    Case("emoji word", "setup capture-emoji", {"emoji": "note"}, NOT_EMOJI),
    Case("emoji empty", "setup capture-emoji", {"emoji": " "}, NOT_EMOJI),
    Case("emoji zero-width", "setup capture-emoji", {"emoji": ZW}, NOT_EMOJI),
    Case("emoji everyone", "setup capture-emoji", {"emoji": "@everyone"}, NOT_EMOJI),
    Case("emoji user mention", "setup capture-emoji", {"emoji": "<@123456789>"}, NOT_EMOJI),
    Case("emoji markdown", "setup capture-emoji", {"emoji": "**bold**"}, NOT_EMOJI),
    Case("emoji long", "setup capture-emoji", {"emoji": "📝" * 300}, NOT_EMOJI),
]

OFFICE_HOURS_CASES = [
    Case("title empty", "officehours schedule", S(title=""), "give the session a title"),
    Case("title spaces", "officehours schedule", S(title="   "), "give the session a title"),
    Case("title zero-width", "officehours schedule", S(title=ZW), "give the session a title"),
    Case("title rtl only", "officehours schedule", S(title=RTL), "give the session a title"),
    Case("title too long", "officehours schedule", S(title="x" * 101), "Discord allows 100"),
    Case("title way too long", "officehours schedule", S(title="x" * 4000), "Discord allows 100"),
    Case(
        "description too long",
        "officehours schedule",
        S(description="y" * 1001),
        "Discord allows 1000",
    ),
    Case("start empty", "officehours schedule", S(start=""), "Please say when"),
    Case("start spaces", "officehours schedule", S(start="   "), "Please say when"),
    Case("start zero-width", "officehours schedule", S(start=ZW), "Please say when"),
    Case("start gibberish", "officehours schedule", S(start="whenever"), "Try"),
    Case("start past", "officehours schedule", S(start="2025-12-31 09:00"), PASSED),
    Case("start far", "officehours schedule", S(start="2031-01-01 09:00"), TOO_FAR),
    Case("start year 9999", "officehours schedule", S(start="9999-12-31 23:59"), TOO_FAR),
    Case("start feb 30", "officehours schedule", S(start="2026-02-30 10:00"), "isn't a real date"),
    Case("start hour 25", "officehours schedule", S(start="tomorrow 25:00"), "isn't a time of day"),
    Case("start 13pm", "officehours schedule", S(start="tomorrow 13pm"), "isn't a time of day"),
    Case("start now", "officehours schedule", S(start="now"), "rather than `now`"),
    Case("start in seconds", "officehours schedule", S(start="in 30 seconds"), "couldn't read"),
    Case("start ambiguous", "officehours schedule", S(start="01/02 10:00"), "day-first"),
    Case("start too long", "officehours schedule", S(start="tomorrow " * 30), "too long"),
    Case("start mention", "officehours schedule", S(start="<@&123> tomorrow"), "Try"),
    Case("start negative", "officehours schedule", S(start="in -2 hours"), "Try"),
    Case(
        "start huge",
        "officehours schedule",
        S(start="in 99999999999999999999 days"),
        TOO_FAR,
    ),
    Case("zone unknown", "officehours schedule", S(timezone="Mars/Olympus"), UNKNOWN_ZONE),
    Case("zone mention", "officehours schedule", S(timezone="@everyone"), UNKNOWN_ZONE),
    Case("ask empty", "officehours ask", {"question": ""}, "Your question is empty", "carol"),
    Case("ask spaces", "officehours ask", {"question": " \n\t "}, "question is empty", "carol"),
    Case("ask zero-width", "officehours ask", {"question": ZW}, "question is empty", "carol"),
    Case("ask too long", "officehours ask", {"question": "q" * 1001}, "limit is 1000", "carol"),
    Case("leave nothing", "officehours leave", {}, "nothing to withdraw", "carol"),
    Case("cancel unknown", "officehours cancel", {"session": 999}, NO_SESSION),
    Case("cancel negative", "officehours cancel", {"session": -1}, NO_SESSION),
    Case("cancel zero", "officehours cancel", {"session": 0}, NO_SESSION),
    Case("cancel huge", "officehours cancel", {"session": HUGE}, NO_SESSION),
    Case("cancel guild B", "officehours cancel", {"session": B("session_id")}, NO_SESSION),
    Case("start guild B", "officehours start", {"session": B("session_id")}, NO_SESSION),
    Case("start unknown", "officehours start", {"session": 424242}, NO_SESSION),
    Case("next none live", "officehours next", {}, "No office hours are live"),
    Case("next guild B", "officehours next", {"session": B("session_id")}, NO_SESSION),
    Case("end guild B", "officehours end", {"session": B("session_id")}, NO_SESSION),
    Case("end not live", "officehours end", {}, "No office hours are live"),
    Case("grace negative", "officehours settings", {"grace_minutes": -5}, "0–240 minutes"),
    Case("grace huge", "officehours settings", {"grace_minutes": HUGE}, "0–240 minutes"),
    Case("reminders empty", "officehours settings", {"reminders": ""}, "isn't a reminder time"),
    Case("reminders word", "officehours settings", {"reminders": "soon"}, "isn't a reminder"),
    Case("reminders 1m", "officehours settings", {"reminders": "1m"}, "between 5 minutes"),
    Case("reminders 30d", "officehours settings", {"reminders": "30d"}, "and 7 days"),
    Case("reminders many", "officehours settings", {"reminders": "1h,2h,3h,4h"}, "At most 3"),
    Case("reminders negative", "officehours settings", {"reminders": "-15m"}, "reminder time"),
    Case("reminders huge", "officehours settings", {"reminders": "9" * 30 + "d"}, "and 7 days"),
    Case("reminders mention", "officehours settings", {"reminders": "<@&1>"}, "reminder time"),
]

ANNOUNCE_CASES = [
    Case("when empty", "announce schedule", W(when=""), "Please say when"),
    Case("when zero-width", "announce schedule", W(when=ZW), "Please say when"),
    Case("when gibberish", "announce schedule", W(when="soonish"), "Try"),
    Case("when past", "announce schedule", W(when="2025-12-31 09:00"), PASSED),
    Case("when far", "announce schedule", W(when="2030-06-01 09:00"), TOO_FAR),
    Case("when rtl", "announce schedule", W(when=RTL + "tomorrow"), "Try"),
    Case("repeat unknown", "announce schedule", W(repeat="hourly"), BAD_REPEAT),
    Case("repeat empty", "announce schedule", W(repeat=" "), "Please say how it repeats"),
    Case("repeat too long", "announce schedule", W(repeat="x" * 500), "too long"),
    Case("cron 4 fields", "announce schedule", W(repeat="cron:0 9 * *"), "needs 5"),
    Case("cron empty", "announce schedule", W(repeat="cron:"), "needs 5"),
    Case("cron too often", "announce schedule", W(repeat="cron:*/30 * * * *"), "an hour apart"),
    Case("cron never", "announce schedule", W(repeat="cron:0 9 31 2 *"), "never fires"),
    Case("cron day and weekday", "announce schedule", W(repeat="cron:0 9 1 * mon"), "Pick one"),
    Case("cron out of range", "announce schedule", W(repeat="cron:99 99 * * *"), "cron"),
    Case("cron words", "announce schedule", W(repeat="cron:every day at noon"), "needs 5"),
    Case("cron mention", "announce schedule", W(repeat="cron:<@&1> * * * *"), "cron"),
    Case("zone unknown", "announce schedule", W(timezone="Nowhere/Land"), UNKNOWN_ZONE),
    Case("title too long", "announce schedule", W(title="x" * 300), "limit is 256"),
    Case("title bad variable", "announce schedule", W(title="Hi {user}"), "template variable"),
    Case("title stray brace", "announce schedule", W(title="Hi {"), "stray brace"),
    Case(
        "ping everyone",
        "announce schedule",
        lambda a: {**W()(a), "ping": a.everyone_role},
        "can't ping @everyone",
    ),
]
for _command in ("show", "preview", "edit", "pause", "resume", "cancel", "send-now", "history"):
    ANNOUNCE_CASES += [
        Case(f"{_command} unknown", f"announce {_command}", {"id": 999}, NO_ANNOUNCEMENT),
        Case(
            f"{_command} guild B",
            f"announce {_command}",
            {"id": B("announcement_id")},
            NO_ANNOUNCEMENT,
        ),
    ]
ANNOUNCE_CASES += [
    Case("show negative", "announce show", {"id": -7}, NO_ANNOUNCEMENT),
    Case("show huge", "announce show", {"id": HUGE}, NO_ANNOUNCEMENT),
    Case(
        "edit past",
        "announce edit",
        lambda a: {"id": a.announcement_id, "when": "yesterday"},
        "couldn't read",
    ),
    Case(
        "edit bad zone",
        "announce edit",
        lambda a: {"id": a.announcement_id, "timezone": "X"},
        UNKNOWN_ZONE,
    ),
    Case(
        "edit bad cron",
        "announce edit",
        lambda a: {"id": a.announcement_id, "repeat": "cron:61 * * * *"},
        "cron",
    ),
    Case(
        "resume not paused",
        "announce resume",
        lambda a: {"id": a.announcement_id},
        "only a paused announcement",
    ),
]

FEEDBACK_CASES = [
    Case("show unknown", "feedback show", {"item": 999}, NO_ITEM, "bob"),
    Case("show negative", "feedback show", {"item": -1}, NO_ITEM, "bob"),
    Case("show huge", "feedback show", {"item": HUGE}, NO_ITEM, "bob"),
    Case("show guild B", "feedback show", {"item": B("feedback_id")}, NO_ITEM, "bob"),
    Case("vote unknown", "feedback vote", {"item": 999}, NO_ITEM, "carol"),
    Case("vote guild B", "feedback vote", {"item": B("feedback_id")}, NO_ITEM, "carol"),
    Case(
        "status guild B",
        "feedback status",
        {"item": B("feedback_id"), "status": "planned"},
        NO_ITEM,
    ),
    Case(
        "status note too long",
        "feedback status",
        lambda a: {"item": a.feedback_id, "status": "planned", "note": "n" * 501},
        "Keep the note to 500",
    ),
    Case(
        "status unchanged",
        "feedback status",
        lambda a: {"item": a.feedback_id, "status": "new"},
        "is already **new**",
    ),
    Case(
        "link guild B", "feedback link", {"item": B("feedback_id"), "url": "https://x.io"}, NO_ITEM
    ),
]
for _label, _url, _expected in [
    ("empty", "", "The link is empty"),
    ("spaces", "   ", "The link is empty"),
    ("ftp", "ftp://files.example.com/x", BAD_LINK),
    ("javascript", "javascript:alert(1)", BAD_LINK),
    ("no scheme", "github.com/org/repo/issues/1", BAD_LINK),
    ("mailto", "mailto:someone@example.com", BAD_LINK),
    ("data", "data:text/html,<script>alert(1)</script>", BAD_LINK),
    ("mention", "<@123456789>", BAD_LINK),
    ("spaces inside", "https://example.com/a b", "can't contain spaces"),
    ("too long", "https://example.com/" + "a" * 600, "longer than 500"),
    ("no host", "https://", BAD_LINK),
]:
    FEEDBACK_CASES.append(
        Case(
            f"link {_label}",
            "feedback link",
            lambda a, url=_url: {"item": a.feedback_id, "url": url},
            _expected,
        )
    )
FEEDBACK_CASES += [
    Case("merge into itself", "feedback merge", lambda a: {"duplicate": 1, "into": 1}, "itself"),
    Case("merge unknown", "feedback merge", {"duplicate": 999, "into": 1}, NO_ITEM),
    Case("merge guild B", "feedback merge", {"duplicate": 1, "into": B("feedback_id")}, NO_ITEM),
    Case("tag nothing", "feedback tag", {"item": 1}, "Name at least one tag"),
    Case("tag unknown", "feedback tag", {"item": 1, "add": "nonsense-tag"}, "Unknown tag"),
    Case("tag both", "feedback tag", {"item": 1, "add": "docs", "remove": "docs"}, "both added"),
    Case("tag mention", "feedback tag", {"item": 1, "add": "<@&1>"}, "Unknown tag"),
    Case("tag guild B", "feedback tag", {"item": B("feedback_id"), "add": "docs"}, NO_ITEM),
    Case("list unknown tag", "feedback list", {"tag": "no-such-tag"}, "Unknown tag", "bob"),
    Case("search empty", "feedback search", {"query": "  "}, "Type a few words", "bob"),
    Case("search zero-width", "feedback search", {"query": ZW}, "no words to look for", "bob"),
    Case("search too long", "feedback search", {"query": "w" * 201}, "200 characters", "bob"),
    Case("search punctuation", "feedback search", {"query": "?!?"}, "no words", "bob"),
    Case("export bad date", "feedback export", {"since": "last tuesday"}, "isn't a date"),
    Case("export feb 30", "feedback export", {"since": "2026-02-30"}, "isn't a date"),
    Case("export huge days", "feedback export", {"since": "9" * 12 + "d"}, "is too far back"),
    Case("tags remove unknown", "feedback tags remove", {"name": "nope"}, "no custom tag"),
    Case(
        "tags add no keywords",
        "feedback tags add",
        {"name": "billing", "keywords": " , "},
        "at least one keyword",
    ),
    Case(
        "areas too many",
        "feedback areas set",
        {"areas": ",".join(f"a{i}" for i in range(30))},
        "At most 25",
    ),
    Case("areas too long", "feedback areas set", {"areas": "x" * 41}, "too long"),
]

DIGEST_CASES = [
    Case("time 25:00", "digest configure", {"time": "25:00"}, BAD_DIGEST_TIME),
    Case("time 13pm", "digest configure", {"time": "13pm"}, BAD_DIGEST_TIME),
    Case("time word", "digest configure", {"time": "noon"}, BAD_DIGEST_TIME),
    Case("time empty", "digest configure", {"time": " "}, BAD_DIGEST_TIME),
    Case("time zero-width", "digest configure", {"time": ZW}, BAD_DIGEST_TIME),
    Case("time mention", "digest configure", {"time": "<@&1>"}, BAD_DIGEST_TIME),
    Case("time 9:60", "digest configure", {"time": "9:60"}, BAD_DIGEST_TIME),
    Case("time negative", "digest configure", {"time": "-1:00"}, BAD_DIGEST_TIME),
    Case("zone unknown", "digest configure", {"timezone": "Atlantis/Capital"}, UNKNOWN_ZONE),
    Case("zone empty", "digest configure", {"timezone": " "}, "Please give a time zone"),
]

FORM_CASES = [
    FormCase(
        "body spaces", "announce schedule", W(), {"body": "   ", "image_url": ""}, "needs some text"
    ),
    FormCase(
        "body zero-width",
        "announce schedule",
        W(),
        {"body": ZW, "image_url": ""},
        "needs some text",
    ),
    FormCase(
        "body bad variable",
        "announce schedule",
        W(),
        {"body": "Hi {user}", "image_url": ""},
        "template variable",
    ),
    FormCase(
        "body stray brace",
        "announce schedule",
        W(),
        {"body": "50% off {", "image_url": ""},
        "stray brace",
    ),
    FormCase(
        "image ftp",
        "announce schedule",
        W(),
        {"body": "Hi", "image_url": "ftp://x.io/a.png"},
        "web address",
    ),
    FormCase(
        "image javascript",
        "announce schedule",
        W(),
        {"body": "Hi", "image_url": "javascript:alert(1)"},
        "web address",
    ),
    FormCase(
        "image no scheme",
        "announce schedule",
        W(),
        {"body": "Hi", "image_url": "example.com/a.png"},
        "web address",
    ),
    FormCase(
        "image no host",
        "announce schedule",
        W(),
        {"body": "Hi", "image_url": "https://"},
        "web address",
    ),
    FormCase(
        "feedback summary spaces",
        "feedback submit",
        {},
        {"summary": "   ", "details": "", "area": ""},
        "summary is empty",
        "carol",
    ),
    FormCase(
        "feedback summary zero-width",
        "feedback submit",
        {},
        {"summary": ZW, "details": "", "area": ""},
        "summary is empty",
        "carol",
    ),
    FormCase(
        "feedback summary rtl",
        "feedback submit",
        {},
        {"summary": RTL, "details": "", "area": ""},
        "summary is empty",
        "carol",
    ),
]


def _actor(world: Any, name: str) -> Any:
    return getattr(world, name)


async def _run_cases(world: Any, bots: Any, arranged: Arranged, cases: list[Case]) -> int:
    failures: list[str] = []
    for case in cases:
        before = await snapshot(bots.current)
        options = _opts(case.options, arranged)
        r = await _actor(world, case.actor).slash(world.general, case.command, **options)
        after = await snapshot(bots.current)
        text = r.response.content if r.response is not None else None
        if r.modal is not None:
            failures.append(f"{case.label}: opened a form instead of refusing")
        elif not r.ephemeral or not text:
            failures.append(f"{case.label}: no private error (got {text!r})")
        elif not case.expected or case.expected not in text or "Something went wrong" in text:
            failures.append(f"{case.label}: expected {case.expected!r} in {text!r}")
        if changed := diff(before, after):
            failures.append(f"{case.label}: the database changed: {changed}")
    assert not failures, "\n".join(failures)
    return len(cases)


@pytest.fixture
async def arranged(world, bots) -> Arranged:
    return await arrange_two_guilds(world, bots.current)


async def test_setup_rejects_bad_input(world, bots, arranged) -> None:
    assert await _run_cases(world, bots, arranged, SETUP_CASES) >= 15


async def test_office_hours_rejects_bad_input(world, bots, arranged) -> None:
    assert await _run_cases(world, bots, arranged, OFFICE_HOURS_CASES) >= 40


async def test_announcements_reject_bad_input(world, bots, arranged) -> None:
    assert await _run_cases(world, bots, arranged, ANNOUNCE_CASES) >= 30


async def test_feedback_rejects_bad_input(world, bots, arranged) -> None:
    assert await _run_cases(world, bots, arranged, FEEDBACK_CASES) >= 30


async def test_digest_rejects_bad_input(world, bots, arranged) -> None:
    assert await _run_cases(world, bots, arranged, DIGEST_CASES) >= 10


async def test_forms_reject_bad_input(world, bots, arranged) -> None:
    failures: list[str] = []
    for case in FORM_CASES:
        actor = _actor(world, case.actor)
        shown = await actor.slash(world.general, case.command, **_opts(case.options, arranged))
        if shown.modal is None:
            failures.append(f"{case.label}: no form ({shown.response.content!r})")
            continue
        # Opening a form may legitimately store a draft; only the bad submission must not write.
        before = await snapshot(bots.current)
        r = await actor.submit_modal(shown, case.values)
        after = await snapshot(bots.current)
        text = r.response.content if r.response is not None else None
        if not r.ephemeral or not text or not case.expected or case.expected not in text:
            failures.append(f"{case.label}: expected {case.expected!r} in {text!r}")
        if changed := diff(before, after):
            failures.append(f"{case.label}: the database changed: {changed}")
    assert not failures, "\n".join(failures)


def test_the_tables_hold_at_least_a_hundred_cases() -> None:
    total = sum(
        len(t)
        for t in (
            SETUP_CASES,
            OFFICE_HOURS_CASES,
            ANNOUNCE_CASES,
            FEEDBACK_CASES,
            DIGEST_CASES,
            FORM_CASES,
        )
    )
    assert total >= 100, total


async def test_discord_refuses_out_of_range_numbers_before_the_bot(world, bots, arranged) -> None:
    """Range options (durations, counts, days) never reach the bot: Discord refuses them."""
    before = await snapshot(bots.current)
    for command, options in [
        ("officehours schedule", S(duration=-30)),
        ("officehours schedule", S(duration=10**6)),
        ("officehours history", {"count": 0}),
        ("officehours history", {"count": 500}),
        ("feedback trends", {"days": -1}),
        ("stats summary", {"days": 0}),
        ("stats summary", {"days": 10_000}),
    ]:
        with pytest.raises(OptionError):
            await world.alice.slash(world.general, command, **options)
    assert diff(before, await snapshot(bots.current)) == {}


INJECTIONS = (
    "@everyone @here <@&{role}> <@{user}> **bold** ||spoiler|| [link](https://evil.example)"
)


async def test_mention_injection_is_stored_as_text_and_never_pings(world, bots) -> None:
    """Free text may contain mentions; the bot keeps them but no post it makes pings them."""
    env = world.env
    channels = await configure_guild(world)
    text = INJECTIONS.format(role=world.advocates.id, user=world.carol.id)
    start = len(env.http_requests)
    await world.alice.slash(
        world.general, "officehours schedule", title="Ask " + text[:60], start="in 2 hours"
    )
    r = await world.bob.slash(world.general, "officehours ask", question=text)
    assert "queued" in r.response.content
    await world.alice.slash(world.general, "officehours start")
    await world.alice.slash(world.general, "officehours next")
    await world.alice.slash(world.general, "officehours end")
    r = await submit_feedback(world.bob, world.general, "Pings " + text[:80], text)
    await world.alice.slash(world.general, "feedback show", item=1)
    await world.alice.slash(world.general, "feedback status", item=1, status="planned", note=text)
    await schedule_announcement(world, channels.news, text, when="in 1 hour")
    await env.advance_time(3600 + 60)
    await world.alice.slash(world.general, "digest configure", channel=channels.digest)
    await world.alice.slash(world.general, "digest post")
    checked = 0
    for request in env.http_requests[start:]:
        if request.method not in ("POST", "PATCH") or not isinstance(request.json, dict):
            continue
        data = message_payload(request)
        allowed = data.get("allowed_mentions", "absent")
        # Only message content can ping: Discord never notifies for embeds, names of
        # events or threads.
        body = str(data.get("content") or "")
        if "@everyone" not in body and f"<@&{world.advocates.id}>" not in body:
            continue
        checked += 1
        assert allowed != "absent", (request.path, body[:200])
        assert "everyone" not in allowed.get("parse", []), request.path
        assert not allowed.get("roles"), request.path
        assert "users" not in allowed.get("parse", []), request.path
        # Only the asker may be pinged (office hours "you're up"), never carol from the text.
        assert world.carol.id not in allowed.get("users", []), request.path
    assert checked >= 8
    stored = await bots.current.services.office_hours.repo.questions.session_questions(
        world.guild.id, 1
    )
    assert stored[0].question == text  # kept as written
