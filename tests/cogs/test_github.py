"""GitHub follow-up end to end: the real bot under SimCord, the real gidgethub client, and a
fake GitHub API served on 127.0.0.1 (tests/fake_github.py). Never the network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import check_github
from config.settings import Settings
from services.github.follow import JOB
from tests.conftest import make_advocates, make_settings, submit_feedback
from tests.fake_github import TOKEN, FakeGitHub
from tests.reliability._helpers import NetworkFaults

POLL = 600  # seconds: HALLWAY_GITHUB_POLL_MINUTES=10


@pytest.fixture
async def fake_github() -> AsyncIterator[FakeGitHub]:
    fake = FakeGitHub()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def settings(tmp_path: Path, fake_github: FakeGitHub) -> Settings:
    return make_settings(
        tmp_path,
        GITHUB_TOKEN=TOKEN,
        GITHUB_API_URL=fake_github.url,
        HALLWAY_GITHUB_POLL_MINUTES="10",
    )


async def poll(world, bots) -> None:
    """Let one poll interval pass and the poll finish."""
    await world.env.advance_time(POLL + 1)
    await bots.current.alarm.drain()


def item_of(bots, world, item_id: int):
    return bots.current.services.feedback.item(world.guild.id, item_id)


async def setup_repo(world, fake: FakeGitHub, ship_on: str = "close") -> None:
    fake.repo("acme", "sdk")
    r = await world.alice.slash(
        world.general, "feedback github", repo="acme/sdk", **{"ship-on": ship_on}
    )
    assert r.ephemeral and "acme/sdk" in r.response.content, r.response.content


async def linked_item(world, fake: FakeGitHub, number: int = 7, summary: str = "") -> int:
    """bob reports, carol +1s, alice links it to acme/sdk#number; returns the item id."""
    if number not in fake.repo("acme", "sdk").issues:
        fake.add_issue("acme", "sdk", number, "Token refresh 401")
    r = await submit_feedback(world.bob, world.general, summary or "SDK 401 after token refresh")
    item_id = int(r.response.content.split("**#")[1].split("**")[0])
    await world.carol.slash(world.general, "feedback vote", item=item_id)
    url = f"https://github.com/acme/sdk/issues/{number}"
    linked = await world.alice.slash(world.general, "feedback link", item=item_id, url=url)
    assert "and follows acme/sdk#" in linked.response.content, linked.response.content
    return item_id


def dm_text(member) -> str:
    channel = member.user.dm_channel
    message = channel.last_message if channel is not None else None
    return message.content if message is not None else ""


def dm_count(member) -> int:
    channel = member.user.dm_channel
    return len(list(channel.history())) if channel is not None else 0


