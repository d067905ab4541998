"""The per-guild tag vocabulary and what the tagger learns: custom tags, advocates'
corrections, the naive Bayes counts, and how many items carry each tag.

Separate from ``storage.feedback.items`` because these rows change when advocates curate tags,
not when feedback is captured; a capture only reads them (through the tags service's caches).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from storage.database import Database, marks
from storage.feedback.index import OPEN_SQL
from storage.timeutil import to_db


class FeedbackTagRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def retag(
        self,
        guild_id: int,
        item_id: int,
        add: Sequence[str],
        remove: Sequence[str],
        actor_id: int,
        now: datetime,
        model_tokens: Sequence[tuple[str, str, int]],
        model_examples: Sequence[tuple[str, int]],
    ) -> None:
        """Apply a correction, record it, and persist the Bayes counts it changed."""
        async with self._db.transaction():
            if remove:
                await self._db.execute(
                    f"DELETE FROM feedback_tags WHERE guild_id = ? AND item_id = ? "
                    f"AND tag IN ({marks(remove)})",
                    (guild_id, item_id, *remove),
                )
            if add:
                await self._db.executemany(
                    "INSERT INTO feedback_tags (item_id, guild_id, tag, score, source) "
                    "VALUES (?, ?, ?, 1.0, 'manual') ON CONFLICT(item_id, tag) DO UPDATE SET "
                    "score = 1.0, source = 'manual'",
                    [(item_id, guild_id, t) for t in add],
                )
            await self._db.execute(
                "INSERT INTO feedback_corrections (guild_id, item_id, actor_id, added, removed, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, item_id, actor_id, json.dumps(list(add)), json.dumps(list(remove)),
                 to_db(now)),
            )  # fmt: skip
            await self._db.execute(
                "UPDATE feedback_items SET updated_at = ? WHERE guild_id = ? AND id = ?",
                (to_db(now), guild_id, item_id),
            )
            await self.save_model_rows(guild_id, model_tokens, model_examples)

    async def save_model_rows(
        self,
        guild_id: int,
        tokens: Sequence[tuple[str, str, int]],
        examples: Sequence[tuple[str, int]],
    ) -> None:
        if tokens:
            await self._db.executemany(
                "INSERT INTO feedback_model_tokens (guild_id, label, token, count) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(guild_id, label, token) "
                "DO UPDATE SET count = excluded.count",
                [(guild_id, label, tok, n) for label, tok, n in tokens],
            )
        if examples:
            await self._db.executemany(
                "INSERT INTO feedback_model_examples (guild_id, label, examples) VALUES (?, ?, ?) "
                "ON CONFLICT(guild_id, label) DO UPDATE SET examples = excluded.examples",
                [(guild_id, label, n) for label, n in examples],
            )

    async def model_rows(
        self, guild_id: int
    ) -> tuple[list[tuple[str, str, int]], list[tuple[str, int]]]:
        tokens = await self._db.fetchall(
            "SELECT label, token, count FROM feedback_model_tokens WHERE guild_id = ?",
            (guild_id,),
        )
        examples = await self._db.fetchall(
            "SELECT label, examples FROM feedback_model_examples WHERE guild_id = ?", (guild_id,)
        )
        return [(r[0], r[1], r[2]) for r in tokens], [(r[0], r[1]) for r in examples]

    async def corrections_count(self, guild_id: int) -> int:
        return int(
            await self._db.fetchval(
                "SELECT count(*) FROM feedback_corrections WHERE guild_id = ?", (guild_id,)
            )
        )

    async def custom_tags(self, guild_id: int) -> dict[str, list[str]]:
        rows = await self._db.fetchall(
            "SELECT name, keywords FROM feedback_custom_tags WHERE guild_id = ? ORDER BY name",
            (guild_id,),
        )
        return {r[0]: list(json.loads(r[1])) for r in rows}

    async def set_custom_tag(
        self, guild_id: int, name: str, keywords: Sequence[str], now: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO feedback_custom_tags (guild_id, name, keywords, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(guild_id, name) DO UPDATE SET "
            "keywords = excluded.keywords",
            (guild_id, name, json.dumps(list(keywords)), to_db(now)),
        )

    async def delete_custom_tag(self, guild_id: int, name: str) -> bool:
        return bool(
            await self._db.execute(
                "DELETE FROM feedback_custom_tags WHERE guild_id = ? AND name = ?",
                (guild_id, name),
            )
        )

    async def tag_counts(self, guild_id: int) -> dict[str, tuple[int, int]]:
        """tag -> (items, open items), duplicates left out."""
        rows = await self._db.fetchall(
            "SELECT t.tag, count(*), "
            f"sum(CASE WHEN i.status IN {OPEN_SQL} THEN 1 ELSE 0 END) "
            "FROM feedback_tags t JOIN feedback_items i ON i.id = t.item_id "
            "WHERE t.guild_id = ? AND i.status != 'duplicate' GROUP BY t.tag",
            (guild_id,),
        )
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}
