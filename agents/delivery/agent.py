"""The delivery agents wired onto the Faust app (called from agents.pipeline.register).

    cloudpulse.alerts ──deliver──▶ receivers (Slack, webhooks, files)
            │                        │ ledger table "deliveries" (changelog) ─▶ cloudpulse.deliveries
            └─ parked ─▶ cloudpulse.deliveries.retry ──redeliver──┘
                                     └─ out of attempts ─▶ cloudpulse.deliveries.deadletter
    cloudpulse.silences ──(followed by a task)──▶ silence book

Both agents read with manual acks (``stream.noack()``): an alert's offset is committed only
after each of its deliveries is recorded (service.py, acks.py). Sends to our own topics use
``force=True``: Faust would otherwise attach them to the current event and publish them only
when it is acked, which here waits for them.

Usage::

    service = register_delivery(app, pipe, settings)                 # the delivery file from settings
    service = register_delivery(app, pipe, settings, config=cfg, receivers={"x": MyReceiver()})
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

import faust

from agents.delivery.acks import InOrderAcks
from agents.delivery.config import (
    DeliveryConfig,
    build_policies,
    build_receivers,
    build_router,
)
from agents.delivery.dispatcher import Dispatcher
from agents.delivery.ledger import TableLedger
from agents.delivery.queues import ReceiverQueue
from agents.delivery.receiver import Receiver
from agents.delivery.service import DeliveryService
from agents.delivery.silences import SilenceBook, follow
from schemas.delivery import DeliveryDeadLetter, DeliveryRecord, RetryRecord
from streams.consumer import fresh_events
from streams.settings import Settings
from streams.topics import (
    ALERTS,
    DELIVERIES,
    DELIVERY_DEADLETTER,
    DELIVERY_RETRY,
    LEDGER_TABLE,
    SILENCES,
)

log = logging.getLogger("cloudpulse.delivery")


def register_delivery(app: faust.App, pipe: Any, settings: Settings, *, config: DeliveryConfig | None = None,
                      receivers: dict[str, Receiver] | None = None) -> DeliveryService:
    assert settings.delivery_file is not None or config is not None
    config = config or DeliveryConfig.load(settings.delivery_file)  # type: ignore[arg-type]
    secrets = {name: value.get_secret_value() for name, value in settings.delivery_secrets.items()}
    receivers = receivers or build_receivers(config, secrets)

    def topic(name: str) -> Any:
        return app.topic(settings.topic(name), key_type=bytes, value_type=bytes, partitions=settings.partitions)

    retry_topic, dead_topic, export_topic = topic(DELIVERY_RETRY), topic(DELIVERY_DEADLETTER), topic(DELIVERIES)
    table = app.Table(LEDGER_TABLE, default=None, partitions=settings.partitions,
                      schema=faust.Schema(key_serializer="json", value_serializer="json"))

    async def export(record: DeliveryRecord) -> None:
        await export_topic.send(key=record.key.encode(), value=record.model_dump_json().encode(), force=True)

    async def park(record: RetryRecord, partition: int) -> None:
        # Same partition number as the alert: the retry agent then owns the same ledger partition.
        sent = await retry_topic.send(key=record.alert.company.encode(), value=record.model_dump_json().encode(),
                                      partition=partition, force=True)
        await sent  # on the broker before the ledger says 'pending'

    async def bury(letter: DeliveryDeadLetter) -> None:
        key = f"{letter.alert.alert_id}|{letter.receiver}".encode()
        sent = await dead_topic.send(key=key, value=letter.model_dump_json().encode(), force=True)
        await sent

    silences = SilenceBook()
    dispatcher = Dispatcher(TableLedger(table, export), receivers, build_policies(config), silences,
                            park=park, bury=bury, counters=pipe.counters)
    queues = {name: ReceiverQueue(name, dispatcher.run, size=dispatcher.policies[name].queue_size,
                                  workers=dispatcher.policies[name].workers) for name in receivers}
    service = DeliveryService(dispatcher, build_router(config), queues, InOrderAcks())
    app.cloudpulse_delivery = service  # type: ignore[attr-defined]  # for the CLI, web views and tests

    @app.task
    async def _start_delivery() -> None:
        service.start()
        fix_ends = None
        if settings.dev_broker:
            from streams.tansu_workarounds import true_highwaters

            fix_ends = true_highwaters
        app.add_future(follow(silences, settings.bootstrap_servers, settings.topic(SILENCES), fix_ends=fix_ends))

    @app.agent(pipe.topics[ALERTS], name="cloudpulse.deliver", concurrency=1)
    async def deliver(stream: faust.StreamT) -> None:
        async for event in fresh_events(stream.noack()):
            # The context carries this event as Faust's current event, for ledger writes
            # made later by the receiver workers (ledger.py).
            await service.on_alert(event.value or b"", partition=event.message.partition, ack=event.ack,
                                   context=contextvars.copy_context())

    @app.agent(retry_topic, name="cloudpulse.redeliver", concurrency=1)
    async def redeliver(stream: faust.StreamT) -> None:
        async for event in fresh_events(stream.noack()):
            await service.on_retry(event.value or b"", partition=event.message.partition, ack=event.ack,
                                   context=contextvars.copy_context())

    @app.on_before_shutdown.connect
    async def _stop_delivery(app: Any, **kwargs: Any) -> None:
        await service.stop()  # closes the receivers' HTTP sessions

    log.info("delivery: %d receiver(s), %d route(s)", len(receivers), len(config.routes))
    return service
