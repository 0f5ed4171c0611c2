"""A token bucket per receiver: at most ``per_minute`` sends, bursts of ``burst``.

Waiting happens in the receiver's own worker, so a throttled receiver delays only its own
queue (and a job that waits past its deadline is parked, see dispatcher.py).

Usage::

    bucket = TokenBucket(per_minute=60, burst=5)
    await bucket.take()
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class TokenBucket:
    def __init__(self, per_minute: float, burst: int = 1, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("rate limit needs per_minute > 0 and burst >= 1")
        self.rate = per_minute / 60.0
        self.burst = burst
        self._tokens = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self) -> float:
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    async def take(self) -> None:
        while (wait := self.wait_time()) > 0:
            await self._sleep(wait)
        self._tokens -= 1

    def give_back(self) -> None:
        """Return an unused token (the job it was taken for was parked meanwhile)."""
        self._tokens = min(self.burst, self._tokens + 1)
