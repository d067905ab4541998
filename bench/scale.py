"""7. Scale, part 1 of issue 20: many guilds in one process (start-up to ready, memory per guild).

Each bot runs in a fresh interpreter (``python -m bench.scale <kind> <guilds> <members>``)
under SimCord, with the world there before it connects: ``guilds`` guilds of ``members``
members and three channels each, arriving in GUILD_CREATE. The child reports the real time
from ``env.start()`` to every guild cached and settled (``time.perf_counter``, which SimCord's
virtual clock leaves alone), the peak RSS, and the event loop's lag while it started: a
thread asks the loop to run a callback every 10 ms of real time and records how late it ran
(asyncio's own timers follow SimCord's virtual clock, so the probe can't sleep in the loop).

Memory per guild is the marginal cost: (Hallway - bare) at the large count minus the same at
the small count, over the difference in guilds, so Hallway's fixed overhead cancels out.

Not built yet (see docs/performance.md): the database seeded per guild (settings, two
office-hours series, ten announcements, 200 items; bench/startup.py measures the alarm
rebuild on its own). The sustained load is bench/load.py, the storm bench/storm.py.
"""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import Result, SimClock, settings_for, spawn_child, status_kib

TARGET_START_S = 5.0
TARGET_KIB_PER_GUILD = 20.0


class LagProbe:
    """Real-time loop lag: every ``period`` seconds a thread schedules a callback on the loop
    and the callback records how long it waited."""

    def __init__(self, loop: asyncio.AbstractEventLoop, period: float = 0.010) -> None:
        self.loop, self.period = loop, period
        self.lags_ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lag-probe", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            sent = time.perf_counter()
            try:
                self.loop.call_soon_threadsafe(self._arrived, sent)
            except RuntimeError:
                return

    def _arrived(self, sent: float) -> None:
        self.lags_ms.append((time.perf_counter() - sent) * 1000)

    def summary(self) -> dict[str, float]:
        if not self.lags_ms:
            return {"samples": 0}
        ordered = sorted(self.lags_ms)
        return {
            "samples": len(ordered),
            "p50_ms": round(statistics.median(ordered), 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2),
            "max_ms": round(ordered[-1], 2),
        }


async def _child(kind: str, guilds: int, members: int) -> dict[str, Any]:
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
        for g in range(guilds):
            guild = env.create_guild(f"community {g}")
            for name in ("general", "feedback", "announcements"):
                guild.create_text_channel(name)
            for n in range(members):
                guild.add_member(env.create_user(f"m{g}-{n}"))
        world_s = time.perf_counter() - built
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
            result = {
                "kind": kind,
                "guilds": cached,
                "members_per_guild": members,
                "world_build_s": round(world_s, 2),
                "start_to_ready_s": round(ready_s, 3),
                "peak_kib": status_kib("VmHWM"),
                "rss_kib": status_kib("VmRSS"),
                "loop_lag_during_start": probe.summary(),
            }
        finally:
            await env.shutdown()
            await bot.close()
    return result


def _spawn(kind: str, guilds: int, members: int) -> dict[str, Any]:
    return spawn_child("bench.scale", kind, guilds, members, timeout=1800)


def run(quick: bool) -> Result:
    small, large, members = (25, 250, 10) if quick else (250, 2_500, 20)
    runs = {
        (kind, g): _spawn(kind, g, members) for g in (small, large) for kind in ("bare", "hallway")
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
            "members_per_guild": members,
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
    print(json.dumps(asyncio.run(_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))))
