"""The command line: clear one-line errors, --check, and the offline tools."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import main

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.abcdefghijklmnopqrstuvwxyz0123"


def run_cli(
    *args: str, tmp_path: Path, input: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "HALLWAY_", "GITHUB_"))
    }
    # Empty values win over any developer .env, since load_dotenv never overrides.
    environ.update({"DISCORD_TOKEN": "", "HALLWAY_DATABASE": str(tmp_path / "h.db")})
    environ.update(env)
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        input=input,
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_run_without_token_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    result = run_cli(tmp_path=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "hallway: DISCORD_TOKEN is missing: put your bot token in .env as DISCORD_TOKEN=..."
    ]
    assert "Traceback" not in result.stderr


def test_check_with_bad_setting_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    result = run_cli("--check", tmp_path=tmp_path, DISCORD_TOKEN=TOKEN, HALLWAY_TIMEZONE="Mars/X")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "HALLWAY_TIMEZONE must be an IANA time zone" in lines[0]
    assert TOKEN not in result.stderr + result.stdout


def test_check_passes_on_a_good_setup(tmp_path: Path) -> None:
    result = run_cli("--check", tmp_path=tmp_path, DISCORD_TOKEN=TOKEN)
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout
    assert (tmp_path / "h.db").exists()


def test_check_refuses_a_database_from_the_future(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "h.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 9999")
    conn.close()
    code = main(["--check"], {"DISCORD_TOKEN": TOKEN, "HALLWAY_DATABASE": str(path)})
    assert code == 1


def test_check_reports_a_corrupt_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "h.db"
    path.write_bytes(b"not a database" * 300)
    code = main(["--check"], {"DISCORD_TOKEN": TOKEN, "HALLWAY_DATABASE": str(path)})
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a usable SQLite database" in err[0]


def test_tag_reads_lines_and_prints_json(tmp_path: Path) -> None:
    import json

    result = run_cli(
        "tag",
        tmp_path=tmp_path,
        input="The docs for auth are confusing\nThe SDK crashes with a 500 error\n\n",
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["text"] for r in rows][:2] == [
        "The docs for auth are confusing",
        "The SDK crashes with a 500 error",
    ]
    assert "docs" in rows[0]["tags"]
    assert "errors" in rows[1]["tags"]
    assert set(rows[0]) == {"text", "tags", "scores"}


async def test_backup_copies_a_live_database(tmp_path: Path) -> None:
    from storage.database import Database

    source = tmp_path / "h.db"
    async with Database(source) as live:
        await live.migrate()
        await live.execute(
            "INSERT INTO guild_settings (guild_id, timezone, updated_at) "
            "VALUES (7, 'Asia/Tokyo', 'x')"
        )
        # The bot keeps its connection open while the backup runs in another process.
        result = run_cli("backup", str(tmp_path / "copy.db"), tmp_path=tmp_path)
        assert result.returncode == 0, result.stderr
    async with Database(tmp_path / "copy.db") as copy:
        assert await copy.fetchval("SELECT timezone FROM guild_settings WHERE guild_id = 7") == (
            "Asia/Tokyo"
        )
        assert await copy.integrity_check() == ["ok"]
    again = run_cli("backup", str(tmp_path / "copy.db"), tmp_path=tmp_path)
    assert again.returncode == 1
    assert "already exists" in again.stderr


async def test_export_writes_a_guilds_feedback_as_csv(tmp_path: Path) -> None:
    import csv
    from datetime import UTC, datetime

    from services.feedback.capture import FeedbackService
    from services.feedback.tags import FeedbackTags
    from services.time.clock import FixedClock
    from storage.database import Database
    from storage.feedback.items import FeedbackRepository
    from storage.feedback.tags import FeedbackTagRepository

    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        items, clock = FeedbackRepository(db), FixedClock(datetime.now(UTC))
        tags = FeedbackTags(FeedbackTagRepository(db), items, clock)
        service = FeedbackService(items, clock, tags=tags)
        for guild_id, summary in [(1, "Docs for webhooks are confusing"), (2, "Other guild")]:
            await service.capture(
                guild_id=guild_id,
                source="command",
                reporter_id=42,
                reporter_name="dev42",
                captured_by_id=42,
                summary=summary,
            )
    result = run_cli(
        "export", "--guild", "1", "--format", "csv", "--output", "out.csv", tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert [r["summary"] for r in rows] == ["Docs for webhooks are confusing"]
    bad = run_cli("export", "--guild", "1", "--since", "someday", tmp_path=tmp_path)
    assert bad.returncode == 1
    assert "isn't a date" in bad.stderr


async def test_export_json_to_standard_output_with_a_since_window(tmp_path: Path) -> None:
    import json
    from datetime import UTC, datetime, timedelta

    from services.feedback.capture import FeedbackService
    from services.feedback.tags import FeedbackTags
    from services.time.clock import FixedClock
    from storage.database import Database
    from storage.feedback.items import FeedbackRepository
    from storage.feedback.tags import FeedbackTagRepository

    now = datetime.now(UTC)
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        items = FeedbackRepository(db)
        for age, summary in [(40, "Old: webhooks docs"), (2, "New: SDK 401 on refresh")]:
            clock = FixedClock(now - timedelta(days=age))
            tags = FeedbackTags(FeedbackTagRepository(db), items, clock)
            service = FeedbackService(items, clock, tags=tags)
            await service.capture(
                guild_id=1,
                source="command",
                reporter_id=42,
                reporter_name="dev42",
                captured_by_id=42,
                summary=summary,
            )
    everything = run_cli("export", "--guild", "1", "--format", "json", tmp_path=tmp_path)
    assert everything.returncode == 0, everything.stderr
    assert [r["summary"] for r in json.loads(everything.stdout)] == [
        "Old: webhooks docs",
        "New: SDK 401 on refresh",
    ]
    recent = run_cli(
        "export", "--guild", "1", "--format", "json", "--since", "30d", tmp_path=tmp_path
    )
    assert recent.returncode == 0, recent.stderr
    assert [r["summary"] for r in json.loads(recent.stdout)] == ["New: SDK 401 on refresh"]
    other = run_cli("export", "--guild", "2", "--format", "json", tmp_path=tmp_path)
    assert other.returncode == 0 and json.loads(other.stdout) == []


async def test_sigterm_flushes_buffered_counters_and_closes_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python bot.py` on SIGTERM: the handler `serve` installs closes the bot cleanly.

    Discord is unreachable here, so `start` is replaced by the start-up that needs no
    network (setup_hook without the command sync) and a wait for the bot to close.
    """
    import asyncio
    import signal
    import sqlite3

    import bot as bot_module
    from config.settings import load_settings

    settings = load_settings({"DISCORD_TOKEN": TOKEN, "HALLWAY_DATABASE": str(tmp_path / "h.db")})
    made: list[bot_module.HallwayBot] = []
    running, closed = asyncio.Event(), asyncio.Event()
    real_close = bot_module.HallwayBot.close

    async def noted_close(self: bot_module.HallwayBot) -> None:
        await real_close(self)
        closed.set()

    async def no_sync(self: bot_module.HallwayBot) -> None:
        return None

    async def offline_start(self: bot_module.HallwayBot, token: str, **_: object) -> None:
        assert token == TOKEN
        await self.setup_hook()
        made.append(self)
        running.set()
        await closed.wait()

    monkeypatch.setattr(bot_module.HallwayBot, "sync_commands_if_changed", no_sync)
    monkeypatch.setattr(bot_module.HallwayBot, "start", offline_start)
    monkeypatch.setattr(bot_module.HallwayBot, "close", noted_close)
    serving = asyncio.create_task(bot_module.serve(settings))
    await asyncio.wait_for(running.wait(), 10)
    [bot] = made
    assert bot.activity_recorder is not None
    bot.activity_recorder.message(1, 2, 3)  # counted in memory, not yet written
    assert bot.activity_recorder.pending

    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(serving, 10)
    assert bot.is_closed() and not bot.db.is_open
    with sqlite3.connect(tmp_path / "h.db") as conn:
        rows = conn.execute("SELECT guild_id, channel_id FROM activity_channel_day").fetchall()
    assert rows == [(1, 2)]


def test_check_prints_only_its_verdict_even_at_info_level(tmp_path: Path) -> None:
    # A fresh database runs every migration; their log lines are for the running bot.
    result = run_cli("--check", tmp_path=tmp_path, DISCORD_TOKEN=TOKEN, HALLWAY_LOG_LEVEL="INFO")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(result.stdout.strip().splitlines()) == 1
    assert "integrity ok" in result.stdout


def test_help_says_no_command_runs_the_bot(tmp_path: Path) -> None:
    result = run_cli("--help", tmp_path=tmp_path)
    assert result.returncode == 0
    usage = result.stdout.split("\n\n")[0]
    assert "[COMMAND" in usage  # optional, not required
    assert "With no command" in " ".join(result.stdout.split())
    assert "runs the bot" in " ".join(result.stdout.split())
