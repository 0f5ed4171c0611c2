"""ReReadingConsumer: whatever Faust fetched but did not deliver is fetched again."""

from __future__ import annotations

from types import SimpleNamespace

from faust.types import TP

from streams.consumer import ReReadingConsumer

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
        app=SimpleNamespace(consumer_generation_id=1, monitor=SimpleNamespace(track_tp_end_offset=lambda tp, hw: None)),
    )

    async def wait_next(timeout):
        return records, active

    async def seek(tp, offset):
        c.seeks.append((tp, offset))

    # By default aiokafka's position is past everything fetched (it was all handed to Faust).
    ends = {tp: batch[-1].offset + 1 for tp, batch in records.items() if batch}
    where = positions if positions is not None else ends
    c.__dict__.update(_wait_next_records=wait_next, seek=seek, highwater=lambda tp: 0,
                      _to_message=lambda tp, r: r.offset, _fetch_position=lambda tp: where.get(tp))
    return c


async def drain(c, stop_after: int | None = None) -> list[tuple[TP, int]]:
    got = []
    async for tp, offset in c.getmany(1.0):
        got.append((tp, offset))
        if stop_after is not None and len(got) == stop_after:
            c.flow_active = False  # a rebalance starts while the batch is being delivered
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
