"""Reading whole topics, or following one, with kafka-python (CLI: history, silences, tail).

Usage::

    records = read_all(settings, settings.topic(DELIVERIES))     # everything there now
    for record in follow(settings, settings.topic(ALERTS)):       # new records until Ctrl-C
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kafka import KafkaConsumer

from streams.offsets import end_offsets
from streams.settings import Settings


def _consumer(settings: Settings) -> KafkaConsumer:
    return KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None, enable_auto_commit=False,
                         client_id=f"{settings.app_id}-reader", fetch_max_wait_ms=100)


def read_all(settings: Settings, topic: str, timeout: float = 30.0) -> list[Any]:
    """Every record in ``topic`` up to its current end offsets, partition by partition."""
    ends = {tp: end for tp, end in end_offsets(settings, [topic]).items() if end > 0}
    if not ends:
        return []
    consumer = _consumer(settings)
    try:
        consumer.assign(list(ends))
        consumer.seek_to_beginning(*ends)
        records: list[Any] = []
        polls = int(timeout / 0.5)
        while ends and polls:
            polls -= 1
            for tp, batch in consumer.poll(timeout_ms=500).items():
                records.extend(r for r in batch if r.offset < ends.get(tp, 0))
                if consumer.position(tp) >= ends.get(tp, 0):
                    ends.pop(tp, None)
        return records
    finally:
        consumer.close()


def follow(settings: Settings, topic: str, *, from_beginning: bool = False) -> Iterator[Any]:
    consumer = _consumer(settings)
    try:
        tps = [tp for tp in end_offsets(settings, [topic])]
        consumer.assign(tps)
        if from_beginning:
            consumer.seek_to_beginning(*tps)
        else:
            consumer.seek_to_end(*tps)
        while True:
            for batch in consumer.poll(timeout_ms=500).values():
                yield from batch
    finally:
        consumer.close()
