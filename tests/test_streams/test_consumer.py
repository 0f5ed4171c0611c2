"""ReReadingConsumer: whatever Faust fetched but did not deliver is fetched again."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace

import pytest
from faust.types import TP
from faust.types.tuples import ConsumerMessage
from intervaltree import IntervalTree

import streams.consumer as consumer_module
from streams.consumer import ReReadingConsumer, fresh_events, skip_stale

A, B = TP("t", 0), TP("t", 1)


def record(offset: int) -> SimpleNamespace:
    return SimpleNamespace(offset=offset)


class RoundRobin:
    def iterate(self, records):
        iterators = {tp: iter(batch) for tp, batch in records.items()}
        while iterators:
            for tp in list(iterators):
                try:
                    yield tp, next(iterators[tp])
                except StopIteration:
                    del iterators[tp]


def consumer(records, active=None, positions=None) -> ReReadingConsumer:
    """A consumer with just the state getmany touches (no broker, no app)."""
    c = object.__new__(ReReadingConsumer)
    never = SimpleNamespace(is_set=lambda: False)  # mode.Service's stop/crash events
    c.__dict__.update(
        _stopped=never, _crashed=never,
        flow_active=True, _buffered_partitions=set(), scheduler=RoundRobin(), seeks=[],
        _read_offset=defaultdict(lambda: None), _untaken={}, _rewinds={}, _after_seek={},
        app=SimpleNamespace(consumer_generation_id=1, monitor=SimpleNamespace(track_tp_end_offset=lambda tp, hw: None),
                            topics=SimpleNamespace(acks_enabled_for=lambda topic: False)),
    )

    async def wait_next(timeout):
        return records, active

    async def seek(tp, offset):
        c.seeks.append((tp, offset))
        c._read_offset[tp] = offset or None  # as Faust's Consumer.seek does

    # By default aiokafka's position is past everything fetched (it was all handed to Faust).
    ends = {tp: batch[-1].offset + 1 for tp, batch in records.items() if batch}
    where = positions if positions is not None else ends
    c.__dict__.update(_wait_next_records=wait_next, seek=seek, highwater=lambda tp: 0,
                      _to_message=lambda tp, r: r.offset, _fetch_position=lambda tp: where.get(tp))
    return c


async def drain(c, stop_after: int | None = None, during=None) -> list[tuple[TP, int]]:
    """Faust's drain loop, reduced: deliver, then record the read offset; ``during`` runs
    while the ``stop_after``-th record is being delivered."""
    got = []
    async for tp, offset in c.getmany(1.0):
        got.append((tp, offset))
        if stop_after is not None and len(got) == stop_after:
            if during is None:
                c.flow_active = False  # a rebalance starts while the batch is being delivered
            else:
                during(c)
        c._read_offset[tp] = offset  # _drain_messages: set after the callback returned
    return got


async def test_everything_delivered_means_no_seek() -> None:
    # Gaps inside a batch are normal on compacted topics: not a reason to re-read.
    c = consumer({A: [record(0), record(3), record(7)], B: [record(5)]})
    assert await drain(c) == [(A, 0), (B, 5), (A, 3), (A, 7)]
    assert c.seeks == []


async def test_stop_mid_batch_seeks_back_to_the_first_undelivered() -> None:
    c = consumer({A: [record(10), record(11), record(12)], B: [record(20), record(21)]})
    assert await drain(c, stop_after=3) == [(A, 10), (B, 20), (A, 11)]
    assert sorted(c.seeks) == [(A, 12), (B, 21)]


async def test_inactive_partition_is_re_read_not_dropped() -> None:
    c = consumer({A: [record(1), record(2)], B: [record(8), record(9)]}, active={A})
    assert await drain(c) == [(A, 1), (A, 2)]
    assert c.seeks == [(B, 8)]


async def test_never_seeks_forward_past_a_rebalance_seek() -> None:
    # A rebalance already sought A to its committed offset 5, before the undelivered 12; B was
    # revoked (no position). Seeking A "back" to 12 would skip 5..11.
    c = consumer({A: [record(10), record(11), record(12)], B: [record(20), record(21)]},
                 positions={A: 5})
    assert await drain(c, stop_after=3) == [(A, 10), (B, 20), (A, 11)]
    assert c.seeks == []


async def test_nothing_is_delivered_while_a_seek_to_committed_is_under_way() -> None:
    # Fifth gap: Faust's end-of-recovery perform_seek starts while A's batch is delivered. A has
    # a committed offset (the seek moves it back to 10); B has none (aiokafka leaves it alone).
    positions = {A: 13, B: 22}
    c = consumer({A: [record(10), record(11), record(12)], B: [record(20), record(21)]}, positions=positions)

    def seek_starts(c) -> None:
        c._seeking = 1

    assert await drain(c, stop_after=2, during=seek_starts) == [(A, 10), (B, 20)]
    assert c.seeks == []  # decided once the seek has landed, not now
    assert [(tp, offset) async for tp, offset in c.getmany(0.01)] == []  # no fetch while seeking
    positions[A] = 10  # the seek lands: A at its committed offset
    c._read_offset[A] = 10
    c._seeking = 0
    await c._re_read_after_seek()
    assert c.seeks == [(B, 21)]  # A is already behind 11; B's undelivered 21 is fetched again
    assert c._after_seek == {}


async def test_read_offset_is_pulled_back_after_a_seek_that_landed_mid_batch() -> None:
    # The record in hand when the seek landed set the read offset past the new position.
    positions = {A: 3}
    c = consumer({A: [record(7), record(8)]}, positions=positions)

    def seek_lands(c) -> None:
        c._seeking = 1
        positions[A] = 5

    assert await drain(c, stop_after=2, during=seek_lands) == [(A, 7), (A, 8)]
    assert c._read_offset[A] == 8
    c._seeking = 0
    await c._re_read_after_seek()
    assert c.seeks == [] and c._read_offset[A] == 5


async def test_perform_seek_marks_the_seek_and_re_reads_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    positions = {A: 30}
    c = consumer({}, positions=positions)
    c._after_seek = {A: 25}
    seen = []

    async def faust_perform_seek(self) -> None:
        seen.append(self._seeking)
        positions[A] = 30  # nothing committed for A: aiokafka leaves it where it is

    monkeypatch.setattr(consumer_module.Consumer, "perform_seek", faust_perform_seek)
    await c.perform_seek()
    assert seen == [1] and c._seeking == 0
    assert c.seeks == [(A, 25)] and c._after_seek == {}


def seek_to_committed(positions: dict[TP, int], committed: dict[TP, int]):
    """What Faust's perform_seek does to one partition: position and read offset to committed."""
    def run(c) -> None:
        positions.update(committed)
        c._read_offset.update(committed)
    return run


