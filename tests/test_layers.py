"""services/ and storage/ must never import discord: they are plain Python rules and SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_PACKAGES = ("services", "storage", "config")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_packages_never_import_discord(package: str) -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / package).rglob("*.py")
        if "discord" in _imports(path) or "cogs" in _imports(path)
    ]
    assert offenders == []


def test_sql_lives_only_in_storage() -> None:
    keywords = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE")
    offenders = []
    for package in ("services", "cogs", "config"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(f'"{k}' in text or f"'{k}" in text for k in keywords):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_layer_check_catches_an_offender(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import discord\nfrom discord.ext import commands\n")
    assert "discord" in _imports(bad)
