"""`python bot.py --check` with GITHUB_TOKEN set, against the fake GitHub on 127.0.0.1."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot import main
from storage.database import Database
from storage.github import GitHubRepository
from tests.fake_github import TOKEN, FakeGitHub


def _environ(tmp_path: Path, fake: FakeGitHub, token: str = TOKEN) -> dict[str, str]:
    return {
        "DISCORD_TOKEN": "x" * 60,
        "HALLWAY_DATABASE": str(tmp_path / "h.db"),
        "GITHUB_TOKEN": token,
        "GITHUB_API_URL": fake.url,
    }


async def test_check_verifies_the_token_and_resumes_a_paused_poll(tmp_path, capsys) -> None:
    fake = FakeGitHub()
    await fake.start()
    try:
        fake.repo("acme", "sdk")
        async with Database(tmp_path / "h.db") as db:
            await db.migrate()
            repo = GitHubRepository(db)
            now = datetime(2026, 1, 1, tzinfo=UTC)
            await repo.set_repo(1, "acme", "sdk", "close", None, now)
            await repo.pause(now, "401")

        # main() runs its own event loop, so it gets a thread; the fake keeps serving here.
        code = await asyncio.to_thread(main, ["--check"], _environ(tmp_path, fake, "wrong"))
        err = capsys.readouterr().err
        assert code == 1 and len(err.strip().splitlines()) == 1
        assert "GITHUB_TOKEN was rejected by GitHub" in err

        fake.repo("acme", "sdk").forbidden.add("issues")
        code = await asyncio.to_thread(main, ["--check"], _environ(tmp_path, fake))
        err = capsys.readouterr().err
        assert code == 1 and "missing a permission on acme/sdk: give it Issues" in err

        fake.repo("acme", "sdk").forbidden.clear()
        code = await asyncio.to_thread(main, ["--check"], _environ(tmp_path, fake))
        out = capsys.readouterr().out
        assert code == 0 and "GitHub token accepted" in out
        async with Database(tmp_path / "h.db") as db:
            assert (await GitHubRepository(db).poll_state()).paused_at is None
    finally:
        await fake.stop()
