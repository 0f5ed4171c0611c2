"""Running the Faust worker programmatically with cloudpulse settings.

Usage::

    run_worker(settings)   # blocks; SIGTERM/SIGINT stop it gracefully

Shutdown: Faust stops the agents, commits what was processed and leaves the group. Anything
in flight and not yet acknowledged stays uncommitted and is delivered again to the next worker
(at-least-once; alert ids and sinks are idempotent).
"""

from __future__ import annotations

import faust

from streams.app import build_app
from streams.broker_watch import EXIT_BROKER_RESET, BrokerWatch
from streams.logs import logging_config
from streams.settings import Settings
from streams.web import HealthServer


def run_worker(settings: Settings, **components: object) -> None:
    app = build_app(settings, **components)
    services = [HealthServer(app, app.cloudpulse, settings)] if settings.web_enabled else []  # type: ignore[attr-defined]
    watch = BrokerWatch(settings)  # input topics gone (a reset dev broker): stop, exit non-zero
    services.append(watch)
    # The programmatic Worker honours conf.web_enabled (the `faust worker` command would turn
    # Faust's own web server on, bound to 0.0.0.0); ours is HealthServer above.
    worker = faust.Worker(
        app,
        *services,
        loglevel=settings.log_level,
        logging_config=logging_config(settings),
        quiet=True,
        redirect_stdouts=False,
        override_logging=True,
    )
    try:
        worker.execute_from_commandline()
    except SystemExit:
        if watch.reset:
            raise SystemExit(EXIT_BROKER_RESET) from None
        raise
