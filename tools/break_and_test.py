"""Break one line on purpose, run the tests that should notice, report what failed, undo.

    python tools/break_and_test.py NAME FILE LINE[,LINE...] OLD NEW -- TEST...

Each LINE of FILE has OLD replaced by NEW (LINE 0: the first OLD anywhere in the file). OLD
``GUILD`` is the guild-isolation break: ``guild_id = ?`` becomes ``(guild_id = ? OR 1)``, so
that read sees every guild's rows with the same parameters. The tests run with
``-p no:randomly``; the file is always restored. A break no test notices says so: that test
can't fail on this (docs/test-audit.md was made this way). Logs and JUnit XML go to
``$BREAK_OUT`` (default /tmp/breaks).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def broken(src: str, lines: list[int], old: str, new: str) -> str:
    if not lines or lines == [0]:
        if old not in src:
            raise SystemExit(f"no {old!r} in the file")
        return src.replace(old, new, 1)
    rows = src.splitlines(keepends=True)
    for n in lines:
        before = rows[n - 1]
        if old == "GUILD":
            after = re.sub(r"([\w.]*guild_id = \?)", r"(\1 OR 1)", before)
        else:
            after = before.replace(old, new)
        if after == before:
            raise SystemExit(f"line {n} has no {old!r}: {before!r}")
        rows[n - 1] = after
    return "".join(rows)


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv[: argv.index("--")]) != 5:
        raise SystemExit(__doc__)
    name, path, where, old, new = argv[: argv.index("--")]
    tests = argv[argv.index("--") + 1 :]
    out = Path(os.environ.get("BREAK_OUT", "/tmp/breaks"))
    out.mkdir(parents=True, exist_ok=True)
    target = Path(path)
    src = target.read_text(encoding="utf-8")
    target.write_text(broken(src, [int(x) for x in where.split(",")], old, new), encoding="utf-8")
    try:
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
             "--tb=short", f"--junitxml={out / name}.xml", *tests],
            capture_output=True, text=True,
        )  # fmt: skip
    finally:
        target.write_text(src, encoding="utf-8")
    (out / f"{name}.log").write_text(run.stdout + run.stderr, encoding="utf-8")
    last = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-300:]
    print(f"## {name}: {path}:{where} {old!r} -> {new!r}\n    {last}")
    failed = 0
    for case in ET.parse(out / f"{name}.xml").getroot().iter("testcase"):
        for problem in [*case.findall("failure"), *case.findall("error")]:
            failed += 1
            where_in_test = ""
            for text in (problem.text or "").splitlines():
                found = re.match(r"(tests/\S+\.py):(\d+):", text.strip())
                if found:
                    where_in_test = f"{found.group(1)}:{found.group(2)}"
            message = (problem.get("message") or "").replace("\n", " ")[:220]
            print(f"  FAIL {case.get('name')} [{where_in_test}] {message}")
    if not failed:
        print("  nothing failed: no test notices this break")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
