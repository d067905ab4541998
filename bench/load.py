"""8. Scale, part 2 of issue 20: a sustained mixed load across many guilds.

The real bot runs under SimCord in a fresh interpreter (``python -m bench.load guilds seconds
rate msg_rate``) holding ``guilds`` guilds, each with an office-hours session, one feedback
item and ten members. A pacer thread, on the **real** clock, hands interactions to
discord.py at ``rate`` per second in the mix below, and background messages at ``msg_rate``
per second, as gateway payloads (``parse_interaction_create`` / ``parse_message_create``),
so SimCord's actors and their settling stay out of the figures. Real time, not SimCord's
virtual clock: the virtual clock only moves while SimCord settles, and a load is about how
the bot keeps up with wall-clock arrivals.

Time to acknowledge is measured on SimCord's side of the wire: from the moment the payload
is handed to discord.py to the moment the interaction's initial response (its
``/callback``) reaches SimCord's HTTP adapter. Each interaction's callbacks are counted, so
"exactly one response" is checked, not assumed. The event loop's lag is bench.scale's
LagProbe (a thread schedules a callback every 10 ms of real time).

Meanwhile SimCord's virtual clock is moved one second per real second, so announcements
(two per second, each in a guild of its own in turn) fire during the load. Nothing lost is
counted, not assumed: the activity counters written against the messages handed over, and the
announcements recorded sent against the posts SimCord received and the number due.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import Result, SimClock, percentile, settings_for, spawn_child, status_kib
from bench.scale import LagProbe, print_stalls

ACK_LIMIT_MS = 3_000.0
TARGET_P99_MS = 25.0
TARGET_LAG_P99_MS = 20.0
# The mix: ask, capture, vote, next/list, button clicks, autocomplete.
MIX = (
    ("ask", 20),
    ("submit_modal", 15),
    ("capture", 15),
    ("vote_button", 20),
    ("list", 10),
    ("show", 10),
    ("autocomplete", 15),
)
KINDS = [kind for kind, weight in MIX for _ in range(weight)]
DRAIN_S = 15.0


class Acks:
    """Wraps SimCord's interactions HTTP adapter: when each interaction's first callback
    arrived, and how many callbacks it got."""

    def __init__(self) -> None:
        self.sent_at: dict[str, int] = {}
        self.kind: dict[str, str] = {}
        self.first_at: dict[str, int] = {}
        self.callbacks: Counter[str] = Counter()
        # A modal belongs to the member it was shown to: (guild, user, modal) to submit.
        self.shown: dict[str, tuple[Any, int]] = {}
        self.modals: list[tuple[Any, int, dict[str, Any]]] = []

    def install(self) -> None:
        from discord.webhook.async_ import async_context

        adapter = async_context.get()
        original = adapter.request

        async def request(route: Any, session: Any, **kwargs: Any) -> Any:
            url = str(getattr(route, "url", ""))
            if url.endswith("/callback"):
                token = url.rsplit("/", 2)[-2]
                if token in self.sent_at:
                    self.callbacks[token] += 1
                    self.first_at.setdefault(token, time.perf_counter_ns())
                    shown = self.shown.pop(token, None)
                    data = (kwargs.get("payload") or {}).get("data")
                    if shown is not None and data and "custom_id" in data:
                        self.modals.append((*shown, data))
            return await original(route, session, **kwargs)

        adapter.request = request

    def waiting(self) -> int:
        return len(self.sent_at) - len(self.first_at)


class Pacer:
    """A real-time thread that asks the loop to fire the n-th event when it is due."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, rate: float, fire: Any, context: Any
    ) -> None:
        self.loop, self.rate, self.fire, self.context = loop, rate, fire, context
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pacer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        began = time.perf_counter()
        while not self._stop.wait(0.005):
            due = int((time.perf_counter() - began) * self.rate)
            while self.sent < due:
                try:
                    self.loop.call_soon_threadsafe(self.fire, self.sent, context=self.context)
                except RuntimeError:
                    return
                self.sent += 1


