"""9. Scale, part 3 of issue 20: the Monday-morning digest storm.

The real bot under SimCord (``python -m bench.storm guilds rate``) holds ``guilds`` guilds,
each with its weekly digest set for Monday 09:00 UTC in its #general (``skip_empty`` off, so
every guild posts). Virtual time is moved to just before 09:00, then forward in one-second
steps, while a real-time pacer keeps handing interactions to discord.py (bench.load's mix,
over the first 100 guilds). Measured: the real time and the virtual time until every guild's
run is ``posted``, the event loop's lag meanwhile (LagProbe), the interactions' time to
acknowledge, and the message POSTs the bot made per virtual second.

SimCord does not simulate rate limits (no 429s are ever returned), so the bench can't count
429s; it reports the peak POSTs per virtual second against Discord's 50 requests/s instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from bench.common import Result, spawn_child, status_kib
from bench.load import Acks, Driver, Pacer, ack_summary, build_world, real_sleep, seed_guilds
from bench.scale import LagProbe, print_stalls

TARGET_S = 300.0
GLOBAL_LIMIT = 50  # Discord: requests per second for a bot
DRIVEN_GUILDS = 100
STEP_S = 1.0
MAX_VIRTUAL_S = 900


async def _child(guilds: int, rate: float) -> dict[str, Any]:
    from cogs.digest import DigestCog

    logging.disable(logging.WARNING)
    handles = await build_world(guilds, members=3)
    env, bot, world = handles["env"], handles["bot"], handles["world"]
    # A step of the storm can take SimCord more than its default 5 real seconds to settle.
    env.settle_timeout = 60
    try:
        driven = world[:DRIVEN_GUILDS]
        await seed_guilds(bot, driven)
        # Driver code reads SimCord's virtual clock only inside its time context.
        with env.time_context():
            for w in world:
                await bot.services.digest.configure(
                    w["guild"].id,
                    channel_id=w["channel"],
                    day="monday",
                    post_time="09:00",
                    timezone="UTC",
                    enabled=True,
                    skip_empty=False,
                )
            cog = next(c for c in bot.cogs.values() if isinstance(c, DigestCog))
            await cog.rebuild_schedule()
            now = env.now()
            monday = (now + timedelta(days=(7 - now.weekday()) % 7 or 7)).date()
            due = datetime.combine(monday, dt_time(9, 0), UTC)
            await env.advance_time((due - env.now()).total_seconds() - 2)
        await env.settle()
        acks = Acks()
        driver = Driver(env, bot, driven, acks)
        acks.install()
        loop = asyncio.get_running_loop()
        # Stalls over 100 ms are sampled, to say where the loop's worst lag comes from.
        probe = LagProbe(loop, sample_after_ms=100)
        pacer = Pacer(loop, rate, driver.interaction, contextvars.copy_context())
        posts_before = len(env.http_requests)
        per_second: Counter[int] = Counter()
        probe.start()
        pacer.start()
        started = time.perf_counter()
        posted, virtual = 0, 0.0
        while virtual < MAX_VIRTUAL_S:
            seen = len(env.http_requests)
            await env.advance_time(STEP_S)
            virtual += STEP_S
            per_second[int(virtual)] = sum(
                1
                for r in env.http_requests[seen:]
                if r.method == "POST" and "/channels/" in str(r.path)
            )
            posted = await bot.db.fetchval(
                "SELECT count(*) FROM digest_runs WHERE status = 'posted'"
            )
            if posted >= guilds:
                break
        storm_s = time.perf_counter() - started
        pacer.stop()
        drained = time.perf_counter()
        while acks.waiting() and time.perf_counter() - drained < 15:
            await real_sleep(0.05)
        probe.stop()
        return {
            "guilds": guilds,
            "posted": posted,
            "all_posted_real_s": round(storm_s, 2),
            "all_posted_virtual_s": virtual,
            "peak_channel_posts_per_virtual_s": max(per_second.values(), default=0),
            "channel_posts": sum(per_second.values()),
            "http_requests": len(env.http_requests) - posts_before,
            "rate_limits_simulated": False,
            "interactions": ack_summary(acks),
            "interactions_driven_guilds": len(driven),
            "bench_errors": dict(driver.errors.most_common(5)),
            "loop_lag": probe.summary(),
            "peak_kib": status_kib("VmHWM"),
        }
    finally:
        await env.shutdown()
        await bot.close()
        handles["tmp"].cleanup()


def run(quick: bool) -> Result:
    guilds, rate = (100, 20) if quick else (2_500, 20)
    r = spawn_child("bench.storm", guilds, rate, timeout=900)
    acks, lag = r["interactions"], r["loop_lag"]
    peak = r["peak_channel_posts_per_virtual_s"]
    print_stalls(lag)
    met = (
        r["posted"] >= guilds
        and r["all_posted_virtual_s"] <= TARGET_S
        and peak <= GLOBAL_LIMIT
        and acks["within_3s_share"] == 1.0
    )
    return Result(
        key="storm",
        name=f"Digest storm: {guilds:,} digests due at once, real time until all posted",
        value=r["all_posted_real_s"],
        unit="s",
        baseline=None,
        baseline_name="",
        ratio=None,
        ratio_name="",
        target=f"all within {TARGET_S:g} s, <= {GLOBAL_LIMIT} req/s, acks < 3 s",
        met=met,
        rank_by="value",
        details={
            **r,
            "table_rows": [
                (
                    "  posted / virtual time until all posted",
                    f"{r['posted']} of {guilds} / {r['all_posted_virtual_s']:g} s",
                    "-",
                    "-",
                    f"all, <= {TARGET_S:g} s",
                    "yes"
                    if r["posted"] >= guilds and r["all_posted_virtual_s"] <= TARGET_S
                    else "NO",
                ),
                (
                    "  peak channel POSTs per virtual second (SimCord: no 429s)",
                    str(peak),
                    "-",
                    "-",
                    f"<= {GLOBAL_LIMIT}",
                    "yes" if peak <= GLOBAL_LIMIT else "NO",
                ),
                (
                    "  interactions meanwhile: ack p50 / p99, within 3 s",
                    f"{acks.get('p50_ms')} / {acks.get('p99_ms')} ms, "
                    f"{acks['within_3s_share']:.2%} of {acks['interactions_sent']}",
                    "-",
                    "-",
                    "p99 < 25 ms, 100%",
                    "yes"
                    if acks["within_3s_share"] == 1.0 and acks.get("p99_ms", 1e9) < 25
                    else "NO",
                ),
                (
                    "  loop lag p50 / p99 / max",
                    "{p50_ms} / {p99_ms} / {max_ms} ms".format(**lag),
                    "-",
                    "-",
                    "p99 < 20 ms",
                    "yes" if lag.get("p99_ms", 1e9) < 20 else "NO",
                ),
            ],
        },
    )


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_child(int(sys.argv[1]), float(sys.argv[2])))))
