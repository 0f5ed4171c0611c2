"""Health and metrics over HTTP, for orchestrators and Prometheus (bound to 127.0.0.1 by default).

    GET /healthz   200 while the process runs its event loop (liveness)
    GET /readyz    200 when recovery is done, no rebalance is in progress and the broker was
                   reachable in the last 15 s; 503 otherwise (readiness). JSON body says why.
    GET /metrics   Prometheus text format (streams/metrics.py)

Faust's own web server (and its table-browsing views) stays off; this small aiohttp app is
the only HTTP surface.

Usage::

    faust.Worker(app, HealthServer(app, pipe, settings), ...)
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web
from mode import Service
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from streams.metrics import PipelineCollector
from streams.settings import Settings

log = logging.getLogger(__name__)
BROKER_FRESH_SECONDS = 15.0


class HealthServer(Service):
    def __init__(self, app: Any, pipe: Any, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.faust_app = app
        self.pipe = pipe
        self.settings = settings
        self.registry = CollectorRegistry()
        self.registry.register(PipelineCollector(app, pipe))
        self.broker_seen_at = 0.0
        self._runner: web.AppRunner | None = None

    async def on_start(self) -> None:
        web_app = web.Application()
        web_app.add_routes([web.get("/healthz", self.healthz), web.get("/readyz", self.readyz),
                            web.get("/metrics", self.metrics)])
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.settings.web_host, self.settings.web_port).start()
        log.info("health and metrics on http://%s:%d", self.settings.web_host, self.settings.web_port)

    async def on_stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @Service.task
    async def _probe_broker(self) -> None:
        """Broker reachability for /readyz: a TCP connect to any bootstrap server, every 5 s."""
        while not self.should_stop:
            for server in self.settings.bootstrap_servers:
                host, _, port = server.rpartition(":")
                try:
                    _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout=3)
                    writer.close()
                    self.broker_seen_at = time.monotonic()
                    break
                except (OSError, asyncio.TimeoutError, ValueError):
                    continue
            await self.sleep(5.0)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    def readiness(self) -> dict[str, Any]:
        app = self.faust_app
        recovery = getattr(app.tables, "recovery", None)
        recovered = bool(recovery is not None and recovery.completed.is_set())
        rebalancing = bool(getattr(app, "rebalancing", False))
        broker = time.monotonic() - self.broker_seen_at < BROKER_FRESH_SECONDS
        try:
            assigned = len(app.consumer.assignment())
        except Exception:
            assigned = 0
        return {
            "ready": recovered and not rebalancing and broker,
            "recovery_done": recovered, "rebalancing": rebalancing, "broker_reachable": broker,
            "assigned_partitions": assigned,
        }

    async def readyz(self, request: web.Request) -> web.Response:
        state = self.readiness()
        return web.json_response(state, status=200 if state["ready"] else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
