"""Batched table writes: the local store, then the changelog record, straight to the producer.

``table[key] = value`` in Faust queues each changelog record through ``send_soon``: a
``FutureMessage``, the ``ProducerBuffer`` queue, its sender task, ``publish_message`` and the
send callbacks, because ``__setitem__`` cannot await. That costs about 0.39 ms of CPU per write
(``bench/send_cost.py``), and a release makes about five writes (history series, recorded
outputs, alert ids). Inside an agent we *can* await, so :meth:`TableWriter.put_all` writes a
batch the way Faust would, minus the queue:

- the same bytes: key and value serialised by the changelog topic with the table's own
  serializers, so recovery reads them back exactly as it reads Faust's;
- the same partition: the partition of the event being processed (Faust's
  ``partition_for_key``), after the same source/changelog partition-count check;
- the same order: records of one batch go to one partition in call order, and aiokafka
  keeps them in that order (agents/outputs.py relies on it for crash safety);
- the same durability: nothing waits for the broker here, and every commit waits until the
  producer has flushed (streams/consumer.py), as for Faust's own writes; a refused record
  stops the worker before the commit (streams/outbox.py);
- RocksDB's persisted changelog offset is advanced from the send result, as Faust's
  ``_on_changelog_sent`` does, so a restarted worker recovers only what it lacks.

Not covered (Faust's path is still right for them): windowed tables (key expiry), tables with
``use_partitioner``, writes outside an agent, and transactions (exactly-once), none of which
cloudpulse uses; :class:`TableWriter` refuses the first two at construction.

Usage::

    writer = TableWriter(table, outbox)
    await writer.put_all([("BABA|cloud|revenue", {...}), ("old-key", DELETE)])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from faust.streams import current_event

from streams.outbox import Outbox

DELETE = object()  # value marker: remove the key (a tombstone in the changelog)


class TableWriter:
    def __init__(self, table: Any, outbox: Outbox) -> None:
        if table.use_partitioner or getattr(table, "window", None) is not None:
            raise ValueError(f"table {table.name}: windowed or partitioner tables need Faust's own write path")
        self._table = table
        self._outbox = outbox

    async def put_all(self, items: Iterable[tuple[str, Any]]) -> None:
        """Write ``items`` in order (``DELETE`` as a value removes the key); call inside an agent."""
        event = current_event()
        if event is None:
            raise RuntimeError(f"table {self._table.name}: writes must happen while an event is processed")
        table = self._table
        # Faust's check (PartitionsMismatch): a source topic with another partition count than
        # the changelog would put the entry on a partition this worker may not own.
        table._verify_source_topic_partitions(event.message.topic)
        partition = event.message.partition
        topic = table.changelog_topic
        name = topic.get_topic_name()
        store = table.data
        for key, value in items:
            key_bytes, _ = topic.prepare_key(key, table.key_serializer)
            value_bytes = None if value is DELETE else topic.prepare_value(value, table.value_serializer)[0]
            # Sent first: a record the producer refuses at once (larger than a request may be)
            # raises here and the store keeps the value its changelog has.
            future = await self._outbox.send(name, key_bytes, value_bytes, partition)
            future.add_done_callback(self._persisted)
            if value is DELETE:
                if key in store:
                    del store[key]
            else:
                store[key] = value

    def _persisted(self, future: Any) -> None:
        if future.cancelled() or future.exception() is not None:
            return  # the outbox reports it; the commit barrier stops the worker
        metadata = future.result()
        self._table.data.set_persisted_offset(metadata.topic_partition, metadata.offset)
