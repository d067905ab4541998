"""The hallway track through discord.py with SimCord: joining, rounds, threads, follow-ups.

SimCord starts on Thursday 1 January 2026 00:00 UTC.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import discord
import pytest

from services.errors import NotAllowed
from tests.conftest import make_advocates, message_payload

DAY = 24 * 3600
FIRST_MONDAY_9 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def hallway(bots):
    return bots.current.services.hallway


async def set_zone(member, channel, zone: str = "UTC"):
    r = await member.slash(channel, "me timezone", zone=zone)
    assert r.ephemeral and "Your time zone is now" in r.response.content, r.response.content
    return r


async def join(member, channel, interests="", intro="", hours="", zone=None):
    """/hallway join and its form; the zone field only shows when no zone is set."""
    shown = await member.slash(channel, "hallway join")
    assert shown.modal is not None, shown.response.content
    values = {"interests": interests, "intro": intro, "free_hours": hours}
    if zone is not None:
        values["zone"] = zone
    return await member.submit_modal(shown, values)


async def setup_hallway(world, *, group_size=2, **options):
    await make_advocates(world)
    hall = world.guild.create_text_channel("hallway")
    await world.env.settle()
    r = await world.alice.slash(
        world.general,
        "hallway configure",
        channel=hall,
        cadence=options.pop("cadence", "weekly"),
        day=options.pop("day", "monday"),
        time=options.pop("time", "09:00"),
        timezone=options.pop("timezone", "UTC"),
        **{"group-size": group_size},
        **options,
    )
    assert r.ephemeral and "Hallway rounds are set" in r.response.content, r.response.content
    return hall


async def more_members(world, *names):
    members = [world.guild.add_member(world.env.create_user(n)) for n in names]
    await world.env.settle()
    return members


async def everyone_joins(world, members, hours="9-17 mon-fri", interests="rust, webhooks"):
    for member in members:
        await set_zone(member, world.general)
        r = await join(member, world.general, interests, f"I'm {member.user.name}", hours)
        assert "joined the hallway track" in r.response.content, r.response.content


async def run_round(world, bots):
    r = await world.alice.slash(world.general, "hallway run")
    assert r.ephemeral, r
    await world.env.advance_time(1)
    await bots.current.alarm.drain()
    return r


def groups_in(hall):
    """{frozenset of member ids: thread} for the private threads in the channel."""
    found = {}
    for thread in hall.threads:
        members = set(thread._channel.thread_members)
        found.setdefault(thread.name, []).append((thread, members))
    return found


def modal_fields(modal) -> dict:
    """custom_id -> default value of each text field in a modal payload."""
    rows = modal["components"]
    return {c["custom_id"]: c.get("value") for row in rows for c in row["components"]}


def dms(member) -> list:
    channel = member.user.dm_channel
    return [] if channel is None else list(channel.history())


def bot_messages(thread):
    return [m for m in thread.history() if m.author.bot and m.type is discord.MessageType.default]


# ------------------------------------------------------------------ members


async def test_join_asks_the_zone_once_then_edit_pause_status_and_leave(world, bots) -> None:
    g, bob = world.general, world.bob
    shown = await bob.slash(g, "hallway join")
    assert list(modal_fields(shown.modal)) == ["interests", "intro", "free_hours", "zone"]
    r = await bob.submit_modal(
        shown,
        {
            "interests": "Rust, webhooks, AI agents",
            "intro": "Backend dev learning Rust",
            "free_hours": "18-21 weekdays",
            "zone": "europe/berlin",
        },
    )
    assert r.ephemeral and "You joined the hallway track" in r.response.content
    assert "rust, webhooks, ai agents" in r.response.content
    assert await bots.current.services.members.zone_of(world.guild.id, bob.id) == "Europe/Berlin"

    # Editing: the zone is set, so the form no longer asks; the answers are filled in.
    shown = await bob.slash(g, "hallway join")
    fields = modal_fields(shown.modal)
    assert list(fields) == ["interests", "intro", "free_hours"]
    assert fields["interests"] == "rust, webhooks, ai agents"
    r = await bob.submit_modal(
        shown, {"interests": "go", "intro": "Now a Go dev", "free_hours": "9-17 mon-fri"}
    )
    assert "You updated your answers" in r.response.content
    member = await hallway(bots).member(world.guild.id, bob.id)
    assert member.interests == ("go",) and member.free_hours == "9-17 mon-fri"

    r = await bob.slash(g, "hallway pause", until="2026-02-01")
    assert r.ephemeral and "Paused until" in r.response.content
    # Midnight on 1 February in Berlin.
    berlin_midnight = datetime(2026, 2, 1, tzinfo=ZoneInfo("Europe/Berlin"))
    assert f"<t:{int(berlin_midnight.timestamp())}:D>" in r.response.content
    r = await bob.slash(g, "hallway status")
    assert "You're in the hallway track" in r.response.content
    assert "Paused until" in r.response.content

    r = await bob.slash(g, "hallway leave")
    assert "You left the hallway track" in r.response.content
    r = await bob.slash(g, "hallway status")
    assert "You're not in the hallway track" in r.response.content
    r = await bob.slash(g, "hallway leave")
    assert "You're not in the hallway track" in r.response.content
    # Joining again brings the old answers back into the form.
    shown = await bob.slash(g, "hallway join")
    assert modal_fields(shown.modal)["intro"] == "Now a Go dev"


async def test_bad_input_is_refused_with_nothing_saved(world, bots) -> None:
    g, bob = world.general, world.bob
    r = await bob.slash(g, "me timezone", zone="Mars/Olympus")
    assert r.ephemeral and "isn't a time zone I know" in r.response.content
    r = await join(bob, g, "rust", "hi", "18-21 weekdays", zone="Berlinn")
    assert "isn't a time zone I know" in r.response.content
    assert "Europe/Berlin" in r.response.content  # the suggestion
    r = await join(bob, g, "rust", "hi", "after lunch", zone="UTC")
    assert "couldn't read the free hours" in r.response.content
    r = await join(bob, g, "a, b, c, d, e, f", "hi", "", zone="UTC")
    assert "That's 6 interests" in r.response.content
    # Nothing half-written: no member, and the zone from the refused form wasn't kept.
    assert await hallway(bots).member(world.guild.id, bob.id) is None
    assert await bots.current.services.members.zone_of(world.guild.id, bob.id) is None

    r = await join(bob, g, "rust", "hi", "18-21 weekdays", zone="UTC")
    assert "joined" in r.response.content
    for until, told in (
        ("2025-12-31", "in the past"),
        ("2026-01-01", "in the past"),
        ("next week", "isn't a date"),
        ("2026-02-30", "isn't a real date"),
    ):
        r = await bob.slash(g, "hallway pause", until=until)
        assert r.ephemeral and told in r.response.content, (until, r.response.content)
    assert (await hallway(bots).member(world.guild.id, bob.id)).paused_until is None
    r = await bob.slash(g, "hallway never", member=bob)
    assert "can't exclude yourself" in r.response.content
    r = await bob.slash(g, "hallway never-remove", member=world.carol)
    assert "isn't on your never list" in r.response.content
    await make_advocates(world)
    hall = world.guild.create_text_channel("hallway")
    await world.env.settle()
    r = await world.alice.slash(
        g, "hallway configure", channel=hall, cadence="weekly", day="monday", time="25:00"
    )
    assert "isn't a time of day" in r.response.content
    r = await world.alice.slash(
        g,
        "hallway configure",
        channel=hall,
        cadence="weekly",
        day="monday",
        time="09:00",
        timezone="Nowhere/City",
    )
    assert "isn't a time zone I know" in r.response.content
    assert await hallway(bots).repo.get_config(world.guild.id) is None
    r = await world.alice.slash(g, "hallway run")
    assert "isn't set up here yet" in r.response.content


async def test_members_are_refused_advocate_commands_and_advocates_allowed(world, bots) -> None:
    hall = await setup_hallway(world)
    g = world.general
    for command, options in (
        (
            "hallway configure",
            {"channel": hall, "cadence": "weekly", "day": "monday", "time": "09:00"},
        ),
        ("hallway preview", {}),
        ("hallway run", {}),
        ("hallway stats", {}),
    ):
        r = await world.bob.slash(g, command, **options)
        assert r.ephemeral and "Only advocates can do that" in r.response.content, command
    r = await world.alice.slash(g, "hallway stats")
    assert "Members in the pool: **0**" in r.response.content
    r = await world.alice.slash(g, "hallway run")
    assert "aren't enough members" in r.response.content


async def test_never_lists_are_private_and_respected(world, bots) -> None:
    hall = await setup_hallway(world)
    dave, erin = await more_members(world, "dave", "erin")
    await everyone_joins(world, [world.bob, world.carol, dave, erin])
    r = await world.bob.slash(world.general, "hallway never", member=world.carol)
    assert r.ephemeral and r.response.content.startswith("🔒 You won't be paired with")
    r = await world.bob.slash(world.general, "hallway never", member=dave)
    assert r.response.content.startswith("🔒 You won't be paired with")
    # Saying it twice is not a second addition.
    r = await world.bob.slash(world.general, "hallway never", member=dave)
    assert r.response.content.startswith("🔒 You already won't be paired with")
    await run_round(world, bots)
    pairs = [
        frozenset(members) - {bots.current.user.id} for _, [(_, members)] in groups_in(hall).items()
    ]
    assert frozenset({world.bob.id, erin.id}) in pairs
    # Carol and dave were never told about bob's list.
    for member in (world.carol, dave):
        dm = member.user.dm_channel
        assert dm is None or all("never" not in m.content for m in dm.history())
    r = await world.bob.slash(world.general, "hallway never-remove", member=dave)
    assert "can be paired with you again" in r.response.content


# ------------------------------------------------------------------ rounds


def thread_requests(env):
    return [r for r in env.http_requests if r.method == "POST" and r.path.endswith("/threads")]


async def test_an_even_round_makes_one_private_thread_per_pair(world, bots) -> None:
    env = world.env
    hall = await setup_hallway(world)
    dave, erin = await more_members(world, "dave", "erin")
    members = [world.bob, world.carol, dave, erin]
    # Bob and carol are free in the evening in Berlin, dave and erin in New York mornings
    # (the same UTC hours): bob is a long way from dave's hours.
    zones = {world.bob: "Europe/Berlin", world.carol: "Europe/Berlin"}
    zones |= {dave: "America/New_York", erin: "America/New_York"}
    hours = {world.bob: "18-21 weekdays", world.carol: "17-22 mon-fri"}
    hours |= {dave: "12-15 weekdays", erin: "11-16 mon-fri"}
    interests = {world.bob: "rust, webhooks", world.carol: "Rust, docs"}
    interests |= {dave: "go", erin: "go, k8s"}
    for m in members:
        await set_zone(m, world.general, zones[m])
        intro = f"<@{world.alice.id}> @everyone I'm {m.user.name}"
        await join(m, world.general, interests[m], intro, hours[m])

    preview = await world.alice.slash(world.general, "hallway preview")
    assert preview.ephemeral and "Preview of round 1" in preview.response.content
    assert "shared interests: rust" in preview.response.content
    assert "never met before" in preview.response.content
    r = await run_round(world, bots)
    assert "Round 1 started: 2 groups from 4 members" in r.response.content

    found = groups_in(hall)
    assert sorted(found) == ["☕ bob & carol", "☕ dave & erin"]
    me = bots.current.user.id
    [(thread, in_thread)] = found["☕ bob & carol"]
    assert in_thread - {me} == {world.bob.id, world.carol.id}
    assert thread._channel.type == discord.ChannelType.private_thread.value
    [intro] = bot_messages(thread)
    assert f"<@{world.bob.id}>" in intro.content and f"<@{world.carol.id}>" in intro.content
    assert "I'm bob" in intro.content and "I'm carol" in intro.content
    assert "**Shared interests:** rust" in intro.content
    assert "**Conversation starter:**" in intro.content and "rust" in intro.content
    # Pings exactly the pair: not alice, not @everyone, whatever the intros say.
    [sent] = [
        q
        for q in env.http_requests
        if q.method == "POST" and q.path == f"/channels/{thread.id}/messages"
    ]
    allowed = message_payload(sent)["allowed_mentions"]
    assert sorted(int(u) for u in allowed["users"]) == sorted([world.bob.id, world.carol.id])
    assert allowed.get("parse", []) == [] and not allowed.get("roles")
    # 2-3 suggested times, inside both members' hours (18-21 weekdays in Berlin).
    stamps = [int(s) for s in re.findall(r"<t:(\d+):F>", intro.content)]
    assert 2 <= len(stamps) <= 3
    for stamp in stamps:
        local = datetime.fromtimestamp(stamp, UTC).astimezone(ZoneInfo("Europe/Berlin"))
        assert local.weekday() < 5 and 18 <= local.hour <= 20, local
        assert datetime.fromtimestamp(stamp, UTC) > datetime(2026, 1, 1, tzinfo=UTC)
    # Exactly one thread per group, and the round is done.
    assert len(thread_requests(env)) == 2
    r = await world.alice.slash(world.general, "hallway stats")
    assert "Rounds: **1** · groups: **2**" in r.response.content


async def test_an_odd_pool_makes_a_trio_with_group_size_3(world, bots) -> None:
    hall = await setup_hallway(world, group_size=3)
    dave, erin = await more_members(world, "dave", "erin")
    await everyone_joins(world, [world.bob, world.carol, dave, erin, world.admin])
    await run_round(world, bots)
    found = groups_in(hall)
    sizes = sorted(len(members - {bots.current.user.id}) for [(_, members)] in found.values())
    assert sizes == [2, 3]
    [trio] = [name for name, [(_, m)] in found.items() if len(m - {bots.current.user.id}) == 3]
    assert trio.count(",") == 1 and " & " in trio  # "☕ a, b & c"


async def test_pairs_only_someone_sits_out_in_turn_and_is_told_why(world, bots) -> None:
    hall = await setup_hallway(world, group_size=2)
    members = [world.bob, world.carol, world.admin]
    await everyone_joins(world, members)
    await run_round(world, bots)
    assert len(hall.threads) == 1
    paired = set(hall.threads[0]._channel.thread_members)
    [out] = [m for m in members if m.id not in paired]
    dm = out.user.dm_channel.last_message
    assert "you sit out this round" in dm.content and "odd number" in dm.content
    # Next round: whoever sat out is matched first; someone else sits out.
    await world.env.advance_time(60)
    await run_round(world, bots)
    second = [t for t in hall.threads if out.id in t._channel.thread_members]
    assert len(second) == 1
    sat_out = [m for m in members if any("sit out" in d.content for d in dms(m))]
    assert len(sat_out) == 2 and out in sat_out


async def test_rounds_on_the_schedule_avoid_repeats(world, bots) -> None:
    env = world.env
    hall = await setup_hallway(world)
    dave = (await more_members(world, "dave"))[0]
    members = [world.bob, world.carol, world.admin, dave]
    await everyone_joins(world, members)
    r = await world.bob.slash(world.general, "hallway status")
    assert f"<t:{int(FIRST_MONDAY_9.timestamp())}:F>" in r.response.content
    # Three weekly rounds: four people have exactly three ways to pair up, and
    # every round must use a new one.
    await env.advance_time((FIRST_MONDAY_9 - datetime(2026, 1, 1, tzinfo=UTC)).total_seconds() + 60)
    for _ in range(2):
        await env.advance_time(7 * DAY)
    await bots.current.alarm.drain()
    pairs = [frozenset(t._channel.thread_members) - {bots.current.user.id} for t in hall.threads]
    assert len(pairs) == 6 and len(set(pairs)) == 6
    rounds = await hallway(bots).repo.running_rounds()
    assert rounds == []
    r = await world.alice.slash(world.general, "hallway stats")
    assert "Rounds: **3**" in r.response.content and "Repeat rate: **0%**" in r.response.content
    # Status lists the last three partners, newest first.
    r = await world.bob.slash(world.general, "hallway status")
    assert r.response.content.count("round ") == 3


async def test_a_refused_thread_tells_members_by_dm_and_the_log_channel(world, bots) -> None:
    env = world.env
    hall = await setup_hallway(world)
    log_channel = world.guild.create_text_channel("staff-log")
    await env.settle()
    await world.admin.slash(world.general, "setup channel", kind="log", channel=log_channel)
    await everyone_joins(world, [world.bob, world.carol])
    env.inject_error("POST", "/channels/*/threads", status=403, code=50013, times=1)
    await run_round(world, bots)
    assert hall.threads == []
    for member, other in ((world.bob, world.carol), (world.carol, world.bob)):
        dm = member.user.dm_channel.last_message
        assert "couldn't open a private thread" in dm.content and f"<@{other.id}>" in dm.content
    notice = log_channel.last_message
    assert "couldn't create a private thread" in notice.content
    assert "Create Private Threads" in notice.content
    [group] = await hallway(bots).round_groups(1)
    assert group.status == "refused"


async def test_follow_up_buttons_work_after_a_restart(world, bots, restart) -> None:
    env = world.env
    hall = await setup_hallway(world)
    await everyone_joins(world, [world.bob, world.carol])
    await run_round(world, bots)
    [thread] = hall.threads
    await env.advance_time(4 * DAY - 120)
    assert len(bot_messages(thread)) == 1
    await restart()  # the follow-up's alarm comes back from the database
    await env.advance_time(240)
    await bots.current.alarm.drain()
    followup = bot_messages(thread)[-1]
    assert "Did you meet?" in followup.content
    ids = [c.custom_id for row in followup.components for c in row.children]
    [group] = await hallway(bots).round_groups(1)
    assert ids == [f"hallway:hallway:met:{group.id}:{a}" for a in ("yes", "not-yet", "no")]
    await restart()
    r = await world.bob.click(followup, custom_id=ids[0])
    assert r.ephemeral and "Great" in r.response.content
    r = await world.carol.click(followup, custom_id=ids[1])
    assert r.ephemeral and "Noted" in r.response.content
    # Nobody else can see a private thread; the rule holds even if they could.
    with pytest.raises(NotAllowed, match="Only the people in this group"):
        await hallway(bots).answer(world.guild.id, group.id, world.alice.id, "yes")
    r = await world.alice.slash(world.general, "hallway stats")
    assert "Met rate: **100%**" in r.response.content
    # Once only, even after another restart.
    await restart()
    await env.advance_time(DAY)
    assert len(bot_messages(thread)) == 2
    figures = await hallway(bots).digest_figures(
        world.guild.id, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 8, tzinfo=UTC)
    )
    assert (figures.groups_made, figures.met, figures.new_connections) == (1, 1, 1)


async def test_a_crash_halfway_through_a_round_makes_no_group_twice(world, bots, restart) -> None:
    env = world.env
    hall = await setup_hallway(world)
    dave, erin, finn, gus = await more_members(world, "dave", "erin", "finn", "gus")
    await everyone_joins(world, [world.bob, world.carol, dave, erin, finn, gus])
    service = hallway(bots)
    original = service.thread_made
    made = []

    async def die_after_second_thread(group, thread_id):
        made.append(thread_id)
        if len(made) == 2:
            # The process dies right after Discord made the thread, before it was recorded.
            raise asyncio.CancelledError
        await original(group, thread_id)

    service.thread_made = die_after_second_thread
    r = await world.alice.slash(world.general, "hallway run")
    assert "3 groups" in r.response.content
    await env.advance_time(1)
    assert len(hall.threads) == 2
    await restart(crash=True)
    await env.advance_time(1)
    await bots.current.alarm.drain()
    threads = hall.threads
    assert len(threads) == 3 and len(thread_requests(env)) == 3
    groups = await hallway(bots).round_groups(1)
    assert [g.status for g in groups] == ["created"] * 3
    assert sorted(g.thread_id for g in groups) == sorted(t.id for t in threads)
    # Every thread got its intro exactly once, and holds its own pair.
    for group in groups:
        [thread] = [t for t in threads if t.id == group.thread_id]
        assert len(bot_messages(thread)) == 1
        assert set(group.members) <= set(thread._channel.thread_members)
    [done] = [await hallway(bots).repo.get_round(groups[0].round_id)]
    assert done.status == "done"


async def test_preview_matches_the_run_and_forget_leaves_a_former_member(world, bots) -> None:
    hall = await setup_hallway(world)
    dave, erin = await more_members(world, "dave", "erin")
    await everyone_joins(world, [world.bob, world.carol, dave, erin])
    preview = await world.alice.slash(world.general, "hallway preview")
    await run_round(world, bots)
    for thread in hall.threads:
        a, b = sorted(set(thread._channel.thread_members) - {bots.current.user.id})
        assert (
            f"<@{a}> & <@{b}>" in preview.response.content
            or f"<@{b}> & <@{a}>" in preview.response.content
        )

    r = await world.bob.slash(world.general, "me show")
    assert (
        "Time zone: UTC" in r.response.content and "Interests: rust, webhooks" in r.response.content
    )
    await world.bob.slash(world.general, "privacy export")

    doc = json.loads(await world.bob.user.dm_channel.last_message.attachments[0].read())
    data = doc["servers"][0]["data"]
    assert data["hallway_profile"][0]["interests"] == ["rust", "webhooks"]
    assert data["member_settings"][0]["timezone"] == "UTC"
    assert len(data["hallway_groups"]) == 1
    await bots.current.services.privacy.forget(world.guild.id, world.bob.id)
    [partner] = [
        m
        for m in (world.carol, dave, erin)
        if any(
            m.id in t._channel.thread_members and world.bob.id in t._channel.thread_members
            for t in hall.threads
        )
    ]
    r = await partner.slash(world.general, "hallway status")
    assert "round 1: a former member" in r.response.content


async def test_newcomers_are_paired_with_long_standing_members(world, bots) -> None:
    """Joined under 30 days ago meets someone of over 180 days: in the preview and the round."""
    await world.env.advance_time(200 * DAY)  # bob and carol joined on 1 January
    hall = await setup_hallway(world)
    dave, erin = await more_members(world, "dave", "erin")  # joined today
    # Each cohort shares an interest the other lacks: only the bonus mixes them.
    await everyone_joins(world, [world.bob, world.carol], interests="rust")
    await everyone_joins(world, [dave, erin], interests="go")
    preview = await world.alice.slash(world.general, "hallway preview")
    text = preview.response.content
    assert text.count("a newcomer meets a long-standing member") == 2, text
    await run_round(world, bots)
    old, new = {world.bob.id, world.carol.id}, {dave.id, erin.id}
    me = bots.current.user.id
    pairs = [set(t._channel.thread_members) - {me} for t in hall.threads]
    assert len(pairs) == 2
    for pair in pairs:
        assert len(pair & old) == 1 and len(pair & new) == 1, pairs