async def test_read_offset_set_after_a_seek_is_pulled_back_to_the_position() -> None:
    # Recovery's seek to committed (A -> 10) lands while records 10..13 of a batch fetched
    # before it are still being delivered: Faust sets the read offset to 13 afterwards, and
    # would drop the re-fetched 10..13 ("DROPPED MESSAGE ROFF"). It must be back at 10.
    positions = {A: 14}
    c = consumer({A: [record(10), record(11), record(12), record(13)]}, positions=positions)
    got = await drain(c, stop_after=2, during=seek_to_committed(positions, {A: 10}))
    assert got == [(A, 10), (A, 11), (A, 12), (A, 13)]
    assert c._read_offset[A] == 10
    assert c.seeks == []


async def test_read_offset_back_to_zero_is_stored_as_none() -> None:
    positions = {A: 3}
    c = consumer({A: [record(0), record(1), record(2)]}, positions=positions)
    await drain(c, stop_after=1, during=seek_to_committed(positions, {A: 0}))
    assert c._read_offset[A] is None  # Faust's "nothing read yet": no record is dropped


async def test_read_offset_untouched_without_a_seek() -> None:
    c = consumer({A: [record(4), record(5)], B: [record(9)]})
    await drain(c)
    assert dict(c._read_offset) == {A: 5, B: 9}  # last delivered, one below the position


async def test_revoked_partition_read_offset_is_left_to_the_next_assignment() -> None:
    # No position (revoked): the next assignment's perform_seek sets the read offset anyway.
    c = consumer({A: [record(7), record(8)]}, positions={})
    await drain(c)
    assert c._read_offset[A] == 8


# --- third gap: commit only after queued table writes are acknowledged -------------------------
class Buffer:
    """Faust's ProducerBuffer, reduced: a queue and one sender task that takes, then sends."""

    def __init__(self, events: list[str], send_time: float) -> None:
        self.pending: asyncio.Queue[str] = asyncio.Queue()
        self.should_stop = False
        self.events = events
        self.send_time = send_time
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._handle_pending())

    async def _handle_pending(self) -> None:
        while True:
            msg = await self.pending.get()
            await asyncio.sleep(self.send_time)  # in hand: off the queue, not yet handed to aiokafka
            self.events.append(f"sent {msg}")


