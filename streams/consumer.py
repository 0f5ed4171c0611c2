"""Faust's aiokafka consumer, with fetched-but-undelivered records re-read instead of lost.

faust-streaming 0.15's ``Consumer.getmany`` takes a batch from aiokafka (which moves the
fetch position past all of it) and then stops yielding part-way when the flow is suspended
or the generation changes (a rebalance starting), and silently skips records of partitions
that are not active yet (paused during table recovery). Nothing seeks back. The next fetch
then starts after the skipped records; Faust sees an offset gap, counts the missing offsets
as acknowledged (its gap handling exists for compacted topics) and commits past them: those
inputs are never processed. Seen in ``bench/faults/sigkill.py`` runs (a worker restarted after
a SIGKILL, during its first rebalance); the mechanism is in Faust, not in the broker, so this
applies on every broker.

``ReReadingConsumer.getmany`` yields exactly what Faust's would, and afterwards seeks every
partition whose fetched records were not all yielded back to the first one not yielded, so
they are fetched and processed again (at-least-once, as everywhere else).

Usage::

    transport = rereading_transport()(app.conf.broker_consumer, app)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from faust.transport.drivers.aiokafka import Consumer, Transport
from faust.types import TP

log = logging.getLogger(__name__)


class ReReadingConsumer(Consumer):
    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        records, active = await self._wait_next_records(timeout)
        if records is None or self.should_stop:
            return
        if not self.flow_active:
            # Faust's own answer to a fetch that lands while the flow is stopped.
            await self.perform_seek()
            return
        generation = self.app.consumer_generation_id
        # Per partition, records are yielded in order and only ever skipped as a suffix (a stop
        # ends the whole batch; an inactive partition is skipped whole), so "not delivered" is
        # everything after the last yielded offset. Offsets may legitimately jump inside a
        # batch (compacted changelogs, transaction markers): only the suffix matters.
        last_yielded: dict[TP, int] = {}
        try:
            for tp, record in self.scheduler.iterate(records):
                if not self.flow_active or self.app.consumer_generation_id != generation:
                    break
                if active is not None and tp not in active and tp not in self._buffered_partitions:
                    continue  # not ours to deliver now; re-read below
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                last_yielded[tp] = record.offset
                yield tp, self._to_message(tp, record)
        finally:
            for tp, batch in records.items():
                done = last_yielded.get(tp)
                if not batch or done == batch[-1].offset:
                    continue  # the usual case: all of it delivered
                rest = [r.offset for r in batch if done is None or r.offset > done]
                position = self._fetch_position(tp)
                # Only ever move backwards: a rebalance may already have sought this partition to
                # its committed offset (earlier than ``rest``); seeking "back" to ``rest`` then
                # would skip what lies between. A revoked partition has no position: its next
                # owner starts from the committed offset anyway.
                if rest and position is not None and position > rest[0]:
                    log.info("re-reading %s from offset %d (%d fetched records not delivered)", tp, rest[0], len(rest))
                    await self.seek(tp, rest[0])

    def _fetch_position(self, tp: TP) -> int | None:
        """aiokafka's next fetch offset for ``tp``, or None if it has none (not assigned)."""
        consumer = getattr(self._thread, "_consumer", None)
        subscription = consumer._subscription.subscription if consumer is not None else None
        assignment = subscription.assignment if subscription is not None else None
        state = assignment.state_value(tp) if assignment is not None else None
        return state.position if state is not None and state.has_valid_position else None


def rereading_transport(consumer_cls: type[Consumer] = ReReadingConsumer) -> type[Transport]:
    class ReReadingTransport(Transport):
        Consumer = consumer_cls

    return ReReadingTransport
