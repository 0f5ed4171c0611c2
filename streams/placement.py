"""Whether an input record already sits on the partition its re-keyed copy would go to.

The analysis keeps per-company history in a table partitioned like ``cloudpulse.releases.valid``,
which the ingest agent fills with every valid release keyed by its canonical company id. That
re-key hop makes the design correct whatever key (or none) the publisher of
``earnings.releases`` used. But publishers that follow the contract already key by the
canonical id ("BABA"), and then the record is on the very partition the re-keyed copy would go
to: forwarding it costs a produce, a second consume and a second validation for nothing. The
ingest agent analyses such a record in place instead (agents/pipeline.py).

In place means, checked per record: the input topic has the table's partition count (so the
consumer group assigns partition N of both topics, and of the changelog, to one worker: Faust
co-partitions topics of equal size), and the record's partition is the one the producer's
partitioner would pick for the canonical key on the re-keyed topic. Anything else is re-keyed
as before. With a custom ``producer_partitioner`` the check is off: its choice is not known here.

Ordering: a company whose releases arrive under several keys (some canonical, some not) has its
canonical ones analysed at once and the others one hop later, so their order can differ from
the input's. The analysis takes releases in any order (history is by quarter; restated figures
are matched by period); only which release is "new" vs "restated" first can differ.

Usage::

    placement = Placement(app, settings.partitions)
    if placement.in_place(event.message, b"BABA"): ...
"""

from __future__ import annotations

from typing import Any

from aiokafka.partitioner import murmur2


def default_partition(key: bytes, partitions: int) -> int:
    """The partition aiokafka's (and the Java client's) default partitioner picks for ``key``."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class Placement:
    def __init__(self, app: Any, partitions: int) -> None:
        self._app = app
        self._partitions = partitions
        self.enabled = app.conf.producer_partitioner is None

    def in_place(self, message: Any, key: bytes) -> bool:
        if not self.enabled:
            return False
        if self._app.consumer.topic_partitions(message.topic) != self._partitions:
            return False
        return message.partition == default_partition(key, self._partitions)
