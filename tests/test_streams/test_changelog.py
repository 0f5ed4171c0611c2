"""streams.changelog: a batch of table writes lands in the store and the changelog, in order."""

from __future__ import annotations

import asyncio
import json
import weakref
from types import SimpleNamespace
from typing import Any

import faust
import pytest
from faust.exceptions import PartitionsMismatch
from faust.streams import _current_event

from streams.changelog import DELETE, TableWriter


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int | None]] = []
        self.futures: list[asyncio.Future[Any]] = []

    async def send(self, topic, key, value, partition=None) -> asyncio.Future[Any]:
        self.sent.append((topic, key, value, partition))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future


class Store(dict):
    def __init__(self) -> None:
        super().__init__()
        self.persisted: dict[Any, int] = {}

    def set_persisted_offset(self, tp: Any, offset: int) -> None:
        self.persisted[tp] = offset


@pytest.fixture
def app() -> faust.App:
    return faust.App("changelog-test", broker="kafka://127.0.0.1:1", store="memory://", topic_partitions=4)


def table(app: faust.App) -> Any:
    # The history table's declaration (agents/pipeline.py), over a store that records offsets.
    t = app.Table("history", default=None, partitions=4,
                  schema=faust.Schema(key_serializer="json", value_serializer="json"))
    t._data = Store()
    t._verified_source_topics_for_partitions.add("earnings.releases")  # no broker metadata here
    return t


class Event:
    def __init__(self, topic: str, partition: int) -> None:
        self.message = SimpleNamespace(topic=topic, partition=partition)


def processing(topic: str, partition: int) -> Any:
    """Make Faust's current_event() an event read from ``topic``[``partition``]."""
    event = Event(topic, partition)
    _current_event.set(weakref.ref(event))  # type: ignore[arg-type]
    return event  # keep it alive while the test runs


async def test_writes_reach_store_and_changelog_in_order_on_the_events_partition(app: faust.App) -> None:
    t, outbox = table(app), Outbox()
    t.data["old"] = {"v": 0}
    event = processing("earnings.releases", 3)  # noqa: F841 - referenced weakly
    await TableWriter(t, outbox).put_all([("BABA|@outputs|x", {"status": "new"}), ("BABA|cloud|revenue", {"q": [1, 2]}),
                                          ("old", DELETE)])
    assert dict(t.data) == {"BABA|@outputs|x": {"status": "new"}, "BABA|cloud|revenue": {"q": [1, 2]}}
    topic = t.changelog_topic.get_topic_name()
    assert [(name, partition) for name, _, _, partition in outbox.sent] == [(topic, 3)] * 3
    keys = [json.loads(key) for _, key, _, _ in outbox.sent]
    assert keys == ["BABA|@outputs|x", "BABA|cloud|revenue", "old"]
    assert [value and json.loads(value) for _, _, value, _ in outbox.sent] == [{"status": "new"}, {"q": [1, 2]}, None]


async def test_bytes_are_the_ones_faust_would_send(app: faust.App) -> None:
    # Recovery decodes the changelog with the table's serializers: our records must be Faust's.
    t, outbox = table(app), Outbox()
    event = processing("earnings.releases", 0)  # noqa: F841
    value = {"period": "2025-09-30", "value": "398.24", "zh": "阿里云"}
    await TableWriter(t, outbox).put_all([("BABA|cloud|revenue", value)])
    (_, key, raw, _), = outbox.sent
    assert key == t.changelog_topic.prepare_key("BABA|cloud|revenue", t.key_serializer)[0]
    assert raw == t.changelog_topic.prepare_value(value, t.value_serializer)[0]
    assert app.serializers.loads_value(None, raw, serializer="json") == value


async def test_persisted_offset_follows_the_broker_acknowledgement(app: faust.App) -> None:
    t, outbox = table(app), Outbox()
    event = processing("earnings.releases", 1)  # noqa: F841
    await TableWriter(t, outbox).put_all([("a", 1), ("b", 2)])
    assert t.data.persisted == {}  # nothing acknowledged yet
    tp = ("history-changelog", 1)
    outbox.futures[0].set_result(SimpleNamespace(topic_partition=tp, offset=41))
    outbox.futures[1].set_exception(RuntimeError("refused"))  # the outbox reports it; no offset
    await asyncio.sleep(0)
    assert t.data.persisted == {tp: 41}


async def test_refused_outside_an_event_and_for_another_partition_count(app: faust.App) -> None:
    t, outbox = table(app), Outbox()
    _current_event.set(None)
    with pytest.raises(RuntimeError, match="while an event is processed"):
        await TableWriter(t, outbox).put_all([("a", 1)])
    event = processing("eight.partitions", 5)  # noqa: F841
    app.consumer.topic_partitions = lambda topic: 8 if topic == "eight.partitions" else 4
    with pytest.raises(PartitionsMismatch):
        await TableWriter(t, outbox).put_all([("a", 1)])
    assert outbox.sent == [] and dict(t.data) == {}


def test_windowed_tables_keep_fausts_path(app: faust.App) -> None:
    windowed = app.Table("w", default=int, partitions=4).tumbling(60)
    with pytest.raises(ValueError, match="windowed"):
        TableWriter(windowed.table, Outbox())


async def test_a_record_the_producer_refuses_leaves_the_store_as_its_changelog(app: faust.App) -> None:
    t = table(app)

    class Refusing(Outbox):
        async def send(self, topic, key, value, partition=None):
            if value is not None and len(value) > 100:
                raise ValueError("MessageSizeTooLargeError")
            return await super().send(topic, key, value, partition)

    outbox = Refusing()
    event = processing("earnings.releases", 2)  # noqa: F841
    with pytest.raises(ValueError, match="MessageSizeTooLarge"):
        await TableWriter(t, outbox).put_all([("small", {"v": 1}), ("huge", {"v": "x" * 500}), ("after", {"v": 2})])
    assert dict(t.data) == {"small": {"v": 1}}  # what the changelog got, nothing more
    assert [json.loads(key) for _, key, _, _ in outbox.sent] == ["small"]
