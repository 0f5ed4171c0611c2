"""In-memory receivers and a wired dispatcher for the delivery unit tests."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from agents.delivery.acks import InOrderAcks
from agents.delivery.dispatcher import Dispatcher
from agents.delivery.ledger import MemoryLedger
from agents.delivery.policy import ReceiverPolicy
from agents.delivery.queues import ReceiverQueue
from agents.delivery.receiver import Outcome, SendContext
from agents.delivery.retry import RetryPolicy
from agents.delivery.routing import Router
from agents.delivery.service import DeliveryService
from agents.delivery.silences import SilenceBook
from schemas.alert import Alert
from schemas.delivery import DeliveryDeadLetter, RetryRecord


class Scripted:
    """Answers with the scripted outcomes in turn, then 'delivered'; records every send."""

    def __init__(self, name: str, outcomes: list[Outcome] | None = None, delay: float = 0.0) -> None:
        self.name = name
        self.outcomes = list(outcomes or [])
        self.delay = delay
        self.sends: list[tuple[str, SendContext]] = []

    async def send(self, alert: Alert, context: SendContext) -> Outcome:
        self.sends.append((alert.alert_id, context))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.outcomes.pop(0) if self.outcomes else Outcome.delivered(ref={"n": len(self.sends)})

    async def close(self) -> None:
        return None


class Dead(Scripted):
    """Never answers (a hung receiver)."""

    async def send(self, alert: Alert, context: SendContext) -> Outcome:
        self.sends.append((alert.alert_id, context))
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


class Clock:
    """Fixed time (set ``now``), or the real time when built without one."""

    def __init__(self, now: datetime | None) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now or datetime.now(timezone.utc)


@dataclass
class Rig:
    dispatcher: Dispatcher
    service: DeliveryService
    ledger: MemoryLedger
    receivers: dict[str, Scripted]
    clock: Clock
    parked: list[tuple[RetryRecord, int]] = field(default_factory=list)
    buried: list[DeliveryDeadLetter] = field(default_factory=list)
    acked: list[Any] = field(default_factory=list)

    async def alert(self, alert: Alert, offset: int = 0, partition: int = 0) -> None:
        await self.service.on_alert(alert.model_dump_json().encode(), partition=partition,
                                    ack=lambda: self.acked.append((partition, offset)))

    async def settle(self) -> None:
        await self.service.acks.drain()


def rig(receivers: list[Scripted], *, router: Router | None = None, policy: ReceiverPolicy | None = None,
        now: datetime | None = None, silences: SilenceBook | None = None) -> Rig:
    ledger = MemoryLedger()
    book = silences or SilenceBook()
    book.ready.set()
    holder: dict[str, Rig] = {}

    async def park(record: RetryRecord, partition: int) -> None:
        holder["rig"].parked.append((record, partition))

    async def bury(letter: DeliveryDeadLetter) -> None:
        holder["rig"].buried.append(letter)

    by_name = {r.name: r for r in receivers}
    base = policy or ReceiverPolicy(retry=RetryPolicy(max_attempts=3, base=1.0, jitter=0.0), timeout=1.0, deadline=0.3,
                                    queue_size=10)
    policies = {name: ReceiverPolicy(retry=base.retry, timeout=base.timeout, deadline=base.deadline,
                                     queue_size=base.queue_size, quiet=base.quiet, bucket=base.bucket) for name in by_name}
    clock = Clock(now)
    dispatcher = Dispatcher(ledger, by_name, policies, book, park=park, bury=bury, counters=Counter(), clock=clock)
    queues = {name: ReceiverQueue(name, dispatcher.run, size=policies[name].queue_size) for name in by_name}
    service = DeliveryService(dispatcher, router or Router([], default=tuple(by_name)), queues, InOrderAcks(),
                              max_hold=0.05)
    service.start()
    holder["rig"] = Rig(dispatcher, service, ledger, by_name, clock)
    return holder["rig"]
