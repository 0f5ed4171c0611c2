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

Second gap, same family: Faust's read offset running ahead of a seek. ``Consumer._drain_messages``
drops every fetched record below its per-partition ``_read_offset`` (``DROPPED MESSAGE ROFF``,
a dev-level log line) and sets ``_read_offset`` to each record's offset *after* the callback
for it returns. A seek sets ``_read_offset`` to its target, but nothing stops the batch that
was fetched before the seek: when recovery finishes, ``perform_seek`` (seek to committed)
runs while the fetcher is still delivering records it fetched earlier, so the last of those
records sets ``_read_offset`` past the seek target. The re-fetch from the target is then
dropped record by record. Those records were delivered once, but their acks may be gone
(the committed offset ``perform_seek`` re-read can be older than acks Faust already folded
into a commit), and the next commit waits forever for offsets that no longer arrive: inputs
stuck behind a commit until the next restart, with no gap logged. Seen with Faust's debug
output in ``bench/faults/sigkill.py`` runs. So after every batch, a read offset ahead of
aiokafka's fetch position is pulled back to that position: whatever is fetched next is
delivered (at worst a second time), never dropped. Normally the read offset is the last
delivered offset, one below the position, and nothing changes.

Third gap: offsets committed before the table writes they cover are durable. Table writes are
queued in Faust's ``ProducerBuffer`` (``send_soon``: ``__setitem__`` cannot await), and before
committing Faust calls ``producer.flush()``, whose ``ProducerBuffer.flush`` gives up after
0.1 s without a message sent and returns with the queue not empty. On a loaded machine
(commit runs of 0.5 s were logged) the input offset was committed while the history writes
of that input were still queued; a SIGKILL then lost them for good: the next worker never saw
the release again and computed later quarters against a hole (seen in a
``bench/faults/sigkill.py`` run: one quarter missing, four alerts different). So ``_commit``
first waits until the buffer is empty *and* its sender is idle (a message taken off the queue
is not in aiokafka's accumulator until its send returns), then flushes aiokafka, then commits.
It keeps waiting, with a warning every ``SETTLE_WARN_EVERY`` seconds, for as long as that takes
(offsets stay uncommitted, so the inputs are only processed again after a crash): giving up
is not an option, because Faust records the offsets as committed locally even when ``_commit``
says it did not, and would then never commit them.

Last line of defence: a commit stalled behind missing offsets. Faust commits only up to the
first hole in what was acknowledged; if the records of a hole are neither in flight nor going
to be fetched again (the fetch position is past them), the partition's commit waits forever
and everything after it is processed again at each restart. Seen rarely in fault runs (a
restarted worker that delivered offset 17 and then 20-29, never 18-19; cause not found). If the
same hole is still there ``STALL_AFTER`` seconds later with nothing of it in flight, the
partition is sought back to its committed offset: the hole is fetched and processed again
(duplicates of the rest are harmless: agents/outputs.py re-emits recorded outputs).

Fourth gap: a record the stream skips. Faust's stream drops a record it takes from its channel
while flow control is off or the record's generation id is stale (a rebalance started after it
was fetched). The Cython iterator (the one that runs) drops it without acknowledging it; the
pure-Python one acknowledges it. Either way the records after it in the channel, of the same
partition, are then processed: in one SIGKILL fault run the restarted worker processed
offsets 10-17 and 19-29 and never 18, so later quarters were computed without that release,
and 18 came again (healed stall, re-read) only after them. Detected when the stream takes a
record (``_StreamTakes``, a sensor: Faust calls ``on_message_in`` when it tracks a record,
before the agent sees it): an earlier record of the same partition, delivered by this
consumer and never tracked, was skipped. The partition then *rewinds* from the lowest such
offset N: acknowledgements of N and later are forgotten (commits stop before N), the rest of
the batch is not delivered, and at the next batch boundary the partition is sought back to N
(never forward). Records of the partition after N that were delivered before that seek are
still in the channel: the agents refuse them (they read through ``fresh_events``), which
marks them done without an acknowledgement. The rewind ends when N reaches the stream again
(or, if N is gone from the log, the first record fetched after the seek); if the stream skips
that one too, the partition rewinds again.