async def build_world(guilds: int, members: int = 10) -> dict[str, Any]:
    """Start the real bot in SimCord over ``guilds`` guilds; return the handles the load needs."""
    import simcord

    from bot import create_bot

    tmp = tempfile.TemporaryDirectory()
    bot: Any = create_bot(settings_for(Path(tmp.name) / "load.db"), clock=SimClock())
    env = simcord.Env(bot, check_errors=False)
    world: list[dict[str, Any]] = []
    for g in range(guilds):
        guild = env.create_guild(f"community {g}")
        general = guild.create_text_channel("general")
        guild.create_text_channel("feedback")
        people = [guild.add_member(env.create_user(f"m{g}-{n}")) for n in range(members)]
        world.append({"guild": guild, "channel": general.id, "members": [m.id for m in people]})
    await env.start()
    await env.settle()
    return {"env": env, "bot": bot, "tmp": tmp, "world": world}


async def seed_guilds(bot: Any, world: list[dict[str, Any]]) -> None:
    """One office-hours session two days ahead and one feedback item per guild."""
    import discord

    from storage.office_hours.rows import NewSession
    from storage.office_hours.sessions import OfficeHoursRepository

    repo = OfficeHoursRepository(bot.db)
    for w in world:
        gid = w["guild"].id
        starts = discord.utils.utcnow() + timedelta(days=2)
        await repo.insert_session(
            NewSession(
                guild_id=gid,
                title="Weekly office hours",
                description=None,
                host_id=w["members"][0],
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                zone="UTC",
                repeat_spec="none",
                series_anchor=starts,
                location_channel_id=None,
                location_kind=None,
                text_channel_id=w["channel"],
            ),
            discord.utils.utcnow(),
        )
        result = await bot.services.feedback.capture(
            guild_id=gid,
            source="command",
            reporter_id=w["members"][1],
            reporter_name="seed",
            captured_by_id=w["members"][1],
            summary="The webhooks docs skip the signature check",
        )
        w["item"] = result.item.id


ANNOUNCEMENTS_PER_S = 2
ANNOUNCEMENT_BODY = "Load-bench announcement"


async def schedule_announcements(
    env: Any, bot: Any, world: list[dict[str, Any]], seconds: float
) -> int:
    """Announcements due every half virtual second of the run, each in its own guild in turn,
    so posting jobs fire while the interactions arrive. Returns how many are due."""
    from cogs.announcements.commands import AnnouncementsCog
    from storage.announcements import AnnouncementRepository, NewAnnouncement

    repo = AnnouncementRepository(bot.db)
    delivery = next(c for c in bot.cogs.values() if isinstance(c, AnnouncementsCog)).delivery
    with env.time_context():
        now = env.now()
    due = int(seconds * ANNOUNCEMENTS_PER_S)
    for n in range(due):
        w = world[n % len(world)]
        at = now + timedelta(seconds=1 + n / ANNOUNCEMENTS_PER_S)
        created = await repo.create(
            NewAnnouncement(
                guild_id=w["guild"].id,
                author_id=w["members"][0],
                channel_id=w["channel"],
                channel_kind="text",
                title=None,
                body=f"{ANNOUNCEMENT_BODY} {n}",
                image_url=None,
                ping_role_id=None,
                ping_everyone=False,
                repeat_spec="none",
                zone="UTC",
                anchor=at,
                next_run_at=at,
                late_policy="default",
            ),
            now,
        )
        delivery.sync_alarm(created)
    return due


async def run_clock(env: Any, seconds: float) -> None:
    """Move SimCord's virtual clock one second per real second, so alarms fire in the run."""
    began = time.perf_counter()
    for tick in range(1, int(seconds) + 1):
        await env.advance_time(1)
        await real_sleep(max(0.0, began + tick - time.perf_counter()))


