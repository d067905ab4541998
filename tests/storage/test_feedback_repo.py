from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from storage.database import Database
from storage.feedback.items import (
    AlreadyCaptured,
    FeedbackRepository,
    NewItem,
    Reporter,
    item_from_new,
)

G = 10
T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
async def repo(tmp_path) -> AsyncIterator[FeedbackRepository]:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        yield FeedbackRepository(db)


def new(summary: str, *, guild: int = G, at: datetime = T0, message_id: int | None = None,
        reporter: int = 1, name: str = "Ada") -> NewItem:  # fmt: skip
    return NewItem(
        guild_id=guild,
        summary=summary,
        details="",
        product_area=None,
        source="command",
        reporter_id=reporter,
        reporter_name=name,
        captured_by_id=reporter,
        channel_id=5,
        message_id=message_id,
        source_url=None,
        attachments=["https://cdn.example/a.png"],
        fields={"language": "go"},
        created_at=at,
    )


async def test_create_and_read_back(repo) -> None:
    item_id = await repo.create_item(new("Go SDK"), [("api-sdk", 0.8, "rule")], {"go": 1, "sdk": 1})
    item = await repo.get(G, item_id)
    assert item is not None
    assert item.votes == 1 and item.tags == [("api-sdk", 0.8, "rule")]
    assert item.attachments == ["https://cdn.example/a.png"] and item.fields == {"language": "go"}
    assert await repo.get(G + 1, item_id) is None  # scoped by guild
    df, n = await repo.index.index_stats(G, ["go", "sdk", "rust"])
    assert df == {"go": 1, "sdk": 1} and n == 1


async def test_one_item_per_message_and_a_failed_capture_leaves_nothing(repo) -> None:
    await repo.create_item(new("a", message_id=77), [], {"alpha": 1})
    with pytest.raises(AlreadyCaptured) as raised:
        await repo.create_item(new("b", message_id=77), [], {"beta": 1})
    assert raised.value.item_id == 1
    df, n = await repo.index.index_stats(G, ["alpha", "beta"])
    assert df == {"alpha": 1} and n == 1  # the failed insert was rolled back whole
    # The same message id in another guild is a different message.
    await repo.create_item(new("c", guild=G + 1, message_id=77), [], {})


async def test_votes_unique_per_member(repo) -> None:
    item_id = await repo.create_item(new("x"), [], {})
    assert not await repo.add_vote(G, item_id, 1, T0)  # the reporter's vote exists
    assert await repo.add_vote(G, item_id, 2, T0)
    assert not await repo.add_vote(G, item_id, 2, T0)
    assert (await repo.get(G, item_id)).votes == 2
    assert await repo.voters(G, item_id) == [1, 2]


async def test_merge_moves_votes_reporters_and_records_history(repo) -> None:
    a = await repo.create_item(new("a"), [], {})
    b = await repo.create_item(new("b", reporter=2, name="Bo"), [], {})
    await repo.add_vote(G, b, 3, T0)
    await repo.add_vote(G, b, 1, T0)
    await repo.merge(G, b, a, 9, "dup", T0)
    assert (await repo.get(G, a)).votes == 3
    assert [r.display_name for r in await repo.reporters(G, a)] == ["Ada", "Bo"]
    dup = await repo.get(G, b)
    assert dup.status == "duplicate" and dup.duplicate_of == a
    assert [h.status for h in await repo.history(G, b)] == ["new", "duplicate"]


async def test_candidates_are_bounded_and_open_only(repo) -> None:
    ids = [await repo.create_item(new(f"i{n}"), [], {"shared": 1, f"own{n}": 1}) for n in range(6)]
    await repo.set_status(G, ids[0], "shipped", 9, "", T0)
    found = await repo.index.candidates(G, ["shared"], open_only=True, limit=3)
    assert len(found.vectors) == 3 and ids[0] not in found.vectors
    df, n = await repo.index.doc_freqs(G)
    assert df["shared"] == 6 and df["own0"] == 1 and n == 6
    assert all(v["shared"] == 1 and len(v) == 2 for v in found.vectors.values())
    assert set(found.rows) == set(found.vectors)
    assert found.rows[ids[5]][:3] == ("i5", "new", 1)
    assert (await repo.index.candidates(G + 1, ["shared"], open_only=False, limit=10)).vectors == {}


