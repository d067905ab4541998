"""The on-call rotation through discord.py with SimCord: /oncall, the fair order, overrides,
handoffs that move the role once each (across a restart), and urgent notices to on-call.

SimCord starts on Thursday 1 January 2026 00:00 UTC; daily shifts hand off at 09:00 UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cogs._common import ADVOCATE_NEEDED
from tests.conftest import bot_posts, make_advocates

HOUR = 3600


async def advance_to(env, when: datetime) -> None:
    await env.advance_time((when - env.now()).total_seconds())


def holders(world, role) -> list[str]:
    """Who holds the role in Discord itself (not the bot's cache)."""
    backend = world.env.backend
    guild = backend.get_guild(world.guild.id)
    return sorted(
        backend.get_user(m.user_id).name for m in guild.members.values() if role.id in m.role_ids
    )


def notes(channel) -> list[str]:
    return [m.content for m in bot_posts(channel) if "On-call handoff" in m.content]


async def rotation(world, shift="daily", handoff="09:00", zone="UTC"):
    """alice, dave, erin join a daily rotation (in that order); returns role, channel, team."""
    await make_advocates(world)
    env = world.env
    dave = world.guild.add_member(env.create_user("dave"), roles=[world.advocates])
    erin = world.guild.add_member(env.create_user("erin"), roles=[world.advocates])
    role = world.guild.create_role("On call")
    channel = world.guild.create_text_channel("advocates")
    await env.settle()
    r = await world.alice.slash(
        world.general,
        "oncall configure",
        role=role,
        shift=shift,
        handoff=handoff,
        timezone=zone,
        channel=channel,
    )
    assert r.ephemeral and "On-call rotation set" in r.response.content, r.response.content
    for who in (world.alice, dave, erin):
        r = await who.slash(world.general, "oncall join")
        assert r.ephemeral and "You're in the on-call rotation" in r.response.content
    await env.settle()
    return role, channel, dave, erin


async def test_handoffs_over_two_weeks_fair_with_an_override_and_someone_away(
    world, restart
) -> None:
    role, channel, dave, erin = await rotation(world)
    env = world.env
    # The first join claims the shift already running (Wed 09:00 -> Thu 09:00).
    assert holders(world, role) == ["alice"]
    assert len(notes(channel)) == 1 and world.alice.mention in notes(channel)[0]

    # erin is away all of Sunday's shift (more than half of it): she is skipped.
    r = await erin.slash(
        world.general, "advocate away", **{"from": "2026-01-04 08:00"}, until="2026-01-05 10:00"
    )
    assert r.ephemeral and "Time off recorded" in r.response.content, r.response.content
    day = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    expected = {
        # Thu: dave and erin have none; dave joined first. Fri: erin. Sat: alice (longest ago).
        day: "dave",
        day + timedelta(days=1): "erin",
        day + timedelta(days=2): "alice",
        # Sun: erin is away, alice had hers most recently of the two left: dave.
        day + timedelta(days=3): "dave",
        # Mon: erin has 1, alice 2, dave 2: erin.
        day + timedelta(days=4): "erin",
    }
    for when, who in expected.items():
        await advance_to(env, when + timedelta(minutes=1))
        await env.settle()
        assert holders(world, role) == [who], (when, holders(world, role))
        assert (
            f"<@{ {'alice': world.alice, 'dave': dave, 'erin': erin}[who].id }>"
            in (notes(channel)[-1])
        )
    assert len(notes(channel)) == 1 + len(expected)

    # A restart between handoffs: nothing is repeated, the next handoff still runs once.
    await restart()
    await env.settle()
    assert len(notes(channel)) == 1 + len(expected)
    assert holders(world, role) == ["erin"]

    # dave covers two hours this afternoon; the role goes to him and back.
    r = await world.alice.slash(
        world.general,
        "oncall override",
        member=dave,
        **{"from": "today 14:00"},
        until="today 16:00",
    )
    assert r.ephemeral and "covers on-call" in r.response.content, r.response.content
    await advance_to(env, datetime(2026, 1, 5, 14, 1, tzinfo=UTC))
    await env.settle()
    assert holders(world, role) == ["dave"]
    who = await world.alice.slash(world.general, "oncall who")
    assert f"Now: <@{dave.id}>" in who.response.content and "(cover)" in who.response.content
    await advance_to(env, datetime(2026, 1, 5, 16, 1, tzinfo=UTC))
    await env.settle()
    assert holders(world, role) == ["erin"]
    # Overrides move the role but are not shift handoffs: no extra note.
    assert len(notes(channel)) == 1 + len(expected)

    # Another week: one note per shift, never two, each holder alone with the role.
    for offset in range(1, 8):
        await advance_to(env, datetime(2026, 1, 5, 9, 1, tzinfo=UTC) + timedelta(days=offset))
        await env.settle()
        assert len(holders(world, role)) == 1
    assert len(notes(channel)) == 1 + len(expected) + 7
    starts = [m.content.split("until")[1] for m in bot_posts(channel) if "handoff" in m.content]
    assert len(starts) == len(set(starts))


async def test_who_shows_now_and_the_next_four_shifts(world) -> None:
    _, _, dave, erin = await rotation(world)
    r = await world.bob.slash(world.general, "oncall who")
    assert r.ephemeral and r.response.content == ADVOCATE_NEEDED
    r = await world.alice.slash(world.general, "oncall who")
    lines = r.response.content.splitlines()
    assert lines[1] == f"Now: <@{world.alice.id}>"
    shifts = [line for line in lines if line.startswith("•")]
    assert len(shifts) == 5
    assert [s.rsplit(": ", 1)[1] for s in shifts] == [
        f"<@{world.alice.id}>",
        f"<@{dave.id}>",
        f"<@{erin.id}>",
        f"<@{world.alice.id}>",
        f"<@{dave.id}>",
    ]


async def test_handoff_note_is_posted_with_whats_open(world) -> None:
    role, channel, dave, _ = await rotation(world)
    r = await dave.slash(world.general, "oncall handoff-note", note="x")
    assert r.ephemeral and "Only whoever is on call now" in r.response.content
    r = await world.alice.slash(
        world.general, "oncall handoff-note", note="Ask <@&1> about the SDK bug @everyone"
    )
    assert r.ephemeral and "Saved" in r.response.content, r.response.content
    await advance_to(world.env, datetime(2026, 1, 1, 9, 1, tzinfo=UTC))
    await world.env.settle()
    note = notes(channel)[-1]
    assert "Note from the last shift" in note and "SDK bug" in note
    assert "@\u200beveryone" in note  # escaped: never pings
    assert f"Taking over from <@{world.alice.id}>" in note
    assert holders(world, role) == ["dave"]


async def test_missing_manage_roles_is_explained(world) -> None:
    await make_advocates(world)
    env = world.env
    bot_role = world.guild.roles["TestBot"]
    env.backend.edit_role(world.guild.id, bot_role.id, {"permissions": 0})
    role = world.guild.create_role("On call")
    channel = world.guild.create_text_channel("advocates")
    await env.settle()
    r = await world.alice.slash(
        world.general,
        "oncall configure",
        role=role,
        shift="weekly",
        handoff="mon 09:00",
        timezone="UTC",
        channel=channel,
    )
    assert "lacks the **Manage Roles** permission" in r.response.content, r.response.content
    await world.alice.slash(world.general, "oncall join")
    await env.settle()
    note = notes(channel)[-1]
    assert "lacks the **Manage Roles** permission" in note
    assert world.alice.mention in note
    assert holders(world, role) == []


async def test_urgent_notice_goes_to_whoever_is_on_call(world) -> None:
    _, _, dave, _ = await rotation(world)
    env = world.env
    # alice is on call now; dave is off (hours 09-17 on weekdays, and it is 00:00 Thursday).
    r = await dave.slash(
        world.general, "advocate hours", days="mon-fri", start="09:00", end="17:00", timezone="UTC"
    )
    assert "Your working hours are now" in r.response.content
    bot = env.bot
    outcome = await bot.inbox.tell(
        world.guild.id,
        dave.id,
        "Your office hours start soon",
        starts_at=env.now() + timedelta(minutes=30),
    )
    await env.settle()
    assert outcome == "covered"
    alice_dm = world.alice.user.dm_channel
    assert alice_dm is not None
    assert any("Your office hours start soon" in m.content for m in alice_dm.history())
    assert dave.user.dm_channel is None or not list(dave.user.dm_channel.history())


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("oncall configure", "configure"),
        ("oncall join", {}),
        ("oncall leave", {}),
        ("oncall who", {}),
        ("oncall override", "override"),
        ("oncall handoff-note", {"note": "hi"}),
    ],
)
async def test_members_are_refused_every_oncall_command(world, command, options) -> None:
    await make_advocates(world)
    role = world.guild.create_role("On call")
    await world.env.settle()
    if options == "configure":
        options = dict(
            role=role, shift="daily", handoff="09:00", timezone="UTC", channel=world.general
        )
    elif options == "override":
        options = dict(member=world.carol, until="tomorrow 10:00")
    r = await world.bob.slash(world.general, command, **options)
    assert r.ephemeral and r.response.content == ADVOCATE_NEEDED, r.response.content


