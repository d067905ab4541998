from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.feedback.capture import FeedbackService, summary_from_text, validate_link
from services.feedback.export import export_guild
from services.feedback.tags import FeedbackTags
from services.time.clock import FixedClock
from storage.database import Database
from storage.feedback.items import FeedbackRepository
from storage.feedback.tags import FeedbackTagRepository

G = 111
OTHER = 222
START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def service(db: Database, clock: FixedClock, **kw) -> FeedbackService:
    items = FeedbackRepository(db)
    tags = FeedbackTags(FeedbackTagRepository(db), items, clock)
    return FeedbackService(items, clock, tags=tags, **kw)


@pytest.fixture
async def svc(db: Database, clock: FixedClock) -> AsyncIterator[FeedbackService]:
    made = service(db, clock, name_lookup=lambda g, u: f"user{u}")
    yield made
    await made.index.flush()  # before the database closes, as the bot does


async def submit(svc: FeedbackService, summary: str, details: str = "", **kw):
    args = {
        "guild_id": G,
        "source": "command",
        "reporter_id": 1,
        "reporter_name": "Ada",
        "captured_by_id": 1,
        "summary": summary,
        "details": details,
    }
    args.update(kw)
    return await svc.capture(**args)


async def test_capture_tags_extracts_fields_and_counts_reporter_vote(svc) -> None:
    r = await submit(
        svc,
        "Python SDK throws 401 on login",
        "With acme-sdk 2.3.1 I get HTTP 401 unauthorized when the OAuth token refreshes.",
    )
    item = r.item
    assert r.created and item.status == "new" and item.votes == 1
    assert "auth" in item.tag_names
    assert all(src == "rule" for _, _, src in item.tags)
    assert item.fields["language"] == "python"
    assert "2.3.1" in item.fields["versions"]
    assert "HTTP 401" in item.fields["error_codes"]
    card = await svc.card(G, item.id)
    assert [h.status for h in card.history] == ["new"]
    assert [rep.display_name for rep in card.reporters] == ["Ada"]


async def test_similar_open_items_are_found_and_unrelated_are_not(svc) -> None:
    first = await submit(
        svc, "Webhook retries are not documented", "No docs on webhook retry backoff"
    )
    await submit(svc, "Dark mode for the dashboard please")
    again = await submit(svc, "Docs for webhook retry backoff missing", "webhook retries docs?")
    assert [s.id for s in again.similar] == [first.item.id]
    other = await submit(svc, "Pricing page confusing for teams")
    assert other.similar == []


async def test_the_cached_index_counts_match_sqlite(svc) -> None:
    await submit(svc, "Webhook retries undocumented", "webhook retry docs")
    await submit(svc, "Webhook signing docs")  # loads the counts, then keeps them current
    await submit(svc, "Grafana webhook panel")
    await svc.index.flush()
    assert await svc.index.counts(G) == await svc.index.repo.doc_freqs(G)


async def test_same_message_twice_is_one_item_and_a_vote(svc) -> None:
    a = await submit(svc, "Slow builds", source="reaction", message_id=999, captured_by_id=7)
    b = await submit(svc, "Slow builds", source="reaction", message_id=999, captured_by_id=8)
    assert not b.created and b.item.id == a.item.id and b.vote_added
    c = await submit(svc, "Slow builds", source="reaction", message_id=999, captured_by_id=8)
    assert not c.created and not c.vote_added and c.item.votes == 2


async def test_a_capture_race_on_one_message_becomes_a_vote(svc, monkeypatch) -> None:
    first = await submit(svc, "Slow builds", source="reaction", message_id=5, captured_by_id=7)

    async def not_seen_yet(guild_id, message_id):
        return None  # as if the other capture committed after this one looked

    monkeypatch.setattr(svc.repo, "by_message", not_seen_yet)
    second = await submit(svc, "Slow builds", source="reaction", message_id=5, captured_by_id=8)
    assert not second.created and second.item.id == first.item.id and second.vote_added


async def test_votes_count_once_per_member(svc) -> None:
    item = (await submit(svc, "CLI needs a --json flag")).item
    assert (await svc.vote(G, item.id, 1)).added is False  # the reporter already counts
    first = await svc.vote(G, item.id, 2)
    second = await svc.vote(G, item.id, 2)
    assert first.added and not second.added
    assert (await svc.item(G, item.id)).votes == 2


async def test_status_history_and_recipients(svc, clock) -> None:
    item = (await submit(svc, "Add Go SDK")).item
    await svc.vote(G, item.id, 2)
    await svc.vote(G, item.id, 3)
    clock.advance(hours=1)
    change = await svc.set_status(G, item.id, "planned", actor_id=3, note="Q3")
    assert change.old_status == "new" and change.item.status == "planned"
    assert change.recipients == [1, 2]  # the advocate who changed it isn't told
    card = await svc.card(G, item.id)
    assert [(h.status, h.actor_id, h.note) for h in card.history][-1] == ("planned", 3, "Q3")
    with pytest.raises(Conflict):
        await svc.set_status(G, item.id, "planned", 3, None)
    with pytest.raises(InvalidInput):
        await svc.set_status(G, item.id, "done", 3, None)


