"""The alarm clock: one asyncio task that sleeps until the earliest due job.

The database holds every schedule; this only remembers "wake job X at T" and is
rebuilt from the database at start-up. It reads time from the injected Clock
and sleeps with asyncio, so it follows SimCord's virtual time in tests without
patching anything. Jobs are named ``kind:id`` and re-adding a name replaces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from services.time.clock import Clock

log = logging.getLogger(__name__)

JobCallback = Callable[[], Awaitable[None]]

# A wall clock can jump (suspend, NTP), and asyncio sleeps on a monotonic clock.
# Waking at least this often keeps a job from being late by more than this.
MAX_SLEEP_SECONDS = 3600.0


class Alarm:
    def __init__(
        self, clock: Clock, on_error: Callable[[str, BaseException], None] | None = None
    ) -> None:
        self._clock = clock
        self._on_error = on_error
        self._jobs: dict[str, tuple[datetime, JobCallback]] = {}
        self._heap: list[tuple[datetime, int, str]] = []
        self._seq = 0
        self._sleeping_until: datetime | None = None
        self._stopping = False
        self._woken = False
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()
        # How the alarm waits; the sandbox swaps in a wait that only virtual time ends.
        self.sleep: Callable[[float], Awaitable[object]] = asyncio.sleep

    def schedule(self, name: str, due: datetime, callback: JobCallback) -> None:
        if due.tzinfo is None:
            raise ValueError("alarm times must be aware")
        self._jobs[name] = (due, callback)
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, name))
        self._wake_if_earlier(due)

    def _wake_if_earlier(self, due: datetime) -> None:
        # The loop sleeps with a plain asyncio.sleep (which SimCord's virtual
        # time understands); an earlier job interrupts that sleep by cancelling it.
        if self._task is None or self._sleeping_until is None:
            return
        if due < self._sleeping_until:
            self._sleeping_until = None
            self._woken = True
            self._task.cancel()

    def cancel(self, name: str) -> None:
        self._jobs.pop(name, None)

    def due_time(self, name: str) -> datetime | None:
        job = self._jobs.get(name)
        return job[0] if job else None

    def names(self, prefix: str = "") -> list[str]:
        return sorted(n for n in self._jobs if n.startswith(prefix))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="hallway-alarm")

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for running in list(self._running):
            running.cancel()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)
        self._running.clear()

    async def drain(self) -> None:
        """Wait for jobs that are running right now (used by tests and shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    def _pop_due(self) -> list[tuple[str, JobCallback]]:
        now = self._clock.now()
        due: list[tuple[str, JobCallback]] = []
        while self._heap and self._heap[0][0] <= now:
            when, _, name = heapq.heappop(self._heap)
            job = self._jobs.get(name)
            # Stale heap entries (replaced or cancelled jobs) are skipped here.
            if job is not None and job[0] == when:
                del self._jobs[name]
                due.append((name, job[1]))
        return due

    def _seconds_until_next(self) -> float | None:
        while self._heap:
            when, _, name = self._heap[0]
            job = self._jobs.get(name)
            if job is None or job[0] != when:
                heapq.heappop(self._heap)
                continue
            return max(0.0, (when - self._clock.now()).total_seconds())
        return None

    async def _run(self) -> None:
        while True:
            for name, callback in self._pop_due():
                task = asyncio.get_running_loop().create_task(self._fire(name, callback))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            delay = self._seconds_until_next()
            timeout = MAX_SLEEP_SECONDS if delay is None else min(delay, MAX_SLEEP_SECONDS)
            if timeout <= 0:
                await asyncio.sleep(0)
                continue
            self._sleeping_until = self._clock.now() + timedelta(seconds=timeout)
            try:
                await self.sleep(timeout)
            except asyncio.CancelledError:
                # Only our own wake-up is swallowed; any other cancel stops the loop.
                if self._stopping or not self._woken:
                    raise
                current = asyncio.current_task()
                if current is not None:
                    current.uncancel()
            finally:
                self._woken = False
                self._sleeping_until = None

    async def _fire(self, name: str, callback: JobCallback) -> None:
        try:
            await callback()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A failing job must not kill the alarm; the job's own code records
            # failures in the database where it matters.
            log.exception("Scheduled job %s failed", name)
            if self._on_error is not None:
                self._on_error(name, exc)
