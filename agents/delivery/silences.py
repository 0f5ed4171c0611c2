"""Silences: the book of them, and the worker's feed from the ``cloudpulse.silences`` topic.

Silences are records on a compacted topic keyed by id (``cloudpulse silence add|list|expire``
write and read it). Each worker follows the whole topic into a ``SilenceBook``; deliveries
wait for the first full read so that a silence added before a worker starts is honoured.

Usage::

    book = SilenceBook()
    book.apply(silence)                           # add or replace (expire = ends_at moved to now)
    book.matching(alert, "analysts", now)         # the Silence that mutes it, or None
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from agents.delivery.matchers import matches
from schemas.alert import Alert
from schemas.delivery import Silence

log = logging.getLogger(__name__)


class SilenceBook:
    def __init__(self) -> None:
        self._silences: dict[str, Silence] = {}
        self.ready = asyncio.Event()

    def apply(self, silence: Silence) -> None:
        self._silences[silence.id] = silence

    def matching(self, alert: Alert, receiver: str, now: datetime) -> Silence | None:
        for silence in self._silences.values():
            if silence.active(now) and matches(silence.matchers, alert, receiver):
                return silence
        return None

    def __len__(self) -> int:
        return len(self._silences)


async def follow(book: SilenceBook, bootstrap: list[str], topic: str, *, fix_ends=None, poll_ms: int = 500) -> None:
    """Read ``topic`` from the start into ``book`` forever; ``book.ready`` once caught up.

    ``fix_ends`` corrects the end offsets a broker reports (the dev broker's gap, see
    streams/tansu_workarounds.py); None trusts them. A failure restarts the read after a pause.
    """
    while True:
        try:
            await _follow_once(book, bootstrap, topic, fix_ends, poll_ms)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("reading silences failed; retrying in 5 s")
            await asyncio.sleep(5)


async def _follow_once(book: SilenceBook, bootstrap: list[str], topic: str, fix_ends, poll_ms: int) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                                fetch_max_wait_ms=100)
    await consumer.start()
    try:
        await consumer.topics()  # loads metadata, so partitions_for_topic knows the topic
        partitions = sorted(consumer.partitions_for_topic(topic) or [])
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps) if tps else {}
        if fix_ends is not None:
            ends = await fix_ends(bootstrap, ends)
        while True:
            batches = await consumer.getmany(timeout_ms=poll_ms)
            for records in batches.values():
                for record in records:
                    try:
                        book.apply(Silence.model_validate_json(record.value))
                    except Exception:  # a bad record must not stop silences from working
                        log.warning("ignored malformed silence at %s[%d]@%d", record.topic, record.partition,
                                    record.offset)
            if not book.ready.is_set() and all([await consumer.position(tp) >= end for tp, end in ends.items()]):
                log.info("silences loaded: %d", len(book))
                book.ready.set()
    finally:
        await consumer.stop()
