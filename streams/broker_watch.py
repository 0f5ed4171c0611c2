"""Broker reset detection: stop the worker, with a non-zero exit, when its input topics vanish.

A broker that goes away and comes back with its data is handled by the Kafka client: it
reconnects, and /readyz reports the outage meanwhile. A broker that comes back *empty* (the
memory-only dev broker after a restart; topics deleted on a real cluster) is different: the
group's committed offsets, the table changelogs and the topics are gone. A worker that
carried on would keep history no changelog holds, consume from topics Tansu auto-creates with
its own settings, and retry failed offset commits forever (measured: ~10 errors/s, while
/readyz said ready). So the worker stops, gracefully, and exits with :data:`EXIT_BROKER_RESET`;
a supervisor restarts it once the topics exist again (`cloudpulse topics create`).

Only topics seen present earlier count: a worker started before its topics exist waits, as
before. Listing topics creates none (unlike a metadata request for a named topic on Tansu).

Usage::

    watch = BrokerWatch(settings)            # a mode Service, beside the Faust app
    faust.Worker(app, watch, ...)
    if watch.reset: sys.exit(EXIT_BROKER_RESET)
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Callable

from mode import Service

from streams.settings import Settings
from streams.topics import INPUTS, list_topics

log = logging.getLogger(__name__)

EXIT_BROKER_RESET = 75  # EX_TEMPFAIL: try again later (systemd Restart=on-failure, Kubernetes restart)
CHECK_SECONDS = 5.0
LIST_TIMEOUT = 10.0


class BrokerWatch(Service):
    def __init__(self, settings: Settings, *, lister: Callable[[Settings], set[str]] = list_topics,
                 interval: float = CHECK_SECONDS, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.lister = lister
        self.interval = interval
        self.inputs = frozenset(settings.topic(name) for name in INPUTS)
        self.seen: set[str] = set()
        self.reset: frozenset[str] = frozenset()  # the inputs that vanished; empty while all is well

    async def check(self) -> bool:
        """One look at the broker; True when a topic seen before is gone."""
        try:
            present = await asyncio.wait_for(asyncio.to_thread(self.lister, self.settings), LIST_TIMEOUT)
        except Exception:  # noqa: BLE001 - unreachable broker: the client reconnects, /readyz reports it
            return False
        self.seen |= self.inputs & present
        gone = frozenset(self.seen - present)
        if gone:
            self.reset = gone
        return bool(gone)

    @Service.task
    async def _watch(self) -> None:
        while not self.should_stop:
            if await self.check():
                log.error("input topics %s are gone from the broker (a reset dev broker, or deleted): stopping "
                          "with exit code %d; recreate topics (`cloudpulse topics create`) and restart",
                          ", ".join(sorted(self.reset)), EXIT_BROKER_RESET)
                # SIGTERM: the same graceful stop as an operator's; run_worker maps it to the exit code.
                os.kill(os.getpid(), signal.SIGTERM)
                return
            await self.sleep(self.interval)
