"""The Faust application, built from settings.

Usage::

    app = build_app(settings)        # topics and tables declared, agents registered
    run_worker(app, settings)        # blocks until SIGTERM/SIGINT
"""

from __future__ import annotations

import logging
from typing import Any

import faust

from streams import tansu_workarounds
from streams.consumer import rereading_transport
from streams.settings import Settings

log = logging.getLogger(__name__)


def faust_config(settings: Settings) -> dict[str, Any]:
    """Faust settings derived from ours; the one place that maps between the two."""
    timings = tansu_workarounds.group_timings(settings)
    store = "memory://" if settings.store == "memory" else "rocksdb://"
    return {
        "broker": settings.broker,
        "store": store,
        "datadir": str(settings.data_dir),
        "topic_partitions": settings.partitions,
        "topic_replication_factor": settings.replication_factor,
        # Topics are created up front by `cloudpulse topics create`; a worker that declared
        # them itself would race Tansu's 4-partition auto-create and hide misconfiguration.
        "topic_allow_declare": False,
        "topic_disable_leader": True,
        "key_serializer": "raw",
        "value_serializer": "raw",
        "consumer_auto_offset_reset": "earliest",
        "broker_commit_interval": settings.commit_interval,
        "broker_session_timeout": timings["session_timeout"],
        "broker_heartbeat_interval": timings["heartbeat_interval"],
        "broker_rebalance_timeout": timings["rebalance_timeout"],
        "broker_request_timeout": max(40.0, timings["session_timeout"] + 10.0),
        "producer_max_request_size": max(1_048_576, settings.max_payload_bytes * 4),
        **tuning_config(settings),
        # Faust's web server (with its table-browsing views) stays off: streams/web.py serves
        # /healthz, /readyz and /metrics instead.
        "web_enabled": False,
        "table_cleanup_interval": 60.0,
    }


def tuning_config(settings: Settings) -> dict[str, Any]:
    """The batching knobs of docs/benchmarks.md: how records are grouped, never when offsets
    are committed (Faust still flushes the producer before every commit)."""
    return {
        "producer_linger": settings.producer_linger_ms / 1000.0,
        "producer_max_batch_size": settings.producer_max_batch_size,
        "broker_max_poll_records": settings.max_poll_records,
        "stream_buffer_maxsize": settings.stream_buffer_maxsize,
    }


def build_app(settings: Settings, **components: Any) -> faust.App:
    """A Faust app with cloudpulse's topics, tables and agents registered."""
    from agents.pipeline import register  # agents import streams; keep the edge one-way at import time

    # Faust creates only the last level of its datadir; create the parents it expects.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = faust.App(settings.app_id, **faust_config(settings))
    # Re-read records Faust fetched but did not deliver (streams/consumer.py), on any broker.
    app.transport = rereading_transport()(app.conf.broker_consumer, app)
    tansu_workarounds.install(app, settings)
    if "llm" not in components:
        from agents.llm.client import build_writer

        components["llm"] = build_writer(settings)
    register(app, settings, **components)
    return app