async def test_bad_input_is_explained(world) -> None:
    await make_advocates(world)
    role = world.guild.create_role("On call")
    await world.env.settle()

    async def configure(**changes):
        options = dict(
            role=role, shift="daily", handoff="09:00", timezone="UTC", channel=world.general
        )
        options.update(changes)
        return await world.alice.slash(world.general, "oncall configure", **options)

    r = await world.alice.slash(world.general, "oncall who")
    assert "no on-call rotation yet" in r.response.content
    r = await configure(timezone="Mars/Olympus")
    assert r.ephemeral and "isn't a time zone I know" in r.response.content
    r = await configure(handoff="mon 09:00")
    assert "Daily shifts hand off every day" in r.response.content
    r = await configure(handoff="25:00")
    assert r.ephemeral and "isn't a time of day" in r.response.content
    r = await configure()
    assert "On-call rotation set" in r.response.content
    r = await world.alice.slash(
        world.general, "oncall override", member=world.alice, until="2025-12-01 10:00"
    )
    assert r.ephemeral and "already passed" in r.response.content, r.response.content
    r = await world.alice.slash(
        world.general,
        "oncall override",
        member=world.alice,
        **{"from": "tomorrow 12:00"},
        until="tomorrow 10:00",
    )
    assert "`until` must be after `from`" in r.response.content
    r = await world.alice.slash(world.general, "oncall leave")
    assert "You're not in the on-call rotation" in r.response.content
    await world.alice.slash(world.general, "oncall join")
    r = await world.alice.slash(world.general, "oncall join")
    assert "already in the on-call rotation" in r.response.content
    rows = await world.env.bot.db.fetchval("SELECT count(*) FROM oncall_overrides")
    assert rows == 0


