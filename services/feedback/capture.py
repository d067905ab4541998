"""Feedback rules: capture, dedupe, votes, status, merge, search, trends.

Every capture path (command, message menu, reaction, office hours) ends in ``capture``,
which tags the text with the rules, the guild's custom tags and the guild's learnt naive
Bayes model (all kept by ``services.feedback.tags``), pulls out fields, looks for similar
open items through the SQLite term index (``services.feedback.index``), and stores the item
and its tags in one statement. The item's own index terms are derived data: they are
written by a second statement queued right behind the first, so the reply doesn't wait for
them (see ``FeedbackIndex.add``). Nothing here talks to Discord: the cog delivers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from services.feedback.export import ExportFile, export_file
from services.feedback.index import FeedbackIndex, item_text
from services.tagging import similarity
from services.tagging.bayes import tokens_for
from services.text import BIDI_CONTROLS, clean_summary, is_blank
from services.time.clock import Clock
from services.worker_process import Worker
from storage.feedback.index import Candidates
from storage.feedback.items import (
    OPEN_STATUSES,
    AlreadyCaptured,
    FeedbackItem,
    FeedbackRepository,
    HistoryEntry,
    ItemSummary,
    NewItem,
    Reporter,
    item_from_new,
)
from storage.timeutil import from_db

if TYPE_CHECKING:
    # A type only: services.feedback.tags imports ``find_item`` from here at run time.
    from services.feedback.tags import FeedbackTags

log = logging.getLogger(__name__)

STATUSES = ("new", "acknowledged", "planned", "in-progress", "shipped", "declined", "duplicate")
SOURCES = ("command", "message", "reaction", "office-hours", "survey")
MAX_SUMMARY = 100
MAX_DETAILS = 2000
# A captured message keeps its whole text; Discord allows up to 4000 characters with Nitro.
MAX_MESSAGE_TEXT = 4000
MAX_NOTE = 500
MAX_URL = 500
MAX_AREAS = 25
MAX_AREA_CHARS = 40
PAGE_SIZE = 10
# The most similar open items a capture's lookup reads.
CANDIDATE_LIMIT = 4
MAX_TRENDS_DAYS = 365


@dataclass(frozen=True)
class SimilarItem:
    id: int
    summary: str
    status: str
    votes: int
    score: float


@dataclass
class CaptureResult:
    item: FeedbackItem
    created: bool
    # When the message was captured before: did this capture add a vote?
    vote_added: bool = False
    similar: list[SimilarItem] = field(default_factory=list)


@dataclass(frozen=True)
class VoteResult:
    item: FeedbackItem
    added: bool
    # Votes on a duplicate go to the item it was merged into.
    redirected_from: int | None = None


@dataclass(frozen=True)
class StatusChange:
    item: FeedbackItem
    old_status: str
    note: str
    # Reporters and voters to tell, without the advocate who made the change.
    recipients: list[int]


@dataclass(frozen=True)
class ItemCard:
    item: FeedbackItem
    history: list[HistoryEntry]
    reporters: list[Reporter]


@dataclass(frozen=True)
class Page:
    items: list[ItemSummary]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class TagTrend:
    tag: str
    count: int
    previous: int

    @property
    def change_pct(self) -> float | None:
        """Change against the previous period in %, or None when it had no items."""
        if self.previous == 0:
            return None
        return round((self.count - self.previous) * 100.0 / self.previous, 1)


@dataclass(frozen=True)
class Trends:
    days: int
    start: datetime
    end: datetime
    tags: list[TagTrend]
    new_items: int
    previous_items: int
    top: list[ItemSummary]


def summary_from_text(text: str) -> str:
    """A default summary for a captured message: its first non-empty line, cut at a word."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    first = clean_summary(first.replace("```", " "))
    if len(first) <= MAX_SUMMARY:
        return first
    cut = first[: MAX_SUMMARY - 1]
    if " " in cut[40:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"


def validate_link(url: str) -> str:
    """Only http(s) URLs with a host: a link is shown as a button, so no javascript: etc."""
    candidate = url.strip()
    if not candidate:
        raise InvalidInput("The link is empty. Paste a full URL such as https://github.com/o/r/1.")
    if len(candidate) > MAX_URL:
        raise InvalidInput(f"That link is longer than {MAX_URL} characters; use a shorter URL.")
    try:
        parts = urlsplit(candidate)
    except ValueError as exc:
        raise InvalidInput(
            "That isn't a valid URL. Paste a full http or https link, such as "
            "https://github.com/org/repo/issues/12."
        ) from exc
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise InvalidInput(
            "Only http and https links can be attached. Paste a full link such as "
            "https://github.com/org/repo/issues/12."
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in candidate):
        raise InvalidInput("A link can't contain spaces or control characters.")
    return candidate


def parse_tag_list(raw: str | None) -> list[str]:
    if not raw:
        return []
    out: list[str] = []
    for part in re.split(r"[,\s]+", raw.strip().lower()):
        name = part.strip().lstrip("#`").rstrip("`")
        if name and name not in out:
            out.append(name)
    return out


def _item_summary(item_id: int, row: tuple[str, str, int, str]) -> ItemSummary:
    summary, status, votes, created_at = row
    return ItemSummary(item_id, summary, status, votes, from_db(created_at))


def split_summary(text: str) -> tuple[str, str]:
    """One text as a capture's summary and details: as many whole words as fit the summary,
    the rest as details (for text that arrives in one piece, such as a corpus line)."""
    text = " ".join(text.split())
    if len(text) <= MAX_SUMMARY:
        return text, ""
    cut = text.rfind(" ", 0, MAX_SUMMARY + 1)
    if cut <= 0:
        cut = MAX_SUMMARY
    return text[:cut].rstrip(), text[cut:].strip()


async def find_item(repo: FeedbackRepository, guild_id: int, item_id: int) -> FeedbackItem:
    """The item, or NotFound with one message wherever an item number is typed."""
    item = await repo.get(guild_id, item_id)
    if item is None:
        raise NotFound(
            f"There's no feedback item #{item_id} in this server. "
            "Find its number with `/feedback list` or `/feedback search`."
        )
    return item


NameLookup = Callable[[int, int], str | None]
CreatedHook = Callable[[FeedbackItem], Awaitable[None]]


class FeedbackService:
    def __init__(
        self,
        repo: FeedbackRepository,
        clock: Clock,
        *,
        tags: FeedbackTags,
        name_lookup: NameLookup | None = None,
        files: Worker | None = None,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.tags = tags
        self._name_lookup = name_lookup
        # Where big exports are built (a worker process in the bot; here when None).
        self._files = files
        self.index = FeedbackIndex(repo.index)
        # Set by the cog so items from other features (office hours) reach the forum too.
        self.on_created: CreatedHook | None = None

    # ------------------------------------------------------------------ capture

    async def capture(
        self,
        *,
        guild_id: int,
        source: str,
        reporter_id: int,
        reporter_name: str,
        captured_by_id: int,
        summary: str,
        details: str = "",
        product_area: str | None = None,
        channel_id: int | None = None,
        message_id: int | None = None,
        source_url: str | None = None,
        attachments: Sequence[str] = (),
        max_details: int = MAX_DETAILS,
    ) -> CaptureResult:
        if source not in SOURCES:
            raise ValueError(f"unknown capture source {source!r}")
        if message_id is not None:
            existing = await self.repo.by_message(guild_id, message_id)
            if existing is not None:
                # The same message again: one item, and the new capturer's +1.
                vote = await self._vote_on(existing, captured_by_id)
                return CaptureResult(vote.item, created=False, vote_added=vote.added)
        summary = clean_summary(summary)
        if not summary:
            raise InvalidInput("The summary is empty. Say in a few words what the feedback is.")
        if len(summary) > MAX_SUMMARY:
            raise InvalidInput(
                f"The summary is {len(summary)} characters; keep it to {MAX_SUMMARY} and put "
                "the rest in the details."
            )
        details = details.translate(BIDI_CONTROLS).strip()
        if is_blank(details):
            details = ""
        if len(details) > max_details:
            raise InvalidInput(
                f"The details are {len(details)} characters; the limit is {max_details}. "
                "Shorten them or link to a longer write-up."
            )
        area = await self._check_area(guild_id, product_area)
        text = item_text(summary, details)

        tagger = await self.tags.tagger(guild_id)
        model = await self.tags.model(guild_id)
        # Most guilds never retag: skip tokenising for a model that knows nothing yet.
        model_scores = model.scores(tokens_for(text)) if model.tag_docs else {}
        rules = tagger.tag(text)
        result = tagger.blend(rules, model_scores, model.suggested_weight())
        threshold = tagger.threshold
        rule_scores = rules.scores
        tags = [
            (
                name,
                result.scores[name],
                "model"
                if name in model_scores and rule_scores.get(name, 0.0) < threshold
                else "rule",
            )
            for name in result.tags
        ]

        terms = similarity.terms(text)
        await self.index.flush()  # the previous captures' terms, if still being written
        rare, df, n_docs = await self.index.lookup_terms(guild_id, terms)
        now = self.clock.now()
        new = NewItem(
            guild_id=guild_id,
            summary=summary,
            details=details,
            product_area=area,
            source=source,
            reporter_id=reporter_id,
            reporter_name=reporter_name[:100] or str(reporter_id),
            captured_by_id=captured_by_id,
            channel_id=channel_id,
            message_id=message_id,
            source_url=source_url,
            attachments=list(attachments),
            fields=result.fields.to_dict(),
            created_at=now,
        )
        try:
            # Candidates are read in the insert's transaction, before the new item exists.
            item_id, found = await self.repo.create_item_finding_similar(
                new, tags, rare, limit=CANDIDATE_LIMIT
            )
        except AlreadyCaptured as race:
            # Two people captured the same message at once: the later one is a vote.
            vote = await self.vote(guild_id, race.item_id, captured_by_id)
            return CaptureResult(vote.item, created=False, vote_added=vote.added)
        # Scored against the counts from before this item, as if it were not yet indexed.
        similar = self._offered(text, terms, found, df, n_docs)
        self.index.add(guild_id, item_id, terms)
        return CaptureResult(item_from_new(item_id, new, tags), created=True, similar=similar)

    async def similar_to(self, guild_id: int, summary: str, details: str = "") -> list[SimilarItem]:
        """The open items a capture of this text would offer, best first; nothing is stored.

        The same lookup and ranking as ``capture`` (``python bot.py similar`` measures it).
        """
        text = item_text(clean_summary(summary), details)
        terms = similarity.terms(text)
        await self.index.flush()
        rare, df, n_docs = await self.index.lookup_terms(guild_id, terms)
        found = await self.index.open_candidates(guild_id, rare, limit=CANDIDATE_LIMIT)
        return self._offered(text, terms, found, df, n_docs)

    def _offered(
        self, text: str, terms: dict[str, int], found: Candidates, df: dict[str, int], n_docs: int
    ) -> list[SimilarItem]:
        ranked = self.index.ranked(
            text,
            found,
            df,
            n_docs,
            threshold=similarity.DEFAULT_THRESHOLD,
            limit=similarity.DEFAULT_LIMIT,
            query_terms=terms,
        )
        return [
            SimilarItem(i, summary, status, votes, score)
            for i, score, (summary, status, votes, _) in ranked
        ]

    async def capture_from_office_hours(
        self,
        *,
        guild_id: int,
        reporter_id: int,
        captured_by_id: int,
        text: str,
        source_url: str | None,
    ) -> CaptureResult:
        """The office-hours "Convert to feedback" seam: the capture, with its similar items."""
        return await self._capture_seam(
            guild_id=guild_id,
            source="office-hours",
            reporter_id=reporter_id,
            reporter_name=None,
            captured_by_id=captured_by_id,
            text=text,
            details=text.strip(),
            source_url=source_url,
        )

    async def capture_from_survey(
        self,
        *,
        guild_id: int,
        reporter_id: int,
        reporter_name: str | None,
        captured_by_id: int,
        text: str,
        survey_title: str,
    ) -> CaptureResult:
        """The surveys' "Capture as feedback" seam: a free-text answer becomes an item.

        An anonymous answer has reporter 0 and the name the survey gives it.
        """
        return await self._capture_seam(
            guild_id=guild_id,
            source="survey",
            reporter_id=reporter_id,
            reporter_name=reporter_name,
            captured_by_id=captured_by_id,
            text=text,
            details=f"{text.strip()}\n\n(an answer to the survey: {survey_title})",
            source_url=None,
        )

    async def _capture_seam(
        self,
        *,
        guild_id: int,
        source: str,
        reporter_id: int,
        reporter_name: str | None,
        captured_by_id: int,
        text: str,
        details: str,
        source_url: str | None,
    ) -> CaptureResult:
        """A capture another feature asks for: the reporter's name looked up when not given,
        and the after-capture hook (the forum post) run as the command's capture runs it."""
        name = reporter_name
        if name is None and self._name_lookup is not None:
            name = self._name_lookup(guild_id, reporter_id)
        result = await self.capture(
            guild_id=guild_id,
            source=source,
            reporter_id=reporter_id,
            reporter_name=name or f"member {reporter_id}",
            captured_by_id=captured_by_id,
            summary=summary_from_text(text),
            details=details,
            source_url=source_url,
            max_details=MAX_MESSAGE_TEXT,
        )
        if result.created and self.on_created is not None:
            try:
                await self.on_created(result.item)
            except Exception:  # the item is saved; a failed forum post must not undo that
                log.exception("after-capture hook failed for feedback #%s", result.item.id)
        return result

    async def _check_area(self, guild_id: int, area: str | None) -> str | None:
        value = clean_summary(area or "")
        if not value:
            return None
        areas = await self.repo.areas(guild_id)
        if not areas:
            if len(value) > MAX_AREA_CHARS:
                raise InvalidInput(f"Keep the product area to {MAX_AREA_CHARS} characters.")
            return value
        for known in areas:
            if known.casefold() == value.casefold():
                return known
        raise InvalidInput(
            f"`{value[:40]}` isn't one of this server's product areas. Use one of: "
            f"{', '.join(areas)} (or leave it empty)."
        )

    # ------------------------------------------------------------------ items

    async def item(self, guild_id: int, item_id: int) -> FeedbackItem:
        return await find_item(self.repo, guild_id, item_id)

    async def card(self, guild_id: int, item_id: int) -> ItemCard:
        item = await self.item(guild_id, item_id)
        return ItemCard(
            item,
            await self.repo.history(guild_id, item_id),
            await self.repo.reporters(guild_id, item_id),
        )

    async def captured_item(self, guild_id: int, message_id: int) -> FeedbackItem | None:
        """The item a Discord message was captured as, if it was."""
        return await self.repo.by_message(guild_id, message_id)

    async def export_file(
        self, guild_id: int, fmt: str, since: datetime | None, stem: str
    ) -> ExportFile:
        """The guild's feedback as a file to upload, zipped when large (built off the loop)."""
        return await export_file(self.repo, guild_id, fmt, since, stem, self._files)

    async def autocomplete(self, guild_id: int, text: str) -> list[ItemSummary]:
        return await self.repo.autocomplete(guild_id, text[:100])

    # ------------------------------------------------------------------ votes

    async def vote(self, guild_id: int, item_id: int, user_id: int) -> VoteResult:
        return await self._vote_on(await self.item(guild_id, item_id), user_id)

    async def _vote_on(self, item: FeedbackItem, user_id: int) -> VoteResult:
        """A vote on ``item`` as read (a merged duplicate passes it on to what it was merged
        into)."""
        guild_id = item.guild_id
        redirected: int | None = None
        hops = 0
        while item.status == "duplicate" and item.duplicate_of is not None and hops < 5:
            redirected = redirected or item.id
            item = await self.item(guild_id, item.duplicate_of)
            hops += 1
        added = await self.repo.add_vote(guild_id, item.id, user_id, self.clock.now())
        if added:
            item.votes += 1
        return VoteResult(item, added, redirected)

    # ------------------------------------------------------------------ status, link, merge

    async def set_status(
        self, guild_id: int, item_id: int, status: str, actor_id: int, note: str | None
    ) -> StatusChange:
        status = status.strip().lower()
        if status not in STATUSES:
            raise InvalidInput(
                f"`{status[:30]}` isn't a status. Use one of: {', '.join(STATUSES)}."
            )
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise InvalidInput(f"Keep the note to {MAX_NOTE} characters (it was {len(note)}).")
        item = await self.item(guild_id, item_id)
        if item.status == status:
            raise Conflict(f"#{item.id} is already **{status}**. Pick another status.")
        if status == "duplicate":
            raise InvalidInput(
                "To mark a duplicate, use `/feedback merge duplicate: into:` so its votes and "
                "reporters move to the item it duplicates."
            )
        old = item.status
        await self.repo.set_status(guild_id, item.id, status, actor_id, note, self.clock.now())
        item = await self.item(guild_id, item.id)
        recipients = await self._audience(guild_id, item.id, exclude=actor_id)
        return StatusChange(item, old, note, recipients)

    async def record_told(self, guild_id: int, item_id: int, user_ids: list[int]) -> None:
        """Loop closure: the people a shipped item's DM reached."""
        if user_ids:
            await self.repo.record_told(guild_id, item_id, user_ids, self.clock.now())

    async def _audience(self, guild_id: int, item_id: int, *, exclude: int) -> list[int]:
        people: list[int] = [r.user_id for r in await self.repo.reporters(guild_id, item_id)]
        for voter in await self.repo.voters(guild_id, item_id):
            if voter not in people:
                people.append(voter)
        return [p for p in people if p != exclude]

    async def link(self, guild_id: int, item_id: int, url: str) -> FeedbackItem:
        clean = validate_link(url)
        item = await self.item(guild_id, item_id)
        await self.repo.set_link(guild_id, item.id, clean, self.clock.now())
        return await self.item(guild_id, item.id)

    async def merge(
        self, guild_id: int, duplicate_id: int, into_id: int, actor_id: int, note: str = ""
    ) -> FeedbackItem:
        if duplicate_id == into_id:
            raise InvalidInput("An item can't be merged into itself. Pick two different items.")
        dup = await self.item(guild_id, duplicate_id)
        into = await self.item(guild_id, into_id)
        if dup.status == "duplicate":
            raise Conflict(f"#{dup.id} is already a duplicate of #{dup.duplicate_of}.")
        if into.status == "duplicate":
            raise InvalidInput(
                f"#{into.id} is itself a duplicate of #{into.duplicate_of}; merge into "
                f"#{into.duplicate_of} instead."
            )
        await self.repo.merge(
            guild_id,
            dup.id,
            into.id,
            actor_id,
            note or f"merged into #{into.id}",
            self.clock.now(),
        )
        return await self.item(guild_id, into.id)

    async def plus_one_instead(
        self, guild_id: int, new_id: int, target_id: int, user_id: int, *, advocate: bool
    ) -> FeedbackItem:
        """The dedupe button: fold a fresh capture into the existing item."""
        item = await self.item(guild_id, new_id)
        if not advocate and user_id not in (item.reporter_id, item.captured_by_id):
            raise NotAllowed("Only the person who captured this item, or an advocate, can do that.")
        if item.status == "duplicate":
            if item.duplicate_of == target_id:
                raise Conflict(f"Already done: #{new_id} counts as a +1 on #{target_id}.")
            raise Conflict(f"#{new_id} was already merged into #{item.duplicate_of}.")
        return await self.merge(guild_id, new_id, target_id, user_id, f"+1 on #{target_id} instead")

    # ------------------------------------------------------------------ areas

    async def new_longer_than(self, guild_id: int, age: timedelta) -> int:
        """Items still `new` after ``age`` (the on-call handoff note)."""
        return await self.repo.count_new_before(guild_id, self.clock.now() - age)

    async def areas(self, guild_id: int) -> list[str]:
        return await self.repo.areas(guild_id)

    async def set_areas(self, guild_id: int, raw: str) -> list[str]:
        names: list[str] = []
        for part in raw.split(","):
            name = clean_summary(part)
            if not name:
                continue
            if len(name) > MAX_AREA_CHARS:
                raise InvalidInput(f"`{name[:40]}…` is too long: {MAX_AREA_CHARS} characters max.")
            if name.casefold() not in (n.casefold() for n in names):
                names.append(name)
        if len(names) > MAX_AREAS:
            raise InvalidInput(f"At most {MAX_AREAS} product areas; you gave {len(names)}.")
        await self.repo.set_areas(guild_id, names)
        return names

    # ------------------------------------------------------------------ browse

    async def list_page(
        self, guild_id: int, *, tag: str | None, status: str | None, sort: str, page: int
    ) -> Page:
        if status and status not in STATUSES:
            raise InvalidInput(
                f"`{status[:30]}` isn't a status. Use one of: {', '.join(STATUSES)}."
            )
        if tag:
            tag = tag.strip().lower()
            if tag not in await self.tags.known_tags(guild_id):
                raise InvalidInput(f"Unknown tag `{tag[:32]}`. See `/feedback tags list`.")
        if sort not in ("votes", "recent"):
            raise InvalidInput("Sort by `votes` or `recent`.")
        page = max(0, page)
        items, total = await self.repo.list_items(
            guild_id,
            tag=tag or None,
            status=status or None,
            sort=sort,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        pages = max(1, -(-total // PAGE_SIZE))
        if page >= pages and total:
            return await self.list_page(guild_id, tag=tag, status=status, sort=sort, page=pages - 1)
        return Page(items, page, pages, total)

    async def search(self, guild_id: int, query: str) -> list[tuple[ItemSummary, float]]:
        query = query.strip()
        if not query:
            raise InvalidInput("Type a few words to search for, e.g. `rate limit docs`.")
        if len(query) > 200:
            raise InvalidInput("Keep the search to 200 characters.")
        terms = similarity.terms(query)
        if not terms:
            raise InvalidInput("That search has no words to look for. Try more specific words.")
        ranked = await self.index.search(guild_id, query, terms)
        return [(_item_summary(i, row), score) for i, score, row in ranked]

    async def trends(self, guild_id: int, days: int = 30) -> Trends:
        if not 1 <= days <= MAX_TRENDS_DAYS:
            raise InvalidInput(f"Pick between 1 and {MAX_TRENDS_DAYS} days.")
        # The period ends now, inclusive: the range is half-open, so step a second past.
        end = self.clock.now() + timedelta(seconds=1)
        start = end - timedelta(days=days)
        prev = start - timedelta(days=days)
        now_counts = await self.repo.tag_counts_between(guild_id, start, end)
        prev_counts = await self.repo.tag_counts_between(guild_id, prev, start)
        tags = [
            TagTrend(t, now_counts.get(t, 0), prev_counts.get(t, 0))
            for t in set(now_counts) | set(prev_counts)
        ]
        tags.sort(key=lambda t: (-t.count, -t.previous, t.tag))
        return Trends(
            days=days,
            start=start,
            end=end,
            tags=tags,
            new_items=await self.repo.count_created(guild_id, start, end),
            previous_items=await self.repo.count_created(guild_id, prev, start),
            top=await self.repo.most_voted(guild_id, limit=5, start=start, end=end),
        )

    async def set_forum_thread(self, guild_id: int, item_id: int, thread_id: int) -> None:
        await self.repo.set_forum_thread(guild_id, item_id, thread_id)


__all__ = [
    "MAX_DETAILS",
    "MAX_SUMMARY",
    "OPEN_STATUSES",
    "STATUSES",
    "CaptureResult",
    "FeedbackService",
    "ItemCard",
    "Page",
    "SimilarItem",
    "StatusChange",
    "Trends",
    "VoteResult",
    "find_item",
    "parse_tag_list",
    "summary_from_text",
    "validate_link",
]
