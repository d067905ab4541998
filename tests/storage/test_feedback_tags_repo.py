"""storage/feedback/tags.py against a real migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import Database
from storage.feedback.tags import FeedbackTagRepository

G = 10


@pytest.fixture
async def repo(tmp_path) -> AsyncIterator[FeedbackTagRepository]:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        yield FeedbackTagRepository(db)


async def test_model_rows_round_trip(repo) -> None:
    await repo.save_model_rows(G, [("docs", "readm", 2)], [("docs", 3), ("!docs", 4)])
    await repo.save_model_rows(G, [("docs", "readm", 5)], [("docs", 4)])
    tokens, examples = await repo.model_rows(G)
    assert tokens == [("docs", "readm", 5)]
    assert sorted(examples) == [("!docs", 4), ("docs", 4)]
    assert await repo.model_rows(G + 1) == ([], [])