async def test_the_office_hours_board_names_on_call_without_pinging(world) -> None:
    from tests.cogs.test_office_hours import board_message, board_text, schedule, setup_office

    _, _, dave, erin = await rotation(world)
    # dave works mon-fri 09-17 UTC: at Thursday 00:00 he is off until 09:00.
    await dave.slash(
        world.general, "advocate hours", days="mon-fri", start="09:00", end="17:00", timezone="UTC"
    )
    office = await setup_office(world)
    await schedule(world, start="2026-01-02 17:00")
    r = await world.alice.slash(world.general, "officehours start")
    assert "is live" in r.response.content, r.response.content
    [session] = await world.env.bot.services.office_hours.repo.sessions_with_status(
        world.guild.id, ("live",)
    )
    board = board_message(office, session.id)
    text = board_text(board)
    back = int(datetime(2026, 1, 1, 9, 0, tzinfo=UTC).timestamp())
    assert f"Who to ask: <@{world.alice.id}> is on call" in text, text
    assert f"<@{dave.id}> is back <t:{back}:R>" in text
    assert f"<@{erin.id}>" not in text  # erin has no hours set: she is not off
    assert board.mentions == [] and not board.role_mentions


async def test_check_explains_what_stops_the_role_moving(world) -> None:
    """`python bot.py --check`'s on-call part, over REST as --check runs it (fetch_guild,
    fetch_member), against SimCord: fine, then no Manage Roles, then the bot's role below."""
    from bot import check_oncall

    role, _, _, _ = await rotation(world)
    env = world.env
    bot = env.bot
    assert await check_oncall(bot, bot.db) == []
    bot_role = world.guild.roles["TestBot"]
    env.backend.edit_role(world.guild.id, bot_role.id, {"permissions": 0})
    await env.settle()
    [problem] = await check_oncall(bot, bot.db)
    assert problem.startswith(f"on call in {world.guild.name} ({world.guild.id}): ")
    assert "lacks the **Manage Roles** permission" in problem
    assert "Server Settings → Roles" in problem
    env.backend.edit_role(world.guild.id, bot_role.id, {"permissions": 1 << 28})
    top = bot.get_guild(world.guild.id).get_role(bot_role.id).position
    env.backend.edit_role(world.guild.id, role.id, {"position": top + 5})
    await env.settle()
    [problem] = await check_oncall(bot, bot.db)
    assert "sits below it" in problem and "drag Hallway's role above **On call**" in problem
