"""Every migration, applied to a database that already holds data at every earlier version.

For each schema version k < latest: apply migrations 1..k only, put a row in every table
that exists at k (values generated from PRAGMA table_info / foreign_key_list and the
table's CHECK constraints), migrate to the latest version, and check that every row is
still there unchanged, that foreign keys and integrity hold, and that the schema is the
same as a database migrated from empty.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from storage.database import MIGRATIONS_DIR, Database, migration_files
from storage.timeutil import to_db

LATEST = len(migration_files())
STAMP = to_db(datetime(2026, 1, 1, 9, 30, tzinfo=UTC))
_IN_CHECK = re.compile(r"(\w+)\s+IN\s*\(\s*'([^']*)'", re.IGNORECASE)
_BETWEEN_CHECK = re.compile(r"(\w+)\s+BETWEEN\s+(-?\d+)\s+AND", re.IGNORECASE)


async def _tables(db: Database) -> dict[str, str]:
    rows = await db.fetchall(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return {r[0]: r[1] for r in rows}


async def _fk_order(db: Database, tables: list[str]) -> list[str]:
    """Parents before children, so every foreign key can point at a row."""
    parents = {
        t: {
            fk["table"]
            for fk in await db.fetchall(f'PRAGMA foreign_key_list("{t}")')
            if fk["table"] != t
        }
        for t in tables
    }
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = sorted(t for t in tables if t not in ordered and parents[t] <= set(ordered))
        assert ready, f"foreign-key cycle among {set(tables) - set(ordered)}"
        ordered.extend(ready)
    return ordered


def _check_values(sql: str) -> dict[str, Any]:
    """A value each CHECK (x IN (...)) / CHECK (x BETWEEN a AND b) column accepts."""
    values: dict[str, Any] = {}
    for column, first in _IN_CHECK.findall(sql):
        values.setdefault(column, first)
    for column, low in _BETWEEN_CHECK.findall(sql):
        values.setdefault(column, int(low))
    return values


async def seed_every_table(db: Database, version: int) -> dict[str, dict[str, Any]]:
    """One representative row per table; returns what was written, by table."""
    tables = await _tables(db)
    written: dict[str, dict[str, Any]] = {}
    for n, table in enumerate(await _fk_order(db, list(tables))):
        existing = await db.fetchall(f'SELECT * FROM "{table}" LIMIT 1')
        if existing:
            # A trigger already wrote this table's row (e.g. a feedback item's first vote).
            written[table] = dict(zip(existing[0].keys(), existing[0], strict=True))
            continue
        checks = _check_values(tables[table])
        fks = {
            fk["from"]: (fk["table"], fk["to"])
            for fk in await db.fetchall(f'PRAGMA foreign_key_list("{table}")')
        }
        row: dict[str, Any] = {}
        for i, column in enumerate(await db.fetchall(f'PRAGMA table_info("{table}")')):
            name, declared = column["name"], (column["type"] or "").upper()
            if name in fks:
                parent, to = fks[name]
                row[name] = None if parent == table else written[parent][to or "id"]
            elif name in checks:
                row[name] = checks[name]
            elif name == "guild_id":
                row[name] = 1456074443980800010
            elif "INT" in declared:
                row[name] = 1000 * (n + 1) + i + version
            elif "REAL" in declared:
                row[name] = 0.5 + i
            elif name.endswith("_at") or name in ("anchor",):
                row[name] = STAMP
            elif name in ("day", "week_start"):
                row[name] = "2026-01-01"
            else:
                row[name] = f"{table}.{name} v{version}"
        columns = ", ".join(f'"{c}"' for c in row)
        marks = ", ".join("?" for _ in row)
        await db.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', tuple(row.values()))
        stored = await db.fetchall(f'SELECT * FROM "{table}"')
        assert len(stored) == 1, table
        written[table] = dict(zip(stored[0].keys(), stored[0], strict=True))
    # Triggers on later tables may have changed earlier rows (an item bumps the index
    # stats): snapshot every table once all are written.
    for table in written:
        [final] = await db.fetchall(f'SELECT * FROM "{table}" LIMIT 1')
        written[table] = dict(zip(final.keys(), final, strict=True))
    return written


def first_migrations(tmp_path: Path, k: int, source: Path = MIGRATIONS_DIR) -> Path:
    directory = tmp_path / f"migrations_1_to_{k}"
    directory.mkdir()
    for _version, path in migration_files(source)[:k]:
        shutil.copy(path, directory / path.name)
    return directory


async def _schema(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetchall(
        "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [(r[0], r[1]) for r in rows]


def test_there_is_history_to_upgrade_from() -> None:
    assert LATEST >= 2


async def upgrade_problems(tmp_path: Path, k: int, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Build a database at version k with data, upgrade it with ``directory``: what broke."""
    latest = len(migration_files(directory))
    async with Database(tmp_path / "fresh.db") as fresh:
        await fresh.migrate(directory)
        expected_schema = await _schema(fresh)

    path = tmp_path / f"from_v{k}.db"
    async with Database(path) as db:
        assert await db.migrate(first_migrations(tmp_path, k, directory)) == k
        assert await db.schema_version() == k
        written = await seed_every_table(db, k)
        assert written, "every schema version has tables"

    problems: list[str] = []
    async with Database(path) as db:  # as after a restart with the new release
        assert await db.migrate(directory) == latest
        assert await db.schema_version() == latest
        now_there = await _tables(db)
        for table, row in written.items():
            if table not in now_there:
                problems.append(f"{table} lost its v{k} row: the table is gone")
                continue
            # IS rather than =, so NULLs compare equal.
            where = " AND ".join(f'"{c}" IS ?' for c in row)
            found = await db.fetchval(
                f'SELECT count(*) FROM "{table}" WHERE {where}', tuple(row.values())
            )
            if found != 1:
                problems.append(f"{table} lost or changed its v{k} row: {row}")
        if fk := await db.fetchall("PRAGMA foreign_key_check"):
            problems.append(f"foreign_key_check: {[tuple(r) for r in fk]}")
        if (integrity := await db.integrity_check()) != ["ok"]:
            problems.append(f"integrity_check: {integrity}")
        if await _schema(db) != expected_schema:
            problems.append("the upgraded schema differs from a fresh database's")
        # Tables added by later migrations take rows next to (and pointing at) the old data.
        after = await seed_every_table(db, latest)
        if set(after) != set(await _tables(db)):
            problems.append("some table takes no new row after the upgrade")
        if await db.fetchall("PRAGMA foreign_key_check"):
            problems.append("new rows break foreign keys")
    return problems