async def test_digest_figures_periods(repo) -> None:
    start, end = T0, T0 + timedelta(days=7)
    prev = T0 - timedelta(days=7)
    old = await repo.create_item(
        new("old", at=prev + timedelta(days=1)), [("docs", 0.9, "rule")], {}
    )
    a = await repo.create_item(new("a", at=T0 + timedelta(days=1)), [("docs", 0.9, "rule")], {})
    b = await repo.create_item(new("b", at=T0 + timedelta(days=2)), [("auth", 0.7, "rule")], {})
    await repo.create_item(new("late", at=end), [("auth", 0.7, "rule")], {})
    await repo.add_vote(G, a, 5, T0)
    await repo.set_status(G, old, "shipped", 9, "done", T0 + timedelta(days=3))
    figures = await repo.digest_figures(G, start, end, prev)
    assert figures.new_items == 2
    assert figures.tag_counts == {"docs": 1, "auth": 1}
    assert figures.prev_tag_counts == {"docs": 1}
    # Votes cast in the window only: "late" and its reporter's vote come at the end.
    assert figures.top_open == [(a, "a", 2), (b, "b", 1)]
    assert figures.shipped == [(old, "old", ["Ada"])]


async def test_export_rows_since_and_scoped(repo) -> None:
    await repo.create_item(new("early", at=T0), [("docs", 0.9, "rule")], {})
    late = await repo.create_item(
        new("late", at=T0 + timedelta(days=2)), [("ai", 0.6, "model")], {}
    )
    await repo.create_item(new("elsewhere", guild=G + 1), [], {})
    rows = await repo.export_rows(G, T0 + timedelta(days=1))
    assert [r.id for r in rows] == [late] and rows[0].tags == [("ai", 0.6, "model")]
    assert len(await repo.export_rows(G, None)) == 2


async def test_create_item_finding_similar_reads_before_inserting(repo) -> None:
    a = await repo.create_item(new("a"), [], {"shared": 1, "x": 2})
    b = await repo.create_item(new("b"), [], {"shared": 1})
    await repo.set_status(G, b, "declined", 9, "", T0)
    item_id, found = await repo.create_item_finding_similar(new("c"), [], ["shared"], limit=5)
    assert set(found.vectors) == {a}  # not the closed item, not the new one
    assert found.vectors[a] == {"shared": 1, "x": 2}
    # The new item's terms are pending until written (0009), then counted once.
    assert await repo.index.pending_index() == [(G, item_id, "c", "")]
    df, n = await repo.index.doc_freqs(G)
    assert df["shared"] == 2 and n == 3 and item_id == 3
    await repo.index.write_terms(G, item_id, {"shared": 1})
    await repo.index.write_terms(G, item_id, {"shared": 1})  # a retry changes nothing
    assert await repo.index.pending_index() == []
    df, n = await repo.index.doc_freqs(G)
    assert df["shared"] == 3 and n == 3
    found = await repo.index.candidates(G, ["shared"], open_only=True, limit=5)
    assert set(found.vectors) == {a, item_id}


async def test_lookup_reads_each_terms_newest_postings_and_ranks_by_terms_shared(repo) -> None:
    both = await repo.create_item(new("both"), [], {"alpha": 1, "beta": 1})
    newer = [await repo.create_item(new(f"n{n}"), [], {"alpha": 1}) for n in range(3)]
    # Sharing two of the terms beats being newer; then newest first.
    found = await repo.index.candidates(G, ["alpha", "beta"], open_only=True, limit=3)
    assert list(found.rows) == [both, newer[2], newer[1]]
    # Each term contributes only its newest postings: "both" is too old under alpha alone.
    capped = await repo.index.candidates(G, ["alpha"], open_only=True, limit=5, per_term=3)
    assert set(capped.rows) == set(newer)
    item_id, similar = await repo.create_item_finding_similar(
        new("again"), [("docs", 0.5, "rule")], ["beta", "alpha"], limit=2
    )
    assert list(similar.rows) == [both, newer[2]] and item_id not in similar.rows
    assert await repo.tags_of(G, item_id) == [("docs", 0.5, "rule")]