async def test_create_issue_with_labels_then_ship_tells_reporters_and_voters(
    world, bots, fake_github
) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    fake_github.repo("acme", "sdk").labels["auth"] = {"name": "auth", "color": "ff0000"}
    r = await submit_feedback(
        world.bob,
        world.general,
        "Python SDK throws 401 after token refresh",
        f"acme-sdk 2.3.1 returns HTTP 401 unauthorized, as <@{world.carol.id}> saw too",
        "",
    )
    assert "#1" in r.response.content
    await world.carol.slash(world.general, "feedback vote", item=1)
    item = await item_of(bots, world, 1)
    assert "auth" in item.tag_names

    created = await world.alice.slash(world.general, "feedback github-create", item=1)
    assert created.ephemeral
    assert "Opened acme/sdk#1" in created.response.content, created.response.content
    issue = fake_github.repo("acme", "sdk").issues[1]
    assert issue["title"] == "Python SDK throws 401 after token refresh"
    body = issue["body"]
    assert "2 votes" in body and "1 reporter" in body and "Tags: " in body
    # No member names or ids reach GitHub, not even inside a mention.
    for secret in (str(world.bob.id), str(world.carol.id), "bob", "carol"):
        assert secret not in body and secret not in issue["title"]
    assert sorted(label["name"] for label in issue["labels"]) == sorted(item.tag_names)
    label_posts = [h for h in fake_github.hits("/labels") if h[0] == "POST"]
    # "auth" existed already; only the missing ones were created.
    assert len(label_posts) == len(item.tag_names) - 1
    item = await item_of(bots, world, 1)
    assert item.link_url == "https://github.com/acme/sdk/issues/1"

    again = await world.alice.slash(world.general, "feedback github-create", item=1)
    assert "already follows acme/sdk#1" in again.response.content

    fake_github.close("acme", "sdk", 1, "completed")
    await poll(world, bots)
    item = await item_of(bots, world, 1)
    assert item.status == "shipped"
    for member in (world.bob, world.carol):
        text = dm_text(member)
        assert "now **shipped**" in text and "https://github.com/acme/sdk/issues/1" in text
    card = await world.bob.slash(world.general, "feedback show", item=1)
    history = {f.name: f.value for f in card.response.embeds[0].fields}["History"]
    assert "**shipped**" in history and "Closed as completed" in history
    # "You asked, we shipped" in the digest, with the issue's link (the digest covers
    # the last whole days, so the day of the change has to end first).
    await world.env.advance_time(86400)
    await bots.current.alarm.drain()
    preview = await world.alice.slash(world.general, "digest preview")
    shipped = [e for e in preview.response.embeds if e.title.startswith("🚢")]
    assert shipped and "<https://github.com/acme/sdk/issues/1>" in shipped[0].description


async def test_each_state_mapping_and_manual_status_wins(world, bots, fake_github) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    item_id = await linked_item(world, fake_github, 7)
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "new"  # open, nobody on it

    fake_github.assign("acme", "sdk", 7)
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "in-progress"

    # An advocate's status stands while the issue doesn't change.
    await world.alice.slash(world.general, "feedback status", item=item_id, status="planned")
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "planned"

    fake_github.close("acme", "sdk", 7, "not_planned")
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "declined"
    assert "declined" in dm_text(world.bob)

    fake_github.reopen("acme", "sdk", 7)
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "in-progress"

    fake_github.close("acme", "sdk", 7, "completed")
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "shipped"


async def test_a_linked_pull_request_starts_work(world, bots, fake_github) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    item_id = await linked_item(world, fake_github, 3)
    fake_github.cross_reference(
        "acme",
        "sdk",
        3,
        {
            "number": 4,
            "state": "open",
            "pull_request": {"merged_at": None},
            "repository_url": f"{fake_github.url}/repos/acme/sdk",
        },
    )
    await poll(world, bots)
    item = await item_of(bots, world, item_id)
    assert item.status == "in-progress"
    assert "pull request" in dm_text(world.carol)


async def test_several_items_follow_one_issue_and_a_duplicate_follows_the_original(
    world, bots, fake_github
) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    first = await linked_item(world, fake_github, 1, "Login fails on Safari")
    second = await linked_item(world, fake_github, 1, "Safari login broken for everyone")
    third = await linked_item(world, fake_github, 2, "Cannot sign in with Safari 17")
    again = await world.alice.slash(
        world.general, "feedback link", item=second, url="https://github.com/acme/sdk/issues/1"
    )
    assert f"Also linked to this issue: #{first}." in again.response.content
    fake_github.close("acme", "sdk", 2, "duplicate")
    fake_github.cross_reference(
        "acme",
        "sdk",
        2,
        {
            "number": 1,
            "state": "open",
            "repository_url": f"{fake_github.url}/repos/acme/sdk",
            "html_url": "https://github.com/acme/sdk/issues/1",
        },
    )
    await poll(world, bots)
    moved = await item_of(bots, world, third)
    assert moved.link_url == "https://github.com/acme/sdk/issues/1"
    assert moved.status == "new"

    fake_github.close("acme", "sdk", 1, "completed")
    await poll(world, bots)
    for item_id in (first, second, third):
        assert (await item_of(bots, world, item_id)).status == "shipped"