@pytest.mark.parametrize("k", range(1, LATEST))
async def test_upgrade_from_every_version_keeps_the_data(tmp_path: Path, k: int) -> None:
    assert await upgrade_problems(tmp_path, k) == []


async def test_the_check_catches_a_migration_that_loses_data(tmp_path: Path) -> None:
    """The upgrade test can fail: a (made-up) next migration that drops rows is caught."""
    directory = tmp_path / "with_a_bad_one"
    directory.mkdir()
    for _version, path in migration_files():
        shutil.copy(path, directory / path.name)
    bad = directory / f"{LATEST + 1:04d}_lose_votes.sql"
    bad.write_text("DELETE FROM feedback_votes;\nALTER TABLE bot_meta RENAME TO bot_meta_old;\n")
    problems = await upgrade_problems(tmp_path, LATEST, directory)
    assert any(p.startswith("feedback_votes lost") for p in problems), problems
    assert any(p.startswith("bot_meta lost") for p in problems), problems


async def test_seeding_covers_every_table_of_the_latest_schema(tmp_path: Path) -> None:
    async with Database(tmp_path / "latest.db") as db:
        await db.migrate()
        written = await seed_every_table(db, LATEST)
        assert set(written) == set(await _tables(db))
        assert await db.fetchall("PRAGMA foreign_key_check") == []
