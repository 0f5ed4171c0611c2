"""Alerts in, jobs out: a dead receiver holds up nobody, and acks wait for records, in order."""

from __future__ import annotations

import asyncio
import time

from agents.delivery.acks import InOrderAcks
from agents.delivery.policy import ReceiverPolicy
from agents.delivery.retry import RetryPolicy
from agents.delivery.routing import Route, Router

from .conftest import build_alert
from .fakes import Dead, Scripted, rig


async def test_dead_receiver_does_not_slow_the_others() -> None:
    fast, dead = Scripted("fast"), Dead("dead")
    r = rig([fast, dead], policy=ReceiverPolicy(retry=RetryPolicy(jitter=0), timeout=30, deadline=0.5, queue_size=5))
    started = time.monotonic()
    for n in range(40):
        await r.alert(build_alert(n), offset=n)
    # The agent handed all 40 over at once; the fast receiver got every one long before the
    # dead one's first deadline (0.5 s) passed.
    await asyncio.sleep(0.2)
    assert len(fast.sends) == 40
    assert time.monotonic() - started < 0.5
    await r.settle()
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed  # bounded by one deadline, not 40 of them
    counters = r.dispatcher.counters
    assert counters["delivery.fast.delivered"] == 40
    # 5 fit the queue (one of them goes in flight); the other 35 found it full, waited a
    # deadline for room (one got it), and were parked.
    assert counters["delivery.dead.queue_full"] == 35
    assert counters["delivery.dead.parked"] == 40  # every dead delivery is covered by a retry record
    assert {record.receiver for record, _ in r.parked} == {"dead"} and len(r.parked) == 40
    assert r.acked == [(0, n) for n in range(40)]  # all acked, in offset order
    await r.service.stop()


async def test_ack_waits_until_every_delivery_is_recorded() -> None:
    slow = Scripted("slow", delay=0.3)
    r = rig([slow, Scripted("fast")], policy=ReceiverPolicy(retry=RetryPolicy(jitter=0), deadline=5))
    await r.alert(build_alert())
    await asyncio.sleep(0.1)
    assert r.acked == []  # fast is done, slow is not: not acked yet
    await r.settle()
    assert r.acked == [(0, 0)]
    assert r.ledger.get("alert-test000000", "slow").state == "delivered"


async def test_routes_choose_receivers() -> None:
    a, b = Scripted("analysts"), Scripted("archive")
    router = Router([Route({"company": ["BABA"]}, ("analysts",))], default=("archive",))
    r = rig([a, b], router=router)
    await r.alert(build_alert(1))
    await r.alert(build_alert(2, company="AMZN"), 1)
    await r.settle()
    assert [x for x, _ in a.sends] == ["alert-test000001"] and [x for x, _ in b.sends] == ["alert-test000002"]


async def test_in_order_acks_hold_later_events_behind_earlier_ones() -> None:
    acks = InOrderAcks()
    done: list[int] = []
    slow = asyncio.get_running_loop().create_future()
    await acks.add(0, slow, lambda: done.append(0))
    await acks.add(0, asyncio.sleep(0), lambda: done.append(1))
    await acks.add(1, asyncio.sleep(0), lambda: done.append(100))  # another partition: not held
    await asyncio.sleep(0.05)
    assert done == [100]
    slow.set_result(None)
    await acks.drain()
    assert done == [100, 0, 1]


async def test_failed_work_is_never_acked_nor_anything_after_it() -> None:
    acks = InOrderAcks()
    done: list[int] = []

    async def boom() -> None:
        raise RuntimeError("ledger unreachable")

    await acks.add(0, boom(), lambda: done.append(0))
    await acks.add(0, asyncio.sleep(0), lambda: done.append(1))
    await acks.drain()
    assert done == [] and acks.failed == 1


async def test_invalid_alert_bytes_are_acked_and_counted() -> None:
    r = rig([Scripted("firm")])
    await r.service.on_alert(b"not json", partition=0, ack=lambda: r.acked.append("bad"))
    assert r.acked == ["bad"] and r.dispatcher.counters["delivery.invalid_alert"] == 1