def committing_consumer(buffer: Buffer, events: list[str]) -> ReReadingConsumer:
    c = object.__new__(ReReadingConsumer)

    async def flush() -> None:
        events.append("aiokafka flush")

    async def commit(offsets) -> bool:
        events.append(f"commit {offsets}")
        return True

    c.__dict__.update(
        app=SimpleNamespace(producer=SimpleNamespace(buffer=buffer, flush=flush),
                            conf=SimpleNamespace(producer_threaded=False)),
        _thread=SimpleNamespace(commit=commit),
    )
    return c


async def test_commit_waits_for_queued_and_in_hand_table_writes() -> None:
    events: list[str] = []
    buffer = Buffer(events, send_time=0.02)
    buffer.start()
    for key in ("a", "b", "c"):
        buffer.pending.put_nowait(key)
    await asyncio.sleep(0)  # the sender takes "a": the queue holds two, one is in hand
    c = committing_consumer(buffer, events)
    assert await c._commit({A: 5}) is True
    assert events == ["sent a", "sent b", "sent c", "aiokafka flush", f"commit {({A: 5})}"]
    buffer.task.cancel()


async def test_commit_waits_for_the_one_message_in_hand() -> None:
    events: list[str] = []
    buffer = Buffer(events, send_time=0.02)
    buffer.start()
    buffer.pending.put_nowait("a")
    await asyncio.sleep(0)
    assert buffer.pending.empty()  # Faust's own flush would see "size 0" here and commit at once
    assert await committing_consumer(buffer, events)._commit({A: 1}) is True
    assert events[0] == "sent a"
    buffer.task.cancel()