Fifth gap: records delivered while Faust seeks to the committed offsets. When table recovery
ends, Faust resumes the stream partitions and then awaits ``perform_seek`` (every partition
to its committed offset) without stopping the flow. Until that seek lands, records are
delivered, processed and committed; the seek then moves the fetch position back to the offset
just committed, and all of them are delivered again. Not a loss, but 2,421 of 4,000 articles
were processed twice in one replay (docs/benchmarks.md, Replay). So nothing is delivered while
a ``perform_seek`` is under way: the batch stops as for a stopped flow, and its undelivered
records are re-read once the seek has landed (then, as everywhere here, only backwards: a
partition the seek moved to its committed offset is already behind them; one with nothing
committed, which aiokafka leaves where it is, is sought back to them).

Commit barriers: ``add_commit_barrier(app, fn)`` runs ``fn`` before every commit, once the
producer is flushed. The JSONL sinks fsync there (agents/sinks.py), and streams/outbox.py
raises there if the broker refused an output record; a barrier that raises stops the worker
without committing.

Usage::

    transport = rereading_transport()(app.conf.broker_consumer, app)
    add_commit_barrier(app, sink.sync_async)
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from faust import Sensor
from faust.transport.drivers.aiokafka import Consumer, Transport
from faust.types import TP
from faust.types.tuples import ack_lock
from mode import Service

log = logging.getLogger(__name__)

SETTLE_WARN_EVERY = 30.0  # seconds between warnings while a commit waits for queued table writes
STALL_AFTER = 5.0  # seconds a commit may wait behind missing offsets before they are fetched again
SEEK_WAIT = 0.01  # seconds the fetch loop pauses while a seek to the committed offsets is under way


@dataclass
class _Rewind:
    """A partition being fetched again from ``offset``, a record the stream skipped (fourth gap)."""

    offset: int
    sought: bool = False  # the seek (or an earlier position) is in place
    first: Any = None  # the first record delivered after it: the rewind ends when it is taken


