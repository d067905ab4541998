"""A process-wide pace for what the bot sends on its own: a token bucket.

Discord allows a bot 50 requests per second in all. Every guild's digest is due at
Monday 09:00, so without a pace 2,500 guilds would post in the same second and meet
a wall of 429s. Jobs take a token before each request (``send_with_retries`` does it
for them); the bucket refills at ``rate`` per second and holds at most ``burst``, so
no one-second window sees more than ``rate + burst`` requests. The digests' first posts
have a lane of their own (``bot.storm_pacer``): reserved all at once at 09:00, they
would otherwise push every other job's slot a minute into the future.

Time is the event loop's monotonic clock, which SimCord's virtual time moves in
tests, and the wait is injectable for the sandbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

# Two lanes under Discord's 50/s, so that 2,500 queued digests never hold up a reminder or
# a DM: jobs' sends 25/s + 5, the digest storm's first posts 15/s + 5 (2,500 in under
# 3 minutes). At most 50 in any second, and commands' own replies are not paced at all.
RATE_PER_SECOND = 25.0
BURST = 5
STORM_RATE_PER_SECOND = 15.0
STORM_BURST = 5


class Pacer:
    """A token bucket kept as a schedule (GCRA): each caller is given its own slot.

    No lock and no queue: a caller works out when its slot is, moves the schedule on,
    and sleeps until then. Slots go out in call order, so the first guild due is the
    first served, and a plain timed sleep is all anyone waits on (SimCord's virtual
    time can see and move it; an asyncio.Lock wait it can't).
    """

    def __init__(
        self,
        rate: float = RATE_PER_SECOND,
        burst: int = BURST,
        *,
        monotonic: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a pacer needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._monotonic = monotonic
        self.sleep: Callable[[float], Awaitable[object]] = sleep or asyncio.sleep
        # When the bucket would be empty if nothing else came ("theoretical arrival time").
        self._due: float | None = None
        self.waited = 0  # how many requests had to wait (for logs and the bench)

    def _now(self) -> float:
        return self._monotonic() if self._monotonic else asyncio.get_running_loop().time()

    def reserve(self) -> float:
        """Take the next slot; seconds from now until it (0 when a token is free)."""
        now = self._now()
        due = now if self._due is None else max(self._due, now)
        slot = max(now, due - (self.burst - 1) * self._interval)
        self._due = due + self._interval
        # Sums of 1/rate drift by a few ulps; a free token must read as no wait at all.
        return 0.0 if slot - now < 1e-9 else slot - now

    async def wait(self) -> None:
        """Return when one more request fits under the pace."""
        delay = self.reserve()
        if delay > 0:
            self.waited += 1
            await self.sleep(delay)


def after_the_first(pace: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
    """``pace`` for every request but the first, whose slot the caller already waited for."""
    calls = 0

    async def paced() -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            await pace()

    return paced