async def test_commit_keeps_waiting_while_writes_are_not_sent(monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    # Never "skip and carry on": Faust would record the offsets as committed locally anyway.
    events: list[str] = []
    buffer = Buffer(events, send_time=0.0)  # no sender running yet: the write stays queued
    buffer.pending.put_nowait("a")
    monkeypatch.setattr(consumer_module, "SETTLE_WARN_EVERY", 0.01)
    commit = asyncio.ensure_future(committing_consumer(buffer, events)._commit({A: 1}))
    await asyncio.sleep(0.05)
    assert not commit.done() and events == []
    assert "commit waiting for 1 queued table writes" in caplog.text
    buffer.start()  # the sender comes back: the write goes out, then the commit
    assert await commit is True
    assert events == ["sent a", "aiokafka flush", f"commit {({A: 1})}"]
    buffer.task.cancel()


async def test_shutdown_with_writes_unsent_does_not_commit() -> None:
    events: list[str] = []
    buffer = Buffer(events, send_time=0.0)
    buffer.pending.put_nowait("a")
    buffer.should_stop = True
    assert await committing_consumer(buffer, events)._commit({A: 1}) is False
    assert events == []


async def test_shutdown_with_nothing_queued_commits() -> None:
    events: list[str] = []
    buffer = Buffer(events, send_time=0.0)  # sender already stopped
    buffer.should_stop = True
    assert await committing_consumer(buffer, events)._commit({A: 2}) is True
    assert events == ["aiokafka flush", f"commit {({A: 2})}"]


# --- last line of defence: a commit stalled behind a hole is fetched again ---------------------
def stalled_consumer(acked, committed, positions, in_flight=()) -> ReReadingConsumer:
    c = object.__new__(ReReadingConsumer)
    c.__dict__.update(
        app=SimpleNamespace(rebalancing=False), seeks=[],
        _acked=defaultdict(list, acked), _committed_offset=defaultdict(lambda: None, committed),
        _unacked_messages=[SimpleNamespace(tp=tp, offset=offset) for tp, offset in in_flight],
        _read_offset=defaultdict(lambda: None), _fetch_position=lambda tp: positions.get(tp),
    )

    async def seek(tp, offset):
        c.seeks.append((tp, offset))

    c.__dict__["seek"] = seek
    return c


async def test_a_hole_seen_twice_with_nothing_in_flight_is_fetched_again() -> None:
    # Committed 18, acknowledged 20..29: Faust waits for 18 and 19 forever.
    c = stalled_consumer({A: list(range(20, 30))}, {A: 18}, {A: 30})
    seen = await c._heal_stalls({})
    assert c.seeks == [] and seen == {A: (18, 20)}  # first sight: could still be on its way
    await c._heal_stalls(seen)
    assert c.seeks == [(A, 18)]


async def test_no_seek_without_a_hole_or_while_the_hole_is_in_flight() -> None:
    contiguous = stalled_consumer({A: [18, 19, 20]}, {A: 18}, {A: 21})
    assert await contiguous._heal_stalls(await contiguous._heal_stalls({})) == {}
    busy = stalled_consumer({A: [20, 21]}, {A: 18}, {A: 22}, in_flight=[(A, 19)])
    await busy._heal_stalls(await busy._heal_stalls({}))
    assert busy.seeks == []


async def test_no_seek_when_the_hole_will_be_fetched_anyway_or_the_hole_moved() -> None:
    behind = stalled_consumer({A: [20]}, {A: 18}, {A: 18})  # position at the hole already
    await behind._heal_stalls(await behind._heal_stalls({}))
    assert behind.seeks == []
    moving = stalled_consumer({A: [25]}, {A: 18}, {A: 30})
    await moving._heal_stalls({A: (18, 20)})  # last time the hole ended elsewhere
    assert moving.seeks == []


# --- fourth gap: a record the stream skips is fetched again before anything after it --------------
def taking_consumer(records, positions=None, acked=(), committed=None) -> ReReadingConsumer:
    """``consumer`` delivering real Faust messages of an acking topic, with ack bookkeeping."""
    positions = dict(positions or {})
    c = consumer(records, positions=positions)
    seek = c.seek

    async def seek_and_move(tp, offset):
        await seek(tp, offset)
        positions[tp] = offset  # aiokafka fetches from there next

    c.__dict__["seek"] = seek_and_move
    c.app.topics = SimpleNamespace(acks_enabled_for=lambda topic: True)
    c.__dict__.update(
        _to_message=lambda tp, r: ConsumerMessage(tp.topic, tp.partition, r.offset, 0.0, 0, [], b"k", b"v", None),
        _acked=defaultdict(list, {A: list(acked)}), _acked_index=defaultdict(set, {A: set(acked)}),
        _gap=defaultdict(IntervalTree), _committed_offset=defaultdict(lambda: None, committed or {}),
        _unacked_messages=set(),
    )
    return c


async def delivered(c) -> list:
    messages = []
    async for tp, message in c.getmany(1.0):
        messages.append(message)
        c._read_offset[tp] = message.offset
    return messages


def take(c, message) -> bool:
    """What Faust's stream does with a record it does not skip, then the agent's first check."""
    message.tracked = True
    c._unacked_messages.add(message)
    c._on_taken(message)
    return not c.refuse_stale(message)


async def test_a_record_skipped_by_the_stream_is_fetched_again_before_later_ones() -> None:
    c = taking_consumer({A: [record(o) for o in range(17, 21)]}, positions={A: 21}, acked=[16, 18])
    m17, _m18, m19, m20 = await delivered(c)
    assert take(c, m17)
    # m18: skipped by the stream (stale generation); the pure-Python stream even acks it (18 above).
    assert not take(c, m19) and not take(c, m20)  # refused: 18 comes first
    assert m19.acked and m20.acked and c._unacked_messages == {m17}  # nothing waits for them...
    assert c._acked[A] == [16] and c._acked_index[A] == {16}  # ...and no commit passes 18
    c.__dict__["_wait_next_records"] = _returns({A: [record(18), record(19)]})
    fresh18, fresh19 = await delivered(c)  # the seek comes first, before the next fetch
    assert take(c, fresh18) and take(c, fresh19) and c._rewinds == {}
    assert c.seeks == [(A, 18)]


async def test_rest_of_the_batch_is_not_delivered_once_a_record_was_skipped() -> None:
    c = taking_consumer({A: [record(o) for o in range(5, 9)]}, positions={A: 9})
    got = []
    async for tp, message in c.getmany(1.0):
        got.append(message.offset)
        c._read_offset[tp] = message.offset
        if message.offset == 6:
            take(c, message)  # 5 was skipped: the stream took 6 straight away
    # Re-read from 7 (not delivered), then further back to 5.
    assert got == [5, 6] and c.seeks == [(A, 7), (A, 5)] and c._read_offset[A] == 5


async def test_rewind_never_seeks_forward_and_ends_with_the_first_fresh_record() -> None:
    # A rebalance already sought to the committed offset 10: no seek to 18, fetched from 10 anyway.
    c = taking_consumer({A: [record(18), record(19)]}, positions={A: 10})
    _m18, m19 = await delivered(c)
    assert not take(c, m19) and c.seeks == []
    c.__dict__["_wait_next_records"] = _returns({A: [record(10)]})
    (fresh10,) = await delivered(c)
    assert take(c, fresh10) and c._rewinds == {}


async def test_rewind_ends_at_its_offset_even_if_the_first_fetched_record_was_dropped() -> None:
    # After the seek to 18 a rebalance cleared the channel and sought to the committed 15.
    c = taking_consumer({A: [record(18), record(19)]}, positions={A: 20})
    _m18, m19 = await delivered(c)
    assert not take(c, m19)
    c.__dict__["_wait_next_records"] = _returns({A: [record(18)]})
    await delivered(c)  # sought to 18, and the fresh 18 is cleared before the stream takes it
    c.__dict__["_wait_next_records"] = _returns({A: [record(o) for o in range(15, 20)]})
    fresh = await delivered(c)
    assert [take(c, m) for m in fresh] == [True] * 5 and c._rewinds == {}


async def test_a_rewind_whose_first_record_is_skipped_again_seeks_again() -> None:
    c = taking_consumer({A: [record(18), record(19)]}, positions={A: 20})
    _m18, m19 = await delivered(c)
    assert not take(c, m19)
    c.__dict__["_wait_next_records"] = _returns({A: [record(18), record(19)]})
    _again18, again19 = await delivered(c)  # the stream skips 18 once more (another rebalance)
    c.__dict__["_fetch_position"] = lambda tp: 20  # fetched up to 19 again
    assert not take(c, again19)
    c.__dict__["_wait_next_records"] = _returns({A: [record(18)]})
    (fresh18,) = await delivered(c)
    assert take(c, fresh18) and c.seeks == [(A, 18), (A, 18)] and c._rewinds == {}


async def test_an_older_copy_of_the_same_offset_is_not_a_skip() -> None:
    # Re-read (or sought back) offsets arrive as new objects; the old copy was never taken.
    c = taking_consumer({A: [record(15)]}, positions={A: 16})
    await delivered(c)
    c.__dict__["_wait_next_records"] = _returns({A: [record(15), record(16)]})
    fresh15, fresh16 = await delivered(c)
    assert take(c, fresh15) and take(c, fresh16) and c._rewinds == {} and c.seeks == []


async def test_a_skipped_record_already_committed_is_left_alone() -> None:
    c = taking_consumer({A: [record(3), record(4)]}, positions={A: 5}, committed={A: 4})
    _, m4 = await delivered(c)
    assert take(c, m4) and c._rewinds == {} and c.seeks == []


def test_skip_stale_asks_the_apps_consumer() -> None:
    refused = SimpleNamespace(refuse_stale=lambda message: message == "stale")
    assert skip_stale(SimpleNamespace(app=SimpleNamespace(consumer=refused), message="stale"))
    assert not skip_stale(SimpleNamespace(app=SimpleNamespace(consumer=refused), message="fresh"))
    assert not skip_stale(SimpleNamespace(app=SimpleNamespace(consumer=object()), message="stale"))  # not ours


def _returns(records):
    async def wait_next(timeout):
        return records, None

    return wait_next


async def test_fresh_events_leaves_out_what_the_consumer_refuses() -> None:
    refused = SimpleNamespace(refuse_stale=lambda message: message == "stale")
    app = SimpleNamespace(consumer=refused)
    events = [SimpleNamespace(app=app, message=m) for m in ("a", "stale", "b")]

    class Stream:
        async def events(self):
            for event in events:
                yield event

    assert [e.message async for e in fresh_events(Stream())] == ["a", "b"]


# --- commit barriers: side effects outside Kafka settle before the offsets are committed ----------
async def test_barriers_run_after_the_producer_flush_and_before_the_commit() -> None:
    events: list[str] = []
    buffer = Buffer(events, send_time=0.0)
    buffer.should_stop = True  # nothing queued, sender gone: the settle step returns at once
    c = committing_consumer(buffer, events)

    async def fsync() -> None:
        events.append("fsync")

    consumer_module.add_commit_barrier(c.app, fsync)
    assert await c._commit({A: 3}) is True
    assert events == ["aiokafka flush", "fsync", f"commit {({A: 3})}"]


async def test_a_failing_barrier_stops_the_worker_without_committing() -> None:
    events: list[str] = []
    buffer = Buffer(events, send_time=0.0)
    buffer.should_stop = True
    c = committing_consumer(buffer, events)
    crashed: list[BaseException] = []

    async def crash(exc: BaseException) -> None:
        crashed.append(exc)

    async def refused() -> None:
        raise RuntimeError("an output record was refused")

    c.__dict__["crash"] = crash
    consumer_module.add_commit_barrier(c.app, refused)
    assert await c._commit({A: 3}) is False
    assert events == ["aiokafka flush"]  # no commit
    assert [str(e) for e in crashed] == ["an output record was refused"]