async def test_autocomplete_by_id_prefix_by_text_and_with_nothing_typed(repo) -> None:
    ids = [await repo.create_item(new(f"item {n}"), [], {}) for n in range(1, 31)]
    await repo.create_item(new("item elsewhere", guild=G + 1), [], {})
    # Discord takes at most 25 choices: the newest 25 of this guild.
    assert [s.id for s in await repo.autocomplete(G, "  ")] == ids[::-1][:25]
    assert [s.id for s in await repo.autocomplete(G, "#1")] == [19, 18, 17, 16, 15, 14, 13,
                                                                  12, 11, 10, 1]  # fmt: skip
    assert [s.id for s in await repo.autocomplete(G, "3")] == [30, 3]
    first = (await repo.autocomplete(G, "#3"))[-1]
    assert (first.id, first.summary, first.status, first.votes) == (3, "item 3", "new", 1)
    assert first.created_at == T0


async def test_autocomplete_text_matches_percent_underscore_and_backslash_literally(repo) -> None:
    summaries = ["100% broken", "1000 broken", "a_b", "axb", "back\\slash", "backslash"]
    for summary in summaries:
        await repo.create_item(new(summary), [], {})

    async def found(text: str) -> list[str]:
        return [s.summary for s in await repo.autocomplete(G, text)]

    assert await found("0% b") == ["100% broken"]
    assert await found("a_b") == ["a_b"]
    assert await found("k\\s") == ["back\\slash"]
    assert await found("BROKEN") == ["1000 broken", "100% broken"]  # LIKE ignores case
    # Only a leading "#" is an id marker: "Xbox" is not "box".
    await repo.create_item(new("Xbox controller drops"), [], {})
    await repo.create_item(new("box art missing"), [], {})
    assert await found("Xbox") == ["Xbox controller drops"]


async def test_list_items_filters_by_status_and_tag_and_sorts_by_votes(repo) -> None:
    a = await repo.create_item(new("a"), [("docs", 0.9, "rule")], {})
    b = await repo.create_item(new("b"), [("auth", 0.7, "rule")], {})
    c = await repo.create_item(new("c"), [("docs", 0.8, "rule")], {})
    dup = await repo.create_item(new("dup"), [("docs", 0.8, "rule")], {})
    for voter in (2, 3):
        await repo.add_vote(G, b, voter, T0)
    await repo.add_vote(G, a, 2, T0)
    await repo.set_status(G, c, "planned", 9, "", T0)
    await repo.merge(G, dup, a, 9, "same", T0)

    async def listed(**filters: object) -> tuple[list[int], int]:
        options = {"tag": None, "status": None, "sort": "new", "offset": 0, "limit": 10}
        summaries, total = await repo.list_items(G, **{**options, **filters})
        return [s.id for s in summaries], total

    assert await listed() == ([c, b, a], 3)  # the duplicate lives on in its target
    assert await listed(sort="votes") == ([b, a, c], 3)  # 3 votes, 2 (+1 merged in), 1
    assert await listed(status="planned") == ([c], 1)
    assert await listed(status="duplicate") == ([dup], 1)
    assert await listed(tag="docs") == ([c, a], 2)
    assert await listed(tag="docs", status="new") == ([a], 1)
    assert await listed(sort="votes", offset=1, limit=1) == ([a], 3)


async def test_most_voted_open_only_and_in_a_window(repo) -> None:
    early = await repo.create_item(new("early", at=T0 - timedelta(days=3)), [], {})
    shipped = await repo.create_item(new("shipped"), [], {})
    dup = await repo.create_item(new("dup"), [], {})
    late = await repo.create_item(new("late", at=T0 + timedelta(days=3)), [], {})
    for voter in (2, 3, 4):
        await repo.add_vote(G, shipped, voter, T0)
    for voter in (2, 3):
        await repo.add_vote(G, early, voter, T0)
        await repo.add_vote(G, dup, voter, T0)
    await repo.set_status(G, shipped, "shipped", 9, "", T0)
    await repo.merge(G, dup, late, 9, "same", T0)  # late: 1 + 2 votes moved in

    async def ids(**kwargs: object) -> list[int]:
        return [s.id for s in await repo.most_voted(G, limit=10, **kwargs)]

    assert await ids() == [shipped, late, early]
    assert await ids(open_only=True) == [late, early]
    window = {"start": T0 - timedelta(days=1), "end": T0 + timedelta(days=1)}
    assert await ids(**window) == [shipped]
    assert await ids(start=window["start"]) == [shipped, late, early]  # both ends, or neither


