"""Calls wired end to end with SimCord: each call a Discord event, hosts by rotation, the
24-hour notice, swaps, the shared agenda and recaps, permissions and bad input.

SimCord starts on Thursday 1 January 2026 00:00 UTC.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise

from cogs._common import ADVOCATE_NEEDED
from tests.cogs.test_calls import add_slot, create_series
from tests.conftest import bot_posts

HOUR = 3600
DAY = 24 * HOUR


def events(world) -> dict:
    return world.env.backend.get_guild(world.guild.id).scheduled_events


def planned(bots):
    return bots.current.services.calls.calls


async def series_id(bots, world, title="Community call") -> int:
    found = await bots.current.services.calls.repo.series_by_title(world.guild.id, title)
    return found.id


async def calls_of(bots, world) -> list:
    return await planned(bots).series_calls(world.guild.id, await series_id(bots, world))


def dms(member) -> list[str]:
    channel = member.user.dm_channel
    return [] if channel is None else [m.content for m in channel.history()]


async def test_adding_a_slot_plans_its_next_call_as_a_discord_event(world, bots) -> None:
    voice = await create_series(world)
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    found = list(events(world).values())
    assert len(found) == 1
    assert found[0].name == "Community call · APAC"
    assert found[0].channel_id == voice.id
    r = await world.bob.slash(world.general, "calls upcoming")
    assert "call #1, no host yet" in r.response.content
    # A call without a host is stored without one, not as host 0.
    (call,) = await calls_of(bots, world)
    assert call.host_id is None


async def test_parallel_calls_get_their_events_cycle_after_cycle_and_after_a_restart(
    world, bots, restart
) -> None:
    await create_series(world)
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    await add_slot(world, "Americas", "wednesday", "12:00", "America/New_York")
    assert len(events(world)) == 2
    await world.env.advance_time(7 * DAY)
    await restart()
    await world.env.advance_time(7 * DAY)
    calls = await calls_of(bots, world)
    # Week 1 (7 Jan), week 2 (14 Jan) and the planned week 3 (21 Jan), in both regions.
    assert Counter(c.slot_name for c in calls) == {"APAC": 3, "Americas": 3}
    assert len({c.starts_at for c in calls}) == 6
    assert len(events(world)) == 6


async def test_hosts_take_turns_fewest_hosted_first(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    dave = world.guild.add_member(world.env.create_user("dave"), roles=[world.advocates])
    await world.env.settle()
    for who in (world.alice, dave):
        r = await who.slash(world.general, "calls host", series="Community call", slot="EMEA")
        assert "You're signed up to host **Community call** · EMEA" in r.response.content
    await world.env.advance_time(12 * 7 * DAY)
    calls = [c for c in await calls_of(bots, world) if c.starts_at < world.env.now()]
    hosts = [c.host_id for c in calls]
    assert len(hosts) == 12
    # Alice filled the unhosted first call; from then on they alternate.
    assert Counter(hosts) == {world.alice.id: 6, dave.id: 6}
    assert all(a != b for a, b in pairwise(hosts))


async def test_a_member_is_refused_hosting_until_given_the_host_role(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    r = await world.bob.slash(world.general, "calls host", series="Community call", slot="EMEA")
    assert r.ephemeral and "host role" in r.response.content
    assert await planned(bots).hosts(world.guild.id, await series_id(bots, world)) == []
    r = await world.bob.slash(world.general, "calls configure", **{"host-role": world.advocates})
    assert r.ephemeral and r.response.content == ADVOCATE_NEEDED
    hosts_role = world.guild.create_role("Call hosts")
    erin = world.guild.add_member(world.env.create_user("erin"), roles=[hosts_role])
    await world.env.settle()
    r = await world.alice.slash(world.general, "calls configure", **{"host-role": hosts_role})
    assert "Calls can now be hosted by advocates and members with" in r.response.content
    r = await erin.slash(world.general, "calls host", series="Community call", slot="EMEA")
    assert "You're signed up" in r.response.content
    (call,) = await calls_of(bots, world)
    assert call.host_id == erin.id


async def test_members_are_refused_on_advocate_commands(world, bots) -> None:
    await create_series(world)
    for command, options in [
        ("calls create", {"title": "X", "cadence": "weekly", "mode": "parallel"}),
        (
            "calls slot-add",
            {
                "series": "Community call",
                "name": "A",
                "day": "monday",
                "time": "10:00",
                "timezone": "UTC",
            },
        ),
        ("calls slot-remove", {"series": "Community call", "name": "A"}),
        ("calls suggest", {"series": "Community call"}),
        ("calls configure", {}),
    ]:
        r = await world.bob.slash(world.general, command, **options)
        assert r.ephemeral and r.response.content == ADVOCATE_NEEDED, command


async def test_bad_hosting_input_gets_clear_errors(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    r = await world.alice.slash(world.general, "calls host", series="Community call", slot="Mars")
    assert "has no slot called `Mars`" in r.response.content
    r = await world.alice.slash(world.general, "calls unhost", series="Community call", slot="EMEA")
    assert "aren't signed up to host" in r.response.content
    await world.alice.slash(world.general, "calls host", series="Community call", slot="EMEA")
    r = await world.alice.slash(world.general, "calls host", series="Community call", slot="EMEA")
    assert "already signed up" in r.response.content
    r = await world.alice.slash(world.general, "calls swap", occurrence=1, **{"with": world.carol})
    assert "isn't signed up to host the EMEA slot" in r.response.content
    r = await world.alice.slash(world.general, "calls swap", occurrence=99, **{"with": world.carol})
    assert "There's no call #99" in r.response.content
    r = await world.bob.slash(world.general, "calls notes", occurrence=1)
    assert "Only the call's host or an advocate" in r.response.content
    (call,) = await calls_of(bots, world)
    assert call.host_id == world.alice.id


async def test_a_swap_tells_both_hosts(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    dave = world.guild.add_member(world.env.create_user("dave"), roles=[world.advocates])
    await world.env.settle()
    await world.alice.slash(world.general, "calls host", series="Community call", slot="EMEA")
    await dave.slash(world.general, "calls host", series="Community call", slot="EMEA")
    r = await world.alice.slash(world.general, "calls swap", occurrence=1, **{"with": dave})
    assert "now hosts" in r.response.content and "Both hosts were told" in r.response.content
    (call,) = await calls_of(bots, world)
    assert call.host_id == dave.id
    assert any("now hosts" in m for m in dms(world.alice))
    assert any("now hosts" in m for m in dms(dave))


async def test_the_host_is_told_once_a_day_before_even_across_a_restart(
    world, bots, restart
) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    await world.alice.slash(world.general, "calls host", series="Community call", slot="EMEA")
    await world.bob.slash(world.general, "calls agenda", series="Community call", item="Roadmap")
    # The call is Wednesday 7 January 14:00 UTC; the notice is due Tuesday 14:00.
    await world.env.advance_time(5 * DAY + 13 * HOUR)
    assert not any("You host" in m for m in dms(world.alice))
    await world.env.advance_time(2 * HOUR)
    notices = [m for m in dms(world.alice) if "You host" in m]
    assert len(notices) == 1
    text = notices[0]
    assert "Community call · EMEA" in text and "#1 Roadmap" in text
    assert f"https://discord.com/events/{world.guild.id}/" in text
    await restart()
    await world.env.advance_time(HOUR)
    assert len([m for m in dms(world.alice) if "You host" in m]) == 1


async def test_a_decision_reaches_the_other_regions_next_call_and_items_carry_over(
    world, bots
) -> None:
    await create_series(world)
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    for item in ("Release plan", "Docs sprint"):
        r = await world.bob.slash(world.general, "calls agenda", series="Community call", item=item)
        assert "Added #" in r.response.content
    # After APAC's call of 7 January (02:00 UTC), before EMEA's (14:00 UTC).
    await world.env.advance_time(6 * DAY + 3 * HOUR)
    apac = next(c for c in await calls_of(bots, world) if c.slot_name == "APAC")
    shown = await world.alice.slash(world.general, "calls notes", occurrence=apac.id)
    assert shown.modal is not None
    r = await world.alice.submit_modal(
        shown,
        {
            "summary": "We went through the release.",
            "decisions": "Ship 2.0 in March",
            "covered": "1",
        },
    )
    assert "Posted the recap" in r.response.content
    thread = next(t for t in world.general.threads if "recaps" in t.name)
    recap = thread.last_message.content
    assert "We went through the release." in recap
    assert "**Decisions**" in recap and "- Ship 2.0 in March" in recap and "EMEA" in recap
    r = await world.bob.slash(world.general, "calls agenda-list", series="Community call")
    lines = r.response.content.splitlines()
    assert "Release plan" not in r.response.content  # covered
    assert any("Docs sprint" in line for line in lines)  # carried over
    assert any(
        "Decided in APAC: Ship 2.0 in March (for the next EMEA call)" in line for line in lines
    )
    r = await world.alice.slash(world.general, "calls notes", occurrence=apac.id)
    assert "already posted" in r.response.content


async def test_office_hours_commands_refuse_a_calls_session(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    (call,) = await calls_of(bots, world)
    for command in ("officehours start", "officehours cancel"):
        r = await world.alice.slash(world.general, command, session=call.session_id)
        assert r.ephemeral and "is a community call, not office hours" in r.response.content
    session = await bots.current.services.office_hours.session(world.guild.id, call.session_id)
    assert session.status == "scheduled"


async def test_notes_before_the_call_are_refused(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    r = await world.alice.slash(world.general, "calls notes", occurrence=1)
    assert r.modal is None and "hasn't happened yet" in r.response.content
    assert datetime(2026, 1, 1, tzinfo=UTC) <= world.env.now()


async def test_rotation_over_12_calls_with_three_hosts_one_away_for_two(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    dave = world.guild.add_member(world.env.create_user("dave"), roles=[world.advocates])
    erin = world.guild.add_member(world.env.create_user("erin"), roles=[world.advocates])
    await world.env.settle()
    for who in (world.alice, dave, erin):
        await who.slash(world.general, "calls host", series="Community call", slot="EMEA")
    # The first call is Wednesday 7 January 14:00 UTC; step to just after each call starts.
    await world.env.advance_time(6 * DAY + 14 * HOUR + 60)
    away: list[int] = []
    for week in range(1, 12):
        if week == 4:
            r = await erin.slash(
                world.general, "calls unhost", series="Community call", slot="EMEA"
            )
            assert "You no longer host" in r.response.content
            away = [c.id for c in await calls_of(bots, world) if c.starts_at > world.env.now()]
        if week == 6:
            await erin.slash(world.general, "calls host", series="Community call", slot="EMEA")
        await world.env.advance_time(7 * DAY)
    calls = [c for c in await calls_of(bots, world) if c.starts_at < world.env.now()]
    assert len(calls) == 12
    hosts = [c.host_id for c in calls]
    # Away for two calls: the call ahead when she left, and the next one.
    away_calls = [c for c in calls if c.id in away or c.id == max(away) + 1]
    assert len(away_calls) == 2 and erin.id not in [c.host_id for c in away_calls]
    counts = Counter(hosts)
    assert set(counts) == {world.alice.id, dave.id, erin.id}
    # Fair: everyone hosts 4 of 12.
    assert counts == {world.alice.id: 4, dave.id: 4, erin.id: 4}, hosts
    # Worked by hand from the rule (fewest in the last 8, ties to longest ago, then sign-up
    # order): back from being away, Erin hosts twice running to catch up.
    names = {world.alice.id: "alice", dave.id: "dave", erin.id: "erin"}
    first, second = ["alice", "dave", "erin", "alice", "dave", "alice"], ["dave", "erin"]
    assert [names[h] for h in hosts] == [*first, *second, "erin", "alice", "dave", "erin"]


async def test_a_call_gets_office_hours_reminders_in_its_home_channel(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    # Wednesday 7 January 14:00 UTC; reminders come before it, in the series' channel.
    await world.env.advance_time(6 * DAY + 14 * HOUR + 60)
    reminders = [m.content for m in bot_posts(world.general) if m.content.startswith("⏰")]
    assert reminders, "no reminder was posted"
    assert all("**Community call · EMEA** starts" in r for r in reminders)
    assert all("`/calls agenda`" in r for r in reminders)


async def test_parallel_calls_follow_new_yorks_dst_change_but_not_singapores(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    await add_slot(world, "Americas", "wednesday", "12:00", "America/New_York")
    await world.env.advance_time(12 * 7 * DAY)  # to 26 March, past 8 March
    calls = await calls_of(bots, world)
    apac = [c.starts_at for c in calls if c.slot_name == "APAC"]
    americas = [c.starts_at for c in calls if c.slot_name == "Americas"]
    assert len(apac) == len(americas) == 13  # 12 held, and the next one planned
    assert {t.hour for t in apac} == {2}
    change = datetime(2026, 3, 8, 7, tzinfo=UTC)
    assert [t.hour for t in americas if t < change] == [17] * 9  # EST, 7 Jan to 4 March
    assert [t.hour for t in americas if t > change] == [16] * 4  # EDT: still 12:00 local
    assert {t.weekday() for t in apac + americas} == {2}
    assert len(events(world)) == 26


async def test_rotating_calls_alternate_and_follow_berlins_dst_change(world, bots) -> None:
    await create_series(world, mode="rotating")
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    await world.env.advance_time(16 * 7 * DAY)  # to 23 April, past 29 March
    calls = await calls_of(bots, world)
    slots = [c.slot_name for c in calls]
    assert len(calls) == 17  # one a week
    assert all(a != b for a, b in pairwise(slots))
    emea = [c.starts_at for c in calls if c.slot_name == "EMEA"]
    assert {t.hour for t in emea if t.month < 3} == {14}  # CET
    assert {t.hour for t in emea if t.month == 4} == {13}  # CEST
    assert {c.starts_at.hour for c in calls if c.slot_name == "APAC"} == {2}
    assert all((b.starts_at - a.starts_at).days in (6, 7) for a, b in pairwise(calls))


async def test_attendance_counts_interested_members_and_peak_presence(world, bots, restart) -> None:
    voice = await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    (event,) = events(world).values()
    event.user_ids.update({world.bob.id, world.carol.id})
    # Wednesday 7 January 14:00 UTC: Bob and Carol join, Carol leaves, Bob stays.
    await world.env.advance_time(6 * DAY + 14 * HOUR)
    await world.bob.join_voice(voice)
    await world.carol.join_voice(voice)
    await world.env.advance_time(6 * 60)
    await world.carol.leave_voice()
    await restart()  # mid-call: sampling resumes
    await world.env.advance_time(30 * 60)
    call = (await calls_of(bots, world))[0]
    assert (call.interested, call.present_peak) == (2, 2)


async def test_the_digest_shows_last_weeks_attendance_and_coverage(world, bots) -> None:
    voice = await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    # Four members set a zone: 15:00 Berlin (14:00 UTC) is waking time in Berlin, London
    # and New York (09:00), not in Tokyo (23:00): 3 of 4, 75%.
    for who, zone in (
        (world.alice, "Europe/Berlin"),
        (world.bob, "Europe/London"),
        (world.carol, "America/New_York"),
        (world.admin, "Asia/Tokyo"),
    ):
        r = await who.slash(world.general, "me timezone", zone=zone)
        assert r.ephemeral
    await world.env.advance_time(6 * DAY + 14 * HOUR)
    await world.bob.join_voice(voice)
    await world.env.advance_time(HOUR)
    r = await world.alice.slash(world.general, "digest preview")
    embeds = {e.title: e.description for e in r.response.embeds}
    calls = embeds["📞 Community calls"]
    assert "**Community call** · EMEA: 1 in the call, 0 interested" in calls
    assert "waking hours for **75%** of the 4 members who set a zone" in calls


async def test_a_host_away_for_a_call_is_skipped_and_notices_wait_for_working_hours(
    world, bots
) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    dave = world.guild.add_member(world.env.create_user("dave"), roles=[world.advocates])
    await world.env.settle()
    for who in (world.alice, dave):
        await who.slash(world.general, "calls host", series="Community call", slot="EMEA")
    # Alice works Monday to Friday 09:00-17:00 Berlin; Dave is away over the second call
    # (Wednesday 14 January, 14:00 UTC) and works any time.
    await world.alice.slash(
        world.general,
        "advocate hours",
        days="mon-fri",
        start="09:00",
        end="17:00",
        timezone="Europe/Berlin",
    )
    r = await dave.slash(
        world.general, "advocate away", **{"from": "2026-01-13 00:00"}, until="2026-01-15 00:00"
    )
    assert "Time off recorded" in r.response.content, r.response.content
    await world.env.advance_time(3 * 7 * DAY)
    calls = [c for c in await calls_of(bots, world) if c.starts_at < world.env.now()]
    by_day = {c.starts_at.date().isoformat(): c.host_id for c in calls}
    assert by_day["2026-01-14"] == world.alice.id  # Dave is away: Alice takes it
    # Each notice was due 24 hours before, at 15:00 Berlin on a Tuesday: inside Alice's
    # hours, so she had hers at once, one per call she hosts.
    hosted = sum(1 for h in by_day.values() if h == world.alice.id)
    assert len([m for m in dms(world.alice) if "You host" in m]) == hosted


async def test_a_hosts_notice_outside_their_hours_waits_for_their_next_morning(world, bots) -> None:
    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    await world.alice.slash(world.general, "calls host", series="Community call", slot="EMEA")
    await world.alice.slash(
        world.general,
        "advocate hours",
        days="mon-fri",
        start="09:00",
        end="12:00",
        timezone="Europe/Berlin",
    )
    # The call is Wednesday 7 January 14:00 UTC; its notice falls due Tuesday 14:00 UTC
    # (15:00 Berlin), after Alice's hours: it is held, not sent.
    await world.env.advance_time(5 * DAY + 15 * HOUR)
    assert not any("You host" in m for m in dms(world.alice))
    # Wednesday 09:00 Berlin (08:00 UTC), her hours start and the notice arrives, once.
    await world.env.advance_time(17 * HOUR + 5 * 60)
    assert len([m for m in dms(world.alice) if "You host" in m]) == 1


async def test_privacy_export_includes_and_forget_erases_a_hosts_calls_data(world, bots) -> None:
    from tests.cogs.test_privacy import dm_export, read_export
    from tests.storage.test_privacy_repo import find_id

    await create_series(world)
    await add_slot(world, "APAC", "wednesday", "10:00", "Asia/Singapore")
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    dave = world.guild.add_member(world.env.create_user("dave"), roles=[world.advocates])
    await world.env.settle()
    for slot in ("APAC", "EMEA"):
        await dave.slash(world.general, "calls host", series="Community call", slot=slot)
    await dave.slash(world.general, "calls agenda", series="Community call", item="Roadmap")
    # After APAC's call of 7 January (02:00 UTC); EMEA's at 14:00 and next week's are ahead.
    await world.env.advance_time(6 * DAY + 3 * HOUR)
    apac = next(c for c in await calls_of(bots, world) if c.slot_name == "APAC")
    shown = await dave.slash(world.general, "calls notes", occurrence=apac.id)
    await dave.submit_modal(shown, {"summary": "Short call.", "decisions": "Ship in March"})

    r = await dave.slash(world.general, "privacy export")
    assert "📬 Sent you a DM" in r.response.content
    data = (await read_export(dm_export(dave)))["servers"][0]["data"]
    assert {h["slot_name"] for h in data["call_hosting"]} == {"APAC", "EMEA"}
    assert apac.id in [c["id"] for c in data["calls_hosted"]]
    texts = [i["text"] for i in data["call_agenda_items"]]
    assert "Roadmap" in texts and "Decided in APAC: Ship in March" in texts

    told = len([m for m in dms(dave) if "You host" in m])
    r = await dave.slash(world.general, "privacy forget")
    done = await dave.click(r.response.message, label="Erase my data")
    assert "✅ Done" in done.response.content
    await bots.current.alarm.drain()
    assert await find_id(bots.current.db, dave.id) == []
    # The calls keep working without a host, and nobody is shown or told as host 0.
    assert all(c.host_id is None for c in await calls_of(bots, world))
    shown = await world.bob.slash(world.general, "calls upcoming")
    assert "<@0>" not in shown.response.content and "no host yet" in shown.response.content
    await world.env.advance_time(14 * DAY)
    assert len([m for m in dms(dave) if "You host" in m]) == told  # no notice after forget


async def test_an_unhosted_call_is_shown_as_such_and_counted_as_nobodys(world, bots) -> None:
    from services.digest.render import coming_up_section
    from storage.boundaries import BoundariesRepository

    await create_series(world)
    await add_slot(world, "EMEA", "wednesday", "15:00", "Europe/Berlin")
    r = await world.bob.slash(world.general, "calls upcoming")
    assert "no host yet (sign up with `/calls host`)" in r.response.content
    assert "<@0>" not in r.response.content
    # The call of 7 January runs (started and ended by the office-hours engine) with no host.
    await world.env.advance_time(7 * DAY)
    (first, *_) = await calls_of(bots, world)
    assert first.host_id is None
    session = await bots.current.services.office_hours.session(world.guild.id, first.session_id)
    assert session.status == "ended"
    events = await BoundariesRepository(bots.current.db).load_events(
        world.guild.id, datetime(2026, 1, 1, tzinfo=UTC), world.env.now()
    )
    assert 0 not in [user for user, _ in events["sessions"]]
    # Nor does the digest's "coming up" show <@0>.
    section = coming_up_section([], [], [("Community call", "EMEA", world.env.now(), None)])
    text = "\n".join(item for b in section.blocks for item in b.items)
    assert "<@0>" not in text and "no host yet" in text
    r = await world.alice.slash(world.general, "advocate load", weeks=2)
    assert "<@0>" not in r.response.content