async def test_merge_moves_votes_and_reporters(svc) -> None:
    keep = (await submit(svc, "Rate limit docs unclear")).item
    dup = (await submit(svc, "429 docs", reporter_id=5, reporter_name="Bo")).item
    await svc.vote(G, dup.id, 6)
    await svc.vote(G, dup.id, 1)  # already voted on keep: counted once
    merged = await svc.merge(G, dup.id, keep.id, actor_id=9)
    assert merged.votes == 3  # users 1, 5, 6
    card = await svc.card(G, keep.id)
    assert [r.display_name for r in card.reporters] == ["Ada", "Bo"]
    old = await svc.item(G, dup.id)
    assert old.status == "duplicate" and old.duplicate_of == keep.id
    vote = await svc.vote(G, dup.id, 7)  # votes on a duplicate land on its target
    assert vote.item.id == keep.id and vote.redirected_from == dup.id
    with pytest.raises(InvalidInput):
        await svc.merge(G, keep.id, keep.id, 9)
    with pytest.raises(Conflict):
        await svc.merge(G, dup.id, keep.id, 9)


async def test_other_guild_items_are_not_found(svc) -> None:
    item = (await submit(svc, "Onboarding tutorial broken")).item
    with pytest.raises(NotFound):
        await svc.item(OTHER, item.id)
    with pytest.raises(NotFound):
        await svc.vote(OTHER, item.id, 2)
    with pytest.raises(NotFound):
        await svc.set_status(OTHER, item.id, "shipped", 2, None)


async def test_links_only_http(svc) -> None:
    item = (await submit(svc, "Trace ids in errors")).item
    linked = await svc.link(G, item.id, " https://github.com/acme/sdk/issues/12 ")
    assert linked.link_url == "https://github.com/acme/sdk/issues/12"
    for bad in ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "ftp://x.org/a", "data:text/html,x",
                "https://", "", "//evil.com/x"]:  # fmt: skip
        with pytest.raises(InvalidInput):
            validate_link(bad)


async def test_input_limits(svc) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        await submit(svc, "   ")
    with pytest.raises(InvalidInput, match="100"):
        await submit(svc, "x" * 101)
    with pytest.raises(InvalidInput, match="2000"):
        await submit(svc, "ok", "y" * 2001)
    assert len(summary_from_text("word " * 60)) <= 100


async def test_product_areas_when_configured(svc) -> None:
    assert (await submit(svc, "a", product_area="Anything")).item.product_area == "Anything"
    assert await svc.set_areas(G, "Dashboard, CLI , , cli") == ["Dashboard", "CLI"]
    assert (await submit(svc, "b", product_area="dashboard")).item.product_area == "Dashboard"
    with pytest.raises(InvalidInput, match="Dashboard, CLI"):
        await submit(svc, "c", product_area="Billing")


async def test_retag_stores_correction_and_teaches_the_model(svc, db) -> None:
    texts = [
        "Grafana panel keeps flickering",
        "Our grafana board flickers on refresh",
        "Grafana plugin panel is blank",
        "Flickering grafana chart in the panel",
    ]
    ids = [(await submit(svc, t)).item.id for t in texts]
    for i in ids:
        await svc.tags.retag(G, i, actor_id=9, add=["integrations"], remove=[])
    others = ["Pricing tiers confusing", "Billing invoice wrong", "Seat pricing too high"]
    for t in others:
        o = (await submit(svc, t)).item
        await svc.tags.retag(G, o.id, actor_id=9, add=[], remove=["pricing"])
    assert await svc.tags.repo.corrections_count(G) == 7
    # A fresh service (as after a restart) reads the model back from SQLite.
    fresh = service(db, svc.clock)
    new = (await submit(fresh, "grafana panel flickering again")).item
    assert ("integrations", "model") in [(t, src) for t, _, src in new.tags]
    with pytest.raises(InvalidInput, match="Unknown tag"):
        await svc.tags.retag(G, ids[0], 9, add=["nope"], remove=[])


async def test_custom_tags_tag_new_items(svc) -> None:
    await svc.tags.add_custom_tag(G, "billing-portal", "billing portal, invoice")
    item = (await submit(svc, "The invoice download fails")).item
    assert "billing-portal" in item.tag_names
    infos = {t.name: t for t in await svc.tags.tag_infos(G)}
    assert infos["billing-portal"].items == 1 and infos["billing-portal"].custom
    with pytest.raises(InvalidInput):
        await svc.tags.add_custom_tag(G, "Bad Name!", "x")
    with pytest.raises(InvalidInput):
        await svc.tags.remove_custom_tag(G, "docs")
    await svc.tags.remove_custom_tag(G, "billing-portal")
    assert "billing-portal" not in await svc.tags.known_tags(G)