async def test_history_and_reporters_keep_who_and_why(repo) -> None:
    a = await repo.create_item(new("a", reporter=7, name="Ada"), [], {})
    b = await repo.create_item(new("b", reporter=8, name="Bo"), [], {})
    await repo.set_status(G, a, "planned", 9, "next sprint", T0 + timedelta(hours=1))
    await repo.merge(G, b, a, 10, "same bug", T0 + timedelta(hours=2))
    assert [(h.status, h.actor_id, h.note, h.created_at) for h in await repo.history(G, a)] == [
        ("new", 7, "captured (command)", T0),
        ("planned", 9, "next sprint", T0 + timedelta(hours=1)),
    ]
    assert [(h.status, h.actor_id, h.note) for h in await repo.history(G, b)][-1] == (
        "duplicate",
        10,
        "same bug",
    )
    assert [(r.user_id, r.display_name) for r in await repo.reporters(G, a)] == [
        (7, "Ada"),
        (8, "Bo"),
    ]


async def test_by_message_finds_the_item_of_that_guilds_message(repo) -> None:
    a = await repo.create_item(new("a", message_id=77), [("docs", 0.9, "rule")], {})
    other = await repo.create_item(new("other", guild=G + 1, message_id=77), [], {})
    found = await repo.by_message(G, 77)
    assert (found.id, found.summary, found.tags) == (a, "a", [("docs", 0.9, "rule")])
    assert (await repo.by_message(G + 1, 77)).id == other
    assert await repo.by_message(G, 78) is None


async def test_forum_thread_and_link_are_stored_on_the_item(repo) -> None:
    a = await repo.create_item(new("a"), [], {})
    b = await repo.create_item(new("b"), [], {})
    later = T0 + timedelta(hours=1)
    await repo.set_forum_thread(G, a, 555)
    await repo.set_link(G, a, "https://github.com/acme/sdk/issues/1", later)
    item = await repo.get(G, a)
    assert (item.forum_thread_id, item.link_url, item.updated_at) == (
        555,
        "https://github.com/acme/sdk/issues/1",
        later,
    )
    untouched = await repo.get(G, b)
    assert (untouched.forum_thread_id, untouched.link_url, untouched.updated_at) == (None, None, T0)


async def test_reporters_by_item_since_a_date_in_report_order(repo) -> None:
    a = await repo.create_item(new("a", reporter=7, name="Ada"), [], {})
    b = await repo.create_item(new("b", at=T0 + timedelta(days=2), reporter=8, name="Bo"), [], {})
    c = await repo.create_item(new("c", at=T0 + timedelta(days=2), reporter=9, name="Cy"), [], {})
    await repo.create_item(new("elsewhere", guild=G + 1, reporter=6, name="Eve"), [], {})
    await repo.merge(G, c, b, 1, "same", T0 + timedelta(days=3))
    ada, bo, cy = Reporter(7, "Ada"), Reporter(8, "Bo"), Reporter(9, "Cy")
    assert await repo.reporters_by_item(G, None) == {a: [ada], b: [bo, cy], c: [cy]}
    assert await repo.reporters_by_item(G, T0 + timedelta(days=2)) == {b: [bo, cy], c: [cy]}


async def test_who_was_told_is_recorded_once_per_person(repo) -> None:
    a = await repo.create_item(new("a"), [], {})
    await repo.record_told(G, a, [7, 8], T0)
    await repo.record_told(G, a, [8, 9], T0 + timedelta(hours=1))  # 8 was told already
    rows = await repo._db.fetchall(
        "SELECT guild_id, item_id, user_id, told_at FROM feedback_told ORDER BY user_id"
    )
    assert [tuple(r) for r in rows] == [
        (G, a, 7, "2026-05-04T09:00:00.000000Z"),
        (G, a, 8, "2026-05-04T09:00:00.000000Z"),
        (G, a, 9, "2026-05-04T10:00:00.000000Z"),
    ]