class ReReadingConsumer(Consumer):
    _seeking: int = 0  # perform_seek calls under way (fifth gap)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Delivered records of acking topics the stream has not taken yet, in delivery order.
        self._untaken: dict[TP, deque[Any]] = {}
        self._rewinds: dict[TP, _Rewind] = {}
        # Partitions of batches that ended while a seek was under way, with their first
        # undelivered offset (None: all delivered).
        self._after_seek: dict[TP, int | None] = {}
        self.app.sensors.add(_StreamTakes(self))

    async def perform_seek(self) -> None:
        """Faust's seek to the committed offsets, with nothing delivered meanwhile (fifth gap)."""
        self._seeking += 1
        try:
            await super().perform_seek()
        finally:
            self._seeking -= 1
            if not self._seeking:
                await self._re_read_after_seek()

    async def _re_read_after_seek(self) -> None:
        pending, self._after_seek = self._after_seek, {}
        for tp, offset in pending.items():
            position = self._fetch_position(tp)
            if offset is not None:
                position = await self._seek_back(tp, offset, position, "not delivered while seeking")
            self._keep_read_offset_behind(tp, position)

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[TP, Any]]:
        if self._seeking:
            # Nothing is delivered while a seek is under way (fifth gap); do not fetch either.
            await asyncio.sleep(SEEK_WAIT)
            return
        await self._apply_rewinds()
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
                if not self.flow_active or self.app.consumer_generation_id != generation or self._seeking:
                    break
                if active is not None and tp not in active and tp not in self._buffered_partitions:
                    continue  # not ours to deliver now; re-read below
                rewind = self._rewinds.get(tp)
                if rewind is not None and not rewind.sought:
                    continue  # fetched again from the rewind offset once this batch is done
                self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                last_yielded[tp] = record.offset
                message = self._to_message(tp, record)
                self._note_delivered(tp, message, rewind)
                yield tp, message
        finally:
            # Runs after Faust's drain loop has set the read offset of the last record yielded:
            # the generator only resumes once the loop body for that record is done.
            seeking = self._seeking
            for tp, batch in records.items():
                done = last_yielded.get(tp)
                if seeking:
                    # Decided once the seek has landed: seeking back now could be overtaken
                    # by it, or overtake it. The read offset is checked then too (second gap).
                    offsets = (_first_undelivered(batch, done), self._after_seek.get(tp))
                    self._after_seek[tp] = min((o for o in offsets if o is not None), default=None)
                    continue
                position = self._fetch_position(tp)
                if batch and done != batch[-1].offset:
                    position = await self._re_read(tp, batch, done, position)
                self._keep_read_offset_behind(tp, position)
            await self._apply_rewinds()

    def _note_delivered(self, tp: TP, message: Any, rewind: _Rewind | None) -> None:
        if not self.app.topics.acks_enabled_for(tp.topic):
            return  # the stream tracks (and skips) only records of acking topics
        self._untaken.setdefault(tp, deque()).append(message)
        if rewind is not None and rewind.first is None:
            rewind.first = message

    def _on_taken(self, message: Any) -> None:
        """The stream took ``message`` for its agent (fourth gap): was an earlier one skipped?"""
        tp, offset = message.tp, message.offset
        rewind = self._rewinds.get(tp)
        # The skipped copy of N is gone from the channel, so a taken N is a new delivery. The
        # first record fetched after the seek also ends it (N itself may be gone from the log).
        if rewind is not None and rewind.sought and (offset == rewind.offset or rewind.first is message):
            del self._rewinds[tp]
            log.info("%s fetched again from %d: rewind done", tp, rewind.offset)
        untaken = self._untaken.get(tp)
        skipped: int | None = None
        # One channel per topic, first in first out: a record delivered before this one and
        # not taken is gone from the channel. Entries are popped up to this offset; an older
        # copy of this very offset was superseded by this delivery, not skipped.
        while untaken and untaken[0].offset <= offset:
            earlier = untaken.popleft()
            if not earlier.tracked and earlier.offset < offset and (skipped is None or earlier.offset < skipped):
                skipped = earlier.offset
        if skipped is not None:
            self._start_rewind(tp, skipped)

    def _start_rewind(self, tp: TP, offset: int) -> None:
        committed = self._committed_offset.get(tp)
        if committed is not None and offset < committed:
            # A stale copy (fetched before a seek back) of a record processed and committed since.
            log.info("%s: record %d delivered but never taken by the stream; already committed (at %d)",
                     tp, offset, committed)
            return
        rewind = self._rewinds.get(tp)
        # A rewind already sought is started again: what it fetched was skipped too.
        if rewind is None or offset < rewind.offset or rewind.sought:
            offset = offset if rewind is None else min(offset, rewind.offset)
            log.warning("%s: record %d was skipped by the stream (stale generation or flow stopped); "
                        "fetching from %d again, later records refused until then", tp, offset, offset)
            self._rewinds[tp] = _Rewind(offset)
        # Forget acknowledgements from ``offset`` on: the pure-Python stream acknowledges a
        # skipped record, and Faust's gap handling may have counted some as done.
        acked = self._acked.get(tp)
        if acked:
            dropped = [o for o in acked if o >= offset]
            if dropped:
                acked[:] = [o for o in acked if o < offset]
                self._acked_index[tp].difference_update(dropped)
        gap = self._gap.get(tp)
        if gap:
            gap.chop(offset, max(gap.end(), offset + 1))

    async def _apply_rewinds(self) -> None:
        for tp, rewind in list(self._rewinds.items()):
            if rewind.sought:
                continue
            position = self._fetch_position(tp)
            if position is None:
                # Not assigned any more: its next owner starts from the committed offset.
                del self._rewinds[tp]
                continue
            position = await self._seek_back(tp, rewind.offset, position, "a record the stream skipped")
            self._keep_read_offset_behind(tp, position)
            rewind.sought = True

    def refuse_stale(self, message: Any) -> bool:
        """True if ``message`` must not be processed: its partition rewinds to an earlier record."""
        rewind = self._rewinds.get(message.tp)
        if rewind is None or message.offset <= rewind.offset:
            return False
        # Done for Faust (no ack is recorded for an acked message, nothing waits for it),
        # but its offset stays unacknowledged: the commit cannot pass it before it is fetched again.
        with ack_lock:
            message.acked = True
        self._unacked_messages.discard(message)
        return True

    async def _re_read(self, tp: TP, batch: list[Any], done: int | None, position: int | None) -> int | None:
        """Seek back to the first record of ``batch`` after ``done``; the position afterwards."""
        first = _first_undelivered(batch, done)
        if first is None:
            return position
        return await self._seek_back(tp, first, position, "fetched records not delivered")

    async def _seek_back(self, tp: TP, offset: int, position: int | None, why: str) -> int | None:
        """Seek ``tp`` back to ``offset`` if its position is past it; the position afterwards.

        Only ever backwards: a rebalance may already have sought this partition to its
        committed offset (earlier than ``offset``); seeking "back" to ``offset`` then would skip
        what lies between. A revoked partition has no position: its next owner starts from the
        committed offset anyway.
        """
        if position is None or position <= offset:
            return position
        log.info("re-reading %s from offset %d (%s)", tp, offset, why)
        await self.seek(tp, offset)
        return offset

    def _keep_read_offset_behind(self, tp: TP, position: int | None) -> None:
        """Pull Faust's read offset back to the fetch position if a seek left it ahead (docstring)."""
        read = self._read_offset.get(tp)  # a defaultdict: never create entries here
        if position is None or read is None or read <= position:
            return
        log.info("read offset of %s was %d, ahead of the fetch position %d after a seek; records from %d "
                 "will be delivered again, not dropped", tp, read, position, position)
        # Faust's own convention: offset 0 is stored as None ("read nothing yet").
        self._read_offset[tp] = position or None

    @Service.task
    async def _commit_stall_watch(self) -> None:
        seen: dict[TP, tuple[int, int]] = {}
        while not self.should_stop:
            await self.sleep(STALL_AFTER)
            seen = await self._heal_stalls(seen)

    async def _heal_stalls(self, seen: dict[TP, tuple[int, int]]) -> dict[TP, tuple[int, int]]:
        """Seek back partitions whose commit waits on a hole seen last time too; the holes now."""
        if self.app.rebalancing:
            return {}  # the rebalance seeks every partition to its committed offset anyway
        holes: dict[TP, tuple[int, int]] = {}
        in_flight = [(m.tp, m.offset) for m in list(self._unacked_messages)]
        for tp, acked in list(self._acked.items()):
            committed = self._committed_offset.get(tp)
            if not acked or committed is None or min(acked) - committed <= 1:
                continue  # nothing waiting, or Faust commits it (its check is "first acked - committed > 1")
            first = min(acked)
            if any(t == tp and committed <= offset < first for t, offset in in_flight):
                continue  # the hole is being processed
            holes[tp] = (committed, first)
            position = self._fetch_position(tp)
            if seen.get(tp) != holes[tp] or position is None or position <= committed:
                continue
            log.warning("commit of %s stalled at %d (acknowledged from %d on); fetching from %d again",
                        tp, committed, first, committed)
            await self.seek(tp, committed)
        return holes

    async def _commit(self, offsets: Mapping[TP, int]) -> bool:
        if not await self._producer_settled():
            return False  # stopping with writes unsent: nothing after this uses the local offsets
        try:
            for barrier in commit_barriers(self.app):
                await barrier()
        except Exception as exc:  # noqa: BLE001 - whatever the barrier raised, nothing may be committed
            # Faust's own answer to a commit that cannot be made (its ``_commit``): stop the
            # worker. Returning False is not enough: Faust keeps the offsets as committed locally.
            log.error("commit refused: %s", exc)
            await self.crash(exc)
            return False
        return await super()._commit(offsets)

    async def _producer_settled(self) -> bool:
        """Everything queued with ``send_soon`` so far is acknowledged by the broker (third gap)."""
        producer = self.app.producer
        buffer = producer.buffer
        if self.app.conf.producer_threaded:
            # The threaded producer drains its own queue in its thread; not used by cloudpulse.
            await producer.flush()
            return True
        loop = asyncio.get_running_loop()
        warn_at = loop.time() + SETTLE_WARN_EVERY
        while not _buffer_idle(buffer):
            if buffer.should_stop:
                # Shutting down: the sender is gone; commit only if it left nothing behind.
                if not buffer.pending.empty():
                    return False
                break
            if loop.time() >= warn_at:
                log.warning("commit waiting for %d queued table writes to be sent", buffer.pending.qsize())
                warn_at = loop.time() + SETTLE_WARN_EVERY
            await asyncio.sleep(0.005)
        await producer.flush()  # aiokafka: every batch handed over is acknowledged
        return True

    def _fetch_position(self, tp: TP) -> int | None:
        """aiokafka's next fetch offset for ``tp``, or None if it has none (not assigned)."""
        consumer = getattr(self._thread, "_consumer", None)
        subscription = consumer._subscription.subscription if consumer is not None else None
        assignment = subscription.assignment if subscription is not None else None
        state = assignment.state_value(tp) if assignment is not None else None
        return state.position if state is not None and state.has_valid_position else None


