"""The sandbox's demo server and its seeded week: the part to edit to change the demo.

`build_world` makes the simulated guild (channels, the Advocates role, the
visitor and three developers), `seed_week` sets up a week of activity through
the bot's own commands, and `post_guide` leaves the welcome note in #general.
They live apart from sandbox/server.py, which starts, drives and serves the sandbox,
so changing what the demo shows never means reading the server's lifecycle.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.time.timefmt import discord_timestamp

if TYPE_CHECKING:
    from simcord import Env
    from simcord.actors import MemberActor
    from simcord.builders import ChannelHandle, GuildHandle, RoleHandle

log = logging.getLogger(__name__)

SERVER_NAME = "Hallway Sandbox"
TIMEZONE = "Europe/Berlin"
DEVELOPERS = ("priya", "marco", "sam")


@dataclass
class World:
    guild: GuildHandle
    general: ChannelHandle
    staff: ChannelHandle  # #advocates, where the seeding advocate runs admin commands
    office_hours: ChannelHandle
    announcements: ChannelHandle
    digest: ChannelHandle
    stage: ChannelHandle
    hallway: ChannelHandle  # the hallway track's private pair threads
    advocates: RoleHandle
    you: MemberActor
    developers: list[MemberActor]
    help: ChannelHandle | None = None  # a help channel: one answered post, one waiting
    on_call: RoleHandle | None = None  # the role the on-call rotation moves


def build_world(env: Env) -> World:
    """The demo server; ids come out the same on every run, so --database stays valid."""
    import discord

    you_user = env.create_user("you", global_name="You (advocate)")
    guild = env.create_guild(SERVER_NAME, owner=you_user)
    advocates = guild.create_role("Advocates", hoist=True, mentionable=True)
    general = guild.create_text_channel("general", topic="Say hi! Try /officehours upcoming")
    staff = guild.create_text_channel(
        "advocates",
        topic="The DevRel team's channel: the sandbox's week was set up here",
        overwrites={
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            advocates: discord.PermissionOverwrite(view_channel=True),
        },
    )
    office_hours = guild.create_text_channel("office-hours", topic="Queue up with /officehours ask")
    announcements = guild.create_news_channel("announcements")
    digest = guild.create_text_channel("digest")
    stage = guild.create_stage_channel("office-hours-stage")
    you = guild.add_member(you_user, roles=[advocates])
    developers = [guild.add_member(env.create_user(name)) for name in DEVELOPERS]
    # Made last, so every id made before it stays the same for kept --database files.
    hallway = guild.create_text_channel("hallway", topic="☕ 1:1 chats: /hallway join")
    on_call = guild.create_role("On call", mentionable=True)
    help_channel = guild.create_text_channel("help", topic="Stuck? Ask here; someone will answer")
    return World(
        guild=guild,
        general=general,
        staff=staff,
        office_hours=office_hours,
        announcements=announcements,
        digest=digest,
        stage=stage,
        hallway=hallway,
        advocates=advocates,
        you=you,
        developers=developers,
        help=help_channel,
        on_call=on_call,
    )


_ITEM = re.compile(r"feedback \*\*#(\d+)\*\*")


def _content(result: Any) -> str:
    response = getattr(result, "response", None)
    return (getattr(response, "content", None) or "") if response is not None else ""


async def seed_week(env: Env, world: World) -> list[str]:
    """Set up a week of activity through the bot's commands; returns the steps that failed.

    A feature that misbehaves must not keep the sandbox from opening, so each
    step is tried on its own and a failure is logged and skipped.
    """
    you, (priya, marco, sam) = world.you, world.developers
    # Developers talk in #general; the advocate's admin commands go to #advocates,
    # so their replies read as a log of how the week was set up.
    general, staff = world.general, world.staff
    failures: list[str] = []
    items: list[int] = []

    async def step(name: str, action: Callable[[], Awaitable[Any]]) -> Any:
        cursor = env.error_cursor
        try:
            result = await action()
        except Exception as exc:
            log.warning("Sandbox seeding: %s failed: %s", name, exc)
            failures.append(name)
            return None
        errors = env.errors_since(cursor)
        if errors:
            log.warning("Sandbox seeding: %s raised in the bot: %r", name, errors[-1])
            failures.append(name)
        return result

    async def submit_feedback(actor: MemberActor, summary: str, details: str, area: str) -> Any:
        shown = await actor.slash(general, "feedback submit")
        if shown.modal is None:
            raise RuntimeError(f"no modal: {_content(shown)}")
        done = await actor.submit_modal(
            shown, {"summary": summary, "details": details, "area": area}
        )
        match = _ITEM.search(_content(done))
        if match is None:
            raise RuntimeError(f"unexpected reply: {_content(done)[:200]}")
        items.append(int(match.group(1)))
        return done

    async def schedule_announcement() -> Any:
        shown = await you.slash(
            staff,
            "announce schedule",
            channel=world.announcements,
            when="tomorrow 09:00",
            title="Office hours today",
        )
        if shown.modal is None:
            raise RuntimeError(f"no modal: {_content(shown)}")
        return await you.submit_modal(
            shown,
            {
                "body": "Bring your API questions to office hours today at 17:00 "
                "(Berlin time). Queue up early with /officehours ask!",
                "image_url": "",
            },
        )

    # -- /setup: the owner makes the Advocates role the advocates, then picks channels.
    await step(
        "/setup advocate-role",
        lambda: you.slash(staff, "setup advocate-role", role=world.advocates),
    )
    await step("/setup timezone", lambda: you.slash(staff, "setup timezone", name=TIMEZONE))
    for kind, channel in (
        ("office-hours", world.office_hours),
        ("announcements", world.announcements),
        ("digest", world.digest),
    ):
        await step(
            f"/setup channel {kind}",
            lambda kind=kind, channel=channel: you.slash(
                staff, "setup channel", kind=kind, channel=channel
            ),
        )

    # -- A quick poll the advocate ended early: its final counts are in /survey results.
    async def quick_poll() -> Any:
        done = await you.slash(
            general,
            "survey poll",
            question="Which SDK should get examples first?",
            options="Python, TypeScript, Go",
            duration="24h",
        )
        poll = general.last_message
        if poll is None or poll.poll is None:
            raise RuntimeError(f"no poll: {_content(done)[:200]}")
        for voter, answer in ((priya, 1), (marco, 2), (sam, 1)):
            await voter.vote(poll, answer=answer)
        return await you.slash(staff, "survey close", survey=1)

    await step("/survey poll", quick_poll)

    # -- Office hours: a weekly session tomorrow evening with two questions queued.
    await step(
        "/officehours schedule",
        lambda: you.slash(
            staff,
            "officehours schedule",
            title="Weekly API office hours",
            start="tomorrow 17:00",
            duration=60,
            repeat="weekly",
            location=world.stage,
            description="Live Q&A with the developer-relations team.",
        ),
    )
    await step(
        "/officehours ask (priya)",
        lambda: priya.slash(
            general,
            "officehours ask",
            question="How do I refresh an OAuth token without logging the user out?",
        ),
    )
    await step(
        "/officehours ask (marco)",
        lambda: marco.slash(
            general,
            "officehours ask",
            question="Is there a sandbox for testing webhooks locally?",
        ),
    )

    # -- Feedback: a few items, tagged by the bot's tagger, with votes.
    for actor, summary, details, area in (
        (
            priya,
            "Python SDK throws 401 after token refresh",
            "acme-sdk 2.3.1 returns HTTP 401 unauthorized right after the OAuth token refreshes.",
            "SDK",
        ),
        (
            marco,
            "Webhook retries are not documented",
            "The docs don't say how often or how long webhook deliveries are retried.",
            "Docs",
        ),
        (
            sam,
            "Search API rate limit is too low for batch jobs",
            "We hit 429 Too Many Requests after 100 calls a minute on /v2/search.",
            "API",
        ),
        (
            priya,
            "Dashboard needs a dark mode",
            "The developer dashboard is very bright at night; a dark theme would help.",
            "",
        ),
    ):
        await step(
            f"/feedback submit ({summary[:30]})",
            lambda actor=actor, summary=summary, details=details, area=area: submit_feedback(
                actor, summary, details, area
            ),
        )
    votes = [(marco, 0), (sam, 0), (you, 0), (priya, 1), (sam, 1), (marco, 2)]
    for voter, index in votes:
        if index < len(items):
            await step(
                f"/feedback vote #{items[index]}",
                lambda voter=voter, item=items[index]: voter.slash(
                    staff if voter is you else general, "feedback vote", item=item
                ),
            )
    if len(items) > 3:
        # The tagger found nothing in the last one; the advocate tags it by hand.
        await step(
            f"/feedback tag #{items[3]}",
            lambda: you.slash(staff, "feedback tag", item=items[3], add="feature-request"),
        )

    if items:
        # A GitHub link, shown on the card and the forum post. The sandbox has no network and
        # no GITHUB_TOKEN, so it is stored and not followed; the reply says so.
        await step(
            f"/feedback link #{items[0]}",
            lambda: you.slash(staff, "feedback link", item=items[0], url=SANDBOX_ISSUE),
        )

    # -- An open survey with three responses, answered through its card's components.
    async def open_survey() -> Any:
        created = await you.slash(
            staff,
            "survey create",
            title="Developer experience pulse",
            anonymous=False,
            closes="in 6 days",
        )
        match = re.search(r"survey \*\*#(\d+)\*\*", _content(created))
        if match is None:
            raise RuntimeError(f"unexpected reply: {_content(created)[:200]}")
        survey = int(match.group(1))
        for kind, prompt, options in (
            ("nps", "How likely are you to recommend our API to a friend?", None),
            ("choice", "Which SDK do you use most?", "Python, TypeScript, Go, None"),
            ("text", "What slowed you down this month?", None),
        ):
            extra = {"options": options} if options else {}
            await you.slash(
                staff, "survey question", survey=survey, kind=kind, prompt=prompt, **extra
            )
        await you.slash(staff, "survey open", survey=survey, channel=general)
        card = general.last_message
        for actor, score, sdk, text in (
            (priya, "9", "0", "The OAuth token refresh docs are confusing"),
            (marco, "7", "1", "Setting up webhooks locally took an afternoon"),
            (sam, "4", "2", "Rate limits on the search API are too low"),
        ):
            sheet = await actor.click(card, custom_id=f"hallway:survey:take:{survey}")
            message = sheet.response.message
            for position, value in ((1, score), (2, sdk)):
                chosen = await actor.select(
                    message, [value], custom_id=f"hallway:survey:ans:{survey}:{position}"
                )
                message = chosen.response.message or message
            shown = await actor.click(message, custom_id=f"hallway:survey:write:{survey}:3")
            written = await actor.submit_modal(shown, {"answer": text})
            message = written.response.message or message
            await actor.click(message, custom_id=f"hallway:survey:submit:{survey}:3")
        return created

    await step("/survey create, question, open and three answers", open_survey)

    # -- Announcements and the weekly digest.
    await step("/announce schedule", schedule_announcement)
    await step(
        "/digest configure",
        lambda: you.slash(
            staff,
            "digest configure",
            channel=world.digest,
            day="monday",
            time="09:00",
        ),
    )
    # -- The hallway track: everyone joins with their zone and hours, one round is run.
    hallway_people = (
        (you, "Europe/Berlin", "devrel, webhooks, community", "I run DevRel", "17-19 mon-fri"),
        (priya, "Asia/Kolkata", "python, oauth, sdk", "Python integrations", "19-22 weekdays"),
        (marco, "Europe/Rome", "webhooks, go, testing", "Backend, webhooks", "9-18 mon-fri"),
        (sam, "America/New_York", "search, python, data", "Data engineer", "8-12 weekdays"),
    )

    async def join_hallway(
        actor: MemberActor, zone: str, interests: str, intro: str, hours: str
    ) -> Any:
        where = staff if actor is you else general
        await actor.slash(where, "me timezone", zone=zone)
        shown = await actor.slash(where, "hallway join")
        if shown.modal is None:
            raise RuntimeError(f"no modal: {_content(shown)}")
        return await actor.submit_modal(
            shown, {"interests": interests, "intro": intro, "free_hours": hours}
        )

    await step(
        "/hallway configure",
        lambda: you.slash(
            staff,
            "hallway configure",
            channel=world.hallway,
            cadence="weekly",
            day="monday",
            time="10:00",
            **{"group-size": 3},
        ),
    )
    for actor, zone, interests, intro, hours in hallway_people:
        await step(
            f"/hallway join ({actor.user.name})",
            lambda a=actor, z=zone, i=interests, t=intro, h=hours: join_hallway(a, z, i, t, h),
        )
    await step("/hallway run", lambda: you.slash(staff, "hallway run"))
    # -- A regional call series: parallel APAC and EMEA calls each week, plus an Americas slot.
    await step(
        "/calls create",
        lambda: you.slash(
            staff,
            "calls create",
            title="Community call",
            cadence="weekly",
            mode="parallel",
            channel=world.stage,
        ),
    )
    for name, day, at, zone in (
        ("APAC", "wednesday", "10:00", "Asia/Singapore"),
        ("EMEA", "wednesday", "16:00", "Europe/Berlin"),
        ("Americas", "thursday", "12:00", "America/New_York"),
    ):
        await step(
            f"/calls slot-add ({name})",
            lambda n=name, d=day, t=at, z=zone: you.slash(
                staff,
                "calls slot-add",
                series="Community call",
                name=n,
                day=d,
                time=t,
                timezone=z,
            ),
        )
    # You host the EMEA slot (its next call gets you), and the agenda has two items.
    await step(
        "/calls host",
        lambda: you.slash(staff, "calls host", series="Community call", slot="EMEA"),
    )
    for author, item in (
        (priya, "Feedback on the new webhooks API"),
        (marco, "Should the SDK drop Python 3.9?"),
    ):
        await step(
            "/calls agenda",
            lambda a=author, i=item: a.slash(
                general, "calls agenda", series="Community call", item=i
            ),
        )
    # -- Boundaries: your working hours, and a weekly on-call rotation you're in.
    await step(
        "/advocate hours",
        lambda: you.slash(
            staff,
            "advocate hours",
            days="mon-fri",
            start="09:00",
            end="17:30",
            timezone="Europe/Berlin",
        ),
    )
    if world.on_call is not None:
        await step(
            "/oncall configure",
            lambda: you.slash(
                staff,
                "oncall configure",
                role=world.on_call,
                shift="weekly",
                handoff="mon 09:00",
                timezone="Europe/Berlin",
                channel=staff,
            ),
        )
        await step("/oncall join", lambda: you.slash(staff, "oncall join"))
    # -- A help channel: priya's question got an answer from marco; sam's still waits
    # (the advocates' channel hears of it after 24 hours of sandbox time).
    if world.help is not None:
        help_channel = world.help
        await step(
            "/setup channel log",
            lambda: you.slash(staff, "setup channel", kind="log", channel=staff),
        )
        await step(
            "/setup channel help",
            lambda: you.slash(staff, "setup channel", kind="help", channel=help_channel),
        )

        async def answered_post() -> Any:
            asked = await priya.send(help_channel, "How do I paginate the list endpoints?")
            # The sandbox clock stands still while seeding, so the answer comes at once.
            return await marco.send(
                help_channel,
                "Pass the `cursor` from the last page, see the API guide.",
                reply_to=asked,
            )

        await step("help: an answered post", answered_post)
        await step(
            "help: a waiting post",
            lambda: sam.send(help_channel, "Does the Python SDK work behind an HTTP proxy?"),
        )

    # Levels: some chatter in #general and thresholds that spread the members over all four
    # levels. Scores (message 1, question 3, feedback 3, vote 1; a reporter's own item counts
    # as their vote): priya 7 messages (6 here, 1 in #help) + 1 question + 2 items + 3 votes
    # = 19, a champion; marco 4 + 3 + 3 + 3 = 13, a contributor; sam 2 + 3 + 3 = 8, a
    # participant; you 1 vote = 1, an observer.
    async def chatter() -> Any:
        for member, n in ((priya, 6), (marco, 3), (sam, 1)):
            for i in range(n):
                await member.send(world.general, f"Thanks, that helped ({i + 1})")

    await step("levels: chatter in #general", chatter)
    await step(
        "/stats levels-configure",
        lambda: you.slash(staff, "stats levels-configure", thresholds="2, 10, 15"),
    )
    await env.settle()
    return failures


SANDBOX_ISSUE = "https://github.com/acme/sdk-python/issues/482"

GUIDE = """\
👋 **Welcome to the Hallway sandbox.** This is the real bot in a simulated Discord on your \
own machine: no token, and nothing leaves 127.0.0.1.
• You are **You (advocate)**. Pick **priya**, **marco** or **sam** under *Viewing as* to be a \
developer instead.
• A week is set up: weekly office hours {office_hours} with two questions queued, four \
feedback items with tags and votes, an announcement {announcement}, a Monday digest, a \
first hallway-track round (private 1:1 threads in {hallway}), an open survey with three \
answers, a quick poll that has ended, a weekly community call in three regions (you \
host EMEA; its agenda has two items), your working hours and a weekly on-call rotation \
you're in, and a help \
channel {help} with one answered question and one still waiting. \
The advocate's commands that did it are in **#advocates**, which only advocates see. \
#1 links to a GitHub issue (Hallway follows such links when it has a GitHub token; the \
sandbox has none).
• Members have levels from what they did (messages, questions, feedback, votes): \
`/stats levels` shows how many are at each level and who moved up; `/me show` tells you your own.
• Try `/officehours upcoming`, `/officehours queue`, `/feedback list`, `/feedback submit`, \
`/announce list`, `/digest preview`, `/hallway status`, `/me show`, `/calls upcoming`, \
`/calls agenda-list series:Community call`, \
`/survey results survey:2` (the poll is #1), `/advocate me` or `/oncall who`.
• The clock stands still until you move it: `/sandbox advance hours:24` makes reminders, \
announcements and the digest fire. It is now {now}.
• `/sandbox show channel:office-hours` looks at another channel ({announcements}, {digest}, \
...) or a question's thread; links to a channel or thread open it here too."""


def when(moment: datetime | None, fallback: str) -> str:
    """A time as Discord timestamps, so the text and the rendered times always agree."""
    if moment is None:
        return fallback
    return f"{discord_timestamp(moment, 'F')} ({discord_timestamp(moment, 'R')})"


async def post_guide(world: World, services: Any = None, now: datetime | None = None) -> None:
    """A note in #general telling the visitor where they are and what to try.

    Times come from the bot's own records, written as Discord timestamps: words such as
    "tomorrow" would disagree with the relative times the page shows next to them.
    """
    session_at = announcement_at = None
    if services is not None:
        guild_id = world.guild.id
        upcoming = await services.office_hours.upcoming(guild_id, 1)
        session_at = upcoming[0].session.starts_at if upcoming else None
        scheduled = [a.next_run_at for a in await services.announcements.list(guild_id)]
        announcement_at = min((t for t in scheduled if t is not None), default=None)
    guide = world.guild.create_webhook(world.general, "Sandbox guide")
    await guide.send(
        GUIDE.format(
            office_hours=when(session_at, "tomorrow at 17:00 (Berlin)"),
            announcement=when(announcement_at, "for tomorrow 09:00"),
            now=discord_timestamp(now, "F") if now is not None else "1 January 2026, 00:00 UTC",
            announcements=world.announcements.mention,
            digest=world.digest.mention,
            hallway=world.hallway.mention,
            help=world.help.mention if world.help is not None else "#help",
        )
    )


async def post_clock(world: World, now: datetime, channel_id: int | None) -> None:
    """After /sandbox advance: a note saying what the time is now, where it was asked."""
    channels = {
        c.id: c
        for c in (world.general, world.office_hours, world.announcements, world.digest, world.staff)
    }
    channel = channels.get(channel_id or 0, world.general)
    clock = world.guild.create_webhook(channel, "Sandbox clock")
    await clock.send(f"🕐 The sandbox clock now reads {discord_timestamp(now, 'F')}.")
