"""Workarounds for gaps of the Tansu dev broker, and nothing else.

Everything here is applied only when ``settings.dev_broker`` is true, i.e. when cloudpulse
itself started the embedded Tansu broker (demo, tests, `cloudpulse broker` users who say so).
Against a real Kafka none of it runs and Faust/aiokafka/kafka-python take their standard
paths. Each workaround names the gap it covers (see BROKER.md in the project brief):

1. **ListOffsets LATEST is wrong.** Tansu answers with the base offset of the last record
   batch + 1 instead of the high watermark. Faust's table recovery reads to that "end" and
   stops early, losing the last table updates after a restart. Fetch responses do carry the
   true high watermark, so one fetch at (reported - 1) gives the real end.
   -> ``TansuConsumerThread._highwaters`` (Faust) and ``correct_end_offsets`` (kafka-python).
2. **JoinGroup is held ~session_timeout/2.** Faust's 60 s default makes the first join take
   ~30 s. -> ``group_timings`` (3 s session, real Kafka's minimum is 6 s so this never leaks).
3. **ListOffsets by timestamp is wrong**: it uses broker append time per batch, ignores record
   CreateTime, and answers offset 0 (timestamp -1) for a time after the last record, which
   would make `replay --since` silently start from the beginning.
   -> ``start_offsets_by_scan`` reads the partition and compares record timestamps.
4. **Fetch with a long max wait is re-polled at remaining/2.** Faust hard-codes
   ``fetch_max_wait_ms=1500``, which costs ~370 ms median latency on Tansu.
   -> ``TansuConsumerThread`` sets the consumer's fetch wait to ``settings.fetch_max_wait_ms``.
5. **OffsetCommit outside a generation is refused.** An admin commit for a group with no
   members (kafka-python ``alter_group_offsets``, generation -1) gets UNKNOWN_MEMBER_ID for
   every partition, so a replay cannot place its new group at ``--since``.
   -> ``refuses_admin_offset_commit`` lets ``streams.replay.set_group_offsets`` go on; the
   replay worker then starts at the beginning and its per-record time window skips the rest.

Usage::

    install(app, settings)    # no-op unless settings.dev_broker
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Transport
from faust.types import TP

from streams.consumer import ReReadingConsumer, rereading_transport
from streams.settings import Settings

log = logging.getLogger(__name__)


# --- 2. group timings ---------------------------------------------------------------------
def refuses_admin_offset_commit(errors: Any) -> bool:
    """Gap 5: every refusal is UNKNOWN_MEMBER_ID (an empty group's commit on Tansu)."""
    errors = list(errors)
    return bool(errors) and all(getattr(e, "__name__", "") == "UnknownMemberIdError" for e in errors)


def group_timings(settings: Settings) -> dict[str, float]:
    """Faust group timings: short on the dev broker (gap 2), the configured ones elsewhere."""
    if settings.dev_broker:
        return {"session_timeout": 3.0, "heartbeat_interval": 0.5, "rebalance_timeout": 3.0}
    return {
        "session_timeout": settings.session_timeout,
        "heartbeat_interval": settings.heartbeat_interval,
        "rebalance_timeout": settings.rebalance_timeout,
    }


# --- 1. end offsets -------------------------------------------------------------------------
async def true_highwaters(bootstrap: list[str], reported: Mapping[Any, int], timeout: float = 10.0) -> dict[Any, int]:
    """Correct LATEST offsets reported by Tansu by reading the high watermark of a fetch.

    ``reported`` maps TopicPartition -> offset from ListOffsets. A partition reported at 0 is
    empty (Tansu gets that case right). Keys keep their type (Faust TP or aiokafka TP).
    """
    from aiokafka.structs import TopicPartition

    needs = {tp: off for tp, off in reported.items() if off > 0}
    result = dict(reported)
    if not needs:
        return result
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None,
                                fetch_max_wait_ms=50, max_partition_fetch_bytes=1024)
    await consumer.start()
    try:
        plain = {TopicPartition(tp.topic, tp.partition): tp for tp in needs}
        consumer.assign(list(plain))
        for ktp, tp in plain.items():
            consumer.seek(ktp, needs[tp] - 1)
        pending = set(plain)
        deadline = asyncio.get_running_loop().time() + timeout
        while pending and asyncio.get_running_loop().time() < deadline:
            await consumer.getmany(*pending, timeout_ms=200, max_records=1)
            for ktp in list(pending):
                high = consumer.highwater(ktp)
                if high is not None:
                    result[plain[ktp]] = max(high, needs[plain[ktp]])
                    pending.discard(ktp)
        if pending:
            log.warning("tansu: no fetch response for %s; keeping reported end offsets", sorted(map(str, pending)))
    finally:
        await consumer.stop()
    return result