def _first_undelivered(batch: list[Any], done: int | None) -> int | None:
    """Offset of the first record of ``batch`` after ``done`` (None: all delivered)."""
    return next((r.offset for r in batch if done is None or r.offset > done), None)


def add_commit_barrier(app: Any, barrier: Callable[[], Awaitable[None]]) -> None:
    """Run ``barrier`` before every offset commit, after the producer is flushed.

    For side effects outside Kafka that an input offset must not be committed before (a file
    fsync), or a check that everything handed over was accepted. A barrier that raises stops
    the worker without committing: the inputs are processed again after the restart.
    """
    commit_barriers(app).append(barrier)


def commit_barriers(app: Any) -> list[Callable[[], Awaitable[None]]]:
    barriers = getattr(app, "_cloudpulse_commit_barriers", None)
    if barriers is None:
        barriers = []
        app._cloudpulse_commit_barriers = barriers
    return barriers


def _buffer_idle(buffer: Any) -> bool:
    """Nothing queued, and the sender task is waiting for the next message (none in hand)."""
    pending: asyncio.Queue[Any] = buffer.pending
    # asyncio.Queue keeps the futures of waiting get() calls in ``_getters``: the buffer's
    # single sender task is parked there exactly when it holds no message.
    return pending.empty() and any(not getter.done() for getter in getattr(pending, "_getters", ()))


class _StreamTakes(Sensor):
    """Faust calls ``on_message_in`` when a stream tracks a record, before its agent sees it."""

    def __init__(self, consumer: ReReadingConsumer) -> None:
        super().__init__()
        self._consumer = consumer

    def on_message_in(self, tp: TP, offset: int, message: Any) -> None:
        self._consumer._on_taken(message)


async def fresh_events(stream: Any) -> AsyncIterator[Any]:
    """``stream.events()`` without the events a rewinding partition refuses (fourth gap).

    Every agent loop reads through this, so no agent can forget the check. A refused event is
    already marked done without an acknowledgement; Faust's ack of it on the next step is a no-op.
    """
    async for event in stream.events():
        if not skip_stale(event):
            yield event


def skip_stale(event: Any) -> bool:
    """True if the agent must drop ``event`` unprocessed (fourth gap); call first per event."""
    app = getattr(event, "app", None)
    refuse = getattr(getattr(app, "consumer", None), "refuse_stale", None)
    return bool(refuse is not None and refuse(event.message))


def rereading_transport(consumer_cls: type[Consumer] = ReReadingConsumer) -> type[Transport]:
    class ReReadingTransport(Transport):
        Consumer = consumer_cls

    return ReReadingTransport
