"""Levels through the real bot: /stats levels, /stats levels-configure, virtual time."""

from __future__ import annotations

from tests.conftest import make_advocates

DAY = 24 * 3600


def levels_text(r) -> str:  # type: ignore[no-untyped-def]
    assert r.ephemeral
    return r.response.embeds[0].description


async def test_levels_count_moves_and_fall_back_after_90_days(world) -> None:  # type: ignore[no-untyped-def]
    await make_advocates(world)
    r = await world.alice.slash(world.general, "stats levels-configure", thresholds="3, 6, 100")
    assert r.ephemeral
    assert "start at: 3 / 6 / 100" in r.response.content
    # Bob writes 3 messages (3 points: participant), Carol 6 (contributor).
    for i in range(3):
        await world.bob.send(world.general, f"bob {i}")
    for i in range(6):
        await world.carol.send(world.general, f"carol {i}")

    text = levels_text(await world.alice.slash(world.general, "stats levels"))
    assert "**Participant**: 1" in text
    assert "**Contributor**: 1" in text
    assert "**Champion**: 0" in text
    assert f"<@{world.bob.id}> (observer → participant)" in text
    assert f"<@{world.carol.id}> (observer → contributor)" in text
    assert "Moved down this week: nobody" in text

    # 91 days on, their messages have left the 90 days; a week before they had not.
    await world.env.advance_time(91 * DAY)
    text = levels_text(await world.alice.slash(world.general, "stats levels"))
    assert "**Participant**: 0" in text
    assert "**Contributor**: 0" in text
    assert f"<@{world.bob.id}> (participant → observer)" in text
    assert f"<@{world.carol.id}> (contributor → observer)" in text


async def test_levels_configure_refuses_members_and_explains_bad_input(world) -> None:  # type: ignore[no-untyped-def]
    await make_advocates(world)
    for name, options in [("stats levels", {}), ("stats levels-configure", {"vote": "2"})]:
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral
        assert "Only advocates can do that" in r.response.content
    for options, says in [
        ({"vote": "lots"}, "The weight for vote must be a number"),
        ({"hosting": "-2"}, "The weight for hosting must be 0 or more"),
        ({"thresholds": "9,3,20"}, "Thresholds must increase"),
        ({"thresholds": "a,b"}, "three numbers separated by commas"),
        ({"thresholds": "1,2"}, "Give three thresholds"),
    ]:
        r = await world.alice.slash(world.general, "stats levels-configure", **options)
        assert r.ephemeral
        assert says in r.response.content, (options, r.response.content)
    # Nothing was stored by the refused attempts: the defaults still show.
    r = await world.alice.slash(world.general, "stats levels-configure", message="2")
    assert "vote 1," in r.response.content
    assert "hosting 8" in r.response.content
    assert "from this server's percentiles" in r.response.content


async def test_me_show_tells_a_member_their_own_level_score_and_what_counts(world) -> None:  # type: ignore[no-untyped-def]
    await make_advocates(world)
    await world.alice.slash(world.general, "stats levels-configure", thresholds="3, 6, 100")
    # Bob writes 4 messages: 4 points, a participant (3 ≤ 4 < 6).
    for i in range(4):
        await world.bob.send(world.general, f"bob {i}")
    r = await world.bob.slash(world.general, "me show")
    assert r.ephemeral
    text = r.response.content
    assert "**Your level**" in text
    assert "• Level: participant (score 4 over the last 90 days)" in text
    assert "• Levels start at: participant 3, contributor 6, champion 100" in text
    assert (
        "• What counts (points each): message 1, question 3, feedback 3, vote 1, "
        "answer 5, hosting 8" in text
    )
    # Carol did nothing: an observer with 0 points.
    r = await world.carol.slash(world.general, "me show")
    assert "• Level: observer (score 0 over the last 90 days)" in r.response.content

    # Messages now weigh 2: Bob's 4 messages make 8 points, a contributor.
    await world.alice.slash(world.general, "stats levels-configure", message="2")
    r = await world.bob.slash(world.general, "me show")
    assert "• Level: contributor (score 8 over the last 90 days)" in r.response.content
    assert "message 2, question 3" in r.response.content
