"""Acking source events in offset order, each only once its deliveries are recorded.

The delivery agent does not wait for receivers: it hands an alert's jobs over and reads on.
An event is acked when its work is settled *and* every earlier event of the same partition
has been acked. Faust commits only contiguous acked offsets, but out-of-order acks at the very
start of a partition (nothing committed yet) could still skip an unacked offset, so ordering
is enforced here rather than trusted to the consumer.

Usage::

    acks = InOrderAcks(limit=256)
    await acks.add(event.message.tp, settle_all(jobs), event.ack)   # returns at once unless 256 wait
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

log = logging.getLogger("cloudpulse.delivery")


class InOrderAcks:
    def __init__(self, limit: int = 256) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tails: dict[Hashable, asyncio.Task[bool]] = {}
        self.failed = 0

    async def add(self, partition: Hashable, work: Awaitable[Any], ack: Callable[[], Any]) -> asyncio.Task[bool]:
        await self._slots.acquire()
        task = asyncio.ensure_future(self._ack_after(self._tails.get(partition), work, ack))
        self._tails[partition] = task
        return task

    async def _ack_after(self, previous: asyncio.Task[bool] | None, work: Awaitable[Any], ack: Callable[[], Any]) -> bool:
        try:
            try:
                await work
                ok = True
            except Exception:
                # Not acked: a restart reads it again. Later events wait behind it (offset order).
                log.exception("delivery work failed; its source event stays unacked")
                self.failed += 1
                ok = False
            if previous is not None:
                ok = await previous and ok
            if ok:
                ack()
            return ok
        finally:
            self._slots.release()

    async def drain(self) -> None:
        await asyncio.gather(*self._tails.values(), return_exceptions=True)