async def test_ship_on_release_waits_for_the_first_release_after_the_close(
    world, bots, fake_github
) -> None:
    await make_advocates(world)
    fake_github.repo("acme", "sdk")
    fake_github.publish_release("acme", "sdk", "v1.0.0")  # before the fix: doesn't count
    await setup_repo(world, fake_github, "release")
    item_id = await linked_item(world, fake_github, 5)
    await world.env.advance_time(60)
    fake_github.close("acme", "sdk", 5, "completed")
    await poll(world, bots)
    item = await item_of(bots, world, item_id)
    assert item.status == "in-progress"
    assert "waiting for release" in dm_text(world.bob)
    card = await world.bob.slash(world.general, "feedback show", item=item_id)
    fields = {f.name: f.value for f in card.response.embeds[0].fields}
    assert fields["GitHub"] == "acme/sdk#5 — fixed, waiting for release"
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "in-progress"

    # Reopened while waiting: a release no longer ships it; closed again, it waits again.
    fake_github.reopen("acme", "sdk", 5)
    await poll(world, bots)
    await world.env.advance_time(60)
    fake_github.publish_release("acme", "sdk", "v1.0.1")
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "in-progress"
    await world.env.advance_time(60)
    fake_github.close("acme", "sdk", 5, "completed")
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "in-progress"

    await world.env.advance_time(60)
    release = fake_github.publish_release("acme", "sdk", "v1.1.0")
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "shipped"
    for member in (world.bob, world.carol):
        text = dm_text(member)
        assert "now **shipped**" in text and "v1.1.0" in text and release["html_url"] in text


async def test_an_unchanged_issue_costs_no_rate_limit(world, bots, fake_github) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    await linked_item(world, fake_github, 7)
    await poll(world, bots)
    before = fake_github.remaining
    reads = len(fake_github.hits("/issues/7"))
    await poll(world, bots)
    assert fake_github.remaining == before
    statuses = [h[2] for h in fake_github.hits("/issues/7")[reads:]]
    assert statuses and set(statuses) == {304}
    limit = bots.current.github_client.rate_limit
    assert limit is not None and limit.remaining == before


async def test_backs_off_on_low_rate_limit_and_on_retry_after(world, bots, fake_github) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    item_id = await linked_item(world, fake_github, 7)
    fake_github.remaining = 40  # below Hallway's floor of 50
    fake_github.close("acme", "sdk", 7, "completed")
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "shipped"  # the read still counts
    due = bots.current.alarm.due_time(JOB)
    assert due is not None and (due - world.env.now()).total_seconds() > 50 * 60
    seen = len(fake_github.requests)
    await poll(world, bots)
    assert len(fake_github.requests) == seen  # nothing asked during the back-off

    fake_github.remaining = 5000
    fake_github.fail_next.append((403, {"Retry-After": "7200"}))
    await world.env.advance_time(3600)
    await bots.current.alarm.drain()
    due = bots.current.alarm.due_time(JOB)
    assert due is not None and (due - world.env.now()).total_seconds() > 7000
    assert not bots.current.unexpected_errors


async def test_a_5xx_loses_nothing_and_the_next_poll_applies_it(world, bots, fake_github) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    item_id = await linked_item(world, fake_github, 7)
    fake_github.close("acme", "sdk", 7, "completed")
    fake_github.fail_next.append((502, {}))
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "new"
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "shipped"
    assert dm_count(world.bob) == 1


