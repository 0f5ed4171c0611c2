"""The delivery ledger: state and attempts per (alert_id, receiver), in a Faust table.

Every write waits until the table's changelog record is acknowledged by the broker before it
returns: the 'sending' mark must survive a SIGKILL that comes right after it, or a restarted
worker could not tell a delivery that may have landed from one never tried. Each change is
also exported to ``cloudpulse.deliveries`` (compacted, keyed by delivery key) for history.

The changelog partition is the partition of the alert the delivery belongs to (alerts are
keyed by company; retry records are sent to the same partition number), so a worker owns the
ledger entries of exactly the alerts it owns.

Usage::

    ledger = TableLedger(table, export=send_to_deliveries_topic)
    record = ledger.get(alert_id, "firm")
    await ledger.put(record, partition=3, context=job.context)
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from schemas.delivery import DeliveryRecord, delivery_key

Export = Callable[[DeliveryRecord], Awaitable[None]]


class Ledger(Protocol):
    def get(self, alert_id: str, receiver: str) -> DeliveryRecord | None: ...

    async def put(self, record: DeliveryRecord, *, partition: int, context: Any = None) -> None: ...


async def _no_export(record: DeliveryRecord) -> None:
    return None


class TableLedger:
    def __init__(self, table: Any, export: Export = _no_export) -> None:
        self._table = table
        self._export = export

    def get(self, alert_id: str, receiver: str) -> DeliveryRecord | None:
        value = self._table.get(delivery_key(alert_id, receiver))
        return None if value is None else DeliveryRecord.model_validate(value)

    async def put(self, record: DeliveryRecord, *, partition: int, context: Any = None) -> None:
        key, value = record.key, record.model_dump(mode="json")
        await self._table.send_changelog(partition, key, value)  # resolves on the broker's ack
        # The local store write needs the originating event as Faust's current event
        # (the RocksDB store picks its per-partition database from it).
        run = context.run if isinstance(context, contextvars.Context) else (lambda f, *a: f(*a))
        run(self._table.data.__setitem__, key, value)
        await self._export(record)


class MemoryLedger:
    """The same contract in a dict, for tests and tools; ``writes`` records every put in order."""

    def __init__(self) -> None:
        self.entries: dict[str, DeliveryRecord] = {}
        self.writes: list[DeliveryRecord] = []

    def get(self, alert_id: str, receiver: str) -> DeliveryRecord | None:
        return self.entries.get(delivery_key(alert_id, receiver))

    async def put(self, record: DeliveryRecord, *, partition: int, context: Any = None) -> None:
        self.entries[record.key] = record
        self.writes.append(record)
