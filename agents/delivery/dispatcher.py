"""One delivery, start to finish: decide -> silence -> quiet hours -> rate limit -> send -> record.

The ledger decides whether to send at all, under a per-delivery lock:

    no entry             send (first attempt)
    delivered, silenced  skip: at most once per receiver, across restarts and replays
    dead                 skip, unless an operator asked for a retry (reset)
    sending              a crash interrupted a send: send again as *uncertain* (same
                         idempotency key; Slack bot mode looks in the channel first)
    pending              send if the job expects this attempt count, else it is stale

Outcomes: delivered -> 'delivered'; retryable and attempts left -> a retry record (with the
alert) on the retry topic, then 'pending'; otherwise a dead letter, then 'dead'. Each durable
step is written before the next one starts (see ledger.py), so a crash between any two leaves
a state that the rules above resolve without loss and without a second send, except in the
'sending' window.

Usage::

    dispatcher = Dispatcher(ledger, receivers, policies, silences, park=…, bury=…, counters=pipe.counters)
    queue = ReceiverQueue("firm", dispatcher.run)
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta, timezone

from agents.delivery.ledger import Ledger
from agents.delivery.policy import ReceiverPolicy
from agents.delivery.queues import Job
from agents.delivery.receiver import Outcome, Receiver, SendContext
from agents.delivery.silences import SilenceBook
from schemas.delivery import DeliveryDeadLetter, DeliveryRecord, RetryRecord, delivery_key

log = logging.getLogger("cloudpulse.delivery")
Park = Callable[[RetryRecord, int], Awaitable[None]]
Bury = Callable[[DeliveryDeadLetter], Awaitable[None]]


def decide(entry: DeliveryRecord | None, job: Job) -> str:
    """'send', 'check' (uncertain re-send) or 'skip' for this job given the ledger entry."""
    if entry is None:
        return "send"
    if entry.state in ("delivered", "silenced"):
        return "skip"
    if entry.state == "dead":
        return "send" if job.reset else "skip"
    if entry.state == "sending":
        # We hold this delivery's lock, so no send of it is in flight here: a crash left it.
        return "check"
    return "send" if entry.attempts == job.expect_attempts else "skip"


class Dispatcher:
    def __init__(self, ledger: Ledger, receivers: Mapping[str, Receiver], policies: Mapping[str, ReceiverPolicy],
                 silences: SilenceBook, *, park: Park, bury: Bury, counters: Counter[str] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.ledger = ledger
        self.receivers = receivers
        self.policies = policies
        self.silences = silences
        self.send_retry = park  # a retry record onto the retry topic, awaited until the broker has it
        self._bury = bury
        self.counters = counters if counters is not None else Counter()
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: Counter[str] = Counter()

    def count(self, receiver: str, outcome: str) -> None:
        self.counters[f"delivery.{receiver}.{outcome}"] += 1

    async def run(self, job: Job) -> None:
        """Queue worker entry point; settles the job with how it ended."""
        if job.state != "queued":
            return  # parked by its deadline while it waited in the queue
        job.state = "running"
        key = delivery_key(job.alert.alert_id, job.receiver)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._lock_users[key] += 1
        try:
            async with lock:
                how = await self._deliver(job)
        finally:
            job.state = "done"
            self._lock_users[key] -= 1
            if not self._lock_users[key]:
                del self._lock_users[key], self._locks[key]
        job.settle(how)

    async def _deliver(self, job: Job) -> str:
        alert, name = job.alert, job.receiver
        policy = self.policies[name]
        entry = self.ledger.get(alert.alert_id, name)
        verdict = decide(entry, job)
        if verdict == "skip":
            self.count(name, "skipped")
            return "skipped"
        now = self.clock()
        base = entry or DeliveryRecord.first(alert, name, now)
        if job.reset and base.state == "dead":
            base = base.model_copy(update={"attempts": 0, "detail": "retry requested"})
        silence = self.silences.matching(alert, name, now)
        if silence is not None:
            await self._record(job, base, state="silenced", silenced_by=silence.id, detail=silence.comment)
            self.count(name, "silenced")
            return "silenced"
        until = policy.quiet.until(now, alert.severity) if policy.quiet else None
        if until is not None:
            await self.park(job, base, until, "quiet hours")
            self.count(name, "deferred")
            return "deferred"
        if policy.bucket is not None:
            await policy.bucket.take()

        attempt = base.attempts + 1
        crashed = verdict == "check"
        revises_ref, revises_key = self._earlier(job)
        sending = await self._record(job, base, state="sending", attempts=attempt, revises_ref=revises_ref,
                                     uncertain_resends=base.uncertain_resends + crashed, not_before=None)
        if crashed:
            self.count(name, "uncertain")
            log.warning("delivery %s was 'sending' when a worker stopped; sending again with the same key",
                        sending.key)
        context = SendContext(idempotency_key=sending.key, attempt=attempt, revises_ref=revises_ref,
                              revises_key=revises_key, uncertain=crashed or base.maybe_sent)
        outcome = await self._send(name, job, context, policy)
        if outcome.status == "delivered":
            await self._record(job, sending, state="delivered", ref=outcome.ref, detail=outcome.detail)
            self.count(name, "delivered")
            return "delivered"
        if outcome.status == "retry" and not policy.retry.exhausted(attempt):
            delay = policy.retry.delay(attempt, outcome.retry_after)
            await self.park(job, sending.model_copy(update={"maybe_sent": outcome.maybe_sent}),
                            self.clock() + timedelta(seconds=delay), outcome.detail)
            self.count(name, "retry")
            return "retry"
        await self._bury(DeliveryDeadLetter(alert=alert, receiver=name, partition=job.partition, attempts=attempt,
                                            reason=outcome.detail, failed_at=self.clock()))
        await self._record(job, sending, state="dead", detail=outcome.detail)
        self.count(name, "dead")
        log.warning("delivery %s dead after %d attempt(s): %s", sending.key, attempt, outcome.detail)
        return "dead"

    async def _send(self, name: str, job: Job, context: SendContext, policy: ReceiverPolicy) -> Outcome:
        try:
            # A guard over the receiver's own timeout: no receiver can hold its worker forever.
            return await asyncio.wait_for(self.receivers[name].send(job.alert, context), policy.timeout + 5)
        except asyncio.TimeoutError:
            return Outcome.retry("timeout (guard)")
        except Exception as exc:  # a receiver bug: retried, then dead-lettered, never lost
            log.exception("receiver %s raised", name)
            return Outcome.retry(f"receiver error: {type(exc).__name__}")

    def _earlier(self, job: Job) -> tuple[dict | None, str | None]:
        if not job.alert.revises:
            return None, None
        earlier = self.ledger.get(job.alert.revises, job.receiver)
        ref = earlier.ref if earlier is not None and earlier.state == "delivered" else None
        return ref, delivery_key(job.alert.revises, job.receiver)

    async def park(self, job: Job, base: DeliveryRecord, not_before: datetime, reason: str) -> None:
        """Retry record first (it carries the alert), then 'pending': pending implies a record."""
        record = RetryRecord(alert=job.alert, receiver=job.receiver, expect_attempts=base.attempts,
                             not_before=not_before, reason=reason)
        await self.send_retry(record, job.partition)
        await self._record(job, base, state="pending", not_before=not_before, detail=reason)

    async def cover(self, job: Job, not_before: datetime, reason: str) -> None:
        """A retry record only, for a job its alert stops waiting for (the ledger is left to the job)."""
        record = RetryRecord(alert=job.alert, receiver=job.receiver, expect_attempts=job.expect_attempts,
                             not_before=not_before, reason=reason, reset=job.reset)
        await self.send_retry(record, job.partition)
        self.count(job.receiver, "parked")

    async def _record(self, job: Job, base: DeliveryRecord, **changes: object) -> DeliveryRecord:
        record = base.model_copy(update={**changes, "updated_at": self.clock()})
        await self.ledger.put(record, partition=job.partition, context=job.context)
        return record