async def test_a_revoked_token_is_told_once_and_check_resumes(
    world, bots, fake_github, settings
) -> None:
    await make_advocates(world)
    log = world.guild.create_text_channel("hallway-log")
    await world.env.settle()
    await world.admin.slash(world.general, "setup channel", kind="log", channel=log)
    await setup_repo(world, fake_github)
    item_id = await linked_item(world, fake_github, 7)
    fake_github.token = "revoked"
    for _ in range(3):
        await poll(world, bots)
    notices = [m for m in log.history() if m.author.bot and "401" in m.content]
    assert len(notices) == 1 and "--check" in notices[0].content
    asked = len(fake_github.requests)
    await poll(world, bots)
    assert len(fake_github.requests) == asked  # paused: GitHub isn't asked

    problems = await check_github(settings)
    assert len(problems) == 1 and "GITHUB_TOKEN was rejected" in problems[0]
    fake_github.token = TOKEN
    fake_github.close("acme", "sdk", 7, "completed")
    assert await check_github(settings) == []
    await poll(world, bots)
    assert (await item_of(bots, world, item_id)).status == "shipped"


async def test_check_names_a_missing_permission_and_an_unknown_repository(
    world, bots, fake_github, settings
) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github, "release")
    fake_github.repo("acme", "sdk").forbidden.add("releases")
    problems = await check_github(settings)
    assert problems == ["GITHUB_TOKEN is missing a permission on acme/sdk: give it Contents (read)"]
    del fake_github.repos[("acme", "sdk")]
    problems = await check_github(settings)
    assert len(problems) == 1 and "acme/sdk" in problems[0] and "unknown" in problems[0]


async def test_a_restart_between_polls_neither_loses_nor_repeats_a_change(
    world, bots, fake_github, restart
) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    item_id = await linked_item(world, fake_github, 7)
    await poll(world, bots)
    fake_github.close("acme", "sdk", 7, "completed")
    await restart()
    # Then down for an hour (no alarm runs): the six missed polls become one, at start-up.
    await bots.current.alarm.stop()
    await world.env.advance_time(3600)
    assert (await item_of(bots, world, item_id)).status == "new"
    reads = len(fake_github.hits("/issues/7"))
    await restart()
    await world.env.advance_time(1)
    await bots.current.alarm.drain()
    assert (await item_of(bots, world, item_id)).status == "shipped"
    assert dm_count(world.bob) == 1 and dm_count(world.carol) == 1
    caught_up = [h for h in fake_github.hits("/issues/7")[reads:] if "timeline" not in h[1]]
    assert len(caught_up) == 1
    await poll(world, bots)
    await restart()
    await poll(world, bots)
    assert dm_count(world.bob) == 1


async def test_a_deleted_issue_is_told_once_and_a_transferred_one_is_followed(
    world, bots, fake_github
) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    gone = await linked_item(world, fake_github, 7)
    moved = await linked_item(world, fake_github, 8, "Docs search is broken")
    fake_github.add_issue("acme", "docs", 1, "Docs search is broken")
    fake_github.moved[("acme", "sdk", 8)] = ("acme", "docs", 1)
    fake_github.gone.add(("acme", "sdk", 7))
    for _ in range(2):
        await poll(world, bots)
    told = [m for m in world.general.history() if m.author.bot and "no longer shows" in m.content]
    assert len(told) == 1 and f"#{gone}" in told[0].content
    item = await item_of(bots, world, moved)
    assert item.link_url == "https://github.com/acme/docs/issues/1"
    fake_github.close("acme", "docs", 1, "completed")
    await poll(world, bots)
    assert (await item_of(bots, world, moved)).status == "shipped"


async def test_members_are_refused_the_github_commands(world, bots, fake_github) -> None:
    await make_advocates(world)
    fake_github.add_issue("acme", "sdk", 1)
    await submit_feedback(world.bob, world.general, "Something is broken in the SDK")
    for name, options in (
        ("feedback github", {"repo": "acme/sdk", "ship-on": "close"}),
        ("feedback github-create", {"item": 1}),
        ("feedback link", {"item": 1, "url": "https://github.com/acme/sdk/issues/1"}),
    ):
        r = await world.bob.slash(world.general, name, **options)
        assert r.ephemeral and "advocate" in r.response.content.lower(), (name, r.response)
    assert await bots.current.services.github.repo.repo(world.guild.id) is None
    assert not [h for h in fake_github.requests if h[0] == "POST"]


