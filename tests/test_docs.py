"""The documentation builds as a site, and the README's links and copied set-up stay right."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    """`mkdocs build --strict` fails on a broken link or anchor and on a page left out of the nav.

    mkdocs is in the `test` extra: if it is missing this fails rather than skips.
    """
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{output}"
    assert (tmp_path / "index.html").is_file(), output


def test_the_readme_links_to_files_that_exist() -> None:
    """README.md is outside docs/, where mkdocs looks, so its relative links are checked here."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    relative = [t for t in targets if not re.match(r"[a-z]+:", t)]
    assert relative, "README.md should link to its guides in docs/"
    missing = [t for t in relative if not (ROOT / t).exists()]
    assert not missing, f"README.md links to files that don't exist: {missing}"


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"no '## {heading}' section"
    return match.group(1).strip()


def test_the_readme_and_the_setup_page_give_the_same_discord_setup() -> None:
    """The README's server set-up is repeated on docs/setup.md for the site; they must not drift."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = (ROOT / "docs" / "setup.md").read_text(encoding="utf-8")
    for heading in ("Run it on your Discord server", "Discord setup"):
        assert _section(readme, heading) == _section(setup, heading), (
            f"'{heading}' differs between README.md and docs/setup.md; keep them the same"
        )
