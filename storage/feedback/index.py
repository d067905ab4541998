"""The feedback term index: each item's terms, their document frequencies, and the
bounded lookup of items sharing a query's terms (migrations 0003, 0009).

Separate from ``storage.feedback.items`` because it is derived data with a life of its own: a
capture's terms are written by a statement queued after the item's, start-up writes any
a stop left pending, and dedupe and search read it. The items repository uses the lookup
builder here to read candidates inside the capture's own statement.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storage.database import Database, marks

# Here rather than in storage.feedback.items, which imports this module: the candidate lookup
# filters by them.
OPEN_STATUSES = ("new", "acknowledged", "planned", "in-progress")
OPEN_SQL = "(" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"
# A similarity lookup reads, for each of its terms, only the term's most recent items:
# its cost stays bounded however common the term, and a duplicate is usually recent.
POSTINGS_PER_TERM = 32


@dataclass(frozen=True)
class Candidates:
    vectors: dict[int, dict[str, int]]  # item id -> term frequencies
    # item id -> (summary, status, votes, created_at as stored); parsed only for the
    # few items that turn out similar, since most candidates are discarded.
    rows: dict[int, tuple[str, str, int, str]]


class FeedbackIndexRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def write_terms(self, guild_id: int, item_id: int, terms: Mapping[str, int]) -> None:
        """A pending item's index terms, and the item no longer pending: one statement
        (0009). Writing an item that is not pending does nothing, so a retry is harmless."""
        await self._db.execute(
            "INSERT INTO feedback_index_write (item_id, guild_id, terms) VALUES (?, ?, ?)",
            (item_id, guild_id, json.dumps(dict(terms))),
        )

    async def pending_index(self) -> list[tuple[int, int, str, str]]:
        """(guild id, item id, summary, details) of items whose terms are still to be written."""
        rows = await self._db.fetchall(
            "SELECT i.guild_id, i.id, i.summary, i.details FROM feedback_index_pending p "
            "JOIN feedback_items i ON i.id = p.item_id ORDER BY i.id"
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def doc_freqs(self, guild_id: int) -> tuple[dict[str, int], int]:
        """Every term's document frequency in the guild and the indexed item count."""
        return await self.index_stats(guild_id, None)

    async def index_stats(self, guild_id: int, terms: Iterable[str]) -> tuple[dict[str, int], int]:
        """Document frequencies of ``terms`` (all if None) and the indexed item count."""
        wanted = None if terms is None else list(terms)
        only = "" if wanted is None else f" AND term IN ({marks(wanted)})"
        rows = await self._db.fetchall(
            "SELECT NULL, n_docs FROM feedback_index_stats WHERE guild_id = ? "
            f"UNION ALL SELECT term, df FROM feedback_doc_freq WHERE guild_id = ?{only}",
            (guild_id, guild_id, *(wanted or ())),
        )
        df: dict[str, int] = {}
        n = 0
        for term, count in rows:
            if term is None:
                n = int(count)
            else:
                df[term] = int(count)
        return df, n

    async def candidates(
        self,
        guild_id: int,
        query_terms: Sequence[str],
        *,
        open_only: bool,
        limit: int,
        per_term: int = POSTINGS_PER_TERM,
    ) -> Candidates:
        """Items sharing the most of ``query_terms``: their term vectors and summaries.

        Bounded: at most ``limit`` items, picked from each term's ``per_term`` most recent
        items by an indexed lookup.
        """
        if not query_terms:
            return Candidates({}, {})
        lookup, params = candidates_lookup(
            guild_id, query_terms, open_only=open_only, limit=limit, per_term=per_term
        )
        return parse_candidates(await self._db.fetchval(f"SELECT {lookup}", params))


def candidates_lookup(
    guild_id: int,
    query_terms: Sequence[str],
    *,
    open_only: bool,
    limit: int,
    per_term: int = POSTINGS_PER_TERM,
) -> tuple[str, tuple[Any, ...]]:
    """A scalar SQL expression (and its parameters) for the items sharing the most of
    ``query_terms``: one JSON array of [id, summary, status, votes, created_at, shared,
    {term: tf}], read by ``parse_candidates``."""
    status = f" AND i.status IN {OPEN_SQL}" if open_only else ""
    # Each term's newest postings from the covering term index, ranked by how many terms
    # an item shares; only the best few meet the items table (for the status filter), and
    # only those have their whole term vectors read.
    postings = " UNION ALL ".join(
        "SELECT * FROM (SELECT item_id FROM feedback_terms WHERE guild_id = ? AND term = ? "
        "ORDER BY item_id DESC LIMIT ?)"
        for _ in query_terms
    )
    sql = (
        f"(WITH hits(item_id) AS ({postings}), "
        "ranked AS (SELECT item_id, count(*) AS shared FROM hits "
        "GROUP BY item_id ORDER BY shared DESC, item_id DESC LIMIT ?), "
        "best AS (SELECT i.id, i.summary, i.status, i.votes, i.created_at, r.shared "
        "FROM ranked r JOIN feedback_items i ON i.id = r.item_id "
        f"WHERE i.guild_id = ?{status} ORDER BY r.shared DESC, i.id DESC LIMIT ?) "
        "SELECT json_group_array(json_array(b.id, b.summary, b.status, b.votes, "
        "b.created_at, b.shared, (SELECT json_group_object(t.term, t.tf) FROM feedback_terms t "
        # The unary + keeps SQLite on the (item_id, term) key instead of the guild index.
        "WHERE t.item_id = b.id AND +t.guild_id = ?))) FROM best b)"
    )
    params: list[Any] = []
    for term in query_terms:
        params += [guild_id, term, per_term]
    # Twice the limit meet the items table, so closed items rarely leave the list short.
    return sql, (*params, limit * 2, guild_id, limit, guild_id)


def parse_candidates(found: str | None) -> Candidates:
    """Candidates from ``candidates_lookup``'s JSON, best first (more terms shared, then
    newer): JSON aggregation promises no order, so it is restored here."""
    entries = json.loads(found) if found else []
    entries.sort(key=lambda e: (-e[5], -e[0]))
    return Candidates(
        {e[0]: e[6] for e in entries}, {e[0]: (e[1], e[2], e[3], e[4]) for e in entries}
    )
