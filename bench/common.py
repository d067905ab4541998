"""Shared pieces of the benchmarks: sizes, timing, realistic text, machine facts, and the
bot's clock and settings under SimCord."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import discord

from config.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "feedback_dev.jsonl"
# Generated databases are cached here so a rerun skips the slow part.
CACHE = Path(os.environ.get("HALLWAY_BENCH_CACHE", "/tmp/hallway-bench"))
# The guild every generated database belongs to; SimCord's guild is created with this id.
GUILD_ID = 900_000_000_000_000_001
# Bump when a generator changes; the schema's own hash is part of every cache key too.
GENERATOR_VERSION = 4


@dataclass
class Result:
    """One benchmark's headline figure, its baseline and its target."""

    key: str
    name: str
    value: float
    unit: str
    baseline: float | None
    baseline_name: str
    ratio: float | None
    ratio_name: str
    target: str
    met: bool
    details: dict[str, Any] = field(default_factory=dict)
    # Which figure the target is about: a repeated run keeps the median of this one.
    rank_by: str = "ratio"

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_name": self.baseline_name,
            "ratio": self.ratio,
            "ratio_name": self.ratio_name,
            "target": self.target,
            "met": self.met,
            "details": self.details,
        }


def now_ns() -> int:
    # perf_counter is not virtualised by SimCord (only monotonic/loop time are).
    return time.perf_counter_ns()


def ms(ns: float) -> float:
    return ns / 1e6


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 500 samples is the 495th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def latency_stats(samples: list[int]) -> dict[str, float]:
    """p50, p99, mean and max in milliseconds of samples timed in nanoseconds."""
    values = [ms(s) for s in samples]
    return {
        "p50_ms": round(median(values), 3),
        "p99_ms": round(percentile(values, 99), 3),
        "mean_ms": round(sum(values) / len(values), 3),
        "max_ms": round(max(values), 3),
        "n": len(values),
    }


async def interleaved(
    rounds: int, warmup: int, actions: dict[str, Callable[[int], Any]]
) -> dict[str, list[int]]:
    """Run each action once per round, in turn, so load changes hit every one alike."""
    samples: dict[str, list[int]] = {name: [] for name in actions}
    for i in range(warmup + rounds):
        for name, action in actions.items():
            elapsed = await action(i)
            if i >= warmup:
                samples[name].append(elapsed)
    return samples


# --------------------------------------------------------------------------- the bot


class SimClock:
    """The bot's clock under SimCord: its virtual time."""

    def now(self) -> datetime:
        return discord.utils.utcnow()


def settings_for(path: Path) -> Settings:
    """Hallway's settings for a benchmark database at ``path``, in UTC."""
    return load_settings({"HALLWAY_DATABASE": str(path), "HALLWAY_TIMEZONE": "UTC"})


def schema_key() -> str:
    """Short hash of the migrations and GENERATOR_VERSION: a cached database must match both."""
    digest = hashlib.sha256(str(GENERATOR_VERSION).encode())
    for path in sorted((ROOT / "storage" / "migrations").glob("*.sql")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def fresh_copy(template: Path, target: Path) -> Path:
    """Copy a cached database (and no stale WAL) to a scratch file."""
    remove_db(target)
    shutil.copyfile(template, target)
    return target


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- realistic text

_PREFIXES = [
    "",
    "",
    "hey team, ",
    "Hi! ",
    "quick one: ",
    "not sure if this is known but ",
    "FYI ",
    "@here ",
    "ugh. ",
    "Following up on yesterday: ",
]
_SUFFIXES = [
    "",
    "",
    " thanks!",
    " Any ideas?",
    " (on {os})",
    " using v{major}.{minor}.{patch}",
    " — happens every time since the {major}.{minor} release",
    " we're on the {plan} plan btw",
    " Error code {code}.",
    " see https://docs.acme.dev/guides/{slug}",
    '\n```\nTraceback (most recent call last):\n  File "app.py", line {line}, in <module>\n'
    "    client.{slug}.create()\nacme.errors.ApiError: {code}\n```",
]
_OS = ["macOS 15", "Ubuntu 24.04", "Windows 11", "Alpine", "an M3 mac", "WSL2"]
_PLANS = ["free", "pro", "team", "enterprise"]
_SLUGS = ["payments", "webhooks", "auth", "orders", "pagination", "rate-limits", "sdk-setup"]
_SWAPS = [
    ("python", "node"),
    ("node", "go"),
    ("dashboard", "console"),
    ("docs", "documentation"),
    ("slow", "sluggish"),
    ("login", "sign-in"),
    ("webhook", "callback"),
    ("API", "REST API"),
]


def dev_texts() -> list[str]:
    with DEV_SET.open(encoding="utf-8") as fh:
        return [json.loads(line)["text"] for line in fh if line.strip()]


def vary(text: str, rng: random.Random) -> str:
    """One realistic variant of a real feedback message: greeting, swaps, details, paste."""
    out = text
    for old, new in rng.sample(_SWAPS, 2):
        if old in out and rng.random() < 0.5:
            out = out.replace(old, new, 1)
    if rng.random() < 0.15:
        out = out.lower()
    fill = {
        "os": rng.choice(_OS),
        "major": rng.randint(1, 5),
        "minor": rng.randint(0, 20),
        "patch": rng.randint(0, 9),
        "plan": rng.choice(_PLANS),
        "code": rng.choice(["429", "500", "503", "E1042", "401", "ERR_TIMEOUT"]),
        "slug": rng.choice(_SLUGS),
        "line": rng.randint(3, 400),
    }
    return (rng.choice(_PREFIXES) + out + rng.choice(_SUFFIXES).format(**fill)).strip()


def messages(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    base = dev_texts()
    return [vary(rng.choice(base), rng) for _ in range(count)]


_WS = re.compile(r"\s+")


def summary_of(text: str) -> str:
    first = _WS.sub(" ", text.splitlines()[0] if text else "").strip()
    return first[:100].strip() or "feedback"


# --------------------------------------------------------------------------- machine


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def machine() -> dict[str, Any]:
    model = ""
    for line in _run(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
    mem = ""
    for line in _run(["free", "-h"]).splitlines():
        if line.startswith("Mem:"):
            mem = line.split()[1]
    import aiosqlite
    import discord

    return {
        "cpu_model": model or platform.processor(),
        "nproc": os.cpu_count(),
        "memory_total": mem,
        "python": platform.python_version(),
        "sqlite": __import__("sqlite3").sqlite_version,
        "discord_py": discord.__version__,
        "aiosqlite": getattr(aiosqlite, "__version__", "?"),
        "platform": platform.platform(),
        "executable": sys.executable,
    }


def status_kib(field: str, status: str = "/proc/self/status") -> int:
    """A figure from /proc/self/status: VmRSS (now) or VmHWM (the peak), in KiB."""
    try:
        for line in Path(status).read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    if field != "VmHWM" or status != "/proc/self/status":
        return 0
    import resource  # off Linux the peak is still known, in KiB on Linux-like systems

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def spawn_child(module: str, *args: object, timeout: float) -> dict[str, Any]:
    """Run ``python -m module args...`` in a fresh interpreter (so its memory is its own) and
    return the JSON of its last line."""
    done = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} child {args[0]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