async def test_areas_are_replaced_whole_in_the_given_order_per_guild(repo) -> None:
    await repo.set_areas(G, ["api", "docs", "billing"])
    await repo.set_areas(G + 1, ["elsewhere"])
    assert await repo.areas(G) == ["api", "docs", "billing"]
    await repo.set_areas(G, ["docs", "api"])
    assert await repo.areas(G) == ["docs", "api"]
    assert await repo.areas(G + 1) == ["elsewhere"]


async def test_count_new_before_counts_only_items_still_new_and_older(repo) -> None:
    hour = timedelta(hours=1)
    await repo.create_item(new("old"), [], {})
    await repo.create_item(new("recent", at=T0 + hour), [], {})
    triaged = await repo.create_item(new("triaged"), [], {})
    await repo.set_status(G, triaged, "planned", 9, "", T0)
    await repo.create_item(new("elsewhere", guild=G + 1), [], {})
    assert await repo.count_new_before(G, T0 + hour) == 1  # "recent" is not before
    assert await repo.count_new_before(G, T0 + hour + timedelta(microseconds=1)) == 2


async def test_an_item_reads_back_field_for_field_as_item_from_new_builds_it(repo) -> None:
    # Every column set, each to a different value, so a field read back wrong or as
    # NULL shows; item_from_new is what the capture shows without reading it back.
    item = replace(
        new("Go SDK", message_id=42, reporter=7),
        details="panics on nil",
        product_area="api-sdk",
        captured_by_id=3,
        source_url="https://discord.com/channels/10/5/42",
    )
    # Best score first, ties by name: neither the order given nor alphabetical order.
    tags = [("api-sdk", 0.5, "rule"), ("docs", 0.8, "model"), ("billing", 0.8, "rule")]
    item_id = await repo.create_item(item, tags, {})
    assert await repo.get(G, item_id) == item_from_new(item_id, item, tags)


async def test_digest_figures_show_three_top_items_the_links_and_reporterless_shipped(repo) -> None:
    start, end = T0, T0 + timedelta(days=7)
    day = timedelta(days=1)
    top = [await repo.create_item(new(f"top{n}"), [], {}) for n in range(4)]
    for n, item_id in enumerate(top):  # 4, 3, 2 and 1 votes in the window
        for voter in range(100, 103 - n):
            await repo.add_vote(G, item_id, voter, T0 + day)
    linked = await repo.create_item(new("linked"), [], {})
    forgotten = await repo.create_item(new("forgotten"), [], {})
    url = "https://github.com/acme/sdk/issues/7"
    await repo.set_link(G, linked, url, T0 + day)
    for item_id in (linked, forgotten):
        await repo.set_status(G, item_id, "shipped", 9, "", T0 + 2 * day)
    # The reporter asked to be forgotten (/privacy): the shipped item has nobody to name.
    await repo._db.execute("DELETE FROM feedback_reporters WHERE item_id = ?", (forgotten,))
    figures = await repo.digest_figures(G, start, end, start - 7 * day)
    assert figures.top_open == [(top[0], "top0", 4), (top[1], "top1", 3), (top[2], "top2", 2)]
    assert figures.shipped == [(linked, "linked", ["Ada"]), (forgotten, "forgotten", [])]
    assert figures.shipped_links == {linked: url}


async def test_tag_counts_leave_out_merged_duplicates(repo) -> None:
    # A duplicate lives on in its target: counting its tags too would count one report twice.
    a = await repo.create_item(new("a"), [("docs", 0.9, "rule")], {})
    dup = await repo.create_item(new("dup"), [("docs", 0.8, "rule"), ("auth", 0.7, "rule")], {})
    await repo.merge(G, dup, a, 9, "same", T0)
    assert await repo.tag_counts_between(G, T0, T0 + timedelta(days=1)) == {"docs": 1}
