"""One bounded queue and worker(s) per receiver: a dead receiver fills its own queue only.

``offer`` takes a job if there is room now; ``put`` waits a bounded time for room. The
caller counts a full queue (``queue_full``) and parks what still finds no room, so a burst
for a healthy receiver waits a moment while work for a dead one is set aside.

Usage::

    queue = ReceiverQueue("firm", handle=dispatcher.run, size=100, workers=1)
    queue.start()
    if not queue.offer(job) and not await queue.put(job, timeout=10.0): ...park it...
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from schemas.alert import Alert

log = logging.getLogger(__name__)
JobState = Literal["queued", "running", "parked", "done"]


@dataclass(eq=False, slots=True)
class Job:
    """One delivery to do. ``settled`` resolves once its state is durably recorded."""

    alert: Alert
    receiver: str
    partition: int
    expect_attempts: int
    context: Any = None  # contextvars.Context of the Faust event it came from (table writes)
    reset: bool = False
    state: JobState = "queued"
    settled: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def settle(self, how: str) -> None:
        if not self.settled.done():
            self.settled.set_result(how)


class ReceiverQueue:
    def __init__(self, receiver: str, handle: Callable[[Job], Awaitable[None]], *, size: int = 100,
                 workers: int = 1) -> None:
        self.receiver = receiver
        self._handle = handle
        self._queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=size)
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.ensure_future(self._work()) for _ in range(self._workers)]

    def offer(self, job: Job) -> bool:
        try:
            self._queue.put_nowait(job)
            return True
        except asyncio.QueueFull:
            return False

    async def put(self, job: Job, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for room; False if the queue stayed full."""
        try:
            await asyncio.wait_for(self._queue.put(job), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def __len__(self) -> int:
        return self._queue.qsize()

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._handle(job)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the worker must outlive any one job
                log.exception("delivery of %s to %s failed unexpectedly", job.alert.alert_id, self.receiver)
                if not job.settled.done():
                    job.settled.set_exception(exc)
            finally:
                self._queue.task_done()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
