"""streams.placement: analyse in place only where the re-keyed copy would land on the same partition."""

from __future__ import annotations

from types import SimpleNamespace

from aiokafka.partitioner import DefaultPartitioner
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

from streams.placement import Placement, default_partition

KEYS = [b"BABA", b"AMZN", b"GOOGL", b"MSFT", b"TCEHY", b"C00000", b"C00199", "阿里".encode(), b""]


def test_default_partition_is_the_clients_choice() -> None:
    # The re-keyed copy is produced by aiokafka (Faust), the input typically by kafka-python
    # (cloudpulse publish) or a Java client: all three must agree for "in place" to hold.
    for n in (1, 4, 12):
        partitions = list(range(n))
        for key in KEYS:
            expected = DefaultPartitioner()(key, partitions, partitions)
            assert default_partition(key, n) == expected
            assert (kafka_python_murmur2(key) & 0x7FFFFFFF) % n == expected  # kafka-python's DefaultPartitioner


def app(partitions_of_input: int | None, partitioner=None) -> SimpleNamespace:
    return SimpleNamespace(conf=SimpleNamespace(producer_partitioner=partitioner),
                           consumer=SimpleNamespace(topic_partitions=lambda topic: partitions_of_input))


def message(partition: int) -> SimpleNamespace:
    return SimpleNamespace(topic="earnings.releases", partition=partition)


def test_in_place_only_on_the_keys_own_partition() -> None:
    placement = Placement(app(4), 4)
    home = default_partition(b"BABA", 4)
    assert placement.in_place(message(home), b"BABA")
    assert not any(placement.in_place(message(p), b"BABA") for p in range(4) if p != home)


def test_never_in_place_when_the_input_is_not_co_partitioned() -> None:
    # 8 input partitions against a 4-partition table: partition N of the input may belong to a
    # worker that does not own partition N of the table.
    for partitions_of_input in (8, None):  # None: metadata not known yet
        placement = Placement(app(partitions_of_input), 4)
        assert not any(placement.in_place(message(p), b"BABA") for p in range(8))


def test_never_in_place_with_a_custom_partitioner() -> None:
    placement = Placement(app(4, partitioner=lambda *a: 0), 4)
    assert not placement.enabled
    assert not any(placement.in_place(message(p), b"BABA") for p in range(4))