async def test_guilds_without_custom_tags_share_one_tagger_and_custom_tags_stay_apart(
    svc, db
) -> None:
    """A guild's own tags must reach only that guild, while guilds with none share the
    plain tagger (one per guild was ~1,700 objects each for the collector to walk)."""
    third = 333
    plain = await svc.tags.tagger(OTHER)
    assert await svc.tags.tagger(third) is plain
    await svc.tags.add_custom_tag(G, "billing-portal", "billing portal, invoice")
    mine = await svc.tags.tagger(G)
    assert mine is not plain and "billing-portal" in mine.tag_names
    assert "billing-portal" not in plain.tag_names
    assert (
        "billing-portal"
        not in (await submit(svc, "The invoice fails", guild_id=OTHER)).item.tag_names
    )
    assert "billing-portal" in (await submit(svc, "The invoice fails")).item.tag_names
    # After a restart the guild's tags come back from the database, not the shared tagger.
    fresh = service(db, svc.clock)
    assert "billing-portal" in (await fresh.tags.tagger(G)).tag_names
    assert (await fresh.tags.tagger(G)) is not (await fresh.tags.tagger(OTHER))
    # Removing the guild's last tag of its own puts it back on the shared one.
    await svc.tags.remove_custom_tag(G, "billing-portal")
    assert await svc.tags.tagger(G) is plain


async def test_list_search_trends(svc, clock) -> None:
    old = (await submit(svc, "Docs search returns nothing", "the docs search is broken")).item
    clock.advance(days=31)
    for n in range(12):
        await submit(svc, f"Slow deploys number {n}", "deploy is slow, takes minutes")
    page = await svc.list_page(G, tag=None, status=None, sort="recent", page=0)
    assert page.total == 13 and page.pages == 2 and len(page.items) == 10
    found = await svc.search(G, "docs search")
    assert found and found[0][0].id == old.id
    t = await svc.trends(G, 30)
    perf = {x.tag: x for x in t.tags}["performance"]
    assert perf.count == 12 and perf.previous == 0 and perf.change_pct is None
    assert {x.tag: x for x in t.tags}["docs"].previous == 1


async def test_digest_figures(svc, clock) -> None:
    a = (await submit(svc, "Docs missing for webhooks", reporter_name="Ada")).item
    clock.advance(days=1)
    await svc.set_status(G, a.id, "shipped", 9, "out now")
    figures = await svc.repo.digest_figures(
        G, START, datetime(2026, 3, 9, tzinfo=UTC), datetime(2026, 2, 23, tzinfo=UTC)
    )
    assert figures.new_items == 1
    assert figures.tag_counts.get("docs") == 1 and figures.prev_tag_counts == {}
    assert figures.shipped == [(a.id, "Docs missing for webhooks", ["Ada"])]
    assert figures.top_open == []


async def test_plus_one_instead_permission(svc) -> None:
    a = (await submit(svc, "Webhook signing docs")).item
    b = (await submit(svc, "Webhook signing documentation", reporter_id=5)).item
    with pytest.raises(NotAllowed):
        await svc.plus_one_instead(G, b.id, a.id, user_id=6, advocate=False)
    merged = await svc.plus_one_instead(G, b.id, a.id, user_id=5, advocate=False)
    assert merged.votes == 2


async def test_office_hours_seam(svc) -> None:
    result = await svc.capture_from_office_hours(
        guild_id=G, reporter_id=42, captured_by_id=1, text="How do I paginate?", source_url=None
    )
    item = result.item
    assert result.created and result.similar == []
    assert item.id and item.source == "office-hours" and item.reporter_name == "user42"


async def test_export_csv_and_json(svc, db) -> None:
    item = (await submit(svc, "=HYPERLINK(bad) export", "details, with comma")).item
    await svc.link(G, item.id, "https://x.org/1")
    await submit(svc, "other guild", guild_id=OTHER)
    text = await export_guild(db, G, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    assert rows[0]["summary"].startswith("'=HYPERLINK")
    assert rows[0]["details"] == "details, with comma"
    assert rows[0]["link_url"] == "https://x.org/1"
    data = json.loads(await export_guild(db, G, "json"))
    assert data[0]["id"] == item.id and data[0]["reporters"] == [{"id": 1, "name": "Ada"}]


async def test_invisible_summaries_are_empty_and_overrides_dropped(svc) -> None:
    for text in ["\u200b\u200c\u200d\u2060\ufeff", "\u202e\u200f", " \t "]:
        with pytest.raises(InvalidInput, match="summary is empty"):
            await submit(svc, text)
    item = (await submit(svc, "Docs \u202eexe.txt\u202c page", "\u200b")).item
    assert item.summary == "Docs exe.txt page" and item.details == ""
    assert (await submit(svc, "Love the SDK 👩\u200d💻")).item.summary.endswith("👩\u200d💻")


async def test_index_terms_are_written_right_behind_the_capture(svc) -> None:
    """The reply doesn't wait for the new item's index terms, but nothing overtakes their
    write: a capture straight after still finds the first item as similar."""
    first = await submit(svc, "Webhook retries undocumented", "webhook retry docs")
    second = await submit(svc, "Docs for webhook retry backoff", "webhook retries?")
    assert [s.id for s in second.similar] == [first.item.id]
    await svc.index.flush()
    assert await svc.index.repo.pending_index() == []
    df, n = await svc.index.repo.doc_freqs(G)
    assert n == 2 and df["webhook"] == 2
    assert await svc.index.write_pending() == 0
