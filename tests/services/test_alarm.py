from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from services.time.alarm import Alarm
from services.time.clock import FixedClock


async def test_jobs_fire_in_order_and_replace_by_name() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    fired: list[str] = []
    alarm = Alarm(clock)

    def job(label: str):
        async def run() -> None:
            fired.append(label)

        return run

    now = clock.now()
    alarm.schedule("a:1", now + timedelta(seconds=2), job("a1"))
    alarm.schedule("a:2", now + timedelta(seconds=1), job("a2"))
    alarm.schedule("a:3", now + timedelta(seconds=1), job("old"))
    alarm.schedule("a:3", now + timedelta(seconds=3), job("a3"))  # replaces
    alarm.schedule("a:4", now + timedelta(seconds=1), job("never"))
    alarm.cancel("a:4")
    alarm.start()
    try:
        await asyncio.sleep(0.01)
        assert fired == []
        clock.advance(seconds=5)
        alarm.schedule("b:1", now, job("b1"))  # wakes the sleeping loop
        for _ in range(20):
            await asyncio.sleep(0)
        await alarm.drain()
        assert sorted(fired) == ["a1", "a2", "a3", "b1"]
        assert alarm.names() == []
    finally:
        await alarm.stop()


async def test_failing_job_is_reported_and_alarm_keeps_running() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    errors: list[str] = []
    fired: list[str] = []
    alarm = Alarm(clock, on_error=lambda name, exc: errors.append(name))

    async def boom() -> None:
        raise RuntimeError("boom")

    async def ok() -> None:
        fired.append("ok")

    alarm.schedule("x:1", clock.now(), boom)
    alarm.schedule("x:2", clock.now(), ok)
    alarm.start()
    try:
        for _ in range(20):
            await asyncio.sleep(0)
        await alarm.drain()
    finally:
        await alarm.stop()
    assert errors == ["x:1"]
    assert fired == ["ok"]