def correct_end_offsets(consumer: Any, reported: Mapping[Any, int], timeout_ms: int = 10_000) -> dict[Any, int]:
    """kafka-python flavour of the same correction, for a consumer with no group."""
    needs = {tp: off for tp, off in reported.items() if off > 0}
    result = dict(reported)
    if not needs:
        return result
    consumer.assign(list(needs))
    for tp, off in needs.items():
        consumer.seek(tp, off - 1)
    deadline = time.monotonic() + timeout_ms / 1000
    pending = set(needs)
    while pending and time.monotonic() < deadline:
        consumer.poll(timeout_ms=200, max_records=1)
        for tp in list(pending):
            high = consumer.highwater(tp)
            if high is not None:
                result[tp] = max(high, needs[tp])
                pending.discard(tp)
    return result


def start_offsets_by_scan(consumer: Any, tps: list[Any], ends: Mapping[Any, int], timestamp_ms: int,
                          timeout_ms: int = 30_000) -> dict[Any, int]:
    """Gap 3: the first offset whose record CreateTime >= ``timestamp_ms``, found by reading.

    Linear in the partition size: fine for a dev broker's data, never used on real Kafka.
    """
    result = {tp: ends[tp] for tp in tps}
    pending = {tp for tp in tps if ends[tp] > 0}
    if not pending:
        return result
    consumer.assign(list(pending))
    consumer.seek_to_beginning(*pending)
    deadline = time.monotonic() + timeout_ms / 1000
    while pending and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=200).items():
            if tp not in pending:
                continue
            for record in records:
                if record.timestamp >= timestamp_ms:
                    result[tp] = record.offset
                    pending.discard(tp)
                    break
            else:
                if consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)  # every record is older: start at the end
    return result


class TansuConsumerThread(AIOKafkaConsumerThread):
    """Faust's aiokafka consumer thread with gaps 1 and 4 covered."""

    fetch_max_wait_ms: int = 100

    def _create_worker_consumer(self, transport: Transport) -> AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when its fetcher starts, after construction (gap 4).
        consumer._fetch_max_wait_ms = self.fetch_max_wait_ms
        return consumer

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        reported = await super()._highwaters(partitions)
        if self.consumer.in_transaction:
            return reported
        consumer = self._ensure_consumer()
        bootstrap = consumer._client._bootstrap_servers
        corrected = await true_highwaters(bootstrap, reported)
        changed = {str(tp): (reported[tp], corrected[tp]) for tp in reported if reported[tp] != corrected[tp]}
        if changed:
            log.info("tansu: corrected end offsets %s", changed)
        return corrected


def tansu_transport(fetch_max_wait_ms: int) -> type[Transport]:
    thread_cls = type("TansuConsumerThread", (TansuConsumerThread,), {"fetch_max_wait_ms": fetch_max_wait_ms})

    class TansuConsumer(ReReadingConsumer):
        def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
            return thread_cls(self, loop=self.loop, beacon=self.beacon)

    transport = rereading_transport(TansuConsumer)
    transport.__name__ = transport.__qualname__ = "TansuTransport"
    return transport


def install(app: faust.App, settings: Settings) -> bool:
    """Swap in the Tansu-aware transport when (and only when) the dev broker is in use."""
    if not settings.dev_broker:
        return False
    app.transport = tansu_transport(settings.fetch_max_wait_ms)(app.conf.broker_consumer, app)
    log.info("tansu: dev-broker workarounds installed (end offsets, fetch wait, group timings)")
    return True


def installed(app: faust.App) -> bool:
    return type(app.transport).__name__ == "TansuTransport"

