"""7. Scale, part 1 of issue 20: many guilds in one process (start-up to ready, memory per guild).

Each bot runs in a fresh interpreter (``python -m bench.scale <kind> <guilds> <step> <divisor>``)
under SimCord, with the world there before it connects: guilds of long-tailed sizes (most
50-500 members, one in a hundred 10,000-50,000: 1.49M memberships over 2,500 guilds; see
``guild_sizes``) with three channels each, arriving in GUILD_CREATE. For Hallway, the
database is there too, seeded with the world's own guild ids before the bot starts: for each
guild its settings, a weekly digest, two weekly office-hours series, ten recurring
announcements and 200 feedback items, fully indexed (bench.data.guilds_db). The child
reports the real time from ``env.start()`` to every guild cached and settled, then the time to
chunk every guild's members into the cache (which a real start does before ready; SimCord
skips it, see _child)
(``time.perf_counter``, which SimCord's virtual clock leaves alone), the time from setup_hook's
start to every alarm rebuilt, the jobs scheduled, the peak RSS, and the event loop's lag while
it started: a thread asks the loop to run a callback every 10 ms of real time and records how
late it ran (asyncio's own timers follow SimCord's virtual clock, so the probe can't sleep in
the loop).

Memory per guild is the marginal cost: (Hallway - bare) at 2,500 guilds minus the same at the
small count (every tenth guild of the same sizes), over the difference in guilds, so
Hallway's fixed overhead cancels out. The sustained load is bench/load.py, the storm
bench/storm.py.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench.common import (
    Result,
    SimClock,
    fresh_copy,
    now_ns,
    settings_for,
    spawn_child,
    status_kib,
)
from bench.data import guilds_db

TARGET_START_S = 5.0
T = TypeVar("T")
TARGET_KIB_PER_GUILD = 20.0


class LagProbe:
    """Real-time loop lag: every ``period`` seconds a thread schedules a callback on the loop
    and the callback records how long it waited.

    With ``sample_after_ms``, the thread also says where a stall is: while a callback has
    waited longer than that, it samples the loop thread's stack every few milliseconds, and
    ``stalls()`` gives the innermost frames seen most often. The collector's own pauses are
    counted apart (``gc`` in the summary), because a full collection over a large cache
    stops the loop as surely as slow code does."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        period: float = 0.010,
        sample_after_ms: float | None = None,
    ) -> None:
        self.loop, self.period = loop, period
        self.lags_ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lag-probe", daemon=True)
        self._sample_after = None if sample_after_ms is None else sample_after_ms / 1000
        self._arrived_event = threading.Event()
        self._loop_thread = threading.get_ident()
        self._stacks: Counter[tuple[str, ...]] = Counter()
        self._gc: dict[int, list[float]] = {}
        self._gc_began = 0.0

    def start(self) -> None:
        self._loop_thread = threading.get_ident()
        if self._sample_after is not None:
            gc.callbacks.append(self._on_gc)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            spent = (time.perf_counter() - self._gc_began) * 1000
            self._gc.setdefault(info["generation"], []).append(spent)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            sent = time.perf_counter()
            self._arrived_event.clear()
            try:
                self.loop.call_soon_threadsafe(self._arrived, sent)
            except RuntimeError:
                return
            if self._sample_after is not None:
                self._watch(sent)

    def _watch(self, sent: float) -> None:
        if self._arrived_event.wait(self._sample_after):
            return
        while not self._arrived_event.wait(0.005) and not self._stop.is_set():
            frame = sys._current_frames().get(self._loop_thread)
            if frame is not None:
                self._stacks[_where(frame)] += 1

    def _arrived(self, sent: float) -> None:
        self.lags_ms.append((time.perf_counter() - sent) * 1000)
        self._arrived_event.set()

    def stalls(self, top: int = 5) -> list[tuple[int, list[str]]]:
        """(samples, innermost frames first) for the stacks seen most often during stalls."""
        return [(n, list(stack)) for stack, n in self._stacks.most_common(top)]

    def summary(self) -> dict[str, Any]:
        if not self.lags_ms:
            return {"samples": 0}
        ordered = sorted(self.lags_ms)
        found: dict[str, Any] = {
            "samples": len(ordered),
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max_ms": round(ordered[-1], 2),
        }
        if self._sample_after is not None:
            found["gc"] = {
                f"gen{g}": {"count": len(t), "max_ms": round(max(t), 1),
                            "total_ms": round(sum(t), 1)}
                for g, t in sorted(self._gc.items())
            }  # fmt: skip
            found["stalls"] = self.stalls()
        return found