async def test_bad_input_is_explained(world, bots, fake_github) -> None:
    await make_advocates(world)
    await submit_feedback(world.bob, world.general, "Something is broken in the SDK")
    bad = await world.alice.slash(
        world.general, "feedback github", repo="not a repo", **{"ship-on": "close"}
    )
    assert bad.ephemeral and "owner/name" in bad.response.content
    unknown = await world.alice.slash(
        world.general, "feedback github", repo="acme/nope", **{"ship-on": "close"}
    )
    assert "no repository `acme/nope`" in unknown.response.content
    no_repo = await world.alice.slash(world.general, "feedback github-create", item=1)
    assert "no GitHub repository yet" in no_repo.response.content

    plain = await world.alice.slash(
        world.general, "feedback link", item=1, url="https://tracker.example.com/T-12"
    )
    assert "now links to <https://tracker.example.com/T-12>" in plain.response.content
    assert await bots.current.services.github.link_of(world.guild.id, 1) is None
    not_issue = await world.alice.slash(
        world.general, "feedback link", item=1, url="https://github.com/acme/sdk"
    )
    assert "isn't an issue or a pull request" in not_issue.response.content
    fake_github.repo("acme", "sdk")
    missing = await world.alice.slash(
        world.general, "feedback link", item=1, url="https://github.com/acme/sdk/issues/99"
    )
    assert "GitHub has no acme/sdk#99" in missing.response.content
    item = await item_of(bots, world, 1)
    assert item.link_url == "https://tracker.example.com/T-12"  # nothing half-written


async def test_a_dropped_dm_is_told_in_the_channel_and_never_sent_twice(
    world, bots, fake_github
) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    item_id = await linked_item(world, fake_github, 7)
    fake_github.close("acme", "sdk", 7, "completed")
    faults = NetworkFaults(bots.current)
    faults.drop("POST", "/channels/*/messages", when="before")  # the first DM, to bob
    await poll(world, bots)
    assert faults.raised
    assert (await item_of(bots, world, item_id)).status == "shipped"
    assert dm_count(world.bob) == 0 and dm_count(world.carol) == 1
    told = [m for m in world.general.history() if m.author.bot and "shipped" in m.content]
    assert len(told) == 1 and f"<@{world.bob.id}>" in told[0].content
    await poll(world, bots)
    assert dm_count(world.carol) == 1
    assert not bots.current.unexpected_errors


async def test_a_linked_pull_request_url_is_followed_until_merged(world, bots, fake_github) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    pull = fake_github.add_issue("acme", "sdk", 12, "Refresh the token before it expires")
    pull["pull_request"] = {"merged_at": None}
    await submit_feedback(world.bob, world.general, "SDK 401 after token refresh")
    linked = await world.alice.slash(
        world.general, "feedback link", item=1, url="https://github.com/acme/sdk/pull/12"
    )
    assert "and follows acme/sdk#12" in linked.response.content
    await poll(world, bots)
    assert (await item_of(bots, world, 1)).status == "in-progress"
    pull["pull_request"] = {"merged_at": "2026-01-01T01:00:00Z"}
    fake_github.close("acme", "sdk", 12, "completed")
    await poll(world, bots)
    assert (await item_of(bots, world, 1)).status == "shipped"
    assert "https://github.com/acme/sdk/pull/12" in dm_text(world.bob)


async def test_etags_survive_a_restart_so_the_first_poll_after_it_is_a_304(
    world, bots, fake_github, restart
) -> None:
    await make_advocates(world)
    await setup_repo(world, fake_github)
    await linked_item(world, fake_github, 7)
    fake_github.assign("acme", "sdk", 7)  # assigned: no timeline to read
    await poll(world, bots)
    await restart()
    reads = len(fake_github.hits("/issues/7"))
    before = fake_github.remaining
    await poll(world, bots)
    assert [h[2] for h in fake_github.hits("/issues/7")[reads:]] == [304]
    assert fake_github.remaining == before
