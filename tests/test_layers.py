"""The layer rules: import-linter's contracts in pyproject.toml, no two modules importing each
other, and SQL only in storage/."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sandbox", "cogs", "services", "storage", "config")


def _lint(root: Path) -> int:
    # lint_imports runs logging.config.dictConfig, which disables every logger that exists
    # (Hallway's too) and gives import-linter's loggers a handler on this test's stdout;
    # undo both so the tests after this one still see Hallway's log records.
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    saved = [
        (logger, logger.disabled, list(logger.handlers), logger.level)
        for logger in loggers
        if isinstance(logger, logging.Logger)
    ]
    cwd = Path.cwd()
    os.chdir(root)
    try:
        return lint_imports(config_filename=str(root / "pyproject.toml"), no_cache=True)
    finally:
        os.chdir(cwd)
        for logger, disabled, handlers, level in saved:
            logger.disabled, logger.handlers, logger.level = disabled, handlers, level


def test_import_contracts_are_kept(capsys) -> None:
    code = _lint(ROOT)
    assert code == 0, capsys.readouterr().out


def test_a_service_importing_discord_breaks_a_contract(tmp_path: Path, monkeypatch, capsys) -> None:
    """The contracts are not vacuous: a copy of the tree with one bad import fails them."""
    copy = tmp_path / "tree"
    for name in PACKAGES:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    text = copy / "services" / "text.py"
    text.write_text(text.read_text(encoding="utf-8") + "\nimport discord  # noqa\n")
    monkeypatch.syspath_prepend(str(copy))
    for module in [m for m in list(sys.modules) if m.split(".")[0] in PACKAGES]:
        monkeypatch.delitem(sys.modules, module)
    assert _lint(copy) == 1
    assert "services.text -> discord" in capsys.readouterr().out


def test_no_two_modules_import_each_other() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True, cache_dir=None)
    modules = sorted(graph.modules)
    pairs = [
        (a, b)
        for a in modules
        for b in graph.find_modules_directly_imported_by(a)
        if a < b and graph.direct_import_exists(importer=b, imported=a)
    ]
    assert pairs == []


def test_sql_lives_only_in_storage() -> None:
    keywords = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE")
    offenders = []
    for package in ("services", "cogs", "config", "sandbox"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(f'"{k}' in text or f"'{k}" in text for k in keywords):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize("package", ["services", "cogs", "config", "sandbox"])
def test_the_sql_check_reads_every_module_of(package: str) -> None:
    """A layer with no modules found would pass the SQL check without reading anything."""
    assert len(list((ROOT / package).rglob("*.py"))) >= 2
