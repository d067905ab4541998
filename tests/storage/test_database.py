from __future__ import annotations

from pathlib import Path

import pytest

from storage.database import (
    Database,
    DatabaseError,
    DatabaseTooNew,
    migration_files,
    split_statements,
)


async def test_fresh_database_reaches_latest_version(tmp_path: Path) -> None:
    async with Database(tmp_path / "h.db") as db:
        latest = await db.migrate()
        assert latest == len(migration_files())
        assert await db.schema_version() == latest
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA busy_timeout") == 5000
        assert await db.fetchval("PRAGMA synchronous") == 1  # NORMAL
        assert await db.fetchval("PRAGMA wal_autocheckpoint") == 250
        # Running again is a no-op.
        assert await db.migrate() == latest


async def test_future_version_is_refused(tmp_path: Path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        await db.execute("PRAGMA user_version = 999")
    async with Database(tmp_path / "h.db") as db:
        with pytest.raises(DatabaseTooNew, match="newer Hallway"):
            await db.migrate()


async def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_ok.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (migrations / "0002_bad.sql").write_text(
        "CREATE TABLE b (x INTEGER);\nINSERT INTO missing VALUES (1);\n"
    )
    async with Database(tmp_path / "h.db") as db:
        with pytest.raises(Exception, match="missing"):
            await db.migrate(migrations)
        assert await db.schema_version() == 1
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master")}
        assert "a" in tables and "b" not in tables


def test_migration_files_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("")
    (tmp_path / "0003_c.sql").write_text("")
    with pytest.raises(DatabaseError, match="without gaps"):
        migration_files(tmp_path)


def test_split_statements_keeps_triggers_whole() -> None:
    script = """
    -- comment
    CREATE TABLE t (x INTEGER);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET x = x + 1;
    END;
    """
    statements = split_statements(script)
    assert len(statements) == 2
    assert statements[1].rstrip().endswith("END;")


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.execute("CREATE TABLE t (x INTEGER)")
        with pytest.raises(RuntimeError):
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (1)")
                raise RuntimeError("boom")
        assert await db.fetchval("SELECT COUNT(*) FROM t") == 0
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")
            async with db.transaction():  # nested joins the outer one
                await db.execute("INSERT INTO t VALUES (2)")
        assert await db.fetchval("SELECT COUNT(*) FROM t") == 2


async def test_concurrent_transactions_do_not_interleave(tmp_path: Path) -> None:
    import asyncio

    async with Database(tmp_path / "h.db") as db:
        await db.execute("CREATE TABLE t (x INTEGER)")

        async def failing() -> None:
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (1)")
                await asyncio.sleep(0.01)
                raise RuntimeError("rollback me")

        async def succeeding() -> None:
            await asyncio.sleep(0)
            await db.execute("INSERT INTO t VALUES (2)")

        results = await asyncio.gather(failing(), succeeding(), return_exceptions=True)
        assert isinstance(results[0], RuntimeError)
        rows = [r[0] for r in await db.fetchall("SELECT x FROM t")]
        assert rows == [2]


async def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    db = Database(path)
    with pytest.raises(DatabaseError, match="not a usable SQLite database"):
        await db.open()
    await db.close()


async def test_backup_makes_a_consistent_copy(tmp_path: Path) -> None:
    async with Database(tmp_path / "h.db") as db:
        await db.migrate()
        await db.execute(
            "INSERT INTO guild_settings (guild_id, timezone, updated_at) VALUES (1, 'UTC', 'x')"
        )
        await db.backup_to(tmp_path / "copy.db")
    async with Database(tmp_path / "copy.db") as copy:
        assert (
            await copy.fetchval("SELECT timezone FROM guild_settings WHERE guild_id = 1") == "UTC"
        )


async def test_an_insert_that_inserted_nothing_returns_zero(tmp_path: Path) -> None:
    # sqlite3 leaves lastrowid at the connection's previous insert when an
    # INSERT OR IGNORE / ON CONFLICT DO NOTHING inserts nothing, so callers
    # that treat the return value as "was a row added" would see a stale id.
    async with Database(tmp_path / "h.db") as db:
        await db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT UNIQUE)")
        assert await db.execute("INSERT INTO t (v) VALUES ('a')") == 1
        assert await db.execute("INSERT OR IGNORE INTO t (v) VALUES ('a')") == 0
        assert await db.execute("INSERT INTO t (v) VALUES ('b') ON CONFLICT DO NOTHING") == 2
        assert await db.execute("INSERT INTO t (v) VALUES ('b') ON CONFLICT DO NOTHING") == 0
