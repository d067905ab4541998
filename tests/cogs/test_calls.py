"""Regional community calls through discord.py with SimCord: series, slots, suggest, upcoming.

SimCord starts on Thursday 1 January 2026 00:00 UTC. The US changes its clocks on Sunday
8 March 2026, Europe on 29 March; Singapore never does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from cogs._common import ADVOCATE_NEEDED
from tests.conftest import make_advocates

DAY = 24 * 3600


async def create_series(world, title="Community call", mode="parallel", **options):
    await make_advocates(world)
    voice = world.guild.create_voice_channel("Calls")
    await world.env.settle()
    r = await world.alice.slash(
        world.general,
        "calls create",
        title=title,
        cadence=options.pop("cadence", "weekly"),
        mode=mode,
        channel=voice,
        **options,
    )
    assert r.ephemeral and "Created **" in r.response.content, r.response.content
    return voice


async def add_slot(world, name, day, time, zone, series="Community call"):
    return await world.alice.slash(
        world.general, "calls slot-add", series=series, name=name, day=day, time=time, timezone=zone
    )


def stamps(text: str) -> list[datetime]:
    return [datetime.fromtimestamp(int(t), UTC) for t in re.findall(r"<t:(\d+):F>", text)]


async def test_parallel_series_lists_every_slot_each_week_across_one_regions_dst(
    world, bots
) -> None:
    await create_series(world)
    r = await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    assert "Added **APAC**: Wednesday 10:00 Asia/Singapore" in r.response.content
    assert "1 slot of 4" in r.response.content
    r = await add_slot(world, "Americas", "wednesday", "12:00", "America/New_York")
    assert "2 slots of 4" in r.response.content
    # Move to Sunday 1 March: the next weeks straddle New York's change but not Singapore's.
    await world.env.advance_time(59 * DAY)
    r = await world.bob.slash(world.general, "calls upcoming")
    assert r.ephemeral and "in your own time zone" in r.response.content
    times = stamps(r.response.content)
    assert len(times) == 10
    apac = [t for t in times if t.hour == 2]
    americas = [t for t in times if t.hour != 2]
    assert len(apac) == len(americas) == 5  # every slot, every week
    assert americas[0] == datetime(2026, 3, 4, 17, tzinfo=UTC)  # EST
    assert americas[1] == datetime(2026, 3, 11, 16, tzinfo=UTC)  # EDT: still 12:00 local
    assert {t.weekday() for t in times} == {2}  # Wednesday in every region and in UTC


async def test_rotating_series_moves_one_call_per_week_and_survives_a_restart(
    world, bots, restart
) -> None:
    await create_series(world, mode="rotating")
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    r = await world.bob.slash(world.general, "calls upcoming")
    before = stamps(r.response.content)
    # One call a week, alternating regions: 02:00 UTC for APAC, 14:00 UTC for EMEA. The
    # APAC call of Wednesday 7 January was planned (its event made) as soon as APAC was
    # the only slot, so it stays first and EMEA follows.
    assert before[0] == datetime(2026, 1, 7, 2, tzinfo=UTC)
    assert [t.hour for t in before[:4]] == [2, 14, 2, 14]
    assert all((b - a).days in (6, 7) for a, b in pairwise(before))
    await restart()
    r = await world.bob.slash(world.general, "calls upcoming")
    assert stamps(r.response.content) == before
    # Several cycles later, across Europe's change on 29 March: 15:00 Berlin is 13:00 UTC.
    await world.env.advance_time(90 * DAY)
    r = await world.bob.slash(world.general, "calls upcoming")
    later = stamps(r.response.content)
    assert sorted({t.hour for t in later}) == [2, 13]
    assert len(later) == 10 and len({t.isocalendar()[1] for t in later}) == 10


async def test_a_slot_time_that_doesnt_exist_on_a_dst_day_is_refused(world, bots) -> None:
    await create_series(world)
    r = await add_slot(world, "Americas", "sunday", "02:30", "America/New_York")
    assert r.ephemeral
    assert "02:30 doesn't exist in America/New_York on Sunday 08 March 2026" in r.response.content
    r = await add_slot(world, "Americas", "sunday", "03:30", "America/New_York")
    assert "Added **Americas**" in r.response.content


async def test_bad_slot_input_gets_a_clear_error_and_stores_nothing(world, bots) -> None:
    await create_series(world)
    r = await add_slot(world, "Mars", "monday", "10:00", "Mars/Olympus")
    assert r.ephemeral and "isn't a time zone I know" in r.response.content
    r = await add_slot(world, "Late", "monday", "25:00", "UTC")
    assert "isn't a time" in r.response.content
    r = await add_slot(world, "Nowhere", "monday", "10:00", "UTC", series="No such series")
    assert "There's no call series called `No such series`" in r.response.content
    for i, zone in enumerate(["UTC", "Asia/Tokyo", "Europe/Berlin", "America/Chicago"]):
        r = await add_slot(world, f"S{i}", "monday", "10:00", zone)
        assert "Added" in r.response.content, r.response.content
    r = await add_slot(world, "Fifth", "monday", "10:00", "Asia/Kolkata")
    assert "already has 4 slots" in r.response.content
    r = await add_slot(world, "s0", "tuesday", "11:00", "Asia/Kolkata")
    assert "already has 4 slots" in r.response.content
    view = await bots.current.services.calls.get(world.guild.id, "Community call")
    assert [s.name for s in view.slots] == ["S0", "S1", "S2", "S3"]
    r = await world.alice.slash(world.general, "calls suggest", series="Community call", slots=5)
    assert "`slots` must be 1–4; you gave 5" in r.response.content
    r = await world.alice.slash(
        world.general, "calls slot-remove", series="Community call", name="S9"
    )
    assert "has no slot called `S9` (its slots: S0, S1, S2, S3)" in r.response.content
    r = await world.alice.slash(
        world.general, "calls slot-remove", series="Community call", name="s1"
    )
    assert "Removed the slot **S1**" in r.response.content
    view = await bots.current.services.calls.get(world.guild.id, "Community call")
    assert [s.name for s in view.slots] == ["S0", "S2", "S3"]


async def test_create_refuses_bad_input(world, bots) -> None:
    await make_advocates(world)
    r = await world.alice.slash(
        world.general, "calls create", title="Call", cadence="weekly", mode="parallel"
    )
    assert "Say where the calls happen" in r.response.content
    r = await world.alice.slash(
        world.general,
        "calls create",
        title="Call",
        cadence="weekly",
        mode="parallel",
        duration=5,
        location="https://meet.example/abc",
    )
    assert "The duration must be 15–240 minutes; you gave 5" in r.response.content
    r = await world.alice.slash(
        world.general,
        "calls create",
        title="Call",
        cadence="monthly",
        mode="rotating",
        location="https://meet.example/abc",
    )
    assert "Created **Call**: monthly, rotating, 60 minutes, in https://meet.example/abc" in (
        r.response.content
    )
    r = await world.alice.slash(
        world.general, "calls create", title="call", cadence="weekly", mode="parallel",
        location="elsewhere",
    )  # fmt: skip
    assert "already a call series called **call**" in r.response.content
    assert len(await bots.current.services.calls.repo.all_series(world.guild.id)) == 1


async def test_suggest_needs_ten_zones_then_shows_coverage(world, bots) -> None:
    await create_series(world)
    r = await world.alice.slash(world.general, "calls suggest", series="Community call")
    assert "Only 0 members set a time zone here" in r.response.content
    assert "`/me timezone`" in r.response.content
    zones = ["Europe/London"] * 6 + ["Asia/Tokyo"] * 3 + ["America/Los_Angeles"] * 3
    for i, zone in enumerate(zones):
        member = world.guild.add_member(world.env.create_user(f"m{i}"))
        await world.env.settle()
        r = await member.slash(world.general, "me timezone", zone=zone)
        assert "Your time zone is now" in r.response.content
    r = await world.alice.slash(world.general, "calls suggest", series="Community call", slots=1)
    text = r.response.content
    # London (UTC+0 in January) and Tokyo (UTC+9) share 08:00–11:00 UTC.
    assert "1. 08:00 UTC" in text and "reaches 9 members (75%)" in text
    assert "this slot reaches 75% of the 12 members who set a zone" in text
    assert "3 in UTC−8 are left out" in text
    r = await world.alice.slash(world.general, "calls suggest", series="Community call", slots=3)
    assert "these 2 slots reach 100% of the 12 members" in r.response.content


async def test_members_are_refused_on_advocate_commands(world, bots) -> None:
    await create_series(world)
    for name, options in [
        ("calls create", {"title": "X", "cadence": "weekly", "mode": "parallel", "location": "y"}),
        ("calls slot-add", {"series": "Community call", "name": "A", "day": "monday",
                            "time": "10:00", "timezone": "UTC"}),
        ("calls slot-remove", {"series": "Community call", "name": "A"}),
        ("calls suggest", {"series": "Community call"}),
    ]:  # fmt: skip
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral and r.response.content == ADVOCATE_NEEDED, name
    assert len(await bots.current.services.calls.repo.all_series(world.guild.id)) == 1
    r = await world.bob.slash(world.general, "calls upcoming")
    assert "No calls are scheduled" in r.response.content


@pytest.mark.parametrize("current", ["com", ""])
async def test_series_autocomplete(world, bots, current) -> None:
    await create_series(world)
    found = await world.alice.autocomplete(world.general, "calls slot-add", "series", current)
    assert [c["value"] for c in found] == ["Community call"]


NO_HOST = ", no host yet (sign up with /calls host)"


async def test_digest_coming_up_lists_each_series_next_call(world, bots) -> None:
    await create_series(world, mode="rotating")
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    await create_series(world, title="Maintainers sync", cadence="monthly")
    await add_slot(world, "EMEA", "friday", "11:00", "Europe/Berlin", series="Maintainers sync")
    r = await world.alice.slash(world.general, "digest preview")
    embeds = {e.title: e.description for e in r.response.embeds}
    coming = embeds["🗓️ Coming up"].splitlines()
    # Only the next call of each series in the coming week: APAC's Wednesday 7 January
    # (planned while APAC was the only slot; EMEA's turn follows a week later); the
    # monthly sync's first Friday was 2 January.
    apac = datetime(2026, 1, 7, 2, tzinfo=UTC)
    sync = datetime(2026, 1, 2, 10, tzinfo=UTC)
    assert coming == [
        # Unhosted calls say so (never <@0>).
        f"<t:{int(sync.timestamp())}:f> · 📞 **Maintainers sync** · EMEA{NO_HOST}",
        f"<t:{int(apac.timestamp())}:f> · 📞 **Community call** · APAC{NO_HOST}",
    ]
