"""The pace for what jobs send (services/time/pacer.py), on a hand-moved clock."""

from __future__ import annotations

import pytest

from services.time.pacer import (
    BURST,
    RATE_PER_SECOND,
    STORM_BURST,
    STORM_RATE_PER_SECOND,
    Pacer,
    after_the_first,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_goes_at_once_then_one_slot_per_interval() -> None:
    clock = Clock()
    pacer = Pacer(rate=40, burst=10, monotonic=clock)
    delays = [pacer.reserve() for _ in range(13)]
    assert delays[:10] == [0.0] * 10
    assert delays[10:] == pytest.approx([0.025, 0.05, 0.075])


def test_no_one_second_window_holds_more_than_rate_plus_burst() -> None:
    clock = Clock()
    pacer = Pacer(rate=40, burst=10, monotonic=clock)
    # 500 callers arriving at once, then 200 more two seconds later.
    sends = [clock.now + pacer.reserve() for _ in range(500)]
    clock.now += 2
    sends += [clock.now + pacer.reserve() for _ in range(200)]
    sends.sort()
    busiest = max(sum(1 for t in sends if start <= t < start + 1 - 1e-9) for start in sends)
    assert busiest <= 50
    # The two lanes the bot runs, full at once, still fit under Discord's 50/s.
    assert RATE_PER_SECOND + BURST + STORM_RATE_PER_SECOND + STORM_BURST <= 50
    # ... and nobody waits longer than the queue ahead of them needs.
    assert max(sends) - 100.0 == pytest.approx((700 - 10) / 40)


def test_an_idle_pacer_refills_to_its_burst_and_no_more() -> None:
    clock = Clock()
    pacer = Pacer(rate=40, burst=10, monotonic=clock)
    for _ in range(30):
        pacer.reserve()
    clock.now += 60
    assert [pacer.reserve() for _ in range(10)] == [0.0] * 10
    assert pacer.reserve() == pytest.approx(0.025)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Pacer(rate=0)
    with pytest.raises(ValueError):
        Pacer(burst=0)


async def test_wait_sleeps_until_the_slot_and_counts_the_waiters() -> None:
    clock = Clock()
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += seconds

    pacer = Pacer(rate=10, burst=1, monotonic=clock, sleep=sleep)
    for _ in range(3):
        await pacer.wait()
    assert slept == pytest.approx([0.1, 0.1])
    assert pacer.waited == 2


async def test_after_the_first_skips_only_the_first_call() -> None:
    calls = 0

    async def pace() -> None:
        nonlocal calls
        calls += 1

    paced = after_the_first(pace)
    for _ in range(3):
        await paced()
    assert calls == 2