def print_stalls(lag: dict[str, Any]) -> None:
    """Where the loop stood still (a LagProbe summary with ``sample_after_ms``): the
    collector's pauses, then the stacks sampled in stalls."""
    print(f"  garbage collector: {lag.get('gc')}")
    for samples, stack in lag.get("stalls", []):
        print(f"  stalled ({samples} samples of 5 ms): {' <- '.join(stack)}")


_ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def _where(frame: Any, depth: int = 8) -> tuple[str, ...]:
    """The innermost ``depth`` frames as 'file:function:line', library paths shortened."""
    out = []
    while frame is not None and len(out) < depth:
        code = frame.f_code
        name = code.co_filename
        for marker in ("site-packages/", "lib/python3.11/"):
            if marker in name:
                name = name.split(marker, 1)[1]
        if name.startswith(_ROOT):
            name = name[len(_ROOT) :]
        out.append(f"{name}:{code.co_name}:{frame.f_lineno}")
        frame = frame.f_back
    return tuple(out)


async def timed_with_lag(
    call: Callable[[], Awaitable[T]], rounds: int
) -> tuple[list[int], float, T]:
    """``rounds`` awaits of ``call()``: each one's time (ns), the event loop's worst lag during
    a round (median of the rounds, ms), and the last result. For answers that grow with
    history (exports), where what matters is whether other guilds wait meanwhile."""
    samples: list[int] = []
    lags: list[float] = []
    result: T | None = None
    for _ in range(rounds):
        probe = LagProbe(asyncio.get_running_loop())
        probe.start()
        start = now_ns()
        result = await call()
        samples.append(now_ns() - start)
        await asyncio.sleep(0.02)  # let the last probe land
        probe.stop()
        lags.append(probe.summary().get("max_ms", 0.0))
    assert result is not None
    return samples, sorted(lags)[len(lags) // 2], result


ALL_GUILDS = 2_500
SEED_NOW = datetime(2026, 1, 1, tzinfo=UTC)  # SimCord's virtual clock when a world is built


def guild_sizes(guilds: int = ALL_GUILDS) -> list[int]:
    """Members per guild, a long tail: most 50-500 (skewed to the top), one in a hundred
    10,000-50,000. Fixed by a seed, so every run builds the same world (and SimCord gives it the
    same ids). The big guilds sit where taking every tenth guild keeps about a tenth of them."""
    rng = random.Random(3)
    sizes = [round(rng.triangular(50, 500, 500)) for _ in range(guilds)]
    big = max(1, guilds // 100)
    for i in range(big):
        sizes[(i * 100 + i % 10) % guilds] = round(10_000 * 5 ** (i / max(1, big - 1)))
    return sizes


async def _child(kind: str, guilds: int, step: int, divisor: int) -> dict[str, Any]:
    import discord
    import simcord
    from discord.ext import commands

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "hallway":
            from bot import create_bot

            bot: Any = create_bot(settings_for(Path(tmp) / "h.db"), clock=SimClock())
        else:
            intents = discord.Intents.default()
            intents.members = True
            intents.message_content = True
            intents.typing = False
            intents.presences = False
            bot = commands.Bot(
                command_prefix=commands.when_mentioned,
                help_command=None,
                intents=intents,
                allowed_mentions=discord.AllowedMentions.none(),
            )
        env = simcord.Env(bot, check_errors=False)
        built = time.perf_counter()
        sizes = [max(1, n // divisor) for n in guild_sizes()[::step][:guilds]]
        pairs = []
        for g, size in enumerate(sizes):
            guild = env.create_guild(f"community {g}")
            general = guild.create_text_channel("general")
            for name in ("feedback", "announcements"):
                guild.create_text_channel(name)
            for n in range(size):
                guild.add_member(env.create_user(f"m{g}-{n}"))
            pairs.append((guild.id, general.id))
        world_s = time.perf_counter() - built
        seeded: dict[str, Any] = {}
        hooked: list[float] = []
        if kind == "hallway":
            seeded = await _seed(Path(tmp) / "h.db", pairs)
            hook = bot.sync_commands_if_changed

            async def jobs_rebuilt() -> None:
                # setup_hook's last step: every alarm is rebuilt by now.
                hooked.append(time.perf_counter())
                await hook()

            bot.sync_commands_if_changed = jobs_rebuilt
        probe = LagProbe(asyncio.get_running_loop())
        probe.start()
        started = time.perf_counter()
        await env.start()
        try:
            await env.settle()
            ready_s = time.perf_counter() - started
            probe.stop()
            cached = len(bot.guilds)
            if cached < guilds:
                raise RuntimeError(f"the bot holds {cached} guilds, expected {guilds}")
            # discord.py chunks every guild before ready, but SimCord sets its guild-ready
            # timeout to 0, so the start-up chunking is skipped there: fill the member cache
            # here, as a real start would, and time it on its own (a bare bot pays the same).
            chunk_began = time.perf_counter()
            for guild in bot.guilds:
                await guild.chunk()
            chunk_s = time.perf_counter() - chunk_began
            await env.settle()
            result = {
                "kind": kind,
                "guilds": cached,
                "memberships": sum(sizes),
                "members_largest": max(sizes),
                "members_median": sorted(sizes)[len(sizes) // 2],
                "members_cached": sum(len(g.members) for g in bot.guilds),
                "world_build_s": round(world_s, 2),
                "start_to_ready_s": round(ready_s, 3),
                "chunk_all_members_s": round(chunk_s, 2),
                "start_to_alarms_rebuilt_s": round(hooked[0] - started, 3) if hooked else None,
                "alarm_jobs": len(bot.alarm.names()) if kind == "hallway" else None,
                **seeded,
                "peak_kib": status_kib("VmHWM"),
                "rss_kib": status_kib("VmRSS"),
                "loop_lag_during_start": probe.summary(),
            }
        finally:
            await env.shutdown()
            await bot.close()
    return result


async def _seed(path: Path, pairs: list[tuple[int, int]]) -> dict[str, Any]:
    """The world's guilds in the bot's database, before it starts (cached by bench.data)."""

    def build() -> dict[str, Any]:
        began = time.perf_counter()
        fresh_copy(guilds_db(pairs, now=SEED_NOW), path)
        return {
            "db_per_guild": "settings, digest, 2 office-hours series, 10 announcements, 200 items",
            "db_mib": round(path.stat().st_size / 2**20, 1),
            "db_ready_s": round(time.perf_counter() - began, 1),
        }

    return await asyncio.to_thread(build)


def _spawn(kind: str, guilds: int, step: int, divisor: int) -> dict[str, Any]:
    return spawn_child("bench.scale", kind, guilds, step, divisor, timeout=3600)


def run(quick: bool) -> Result:
    # --quick: a tenth of the guilds, each a tenth of its size (the same long tail).
    large, divisor = (250, 10) if quick else (ALL_GUILDS, 1)
    small = large // 10
    steps = {small: ALL_GUILDS // small, large: ALL_GUILDS // large}
    runs = {
        (kind, g): _spawn(kind, g, steps[g], divisor)
        for g in (small, large)
        for kind in ("bare", "hallway")
    }
    extra = {
        g: runs["hallway", g]["peak_kib"] - runs["bare", g]["peak_kib"] for g in (small, large)
    }
    per_guild = (extra[large] - extra[small]) / (large - small)
    start = runs["hallway", large]["start_to_ready_s"]
    bare_start = runs["bare", large]["start_to_ready_s"]
    return Result(
        key="scale",
        name=f"Many guilds: start-up to ready, {large:,} guilds",
        value=round(start, 3),
        unit="s",
        baseline=round(bare_start, 3),
        baseline_name="bare discord.py bot, same intents, same world",
        ratio=round(start / bare_start, 2),
        ratio_name="Hallway / bare",
        target=f"< {TARGET_START_S:g} s; <= {TARGET_KIB_PER_GUILD:g} KiB a guild",
        met=start < TARGET_START_S and per_guild <= TARGET_KIB_PER_GUILD,
        rank_by="value",
        details={
            "memberships": runs["hallway", large]["memberships"],
            "runs": {f"{k}-{g}": v for (k, g), v in runs.items()},
            "kib_per_guild_above_bare": round(per_guild, 1),
            "table_rows": [
                (
                    "  memory per guild above a bare bot (marginal)",
                    f"{per_guild:.1f} KiB",
                    "-",
                    "-",
                    f"<= {TARGET_KIB_PER_GUILD:g} KiB",
                    "yes" if per_guild <= TARGET_KIB_PER_GUILD else "NO",
                ),
                (
                    "  loop lag during start-up p50 / p99 / max",
                    "{p50_ms} / {p99_ms} / {max_ms} ms".format(
                        **runs["hallway", large]["loop_lag_during_start"]
                    ),
                    "{p50_ms} / {p99_ms} / {max_ms} ms".format(
                        **runs["bare", large]["loop_lag_during_start"]
                    ),
                    "-",
                    "(start-up; the 20 ms target is for load)",
                    "-",
                ),
            ],
        },
    )


if __name__ == "__main__":
    kind, *numbers = sys.argv[1:]
    print(json.dumps(asyncio.run(_child(kind, *(int(n) for n in numbers)))))