class Driver:
    """Builds one interaction or message payload and hands it to discord.py."""

    def __init__(self, env: Any, bot: Any, world: list[dict[str, Any]], acks: Acks) -> None:
        from bench.common import messages, summary_of

        self.env, self.bot, self.world, self.acks = env, bot, world, acks
        self.rng = random.Random(20)
        self.parse_interaction = bot._connection.parsers["INTERACTION_CREATE"]
        self.parse_message = bot._connection.parsers["MESSAGE_CREATE"]
        self.texts = messages(500, seed=20)
        self.summaries = [summary_of(t) for t in self.texts]
        first = world[0]
        self.ids = {
            c["name"]: c["id"]
            for c in env.backend.visible_commands(
                user_id=first["members"][0], channel_id=first["channel"]
            )
        }
        self.errors: Counter[str] = Counter()
        self.messages_sent = 0
        self._message_id = 10**18

    def _slash(self, name: str, sub: str, **options: Any) -> dict[str, Any]:
        opts = [
            {"type": 4 if isinstance(v, int) else 3, "name": k, "value": v}
            for k, v in options.items()
        ]
        return {
            "id": self.ids[name],
            "name": name,
            "type": 1,
            "options": [{"type": 1, "name": sub, "options": opts}],
        }

    def _data(
        self, kind: str, w: dict[str, Any], i: int, modal: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        text = self.texts[i % len(self.texts)]
        if kind == "ask":
            return 2, self._slash("officehours", "ask", question=self.summaries[i % 500])
        if kind == "submit_modal":
            return 2, self._slash("feedback", "submit")
        if kind == "capture" and modal is not None:
            from bench.commands import _fill

            values = {"summary": self.summaries[i % 500], "details": text, "area": ""}
            return 5, {
                "custom_id": modal["custom_id"],
                "components": _fill(modal["components"], values),
            }
        if kind == "vote_button":
            return 3, {"custom_id": f"hallway:feedback:vote:{w['item']}", "component_type": 2}
        if kind == "show":
            return 2, self._slash("feedback", "show", item=w["item"])
        if kind == "autocomplete":
            data = self._slash("feedback", "show")
            data["options"][0]["options"] = [
                {"type": 4, "name": "item", "value": "web", "focused": True}
            ]
            return 4, data
        return 2, self._slash("feedback", "list")

    def interaction(self, i: int) -> None:
        from simcord import interactions as sim

        kind = KINDS[self.rng.randrange(len(KINDS))]
        modal = None
        if kind == "capture" and not self.acks.modals:
            kind = "submit_modal"  # nobody has a form open yet
        w = self.world[self.rng.randrange(len(self.world))]
        user = w["members"][self.rng.randrange(len(w["members"]))]
        if kind == "capture":
            w, user, modal = self.acks.modals.pop(0)
        type_, data = self._data(kind, w, i, modal)
        try:
            _, payload = sim.base_payload(
                self.env.backend,
                type=type_,
                channel_id=w["channel"],
                guild_id=w["guild"].id,
                user_id=user,
                data=data,
            )
            if type_ == 3:
                payload["message"] = self._button_message(w)
            token = payload["token"]
            if kind == "submit_modal":
                self.acks.shown[token] = (w, user)
            self.acks.kind[token] = kind
            self.acks.sent_at[token] = time.perf_counter_ns()
            self.parse_interaction(payload)
        except Exception as exc:  # a payload the bench built wrong must show, not hang
            self.errors[f"{kind}: {type(exc).__name__}: {exc}"[:200]] += 1

    def _button_message(self, w: dict[str, Any]) -> dict[str, Any]:
        payload = self._message_payload(w, self.bot.user.id, "A feedback card")
        payload["author"]["bot"] = True
        payload["components"] = [
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 1,
                        "label": "+1",
                        "custom_id": f"hallway:feedback:vote:{w['item']}",
                    }
                ],
            }
        ]
        return payload

    def _message_payload(self, w: dict[str, Any], user: int, content: str) -> dict[str, Any]:
        self._message_id += 1
        return {
            "id": str(self._message_id),
            "channel_id": str(w["channel"]),
            "guild_id": str(w["guild"].id),
            "author": {
                "id": str(user),
                "username": f"u{user}",
                "discriminator": "0",
                "global_name": None,
                "avatar": None,
                "bot": False,
            },
            "member": {"roles": [], "joined_at": "2025-01-01T00:00:00+00:00"},
            "content": content,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
        }

    def message(self, i: int) -> None:
        w = self.world[self.rng.randrange(len(self.world))]
        user = w["members"][self.rng.randrange(len(w["members"]))]
        try:
            self.parse_message(self._message_payload(w, user, self.texts[i % len(self.texts)]))
            self.messages_sent += 1
        except Exception as exc:
            import traceback

            self.errors[f"message: {type(exc).__name__}: {exc}"[:200]] += 1
            if self.errors.total() < 2:
                traceback.print_exc()


