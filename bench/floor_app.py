"""The Faust floor for bench/throughput.py: an agent that only decodes and counts.

    python bench/floor_app.py BROKER_URL TOPIC EXPECTED RESULT_JSON DATA_DIR [SETTINGS_JSON]

Same consumer settings as the cloudpulse worker on the dev broker (fetch wait, group timings,
commit interval) so the ratio compares like with like. SETTINGS_JSON (optional) holds
cloudpulse settings overrides; their batching knobs (streams.app.tuning_config) are applied on
top of Faust's defaults: that is the "tuned floor". Writes {"per_second": ...,
"cpu_ms_per_event": ...} measured from the first event to the EXPECTED-th, then exits.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path

import faust

from streams import tansu_workarounds
from streams.app import tuning_config
from streams.consumer import rereading_transport
from streams.settings import Settings


class EventClock:
    """Times an agent from its first event to its ``expected``-th, writes the figures to
    ``result`` ({"per_second", "cpu_ms_per_event"}) and ends the process."""

    def __init__(self, expected: int, result: Path) -> None:
        self.expected, self.result = expected, result
        self.seen, self.first, self.cpu = 0, 0.0, 0.0

    def tick(self) -> None:
        if self.seen == 0:
            self.first, self.cpu = time.perf_counter(), time.process_time()
        self.seen += 1
        if self.seen == self.expected:
            elapsed = time.perf_counter() - self.first
            # Process CPU (all threads) per event: steadier than wall time on a shared machine.
            cpu_ms = (time.process_time() - self.cpu) * 1000 / self.expected
            self.result.write_text(json.dumps({"per_second": self.expected / elapsed, "cpu_ms_per_event": cpu_ms}))
            os._exit(0)  # measured; nothing to shut down gracefully


def main() -> None:
    broker, topic_name, expected, result, data_dir = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
    overrides = json.loads(sys.argv[6]) if len(sys.argv) > 6 else None
    settings = Settings.load(broker=broker, dev_broker=True, data_dir=data_dir, **(overrides or {}))
    tuning = tuning_config(settings) if overrides is not None else {}
    timings = tansu_workarounds.group_timings(settings)
    app = faust.App(
        f"floor-{uuid.uuid4().hex[:6]}", broker=broker, store="memory://", datadir=data_dir,
        topic_allow_declare=False, topic_disable_leader=True, web_enabled=False,
        key_serializer="raw", value_serializer="raw", consumer_auto_offset_reset="earliest",
        broker_commit_interval=settings.commit_interval,
        broker_session_timeout=timings["session_timeout"], broker_heartbeat_interval=timings["heartbeat_interval"],
        broker_rebalance_timeout=timings["rebalance_timeout"], **tuning,
    )
    app.transport = rereading_transport()(app.conf.broker_consumer, app)
    tansu_workarounds.install(app, settings)
    topic = app.topic(topic_name, key_type=bytes, value_type=bytes)
    done = EventClock(expected, result)

    @app.agent(topic, concurrency=1)
    async def count(stream: faust.StreamT) -> None:
        async for value in stream:
            json.loads(value)
            done.tick()

    worker = faust.Worker(app, loglevel="WARNING", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
