"""/announce through discord.py with SimCord: scheduling, pings, managing, errors, members.

What happens when an announcement falls due (cogs/announcements/delivery.py) is tested in
test_announcements_delivery.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import discord

from tests.conftest import bot_posts, make_advocates, schedule_announcement

HOUR = 3600
DAY = 24 * HOUR


def message_posts(env) -> list:
    return [r for r in env.http_requests if r.method == "POST" and r.path.endswith("/messages")]


async def setup_world(world, name="news", *, news=False):
    await make_advocates(world)
    guild = world.guild
    channel = guild.create_news_channel(name) if news else guild.create_text_channel(name)
    await world.env.settle()
    return channel


def service(bots):
    return bots.current.services.announcements


async def _local_times(channel, zone: str) -> list[tuple[str, str]]:
    tz = ZoneInfo(zone)
    return [
        (f"{p.created_at.astimezone(tz):%Y-%m-%d}", f"{p.created_at.astimezone(tz):%H:%M}")
        for p in bot_posts(channel)
    ]


# ------------------------------------------------------------ 4. pause/resume


async def test_pause_and_resume(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00", repeat="daily")
    await env.advance_time(10 * HOUR)
    assert len(bot_posts(news)) == 1
    r = await world.alice.slash(world.general, "announce pause", id=1)
    assert "Paused #1" in r.response.content
    assert "announce:1" not in bots.current.alarm.names("announce:")
    await env.advance_time(3 * DAY)
    assert len(bot_posts(news)) == 1  # nothing while paused
    r = await world.alice.slash(world.general, "announce resume", id=1)
    assert "Resumed #1" in r.response.content
    # Counted from now (Jan 4, 10:00): the next is Jan 5 09:00, the paused days aren't sent.
    assert "<t:1767603600:F>" in r.response.content
    await env.advance_time(DAY)
    assert [d for d, _ in await _local_times(news, "UTC")] == ["2026-01-01", "2026-01-05"]
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert r.response.content.count("sent") == 2
    assert "missed" not in r.response.content


async def test_resume_of_a_passed_one_off_asks_for_a_new_time(world) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00")
    await world.alice.slash(world.general, "announce pause", id=1)
    await env.advance_time(10 * HOUR)
    r = await world.alice.slash(world.general, "announce resume", id=1)
    assert "time has passed" in r.response.content and "when:" in r.response.content
    r = await world.alice.slash(world.general, "announce resume", id=1, when="tomorrow 09:00")
    assert "Resumed #1" in r.response.content
    await env.advance_time(DAY)
    assert await _local_times(news, "UTC") == [("2026-01-02", "09:00")]


# --------------------------------------------------------------- 5. restarts


async def test_modal_opened_before_a_restart_still_works(world, restart) -> None:
    news = await setup_world(world)
    shown = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="2026-01-01 09:00"
    )
    await restart()
    r = await world.alice.submit_modal(shown, {"body": "Still here", "image_url": ""})
    assert "Scheduled announcement **#1**" in r.response.content
    await world.env.advance_time(10 * HOUR)
    assert [p.content for p in bot_posts(news)] == ["Still here"]


# ------------------------------------------------------------------ 9. pings


async def test_role_ping_allows_exactly_that_role(world) -> None:
    env = world.env
    news = await setup_world(world)
    releases = world.guild.create_role("Releases", mentionable=True)
    await env.settle()
    body = f"New release! cc {world.advocates.mention} {world.bob.mention} @everyone @here"
    await schedule_announcement(world, news, when="in 1 hour", ping=releases, body=body)
    await env.advance_time(HOUR + 60)
    request = message_posts(env)[-1]
    # No "users"/"everyone" in parse and no user list: only the chosen role can ping.
    assert request.json["allowed_mentions"] == {"parse": [], "roles": [releases.id]}
    content = request.json["content"]
    assert content.startswith(f"<@&{releases.id}>\n")
    assert "@everyone" not in content and "@here" not in content  # defused


async def test_everyone_ping_needs_the_permission(world) -> None:
    env = world.env
    news = await setup_world(world)
    everyone = world.guild.default_role
    r = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="in 1 hour", ping=everyone
    )
    assert r.modal is None
    assert "can't ping @everyone" in r.response.content
    boss = world.guild.create_role("Boss", permissions=discord.Permissions(mention_everyone=True))
    dana = world.guild.add_member(env.create_user("dana"), roles=[world.advocates, boss])
    await env.settle()
    await schedule_announcement(
        world, news, when="in 1 hour", ping=everyone, body="All hands", actor=dana
    )
    await env.advance_time(HOUR + 60)
    request = message_posts(env)[-1]
    assert request.json["content"] == "@everyone\nAll hands"
    assert request.json["allowed_mentions"]["parse"] == ["everyone"]


async def test_unmentionable_role_is_refused(world) -> None:
    news = await setup_world(world)
    hidden = world.guild.create_role("Staff")
    await world.env.settle()
    r = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="in 1 hour", ping=hidden
    )
    assert r.modal is None and "isn't mentionable" in r.response.content


# ----------------------------------------------------------------- managing


async def test_list_show_preview_edit_cancel_send_now(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(
        world, news, when="2026-01-02 09:00", repeat="weekly", title="Weekly tips"
    )
    await schedule_announcement(
        world, news, when="2026-01-03 09:00", body="Office hours: {next_office_hours}"
    )

    r = await world.alice.slash(world.general, "announce list")
    assert "**#1** Weekly tips" in r.response.content
    assert "**#2** Office hours: {next_office_hours}" in r.response.content
    r = await world.alice.slash(world.general, "announce list", status="paused")
    assert "No paused announcements" in r.response.content

    choices = await world.alice.autocomplete(world.general, "announce show", "id", "week")
    assert [c["value"] for c in choices] == [1]

    r = await world.alice.slash(world.general, "announce show", id=1)
    assert "every Friday at 09:00 (UTC)" in r.response.content

    r = await world.alice.slash(world.general, "announce preview", id=2)
    assert r.followups[0].content == "Office hours: none scheduled"

    shown = await world.alice.slash(
        world.general, "announce edit", id=1, timezone="Europe/Berlin", when="2026-01-05 10:00"
    )
    assert shown.modal is not None
    r = await world.alice.submit_modal(
        shown, {"title": "Monday tips", "body": "Tip of the week", "image_url": ""}
    )
    assert "Updated announcement **#1**" in r.response.content
    assert "every Monday at 10:00 (Europe/Berlin)" in r.response.content
    a = await service(bots).get(world.guild.id, 1)
    assert a.next_run_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert bots.current.alarm.due_time("announce:1") == a.next_run_at

    r = await world.alice.slash(world.general, "announce cancel", id=2)
    assert "Cancelled #2" in r.response.content
    assert "announce:2" not in bots.current.alarm.names()
    r = await world.alice.slash(world.general, "announce cancel", id=2)
    assert "is cancelled" in r.response.content

    r = await world.alice.slash(world.general, "announce send-now", id=1)
    posts = bot_posts(news)
    assert len(posts) == 1 and posts[0].embeds[0].title == "Monday tips"
    assert f"/{news.id}/{posts[0].id}" in r.response.content
    await env.advance_time(5 * DAY)  # the weekly schedule carries on
    assert len(bot_posts(news)) == 2
    r = await world.alice.slash(world.general, "announce history", id=1)
    assert "sent by hand" in r.response.content


async def test_send_now_of_a_pending_one_off_completes_it(world, bots) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-02 09:00")
    await world.alice.slash(world.general, "announce send-now", id=1)
    await world.env.advance_time(2 * DAY)
    assert len(bot_posts(news)) == 1
    assert (await service(bots).get(world.guild.id, 1)).status == "completed"


async def test_edit_keeps_wall_time_when_only_the_zone_changes(world, bots) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-05 09:00", repeat="daily")
    shown = await world.alice.slash(world.general, "announce edit", id=1, timezone="Asia/Tokyo")
    await world.alice.submit_modal(shown, {"title": "", "body": "Morning", "image_url": ""})
    a = await service(bots).get(world.guild.id, 1)
    assert a.next_run_at == datetime(2026, 1, 5, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
    assert a.title is None and a.body == "Morning"


# --------------------------------------------------------------- 11. errors


async def _nothing_stored(world, bots) -> None:
    assert await service(bots).list(world.guild.id) == []
    r = await world.alice.slash(world.general, "announce list")
    assert "No announcements yet" in r.response.content


async def test_every_option_error_is_clear_and_opens_no_modal(world, bots) -> None:
    news = await setup_world(world)
    cases = [
        ({"when": "2025-12-31 09:00"}, "passed"),
        ({"when": "whenever"}, "tomorrow"),
        ({"when": "in 1 hour", "repeat": "cron:0 9 * *"}, "needs 5"),
        ({"when": "in 1 hour", "repeat": "cron:*/30 * * * *"}, "at least an hour apart"),
        ({"when": "in 1 hour", "repeat": "hourly"}, "isn't a repeat I know"),
        ({"when": "in 1 hour", "timezone": "Mars/Olympus"}, "isn't a time zone"),
        ({"when": "in 1 hour", "title": "x" * 300}, "limit is 256"),
        ({"when": "in 1 hour", "title": "Hi {name}"}, "isn't a template variable"),
    ]
    for options, expected in cases:
        r = await world.alice.slash(world.general, "announce schedule", channel=news, **options)
        assert r.modal is None, options
        assert r.ephemeral
        assert expected in r.response.content, (options, r.response.content)
    await _nothing_stored(world, bots)


async def test_modal_errors_store_nothing(world, bots) -> None:
    news = await setup_world(world)
    for body, image, expected in [
        ("Hi {user}", "", "`{user}` isn't a template variable"),
        ("Hi {", "", "stray brace"),
        ("Fine", "ftp://example.com/x.png", "must be a web address"),
        ("Fine", "javascript:alert(1)", "must be a web address"),
        ("   ", "", "needs some text"),
    ]:
        r = await schedule_announcement(world, news, when="in 1 hour", body=body, image=image)
        assert r.ephemeral
        assert expected in r.response.content, r.response.content
    r = await schedule_announcement(world, news, when="in 1 hour", body="Hi {user}")
    assert "{server}" in r.response.content and "{next_office_hours}" in r.response.content
    await _nothing_stored(world, bots)


async def test_time_passing_while_the_form_is_open(world, bots) -> None:
    news = await setup_world(world)
    shown = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="in 5 minutes"
    )
    await world.env.advance_time(600)
    r = await world.alice.submit_modal(shown, {"body": "Late", "image_url": ""})
    assert "passed while the form was open" in r.response.content
    await _nothing_stored(world, bots)


async def test_active_limit(world, bots) -> None:
    news = await setup_world(world)
    svc = service(bots)
    for _ in range(200):
        draft = await svc.start_draft(
            world.guild.id,
            world.alice.id,
            channel_id=news.id,
            channel_kind="text",
            when="in 2 hours",
            repeat="none",
            zone=None,
            ping_role_id=None,
            ping_everyone=False,
            title=None,
            late=None,
        )
        await svc.create_from_draft(
            world.guild.id, world.alice.id, draft.id, body="x", image_url=None
        )
    r = await world.alice.slash(world.general, "announce schedule", channel=news, when="in 1 hour")
    assert r.modal is None and "already has 200" in r.response.content
    await world.alice.slash(world.general, "announce cancel", id=1)
    r = await world.alice.slash(world.general, "announce schedule", channel=news, when="in 1 hour")
    assert r.modal is not None


async def test_unknown_ids_and_wrong_states(world, bots) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="in 1 hour")
    for command in ("show", "preview", "edit", "pause", "resume", "cancel", "send-now", "history"):
        r = await world.alice.slash(world.general, f"announce {command}", id=99)
        assert "no announcement #99" in r.response.content, command
    r = await world.alice.slash(world.general, "announce resume", id=1)
    assert "only a paused announcement" in r.response.content
    await world.alice.slash(world.general, "announce pause", id=1)
    r = await world.alice.slash(world.general, "announce pause", id=1)
    assert "only a scheduled announcement" in r.response.content
    # Another server can't see or touch this one.
    other = env.create_guild("Elsewhere")
    room = other.create_text_channel("room")
    boss_role = other.create_role("Boss", permissions=discord.Permissions(manage_guild=True))
    boss = other.add_member(env.create_user("boss"), roles=[boss_role])
    await env.settle()
    r = await boss.slash(room, "announce show", id=1)
    assert "no announcement #1" in r.response.content
    assert await boss.autocomplete(room, "announce show", "id", "") == []


# -------------------------------------------------------------- 12. members


async def test_members_are_refused(world, bots) -> None:
    news = await setup_world(world)
    await schedule_announcement(world, news, when="in 1 hour")
    calls = [
        ("announce schedule", {"channel": news, "when": "in 1 hour"}),
        ("announce list", {}),
        ("announce show", {"id": 1}),
        ("announce edit", {"id": 1}),
        ("announce pause", {"id": 1}),
        ("announce resume", {"id": 1}),
        ("announce cancel", {"id": 1}),
        ("announce send-now", {"id": 1}),
        ("announce preview", {"id": 1}),
        ("announce history", {"id": 1}),
    ]
    for name, options in calls:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral and r.modal is None, name
        assert "Only advocates can do that" in r.response.content, name
    # An advocate who loses the role while the form is open can't finish it.
    shown = await world.alice.slash(
        world.general, "announce schedule", channel=news, when="in 2 hours"
    )
    others = world.guild.create_role("Others")
    await world.env.settle()
    await world.admin.slash(world.general, "setup advocate-role", role=others)
    r = await world.alice.submit_modal(shown, {"body": "too late", "image_url": ""})
    assert "Only advocates" in r.response.content
    assert len(await service(bots).list(world.guild.id)) == 1
    await world.env.advance_time(HOUR + 60)
    assert len(bot_posts(news)) == 1


class _Session:
    title = "API clinic"
    starts_at = datetime(2026, 1, 3, 17, 0, tzinfo=UTC)


class _OfficeHours:
    async def next_session(self, guild_id: int):
        return _Session()


async def test_next_office_hours_variable_and_zone_autocomplete(world, bots) -> None:
    news = await setup_world(world)
    bots.current.services.office_hours = _OfficeHours()
    await schedule_announcement(world, news, when="in 1 hour", body="Next: {next_office_hours}")
    await world.env.advance_time(HOUR + 60)
    assert bot_posts(news)[0].content == "Next: API clinic (<t:1767459600:F>)"
    choices = await world.alice.autocomplete(
        world.general, "announce schedule", "timezone", "new_y"
    )
    assert {"name": "America/New_York", "value": "America/New_York"} in choices


async def test_history_shows_the_newest_deliveries_and_says_how_many_more(world) -> None:
    env = world.env
    news = await setup_world(world)
    await schedule_announcement(world, news, when="2026-01-01 09:00", repeat="daily")
    await env.advance_time(18 * DAY + 10 * HOUR)  # Jan 1 .. Jan 19: 19 deliveries
    assert len(bot_posts(news)) == 19
    r = await world.alice.slash(world.general, "announce history", id=1)
    text = r.response.content
    assert r.response.ephemeral
    assert text.count(" · sent") == 10
    newest = int(datetime(2026, 1, 19, 9, tzinfo=UTC).timestamp())
    oldest_shown = int(datetime(2026, 1, 10, 9, tzinfo=UTC).timestamp())
    not_shown = int(datetime(2026, 1, 9, 9, tzinfo=UTC).timestamp())
    assert text.index(f"<t:{newest}:f>") < text.index(f"<t:{oldest_shown}:f>")
    assert f"<t:{not_shown}:f>" not in text
    assert "9 older deliveries not shown" in text
