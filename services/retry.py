"""The one retry policy for everything the bot sends on its own (alarm jobs).

A send can fail three ways, and each wants a different answer:

- LOST: the connection dropped or timed out. Discord may or may not have done it,
  so before trying again we look for what we sent (``find_sent``) and only resend
  if it isn't there.
- BUSY: Discord answered 5xx or 429. It didn't do it; try again after a pause.
- FINAL: anything else Discord refused (403, 404, 400): trying again can't help.

This module is pure (no discord, no aiohttp): the cog layer (cogs/_send.py) says
which kind of fault an exception is. Pauses go through ``asyncio.sleep`` so they
follow SimCord's virtual time in tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Fault(Enum):
    LOST = "lost"
    BUSY = "busy"
    FINAL = "final"


@dataclass(frozen=True)
class RetryPolicy:
    # Seconds to wait before the 2nd, 3rd, ... try: one more try than pauses.
    backoff: tuple[float, ...] = (5.0, 30.0)

    @property
    def tries(self) -> int:
        return len(self.backoff) + 1


# For the alarm's jobs: nobody is waiting, so a pause of seconds is fine.
DEFAULT_POLICY = RetryPolicy()
# For a command's side posts: someone waits on the reply, and it tells them what failed.
ONCE = RetryPolicy(backoff=())


def fault_for_status(status: int) -> Fault:
    """Discord's HTTP status as a fault: only server errors and rate limits are retried."""
    return Fault.BUSY if status >= 500 or status == 429 else Fault.FINAL


class SendFailed(Exception):
    """Every try failed (or one failed for good). ``error`` is the last one."""

    def __init__(self, error: Exception, fault: Fault, attempts: int, lost: bool) -> None:
        super().__init__(f"{fault.value} after {attempts} tries: {error!r}")
        self.error = error
        self.fault = fault
        self.attempts = attempts
        # Some try lost its reply: the post may exist although we never saw it.
        self.lost = lost


async def send_with_retries(
    send: Callable[[], Awaitable[T]],
    *,
    classify: Callable[[Exception], Fault | None],
    find_sent: Callable[[], Awaitable[T | None]] | None = None,
    on_failure: Callable[[int, Exception], Awaitable[None]] | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    what: str = "send",
    pace: Callable[[], Awaitable[None]] | None = None,
) -> T:
    """``send()``, retried by the policy; raises SendFailed when it gives up.

    ``classify`` returning None means "not a send fault" (a bug): it propagates as is.
    ``find_sent`` looks for the post a lost reply may have made; it returns it, or
    None when it isn't there (or can't tell). ``on_failure`` sees every failed try.
    ``pace`` (services/time/pacer.py) is awaited before every request, looks included.
    """
    lost = False
    attempt = 0
    while True:
        attempt += 1
        if lost and find_sent is not None:
            if pace is not None:
                await pace()
            found = await find_sent()
            if found is not None:
                log.info("%s: found what a lost reply had sent; not sending again", what)
                return found
        try:
            if pace is not None:
                await pace()
            return await send()
        except Exception as error:
            fault = classify(error)
            if fault is None:
                raise
            if on_failure is not None:
                await on_failure(attempt, error)
            lost = lost or fault is Fault.LOST
            if fault is Fault.FINAL or attempt >= policy.tries:
                if fault is Fault.LOST and find_sent is not None:
                    # The last reply was lost: the post may be there after all.
                    if pace is not None:
                        await pace()
                    found = await find_sent()
                    if found is not None:
                        return found
                raise SendFailed(error, fault, attempt, lost) from error
            delay = policy.backoff[attempt - 1]
            log.warning(
                "%s: try %s failed (%s: %r); trying again in %.0f s",
                what,
                attempt,
                fault.value,
                error,
                delay,
            )
            await asyncio.sleep(delay)
