"""The feedback similar-item index: finding the earlier items a capture or a search matches.

Separate from ``services.feedback.capture`` because it keeps state of its own beside SQLite: each
guild's document-frequency counts in memory, and the term writes queued behind captures
(which shutdown, start-up and /privacy forget must reach). ``FeedbackService`` owns one,
as ``service.index``; the SQL is in ``storage.feedback.index``.
"""

from __future__ import annotations

import asyncio
import logging

from services.plural import plural
from services.tagging import similarity
from services.text import clean_summary
from storage.feedback.index import Candidates, FeedbackIndexRepository

log = logging.getLogger(__name__)

# Candidate lookup for dedupe and search: the query's rarest terms.
RARE_TERMS = 8
SEARCH_LIMIT = 10
SEARCH_THRESHOLD = 0.1
# A search is typed by a person, not on the capture path: it can afford more candidates,
# and reaches further back in each term's history.
SEARCH_CANDIDATES = 40
SEARCH_POSTINGS_PER_TERM = 200

# (item id, score, candidate row), rows as ``Candidates.rows``.
Ranked = list[tuple[int, float, tuple[str, str, int, str]]]


def item_text(summary: str, details: str) -> str:
    """The text an item is tagged and indexed by. A captured message's summary is usually
    its own first line: counting it twice would skew the tag scores and the term index."""
    if not details:
        return summary
    if summary.rstrip("…") not in clean_summary(details):
        return f"{summary}\n{details}"
    return details


class FeedbackIndex:
    def __init__(self, repo: FeedbackIndexRepository) -> None:
        self.repo = repo
        # guild -> (term -> document frequency, [item count]); see counts.
        self._counts: dict[int, tuple[dict[str, int], list[int]]] = {}
        # Index writes queued behind captures, until they finish (see add).
        self._writes: set[asyncio.Task[None]] = set()

    async def counts(self, guild_id: int) -> tuple[dict[str, int], int]:
        """The guild's document frequencies and item count, read from SQLite once.

        SQLite holds the index and stays the truth; this copy only spares every capture two
        reads. It is updated as each item is added, which is the only way the counts change
        (items are never deleted).
        """
        cached = self._counts.get(guild_id)
        if cached is None:
            df, n_docs = await self.repo.doc_freqs(guild_id)
            cached = self._counts[guild_id] = (df, [n_docs])
        return cached[0], cached[1][0]

    def forget_counts(self, guild_id: int) -> None:
        """Drop the guild's in-memory counts (after /privacy forget deleted index terms made
        of a member's id): the next capture reads them again from SQLite."""
        self._counts.pop(guild_id, None)

    def add(self, guild_id: int, item_id: int, terms: dict[str, int]) -> None:
        """Count a committed item's terms, and write them in a statement of their own, queued now.

        The capture's reply doesn't wait for the write; the next capture does, before its
        lookup (by then it has normally finished), so a capture is always a candidate for
        the ones after it. The counts are updated at once to match. If the write fails, or
        the bot stops first, the item stays in feedback_index_pending and ``write_pending``
        writes it at the next start.
        """
        cached = self._counts.get(guild_id)
        if cached is not None:
            df, count = cached
            for term in terms:
                df[term] = df.get(term, 0) + 1
            count[0] += 1

        async def write() -> None:
            try:
                await self.repo.write_terms(guild_id, item_id, terms)
            except Exception:
                log.exception("index terms of feedback #%s not written; next start will", item_id)

        task = asyncio.get_running_loop().create_task(write())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def flush(self) -> None:
        """Wait for the index writes still queued (shutdown, tests, the benchmark)."""
        while self._writes:
            await asyncio.gather(*list(self._writes))

    async def write_pending(self) -> int:
        """At start-up: write the terms of items captured just before a stop. Returns how many."""
        pending = await self.repo.pending_index()
        for guild_id, item_id, summary, details in pending:
            await self.repo.write_terms(
                guild_id, item_id, similarity.terms(item_text(summary, details))
            )
            self._counts.pop(guild_id, None)  # re-read from SQLite when next needed
        if pending:
            log.info(
                "indexed %s left pending by the last stop", plural(len(pending), "feedback item")
            )
        return len(pending)

    async def lookup_terms(
        self, guild_id: int, terms: dict[str, int]
    ) -> tuple[list[str], dict[str, int], int]:
        """The terms to fetch candidates by (the rarest the guild has seen: a duplicate
        shares its distinctive words), and the guild's document frequencies."""
        df, n_docs = await self.counts(guild_id)
        if not terms or n_docs == 0:
            return [], df, n_docs
        rarest = similarity.rarest_terms(terms, df, k=RARE_TERMS)
        return [t for t in rarest if df.get(t, 0) > 0], df, n_docs

    @staticmethod
    def ranked(
        text: str,
        found: Candidates,
        df: dict[str, int],
        n_docs: int,
        *,
        threshold: float,
        limit: int,
        query_terms: dict[str, int] | None = None,
    ) -> Ranked:
        """The best matches among ``found``, best first."""
        if not found.vectors:
            return []
        ranked = similarity.rank_similar(
            text,
            found.vectors.items(),
            df,
            n_docs,
            threshold=threshold,
            limit=limit,
            query_terms=query_terms,
        )
        return [(i, score, found.rows[i]) for i, score in ranked]

    async def open_candidates(self, guild_id: int, rare: list[str], *, limit: int) -> Candidates:
        """The open items a capture's lookup finds for these rare terms (as in the capture)."""
        return await self.repo.candidates(guild_id, rare, open_only=True, limit=limit)

    async def search(self, guild_id: int, query: str, terms: dict[str, int]) -> Ranked:
        """Every item, open or closed, that matches a typed search; ``terms`` are the query's."""
        rare, df, n_docs = await self.lookup_terms(guild_id, terms)
        if not rare:
            return []
        found = await self.repo.candidates(
            guild_id,
            rare,
            open_only=False,
            limit=SEARCH_CANDIDATES,
            per_term=SEARCH_POSTINGS_PER_TERM,
        )
        return self.ranked(
            query,
            found,
            df,
            n_docs,
            threshold=SEARCH_THRESHOLD,
            limit=SEARCH_LIMIT,
            query_terms=terms,
        )
