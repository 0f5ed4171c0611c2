from __future__ import annotations

from agents.delivery.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_burst_then_steady_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(per_minute=60, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await bucket.take()
    assert clock.slept == []
    await bucket.take()
    await bucket.take()
    assert abs(sum(clock.slept) - 2.0) < 1e-9  # one per second after the burst


async def test_give_back_returns_a_token() -> None:
    clock = Clock()
    bucket = TokenBucket(per_minute=1, burst=1, clock=clock, sleep=clock.sleep)
    await bucket.take()
    bucket.give_back()
    await bucket.take()
    assert clock.slept == []
