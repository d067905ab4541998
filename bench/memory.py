"""6. Memory: peak RSS of Hallway with every cog loaded vs a bare discord.py bot, same world.

Each bot runs in its own fresh interpreter (``python -m bench.memory <kind> ...``) under
SimCord with the same world: one guild with 10,000 members and 50 text channels, there
before the bot connects (it arrives in GUILD_CREATE and the member chunks). The child reports its
peak RSS (VmHWM from /proc/self/status, else ru_maxrss). The bare bot has the same intents
and member cache; it only lacks Hallway.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.common import GUILD_ID, Result, SimClock, settings_for, spawn_child, status_kib

TARGET_RATIO = 1.3


async def _child(kind: str, members: int, channels: int) -> dict[str, Any]:
    import discord
    import simcord
    from discord.ext import commands

    Env = simcord.Env

    logging.disable(logging.WARNING)
    before_bot = status_kib("VmRSS")
    with tempfile.TemporaryDirectory() as tmp:
        if kind != "bare":
            from bot import create_bot

            bot: Any = create_bot(settings_for(Path(tmp) / "h.db"), clock=SimClock())
        else:
            # bot.build_intents, written out: importing bot.py would load Hallway here too.
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
        env = Env(bot, check_errors=False)
        # The world exists before the bot connects, as when a bot (re)starts into a big
        # guild: it arrives in GUILD_CREATE and member chunks, not as 10,000 join events
        # (which would measure 10,000 pending listener tasks, not the bot holding a guild).
        guild = env.create_guild("Big community", id=GUILD_ID)
        for n in range(channels):
            guild.create_text_channel(f"channel-{n}")
        for n in range(members):
            guild.add_member(env.create_user(f"member{n}"))
        await env.start()
        try:
            await env.settle()
            seen = bot.get_guild(GUILD_ID)
            if seen is not None and not seen.chunked:
                # discord.py chunks at start-up with the members intent; SimCord leaves it
                # to the bot, so ask for the member list the way discord.py would.
                await seen.chunk()
                await env.settle()
            cached = len(seen.members) if seen is not None else 0
            if cached < members:
                raise RuntimeError(f"the bot caches {cached} members, expected {members}")
            cogs = sorted(bot.cogs)
            chart = {}
            if kind != "bare":
                chart = await _digest_with_chart(bot, kind)
            result = {
                **chart,
                "kind": kind,
                "peak_kib": status_kib("VmHWM"),
                "rss_kib": status_kib("VmRSS"),
                "rss_before_bot_kib": before_bot,
                "members_cached": cached,
                "channels": len(seen.channels) if seen is not None else 0,
                "cogs": cogs,
                "intents": bot.intents.value,
            }
        finally:
            await env.shutdown()
            await bot.close()
    return result


async def _digest_with_chart(bot: Any, kind: str) -> dict[str, Any]:
    """Build a digest with its chart as Monday's post would, so the peak includes it.

    ``hallway`` draws it the bot's way (a worker process); ``hallway_thread`` in a thread of
    the bot, as before the worker existed: the figure to compare with."""
    import sys

    from services.worker_process import InThread

    if kind == "hallway_thread":
        bot.services.digest.charts = InThread()
    day = (bot.clock.now().date()).isoformat()
    await bot.db.executemany(
        "INSERT INTO activity_member_day (guild_id, day, user_id, messages) VALUES (?, ?, ?, ?)",
        [(GUILD_ID, day, 10_000 + n, 1 + n % 7) for n in range(500)],
    )
    digest = await bot.services.digest.build_week(GUILD_ID)
    if not digest.chart_png:
        raise RuntimeError("the digest drew no chart")
    worker_kib = 0
    pid = getattr(bot.charts, "pid", None)
    if pid is not None:
        worker_kib = status_kib("VmHWM", f"/proc/{pid}/status")
    return {
        "chart_bytes": len(digest.chart_png),
        "matplotlib_in_bot": "matplotlib" in sys.modules,
        "chart_worker_peak_kib": worker_kib,
    }


def _spawn(kind: str, members: int, channels: int) -> dict[str, Any]:
    return spawn_child("bench.memory", kind, members, channels, timeout=900)


def run(quick: bool) -> Result:
    members, channels = (2_000, 50) if quick else (10_000, 50)
    bare = _spawn("bare", members, channels)
    hallway = _spawn("hallway", members, channels)
    before = _spawn("hallway_thread", members, channels)
    ratio = hallway["peak_kib"] / bare["peak_kib"]
    before_ratio = before["peak_kib"] / bare["peak_kib"]
    mib = 1024
    return Result(
        key="memory",
        name=f"Peak RSS, guild of {members:,} members, after a digest with its chart",
        value=round(hallway["peak_kib"] / 1024, 1),
        unit="MiB",
        baseline=round(bare["peak_kib"] / 1024, 1),
        baseline_name="bare discord.py bot, same intents, same world",
        ratio=round(ratio, 3),
        ratio_name="Hallway / bare",
        target=f"ratio <= {TARGET_RATIO}",
        met=ratio <= TARGET_RATIO,
        details={
            "members": members,
            "channels": channels,
            "hallway": hallway,
            "bare": bare,
            "chart_in_a_thread": before,
            "chart_in_a_thread_ratio": round(before_ratio, 3),
            "table_rows": [
                (
                    "  before: the chart drawn in a thread of the bot",
                    f"{before['peak_kib'] / mib:.1f} MiB",
                    f"{bare['peak_kib'] / mib:.1f} MiB",
                    f"{before_ratio:.2f}",
                    f"ratio <= {TARGET_RATIO}",
                    "yes" if before_ratio <= TARGET_RATIO else "NO",
                ),
                (
                    "  the chart worker process (its own peak, while it lives)",
                    f"{hallway['chart_worker_peak_kib'] / mib:.1f} MiB",
                    "-",
                    "-",
                    "(not targeted)",
                    "-",
                ),
            ],
            "extra_mib": round((hallway["peak_kib"] - bare["peak_kib"]) / 1024, 1),
        },
    )


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))))
