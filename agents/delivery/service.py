"""The delivery service behind the two Faust agents: alerts in, jobs out, acks when recorded.

``on_alert`` routes an alert, skips deliveries the ledger has settled, and offers one job per
remaining receiver to that receiver's bounded queue. ``on_retry`` does the same for a parked
delivery once its time has come. Neither waits for receivers: each source event is acked (in
offset order, acks.py) once every job of it is *recorded*: delivered, silenced, dead,
deferred, or parked with a retry record. A job that finds no room in its receiver's queue
within the receiver's deadline, or is not done a deadline after it was queued, is parked, so
one dead receiver delays nothing else.

Usage::

    service = DeliveryService(dispatcher, router, queues, acks, park=…)
    await service.on_alert(alert_bytes, partition=3, ack=event.ack, context=contextvars.copy_context())
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from agents.delivery.acks import InOrderAcks
from agents.delivery.dispatcher import Dispatcher
from agents.delivery.queues import Job, ReceiverQueue
from agents.delivery.routing import Router
from schemas.alert import Alert
from schemas.delivery import TERMINAL, RetryRecord

log = logging.getLogger("cloudpulse.delivery")
Recirculate = Callable[[RetryRecord, int], Awaitable[None]]


class DeliveryService:
    def __init__(self, dispatcher: Dispatcher, router: Router, queues: Mapping[str, ReceiverQueue], acks: InOrderAcks,
                 *, max_hold: float = 5.0, silence_wait: float = 15.0) -> None:
        self.dispatcher = dispatcher
        self.router = router
        self.queues = queues
        self.acks = acks
        # A parked record not due within max_hold is sent round the retry topic again rather
        # than held unacked, so rebalances and shutdowns never wait on long backoffs.
        self.max_hold = max_hold
        self.silence_wait = silence_wait
        self._clock = dispatcher.clock

    @property
    def counters(self) -> Any:
        return self.dispatcher.counters

    async def on_alert(self, raw: bytes, *, partition: int, ack: Callable[[], Any], context: Any = None) -> None:
        try:
            alert = Alert.model_validate_json(raw)
        except Exception:  # only our own pipeline writes alerts; still, never crash the agent
            log.exception("undeliverable record on the alerts topic (partition %d)", partition)
            self.counters["delivery.invalid_alert"] += 1
            ack()
            return
        jobs: list[Job] = []
        for name in self.router.receivers_for(alert):
            entry = self.dispatcher.ledger.get(alert.alert_id, name)
            # 'pending' is written only after its retry record: that record will carry it on.
            if entry is not None and (entry.state in TERMINAL or entry.state == "pending"):
                self.dispatcher.count(name, "skipped")
                continue
            jobs.append(Job(alert, name, partition, expect_attempts=entry.attempts if entry else 0, context=context))
        self.counters["delivery.alerts"] += 1
        await self.acks.add(partition, self._settle_all(jobs), ack)

    async def on_retry(self, raw: bytes, *, partition: int, ack: Callable[[], Any], context: Any = None) -> None:
        try:
            record = RetryRecord.model_validate_json(raw)
        except Exception:
            log.exception("malformed retry record (partition %d)", partition)
            self.counters["delivery.invalid_retry"] += 1
            ack()
            return
        if record.receiver not in self.queues:
            log.warning("retry record for receiver %r, which the delivery file no longer has; dropped", record.receiver)
            self.counters["delivery.unknown_receiver"] += 1
            ack()
            return
        wait = (record.not_before - self._clock()).total_seconds()
        if wait > self.max_hold:
            work: Awaitable[None] = self._recirculate(record, partition)
        else:
            job = Job(record.alert, record.receiver, partition, expect_attempts=record.expect_attempts,
                      context=context, reset=record.reset)
            work = self._after(max(0.0, wait), job)
        await self.acks.add(("retry", partition), work, ack)

    async def _recirculate(self, record: RetryRecord, partition: int) -> None:
        await asyncio.sleep(self.max_hold)
        await self.dispatcher.send_retry(record, partition)

    async def _after(self, delay: float, job: Job) -> None:
        if delay:
            await asyncio.sleep(delay)
        await self._submit(job)

    async def _settle_all(self, jobs: list[Job]) -> None:
        await asyncio.gather(*(self._submit(job) for job in jobs))

    async def _submit(self, job: Job) -> None:
        silences = self.dispatcher.silences
        if not silences.ready.is_set():
            try:
                await asyncio.wait_for(silences.ready.wait(), self.silence_wait)
            except asyncio.TimeoutError:
                log.warning("silences not loaded after %.0f s; delivering without them", self.silence_wait)
                silences.ready.set()
        policy = self.dispatcher.policies[job.receiver]
        queue = self.queues[job.receiver]
        if not queue.offer(job):
            self.dispatcher.count(job.receiver, "queue_full")
            if not await queue.put(job, policy.deadline):
                job.state = "parked"
                await self.dispatcher.cover(job, self._backoff(job), "queue full")
                return
        try:
            await asyncio.wait_for(asyncio.shield(job.settled), policy.deadline)
            return
        except asyncio.TimeoutError:
            reason = "deadline"
        except Exception:  # a bug in one job: parked for a later try, never dropped
            reason = "internal error"
        if job.state == "queued":
            job.state = "parked"
            not_before = self._backoff(job)
        else:  # in flight: the job records its own outcome; this record is only a safety net
            not_before = self._clock() + timedelta(seconds=policy.timeout + 5)
        await self.dispatcher.cover(job, not_before, reason)

    def _backoff(self, job: Job) -> datetime:
        policy = self.dispatcher.policies[job.receiver]
        return self._clock() + timedelta(seconds=policy.retry.delay(max(1, job.expect_attempts)))

    def start(self) -> None:
        for queue in self.queues.values():
            queue.start()

    async def stop(self) -> None:
        for queue in self.queues.values():
            await queue.stop()
        for receiver in self.dispatcher.receivers.values():
            try:
                await receiver.close()
            except Exception:
                log.debug("closing %s failed", receiver.name, exc_info=True)
