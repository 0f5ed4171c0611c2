"""Where topics end and where a consumer group has got to, read with kafka-python.

The demo and tests wait on these ("processed" means committed offsets reached the end
offsets captured after publishing), never on sleeps.

Usage::

    ends = end_offsets(settings, [settings.topic(RELEASES)])
    done = committed_offsets(settings, settings.app_id, ends) == ends
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from subprocess import Popen

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient
from kafka.structs import TopicPartition

from streams import tansu_workarounds
from streams.settings import Settings


def _consumer(settings: Settings) -> KafkaConsumer:
    return KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None, enable_auto_commit=False,
                         client_id=f"{settings.app_id}-offsets", fetch_max_wait_ms=50,
                         max_partition_fetch_bytes=1024, request_timeout_ms=30_000)


def partitions_of(consumer: KafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    out: list[TopicPartition] = []
    for topic in topics:
        for partition in sorted(consumer.partitions_for_topic(topic) or ()):
            out.append(TopicPartition(topic, partition))
    return out


def end_offsets(settings: Settings, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """High watermark of every partition of ``topics`` (corrected on the dev broker)."""
    consumer = _consumer(settings)
    try:
        tps = partitions_of(consumer, topics)
        reported = consumer.end_offsets(tps) if tps else {}
        if settings.dev_broker:
            return tansu_workarounds.correct_end_offsets(consumer, reported)
        return dict(reported)
    finally:
        consumer.close()


def committed_offsets(settings: Settings, group: str, topics: Iterable[str]) -> dict[TopicPartition, int]:
    """The group's committed offset per partition of ``topics`` (absent: nothing committed)."""
    wanted = set(topics)
    client = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-offsets")
    try:
        groups = client.list_group_offsets({group: None})
    finally:
        client.close()
    return {
        TopicPartition(tp.topic, tp.partition): meta.offset
        for tp, meta in groups.get(group, {}).items()
        if tp.topic in wanted and meta.offset >= 0
    }


def consumed(ends: dict[TopicPartition, int], committed: dict[TopicPartition, int]) -> bool:
    return all(committed.get(tp, 0) >= end for tp, end in ends.items())


def all_committed(settings: Settings, topics: Iterable[str]) -> bool:
    """The app's consumer group has committed up to the current end of every partition."""
    topics = list(topics)
    return consumed(end_offsets(settings, topics), committed_offsets(settings, settings.app_id, topics))


def poll_until(check: Callable[[], bool], proc: Popen[bytes] | None, timeout: float, *,
               interval: float = 0.25, stable: int = 2) -> bool:
    """True once ``check()`` holds ``stable`` polls in a row; False on timeout or if ``proc`` exits.

    Several polls in a row, because a commit and the records it produces are not observed
    atomically: one lucky read between them must not count as done.
    """
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        streak = streak + 1 if check() else 0
        if streak >= stable:
            return True
        time.sleep(interval)
    return False

def start_offsets_for_time(consumer: KafkaConsumer, tps: list[TopicPartition], ends: dict[TopicPartition, int],
                           timestamp_ms: int) -> dict[TopicPartition, int]:
    """First offset per partition whose record timestamp is at or after ``timestamp_ms``.

    Kafka's ListOffsets-by-time answers the earliest such offset, or nothing when every record
    is older: then the partition starts at its end (an empty window), never at its beginning.
    """
    if not tps:
        return {}
    found = consumer.offsets_for_times({tp: timestamp_ms for tp in tps})
    return {tp: (found[tp].offset if found.get(tp) is not None else ends[tp]) for tp in tps}


def offsets_at(settings: Settings, topics: Iterable[str], when: datetime | None) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """(start offsets for records at or after ``when`` (None: the beginning), end offsets now)."""
    consumer = _consumer(settings)
    try:
        tps = partitions_of(consumer, topics)
        ends = dict(consumer.end_offsets(tps)) if tps else {}
        if settings.dev_broker:
            ends = tansu_workarounds.correct_end_offsets(consumer, ends)
        if when is None:
            return dict(consumer.beginning_offsets(tps)) if tps else {}, ends
        stamp = int(when.timestamp() * 1000)
        if settings.dev_broker:
            return tansu_workarounds.start_offsets_by_scan(consumer, tps, ends, stamp), ends
        return start_offsets_for_time(consumer, tps, ends, stamp), ends
    finally:
        consumer.close()