def activity_cog(bot: Any) -> Any:
    from cogs.activity import ActivityCog

    return next(c for c in bot.cogs.values() if isinstance(c, ActivityCog))


async def real_sleep(seconds: float) -> None:
    # asyncio.sleep follows SimCord's virtual clock, which doesn't move on its own.
    await asyncio.to_thread(time.sleep, seconds)


def ack_summary(acks: Acks) -> dict[str, Any]:
    latencies = [(acks.first_at[t] - acks.sent_at[t]) / 1e6 for t in acks.first_at]
    by_kind: dict[str, list[float]] = {}
    for t in acks.first_at:
        by_kind.setdefault(acks.kind[t], []).append((acks.first_at[t] - acks.sent_at[t]) / 1e6)
    sent = len(acks.sent_at)
    counts = Counter(acks.callbacks.get(t, 0) for t in acks.sent_at)
    out: dict[str, Any] = {
        "interactions_sent": sent,
        "acknowledged": len(acks.first_at),
        "responses_per_interaction": {str(k): v for k, v in sorted(counts.items())},
        "exactly_one_response": counts.get(1, 0) == sent,
        "within_3s_share": round(sum(x <= ACK_LIMIT_MS for x in latencies) / sent, 4)
        if sent
        else 0.0,
    }
    if latencies:
        out.update(
            p50_ms=round(percentile(latencies, 50), 2),
            p99_ms=round(percentile(latencies, 99), 2),
            max_ms=round(max(latencies), 2),
            by_kind={
                k: {
                    "n": len(v),
                    "p50_ms": round(percentile(v, 50), 2),
                    "p99_ms": round(percentile(v, 99), 2),
                }
                for k, v in sorted(by_kind.items())
            },
        )
    return out


async def _child(guilds: int, seconds: float, rate: float, msg_rate: float) -> dict[str, Any]:
    logging.disable(logging.WARNING)
    t0 = time.perf_counter()
    handles = await build_world(guilds)
    env, bot, world = handles["env"], handles["bot"], handles["world"]
    try:
        await seed_guilds(bot, world)
        await env.settle()
        setup_s = time.perf_counter() - t0
        acks = Acks()
        driver = Driver(env, bot, world, acks)
        acks.install()
        items_before = await bot.db.fetchval("SELECT count(*) FROM feedback_items")
        loop = asyncio.get_running_loop()
        # Stalls over 100 ms are sampled, to say where the worst lag comes from.
        probe = LagProbe(loop, sample_after_ms=100)
        # The pacer's callbacks must run in this context: SimCord's HTTP adapter is a context
        # variable, and a callback scheduled from a thread would otherwise get discord.py's
        # real one.
        context = contextvars.copy_context()
        pacers = [
            Pacer(loop, rate, driver.interaction, context),
            Pacer(loop, msg_rate, driver.message, context),
        ]
        announcements_due = await schedule_announcements(env, bot, world, seconds)
        posts_before = len(env.http_requests)
        probe.start()
        for p in pacers:
            p.start()
        await run_clock(env, seconds)
        for p in pacers:
            p.stop()
        drained = time.perf_counter()
        while acks.waiting() and time.perf_counter() - drained < DRAIN_S:
            await real_sleep(0.05)
        probe.stop()
        await real_sleep(0.2)  # a second callback would arrive now, if one were coming
        items_after = await bot.db.fetchval("SELECT count(*) FROM feedback_items")
        await env.advance_time(2)  # the last announcement's second
        await activity_cog(bot).recorder.flush()
        counted = await bot.db.fetchval(
            "SELECT coalesce(sum(messages), 0) FROM activity_channel_day"
        )
        sent_ok = await bot.db.fetchval(
            "SELECT count(*) FROM announcement_deliveries WHERE status = 'sent'"
        )
        posted = sum(
            1
            for r in env.http_requests[posts_before:]
            if r.method == "POST"
            and "/messages" in str(r.path)
            and ANNOUNCEMENT_BODY in str((r.json or {}).get("content", ""))
        )
        summary = ack_summary(acks)
        captures_acked = sum(1 for t in acks.first_at if acks.kind[t] == "capture")
        return {
            "guilds": guilds,
            "seconds": seconds,
            "rate": rate,
            "msg_rate": msg_rate,
            "setup_s": round(setup_s, 2),
            "pacing": "real time (perf_counter), not SimCord's virtual clock",
            **summary,
            "messages_sent": driver.messages_sent,
            "messages_counted": counted,
            "announcements_due": announcements_due,
            "announcements_sent": sent_ok,
            "announcement_posts": posted,
            "achieved_rate": round(summary["interactions_sent"] / seconds, 1),
            "captures_acknowledged": captures_acked,
            "items_written": items_after - items_before,
            "bench_errors": dict(driver.errors.most_common(5)),
            "loop_lag": probe.summary(),
            "peak_kib": status_kib("VmHWM"),
        }
    finally:
        await env.shutdown()
        await bot.close()
        handles["tmp"].cleanup()


