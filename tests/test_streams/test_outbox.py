"""streams.outbox: records go straight to the producer; a refused one blocks every later commit."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from streams.consumer import commit_barriers
from streams.outbox import DeliveryFailed, Outbox


class Producer:
    """aiokafka's contract as Faust's Producer.send exposes it: enqueue, return the delivery future."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []
        self.futures: list[asyncio.Future[Any]] = []

    async def send(self, topic, key, value, partition, timestamp, headers) -> asyncio.Future[Any]:
        self.sent.append((topic, key, value, partition, timestamp, headers))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future


def app() -> SimpleNamespace:
    return SimpleNamespace(producer=Producer())


async def test_sends_in_order_without_waiting_for_the_broker_and_registers_its_barrier() -> None:
    a = app()
    outbox = Outbox(a)
    assert commit_barriers(a) == [outbox.barrier]
    first = await outbox.send("cloudpulse.deltas", b"BABA", b"{}")
    await outbox.send("cloudpulse.alerts", b"BABA", b"[]", partition=2)
    assert a.producer.sent == [("cloudpulse.deltas", b"BABA", b"{}", None, None, None),
                               ("cloudpulse.alerts", b"BABA", b"[]", 2, None, None)]
    assert not first.done()  # nothing waited for the broker
    for future in a.producer.futures:
        future.set_result("metadata")
    await asyncio.sleep(0)
    await outbox.barrier()  # all acknowledged: the commit may go on


async def test_a_refused_record_fails_every_later_barrier() -> None:
    a = app()
    outbox = Outbox(a)
    await outbox.send("cloudpulse.deltas", b"k", b"1")
    await outbox.send("cloudpulse.deltas", b"k", b"2")
    a.producer.futures[0].set_exception(RuntimeError("MessageSizeTooLarge"))
    a.producer.futures[1].set_result("metadata")
    await asyncio.sleep(0)
    for _ in range(2):  # not a one-off: the offsets must never be committed past it
        with pytest.raises(DeliveryFailed, match="MessageSizeTooLarge"):
            await outbox.barrier()


async def test_a_cancelled_send_counts_as_refused() -> None:
    a = app()
    outbox = Outbox(a)
    await outbox.send("t", None, b"x")
    a.producer.futures[0].cancel()
    await asyncio.sleep(0)
    with pytest.raises(DeliveryFailed):
        await outbox.barrier()
