"""Work done in a worker process: charts, so the bot itself never imports matplotlib, and big
files (/feedback export), so building them never stalls the bot's event loop.

matplotlib and its fonts add about 47 MiB to a process that has drawn one chart, and that
memory is never given back. Drawing in a separate process keeps the bot's own size that of
a bot that never drew a chart; the worker exits after a minute with nothing to do.

``await worker.run(fn, *args)`` runs ``fn(*args)`` in the worker and returns what it
returned (a chart's PNG bytes, an export's file). ``fn`` must be a module-level function (it
is pickled by name) and the arguments picklable: plain data such as dataclasses, lists and
dates.

The worker is ``python -m services.worker_process`` reading length-prefixed pickles on its
standard input and answering on its standard output, one request at a time. It is not a
``multiprocessing`` pool on purpose: those re-import the parent's ``__main__`` in the child,
which for ``python bot.py`` is the whole bot and discord.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent
IDLE_SECONDS = 60.0
# A long-running worker is replaced now and then, so nothing it accumulates can grow forever.
MAX_CALLS_PER_WORKER = 500
_HEAD = 4


class WorkerError(RuntimeError):
    """The worker failed (a chart is left out, an export not sent; the caller says so)."""


class WorkerProcess:
    """One worker process, started on the first call and stopped when idle or on close()."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._idle: asyncio.TimerHandle | None = None
        self._calls = 0
        self.started = 0  # workers started so far (for tests and the benchmark)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        request = pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
        async with self._lock:
            if self._idle is not None:
                self._idle.cancel()
                self._idle = None
            proc = await self._worker()
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(len(request).to_bytes(_HEAD, "big") + request)
                await proc.stdin.drain()
                size = int.from_bytes(await proc.stdout.readexactly(_HEAD), "big")
                status, value = pickle.loads(await proc.stdout.readexactly(size))
            except BaseException as exc:
                # A dead worker, or a cancelled caller mid-answer: the stream is out of step.
                await self._stop(kill=True)
                if isinstance(exc, OSError | asyncio.IncompleteReadError | EOFError):
                    raise WorkerError(f"the worker process stopped: {exc!r}") from exc
                raise
            self._calls += 1
            if self._calls >= MAX_CALLS_PER_WORKER:
                await self._stop()
            else:
                loop = asyncio.get_running_loop()
                self._idle = loop.call_later(self.idle_seconds, self._retire_when_idle)
        if status != "ok":
            raise WorkerError(value)
        return value

    async def close(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        async with self._lock:
            await self._stop()

    async def _worker(self) -> asyncio.subprocess.Process:
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env.setdefault("MPLBACKEND", "Agg")
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.worker_process",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        self._calls = 0
        self.started += 1
        return self._proc

    def _retire_when_idle(self) -> None:
        self._idle = None
        if not self._lock.locked():
            task = asyncio.get_running_loop().create_task(self.close())
            # Keep a reference until it finishes (the loop holds tasks only weakly).
            _retiring.add(task)
            task.add_done_callback(_retiring.discard)

    async def _stop(self, kill: bool = False) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        if kill:
            proc.kill()
        elif proc.stdin is not None:
            proc.stdin.close()  # the worker exits at the end of its input
        try:
            await asyncio.wait_for(proc.wait(), timeout=5)
        except TimeoutError:
            proc.kill()
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()


_retiring: set[asyncio.Task[None]] = set()


class Worker(Protocol):
    """Runs ``fn(*args)`` somewhere other than the event loop and returns what it returned
    (a chart's PNG bytes, or any picklable value such as an export's file)."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...


class InThread:
    """Runs in a thread of this process: for services built outside the bot (tests, tools).
    The bot wires a WorkerProcess."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)


def serve(stdin: Any, stdout: Any) -> None:
    """The worker's loop: a request per length-prefixed pickle, until the input ends."""
    while True:
        head = stdin.read(_HEAD)
        if len(head) < _HEAD:
            return
        fn, args = pickle.loads(stdin.read(int.from_bytes(head, "big")))
        try:
            answer: tuple[str, Any] = ("ok", fn(*args))
        except Exception as exc:  # reported to the bot, which leaves the chart out
            answer = ("error", f"{type(exc).__name__}: {exc}")
        out = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.write(len(out).to_bytes(_HEAD, "big") + out)
        stdout.flush()


if __name__ == "__main__":
    channel = sys.stdout.buffer
    sys.stdout = sys.stderr  # anything a chart prints must not corrupt the answers
    serve(sys.stdin.buffer, channel)