def run(quick: bool) -> Result:
    guilds, seconds, rate, msg_rate = (50, 10, 100, 100) if quick else (500, 60, 100, 300)
    r = spawn_child("bench.load", guilds, seconds, rate, msg_rate, timeout=600)
    lag = r["loop_lag"]
    print_stalls(lag)
    met = (
        r.get("p99_ms", 1e9) < TARGET_P99_MS
        and lag.get("p99_ms", 1e9) < TARGET_LAG_P99_MS
        and r["within_3s_share"] == 1.0
        and r["exactly_one_response"]
        and r["messages_counted"] == r["messages_sent"]
        and r["announcements_sent"] == r["announcement_posts"] == r["announcements_due"]
    )
    return Result(
        key="load",
        name=f"Sustained load: {rate:g} interactions/s + {msg_rate:g} msgs/s, {guilds} guilds, "
        f"{seconds:g} s: ack p99",
        value=r.get("p99_ms", float("nan")),
        unit="ms",
        baseline=None,
        baseline_name="",
        ratio=None,
        ratio_name="",
        target=f"p99 < {TARGET_P99_MS:g} ms, lag p99 < {TARGET_LAG_P99_MS:g} ms, all < 3 s, "
        "nothing lost",
        met=met,
        rank_by="value",
        details={
            **r,
            "table_rows": [
                (
                    "  ack p50 / p99 / max",
                    f"{r.get('p50_ms')} / {r.get('p99_ms')} / {r.get('max_ms')} ms",
                    "-",
                    "-",
                    f"p99 < {TARGET_P99_MS:g} ms",
                    "yes" if r.get("p99_ms", 1e9) < TARGET_P99_MS else "NO",
                ),
                (
                    "  acknowledged within 3 s / exactly one response",
                    f"{r['within_3s_share']:.2%} of {r['interactions_sent']} / "
                    f"{'yes' if r['exactly_one_response'] else 'NO'}",
                    "-",
                    "-",
                    "100% / yes",
                    "yes" if r["within_3s_share"] == 1.0 and r["exactly_one_response"] else "NO",
                ),
                (
                    "  messages counted / sent; announcements sent / posted / due",
                    f"{r['messages_counted']} / {r['messages_sent']}; "
                    f"{r['announcements_sent']} / {r['announcement_posts']} / "
                    f"{r['announcements_due']}",
                    "-",
                    "-",
                    "all equal (nothing lost, nothing twice)",
                    "yes"
                    if r["messages_counted"] == r["messages_sent"]
                    and r["announcements_sent"] == r["announcement_posts"] == r["announcements_due"]
                    else "NO",
                ),
                (
                    "  loop lag p50 / p99 / max",
                    "{p50_ms} / {p99_ms} / {max_ms} ms".format(**lag),
                    "-",
                    "-",
                    f"p99 < {TARGET_LAG_P99_MS:g} ms",
                    "yes" if lag.get("p99_ms", 1e9) < TARGET_LAG_P99_MS else "NO",
                ),
            ],
        },
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    print(
        json.dumps(
            asyncio.run(_child(int(args[0]), float(args[1]), float(args[2]), float(args[3])))
        )
    )
